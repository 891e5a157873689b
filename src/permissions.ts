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
 * `exec` runs a program the user names (an MCP client) after verifying, so
 * it needs {@linkcode EXEC_PERMISSION_FLAGS}: the same, with `--allow-run`
 * for any program. Only a user typing `exec` grants it; the hooks and every
 * other command keep `--allow-run=git`.
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

/**
 * The flags of `exec`: {@linkcode PERMISSION_FLAGS} with `--allow-run` for
 * any program, since the program to run is the user's to name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXEC_PERMISSION_FLAGS } from "./permissions.ts";
 * assert.ok(EXEC_PERMISSION_FLAGS.includes("--allow-run"));
 * ```
 */
export const EXEC_PERMISSION_FLAGS: readonly string[] = Object.freeze(
  PERMISSION_FLAGS.map((flag) =>
    flag === "--allow-run=git" ? "--allow-run" : flag
  ),
);
