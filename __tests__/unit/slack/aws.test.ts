import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { SLACK_EVENT_SOURCE, SLACK_REQUEST_DETAIL_TYPE } from "../../../functions/shared/slack/bus-event";
import { SlackSigningSecretUnavailableError } from "../../../functions/shared/slack/signature";
import { SecretsManagerSlackSigningSecrets } from "../../../functions/shared/slack/signing-secret";
import { EventBridgeSlackBus, SlackBusUnavailableError } from "../../../functions/slack/aws";
import { commandBody, signedDetail } from "../../fixtures/slack/requests";

const TIME = new Date("2025-05-01T10:00:00.000Z");
const DETAIL = signedDetail("command", commandBody("status"), TIME);

describe("EventBridgeSlackBus", () => {
  const events = mockClient(EventBridgeClient);
  afterEach(() => events.reset());
  const bus = () => new EventBridgeSlackBus({ client: new EventBridgeClient({ region: "eu-west-1" }), eventBusName: "pipewright-github" });

  it("puts the request on the bus under the Slack source and detail type", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });
    await bus().publish(DETAIL, TIME);
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries).toEqual([
      {
        Source: SLACK_EVENT_SOURCE,
        DetailType: SLACK_REQUEST_DETAIL_TYPE,
        Detail: JSON.stringify(DETAIL),
        EventBusName: "pipewright-github",
        Time: TIME,
      },
    ]);
  });

  it("throws SlackBusUnavailableError when the entry is rejected or the call fails", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "try later" }] });
    await expect(bus().publish(DETAIL, TIME)).rejects.toThrow(/rejected Slack request .*InternalFailure: try later/);
    events.on(PutEventsCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    await expect(bus().publish(DETAIL, TIME)).rejects.toBeInstanceOf(SlackBusUnavailableError);
  });
});

describe("SecretsManagerSlackSigningSecrets", () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => secrets.reset());
  const source = () =>
    new SecretsManagerSlackSigningSecrets({ client: new SecretsManagerClient({ region: "eu-west-1" }), secretId: "pipewright/slack-signing-secret" });

  it("reads {current, previous}", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: "a", previous: "b" }) });
    expect(await source().getSecrets()).toEqual({ current: "a", previous: "b" });
  });

  it("names the Slack signing secret and the fix when it is unusable", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: "plain-secret" });
    const failure = source().getSecrets();
    await expect(failure).rejects.toBeInstanceOf(SlackSigningSecretUnavailableError);
    await expect(failure).rejects.toThrow(/pipewright\/slack-signing-secret is not JSON. Fix: store \{"current": "<Slack signing secret>"\}/);
  });
});
