/**
 * `hook pre-commit`, `hook pre-push`, the checkout hooks and the server's
 * `hook pre-receive` (or `hook update`): what the installed Git hook stubs
 * call. pre-commit signs the staged configs and
 * stages the signatures into the same commit; pre-push verifies every
 * commit the remote does not have yet, and refuses the push with a
 * per-commit, per-file report. post-checkout, post-merge and post-rewrite
 * verify the working tree git has just changed and, on any failure, print
 * a loud report (they cannot undo the checkout) and exit 1. On the Git
 * server, pre-receive verifies every commit a push brings that the server
 * did not hold, and refuses the whole push when one fails.
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import { exists } from "../fs/files.ts";
import {
  findGitFolder,
  OPERATION_MARKERS,
  type Repository,
} from "../git/repository.ts";
import { ToolError } from "../errors.ts";
import type { ReceiveUpdate } from "../verify/verify_receive.ts";
import type { CommitReport } from "../verify/verify_history.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { EXIT } from "./io.ts";

// Each hook imports what it runs when it runs: a commit's pre-commit then
// loads no verifier, and a checkout hook no signer (every module costs
// start-up time in every hook).

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

/** What `hook pre-receive` accepts (on the Git server). */
export const HOOK_PRE_RECEIVE_COMMAND: CommandSpec = {
  name: "hook pre-receive",
  options: {},
  synopsis: ["hook pre-receive < ref-updates"],
  json: HOOK_JSON,
};

/** What `hook update` accepts (on a Git server that runs only that hook). */
export const HOOK_UPDATE_COMMAND: CommandSpec = {
  name: "hook update",
  options: {},
  synopsis: ["hook update REF OLD NEW"],
  json: HOOK_JSON,
};

/** What `hook post-checkout` accepts. */
export const HOOK_POST_CHECKOUT_COMMAND: CommandSpec = {
  name: "hook post-checkout",
  options: {},
  synopsis: ["hook post-checkout OLD NEW FLAG"],
  json: HOOK_JSON,
};

/** What `hook post-merge` accepts. */
export const HOOK_POST_MERGE_COMMAND: CommandSpec = {
  name: "hook post-merge",
  options: {},
  synopsis: ["hook post-merge SQUASH"],
  json: HOOK_JSON,
};

/** What `hook post-rewrite` accepts. */
export const HOOK_POST_REWRITE_COMMAND: CommandSpec = {
  name: "hook post-rewrite",
  options: {},
  synopsis: ["hook post-rewrite amend|rebase < rewritten-commits"],
  json: HOOK_JSON,
};

// What each checkout hook reports having followed.
const CHECKOUT_HOOKS: Readonly<Record<string, CommandSpec>> = {
  "post-checkout": HOOK_POST_CHECKOUT_COMMAND,
  "post-merge": HOOK_POST_MERGE_COMMAND,
  "post-rewrite": HOOK_POST_REWRITE_COMMAND,
};

/**
 * Runs `hook <pre-commit|pre-push|post-checkout|post-merge|post-rewrite>`.
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
  if (name !== undefined && Object.hasOwn(CHECKOUT_HOOKS, name)) {
    return await checkoutHook(name, args, context);
  }
  if (name === "pre-receive" || name === "update") {
    return await receiveHook(name, args, context);
  }
  const { positionals } = parseArguments(
    args,
    name === "pre-push" ? HOOK_PRE_PUSH_COMMAND : HOOK_PRE_COMMIT_COMMAND,
  );
  if (name === "pre-commit") {
    const [{ signStaged }, { loadSigner }] = await Promise.all([
      import("../sign/sign_staged.ts"),
      import("../keys/signer.ts"),
    ]);
    const repo = await context.repo();
    const report = await signStaged(repo, {
      key: () => loadSigner({ repo }),
    });
    for (const result of report.results) {
      if (result.status === "signed") {
        io.err(
          `${TOOL_NAME}: signed ${result.path} (sequence ${result.sequence})\n`,
        );
      }
    }
    // What the signatures vouch for, server by server, against HEAD, and
    // lint's warnings (a blocking finding refused the commit before this);
    // their printers load only when there is something to print.
    if (report.changes.length > 0) {
      const { summaryLines } = await import("./diff_report.ts");
      for (const change of report.changes) {
        for (const line of summaryLines(change)) {
          io.err(`${TOOL_NAME}:   ${line}\n`);
        }
      }
    }
    if (report.lint.length > 0) {
      const { formatFinding } = await import("../configs/lint_config.ts");
      for (const finding of report.lint) {
        io.err(`${TOOL_NAME}: ${formatFinding(finding)}\n`);
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
    const [{ parsePushUpdates, verifyPush }, { formatCommitReports }] =
      await Promise.all([
        import("../verify/verify_push.ts"),
        import("./history_report.ts"),
      ]);
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
    }": expected "hook pre-commit", "hook pre-push REMOTE URL", "hook post-checkout OLD NEW FLAG", "hook post-merge SQUASH", "hook post-rewrite amend|rebase", "hook pre-receive" or "hook update REF OLD NEW"`,
  );
}

// On the Git server, before it updates any ref: verify what the push
// brings, from the repository's Git folder (where git starts the hook), and
// refuse it with a report per commit and file (git shows it to the pusher
// as "remote:" lines). Needs no key and no home, and writes nothing.
async function receiveHook(
  name: "pre-receive" | "update",
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { positionals } = parseArguments(
    args,
    name === "update" ? HOOK_UPDATE_COMMAND : HOOK_PRE_RECEIVE_COMMAND,
  );
  const { parseReceiveUpdates, receiveRefPatterns, verifyReceive } =
    await import("../verify/verify_receive.ts");
  let updates: ReceiveUpdate[];
  if (name === "update") {
    const [ref, oldId, newId] = positionals;
    if (positionals.length !== 3) {
      throw new ToolError(
        "USAGE",
        `"hook update" needs the ref, the old and the new id, as git passes them`,
      );
    }
    updates = parseReceiveUpdates(`${oldId} ${newId} ${ref}\n`);
  } else {
    updates = parseReceiveUpdates(
      new TextDecoder().decode(
        await (io.stdin?.() ?? Promise.resolve(new Uint8Array())),
      ),
    );
  }
  const repo = await findGitFolder(io.cwd);
  const reports = await verifyReceive(
    repo,
    updates,
    await receiveRefPatterns(repo),
  );
  return await reportReceived(io, reports);
}

async function reportReceived(
  io: CommandContext["io"],
  reports: readonly CommitReport[],
): Promise<number> {
  const failed = reports.filter((report) => !report.ok);
  const commits = `${reports.length} new commit${
    reports.length === 1 ? "" : "s"
  }`;
  if (failed.length === 0) {
    if (reports.length > 0) {
      io.err(`${TOOL_NAME}: ${commits} verified\n`);
    }
    return EXIT.ok;
  }
  const { formatCommitReports } = await import("./history_report.ts");
  io.err(formatCommitReports(failed, { only: "failures" }));
  io.err(
    `${TOOL_NAME}: push refused by the server: ${failed.length} of ${commits} fail verification. Fix and re-sign the configs in a new commit (or rewrite these commits), then push again.\n`,
  );
  return EXIT.failed;
}

// After git has changed the working tree: verify it as "verify" does, and
// on any failure (or when verification cannot run) say so loudly. The exit
// status cannot stop git; post-checkout's becomes git switch's.
async function checkoutHook(
  name: string,
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { positionals } = parseArguments(args, CHECKOUT_HOOKS[name]!);
  // An amend rewrites a commit, never the working tree (the stub stops
  // first; this is for a hook manager that calls us directly).
  if (name === "post-rewrite" && positionals[0] === "amend") return EXIT.ok;
  const fileCheckout = name === "post-checkout" && positionals[2] === "0";
  const repo = await context.repo();
  // "git checkout --ours -- PATH" while a merge, rebase or cherry-pick waits
  // for its conflicts to be resolved: the tree is half-done by design, and
  // the commit that completes it goes through pre-commit.
  if (fileCheckout && await operationUnderWay(repo)) return EXIT.ok;
  const after = name === "post-checkout"
    ? fileCheckout ? "a file checkout" : "git checkout"
    : name === "post-merge"
    ? "git merge or pull"
    : "git rebase";
  const { checkUsedConfigs, formatUsedConfigsReport } = await import(
    "./used_configs.ts"
  );
  let check;
  try {
    check = await checkUsedConfigs(repo, { head: false });
  } catch (error) {
    context.io.err(
      `${TOOL_NAME}: DANGER after ${after}: the MCP configs in this working tree could NOT be verified. Do not start an MCP client here until "${TOOL_NAME} verify" passes.\n`,
    );
    throw error;
  }
  if (check.ok) return EXIT.ok;
  context.io.err(
    await formatUsedConfigsReport(repo, check, {
      after,
      status: EXIT.failed,
    }),
  );
  return EXIT.failed;
}

// Whether git is in the middle of a merge, rebase, cherry-pick or revert.
async function operationUnderWay(repo: Repository): Promise<boolean> {
  for (const name of Object.keys(OPERATION_MARKERS)) {
    const path = repo.gitPaths?.[name];
    if (path && await exists(path)) return true;
  }
  return false;
}
