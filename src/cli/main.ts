/**
 * The command-line dispatcher: finds the command, runs it, and turns errors
 * into messages and exit codes. This is the only place that decides an exit
 * code; everything below it throws.
 *
 * @module
 */

import { BUILD_COMMIT } from "../build_info.ts";
import { approveCommand } from "./approve_command.ts";
import { TOOL_NAME, VERSION } from "../constants.ts";
import { currentProcess } from "../_runtime/current_process.ts";
import { type ErrorCode, toToolError } from "../errors.ts";
import { redactPrivateKeys } from "../format/redact.ts";
import { findRepository, type Repository } from "../git/repository.ts";
import { COMMAND_HELP, TOOL_HELP } from "./help.ts";
import { diffCommand } from "./diff_command.ts";
import { gitHookCommand } from "./git_hook_command.ts";
import { installCommand, uninstallCommand } from "./hooks_command.ts";
import { initCommand } from "./init_command.ts";
import { inspectCommand } from "./inspect_command.ts";
import type { CommandContext } from "./command_context.ts";
import { execCommand, splitExecArguments } from "./exec_command.ts";
import { escapeControls, EXIT, type Io } from "./io.ts";
import { keysCommand } from "./keys_command.ts";
import { lintCommand } from "./lint_command.ts";
import { logCommand } from "./log_command.ts";
import { mcpCommand } from "./mcp_command.ts";
import { policyCommand } from "./policy_command.ts";
import { signCommand } from "./sign_command.ts";
import { signFileCommand } from "./sign_file_command.ts";
import { statusCommand } from "./status_command.ts";
import { trustCommand } from "./trust_command.ts";
import { verifyCommand } from "./verify_command.ts";

const GROUPS = new Set(["keys", "trust", "policy", "hook"]);

/**
 * Runs the tool with command-line arguments. Everything it writes has its
 * control characters escaped (see {@linkcode escapeControls}): paths come
 * from git and file names, and must not drive the terminal. And everything
 * it writes has any private key in it redacted (see
 * {@linkcode redactPrivateKeys}): a message that quotes an argument must not
 * echo a pasted private key into a terminal or a CI log.
 *
 * @param args The arguments (without the program name).
 * @param rawIo Streams and working folder.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./main.ts";
 * let out = "";
 * const code = await main(["--version"], { out: (t) => (out += t), err: () => {}, cwd: "." });
 * assert.ok(code === 0 && out.startsWith("mcp-orchestration "));
 * ```
 */
export async function main(args: string[], rawIo: Io): Promise<number> {
  const io = escapingIo(rawIo);
  const [first, second] = args;
  if (
    first === undefined || first === "--help" || first === "-h" ||
    first === "help"
  ) {
    (first === undefined ? io.err : io.out)(TOOL_HELP);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === "--version" || first === "-V") {
    io.out(`${versionLine()}\n`);
    return EXIT.ok;
  }
  const call = parseCall(first, second, args);
  const answered = answerHelp(io, call);
  if (answered !== undefined) return answered;
  let repository: Repository | undefined;
  const context: CommandContext = {
    io,
    repo: async () => (repository ??= await findRepository(io.cwd)),
  };
  try {
    return await runCommand(call, context);
  } catch (caught) {
    return reportFailure(io, call, caught);
  }
}

// A command line split into the command and its arguments.
interface Call {
  first: string;
  second: string | undefined;
  /** Whether `first` is a group and `second` its subcommand. */
  grouped: boolean;
  /** The command's name for help and errors, e.g. `keys new`. */
  name: string;
  rest: string[];
  wantsHelp: boolean;
  json: boolean;
}

function parseCall(
  first: string,
  second: string | undefined,
  args: string[],
): Call {
  const grouped = GROUPS.has(first) && second !== undefined &&
    !second.startsWith("-");
  const rest = args.slice(grouped ? 2 : 1);
  // exec's arguments from COMMAND on are COMMAND's own ("exec -- code --help").
  // diff's arguments after "--" are paths ("diff -- --help" is a file).
  const own = first === "exec"
    ? splitExecArguments(rest).options
    : first === "diff" && rest.includes("--")
    ? rest.slice(0, rest.indexOf("--"))
    : rest;
  return {
    first,
    second,
    grouped,
    name: grouped ? `${first} ${second}` : first,
    rest,
    wantsHelp: own.includes("--help") || own.includes("-h"),
    json: wantsJson(own),
  };
}

// Prints a group's or a command's help when that is what was asked, and
// returns the exit code; undefined when the command is to run.
function answerHelp(io: Io, call: Call): number | undefined {
  const { first, grouped, name, wantsHelp, json } = call;
  if (GROUPS.has(first) && !grouped) {
    // "keys" or "trust" alone: show what the group offers; asked for, it is not an error.
    (wantsHelp ? io.out : io.err)(COMMAND_HELP[first] ?? TOOL_HELP);
    return wantsHelp ? EXIT.ok : EXIT.usage;
  }
  if (wantsHelp) {
    const help = COMMAND_HELP[name];
    if (!help) return usage(io, json, `Unknown command "${name}"`);
    io.out(help);
    return EXIT.ok;
  }
  return undefined;
}

async function runCommand(
  call: Call,
  context: CommandContext,
): Promise<number> {
  const { first, second, rest } = call;
  const io = context.io;
  switch (first) {
    case "keys":
      return await keysCommand(second as string, rest, context);
    case "trust":
      return await trustCommand(second as string, rest, context);
    case "policy":
      return await policyCommand(second as string, rest, context);
    case "sign":
      return await signCommand(rest, context);
    case "approve":
      return await approveCommand(rest, context);
    case "verify":
      return await verifyCommand(rest, context);
    case "inspect":
      return await inspectCommand(rest, context);
    case "diff":
      return await diffCommand(rest, context);
    case "lint":
      return await lintCommand(rest, context);
    case "log":
      return await logCommand(rest, context);
    case "hook":
      return await gitHookCommand(second, rest, context);
    case "install":
      return await installCommand(rest, context);
    case "uninstall":
      return await uninstallCommand(rest, context);
    case "init":
      return await initCommand(rest, context);
    case "status":
      return await statusCommand(rest, context);
    case "sign-file":
      return await signFileCommand(rest, io);
    case "exec":
      return await execCommand(rest, context);
    case "mcp":
      // Its tools run commands through main itself, in this process.
      return await mcpCommand(rest, context, main);
    default:
      return usage(io, call.json, `Unknown command "${first}"`);
  }
}

// Turns what a command threw into a message and an exit code.
function reportFailure(io: Io, call: Call, caught: unknown): number {
  const error = toToolError(caught);
  if (error.code === "USAGE") {
    return usage(io, call.json, error.message, call.name);
  }
  // Not one of ours: a bug. Say so plainly, with the stack for the report.
  const stack = error.code === "INTERNAL" && error.cause instanceof Error
    ? error.cause.stack ?? ""
    : undefined;
  printError(io, call.json, error.code, error.message, stack);
  return EXIT.failed;
}

/**
 * What `--version` prints: the version, the commit a build was made from
 * (or that it runs from source), and the runtime.
 *
 * @returns One line, without its newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { versionLine } from "./main.ts";
 * assert.match(versionLine(), /^mcp-orchestration \d+\.\d+\.\d+ \((commit [0-9a-f]{40}(-dirty)?|from source), (deno|node) /);
 * ```
 */
export function versionLine(): string {
  const origin = BUILD_COMMIT ? `commit ${BUILD_COMMIT}` : "from source";
  return `${TOOL_NAME} ${VERSION} (${origin}, ${currentProcess.runtime})`;
}

// Redaction happens here, on the only streams a command is given, rather
// than where messages are built: no message, report or future command can
// then print a private key by forgetting to call it.
function escapingIo(io: Io): Io {
  return {
    out: (text) => io.out(escapeControls(redactPrivateKeys(text))),
    err: (text) => io.err(escapeControls(redactPrivateKeys(text))),
    cwd: io.cwd,
    ...(io.stdin ? { stdin: io.stdin } : {}),
  };
}

/**
 * Whether an error prints as JSON: `--json`, or `--format json` (its
 * spelling in `verify`), among the options (before any `--`).
 */
function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  const options = end === -1 ? args : args.slice(0, end);
  return options.some((arg, index) =>
    arg === "--json" || arg === "--format=json" ||
    (arg === "--format" && options[index + 1] === "json")
  );
}

function usage(
  io: Io,
  json: boolean,
  message: string,
  command?: string,
): number {
  const hint = command && COMMAND_HELP[command]
    ? `${TOOL_NAME} ${command} --help`
    : `${TOOL_NAME} --help`;
  printError(io, json, "USAGE", message, undefined, `See "${hint}".`);
  return EXIT.usage;
}

/**
 * Writes an error to stderr: `error[CODE]: message` and any further lines,
 * or with `--json` one line holding `{"code", "message"}` (and `stack` for a
 * bug), so that a program reads the code without parsing prose. Stdout stays
 * the command's own: `init --json` has already printed its result there.
 */
function printError(
  io: Io,
  json: boolean,
  code: ErrorCode,
  message: string,
  stack?: string,
  hint?: string,
): void {
  if (json) {
    const value = stack === undefined
      ? { code, message }
      : { code, message, stack };
    io.err(`${JSON.stringify(value)}\n`);
    return;
  }
  const after = [hint, stack].filter((line) => line !== undefined);
  io.err([`error[${code}]: ${message}`, ...after].join("\n") + "\n");
}
