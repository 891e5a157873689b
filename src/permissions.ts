/**
 * The least-privilege Deno permission flags of the tool, in one place: the
 * demo, the build and the tests run with them, and installed Git hooks call
 * `deno run` with exactly these. Where they must be spelled out (README,
 * main.ts, the cli task, action/verify.sh, hooks/pre-commit-framework),
 * tests/permissions_test.ts checks every copy against this list.
 *
 * - `--allow-read`, `--allow-write`: the repository (configs,
 *   `.mcp-orchestration/`, a lock in the git folder) and the key folder; the
 *   repository can be anywhere, so these are not narrowed to a path.
 * - `--allow-run=git`: git is the only program the tool starts.
 * - `--allow-env=…`: only the variables the tool reads; git still inherits
 *   the whole environment (hooks need `GIT_INDEX_FILE`), which the tool
 *   itself cannot read.
 *
 * @module
 */

/**
 * The flags, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PERMISSION_FLAGS } from "./permissions.ts";
 * assert.ok(PERMISSION_FLAGS.includes("--allow-run=git"));
 * ```
 */
export const PERMISSION_FLAGS: readonly string[] = Object.freeze([
  "--allow-read",
  "--allow-write",
  "--allow-run=git",
  "--allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY",
]);
