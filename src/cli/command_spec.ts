/**
 * What a command accepts, declared once: the parser reads its options from
 * the spec and the help prints them from it, so an option cannot be parsed
 * without being documented, nor documented without being parsed.
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { type OptionSpec, parseCommand } from "./io.ts";

/** One option of a command, as parsed and as documented. */
export interface OptionDoc {
  /** Whether it takes a value. */
  type: "string" | "boolean";
  /** What its value is called in help, e.g. `PATH` (string options). */
  value?: string;
  /** Whether the command refuses to run without it (shown unbracketed). */
  required?: boolean;
  /** Its help text; lines after the first are indented under the first. */
  help: string;
}

/**
 * A command's name, operands and options. `--json` (machine-readable
 * output) and `--help` are parsed for every command; `json` overrides the
 * help line of the former, `--help` is documented once, in the tool's help.
 */
export interface CommandSpec {
  /** The full name, e.g. `"trust add"`. */
  name: string;
  /** What follows the name and precedes the options in the usage line. */
  operands?: string;
  /** Usage lines written out, when the generated one would mislead. */
  synopsis?: readonly string[];
  /** Its options, by long name, in the order help lists them. */
  options: Readonly<Record<string, OptionDoc>>;
  /** The help line of `--json`, when it is not "machine-readable output". */
  json?: string;
}

/** The help line of `--json` for a command that does not say otherwise. */
const JSON_HELP = "machine-readable output";

/**
 * Parses a command's arguments against its spec (unknown options are usage
 * errors naming the command and the nearest option, as with
 * {@linkcode parseCommand}).
 *
 * @param args The arguments after the command's name.
 * @param spec The command's spec.
 * @returns Option values and positional arguments.
 * @throws {ToolError} `USAGE` for an unknown or malformed option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArguments } from "./command_spec.ts";
 * const spec = { name: "x", options: { key: { type: "string", help: "a key" } } } as const;
 * assert.equal(parseArguments(["--key", "k", "a"], spec).values.key, "k");
 * ```
 */
export function parseArguments(
  args: string[],
  spec: CommandSpec,
): ReturnType<typeof parseCommand> {
  return parseCommand(args, parserOptions(spec), spec.name);
}

/**
 * The options a spec gives the parser (which adds `--help` and `--json`).
 *
 * @param spec The command's spec.
 * @returns The parser's option table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parserOptions } from "./command_spec.ts";
 * const spec = { name: "x", options: { force: { type: "boolean", help: "f" } } } as const;
 * assert.deepEqual(parserOptions(spec), { force: { type: "boolean" } });
 * ```
 */
export function parserOptions(spec: CommandSpec): OptionSpec {
  return Object.fromEntries(
    Object.entries(spec.options).map(([name, option]) => [
      name,
      { type: option.type },
    ]),
  );
}

/**
 * The usage lines of a command: its synopsis if written out, else its name,
 * operands and every option (`--json` last).
 *
 * @param spec The command's spec.
 * @returns The lines, each starting with the command's name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { usageLines } from "./command_spec.ts";
 * const spec = { name: "install", options: { force: { type: "boolean", help: "f" } } } as const;
 * assert.deepEqual(usageLines(spec), ["install [--force] [--json]"]);
 * ```
 */
export function usageLines(spec: CommandSpec): readonly string[] {
  if (spec.synopsis) return spec.synopsis;
  const words = [spec.name];
  if (spec.operands) words.push(spec.operands);
  for (const [name, option] of Object.entries(spec.options)) {
    const flag = optionFlag(name, option);
    words.push(option.required ? flag : `[${flag}]`);
  }
  words.push("[--json]");
  return [words.join(" ")];
}

/**
 * The `Usage:` paragraph of a command's help.
 *
 * @param spec The command's spec.
 * @returns The paragraph, ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { usageText } from "./command_spec.ts";
 * assert.equal(usageText({ name: "status", options: {} }), "Usage: mcp-orchestration status [--json]\n");
 * ```
 */
export function usageText(spec: CommandSpec): string {
  return usageLines(spec).map((line, i) =>
    `${i === 0 ? "Usage:" : "      "} ${TOOL_NAME} ${line}\n`
  ).join("");
}

/**
 * The `Options:` paragraph of a command's help: every option the parser
 * takes for it but `--help`, in a column as wide as the longest flag.
 *
 * @param spec The command's spec.
 * @returns The paragraph, ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionsText } from "./command_spec.ts";
 * const spec = { name: "x", options: { key: { type: "string", value: "PATH", help: "a key" } } } as const;
 * assert.equal(optionsText(spec), "Options:\n  --key PATH  a key\n  --json      machine-readable output\n");
 * ```
 */
export function optionsText(spec: CommandSpec): string {
  const rows: [string, string][] = [
    ...Object.entries(spec.options).map(([name, option]): [string, string] => [
      optionFlag(name, option),
      option.help,
    ]),
    ["--json", spec.json ?? JSON_HELP],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  const lines = rows.map(([flag, help]) =>
    `  ${flag.padEnd(width)}${
      help.split("\n").join(`\n  ${" ".repeat(width)}`)
    }\n`
  );
  return `Options:\n${lines.join("")}`;
}

function optionFlag(name: string, option: OptionDoc): string {
  return option.type === "string"
    ? `--${name} ${option.value ?? "VALUE"}`
    : `--${name}`;
}

/**
 * Refuses stray positional arguments.
 *
 * @param positionals The positional arguments.
 * @param command The command's name, for the message.
 * @throws {ToolError} `USAGE` when there are any.
 *
 * @example
 * ```ts
 * import { noPositionals } from "./command_spec.ts";
 * noPositionals([], "keys init");
 * ```
 */
export function noPositionals(positionals: string[], command: string): void {
  if (positionals.length > 0) {
    throw new ToolError(
      "USAGE",
      `"${command}" takes no arguments, got "${positionals.join(" ")}"`,
    );
  }
}
