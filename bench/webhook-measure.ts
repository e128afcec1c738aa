import { randomUUID } from "node:crypto";
import { examplePayload, handlerWithFakes, signedRequest } from "../__tests__/fixtures/webhook/deliveries";
import { summarize } from "./stats";

/**
 * Per-delivery handling time of the webhook handler, network excluded:
 * signature check, validation, normalization and the hand-off to a bus that
 * answers at once. Real GitHub payloads (pull_request opened and push), each
 * signed, alternating; logging is silenced so stdout does not dominate.
 * Bundled and run by bench/webhook.ts; prints its figures as JSON.
 */
async function measure(deliveries = 1000, warmup = 50) {
  const { handle } = handlerWithFakes();
  const bodies = [
    { event: "pull_request", body: JSON.stringify(examplePayload("pull_request", "opened")) },
    { event: "push", body: JSON.stringify(examplePayload("push")) },
  ];
  const requests = Array.from({ length: deliveries + warmup }, (_, i) => {
    const { event, body } = bodies[i % bodies.length];
    return signedRequest(body, { event, deliveryId: randomUUID() });
  });
  const samples: number[] = [];
  let accepted = 0;
  for (const [i, request] of requests.entries()) {
    const started = process.hrtime.bigint();
    const result = await handle(request);
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (i < warmup) continue;
    samples.push(elapsed);
    if (result.statusCode === 202) accepted++;
  }
  return { ...summarize(samples), accepted };
}

measure().then((figures) => process.stdout.write(JSON.stringify(figures)));
