/**
 * `exec [--] COMMAND [ARGS…]`: verifies the MCP configs of the repository
 * it runs in (the working tree and the history checked out, see
 * used_configs.ts), and only then runs COMMAND (an MCP client: `claude`,
 * `cursor .`, `code .`) in its place: standard streams passed through,
 * SIGINT and SIGTERM passed on, its exit status returned. On any failure
 * COMMAND is not started: the report names each config, why it fails and
 * what a client would have run from it, and the exit status is 1.
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { mayRun, runInherited } from "../_runtime/run_inherited.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { EXIT, printJson } from "./io.ts";
import { checkUsedConfigs, formatUsedConfigsReport } from "./used_configs.ts";

/** What `exec` accepts. */
export const EXEC_COMMAND: CommandSpec = {
  name: "exec",
  synopsis: ["exec [--json] [--] COMMAND [ARGS…]"],
  options: {},
  json:
    "when verification fails, print its results as JSON on stdout instead\n" +
    "of the report (COMMAND is not started either way)",
};

/**
 * Splits `exec`'s arguments into its own options (those before COMMAND)
 * and COMMAND with its arguments: COMMAND is the first argument that does
 * not start with "-", or whatever follows "--".
 *
 * @param args The arguments after `exec`.
 * @returns The options and the command, empty when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitExecArguments } from "./exec_command.ts";
 * assert.deepEqual(splitExecArguments(["--json", "--", "code", "--help"]), {
 *   options: ["--json"],
 *   command: ["code", "--help"],
 * });
 * assert.deepEqual(splitExecArguments(["cursor", "."]), { options: [], command: ["cursor", "."] });
 * ```
 */
export function splitExecArguments(
  args: readonly string[],
): { options: string[]; command: string[] } {
  const end = args.findIndex((arg) => arg === "--" || !arg.startsWith("-"));
  if (end === -1) return { options: [...args], command: [] };
  return {
    options: args.slice(0, end),
    command: args.slice(args[end] === "--" ? end + 1 : end),
  };
}

/**
 * Runs `exec [--] COMMAND [ARGS…]`.
 *
 * @param args The arguments after `exec`.
 * @param context Streams and repository.
 * @returns COMMAND's exit status; 1 when verification fails (COMMAND not
 * started); 127 when COMMAND cannot be started.
 * @throws {ToolError} `USAGE` without a COMMAND or for an unknown option
 * before it; `NOT_A_REPOSITORY`
 * outside a repository; `IO` when this runtime may not start COMMAND.
 *
 * @example
 * ```ts ignore
 * const code = await execCommand(["--", "claude"], context);
 * ```
 */
export async function execCommand(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const split = splitExecArguments(args);
  const { values } = parseArguments(split.options, EXEC_COMMAND);
  const [command, ...commandArgs] = split.command;
  if (command === undefined || command === "") {
    throw new ToolError(
      "USAGE",
      `"exec" needs the command to run, e.g. "${TOOL_NAME} exec -- claude"`,
    );
  }
  const repo = await context.repo();
  if (!mayRun(command)) {
    // Asked before verifying: a check that cannot end in a start is noise.
    throw new ToolError(
      "IO",
      `Cannot run "${command}": this tool was started with Deno's --allow-run=git, which lets it start git only. Start it with --allow-run for "exec" (see "Checked where it is used" in README.md)`,
    );
  }
  const check = await checkUsedConfigs(repo, { head: true });
  if (!check.ok) {
    if (values.json) {
      printJson(context.io, { ...check, started: false });
      return EXIT.failed;
    }
    context.io.err(
      await formatUsedConfigsReport(repo, check, {
        exec: [command, ...commandArgs],
        status: EXIT.failed,
      }),
    );
    return EXIT.failed;
  }
  try {
    return await runInherited(command, commandArgs);
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    context.io.err(`error[${error.code}]: ${error.message}\n`);
    return EXIT_NOT_STARTED;
  }
}

/** The exit status when COMMAND cannot be started, as a shell's. */
const EXIT_NOT_STARTED = 127;
