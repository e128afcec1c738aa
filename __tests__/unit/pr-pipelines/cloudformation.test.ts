import { CloudFormationClient, DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { CloudFormationPreviewStacks, PreviewStackCleanupError } from "../../../functions/pr-pipelines/cloudformation";

const ROLE = "arn:aws:iam::222222222222:role/p-preview-cleanup";
const devStack = (name: string) => ({
  stackName: name,
  stageName: "Dev",
  actionName: "CreateChangeSet",
  actionRoleArn: "arn:aws:iam::222222222222:role/p-deploy",
  cloudFormationRoleArn: "arn:aws:iam::222222222222:role/p-cfn-exec",
});
const request = (stacks: any[]) => ({ repository: "o/r", pullRequest: 12, deliveryId: "d-1", prPipeline: "p-orders-pr-12", stacks });

describe("CloudFormationPreviewStacks", () => {
  const sts = mockClient(STSClient);
  const cfn = mockClient(CloudFormationClient);
  const logs: Array<[string, Record<string, unknown>]> = [];
  const cleanup = new CloudFormationPreviewStacks({
    roleArn: ROLE,
    sts: new STSClient({}),
    cloudFormation: () => new CloudFormationClient({}),
    log: (message, details) => logs.push([message, details]),
  });
  beforeEach(() => {
    sts.reset();
    cfn.reset();
    logs.length = 0;
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: "a", SecretAccessKey: "s", SessionToken: "t", Expiration: new Date() } });
  });

  it("assumes the dev cleanup role and deletes each preview stack there", async () => {
    cfn.on(DeleteStackCommand).resolves({});
    await cleanup.deletePreviewStacks(request([devStack("p-orders-pr-12")]));
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input.RoleArn).toBe(ROLE);
    expect(cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName)).toEqual(["p-orders-pr-12"]);
  });

  it("assumes the role once for all pipelines of one pull request while the session lasts, and again for another pull request", async () => {
    cfn.on(DeleteStackCommand).resolves({});
    const inFifteenMinutes = new Date(Date.now() + 15 * 60_000);
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: "a", SecretAccessKey: "s", SessionToken: "t", Expiration: inFifteenMinutes } });
    const fresh = new CloudFormationPreviewStacks({
      roleArn: ROLE,
      sts: new STSClient({}),
      cloudFormation: () => new CloudFormationClient({}),
      log: () => {},
    });

    await fresh.deletePreviewStacks({ ...request([devStack("p-orders-pr-12")]), prPipeline: "p-orders-pr-12" });
    await fresh.deletePreviewStacks({ ...request([devStack("p-payments-pr-12")]), prPipeline: "p-payments-pr-12" });
    await fresh.deletePreviewStacks({ ...request([devStack("p-orders-pr-13")]), pullRequest: 13 });

    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleSessionName)).toEqual(["pr-12-cleanup", "pr-13-cleanup"]);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(3);
  });

  it("assumes the role again once the session is about to expire", async () => {
    cfn.on(DeleteStackCommand).resolves({});
    const inThirtySeconds = new Date(Date.now() + 30_000);
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: "a", SecretAccessKey: "s", SessionToken: "t", Expiration: inThirtySeconds } });
    const fresh = new CloudFormationPreviewStacks({
      roleArn: ROLE,
      sts: new STSClient({}),
      cloudFormation: () => new CloudFormationClient({}),
      log: () => {},
    });

    await fresh.deletePreviewStacks(request([devStack("p-orders-pr-12")]));
    await fresh.deletePreviewStacks(request([devStack("p-payments-pr-12")]));

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it("creates its own STS and CloudFormation clients, with the assumed credentials, when none are given", async () => {
    cfn.on(DeleteStackCommand).resolves({});
    const own = new CloudFormationPreviewStacks({ roleArn: ROLE, region: "eu-west-1", log: () => {} });
    await own.deletePreviewStacks(request([devStack("p-orders-pr-12")]));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    const [deletion] = cfn.commandCalls(DeleteStackCommand);
    expect(deletion?.args[0].input.StackName).toBe("p-orders-pr-12");
    const credentials = await (deletion?.thisValue as CloudFormationClient | undefined)?.config.credentials();
    expect(credentials).toMatchObject({ accessKeyId: "a", secretAccessKey: "s", sessionToken: "t" });
    expect(await (deletion?.thisValue as CloudFormationClient | undefined)?.config.region()).toBe("eu-west-1");
  });

  it("builds one client per session and Region, each new one on the first one's connections, with its own session's credentials", async () => {
    cfn.on(DeleteStackCommand).resolves({});
    const inFifteenMinutes = new Date(Date.now() + 15 * 60_000);
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce({ Credentials: { AccessKeyId: "a12", SecretAccessKey: "s", SessionToken: "t", Expiration: inFifteenMinutes } })
      .resolvesOnce({ Credentials: { AccessKeyId: "a13", SecretAccessKey: "s", SessionToken: "t", Expiration: inFifteenMinutes } });
    const own = new CloudFormationPreviewStacks({ roleArn: ROLE, region: "eu-west-1", log: () => {} });
    await own.deletePreviewStacks({ ...request([devStack("p-orders-pr-12")]), prPipeline: "p-orders-pr-12" });
    await own.deletePreviewStacks({ ...request([devStack("p-payments-pr-12")]), prPipeline: "p-payments-pr-12" });
    await own.deletePreviewStacks({ ...request([devStack("p-orders-pr-13")]), pullRequest: 13 });

    const clients = cfn.commandCalls(DeleteStackCommand).map((call) => call.thisValue as CloudFormationClient);
    expect(clients[1]).toBe(clients[0]);
    expect(clients[2]).not.toBe(clients[0]);
    expect(clients[2]?.config.requestHandler).toBe(clients[0]?.config.requestHandler);
    expect(await clients[2]?.config.credentials()).toMatchObject({ accessKeyId: "a13" });
  });

  it("assumes the role once for pipelines of one pull request cleaned up at the same time", async () => {
    cfn.on(DeleteStackCommand).resolves({});
    const inFifteenMinutes = new Date(Date.now() + 15 * 60_000);
    sts.on(AssumeRoleCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { Credentials: { AccessKeyId: "a", SecretAccessKey: "s", SessionToken: "t", Expiration: inFifteenMinutes } };
    });
    const fresh = new CloudFormationPreviewStacks({
      roleArn: ROLE,
      sts: new STSClient({}),
      cloudFormation: () => new CloudFormationClient({}),
      log: () => {},
    });
    await Promise.all([
      fresh.deletePreviewStacks({ ...request([devStack("p-orders-pr-12")]), prPipeline: "p-orders-pr-12" }),
      fresh.deletePreviewStacks({ ...request([devStack("p-payments-pr-12")]), prPipeline: "p-payments-pr-12" }),
    ]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(2);
  });

  it("leaves stacks of other accounts alone, and says so", async () => {
    await cleanup.deletePreviewStacks(request([{ ...devStack("x-pr-12"), actionRoleArn: "arn:aws:iam::999999999999:role/other" }]));
    expect(sts.calls()).toHaveLength(0);
    expect(logs[0][0]).toMatch(/outside the dev account are left in place/);
  });

  it("does nothing for a pipeline without preview stacks", async () => {
    await cleanup.deletePreviewStacks(request([]));
    expect(sts.calls()).toHaveLength(0);
  });

  it("throws a named error naming the stack, PR and delivery when deletion fails, so the event is retried", async () => {
    cfn.on(DeleteStackCommand).rejects(new Error("Throttling"));
    const failure = cleanup.deletePreviewStacks(request([devStack("p-orders-pr-12")]));
    await expect(failure).rejects.toBeInstanceOf(PreviewStackCleanupError);
    await expect(failure).rejects.toThrow(/p-orders-pr-12 of PR #12 failed \(delivery d-1\)/);
  });

  it("throws a named error when the role cannot be assumed", async () => {
    sts.on(AssumeRoleCommand).rejects(new Error("AccessDenied"));
    await expect(cleanup.deletePreviewStacks(request([devStack("p-orders-pr-12")]))).rejects.toThrow(/Cannot assume .*p-preview-cleanup/);
  });
});
