import { type CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetFunctionCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { API_URL_OUTPUT, EndpointNotFoundError, STACK_NAME_TAG } from "./endpoint";

/**
 * Finds a function's API URL: Lambda GetFunction (for the stack-name tag),
 * then CloudFormation DescribeStacks (for the ApiUrl output). Clients injected.
 * IAM: lambda:GetFunction and lambda:ListTags (without it GetFunction returns no tags)
 * on arn:<p>:lambda:<region>:<account>:function:<stack prefix>-*,
 * cloudformation:DescribeStacks on the stacks arn:<p>:cloudformation:<region>:<account>:stack/<stack prefix>-* (any stack id).
 */
export interface ApiEndpoints {
  apiUrl(functionName: string, signal: AbortSignal): Promise<{ stackName: string; apiUrl: string }>;
}

export class StackApiEndpoints implements ApiEndpoints {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly cloudFormation: CloudFormationClient,
  ) {}

  async apiUrl(functionName: string, signal: AbortSignal): Promise<{ stackName: string; apiUrl: string }> {
    const fn = await this.lambda.send(new GetFunctionCommand({ FunctionName: functionName }), { abortSignal: signal });
    // GetFunction leaves the tags out (with TagsError) unless lambda:ListTags is allowed too.
    if (fn.TagsError) {
      throw new EndpointNotFoundError(
        functionName,
        `Lambda returned no tags (${fn.TagsError.ErrorCode ?? "error"}: ${fn.TagsError.Message ?? "no message"}). ` +
          "Fix: allow the post-traffic hook lambda:ListTags as well as lambda:GetFunction on the application functions",
      );
    }
    const stackName = fn.Tags?.[STACK_NAME_TAG];
    if (!stackName) {
      throw new EndpointNotFoundError(functionName, `the function has no ${STACK_NAME_TAG} tag, so it was not created by a CloudFormation stack`);
    }
    const { Stacks } = await this.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }), { abortSignal: signal });
    const output = Stacks?.[0]?.Outputs?.find((candidate) => candidate.OutputKey === API_URL_OUTPUT);
    if (!output?.OutputValue) {
      throw new EndpointNotFoundError(
        functionName,
        `stack ${stackName} has no ${API_URL_OUTPUT} output. Fix: declare Outputs.${API_URL_OUTPUT} (the API's base URL) in the application template`,
      );
    }
    return { stackName, apiUrl: output.OutputValue };
  }
}
