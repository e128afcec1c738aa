import { readFileSync } from "node:fs";
import { SandboxNotRunningError, UsageError } from "../errors";
import type { SandboxPaths } from "../paths";
import { moveToRepository } from "../payload-repository";
import { readState } from "../state";
import { sendDelivery } from "../webhook-client";

export interface SendOptions {
  /** X-GitHub-Event. */
  readonly event: string;
  readonly payloadFile: string;
  /** X-GitHub-Delivery of a redelivery. @default a new one */
  readonly deliveryId?: string;
  /** owner/name to move the payload to before it is signed. @default the payload is sent as the file has it */
  readonly repository?: string;
}

/**
 * `npm run sandbox -- send <event> <payload.json> [--repository <owner/name>] [--delivery <id>]`:
 * signs the file's bytes (moved to `--repository` first, when given) with the
 * sandbox's webhook secret, posts them as GitHub would, and prints the
 * answer. Returns whether the answer was 2xx.
 */
export async function send(paths: SandboxPaths, options: SendOptions, write: (line: string) => void = console.log): Promise<boolean> {
  const state = readState(paths.stateFile);
  if (!state) throw new SandboxNotRunningError(paths.stateFile);
  const { event, payloadFile, deliveryId, repository } = options;
  let body: Buffer | string;
  try {
    body = readFileSync(payloadFile);
  } catch (cause) {
    throw new UsageError(
      `Cannot read the payload file ${payloadFile} (${(cause as NodeJS.ErrnoException).code ?? String(cause)}). Fix: give the path of a JSON payload, e.g. sandbox/samples/pull-request-opened.json`,
      { cause },
    );
  }
  if (repository !== undefined) {
    body = moveToRepository(body, repository, payloadFile);
    const served = state.repositories.map((r) => r.repository);
    if (!served.some((r) => r.toLowerCase() === repository.toLowerCase())) {
      // Sent anyway: this is how to see the webhook ignore an unconfigured repository.
      write(`Note: ${repository} is not a repository of this sandbox (it serves ${served.join(", ")}); the webhook will ignore the delivery.`);
    }
  }
  const answer = await sendDelivery(state.webhookUrl, state.webhookSecret, { event, body, ...(deliveryId ? { deliveryId } : {}) });
  write(`HTTP ${answer.status} (delivery ${answer.deliveryId})`);
  write(answer.body);
  return answer.status >= 200 && answer.status < 300;
}
