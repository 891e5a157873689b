/**
 * Errors that stop an operation. Every error carries a closed `code` so that
 * callers and tests branch on the code, never on the message. Verification
 * outcomes (UNSIGNED, TAMPERED, …) are results, not exceptions: see
 * `verify_codes.ts`.
 *
 * @module
 */

/** Why an operation stopped. */
export type ErrorCode =
  /** The command line is wrong (exit code 2). */
  | "USAGE"
  /** A config file fails to read, parse or validate. */
  | "INVALID_CONFIG"
  /** A key, signature, statement, index or trust file is not well-formed. */
  | "INVALID_FORMAT"
  /** No signing key where one was expected. */
  | "KEY_NOT_FOUND"
  /** A key already exists and would be overwritten. */
  | "KEY_EXISTS"
  /** A private key file is readable by group or others. */
  | "KEY_PERMISSIONS"
  /** A key is unusable: encrypted, wrong type, or inconsistent. */
  | "INVALID_KEY"
  /** The signer is not in the repository's trust list, or the entry does not fit. */
  | "TRUST"
  /** The working folder is not inside a Git working tree. */
  | "NOT_A_REPOSITORY"
  /** A path is outside the repository, a symlink, missing, or not a config. */
  | "BAD_PATH"
  /** Another mcp-orchestration process holds the repository's lock. */
  | "LOCKED"
  /** Git hooks cannot be installed where Git would run them (another hook manager, a hook in the way). */
  | "HOOKS"
  /** A file or process operation failed. */
  | "IO"
  /** Not one of the tool's own errors: a bug, reported with its stack. */
  | "INTERNAL";

/**
 * An error that stops an operation, with a closed code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ToolError } from "./errors.ts";
 * const error = new ToolError("BAD_PATH", 'Cannot sign "a.json": not a recognised MCP config');
 * assert.ok(error.code === "BAD_PATH");
 * ```
 */
export class ToolError extends Error {
  /** Why the operation stopped. */
  readonly code: ErrorCode;

  /**
   * Creates an error.
   *
   * @param code Why the operation stopped.
   * @param message Sentence case, no final period, values in quotes.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ToolError";
    this.code = code;
  }
}

/**
 * Returns the message of any thrown value.
 *
 * @param error A caught value.
 * @returns Its message, or its string form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorMessage } from "./errors.ts";
 * assert.ok(errorMessage(new Error("boom")) === "boom");
 * ```
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Gives any thrown value its code, for the CLI's outer edge: a
 * {@linkcode ToolError} keeps its own; an operating-system error that escaped
 * unwrapped (it carries an errno name such as `"EACCES"`) is `IO`; anything
 * else is a bug, `INTERNAL`, its message prefixed with "unexpected failure".
 *
 * @param error A caught value.
 * @returns A `ToolError` whose `cause` is the original value when it was not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toToolError } from "./errors.ts";
 * const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
 * assert.equal(toToolError(denied).code, "IO");
 * assert.equal(toToolError(new TypeError("x")).message, "unexpected failure: x");
 * ```
 */
export function toToolError(error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  const errno = typeof error === "object" && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
  if (typeof errno === "string" && /^E[A-Z0-9]+$/.test(errno)) {
    return new ToolError("IO", errorMessage(error), { cause: error });
  }
  return new ToolError(
    "INTERNAL",
    `unexpected failure: ${errorMessage(error)}`,
    { cause: error },
  );
}
