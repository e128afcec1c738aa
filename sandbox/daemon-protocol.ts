import type { RuntimeOptions } from "./runtime/runtime";

/** What `up` asks of the background process, in order. */
export type DaemonRequest =
  /** Before the stacks are synthesized: they point the Slack app's Web API at it. */
  | {
      readonly type: "start-slack-stand-in";
      readonly port: number;
      readonly botToken: string;
      readonly channels: readonly string[];
    }
  /** `logFile`: log every request there (slower). */
  | {
      readonly type: "start-emulator";
      readonly port: number;
      readonly logFile: string;
      readonly logRequests: boolean;
      readonly requestHistoryFile: string;
    }
  | { readonly type: "start-runtime"; readonly options: Omit<RuntimeOptions, "log"> }
  /** `up` is done: keep running without it. */
  | { readonly type: "detach" };

export type DaemonReply =
  | { readonly type: "slack-stand-in-ready"; readonly url: string }
  | { readonly type: "emulator-ready"; readonly endpoint: string; readonly pid: number }
  | { readonly type: "runtime-ready"; readonly httpApiUrl: string }
  | { readonly type: "failed"; readonly message: string };
