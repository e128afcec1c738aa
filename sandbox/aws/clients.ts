/**
 * How the sandbox's SDK v3 clients reach the emulator, and what their
 * errors say. Every call is signed by the SDK (the emulator verifies SigV4
 * once IAM checks are on).
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsTarget {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
}

/** An AWS error answer, with the operation, HTTP status and the service's error code. */
export class AwsCallError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    readonly code: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed (HTTP ${status ?? "-"} ${code}): ${detail}`, options);
    this.name = "AwsCallError";
  }
}

type InitializeHandler<Output> = (args: { input: object }) => Promise<Output>;

/** The part of an SDK v3 client that sandboxClient() needs. */
export interface SandboxSdkClient {
  middlewareStack: {
    add(
      middleware: <Output>(next: InitializeHandler<Output>, context: { commandName?: string }) => InitializeHandler<Output>,
      options: { step: "initialize"; name: string; override: boolean },
    ): void;
  };
}

/** SDK client configuration for the emulator, signed as `target.credentials`. */
export function sandboxClientConfig(target: AwsTarget) {
  return {
    endpoint: target.endpoint,
    region: target.region,
    credentials: target.credentials,
    // One attempt: a call the emulator lacks answers 500 at once, and the runtime's polling retries by itself.
    maxAttempts: 1,
  };
}

/** Makes every failed call of `client` an AwsCallError naming the operation. Returns the client. */
export function sandboxClient<C extends SandboxSdkClient>(client: C): C {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const failed = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        if (failed.name === "AbortError") throw error;
        const operation = (context.commandName ?? "call").replace(/Command$/, "");
        throw new AwsCallError(operation, failed.$metadata?.httpStatusCode, failed.name ?? "Unknown", failed.message ?? String(error), {
          cause: error,
        });
      }
    },
    { step: "initialize", name: "pipewrightSandboxCallErrors", override: true },
  );
  return client;
}
