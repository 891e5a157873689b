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
 * Signing through an SSH agent (`--agent`) talks to the unix socket in
 * `SSH_AUTH_SOCK`. Deno 2.9 asks for `--allow-net=unix:<path>` for a unix
 * socket, on top of read and write, and takes only an exact path, which
 * differs per login: {@linkcode agentSocketFlag} gives it for one socket,
 * and the installed hooks add it through {@linkcode AGENT_SOCKET_SHELL_WORD}
 * when the variable is set. No other network access is ever granted.
 *
 * `verify --ci` reads the variables CI systems set, to tell which commits a
 * run brings: {@linkcode CI_PERMISSION_FLAGS}, the same with those
 * variables (named one by one: never `GITHUB_*`, which would cover
 * `GITHUB_TOKEN`) added to `--allow-env`. The hooks never need them; the
 * compiled executable has them baked in.
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
  "--allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY,MCP_ORCHESTRATION_AGENT,MCP_ORCHESTRATION_PASSPHRASE_FILE,SSH_AUTH_SOCK",
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

/**
 * The variables `verify --ci` reads (see `src/app/ci_range.ts`): each CI's
 * marker, event and commit ids. None is a secret.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CI_ENV_VARIABLES } from "./permissions.ts";
 * assert.ok(CI_ENV_VARIABLES.includes("GITHUB_EVENT_PATH"));
 * ```
 */
export const CI_ENV_VARIABLES: readonly string[] = Object.freeze([
  "GITHUB_ACTIONS",
  "GITEA_ACTIONS",
  "FORGEJO_ACTIONS",
  "GITHUB_EVENT_NAME",
  "GITHUB_EVENT_PATH",
  "GITHUB_SHA",
  "GITLAB_CI",
  "CI_PIPELINE_SOURCE",
  "CI_COMMIT_SHA",
  "CI_COMMIT_BEFORE_SHA",
  "CI_COMMIT_BRANCH",
  "CI_DEFAULT_BRANCH",
  "CI_MERGE_REQUEST_DIFF_BASE_SHA",
  "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
  "BITBUCKET_BUILD_NUMBER",
  "BITBUCKET_COMMIT",
  "BITBUCKET_PR_ID",
  "BITBUCKET_PR_DESTINATION_COMMIT",
  "JENKINS_URL",
  "GIT_COMMIT",
  "GIT_PREVIOUS_SUCCESSFUL_COMMIT",
  "CHANGE_ID",
  "CHANGE_TARGET",
]);

/**
 * The flags of `verify --ci`: {@linkcode PERMISSION_FLAGS} with
 * {@linkcode CI_ENV_VARIABLES} added to `--allow-env`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CI_PERMISSION_FLAGS } from "./permissions.ts";
 * assert.ok(CI_PERMISSION_FLAGS.some((flag) => flag.endsWith(",CHANGE_TARGET")));
 * ```
 */
export const CI_PERMISSION_FLAGS: readonly string[] = Object.freeze(
  PERMISSION_FLAGS.map((flag) =>
    flag.startsWith("--allow-env=")
      ? `${flag},${CI_ENV_VARIABLES.join(",")}`
      : flag
  ),
);

/**
 * The one network permission the tool may need: the SSH agent's unix
 * socket, by its exact path (Deno allows no pattern there).
 *
 * @param socket The socket's absolute path, `$SSH_AUTH_SOCK`.
 * @returns The flag, `--allow-net=unix:<socket>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { agentSocketFlag } from "./permissions.ts";
 * assert.equal(agentSocketFlag("/tmp/a.sock"), "--allow-net=unix:/tmp/a.sock");
 * ```
 */
export function agentSocketFlag(socket: string): string {
  return `--allow-net=unix:${socket}`;
}

/**
 * Shell text that an installed hook's `deno run` line carries: it becomes
 * {@linkcode agentSocketFlag} of `$SSH_AUTH_SOCK` when that is set (one
 * word, whatever the path holds) and nothing otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AGENT_SOCKET_SHELL_WORD } from "./permissions.ts";
 * assert.ok(AGENT_SOCKET_SHELL_WORD.startsWith("${SSH_AUTH_SOCK:+"));
 * ```
 */
export const AGENT_SOCKET_SHELL_WORD =
  '${SSH_AUTH_SOCK:+"--allow-net=unix:$SSH_AUTH_SOCK"}';
