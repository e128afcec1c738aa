import {
  CLAIM_CONCURRENCY,
  claimPipelines,
  PushClaimFailedError,
  type ClaimOutcome,
  type PushOrderStore,
} from "../../../functions/push-router/claim";
import type { OrderedPush } from "../../../functions/push-router/order";
import { PUSHED_AT, sha } from "./fixtures";

const push: OrderedPush = { deliveryId: "delivery-1", before: sha("1"), after: sha("2"), pushedAt: PUSHED_AT };
const newer: OrderedPush = { deliveryId: "delivery-2", before: sha("2"), after: sha("3"), pushedAt: PUSHED_AT + 1 };

/** A store answering per pipeline after a delay, recording how many claims ran at once. */
function store(answers: Record<string, ClaimOutcome | Error>, delayMs = 5) {
  let running = 0;
  const seen = { most: 0, claimed: [] as string[] };
  const fake: PushOrderStore = {
    async claim(pipeline, claimed) {
      expect(claimed).toBe(push);
      running++;
      seen.most = Math.max(seen.most, running);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      running--;
      seen.claimed.push(pipeline);
      const answer = answers[pipeline] ?? { admitted: true };
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { fake, seen };
}

describe("claimPipelines", () => {
  it("claims the pipelines side by side and splits them into admitted and ignored, in the order asked", async () => {
    const { fake, seen } = store({ "pw-web": { admitted: false, reason: "older", newest: newer } });
    const claims = await claimPipelines(fake, ["pw-api", "pw-web", "pw-infra"], push);
    expect(claims).toEqual({ admitted: ["pw-api", "pw-infra"], ignored: [{ pipeline: "pw-web", reason: "older", newest: newer }] });
    expect(seen.most).toBe(3);
  });

  it(`runs at most ${CLAIM_CONCURRENCY} claims at once`, async () => {
    const { fake, seen } = store({}, 2);
    const pipelines = Array.from({ length: CLAIM_CONCURRENCY * 2 + 1 }, (_, index) => `pw-${index}`);
    expect((await claimPipelines(fake, pipelines, push)).admitted).toEqual(pipelines);
    expect(seen.most).toBe(CLAIM_CONCURRENCY);
  });

  it("claims nothing for no pipeline", async () => {
    const { fake, seen } = store({});
    expect(await claimPipelines(fake, [], push)).toEqual({ admitted: [], ignored: [] });
    expect(seen.claimed).toEqual([]);
  });

  it("a failed claim is a named error naming the pipeline, the push and the cause, once the claims in progress settled", async () => {
    const { fake, seen } = store({ "pw-web": new Error("ProvisionedThroughputExceededException: slow down") });
    const error = (await claimPipelines(fake, ["pw-api", "pw-web", "pw-infra"], push).catch((e: unknown) => e)) as PushClaimFailedError;
    expect(error).toBeInstanceOf(PushClaimFailedError);
    expect(error.pipeline).toBe("pw-web");
    expect(error.message).toContain(`commit ${push.after} (delivery delivery-1) as the newest push of pipeline pw-web`);
    expect(error.message).toContain("Error: ProvisionedThroughputExceededException: slow down");
    expect(error.message).toMatch(/No pipeline was started for this push.*Fix/);
    expect((error.cause as Error).message).toMatch(/slow down/);
    expect(seen.claimed.sort()).toEqual(["pw-api", "pw-infra", "pw-web"]);
  });
});
