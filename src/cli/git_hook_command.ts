/**
 * `hook pre-commit` and `hook pre-push`: what the installed Git hook stubs
 * call. pre-commit signs the staged configs and stages the signatures into
 * the same commit; pre-push verifies every commit the remote does not have
 * yet, and refuses the push with a per-commit, per-file report.
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { parsePushUpdates, verifyPush } from "../verify/verify_push.ts";
import { loadSigningKey } from "../keys/key_store.ts";
import { signStaged } from "../sign/sign_staged.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { formatCommitReports } from "./history_report.ts";
import { EXIT } from "./io.ts";

// Git passes no options; --json is parsed for every command, and a hook
// has nothing for a machine to read (it reports on stderr).
const HOOK_JSON = "accepted and ignored: a hook reports to people, on stderr";

/** What `hook pre-commit` accepts. */
export const HOOK_PRE_COMMIT_COMMAND: CommandSpec = {
  name: "hook pre-commit",
  options: {},
  synopsis: ["hook pre-commit"],
  json: HOOK_JSON,
};

/** What `hook pre-push` accepts. */
export const HOOK_PRE_PUSH_COMMAND: CommandSpec = {
  name: "hook pre-push",
  options: {},
  synopsis: ["hook pre-push REMOTE URL < ref-updates"],
  json: HOOK_JSON,
};

/**
 * Runs `hook <pre-commit|pre-push>`.
 *
 * @param name The hook.
 * @param args Its arguments (pre-push: the remote's name and URL).
 * @param context Streams and repository.
 * @returns 0 to let git go on, 1 to stop the commit or push.
 * @throws {ToolError} On usage errors; other errors stop git too (exit 1).
 *
 * @example
 * ```ts ignore
 * await gitHookCommand("pre-commit", [], context);
 * ```
 */
export async function gitHookCommand(
  name: string | undefined,
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { positionals } = parseArguments(
    args,
    name === "pre-push" ? HOOK_PRE_PUSH_COMMAND : HOOK_PRE_COMMIT_COMMAND,
  );
  if (name === "pre-commit") {
    const report = await signStaged(await context.repo(), {
      key: () => loadSigningKey(),
    });
    for (const result of report.results) {
      if (result.status === "signed") {
        io.err(
          `${TOOL_NAME}: signed ${result.path} (sequence ${result.sequence})\n`,
        );
      }
    }
    return EXIT.ok;
  }
  if (name === "pre-push") {
    const remote = positionals[0];
    if (!remote) {
      throw new ToolError(
        "USAGE",
        `"hook pre-push" needs the remote's name, as git passes it`,
      );
    }
    const input = new TextDecoder().decode(
      await (io.stdin?.() ?? Promise.resolve(new Uint8Array())),
    );
    const reports = await verifyPush(
      await context.repo(),
      remote,
      parsePushUpdates(input),
    );
    const failed = reports.filter((report) => !report.ok);
    if (failed.length === 0) return EXIT.ok;
    io.err(formatCommitReports(failed, { only: "failures" }));
    io.err(
      `${TOOL_NAME}: push refused: ${failed.length} of ${reports.length} new commit${
        reports.length === 1 ? "" : "s"
      } fail verification. Fix and re-sign the configs in a new commit (or rewrite these commits), then push again.\n`,
    );
    return EXIT.failed;
  }
  throw new ToolError(
    "USAGE",
    `Unknown hook "${
      name ?? ""
    }": expected "hook pre-commit" or "hook pre-push REMOTE URL"`,
  );
}
