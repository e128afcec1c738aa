import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DETAIL_TYPES, EVENT_SOURCE, type PushEvent } from "../../../functions/shared/events";
import { EventBridgeBusPublisher, SecretsManagerWebhookSecrets } from "../../../functions/webhook/aws";
import { BusUnavailableError, WebhookSecretUnavailableError } from "../../../functions/webhook/errors";
import { handler, makeHandler } from "../../../functions/webhook/handler";
import { REPOSITORIES_FILE_ENV } from "../../../functions/shared/repositories";
import {
  DELIVERY_ID,
  PREVIOUS_SECRET,
  REPOSITORY,
  SECRET,
  catalogOf,
  examplePayload,
  read,
  signedRequest,
  silentLogger,
} from "../../fixtures/webhook/deliveries";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pipewright/webhook-AbCdEf";
const BUS = "github";
const TIME = new Date("2025-11-22T03:55:00.000Z");

const pushEvent: PushEvent = {
  deliveryId: DELIVERY_ID,
  repository: "Codertocat/Hello-World",
  ref: "refs/heads/feature/x",
  before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  after: "a10867b14bb761a232cd80139fbd4c0d33264240",
  forced: false,
  created: false,
  deleted: false,
  changedFiles: ["README.md"],
  truncated: false,
  pushedAt: 1557933657,
};

const eventBridge = mockClient(EventBridgeClient);
const secretsManager = mockClient(SecretsManagerClient);

beforeEach(() => {
  eventBridge.reset();
  secretsManager.reset();
});

const noSleep = jest.fn(async () => {});

function publisher(maxAttempts = 3) {
  noSleep.mockClear();
  return new EventBridgeBusPublisher({ client: new EventBridgeClient({ region: "eu-west-1" }), eventBusName: BUS, maxAttempts, sleep: noSleep });
}

const accepted = { FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] };
const rejected = { FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "Internal failure" }] };

describe("EventBridgeBusPublisher", () => {
  it("puts one entry with the event source, the GitHub event name as detail type and the normalized event as detail", async () => {
    eventBridge.on(PutEventsCommand).resolves(accepted);
    await publisher().publish({ detailType: DETAIL_TYPES.push, detail: pushEvent }, TIME);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      Entries: [{ Source: EVENT_SOURCE, DetailType: "push", Detail: JSON.stringify(pushEvent), EventBusName: BUS, Time: TIME }],
    });
    expect(JSON.parse(calls[0].args[0].input.Entries![0].Detail!)).toEqual(pushEvent);
  });

  it("retries an entry that failed on its own, then succeeds", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce(rejected)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] })
      .resolves(accepted);
    await expect(publisher().publish({ detailType: DETAIL_TYPES.push, detail: pushEvent }, TIME)).resolves.toBeUndefined();
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(noSleep).toHaveBeenCalledTimes(2);
  });

  it("throws BusUnavailableError after a bounded number of attempts", async () => {
    eventBridge.on(PutEventsCommand).resolves(rejected);
    const failure = publisher(4).publish({ detailType: DETAIL_TYPES.push, detail: pushEvent }, TIME);
    await expect(failure).rejects.toThrow(BusUnavailableError);
    await expect(failure).rejects.toThrow(/InternalFailure/);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(4);
  });

  it("treats a response without entry results as a failure", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    await expect(publisher(2).publish({ detailType: DETAIL_TYPES.push, detail: pushEvent }, TIME)).rejects.toThrow(BusUnavailableError);
  });

  it("gives up when the whole publish takes longer than its time budget", async () => {
    // aws-sdk-client-mock replaces send() and ignores abort signals, so this client is hand-made.
    const hanging = {
      send: (_command: unknown, options: { abortSignal: AbortSignal }) =>
        new Promise((_resolve, reject) => options.abortSignal.addEventListener("abort", () => reject(options.abortSignal.reason))),
    } as unknown as EventBridgeClient;
    const started = Date.now();
    const failure = new EventBridgeBusPublisher({ client: hanging, eventBusName: BUS, timeoutMs: 50 }).publish(
      { detailType: DETAIL_TYPES.push, detail: pushEvent },
      TIME,
    );
    await expect(failure).rejects.toThrow(BusUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("wraps a failed call (after the SDK's own retries) in BusUnavailableError with its cause", async () => {
    const cause = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    eventBridge.on(PutEventsCommand).rejects(cause);
    let caught: unknown;
    try {
      await publisher().publish({ detailType: DETAIL_TYPES.push, detail: pushEvent }, TIME);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BusUnavailableError);
    expect((caught as BusUnavailableError).status).toBe(503);
    expect((caught as BusUnavailableError).cause).toBe(cause);
  });
});

describe("SecretsManagerWebhookSecrets", () => {
  const source = (clock = () => 0) =>
    new SecretsManagerWebhookSecrets({ client: new SecretsManagerClient({ region: "eu-west-1" }), secretId: SECRET_ARN, clock });

  it("reads {current, previous} and caches it", async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ SecretString: JSON.stringify({ current: SECRET, previous: PREVIOUS_SECRET }) });
    const secrets = source();
    await expect(secrets.getSecrets()).resolves.toEqual({ current: SECRET, previous: PREVIOUS_SECRET });
    await expect(secrets.getSecrets()).resolves.toEqual({ current: SECRET, previous: PREVIOUS_SECRET });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it("refreshes on request, but not more often than the minimum interval", async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ current: PREVIOUS_SECRET }) })
      .resolves({ SecretString: JSON.stringify({ current: SECRET, previous: PREVIOUS_SECRET }) });
    let now = 1_000_000;
    const secrets = source(() => now);
    await secrets.getSecrets();
    await expect(secrets.getSecrets({ forceRefresh: true })).resolves.toEqual({ current: SECRET, previous: PREVIOUS_SECRET });
    await secrets.getSecrets({ forceRefresh: true });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    now += 30_000;
    await secrets.getSecrets({ forceRefresh: true });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it("throws WebhookSecretUnavailableError naming the secret and the fix when it cannot be read", async () => {
    secretsManager.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "not found", $metadata: {} }));
    await expect(source().getSecrets()).rejects.toThrow(WebhookSecretUnavailableError);
    await expect(source().getSecrets()).rejects.toThrow(/pipewright\/webhook.*Fix:/);
  });

  it("throws WebhookSecretUnavailableError for a plain-text secret, without its value", async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: "just-the-secret" });
    const failure = source().getSecrets();
    await expect(failure).rejects.toThrow(WebhookSecretUnavailableError);
    await expect(failure).rejects.not.toThrow(/just-the-secret/);
  });

  it("throws WebhookSecretUnavailableError for a binary secret", async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    await expect(source().getSecrets()).rejects.toThrow(/no string value/);
  });
});

describe("handler with the real adapters on mocked clients", () => {
  function handlerOnMocks() {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: SECRET }) });
    return makeHandler({
      secrets: new SecretsManagerWebhookSecrets({ client: new SecretsManagerClient({ region: "eu-west-1" }), secretId: SECRET_ARN }),
      bus: new EventBridgeBusPublisher({ client: new EventBridgeClient({ region: "eu-west-1" }), eventBusName: BUS, sleep: async () => {} }),
      repositories: catalogOf([REPOSITORY]),
      logger: silentLogger(),
      now: () => TIME,
    });
  }
  const delivery = () => signedRequest(JSON.stringify(examplePayload("pull_request", "synchronize")), { event: "pull_request" });

  it("answers 202 after a partial failure was retried", async () => {
    eventBridge.on(PutEventsCommand).resolvesOnce(rejected).resolves(accepted);
    const result = read(await handlerOnMocks()(delivery()));
    expect(result).toEqual({ status: 202, body: { deliveryId: DELIVERY_ID, status: "accepted" } });
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input.Entries![0]).toMatchObject({ Source: EVENT_SOURCE, DetailType: "pull_request", EventBusName: BUS });
  });

  it("answers 503 when the bus keeps failing", async () => {
    eventBridge.on(PutEventsCommand).resolves(rejected);
    const result = read(await handlerOnMocks()(delivery()));
    expect(result.status).toBe(503);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it("answers 503 when the secret cannot be read, and never calls the bus", async () => {
    const handle = handlerOnMocks();
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).rejects(new Error("AccessDeniedException"));
    const result = read(await handle(delivery()));
    expect(result.status).toBe(503);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe("the Lambda entry point", () => {
  // The entry point keeps the handler it built for the module's lifetime, like a
  // warm Lambda. jest.isolateModules would also load a second copy of the SDK that
  // aws-sdk-client-mock does not mock, so these two tests share the module and run
  // in this order: a failed build is not kept, the next call builds again.
  const context = { awsRequestId: "req-1", functionName: "pipewright-webhook" } as never;
  const saved = { ...process.env };
  const folder = mkdtempSync(path.join(tmpdir(), "pipewright-webhook-"));
  const catalogFile = path.join(folder, "repositories.json");
  writeFileSync(
    catalogFile,
    JSON.stringify({
      repositories: [
        {
          repository: "Codertocat/Hello-World",
          mainBranch: "main",
          forkLabel: "safe-to-test",
          services: [{ name: "api", pipeline: "pipewright-api", include: ["services/api/**"] }],
        },
      ],
    }),
  );
  const deployed = () => ({
    ...saved,
    WEBHOOK_SECRET_ARN: SECRET_ARN,
    EVENT_BUS_NAME: BUS,
    [REPOSITORIES_FILE_ENV]: catalogFile,
    AWS_REGION: "eu-west-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });

  afterEach(() => {
    process.env = { ...saved };
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("answers 500 and calls nothing when an environment variable is missing", async () => {
    process.env = deployed();
    delete process.env.WEBHOOK_SECRET_ARN;
    const result = read(await handler(signedRequest("{}", { event: "push" }), context));
    expect(result).toEqual({ status: 500, body: { message: "Internal error" } });
    expect(secretsManager.calls()).toHaveLength(0);
    expect(eventBridge.calls()).toHaveLength(0);
  });

  it("answers 500 and calls nothing when the bundled repository catalog is missing", async () => {
    process.env = { ...deployed(), [REPOSITORIES_FILE_ENV]: path.join(folder, "absent.json") };
    const result = read(await handler(signedRequest("{}", { event: "push" }), context));
    expect(result).toEqual({ status: 500, body: { message: "Internal error" } });
    expect(secretsManager.calls()).toHaveLength(0);
    expect(eventBridge.calls()).toHaveLength(0);
  });

  it("builds real clients and reads the catalog on the first successful call, and handles the delivery", async () => {
    process.env = deployed();
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ current: SECRET }) });
    eventBridge.on(PutEventsCommand).resolves(accepted);
    const result = read(await handler(signedRequest(JSON.stringify(examplePayload("push")), { event: "push" }), context));
    expect(result).toEqual({ status: 202, body: { deliveryId: DELIVERY_ID, status: "accepted" } });
    expect(eventBridge.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0].EventBusName).toBe(BUS);
  });

  it("keeps the catalog it read for the function's lifetime: a repository outside it is ignored", async () => {
    process.env = { ...deployed(), [REPOSITORIES_FILE_ENV]: path.join(folder, "absent.json") };
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ current: SECRET }) });
    const payload = examplePayload("push");
    payload.repository.full_name = "octo-org/elsewhere";
    const result = read(await handler(signedRequest(JSON.stringify(payload), { event: "push" }), context));
    expect(result.body).toMatchObject({ status: "ignored", reason: expect.stringContaining("octo-org/elsewhere is not configured") });
    expect(eventBridge.calls()).toHaveLength(0);
  });
});
