/**
 * The least-privilege Deno permission flags of the tool, in one place for
 * the demo, the tests and the README (which quotes them verbatim).
 *
 * - `--allow-read`, `--allow-write`: the repository (configs, `.mcp-orchestration/`,
 *   the lock in the git folder) and the key folder; the repository can be
 *   anywhere, so these are not narrowed to a path.
 * - `--allow-run=git`: git is the only program the tool starts.
 * - `--allow-env=…`: only the variables the tool reads; git still inherits
 *   the whole environment (hooks need `GIT_INDEX_FILE`), which the tool
 *   itself cannot read.
 *
 * @module
 */

/** The flags, in order. */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run=git",
  "--allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY",
];
