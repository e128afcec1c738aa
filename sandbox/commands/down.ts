import { removeSandboxFiles, type SandboxPaths } from "../paths";
import { isOurs, PROCESS_MARKERS, stopProcessGroup } from "../processes";
import { readState } from "../state";

/**
 * `npm run sandbox -- down`: stops the background process (which stops the
 * runtime and the emulator) and the emulator's group too, by their PIDs,
 * then removes what the sandbox wrote except its logs (state.json, the
 * Terraform state of an emulator that is gone, unpacked functions).
 * Succeeds also when nothing is running.
 */
export async function down(paths: SandboxPaths, write: (line: string) => void = console.log): Promise<void> {
  const state = readState(paths.stateFile);
  if (!state) {
    write("No sandbox is running.");
    return;
  }
  // The daemon stops its runtime and the emulator itself; the emulator's own group is stopped too in case the daemon died first.
  for (const which of ["daemon", "emulator"] as const) {
    const pid = state.processes[which];
    if (isOurs(pid, PROCESS_MARKERS[which])) await stopProcessGroup(pid);
  }
  removeSandboxFiles(paths, { includingLogs: false });
  write(`Sandbox stopped (pids ${state.processes.daemon}, ${state.processes.emulator}). Logs stay in ${state.logDir}.`);
}
