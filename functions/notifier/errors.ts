/** Named errors of the notifier. Each says what happened, to what, and what to do. */

/** The event is not one of CodePipeline's execution state-change events. */
export class InvalidCodePipelineEventError extends Error {
  constructor(
    readonly eventId: string | undefined,
    readonly problems: readonly string[],
  ) {
    super(
      `Event ${eventId ?? "(no id)"} is not a CodePipeline execution state-change event: ${problems.join("; ")}. ` +
        "Fix: check the pattern of the notifier's rule (source aws.codepipeline, the three execution state-change detail types)",
    );
    this.name = "InvalidCodePipelineEventError";
  }
}

/** The environment asks for both ways of posting to Slack: the incoming webhook and the Slack app (bot mode). */
export class ConflictingSlackModesError extends Error {
  constructor(readonly botVariables: readonly string[]) {
    super(
      `Environment variables SLACK_WEBHOOK_SECRET_ARN and ${botVariables.join(", ")} are both set: the notifier posts to Slack either ` +
        "through an incoming webhook or as the Slack app (bot mode), not both. Fix: choose one in the configuration's notifications.slack " +
        '(true or {"mode": "webhook"} for the webhook, {"mode": "bot", "channel": "C..."} for the app) and deploy again through the pipewright stacks, ' +
        "which set the variables of that mode only",
    );
    this.name = "ConflictingSlackModesError";
  }
}

/** A secret holds a value the notifier cannot use. */
export class SecretValueError extends Error {
  constructor(
    readonly secretArn: string,
    problem: string,
    fix: string,
  ) {
    super(`Secret ${secretArn} ${problem}. Fix: ${fix}`);
    this.name = "SecretValueError";
  }
}

/**
 * A post to Slack's webhook failed after its bounded retries, or at once for
 * an answer a retry cannot change (4xx). `status` is the last HTTP status
 * when Slack answered. `target` never contains a secret: the webhook URL is
 * reduced to its host. (GitHub's failures are GitHubCallErrors.)
 */
export class HttpDeliveryError extends Error {
  constructor(
    readonly target: string,
    readonly status: number | undefined,
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "HttpDeliveryError";
  }
}

export interface ChannelFailure {
  channel: string;
  cause: unknown;
}

/**
 * Every channel the notifier attempted for an event failed. Thrown so that
 * Lambda retries the event and finally sends it to the dead-letter queue;
 * when at least one channel succeeded the handler completes instead, so SNS
 * is not published twice.
 */
export class NotificationDeliveryError extends Error {
  constructor(
    readonly eventId: string,
    readonly pipeline: string,
    readonly failures: readonly ChannelFailure[],
  ) {
    super(
      `Could not deliver event ${eventId} of pipeline ${pipeline} through any channel: ` +
        failures.map((f) => `${f.channel} (${describeError(f.cause)})`).join("; ") +
        ". Lambda retries the event, then it lands in the notifier's dead-letter queue. " +
        "Fix the channels named above (the error lines of this invocation say why), then redrive the queue",
      {
        cause: new AggregateError(
          failures.map((f) => f.cause),
          "Notification channel failures",
        ),
      },
    );
    this.name = "NotificationDeliveryError";
  }
}

/** "Name: message" of an error, also of one from another realm or a plain object. */
export function describeError(cause: unknown): string {
  const { name, message } = (typeof cause === "object" && cause !== null ? cause : {}) as { name?: unknown; message?: unknown };
  if (typeof message !== "string") return String(cause);
  return `${typeof name === "string" ? name : "Error"}: ${message}`;
}
