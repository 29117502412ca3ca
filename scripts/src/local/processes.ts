/**
 * Background processes of the local deployment, tracked by pid files. A pid
 * is only signalled after checking that its command line is still the one
 * we started: pids get reused, and we must never kill a stranger.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The process's command line, or undefined when it is gone (`ps` works on Linux and macOS). */
export function commandLine(pid: number): string | undefined {
  const ps = spawnSync("ps", ["-p", String(pid), "-o", "args="], { encoding: "utf8" });
  return ps.status === 0 ? ps.stdout.trim() : undefined;
}

/** The pid in `file` if that process is alive and its command line contains `marker`; otherwise cleans the stale file. */
export function runningFromPidFile(file: string, marker: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && commandLine(pid)?.includes(marker)) return pid;
  rmSync(file, { force: true });
  return undefined;
}

export function writePidFile(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    signal("SIGKILL");
    while (isAlive(pid)) await sleep(20);
  }
}

/** Stops the process recorded in `file` (if it is still ours) and removes the file. Returns whether one was stopped. */
export async function stopFromPidFile(file: string, marker: string): Promise<boolean> {
  const pid = runningFromPidFile(file, marker);
  rmSync(file, { force: true });
  if (pid === undefined) return false;
  await stopProcess(pid);
  return true;
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}
