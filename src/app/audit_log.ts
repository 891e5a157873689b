/**
 * The audit trail along history (`log`): every signed version of every
 * config, who signed it and which principals the trust list of that very
 * commit maps the key to, the approvals, and in between the changes of the
 * trust list, the revocations, rotations and policy versions, and deleted
 * configs. One pass over the commits, parents before children, reading only
 * what Git stores; each version's verdict is the one `verify` gives that
 * commit (`verifyRevisions`), so that nothing is shown as signed by a
 * principal unless it verifies there.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import {
  commitId,
  git,
  type Repository,
  toRepoPath,
} from "../git/repository.ts";
import { defaultBranches, verifyRevisions } from "../verify/verify_history.ts";
import { type ListedCommit, walkHistory } from "./audit_walk.ts";
import {
  type LogEvent,
  TRUST_FILES,
  type Verdicts,
  verdictsOf,
} from "./log_events.ts";

export type {
  LogCommit,
  LogEvent,
  LogSigner,
  LogVerification,
} from "./log_events.ts";

/** Options for {@linkcode auditLog}. */
export interface AuditLogOptions {
  /** The tip whose history is logged (default `HEAD`). */
  rev?: string;
  /** Only these configs (as the user gave them, relative to `cwd`). */
  paths?: readonly string[];
  /** Where relative paths start. */
  cwd: string;
  /** Verification time (default: now). */
  now?: Date;
}

/**
 * The audit trail of a history, oldest first: one pass over the commits
 * reachable from the tip, parents before children, each event in the
 * commit that brought it (a merge shows only what no parent had).
 *
 * @param repo The repository.
 * @param options The tip, the paths, and the verification time.
 * @returns The events, oldest first.
 * @throws {ToolError} `USAGE` for a revision that names no commit;
 * `BAD_PATH` for a path outside the repository, or one that is no config
 * the history signed, or in a shallow clone (its history is cut short).
 *
 * @example
 * ```ts ignore
 * const events = await auditLog(repo, { cwd: repo.root });
 * ```
 */
export async function auditLog(
  repo: Repository,
  options: AuditLogOptions,
): Promise<LogEvent[]> {
  const rev = options.rev ?? "HEAD";
  const tip = await resolveTip(repo, rev).catch(async (error) => {
    // A repository without commits yet has an empty history, not a bad one.
    if (options.rev === undefined && !(await hasCommits(repo))) return "";
    throw error;
  });
  const wanted = options.paths && options.paths.length > 0
    ? await Promise.all(
      options.paths.map((path) => toRepoPath(repo, options.cwd, path)),
    )
    : undefined;
  for (const path of wanted ?? []) {
    if (TRUST_FILES.includes(path)) {
      throw new ToolError(
        "BAD_PATH",
        `Cannot log "${path}": it is a trust file, not an MCP config; its changes show in the log of every config`,
      );
    }
  }
  if (tip !== "" && await isShallow(repo)) {
    // The boundary's parents are missing: its trust list could only be
    // judged as a root of trust, which it is not.
    throw new ToolError(
      "BAD_PATH",
      `Cannot log "${rev}": this repository is a shallow clone, and the history that judges its trust list is missing; ` +
        `run "git fetch --unshallow" first`,
    );
  }
  const commits = tip === "" ? [] : await listHistory(repo, tip);
  const now = options.now ?? new Date();
  const [reports, walk] = await Promise.all([
    commits.length === 0 ? Promise.resolve([]) : verifyRevisions(
      repo,
      commits.map((commit) => commit.id),
      {
        now,
        allowRoots: true,
        bases: () => defaultBranches(repo),
        tips: [{ rev: tip, history: true }],
      },
    ),
    walkHistory(repo, commits, now),
  ]);
  for (const path of wanted ?? []) {
    if (!walk.signedPaths.has(path)) {
      throw new ToolError(
        "BAD_PATH",
        `Cannot log "${path}": no commit in the history of "${rev}" signed a config at that path`,
      );
    }
  }
  const byCommit = new Map(reports.map((report) => [report.commit, report]));
  const settled = new Map<string, Verdicts>();
  const of = (commit: string) => {
    let verdicts = settled.get(commit);
    if (!verdicts) {
      verdicts = verdictsOf(byCommit.get(commit));
      settled.set(commit, verdicts);
    }
    return verdicts;
  };
  const events: LogEvent[] = [];
  for (const draft of walk.drafts) {
    if (wanted && draft.path !== undefined && !wanted.includes(draft.path)) {
      continue;
    }
    const event = draft.settle(of(draft.commit.id), of);
    if (event) events.push(event);
  }
  return events;
}

// The one tip a log starts from; a revision that looks like an option is
// refused before git sees it.
async function resolveTip(repo: Repository, rev: string): Promise<string> {
  if (rev === "" || rev.startsWith("-")) {
    throw new ToolError("USAGE", `Invalid revision "${rev}"`);
  }
  const found = await commitId(repo, rev) ?? "";
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(found)) {
    throw new ToolError(
      "USAGE",
      `Invalid revision "${rev}": no branch, tag or commit has that name here`,
    );
  }
  return found;
}

// Whether the repository is a shallow clone (git 2.15 and later; before,
// the boundary's missing parent fails the verification instead).
async function isShallow(repo: Repository): Promise<boolean> {
  const out = await git(repo, ["rev-parse", "--is-shallow-repository"]).then(
    (bytes) => new TextDecoder().decode(bytes).trim(),
    () => "",
  );
  return out === "true";
}

// Whether any ref names a commit (false in a repository just made).
async function hasCommits(repo: Repository): Promise<boolean> {
  const out = await git(repo, ["rev-list", "-n", "1", "--all"]).catch(() =>
    new Uint8Array()
  );
  return out.some((byte) => byte > 0x20);
}

// The tip's history, parents before children, with author dates.
async function listHistory(
  repo: Repository,
  tip: string,
): Promise<ListedCommit[]> {
  const out = new TextDecoder().decode(
    await git(repo, [
      "log",
      "--topo-order",
      "--reverse",
      "--format=%H %aI %P",
      tip,
      "--",
    ]),
  );
  return out.split("\n").filter((line) => line !== "").map((line) => {
    const [id = "", date = "", ...parents] = line.split(" ");
    return { id, date, parents: parents.filter((parent) => parent !== "") };
  });
}
