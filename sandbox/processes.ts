import { execFileSync } from "node:child_process";

/** Processes the sandbox started, addressed by PID only (never by name). */

/** What identifies each of the sandbox's background processes in its command line. */
export const PROCESS_MARKERS = { daemon: "sandbox/daemon.ts", emulator: "emulator/server.py" } as const;

/** Whether a process with this PID exists (and may be signalled by us). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether `pid` is still the process the sandbox started: alive, and its
 * command line holds `marker`. A state file that outlived its processes
 * (a reboot) must not make `down` signal whatever reuses those PIDs.
 */
export function isOurs(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return execFileSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).includes(marker);
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group is gone already, which is what we want.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stops the process group led by `pid` (the sandbox starts its background
 * processes detached, each leading its own group): SIGTERM, then SIGKILL
 * after `graceMs`. Resolves once the leader is gone. Safe for a dead PID.
 */
export async function stopProcessGroup(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return;
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    signalGroup(pid, "SIGKILL");
    while (isAlive(pid)) await sleep(20);
  }
}
