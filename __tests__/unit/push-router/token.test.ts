import fc from "fast-check";
import { clientRequestToken } from "../../../functions/push-router/token";

const pipelineName = fc.stringMatching(/^[A-Za-z0-9.@_-]{1,100}$/);
const deliveryId = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 200, unit: "binary" }));

describe("clientRequestToken", () => {
  it("is always 1-128 characters of [a-zA-Z0-9-]", () => {
    fc.assert(
      fc.property(deliveryId, pipelineName, (delivery, pipeline) => {
        expect(clientRequestToken(delivery, pipeline)).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
      }),
    );
  });

  it("is the same for the same delivery and pipeline", () => {
    fc.assert(
      fc.property(deliveryId, pipelineName, (delivery, pipeline) => {
        expect(clientRequestToken(delivery, pipeline)).toBe(clientRequestToken(`${delivery}`, `${pipeline}`));
      }),
    );
  });

  it("differs across pipelines of one delivery", () => {
    fc.assert(
      fc.property(deliveryId, pipelineName, pipelineName, (delivery, a, b) => {
        fc.pre(a !== b);
        expect(clientRequestToken(delivery, a)).not.toBe(clientRequestToken(delivery, b));
      }),
    );
  });

  it("differs across deliveries of one pipeline", () => {
    fc.assert(
      fc.property(deliveryId, deliveryId, pipelineName, (a, b, pipeline) => {
        fc.pre(a !== b);
        expect(clientRequestToken(a, pipeline)).not.toBe(clientRequestToken(b, pipeline));
      }),
    );
  });

  it("keeps the delivery and pipeline apart where they meet", () => {
    expect(clientRequestToken("abc-1", "api")).not.toBe(clientRequestToken("abc", "1-api"));
  });
});
