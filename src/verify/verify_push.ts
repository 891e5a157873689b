/**
 * What the pre-push hook checks: git writes one line per ref it is about to
 * update, `<local ref> SP <local id> SP <remote ref> SP <remote id> LF`. An
 * all-zero local id is a deletion (nothing to check); an all-zero remote id
 * is a new branch. Every commit that the remote does not have yet is
 * verified, however many refs bring it.
 *
 * @module
 */

import { errorMessage, ToolError } from "../errors.ts";
import {
  commitId,
  git,
  isAncestor,
  type Repository,
} from "../git/repository.ts";
import {
  type CommitReport,
  listCommits,
  type Tip,
  verifyReplacement,
  verifyRevisions,
} from "./verify_history.ts";

/** One ref update, as git announces it on the hook's standard input. */
export interface PushUpdate {
  /** The local ref pushed, e.g. `refs/heads/main` (`(delete)` for a deletion). */
  localRef: string;
  /** The commit pushed, all zeros for a deletion. */
  localId: string;
  /** The ref updated on the remote. */
  remoteRef: string;
  /** What the remote has now, all zeros for a new ref. */
  remoteId: string;
}

const ZERO = /^0+$/;
const ID = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Parses the pre-push hook's standard input strictly.
 *
 * @param text The lines git wrote.
 * @returns One update per line.
 * @throws {ToolError} `USAGE` for a line that is not four fields with object ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePushUpdates } from "./verify_push.ts";
 * const zero = "0".repeat(40);
 * const [update] = parsePushUpdates(`refs/heads/main ${"a".repeat(40)} refs/heads/main ${zero}\n`);
 * assert.equal(update?.remoteId, zero);
 * ```
 */
export function parsePushUpdates(text: string): PushUpdate[] {
  const updates: PushUpdate[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    const fields = line.split(" ");
    const [localRef, localId, remoteRef, remoteId] = fields;
    if (
      fields.length !== 4 || !ID.test(localId ?? "") || !ID.test(remoteId ?? "")
    ) {
      throw new ToolError(
        "USAGE",
        `Unexpected pre-push input on line ${i + 1}: "${line}"`,
      );
    }
    updates.push({
      localRef: localRef as string,
      localId: localId as string,
      remoteRef: remoteRef as string,
      remoteId: remoteId as string,
    });
  }
  return updates;
}

/**
 * Lists the commits a push would give the remote, oldest first: reachable
 * from the pushed commits, and neither from what the remote ref holds nor
 * from any ref we know the remote has. Deletions bring no commits. An
 * update in `strict` (a push to the remote's default branch, or a tag,
 * where a config or trust change waiting for approval must not go) also
 * brings every commit that ref lacks (a new ref: that the default branch
 * lacks), even one the remote holds on another branch: a change pushed to
 * a review branch with a note is judged again when it reaches the default
 * branch, as is or merged, or is tagged.
 *
 * @param repo The repository.
 * @param remote The remote's name (or URL), as git passes it to the hook.
 * @param updates The ref updates.
 * @param strict The updates whose tips may not be pending.
 * @param defaultTip The commit the remote's default branch holds, when known.
 * @returns Commit ids to verify.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * const commits = await commitsToPush(repo, "origin", updates);
 * ```
 */
export async function commitsToPush(
  repo: Repository,
  remote: string,
  updates: readonly PushUpdate[],
  strict: readonly PushUpdate[] = [],
  defaultTip?: string,
): Promise<string[]> {
  const pushed = updates.filter((update) => !ZERO.test(update.localId));
  if (pushed.length === 0) return [];
  const known: string[] = [];
  for (const update of pushed) {
    // A remote id we do not have (someone else pushed) cannot be excluded;
    // the remote-tracking refs below still bound the walk.
    if (!ZERO.test(update.remoteId) && await hasCommit(repo, update.remoteId)) {
      known.push(update.remoteId);
    }
  }
  const unheld = await listCommits(repo, [
    ...pushed.map((update) => update.localId),
    ...known.map((id) => `^${id}`),
    "--not",
    `--remotes=${safeRemote(remote)}`,
  ]);
  // What the ref gains, wherever else the remote holds it: since what it
  // held, or for a new ref (a tag) since the default branch's tip. (When
  // neither is here, keep to the above.)
  const wanted = new Set(unheld);
  for (const update of strict) {
    const since = known.includes(update.remoteId)
      ? update.remoteId
      : defaultTip;
    if (ZERO.test(update.localId) || since === undefined) continue;
    for (
      const id of await listCommits(repo, [update.localId, `^${since}`])
    ) wanted.add(id);
  }
  if (wanted.size === unheld.length) return unheld;
  // Oldest first, each after its parents: the order of the walk that holds
  // both.
  return (await listCommits(repo, [
    ...pushed.map((update) => update.localId),
    ...known.map((id) => `^${id}`),
  ])).filter((id) => wanted.has(id));
}

/**
 * Verifies what a push would send.
 *
 * @param repo The repository.
 * @param remote The remote's name or URL.
 * @param updates The ref updates from standard input.
 * @returns One report per new commit.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * const reports = await verifyPush(repo, "origin", parsePushUpdates(stdin));
 * ```
 */
export async function verifyPush(
  repo: Repository,
  remote: string,
  updates: readonly PushUpdate[],
): Promise<CommitReport[]> {
  // What the remote holds decides whether a commit may start a root of
  // trust (only in an empty remote) or bring a first trust list (only where
  // the remote has none). Asked of the remote itself, not of local names:
  // "git push URL" has no remote-tracking refs, and those can be stale.
  let held: Promise<string[]> | undefined;
  const remoteHolds = () => held ??= remoteTips(repo, remote, updates);
  // Every ref pushed is a tip: a branch must be adopted once the remote is
  // (docs/SECURITY.md, "Adoption"), even one set to a commit it holds.
  // A config waiting for approval may go to a branch (for review), but
  // not to the remote's default branch, nor anywhere when that is unknown.
  const defaultRef = await remoteDefaultBranch(repo, remote);
  const allowPending = (update: PushUpdate) =>
    defaultRef !== undefined && update.remoteRef.startsWith("refs/heads/") &&
    update.remoteRef !== defaultRef;
  const pushed = updates.filter((update) => !ZERO.test(update.localId));
  const tips: Tip[] = pushed.map((update) => ({
    rev: update.localId,
    history: !update.remoteRef.startsWith("refs/heads/"),
    name: `pushed to ${update.remoteRef}`,
    allowPending: allowPending(update),
  }));
  const commits = await commitsToPush(
    repo,
    remote,
    updates,
    pushed.filter((update) => !allowPending(update)),
    defaultRef === undefined ? undefined : await trackingTip(repo, remote),
  );
  const reports = tips.length === 0 ? [] : await verifyRevisions(
    repo,
    commits,
    {
      tips,
      allowRoots: async () => (await remoteHolds()).length === 0,
      bases: () => heldBases(repo, remoteHolds),
    },
  );
  reports.push(...await rewriteReports(repo, updates));
  return reports;
}

// The remote's tips, as bases for its trust list; every one must be here.
async function heldBases(
  repo: Repository,
  remoteHolds: () => Promise<string[]>,
): Promise<string[]> {
  const tips = await remoteHolds();
  const missing: string[] = [];
  for (const tip of tips) {
    if (!await hasCommit(repo, tip)) missing.push(tip);
  }
  if (missing.length > 0) {
    throw new ToolError(
      "IO",
      `The remote holds ${
        missing[0]!.slice(0, 12)
      }, which is not here, so this push cannot be checked against the remote's trust list: ` +
        "fetch, then push again",
    );
  }
  return tips;
}

// A report for each update that replaces what the remote holds without
// following it (a force push or rewind), or that cannot be shown to follow.
async function rewriteReports(
  repo: Repository,
  updates: readonly PushUpdate[],
): Promise<CommitReport[]> {
  const reports: CommitReport[] = [];
  for (const update of updates) {
    if (ZERO.test(update.localId) || ZERO.test(update.remoteId)) continue;
    if (!await hasCommit(repo, update.remoteId)) {
      reports.push(unknownTipReport(update));
      continue;
    }
    // A force push or rewind: the new tip must follow what the remote held.
    if (await isAncestor(repo, update.remoteId, update.localId)) continue;
    reports.push(
      await verifyReplacement(repo, update.localId, [update.remoteId]),
    );
  }
  return reports;
}

function unknownTipReport(update: PushUpdate): CommitReport {
  return {
    commit: update.localId,
    subject: `(pushed to ${update.remoteRef})`,
    ok: false,
    results: [{
      path: update.remoteRef,
      ok: false,
      code: "ROLLED_BACK",
      reason:
        `the remote holds ${
          update.remoteId.slice(0, 12)
        }, which is not here, so this push cannot be ` +
        "shown not to roll it back: fetch, then push again",
    }],
  };
}

/**
 * What the remote holds: every commit its refs point at, as the remote
 * itself says (`git ls-remote`), with the ids git passed to the hook.
 *
 * @param repo The repository.
 * @param remote The remote's name or URL.
 * @param updates The ref updates (their remote ids are what the remote holds).
 * @returns Commit ids (tags are peeled), without duplicates.
 * @throws {ToolError} `IO` when the remote cannot be asked.
 *
 * @example
 * ```ts ignore
 * const tips = await remoteTips(repo, "origin", updates);
 * ```
 */
export async function remoteTips(
  repo: Repository,
  remote: string,
  updates: readonly PushUpdate[],
): Promise<string[]> {
  if (remote.startsWith("-")) {
    throw new ToolError("USAGE", `Invalid remote "${remote}"`);
  }
  let out: Uint8Array;
  try {
    out = await git(repo, ["ls-remote", remote]);
  } catch (error) {
    throw new ToolError(
      "IO",
      `Cannot ask the remote "${remote}" what it holds, which this push needs to know: ${
        errorMessage(error)
      }`,
      { cause: error },
    );
  }
  const tips = new Map<string, string>();
  for (const line of new TextDecoder().decode(out).split("\n")) {
    const [id, ref] = line.split("\t");
    if (!id || !ref || !ID.test(id)) continue;
    // "refs/tags/v1^{}" is what an annotated tag points at.
    const name = ref.endsWith("^{}") ? ref.slice(0, -3) : ref;
    if (ref.endsWith("^{}") || !tips.has(name)) tips.set(name, id);
  }
  const ids = new Set(tips.values());
  for (const update of updates) {
    if (!ZERO.test(update.remoteId)) ids.add(update.remoteId);
  }
  return [...ids];
}

function safeRemote(remote: string): string {
  return remote.replace(/[*?[\\\s]/g, "");
}

async function hasCommit(repo: Repository, id: string): Promise<boolean> {
  try {
    await git(repo, ["cat-file", "-e", `${id}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The branch a remote's HEAD names, as this clone knows it
 * (`refs/remotes/<remote>/HEAD`), as the remote's ref (`refs/heads/main`).
 *
 * @param repo The repository.
 * @param remote The remote's name (a URL has none).
 * @returns The ref, or undefined when unknown.
 *
 * @example
 * ```ts ignore
 * const ref = await remoteDefaultBranch(repo, "origin"); // "refs/heads/main"
 * ```
 */
export async function remoteDefaultBranch(
  repo: Repository,
  remote: string,
): Promise<string | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(remote)) return undefined;
  const out = await git(repo, [
    "symbolic-ref",
    "-q",
    `refs/remotes/${remote}/HEAD`,
  ]).catch(() => undefined);
  const target = out ? new TextDecoder().decode(out).trim() : "";
  const prefix = `refs/remotes/${remote}/`;
  return target.startsWith(prefix)
    ? `refs/heads/${target.slice(prefix.length)}`
    : undefined;
}

// The commit this clone knows the remote's default branch at
// (`refs/remotes/<remote>/HEAD`), when it has it.
async function trackingTip(
  repo: Repository,
  remote: string,
): Promise<string | undefined> {
  const id = await commitId(repo, `refs/remotes/${remote}/HEAD`);
  return id !== undefined && ID.test(id) ? id : undefined;
}
