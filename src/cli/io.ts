/**
 * What a command needs from its surroundings, passed in so that the CLI runs
 * the same in a process and in tests, and exit codes stay at the outer edge.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ToolError } from "../errors.ts";
import { escapeInvisible, hasInvisible } from "../format/quote.ts";
import { nearestOption } from "./nearest_option.ts";
import { REDACTED_PRIVATE_KEY, redactPrivateKeys } from "../format/redact.ts";

/** Standard streams and working folder of one CLI invocation. */
export interface Io {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** The working folder. */
  cwd: string;
  /** Reads all of standard input (hooks: git's pre-push lines). */
  stdin?: () => Promise<Uint8Array>;
}

// In files of their own, without node:util, for the dispatcher to load at
// start (src/cli/main.ts): `--version` and a hook pay for no more.
export { EXIT } from "./exit_codes.ts";
export { escapeControls } from "./escape_controls.ts";

/** Option spec accepted by {@linkcode parseCommand}. */
export type OptionSpec = Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean }
>;

/**
 * Parses a command's arguments strictly; unknown options are usage errors,
 * which suggest the nearest option when one is close (`--rnage` →
 * `--range`). No message repeats an argument that is not shaped like an
 * option, nor an option's value: either may be a secret pasted in the
 * wrong place.
 *
 * @param args The arguments after the command name.
 * @param options The command's options (`--help` and `--json` are added).
 * @param command The command's name, for messages.
 * @returns Option values and positional arguments.
 * @throws {ToolError} `USAGE` for an unknown or malformed option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommand } from "./io.ts";
 * const { values, positionals } = parseCommand(["a", "--json"], {});
 * assert.ok(values.json === true && positionals[0] === "a");
 * assert.throws(
 *   () => parseCommand(["--rnage", "a..b"], { range: { type: "string" } }, "verify"),
 *   /Unknown option "--rnage" for "verify": did you mean "--range"\?/,
 * );
 * ```
 */
export function parseCommand(
  args: string[],
  options: OptionSpec,
  command?: string,
): {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
} {
  const all: OptionSpec = {
    ...options,
    help: { type: "boolean", short: "h" },
    json: { type: "boolean" },
  };
  refuseBadOptions(args, all, command);
  try {
    const parsed = parseArgs({
      args,
      options: all,
      allowPositionals: true,
      strict: true,
    });
    return {
      values: parsed.values as Record<
        string,
        string | boolean | string[] | undefined
      >,
      positionals: parsed.positionals,
    };
  } catch (error) {
    // Whatever refuseBadOptions did not foresee: node's first sentence,
    // with double quotes (its messages name options, never values).
    const message = error instanceof Error ? error.message : String(error);
    throw new ToolError(
      "USAGE",
      message.split(/\.(?:\s|$)|\n/)[0]!.replaceAll("'", '"'),
    );
  }
}

// An option as a person types it: dashes, then a name.
const OPTION_SHAPE = /^--?[A-Za-z0-9][A-Za-z0-9-]*$/;

// Refuses unknown options, and known ones with a missing or unwanted value,
// in our own words (node's quote the argument whole, unbalanced).
function refuseBadOptions(
  args: string[],
  options: OptionSpec,
  command: string | undefined,
): void {
  const { tokens } = parseArgs({
    args,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const of = command ? ` for "${command}"` : "";
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const spec = options[token.name];
    if (!spec) {
      if (!OPTION_SHAPE.test(token.rawName)) {
        // Never repeated: a pasted private key starts with "-----BEGIN".
        throw new ToolError(
          "USAGE",
          redactPrivateKeys(token.rawName) !== token.rawName
            ? `An argument${of} is a private key: ${REDACTED_PRIVATE_KEY}`
            : `An argument${of} starts with "-" but is not an option: ` +
              `to pass it as a value, put it after "--"`,
        );
      }
      const nearest = token.rawName.startsWith("--")
        ? nearestOption(token.name, Object.keys(options))
        : undefined;
      throw new ToolError(
        "USAGE",
        `Unknown option "${token.rawName}"${of}` +
          (nearest ? `: did you mean "--${nearest}"?` : ""),
      );
    }
    if (spec.type === "boolean" && token.value !== undefined) {
      throw new ToolError(
        "USAGE",
        `Option "${token.rawName}"${of} takes no value`,
      );
    }
    if (spec.type === "string" && token.value === undefined) {
      throw new ToolError(
        "USAGE",
        `Option "${token.rawName}"${of} needs a value`,
      );
    }
    if (
      spec.type === "string" && !token.inlineValue &&
      token.value?.startsWith("-")
    ) {
      throw new ToolError(
        "USAGE",
        `Option "${token.rawName}"${of} needs a value, and the next argument starts with "-": ` +
          `write "${token.rawName}=VALUE" to pass a value that does`,
      );
    }
  }
}

/**
 * Shows a repository path in a line of text output: as it is, or, when it
 * holds a line break, a control, a format character (a bidi override, a
 * zero width), a `"` or a `\`, as a JSON string whose invisible characters
 * are `\u{…}` escapes. Git allows a newline in a file name; printed raw,
 * `a\nok    .mcp.json` would add a line of its own to a report.
 *
 * @param path A repository-relative path.
 * @returns Text that stays on its line and shows every character.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { displayPath } from "./io.ts";
 * assert.equal(displayPath("tools/.mcp.json"), "tools/.mcp.json");
 * assert.equal(displayPath("a\nok    .mcp.json"), '"a\\nok    .mcp.json"');
 * assert.equal(displayPath("\u202enosj.pcm."), '"\\u{202e}nosj.pcm."');
 * ```
 */
export function displayPath(path: string): string {
  return hasInvisible(path) || /["\\]/.test(path)
    ? escapeInvisible(JSON.stringify(path))
    : path;
}

/**
 * Prints a value as pretty JSON with a final newline. Every character that
 * {@linkcode escapeInvisible} escapes in text (a bidi override, a zero
 * width, C1 controls, a line separator) is written as a JSON `\uXXXX`
 * escape too: the same value once parsed, but a hostile server name in
 * `diff --json` cannot rewrite the terminal or CI log that shows it.
 *
 * @param io Where to print.
 * @param value Any JSON-serialisable value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printJson } from "./io.ts";
 * let text = "";
 * printJson({ out: (t) => (text += t), err: () => {}, cwd: "." }, { a: 1 });
 * assert.ok(text === '{\n  "a": 1\n}\n');
 * text = "";
 * printJson({ out: (t) => (text += t), err: () => {}, cwd: "." }, ["\u202ex"]);
 * assert.equal(text, '[\n  "\\u202ex"\n]\n');
 * ```
 */
export function printJson(io: Io, value: unknown): void {
  io.out(
    JSON.stringify(value, null, 2).replace(
      JSON_INVISIBLE,
      (char) =>
        [...Array(char.length).keys()].map((index) =>
          `\\u${char.charCodeAt(index).toString(16).padStart(4, "0")}`
        ).join(""),
    ) + "\n",
  );
}

// What escapeInvisible escapes, but the line breaks and plain spaces that
// lay the JSON out (JSON.stringify escapes those inside strings).
const JSON_INVISIBLE =
  /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]|(?! )\p{Zs}/gu;

/**
 * Reads a string option, refusing a repeated or empty one.
 *
 * @param values Parsed option values.
 * @param name The option's name.
 * @returns Its value, or undefined when absent.
 * @throws {ToolError} `USAGE` for an empty value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stringOption } from "./io.ts";
 * assert.ok(stringOption({ key: "a" }, "key") === "a");
 * ```
 */
export function stringOption(
  values: Record<string, string | boolean | string[] | undefined>,
  name: string,
): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw new ToolError("USAGE", `Option "--${name}" needs a value`);
  }
  return value;
}
