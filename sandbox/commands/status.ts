import type { SandboxPaths } from "../paths";
import { isOurs, PROCESS_MARKERS } from "../processes";
import { readState } from "../state";

async function answers(url: string, init?: RequestInit): Promise<boolean> {
  try {
    await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

/** `npm run sandbox -- status`: what runs and whether it answers. Returns whether all is well. */
export async function status(paths: SandboxPaths, write: (line: string) => void = console.log): Promise<boolean> {
  const state = readState(paths.stateFile);
  if (!state) {
    write(`No sandbox is running (no ${paths.stateFile}).`);
    return false;
  }
  const checks = {
    [`background process (pid ${state.processes.daemon})`]: isOurs(state.processes.daemon, PROCESS_MARKERS.daemon),
    [`AWS emulator (pid ${state.processes.emulator}) at ${state.awsEndpoint}`]: await answers(`${state.awsEndpoint}/pipewright/health`),
    [`webhook at ${state.webhookUrl}`]: await answers(state.webhookUrl, { method: "GET" }),
    ...(state.slack ? { [`Slack stand-in at ${state.slack.standInUrl}`]: await answers(`${state.slack.standInUrl}/recorded`) } : {}),
  };
  for (const [what, ok] of Object.entries(checks)) write(`${ok ? "up  " : "DOWN"} ${what}`);
  write(`Region ${state.region}; accounts build ${state.accounts.build}, dev ${state.accounts.dev}, prod ${state.accounts.prod}`);
  for (const repository of state.repositories) {
    write(
      `Repository ${repository.repository} (main branch ${repository.mainBranch}); pipelines ${repository.pipelines.map((p) => p.name).join(", ")}`,
    );
  }
  if (state.slack) {
    write(
      `Slack channel ${state.slack.channel}; approvers ${state.slack.approvers.join(", ") || "none"}; what Slack was sent: ${state.slack.standInUrl}/recorded`,
    );
  }
  write(`Started ${state.startedAt}; logs in ${state.logDir}`);
  return Object.values(checks).every(Boolean);
}
