import { responseUrlPoster, SlackResponseUrlError } from "../../../../functions/shared/slack/response-url";
import { FakeHttpServer } from "../../../support/fake-http";

describe("responseUrlPoster", () => {
  let slack: FakeHttpServer;
  beforeEach(async () => {
    slack = await FakeHttpServer.start(() => ({ status: 200, body: "ok" }));
  });
  afterEach(() => slack.stop());
  const post = responseUrlPoster({ policy: { retryBaseDelayMs: 1, timeoutMs: 1_000 } });

  it("posts the message as JSON, ephemeral unless told otherwise", async () => {
    await post(`${slack.url}/response/1`, { text: "Working on it" });
    await post(`${slack.url}/response/1`, { text: "Done", response_type: "in_channel", replace_original: true });
    expect(slack.requests.map((request) => [request.path, request.headers["content-type"], request.json()])).toEqual([
      ["/response/1", "application/json; charset=utf-8", { response_type: "ephemeral", text: "Working on it" }],
      ["/response/1", "application/json; charset=utf-8", { response_type: "in_channel", text: "Done", replace_original: true }],
    ]);
  });

  it("retries a 5xx answer, never a 4xx one, and names the host but not the path", async () => {
    slack.respond((_request, count) => (count === 0 ? { status: 500, body: "oops" } : { status: 200, body: "ok" }));
    await post(`${slack.url}/response/secret-path`, { text: "a" });
    expect(slack.requests).toHaveLength(2);

    slack.respond(() => ({ status: 404, body: "expired_url" }));
    const failure = post(`${slack.url}/response/secret-path`, { text: "a" });
    await expect(failure).rejects.toBeInstanceOf(SlackResponseUrlError);
    await expect(failure).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/answered 404: expired_url/) });
    await expect(failure).rejects.not.toThrow(/secret-path/);
    expect(slack.requests).toHaveLength(3);
  });

  it("gives up after the policy's attempts on a request that hangs", async () => {
    slack.respond(() => ({ status: 200, delayMs: 1_000 }));
    const hurried = responseUrlPoster({ policy: { retryBaseDelayMs: 1, timeoutMs: 50, retries: 1 } });
    await expect(hurried(`${slack.url}/response/1`, { text: "a" })).rejects.toThrow(/timed out after 50 ms \(2 attempts\)/);
  });

  it.each(["http://hooks.slack.com/actions/1", "file:///etc/passwd", "not a url"])("refuses to post to %s", async (url) => {
    await expect(post(url, { text: "a" })).rejects.toBeInstanceOf(SlackResponseUrlError);
  });
});
