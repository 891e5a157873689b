/**
 * How end-to-end tests run the tool: as a child process, exactly as a user
 * would, with the permission flags the README documents.
 *
 * By default the child is `deno run LAZY_IMPORTS_FLAG PERMISSION_FLAGS
 * <checkout>/main.ts …` (as the hooks start it),
 * using the Deno that runs the tests. Set `MCP_ORCHESTRATION_TEST_BIN` to an
 * executable (for example a `deno compile` output) to run that instead, with
 * the same arguments, environment and working folder; the whole end-to-end
 * suite then tests the binary:
 *
 * ```sh
 * MCP_ORCHESTRATION_TEST_BIN="$PWD/dist/mcp-orchestration" deno task test
 * ```
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeStdin } from "./process.ts";
import { gitEnv } from "./repo.ts";

/** The permission flags of `deno run main.ts`: all the tool may do (one source, shared with the demo). */
export { PERMISSION_FLAGS } from "../../scripts/permissions.ts";
import { PERMISSION_FLAGS } from "../../scripts/permissions.ts";
import { LAZY_IMPORTS_FLAG } from "../../src/hooks/launch.ts";

/** Environment variable naming an executable to test instead of `deno run main.ts`. */
export const TEST_BIN_ENV = "MCP_ORCHESTRATION_TEST_BIN";

/** Absolute path of the checkout's `main.ts`, the CLI's entry point. */
export const MOD_PATH: string = fileURLToPath(
  new URL("../../main.ts", import.meta.url),
);

/** What a finished run of the tool left. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}

/** Options for {@linkcode runCli}. */
export interface CliOptions {
  /** Working folder of the tool, usually a repository's root. */
  cwd: string;
  /** The tool's home (`MCP_ORCHESTRATION_HOME`), also git's `HOME`. */
  home: string;
  /** Extra environment variables; `undefined` removes one, e.g. `MCP_ORCHESTRATION_HOME`. */
  env?: Record<string, string | undefined>;
  /** Written to the tool's standard input, which is then closed; else stdin is empty. */
  stdin?: string | Uint8Array;
  /** Kills the tool when aborted (its result then has the signal's exit code). */
  signal?: AbortSignal;
  /** Deno's permission flags for `deno run` (default PERMISSION_FLAGS; `exec` needs EXEC_PERMISSION_FLAGS). */
  permissions?: readonly string[];
}

// Passed to a `deno run` child only: where Deno keeps its module cache, and
// how it reaches the registry if something is not cached yet.
const DENO_PASSED_THROUGH = [
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NPM_CONFIG_REGISTRY",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
];

let denoDir: Promise<string> | undefined;

/**
 * Tells which program runs the tool, and with which arguments: the
 * executable in `MCP_ORCHESTRATION_TEST_BIN` when set, else
 * `deno run PERMISSION_FLAGS MOD_PATH`.
 *
 * @param args The tool's own arguments.
 * @returns The program and its full argument list.
 */
export function cliInvocation(
  args: readonly string[],
  permissions: readonly string[] = PERMISSION_FLAGS,
): { command: string; args: string[] } {
  const bin = Deno.env.get(TEST_BIN_ENV);
  if (bin) {
    // A relative path means relative to where the tests were started, not to
    // the child's working folder.
    const command = !isAbsolute(bin) && /[\\/]/.test(bin) ? resolve(bin) : bin;
    return { command, args: [...args] };
  }
  return {
    command: Deno.execPath(),
    args: ["run", LAZY_IMPORTS_FLAG, ...permissions, MOD_PATH, ...args],
  };
}

/**
 * Runs the tool to completion in an environment built from scratch:
 * {@linkcode gitEnv}`(home)`, `MCP_ORCHESTRATION_HOME=home`, `NO_COLOR=1`,
 * then `options.env`. Nothing else reaches it from the test process.
 *
 * @param args The tool's arguments, e.g. `["verify", ".mcp.json"]`.
 * @param options Working folder, home, extra environment and stdin.
 * @returns The exit code and both output streams.
 */
export async function runCli(
  args: string[],
  options: CliOptions,
): Promise<CliResult> {
  const invocation = cliInvocation(args, options.permissions);
  const env: Record<string, string> = {
    ...gitEnv(options.home),
    ...(Deno.env.get(TEST_BIN_ENV) ? {} : await denoEnv()),
    MCP_ORCHESTRATION_HOME: options.home,
    NO_COLOR: "1",
  };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const child = new Deno.Command(invocation.command, {
    args: invocation.args,
    cwd: options.cwd,
    clearEnv: true,
    env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.signal ? { signal: options.signal } : {}),
  }).spawn();
  if (options.stdin !== undefined) await writeStdin(child, options.stdin);
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * The variables a `deno run` child needs to use this test run's module cache:
 * `gitEnv` moves HOME, where Deno keeps its cache by default, so a child (the
 * CLI, or an installed hook) would otherwise download every dependency again.
 *
 * @returns `DENO_DIR` and friends.
 */
export async function denoEnv(): Promise<Record<string, string>> {
  denoDir ??= _findDenoDir();
  const env: Record<string, string> = {
    DENO_DIR: await denoDir,
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
  };
  for (const name of DENO_PASSED_THROUGH) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

async function _findDenoDir(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return resolve(fromEnv);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const info: unknown = output.success
    ? JSON.parse(new TextDecoder().decode(output.stdout))
    : undefined;
  const dir = (info as { denoDir?: unknown } | undefined)?.denoDir;
  if (typeof dir !== "string") {
    throw new Error(
      `Cannot find Deno's cache folder: "deno info --json" exited with ${output.code}`,
    );
  }
  return dir;
}
