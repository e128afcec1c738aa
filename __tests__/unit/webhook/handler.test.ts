import { DETAIL_TYPES, pullRequestEventSchema, pushEventSchema } from "../../../functions/shared/events";
import { BusUnavailableError, WebhookSecretUnavailableError } from "../../../functions/webhook/errors";
import { MAX_BODY_BYTES } from "../../../functions/webhook/request";
import {
  DELIVERY_ID,
  FakeBus,
  FakeSecrets,
  PREVIOUS_SECRET,
  RECEIVED_AT,
  REPOSITORY,
  SECRET,
  apiGatewayEvent,
  catalogOf,
  examplePayload,
  examplePayloadWhere,
  handlerWithFakes,
  read,
  signatureFor,
  signedRequest,
  silentLogger,
} from "../../fixtures/webhook/deliveries";

const HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

describe("webhook handler with real GitHub payloads", () => {
  it("answers a ping with 200 and publishes nothing", async () => {
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(JSON.stringify(examplePayload("ping")), { event: "ping" })));
    expect(result).toEqual({ status: 200, body: { deliveryId: DELIVERY_ID, message: "pong" } });
    expect(bus.published).toHaveLength(0);
  });

  it("normalizes pull_request opened from a branch with a slash and publishes it", async () => {
    const payload = examplePayload("pull_request", "opened");
    payload.pull_request.head.ref = "feature/login/form";
    const { handle, bus } = handlerWithFakes();

    const result = read(await handle(signedRequest(JSON.stringify(payload), { event: "pull_request" })));

    expect(result).toEqual({ status: 202, body: { deliveryId: DELIVERY_ID, status: "accepted" } });
    expect(bus.published).toHaveLength(1);
    expect(bus.published[0].time).toEqual(RECEIVED_AT);
    expect(bus.published[0].event).toEqual({
      detailType: DETAIL_TYPES.pullRequest,
      detail: {
        deliveryId: DELIVERY_ID,
        repository: "Codertocat/Hello-World",
        number: 2,
        action: "opened",
        headRef: "feature/login/form",
        headSha: HEAD_SHA,
        headRepository: "Codertocat/Hello-World",
        baseRef: "master",
        updatedAt: "2019-05-15T15:20:33Z",
        fromFork: false,
        draft: false,
        merged: false,
        labels: [],
        htmlUrl: "https://github.com/Codertocat/Hello-World/pull/2",
      },
    });
    expect(pullRequestEventSchema.parse(bus.published[0].event.detail)).toEqual(bus.published[0].event.detail);
  });

  it("publishes pull_request synchronize with its labels", async () => {
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(JSON.stringify(examplePayload("pull_request", "synchronize")), { event: "pull_request" })));
    expect(result.status).toBe(202);
    expect(bus.published[0].event.detail).toMatchObject({ action: "synchronize", labels: ["bug"], headSha: HEAD_SHA });
  });

  it("publishes pull_request closed with merged and the head of a fork", async () => {
    const payload = examplePayload("pull_request", "closed");
    payload.pull_request.merged = true;
    payload.pull_request.head.repo.full_name = "contributor/Hello-World";
    const { handle, bus } = handlerWithFakes();

    const result = read(await handle(signedRequest(JSON.stringify(payload), { event: "pull_request" })));

    expect(result.status).toBe(202);
    expect(bus.published[0].event.detail).toMatchObject({
      action: "closed",
      merged: true,
      fromFork: true,
      headRepository: "contributor/Hello-World",
      updatedAt: "2019-05-15T15:21:18Z",
    });
  });

  it("publishes pull_request labeled with the label added", async () => {
    const { handle, bus } = handlerWithFakes();
    await handle(signedRequest(JSON.stringify(examplePayload("pull_request", "labeled")), { event: "pull_request" }));
    expect(bus.published[0].event.detail).toMatchObject({ action: "labeled", label: "bug", labels: ["bug"] });
  });

  it.each(["reopened", "ready_for_review"])("publishes pull_request %s", async (action) => {
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(JSON.stringify(examplePayload("pull_request", action)), { event: "pull_request" })));
    expect(result.body).toEqual({ deliveryId: DELIVERY_ID, status: "accepted" });
    expect(bus.published.map((entry) => entry.event.detail)).toEqual([expect.objectContaining({ action })]);
  });

  it.each(["assigned", "converted_to_draft", "locked", "review_requested", "unlabeled"])(
    "ignores pull_request %s without publishing",
    async (action) => {
      const { handle, bus } = handlerWithFakes();
      const result = read(await handle(signedRequest(JSON.stringify(examplePayload("pull_request", action)), { event: "pull_request" })));
      expect(result).toEqual({
        status: 202,
        body: { deliveryId: DELIVERY_ID, status: "ignored", reason: `pull_request action ${action} is not used by pipewright` },
      });
      expect(bus.published).toHaveLength(0);
    },
  );

  it("normalizes a push to a new branch: files of the listed commit, truncated because the ref was created", async () => {
    const { handle, bus } = handlerWithFakes();

    const result = read(await handle(signedRequest(JSON.stringify(branchCreationPush()), { event: "push" })));

    expect(result).toEqual({ status: 202, body: { deliveryId: DELIVERY_ID, status: "accepted" } });
    expect(bus.published[0].event).toEqual({
      detailType: DETAIL_TYPES.push,
      detail: {
        deliveryId: DELIVERY_ID,
        repository: "Codertocat/Hello-World",
        ref: "refs/heads/master",
        before: "0000000000000000000000000000000000000000",
        after: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        forced: false,
        created: true,
        deleted: false,
        changedFiles: ["README.md"],
        truncated: true,
        pushedAt: 1557933657,
        // The example is a GitHub App's delivery.
        installationId: 1,
      },
    });
    expect(pushEventSchema.parse(bus.published[0].event.detail)).toEqual(bus.published[0].event.detail);
  });

  it("normalizes a push to a branch with a slash: union of the commits' files, not truncated", async () => {
    const payload = branchCreationPush();
    payload.ref = "refs/heads/feature/login";
    payload.created = false;
    payload.before = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    payload.after = "a10867b14bb761a232cd80139fbd4c0d33264240";
    const commit = payload.commits[0];
    payload.commits = [
      { ...commit, added: ["services/api/handler.ts"], modified: ["README.md"], removed: [] },
      { ...commit, added: [], modified: ["services/api/handler.ts", "package.json"], removed: ["old/file.txt"] },
    ];
    const { handle, bus } = handlerWithFakes();

    expect(read(await handle(signedRequest(JSON.stringify(payload), { event: "push" }))).status).toBe(202);
    expect(bus.published[0].event.detail).toMatchObject({
      ref: "refs/heads/feature/login",
      changedFiles: ["services/api/handler.ts", "README.md", "package.json", "old/file.txt"],
      truncated: false,
      created: false,
    });
  });

  it("publishes a tag deletion with no files", async () => {
    const { handle, bus } = handlerWithFakes();
    const deletion = examplePayloadWhere("push", (payload) => payload.deleted === true);
    expect(read(await handle(signedRequest(JSON.stringify(deletion), { event: "push" }))).status).toBe(202);
    expect(bus.published[0].event.detail).toMatchObject({ ref: "refs/tags/simple-tag", deleted: true, changedFiles: [], truncated: false });
  });
});

/** The push example that creates refs/heads/master with one commit adding README.md. */
function branchCreationPush(): Record<string, any> {
  return examplePayloadWhere("push", (payload) => payload.ref === "refs/heads/master" && payload.commits.length > 0);
}

describe("webhook handler: what it refuses", () => {
  const pullRequestBody = () => JSON.stringify(examplePayload("pull_request", "opened"));

  it("accepts a base64-encoded body (API Gateway encodes binary content types)", async () => {
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(pullRequestBody(), { event: "pull_request", base64: true })));
    expect(result.status).toBe(202);
    expect(bus.published).toHaveLength(1);
  });

  it("verifies a base64-encoded body with non-ASCII text against its UTF-8 bytes", async () => {
    const payload = examplePayload("pull_request", "opened");
    payload.pull_request.head.ref = "feature/caf\u00e9-\u{1F680}";
    const body = JSON.stringify(payload);
    const { handle, bus } = handlerWithFakes();
    const result = read(
      await handle(signedRequest(body, { event: "pull_request", base64: true, signature: signatureFor(Buffer.from(body, "utf8")) })),
    );
    expect(result.status).toBe(202);
    expect(bus.published[0].event.detail).toMatchObject({ headRef: "feature/caf\u00e9-\u{1F680}" });
  });

  it("refuses a body over 10 MB with 413 before reading the secret", async () => {
    const { handle, bus, secrets } = handlerWithFakes();
    const body = " ".repeat(MAX_BODY_BYTES + 1);
    const result = read(await handle(signedRequest(body, { event: "push" })));
    expect(result.status).toBe(413);
    expect(secrets.calls).toHaveLength(0);
    expect(bus.published).toHaveLength(0);
  });

  it("refuses a base64-encoded body whose decoded size is over 10 MB, and accepts one of exactly 10 MB", async () => {
    const { handle, secrets } = handlerWithFakes();
    const over = read(await handle(signedRequest(" ".repeat(MAX_BODY_BYTES + 1), { base64: true, signature: null })));
    expect(over.status).toBe(413);
    expect(secrets.calls).toHaveLength(0);
    // Exactly 10 MB decoded is about 13.3 MB encoded: still accepted, so it goes on to the signature check.
    const exact = read(await handle(signedRequest(" ".repeat(MAX_BODY_BYTES), { base64: true, signature: null })));
    expect(exact.status).toBe(401);
  });

  it.each<[string, (body: string) => string | null]>([
    ["missing", () => null],
    ["empty", () => ""],
    ["blank", () => "   "],
    ["malformed (sha1)", () => "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6"],
    ["malformed (short)", () => "sha256=757107ea0eb2509fc2"],
    ["malformed (not hex)", () => `sha256=${"z".repeat(64)}`],
    ["malformed (two signatures)", (body) => `${signatureFor(body)},${signatureFor(body)}`],
    ["wrong (another body)", () => signatureFor("another body")],
    ["wrong (another secret)", (body) => signatureFor(body, "not-the-secret")],
  ])("answers 401 to a %s signature and publishes nothing", async (_label, signatureOf) => {
    const { handle, bus } = handlerWithFakes();
    const body = pullRequestBody();
    const result = read(await handle(signedRequest(body, { event: "pull_request", signature: signatureOf(body) })));
    expect(result.status).toBe(401);
    expect(Object.keys(result.body)).toEqual(["message"]);
    expect(bus.published).toHaveLength(0);
  });

  it("answers 401 to a signed request without a body", async () => {
    const { handle, bus } = handlerWithFakes();
    const result = read(
      await handle(
        apiGatewayEvent({ "x-github-event": "push", "x-github-delivery": DELIVERY_ID, "x-hub-signature-256": signatureFor("{}") }, undefined),
      ),
    );
    expect(result.status).toBe(401);
    expect(bus.published).toHaveLength(0);
  });

  it("does not fetch the secret for a request without a usable signature header", async () => {
    const { handle, secrets } = handlerWithFakes();
    await handle(signedRequest(pullRequestBody(), { event: "pull_request", signature: null }));
    expect(secrets.calls).toHaveLength(0);
  });

  it("reads headers whatever the case of their names", async () => {
    const body = pullRequestBody();
    const { handle, bus } = handlerWithFakes();
    const request = apiGatewayEvent(
      {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": DELIVERY_ID,
        "X-Hub-Signature-256": signatureFor(body),
        "Content-Type": "application/json",
      },
      body,
    );
    expect(read(await handle(request)).status).toBe(202);
    expect(bus.published).toHaveLength(1);
  });

  it("accepts a delivery signed with the previous secret during a rotation", async () => {
    const secrets = new FakeSecrets({ current: SECRET, previous: PREVIOUS_SECRET });
    const { handle, bus } = handlerWithFakes({ secrets });
    const result = read(await handle(signedRequest(pullRequestBody(), { event: "pull_request", secret: PREVIOUS_SECRET })));
    expect(result.status).toBe(202);
    expect(bus.published).toHaveLength(1);
  });

  it("re-reads the secret once on a mismatch, so a rotation newer than the cache still verifies", async () => {
    const secrets = new FakeSecrets({ current: PREVIOUS_SECRET });
    secrets.next = { current: SECRET, previous: PREVIOUS_SECRET };
    const { handle, bus } = handlerWithFakes({ secrets });
    const result = read(await handle(signedRequest(pullRequestBody(), { event: "pull_request" })));
    expect(result.status).toBe(202);
    expect(secrets.calls).toEqual([{}, { forceRefresh: true }]);
    expect(bus.published).toHaveLength(1);
  });

  it("answers 401 when the re-read secret is the same", async () => {
    const { handle, secrets } = handlerWithFakes();
    const result = read(await handle(signedRequest(pullRequestBody(), { event: "pull_request", secret: "forged" })));
    expect(result.status).toBe(401);
    expect(secrets.calls).toEqual([{}, { forceRefresh: true }]);
  });

  it.each([
    ["X-GitHub-Event missing", { "x-github-event": "" }, "The X-GitHub-Event header is missing"],
    ["X-GitHub-Delivery missing", { "x-github-delivery": "" }, "The X-GitHub-Delivery header is missing"],
    ["X-GitHub-Delivery malformed", { "x-github-delivery": 'abc\n{"forged":1}' }, "The X-GitHub-Delivery header is not a delivery id"],
  ])("answers 400 to a signed delivery with %s", async (_label, headers, message) => {
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(pullRequestBody(), { event: "pull_request", headers })));
    expect(result).toEqual({ status: 400, body: { message } });
    expect(bus.published).toHaveLength(0);
  });

  it.each([
    ["not JSON", "{not json", "The body is not JSON"],
    ["a JSON array", "[1,2]", "The body is not a JSON object"],
    ["JSON null", "null", "The body is not a JSON object"],
    ["a JSON string", '"pull_request"', "The body is not a JSON object"],
  ])("answers 400 to a signed body that is %s", async (_label, body, message) => {
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(body, { event: "pull_request" })));
    expect(result).toEqual({ status: 400, body: { message } });
    expect(bus.published).toHaveLength(0);
  });

  it("tells how to fix a form-encoded delivery", async () => {
    const body = `payload=${encodeURIComponent(pullRequestBody())}`;
    const { handle } = handlerWithFakes();
    const result = read(
      await handle(signedRequest(body, { event: "pull_request", headers: { "content-type": "application/x-www-form-urlencoded" } })),
    );
    expect(result.status).toBe(400);
    expect(result.body.message).toMatch(/application\/json/);
  });

  it("answers 400 naming the field when a handled payload fails validation, without echoing values", async () => {
    const payload = examplePayload("pull_request", "opened");
    payload.pull_request.head.sha = "SECRET-LOOKING-VALUE";
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(JSON.stringify(payload), { event: "pull_request" })));
    expect(result.status).toBe(400);
    expect(result.body.message).toContain("pull_request.head.sha");
    expect(JSON.stringify(result.body)).not.toContain("SECRET-LOOKING-VALUE");
    expect(bus.published).toHaveLength(0);
  });

  it("answers 400 to a push payload without commits", async () => {
    const payload = examplePayload("push");
    delete payload.commits;
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(JSON.stringify(payload), { event: "push" })));
    expect(result.status).toBe(400);
    expect(result.body.message).toContain("commits");
    expect(bus.published).toHaveLength(0);
  });

  it.each<[string, unknown]>([
    ["missing", undefined],
    ["an ISO string, as in other events", "2019-05-15T15:20:32Z"],
    ["not whole seconds", 1557933657.5],
  ])("answers 400 to a push payload whose repository.pushed_at is %s, naming the field", async (_name, pushedAt) => {
    const payload = examplePayload("push");
    payload.repository.pushed_at = pushedAt;
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(JSON.stringify(payload), { event: "push" })));
    expect(result.status).toBe(400);
    expect(result.body.message).toContain("The push payload is not valid at repository.pushed_at: expected");
    expect(bus.published).toHaveLength(0);
  });

  it("ignores deliveries of a repository that is not configured, naming it and the fix", async () => {
    const { handle, bus } = handlerWithFakes({ repositories: catalogOf(["octo-org/monorepo"]) });
    const result = read(await handle(signedRequest(pullRequestBody(), { event: "pull_request" })));
    expect(result).toEqual({
      status: 202,
      body: {
        deliveryId: DELIVERY_ID,
        status: "ignored",
        reason:
          "repository Codertocat/Hello-World is not configured in pipewright. Fix: add it to repositories[] of the configuration if its changes should start pipelines",
      },
    });
    expect(bus.published).toHaveLength(0);
  });

  it.each(["issues", "workflow_run", "check_suite"])("ignores %s deliveries", async (event) => {
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(signedRequest(JSON.stringify(examplePayload(event)), { event })));
    expect(result).toEqual({ status: 202, body: { deliveryId: DELIVERY_ID, status: "ignored", reason: `event ${event} is not used by pipewright` } });
    expect(bus.published).toHaveLength(0);
  });
});

describe("webhook handler: when AWS fails", () => {
  it("answers 503 with a generic message when the bus stays unavailable", async () => {
    const bus = new FakeBus();
    bus.failWith = new BusUnavailableError("Event bus github rejected the event 3 times (InternalFailure)");
    const { handle } = handlerWithFakes({ bus });
    const result = read(await handle(signedRequest(JSON.stringify(examplePayload("pull_request", "opened")), { event: "pull_request" })));
    expect(result.status).toBe(503);
    expect(result.body.message).not.toContain("github");
  });

  it("answers 503 when the secret cannot be read", async () => {
    const secrets = new FakeSecrets();
    secrets.failWith = new WebhookSecretUnavailableError("Could not read the webhook secret arn:...");
    const { handle } = handlerWithFakes({ secrets });
    const result = read(await handle(signedRequest("{}", { event: "push" })));
    expect(result.status).toBe(503);
  });

  it("answers 500 (not a crash) to an unexpected error", async () => {
    const bus = new FakeBus();
    bus.failWith = new RangeError("bug");
    const { handle } = handlerWithFakes({ bus });
    const result = read(await handle(signedRequest(JSON.stringify(examplePayload("pull_request", "opened")), { event: "pull_request" })));
    expect(result).toEqual({ status: 500, body: { message: "Internal error" } });
  });
});

describe("webhook handler logs", () => {
  it("logs delivery, event, action, repository and outcome, never the secret, the signature or the payload", async () => {
    const logger = silentLogger();
    const lines: unknown[] = [];
    for (const level of ["debug", "info", "warn", "error"] as const) {
      jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        lines.push(args);
      });
    }
    const { handle } = handlerWithFakes({ logger });
    const payload = examplePayload("pull_request", "opened");
    payload.pull_request.body = "PAYLOAD-MARKER";
    const body = JSON.stringify(payload);
    const signature = signatureFor(body);

    await handle(signedRequest(body, { event: "pull_request", signature }));
    await handle(signedRequest(body, { event: "pull_request", secret: "wrong" }));

    expect(lines[0]).toEqual([
      "Webhook delivery handled",
      expect.objectContaining({
        deliveryId: DELIVERY_ID,
        event: "pull_request",
        action: "opened",
        repository: REPOSITORY,
        outcome: "accepted",
        status: 202,
      }),
    ]);
    expect(lines[1]).toEqual(["Webhook delivery refused", expect.objectContaining({ outcome: "refused", status: 401 })]);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(signature.slice(7));
    expect(logged).not.toContain("PAYLOAD-MARKER");
  });
});
