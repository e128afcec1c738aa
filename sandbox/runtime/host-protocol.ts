/** Messages between a function pool and its execution environments (child processes). */

/** An error as Lambda reports it: errorType, errorMessage, trace. */
export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

/** What the host turns into the handler's `context`. */
export interface InvocationContext {
  readonly requestId: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Epoch ms at which the invocation times out. */
  readonly deadlineMs: number;
}

export type ParentMessage = { readonly type: "invoke"; readonly id: string; readonly event: unknown; readonly context: InvocationContext };

export type HostMessage =
  | { readonly type: "ready" }
  | { readonly type: "init-error"; readonly error: SerializedError }
  | { readonly type: "result"; readonly id: string; readonly ok: true; readonly value: unknown }
  | { readonly type: "result"; readonly id: string; readonly ok: false; readonly error: SerializedError };
