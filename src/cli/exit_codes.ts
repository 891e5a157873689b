/**
 * The exit codes of the command line, documented in README.md.
 *
 * @module
 */

/**
 * Exit codes: 0 success, 1 failure (a check failed, or an error), 2 usage
 * error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXIT } from "./exit_codes.ts";
 * assert.equal(EXIT.usage, 2);
 * ```
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
