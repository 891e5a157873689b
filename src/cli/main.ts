/**
 * The command-line dispatcher: finds the command, runs it, and turns errors
 * into messages and exit codes. This is the only place that decides an exit
 * code; everything below it throws.
 *
 * @module
 */

import { BUILD_COMMIT } from "../build_info.ts";
import { TOOL_NAME, VERSION } from "../constants.ts";
import { currentProcess } from "../_runtime/current_process.ts";
import { type ErrorCode, toToolError } from "../errors.ts";
import { redactPrivateKeys } from "../format/redact.ts";
import type { Repository } from "../git/repository.ts";
import type { CommandContext } from "./command_context.ts";
import { escapeControls } from "./escape_controls.ts";
import { EXIT } from "./exit_codes.ts";
import type { Io } from "./io.ts";

const GROUPS = new Set(["keys", "trust", "policy", "hook"]);

// Runs one command: its module is imported only when it runs, so that
// `--version` and a hook load what they need and no more (a module costs
// Deno start-up time whether it runs or not). One line per command.
type Runner = (call: Call, context: CommandContext) => Promise<number>;
const COMMANDS: Readonly<Record<string, Runner>> = {
  keys: async (c, x) =>
    (await import("./keys_command.ts")).keysCommand(
      c.second as string,
      c.rest,
      x,
    ),
  trust: async (c, x) =>
    (await import("./trust_command.ts")).trustCommand(
      c.second as string,
      c.rest,
      x,
    ),
  policy: async (c, x) =>
    (await import("./policy_command.ts")).policyCommand(
      c.second as string,
      c.rest,
      x,
    ),
  sign: async (c, x) =>
    (await import("./sign_command.ts")).signCommand(c.rest, x),
  approve: async (c, x) =>
    (await import("./approve_command.ts")).approveCommand(c.rest, x),
  verify: async (c, x) =>
    (await import("./verify_command.ts")).verifyCommand(c.rest, x),
  inspect: async (c, x) =>
    (await import("./inspect_command.ts")).inspectCommand(c.rest, x),
  hook: async (c, x) =>
    (await import("./git_hook_command.ts")).gitHookCommand(c.second, c.rest, x),
  install: async (c, x) =>
    (await import("./hooks_command.ts")).installCommand(c.rest, x),
  uninstall: async (c, x) =>
    (await import("./hooks_command.ts")).uninstallCommand(c.rest, x),
  init: async (c, x) =>
    (await import("./init_command.ts")).initCommand(c.rest, x),
  status: async (c, x) =>
    (await import("./status_command.ts")).statusCommand(c.rest, x),
  "sign-file": async (c, x) =>
    (await import("./sign_file_command.ts")).signFileCommand(c.rest, x.io),
  exec: async (c, x) =>
    (await import("./exec_command.ts")).execCommand(c.rest, x),
  diff: async (c, x) =>
    (await import("./diff_command.ts")).diffCommand(c.rest, x),
  lint: async (c, x) =>
    (await import("./lint_command.ts")).lintCommand(c.rest, x),
  log: async (c, x) => (await import("./log_command.ts")).logCommand(c.rest, x),
  // Its tools run commands through main itself, in this process.
  mcp: async (c, x) =>
    (await import("./mcp_command.ts")).mcpCommand(c.rest, x, main),
};

// The help texts name every command's options, so they import every
// command: loaded only when help or a usage error is printed.
function helpTexts(): Promise<typeof import("./help.ts")> {
  return import("./help.ts");
}

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
    (first === undefined ? io.err : io.out)((await helpTexts()).TOOL_HELP);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === "--version" || first === "-V") {
    io.out(`${versionLine()}\n`);
    return EXIT.ok;
  }
  const call = await parseCall(first, second, args);
  const answered = await answerHelp(io, call);
  if (answered !== undefined) return answered;
  let repository: Repository | undefined;
  const context: CommandContext = {
    io,
    repo:
      async () => (repository ??= await (await import("../git/repository.ts"))
        .findRepository(io.cwd)),
  };
  try {
    return await runCommand(call, context);
  } catch (caught) {
    return await reportFailure(io, call, caught);
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

async function parseCall(
  first: string,
  second: string | undefined,
  args: string[],
): Promise<Call> {
  const grouped = GROUPS.has(first) && second !== undefined &&
    !second.startsWith("-");
  const rest = args.slice(grouped ? 2 : 1);
  // exec's arguments from COMMAND on are COMMAND's own ("exec -- code --help");
  // any other command's arguments after "--" are operands ("diff -- --help"
  // is a file).
  const own = first === "exec"
    ? (await import("./exec_command.ts")).splitExecArguments(rest).options
    : rest.includes("--")
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
async function answerHelp(
  io: Io,
  call: Call,
): Promise<number | undefined> {
  const { first, grouped, name, wantsHelp, json } = call;
  if (!(GROUPS.has(first) && !grouped) && !wantsHelp) return undefined;
  const { COMMAND_HELP, TOOL_HELP } = await helpTexts();
  if (GROUPS.has(first) && !grouped) {
    // "keys" or "trust" alone: show what the group offers; asked for, it is not an error.
    (wantsHelp ? io.out : io.err)(COMMAND_HELP[first] ?? TOOL_HELP);
    return wantsHelp ? EXIT.ok : EXIT.usage;
  }
  if (wantsHelp) {
    const help = COMMAND_HELP[name];
    if (!help) return await usage(io, json, `Unknown command "${name}"`);
    io.out(help);
    return EXIT.ok;
  }
  return undefined;
}

async function runCommand(
  call: Call,
  context: CommandContext,
): Promise<number> {
  const run = Object.hasOwn(COMMANDS, call.first)
    ? COMMANDS[call.first]
    : undefined;
  if (run === undefined) {
    return await usage(
      context.io,
      call.json,
      `Unknown command "${call.first}"`,
    );
  }
  return await run(call, context);
}

// Turns what a command threw into a message and an exit code.
async function reportFailure(
  io: Io,
  call: Call,
  caught: unknown,
): Promise<number> {
  const error = toToolError(caught);
  if (error.code === "USAGE") {
    return await usage(io, call.json, error.message, call.name);
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

async function usage(
  io: Io,
  json: boolean,
  message: string,
  command?: string,
): Promise<number> {
  const { COMMAND_HELP } = await helpTexts();
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
