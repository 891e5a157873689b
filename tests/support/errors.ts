/**
 * How tests assert on an error: by its closed code first, then, only where
 * the wording is what a test is about (a message must name the file, give the
 * hint, never echo a secret), by fragments of its message.
 *
 * - {@linkcode assertToolError}: a function throws, or a promise rejects
 *   with, a `ToolError` of the given code.
 * - {@linkcode assertCliError}: a run of the CLI stopped with an error of the
 *   given code (`error[CODE]: message` on stderr, or the `--json` object).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ErrorCode, ToolError } from "../../src/errors.ts";
import type { CliResult } from "./cli.ts";

/** A piece of text the message must contain, or a pattern it must match. */
export type Fragment = string | RegExp;

function assertFragments(
  text: string,
  fragments: readonly Fragment[],
  what: string,
): void {
  for (const fragment of fragments) {
    if (typeof fragment === "string") {
      assert.ok(
        text.includes(fragment),
        `${what} lacks "${fragment}":\n${text}`,
      );
    } else {
      assert.match(text, fragment, `${what} does not match ${fragment}`);
    }
  }
}

function checked(
  error: unknown,
  code: ErrorCode,
  fragments: readonly Fragment[],
): ToolError {
  // Anything else is a failure of the code under test: rethrow it as it is.
  if (!(error instanceof ToolError)) throw error;
  assert.equal(error.code, code, error.message);
  assertFragments(error.message, fragments, "the message");
  return error;
}

/**
 * Asserts that `run` throws (or returns a promise that rejects with) a
 * {@linkcode ToolError} of `code` whose message contains every fragment.
 * Any other error is rethrown as it is.
 *
 * @param run The code under test, or a promise of it.
 * @param code The expected code.
 * @param fragments Texts the message must contain, or patterns it must match.
 * @returns The error (a promise of it when `run` is or returns a promise).
 * @throws {AssertionError} When nothing is thrown or the code or a fragment differs.
 *
 * @example
 * ```ts
 * import { assertToolError } from "./errors.ts";
 * import { ToolError } from "../../src/errors.ts";
 * assertToolError(() => { throw new ToolError("BAD_PATH", 'Cannot sign "a"'); }, "BAD_PATH", '"a"');
 * await assertToolError(Promise.reject(new ToolError("IO", "x")), "IO");
 * ```
 */
export function assertToolError(
  run: () => never,
  code: ErrorCode,
  ...fragments: Fragment[]
): ToolError;
export function assertToolError(
  run: Promise<unknown> | (() => Promise<unknown>),
  code: ErrorCode,
  ...fragments: Fragment[]
): Promise<ToolError>;
export function assertToolError(
  run: () => unknown,
  code: ErrorCode,
  ...fragments: Fragment[]
): ToolError;
export function assertToolError(
  run: Promise<unknown> | (() => unknown),
  code: ErrorCode,
  ...fragments: Fragment[]
): ToolError | Promise<ToolError> {
  let result: unknown;
  try {
    result = typeof run === "function" ? run() : run;
  } catch (error) {
    return checked(error, code, fragments);
  }
  if (result instanceof Promise) {
    return result.then(
      () => assert.fail(`Expected a ToolError "${code}", got none`),
      (error: unknown) => checked(error, code, fragments),
    );
  }
  return assert.fail(`Expected a ToolError "${code}", got none`);
}

/** What {@linkcode cliError} found: the code and message of a CLI error. */
export interface CliError {
  /** The error's code. */
  code: ErrorCode;
  /** Its message, as printed after `error[CODE]: ` to the end (or in the JSON object). */
  message: string;
}

const TEXT_ERROR = /^error\[([A-Z_]+)\]: /m;

/**
 * Reads the error a CLI run stopped with from its stderr: the last line when
 * it is the `--json` object, else the `error[CODE]: message` line.
 *
 * @param result A finished run of the tool.
 * @returns The code and message, or undefined when it printed no error.
 */
export function cliError(
  result: Pick<CliResult, "stderr">,
): CliError | undefined {
  const last = result.stderr.trimEnd().split("\n").at(-1) ?? "";
  if (last.startsWith("{")) {
    const value = JSON.parse(last) as { code?: unknown; message?: unknown };
    if (typeof value.code === "string" && typeof value.message === "string") {
      return { code: value.code as ErrorCode, message: value.message };
    }
  }
  const match = TEXT_ERROR.exec(result.stderr);
  if (!match) return undefined;
  // The error is the last thing printed: the message runs to the end (a
  // usage error's "See" line and a bug's stack included).
  const message = result.stderr.slice(match.index + match[0].length);
  return { code: match[1] as ErrorCode, message: message.trimEnd() };
}

/**
 * Asserts that a CLI run stopped with an error of `code`: its exit code is
 * that of the code (2 for `USAGE`, else 1), stderr holds the error, and its
 * message contains every fragment.
 *
 * @param result A finished run of the tool.
 * @param code The expected code.
 * @param fragments Texts the message must contain, or patterns it must match.
 * @returns The message (with any lines printed after it), for further checks.
 * @throws {AssertionError} When the run did not stop so.
 */
export function assertCliError(
  result: Pick<CliResult, "code" | "stderr"> & { stdout?: string },
  code: ErrorCode,
  ...fragments: Fragment[]
): string {
  const found = cliError(result);
  assert.ok(
    found,
    `no error line (exit ${result.code}):\n${
      result.stdout ?? ""
    }\n${result.stderr}`,
  );
  assert.equal(found.code, code, result.stderr);
  assert.equal(result.code, code === "USAGE" ? 2 : 1, result.stderr);
  assertFragments(found.message, fragments, "the error message");
  return found.message;
}
