/**
 * Starting child processes, on both runtimes: run to completion with the
 * output collected ({@linkcode runProcess}), or long-running with piped
 * streams ({@linkcode spawnPiped}, e.g. `git cat-file --batch`).
 *
 * Under Deno we use `Deno.Command`: the child inherits our environment (git
 * hooks rely on `GIT_DIR` and `GIT_INDEX_FILE`) without the tool itself
 * needing permission to read every variable, which `node:child_process`
 * would demand. Under Node, `node:child_process`.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import { deno, nodeBuiltin, nodeProcess } from "./runtime.ts";
import { concatBytes } from "../bytes/concat_bytes.ts";

/** What a finished child process left. */
export interface ProcessOutput {
  /** Exit code. */
  code: number;
  /** Everything written to standard output. */
  stdout: Uint8Array;
  /** Everything written to standard error, decoded as UTF-8. */
  stderr: string;
}

/** Options for {@linkcode runProcess}. */
export interface RunOptions {
  /** Working folder of the child. */
  cwd?: string;
  /** Bytes written to the child's standard input, which is then closed. */
  stdin?: Uint8Array;
  /**
   * Variables set for the child on top of the environment it inherits
   * (which the tool itself cannot read; see the module documentation).
   */
  env?: Readonly<Record<string, string>>;
}

/**
 * Runs a program to completion and collects its output.
 *
 * @param command Program name, looked up on `PATH`.
 * @param args Its arguments.
 * @param options Working folder, standard input and extra environment.
 * @returns The exit code and both output streams.
 * @throws {ToolError} `IO` when the program cannot be started.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runProcess } from "./process.ts";
 * const out = await runProcess("git", ["--version"]);
 * assert.ok(out.code === 0);
 * ```
 */
export async function runProcess(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<ProcessOutput> {
  try {
    return deno
      ? await runWithDeno(deno, command, args, options)
      : await runWithNode(command, args, options);
  } catch (error) {
    throw cannotRun(command, error);
  }
}

async function runWithDeno(
  deno: typeof Deno,
  command: string,
  args: string[],
  options: RunOptions,
): Promise<ProcessOutput> {
  const child = new deno.Command(command, {
    args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    // Deno adds these to the inherited environment.
    ...(options.env === undefined ? {} : { env: { ...options.env } }),
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    // The child may exit without reading everything; its exit code tells.
    await writer.write(options.stdin).catch(() => {});
    await writer.close().catch(() => {});
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

async function runWithNode(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<ProcessOutput> {
  const { spawn } = nodeBuiltin<typeof import("node:child_process")>(
    "node:child_process",
  );
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      // Node replaces the environment with `env`: start from ours.
      ...(options.env === undefined ? {} : {
        env: {
          ...nodeProcess()?.env,
          ...options.env,
        },
      }),
      stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
    const stdout: Uint8Array[] = [];
    const stderr: Uint8Array[] = [];
    child.stdout?.on("data", (chunk: Uint8Array) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Uint8Array) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code: number | null) =>
      resolve({
        code: code ?? 1,
        stdout: concatBytes(stdout),
        stderr: new TextDecoder().decode(concatBytes(stderr)),
      }));
    if (options.stdin) {
      child.stdin?.on("error", () => {});
      child.stdin?.end(options.stdin);
    }
  });
}

/** A running child process with piped standard input and output. */
export interface PipedProcess {
  /** Its standard input. */
  stdin: WritableStream<Uint8Array>;
  /** Its standard output. */
  stdout: ReadableStream<Uint8Array>;
  /** Resolves to the exit code once it has exited; standard error is collected. */
  status: Promise<{ code: number; stderr: string }>;
}

/**
 * Starts a long-running program with piped standard input and output (for
 * example `git cat-file --batch`), as Web streams on both runtimes.
 *
 * @param command Program name, looked up on `PATH`.
 * @param args Its arguments.
 * @param options Working folder.
 * @returns The streams and the exit status.
 * @throws {ToolError} `IO` when the program cannot be started.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spawnPiped } from "./process.ts";
 * const child = spawnPiped("git", ["hash-object", "--stdin"]);
 * const writer = child.stdin.getWriter();
 * await writer.write(new TextEncoder().encode("hi\n"));
 * await writer.close();
 * const text = await new Response(child.stdout).text();
 * assert.equal(text, "45b983be36b73c0788dc9cbcb76cbb80fc7bb057\n");
 * assert.equal((await child.status).code, 0);
 * ```
 */
export function spawnPiped(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): PipedProcess {
  try {
    if (deno) {
      const child = new deno.Command(command, {
        args,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(child.stderr).text();
      return {
        stdin: child.stdin,
        stdout: child.stdout,
        status: Promise.all([child.status, stderr]).then(([status, text]) => ({
          code: status.code,
          stderr: text,
        })),
      };
    }
  } catch (error) {
    throw cannotRun(command, error);
  }
  return spawnPipedWithNode(command, args, options);
}

function spawnPipedWithNode(
  command: string,
  args: string[],
  options: { cwd?: string },
): PipedProcess {
  const childProcess = nodeBuiltin<typeof import("node:child_process")>(
    "node:child_process",
  );
  const stream = nodeBuiltin<typeof import("node:stream")>("node:stream");
  const child = childProcess.spawn(command, args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const stderr: Uint8Array[] = [];
  child.stderr.on("data", (chunk: Uint8Array) => stderr.push(chunk));
  return {
    stdin: stream.Writable.toWeb(child.stdin) as WritableStream<Uint8Array>,
    stdout: stream.Readable.toWeb(child.stdout) as unknown as ReadableStream<
      Uint8Array
    >,
    status: new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on(
        "close",
        (code: number | null) =>
          resolve({
            code: code ?? 1,
            stderr: new TextDecoder().decode(concatBytes(stderr)),
          }),
      );
    }),
  };
}

function cannotRun(command: string, error: unknown): ToolError {
  return new ToolError(
    "IO",
    `Cannot run "${command}": ${
      error instanceof Error ? error.message : error
    }`,
    { cause: error },
  );
}
