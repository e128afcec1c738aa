import { readFileSync } from "node:fs";
import { SandboxNotRunningError, UsageError } from "../errors";
import type { SandboxPaths } from "../paths";
import { readState } from "../state";
import { sendDelivery } from "../webhook-client";

/**
 * `npm run sandbox -- send <event> <payload.json> [--delivery <id>]`: signs
 * the file's bytes with the sandbox's webhook secret, posts them as GitHub
 * would, and prints the answer. Returns whether the answer was 2xx.
 */
export async function send(
  paths: SandboxPaths,
  event: string,
  payloadFile: string,
  deliveryId: string | undefined,
  write: (line: string) => void = console.log,
): Promise<boolean> {
  const state = readState(paths.stateFile);
  if (!state) throw new SandboxNotRunningError(paths.stateFile);
  let body: Buffer;
  try {
    body = readFileSync(payloadFile);
  } catch (cause) {
    throw new UsageError(
      `Cannot read the payload file ${payloadFile} (${(cause as NodeJS.ErrnoException).code ?? String(cause)}). Fix: give the path of a JSON payload, e.g. sandbox/samples/pull-request-opened.json`,
      { cause },
    );
  }
  const answer = await sendDelivery(state.webhookUrl, state.webhookSecret, { event, body, ...(deliveryId ? { deliveryId } : {}) });
  write(`HTTP ${answer.status} (delivery ${answer.deliveryId})`);
  write(answer.body);
  return answer.status >= 200 && answer.status < 300;
}
