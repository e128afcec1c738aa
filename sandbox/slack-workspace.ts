/**
 * The Slack workspace the sandbox plays: its ids appear in what the
 * stand-in answers and in the requests `npm run sandbox -- slack` sends.
 * Ids follow Slack's formats (a letter for the kind, then upper case and digits).
 */
export const SANDBOX_SLACK_WORKSPACE = {
  teamId: "T0SANDBOX01",
  teamDomain: "pipewright-sandbox",
  /** The pipewright Slack app. */
  appId: "A0SANDBOX01",
  botId: "B0SANDBOX01",
  /** The app's bot user: the author of its messages. */
  botUserId: "U0SANDBOXBOT",
  channelName: "pipewright-sandbox",
  /** The app's (deprecated) verification token, which Slack still sends in every request; pipewright checks signatures instead. */
  verificationToken: "SandboxVerificationTok01",
} as const;
