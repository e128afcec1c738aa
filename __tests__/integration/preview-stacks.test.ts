/**
 * Preview-stack clean-up against the emulator: the PR function (build account)
 * assumes the dev account's preview-cleanup role with STS and deletes the
 * preview stack there, through the real adapter and SDK clients.
 */
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { STSClient } from "@aws-sdk/client-sts";
import { CloudFormationPreviewStacks } from "../../functions/pr-pipelines/cloudformation";
import { emulatorClientConfig, inAccount } from "../../sandbox/emulator";
import { useEmulator } from "../support/emulator";

const BUILD = "111111111111";
const DEV = "222222222222";
const TEMPLATE = JSON.stringify({ Resources: { Marker: { Type: "AWS::SNS::Topic" } } });

describe("CloudFormationPreviewStacks on the emulator", () => {
  const emulator = useEmulator();
  const devCloudFormation = () => inAccount(new CloudFormationClient(emulatorClientConfig(emulator())), DEV);
  const stackNames = async () =>
    ((await devCloudFormation().send(new DescribeStacksCommand({}))).Stacks ?? [])
      .filter((s) => s.StackStatus !== "DELETE_COMPLETE")
      .map((s) => s.StackName);

  it("deletes the PR's preview stack in the dev account through the assumed role, and only it", async () => {
    const dev = devCloudFormation();
    for (const name of ["pipewright-orders-pr-12", "pipewright-orders-pr-123", "pipewright-orders-dev"]) {
      await dev.send(new CreateStackCommand({ StackName: name, TemplateBody: TEMPLATE }));
    }
    const config = emulatorClientConfig(emulator());
    const cleanup = new CloudFormationPreviewStacks({
      roleArn: `arn:aws:iam::${DEV}:role/pipewright-preview-cleanup`,
      sts: inAccount(new STSClient(config), BUILD),
      cloudFormation: (credentials) => new CloudFormationClient({ ...config, credentials }),
      log: () => undefined,
    });
    const stack = {
      stackName: "pipewright-orders-pr-12",
      stageName: "Dev",
      actionName: "CreateChangeSet",
      actionRoleArn: `arn:aws:iam::${DEV}:role/pipewright-deploy`,
    };
    const request = { repository: "o/r", pullRequest: 12, deliveryId: "d-1", prPipeline: "pipewright-orders-pr-12", stacks: [stack] };

    await cleanup.deletePreviewStacks(request);
    expect((await stackNames()).sort()).toEqual(["pipewright-orders-dev", "pipewright-orders-pr-123"]);
    // A redelivery, or a PR that never deployed: deleting again is harmless.
    await expect(cleanup.deletePreviewStacks(request)).resolves.toBeUndefined();
  });
});
