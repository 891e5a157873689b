/**
 * Running another program in our place, on both runtimes, for `exec`:
 * neither Deno nor Node can replace the process (no `execve`), so the
 * program is started with our standard streams, SIGINT and SIGTERM sent to
 * us are passed on to it, and its exit status becomes ours.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import { deno, nodeBuiltin } from "./runtime.ts";

/** The signals passed on to the program while it runs. */
export const FORWARDED_SIGNALS: readonly ("SIGINT" | "SIGTERM")[] = Object
  .freeze(["SIGINT", "SIGTERM"]);

// Exit statuses of a program killed by a signal, as a shell reports them
// (128 + the signal's number), for the runtimes that give only its name.
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = Object.freeze({
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGPIPE: 13,
  SIGTERM: 15,
});

/**
 * Tells whether this process may start a program: under Deno, whether its
 * `--allow-run` covers it; Node has no such permission.
 *
 * @param command The program, as it would be started.
 * @returns True when starting it is allowed without a prompt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayRun } from "./run_inherited.ts";
 * assert.equal(typeof mayRun("git"), "boolean");
 * ```
 */
export function mayRun(command: string): boolean {
  if (!deno) return true;
  return deno.permissions.querySync({ name: "run", command }).state ===
    "granted";
}

/**
 * Runs a program with this process's standard streams, environment and
 * working folder, passes SIGINT and SIGTERM on to it, and waits for it.
 *
 * @param command The program: a name looked up on `PATH`, or a path.
 * @param args Its arguments.
 * @returns Its exit code; 128 + the signal's number when a signal killed it.
 * @throws {ToolError} `IO` when it cannot be started (not found, not
 * executable, not allowed).
 *
 * @example
 * ```ts ignore
 * const code = await runInherited("claude", []);
 * ```
 */
export async function runInherited(
  command: string,
  args: readonly string[],
): Promise<number> {
  return deno
    ? await runWithDeno(deno, command, args)
    : await runWithNode(command, args);
}

async function runWithDeno(
  deno: typeof Deno,
  command: string,
  args: readonly string[],
): Promise<number> {
  let child: Deno.ChildProcess;
  try {
    child = new deno.Command(command, {
      args: [...args],
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    throw cannotStart(command, error);
  }
  const forward = FORWARDED_SIGNALS.map((signal) => {
    const listener = () => {
      try {
        child.kill(signal);
      } catch {
        // It has exited already; its status tells.
      }
    };
    deno.addSignalListener(signal, listener);
    return () => deno.removeSignalListener(signal, listener);
  });
  try {
    const status = await child.status;
    return status.signal
      ? 128 + (SIGNAL_NUMBERS[status.signal] ?? 0)
      : status.code;
  } finally {
    for (const stop of forward) stop();
  }
}

async function runWithNode(
  command: string,
  args: readonly string[],
): Promise<number> {
  const { spawn } = nodeBuiltin<typeof import("node:child_process")>(
    "node:child_process",
  );
  const process = nodeBuiltin<typeof import("node:process")>("node:process");
  const os = nodeBuiltin<typeof import("node:os")>("node:os");
  return await new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: "inherit" });
    const forward = FORWARDED_SIGNALS.map((signal) => {
      const listener = () => child.kill(signal);
      process.on(signal, listener);
      return () => process.off(signal, listener);
    });
    const stop = () => forward.forEach((off) => off());
    child.on("error", (error) => {
      stop();
      reject(cannotStart(command, error));
    });
    child.on("exit", (code, signal) => {
      stop();
      const number = signal === null
        ? undefined
        : os.constants.signals[signal] ?? SIGNAL_NUMBERS[signal];
      resolve(number === undefined ? code ?? 1 : 128 + number);
    });
  });
}

function cannotStart(command: string, error: unknown): ToolError {
  const reason = error instanceof Error ? error.message : String(error);
  const missing = (error as { code?: string }).code === "ENOENT" ||
    (deno !== undefined && error instanceof deno.errors.NotFound);
  return new ToolError(
    "IO",
    missing
      ? `Cannot run "${command}": no such program (not on PATH, or the path does not exist)`
      : `Cannot run "${command}": ${reason}`,
    { cause: error },
  );
}
