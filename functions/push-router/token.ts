import { createHash } from "node:crypto";

/**
 * The clientRequestToken of a StartPipelineExecution: the same for the same
 * webhook delivery and pipeline, so an EventBridge or Lambda retry, or a
 * GitHub redelivery (which keeps X-GitHub-Delivery), does not start twice.
 * 64 lowercase hex characters: within CodePipeline's 1-128 of [a-zA-Z0-9-].
 */
export function clientRequestToken(deliveryId: string, pipeline: string): string {
  // JSON keeps the two parts apart: ("a:b", "c") and ("a", "b:c") differ.
  return createHash("sha256")
    .update(JSON.stringify([deliveryId, pipeline]))
    .digest("hex");
}
