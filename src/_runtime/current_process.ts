/**
 * The running process: its arguments, standard streams, working folder,
 * environment, platform and exit code. Under Node they come from `process`;
 * under Deno from `Deno.*`, because `node:process` there (even a look at
 * the `process` global) starts Deno's Node compatibility layer, start-up
 * time that every Git hook run would pay.
 *
 * @module
 */

import { concatBytes } from "../bytes/concat_bytes.ts";
import { deno, type NodeProcess, nodeProcess } from "./runtime.ts";

/** The running process, the same under Deno and Node. */
export interface CurrentProcess {
  /** The command-line arguments after the runtime's own and the script. */
  args(): string[];
  /** The working folder. */
  cwd(): string;
  /**
   * An environment variable: undefined when it is unset, or when Deno's
   * permissions (`--allow-env=…`) do not cover it.
   */
  env(name: string): string | undefined;
  /**
   * Whether {@linkcode CurrentProcess.env} may read a variable: false only
   * under Deno, for a variable outside `--allow-env`, so that a caller can
   * tell "not permitted" from "not set".
   */
  envReadable(name: string): boolean;
  /** The operating system, by Node's names: `"linux"`, `"darwin"`, `"win32"`, … */
  platform: string;
  /** The runtime and its version, e.g. `"deno 2.1.4"` or `"node 22.12.0"`. */
  runtime: string;
  /** Writes all of `text` to standard output. */
  writeOut(text: string): void;
  /** Writes all of `text` to standard error. */
  writeErr(text: string): void;
  /** Reads standard input to its end. */
  readStdin(): Promise<Uint8Array>;
  /** Sets the exit code without exiting, so pending output is flushed. */
  setExitCode(code: number): void;
}

// Deno's names for the operating systems that Node names differently.
const NODE_PLATFORMS: Record<string, string> = {
  windows: "win32",
  solaris: "sunos",
  illumos: "sunos",
};

/**
 * This process, as {@linkcode CurrentProcess}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentProcess } from "./current_process.ts";
 * assert.ok(currentProcess.runtime.startsWith("deno ")); // under `deno test`
 * assert.equal(typeof currentProcess.cwd(), "string");
 * ```
 */
export const currentProcess: CurrentProcess = createCurrentProcess();

function createCurrentProcess(): CurrentProcess {
  if (deno) return fromDeno(deno);
  const node = nodeProcess();
  if (node) return fromNode(node);
  throw new Error("This runtime is neither Deno nor Node");
}

function fromDeno(deno: typeof Deno): CurrentProcess {
  const encoder = new TextEncoder();
  return {
    args: () => [...deno.args],
    cwd: () => deno.cwd(),
    env(name) {
      try {
        return deno.env.get(name);
      } catch {
        // NotCapable: a variable outside --allow-env reads as unset.
        return undefined;
      }
    },
    envReadable: (name) =>
      deno.permissions.querySync({ name: "env", variable: name }).state ===
        "granted",
    platform: NODE_PLATFORMS[deno.build.os] ?? deno.build.os,
    runtime: `deno ${deno.version.deno}`,
    writeOut: (text) => writeAll(deno.stdout, encoder.encode(text)),
    writeErr: (text) => writeAll(deno.stderr, encoder.encode(text)),
    readStdin: async () =>
      new Uint8Array(await new Response(deno.stdin.readable).arrayBuffer()),
    setExitCode(code) {
      deno.exitCode = code;
    },
  };
}

function writeAll(
  stream: { writeSync(bytes: Uint8Array): number },
  bytes: Uint8Array,
): void {
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

function fromNode(node: NodeProcess): CurrentProcess {
  return {
    args: () => node.argv.slice(2),
    cwd: () => node.cwd(),
    env: (name) => node.env[name],
    envReadable: () => true,
    platform: node.platform,
    runtime: `node ${node.versions.node}`,
    writeOut: (text) => void node.stdout.write(text),
    writeErr: (text) => void node.stderr.write(text),
    readStdin: () => readAll(node.stdin as AsyncIterable<Uint8Array>),
    setExitCode(code) {
      node.exitCode = code;
    },
  };
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concatBytes(chunks);
}

/**
 * Reads an environment variable the tool is configured by: unset, empty,
 * and (under Deno) outside `--allow-env` all read as undefined.
 *
 * @param name The variable.
 * @returns Its value, or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readEnv } from "./current_process.ts";
 * assert.equal(readEnv("MCP_ORCHESTRATION_SURELY_UNSET"), undefined);
 * ```
 */
export function readEnv(name: string): string | undefined {
  const value = currentProcess.env(name);
  return value === "" ? undefined : value;
}
