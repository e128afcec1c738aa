import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { InvokeAnswer } from "./smoke";

/** Invokes one version of a function. IAM: lambda:InvokeFunction on arn:<p>:lambda:<region>:<account>:function:<name>:<version>. */
export interface VersionInvoker {
  invoke(request: { functionName: string; qualifier: string; payload: string }, signal: AbortSignal): Promise<InvokeAnswer>;
}

export class LambdaVersionInvoker implements VersionInvoker {
  constructor(private readonly client: LambdaClient) {}

  async invoke(request: { functionName: string; qualifier: string; payload: string }, signal: AbortSignal): Promise<InvokeAnswer> {
    const output = await this.client.send(
      new InvokeCommand({
        FunctionName: request.functionName,
        Qualifier: request.qualifier,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(request.payload),
      }),
      { abortSignal: signal },
    );
    return {
      functionError: output.FunctionError,
      payload: output.Payload ? new TextDecoder().decode(output.Payload) : "",
      executedVersion: output.ExecutedVersion,
    };
  }
}
