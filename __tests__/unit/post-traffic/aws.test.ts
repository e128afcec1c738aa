/** Finding the live endpoint: Lambda GetFunction tags, then the stack's ApiUrl output (functions/post-traffic/aws.ts). */
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { StackApiEndpoints } from "../../../functions/post-traffic/aws";
import { EndpointNotFoundError } from "../../../functions/post-traffic/endpoint";
import { FUNCTION_NAME, STACK_NAME } from "../pre-traffic/support/hooks";

const lambda = mockClient(LambdaClient);
const cloudFormation = mockClient(CloudFormationClient);
const endpoints = () => new StackApiEndpoints(new LambdaClient({ region: "eu-west-1" }), new CloudFormationClient({ region: "eu-west-1" }));
const signal = new AbortController().signal;

beforeEach(() => {
  lambda.reset();
  cloudFormation.reset();
  lambda.on(GetFunctionCommand, { FunctionName: FUNCTION_NAME }).resolves({ Tags: { "aws:cloudformation:stack-name": STACK_NAME } });
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK_NAME }).resolves({
    Stacks: [
      {
        StackName: STACK_NAME,
        CreationTime: new Date(),
        StackStatus: "UPDATE_IN_PROGRESS",
        Outputs: [
          { OutputKey: "FunctionName", OutputValue: FUNCTION_NAME },
          { OutputKey: "ApiUrl", OutputValue: "https://abc123.execute-api.eu-west-1.amazonaws.com" },
        ],
      },
    ],
  });
});

it("reads the stack from the function's tag and the URL from the stack's ApiUrl output", async () => {
  await expect(endpoints().apiUrl(FUNCTION_NAME, signal)).resolves.toEqual({
    stackName: STACK_NAME,
    apiUrl: "https://abc123.execute-api.eu-west-1.amazonaws.com",
  });
});

it("explains a function that no stack created", async () => {
  lambda.on(GetFunctionCommand).resolves({ Tags: { team: "x" } });
  await expect(endpoints().apiUrl(FUNCTION_NAME, signal)).rejects.toThrow(EndpointNotFoundError);
  await expect(endpoints().apiUrl(FUNCTION_NAME, signal)).rejects.toThrow(/no aws:cloudformation:stack-name tag/);
});

it("names the missing permission when Lambda withholds the tags", async () => {
  lambda.on(GetFunctionCommand).resolves({ TagsError: { ErrorCode: "AccessDeniedException", Message: "not authorized to perform lambda:ListTags" } });
  await expect(endpoints().apiUrl(FUNCTION_NAME, signal)).rejects.toThrow(
    /Lambda returned no tags \(AccessDeniedException: .*Fix: allow the post-traffic hook lambda:ListTags/,
  );
});

it("explains a stack without an ApiUrl output, with the fix", async () => {
  cloudFormation
    .on(DescribeStacksCommand)
    .resolves({ Stacks: [{ StackName: STACK_NAME, CreationTime: new Date(), StackStatus: "UPDATE_IN_PROGRESS", Outputs: [] }] });
  await expect(endpoints().apiUrl(FUNCTION_NAME, signal)).rejects.toThrow(
    /stack pipewright-orders-dev has no ApiUrl output\. Fix: declare Outputs\.ApiUrl/,
  );
});

it("passes SDK errors on (the runner reports them as Failed)", async () => {
  lambda
    .on(GetFunctionCommand)
    .rejects(Object.assign(new Error("User is not authorized to perform: lambda:GetFunction"), { name: "AccessDeniedException" }));
  await expect(endpoints().apiUrl(FUNCTION_NAME, signal)).rejects.toMatchObject({ name: "AccessDeniedException" });
});
