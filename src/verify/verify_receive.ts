/**
 * What the server's pre-receive (or update) hook checks: git writes one
 * line per ref a push updates, `<old id> SP <new id> SP <ref> LF`, before
 * it updates any. An all-zero new id is a deletion (nothing to check); an
 * all-zero old id is a new ref. Every commit the push makes reachable from
 * a checked ref that the server did not hold is verified, as the client's
 * pre-push hook verifies what it sends (src/verify/verify_push.ts), but
 * against what the server itself holds, which no client can misstate.
 *
 * Git runs the hook in the repository's Git folder while the pushed
 * objects wait in a quarantine folder (`GIT_QUARANTINE_PATH`,
 * `GIT_OBJECT_DIRECTORY`, `GIT_ALTERNATE_OBJECT_DIRECTORIES`); every git
 * this module starts inherits those variables, so it reads the pushed
 * objects, and it writes nothing.
 *
 * @module
 */

import { errorMessage, ToolError } from "../errors.ts";
import { git, isAncestor, type Repository } from "../git/repository.ts";
import {
  type CommitReport,
  type Tip,
  verifyReplacement,
  verifyRevisions,
} from "./verify_history.ts";

/** One ref update, as git announces it to pre-receive (or to update). */
export interface ReceiveUpdate {
  /** What the ref held, all zeros for a new ref. */
  oldId: string;
  /** What it is to hold, all zeros for a deletion. */
  newId: string;
  /** The full ref name, e.g. `refs/heads/main`. */
  ref: string;
}

/** The git config key that names the refs the server checks. */
export const RECEIVE_REFS_KEY = "mcp-orchestration.refs";

/** The refs checked when {@linkcode RECEIVE_REFS_KEY} is not set. */
export const DEFAULT_RECEIVE_REFS: readonly string[] = Object.freeze([
  "refs/heads/*",
  "refs/tags/*",
]);

const ZERO = /^0+$/;
const ID = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
// A ref pattern: a full ref name, or one with "*" (any characters,
// "/" included, as git's --glob reads it). No "?", "[" or "\": what git
// and this module match must be the same.
const REF_PATTERN = /^refs\/[A-Za-z0-9._\/*+@-]+$/;

/**
 * Parses the pre-receive hook's standard input strictly.
 *
 * @param text The lines git wrote.
 * @returns One update per line.
 * @throws {ToolError} `USAGE` for a line that is not two object ids and a ref.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseReceiveUpdates } from "./verify_receive.ts";
 * const zero = "0".repeat(40);
 * const [update] = parseReceiveUpdates(`${zero} ${"a".repeat(40)} refs/heads/main\n`);
 * assert.equal(update?.ref, "refs/heads/main");
 * ```
 */
export function parseReceiveUpdates(text: string): ReceiveUpdate[] {
  const updates: ReceiveUpdate[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    const fields = line.split(" ");
    const [oldId, newId, ref] = fields;
    if (
      fields.length !== 3 || !ID.test(oldId ?? "") || !ID.test(newId ?? "") ||
      !ref?.startsWith("refs/")
    ) {
      throw new ToolError(
        "USAGE",
        `Unexpected pre-receive input on line ${i + 1}: "${line}"`,
      );
    }
    updates.push({ oldId: oldId!, newId: newId!, ref });
  }
  return updates;
}

/**
 * The ref patterns the server checks: every value of the git config
 * `mcp-orchestration.refs` (`git config --add` for several), else
 * {@linkcode DEFAULT_RECEIVE_REFS}.
 *
 * @param repo The repository.
 * @returns The patterns.
 * @throws {ToolError} `USAGE` for a pattern that is not `refs/…` with at
 *   most `*` as a wildcard.
 *
 * @example
 * ```ts ignore
 * const patterns = await receiveRefPatterns(repo); // ["refs/heads/*", "refs/tags/*"]
 * ```
 */
export async function receiveRefPatterns(repo: Repository): Promise<string[]> {
  const out = await git(repo, ["config", "--get-all", RECEIVE_REFS_KEY])
    .catch(() => new Uint8Array());
  const values = new TextDecoder().decode(out).split("\n").map((line) =>
    line.trim()
  ).filter((line) => line !== "");
  for (const value of values) {
    if (!REF_PATTERN.test(value)) {
      throw new ToolError(
        "USAGE",
        `Invalid ${RECEIVE_REFS_KEY} "${value}": expected a ref such as "refs/heads/*" (only "*" as a wildcard)`,
      );
    }
  }
  return values.length > 0 ? values : [...DEFAULT_RECEIVE_REFS];
}

/**
 * Tells whether a ref is one of the patterns: `*` matches any characters,
 * `/` included, as git's `--glob` does.
 *
 * @param ref The full ref name.
 * @param patterns From {@linkcode receiveRefPatterns}.
 * @returns True when the server checks it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refMatches } from "./verify_receive.ts";
 * assert.ok(refMatches("refs/heads/team/x", ["refs/heads/*"]));
 * assert.ok(!refMatches("refs/notes/commits", ["refs/heads/*", "refs/tags/*"]));
 * ```
 */
export function refMatches(
  ref: string,
  patterns: readonly string[],
): boolean {
  return patterns.some((pattern) =>
    new RegExp(
      `^${
        pattern.split("*").map((part) =>
          part.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")
        ).join(".*")
      }$`,
    ).test(ref)
  );
}

/**
 * Verifies what a push brings, before git updates any ref: each checked
 * ref's new commits (not reachable from what any checked ref holds), with
 * every pushed ref as a tip (a config waiting for approval fails only at
 * the server's default branch, `HEAD`), what the server holds as the bases
 * of its trust list, and a force push checked with the old tip standing in
 * as the parent. A tip the server already held is checked again for a
 * config waiting for approval where that is not allowed. Refs outside
 * `patterns` and tags of other objects than commits pass; so does a
 * deletion, except of the default branch or of the last checked ref.
 *
 * @param repo The server's repository (see `findGitFolder`).
 * @param pushed The ref updates from standard input.
 * @param patterns The refs checked (see {@linkcode receiveRefPatterns}).
 * @returns One report per new commit, then one per rewritten ref.
 * @throws {ToolError} `IO` when git fails; `TRUST` for a deletion of the
 *   server's default branch or of the last checked ref.
 *
 * @example
 * ```ts ignore
 * const reports = await verifyReceive(repo, parseReceiveUpdates(stdin), patterns);
 * ```
 */
export async function verifyReceive(
  repo: Repository,
  pushed: readonly ReceiveUpdate[],
  patterns: readonly string[],
): Promise<CommitReport[]> {
  // Git updates what a symbolic ref names: judge that ref.
  const updates = await throughSymbolicRefs(repo, pushed);
  const defaultRef = await serverDefaultBranch(repo);
  await refuseDeletions(repo, updates, patterns, defaultRef);
  const checked: { update: ReceiveUpdate; commit: string }[] = [];
  for (const update of updates) {
    if (ZERO.test(update.newId) || !refMatches(update.ref, patterns)) continue;
    // A tag of a tree or a blob has no configs to check.
    const commit = await peelToCommit(repo, update.newId);
    if (commit) checked.push({ update, commit });
  }
  if (checked.length === 0) return [];
  const held = await heldCommits(repo, patterns);
  const commits = await newCommits(
    repo,
    checked.map(({ commit }) => commit),
    held,
  );
  const tips: Tip[] = checked.map(({ update, commit }) => ({
    rev: commit,
    history: !update.ref.startsWith("refs/heads/"),
    name: `pushed to ${update.ref}`,
    allowPending: defaultRef !== undefined &&
      update.ref.startsWith("refs/heads/") && update.ref !== defaultRef,
  }));
  const reports = await verifyRevisions(repo, commits, {
    tips,
    allowRoots: held.length === 0,
    bases: () => Promise.resolve(held),
    range: checked.map(({ commit }) => commit).concat(
      held.map((id) => `^${id}`),
    ),
  });
  // A tip the server already holds (a review branch's commit pushed to
  // HEAD's branch or tagged) brings no new commit, yet it is where this
  // ref's run ends: a config waiting for approval must fail there too.
  // Only that check: the rest was done when the commit came.
  const verified = new Set(commits);
  const strict = tips.filter((tip) =>
    !tip.allowPending && !verified.has(tip.rev)
  ).map((tip) => ({ ...tip, history: true }));
  const again = [...new Set(strict.map((tip) => tip.rev))];
  if (again.length > 0) {
    for (
      const report of await verifyRevisions(repo, again, {
        tips: strict,
        bases: () => Promise.resolve(held),
      })
    ) {
      const pending = report.results.filter((result) =>
        !result.ok && result.code === "PENDING_APPROVAL"
      );
      if (pending.length > 0) {
        reports.push({ ...report, ok: false, results: pending });
      }
    }
  }
  for (const { update, commit } of checked) {
    if (ZERO.test(update.oldId)) continue;
    const old = await peelToCommit(repo, update.oldId);
    // A force push or rewind: the new tip must follow what the ref held.
    if (!old || await isAncestor(repo, old, commit)) continue;
    reports.push(await verifyReplacement(repo, commit, [old]));
  }
  return reports;
}

// A deletion is checked by what it leaves: never the server's default
// branch (a branch re-created afterwards at an older commit would have no
// tip to be checked against, and git's receive.denyDeleteCurrent may be
// off), and never a push after which no checked ref holds a commit while
// one did (a server that holds nothing takes the next push's trust list as
// its first, a new root of trust). A ref is judged by what it will hold:
// one this push moves to a tree or a blob no longer counts.
async function refuseDeletions(
  repo: Repository,
  updates: readonly ReceiveUpdate[],
  patterns: readonly string[],
  defaultRef: string | undefined,
): Promise<void> {
  const pushed = updates.filter((update) => refMatches(update.ref, patterns));
  if (
    defaultRef !== undefined &&
    pushed.some((update) =>
      update.ref === defaultRef && ZERO.test(update.newId) &&
      !ZERO.test(update.oldId)
    )
  ) {
    throw new ToolError(
      "TRUST",
      `push refused: ${defaultRef} is the server's default branch (its HEAD) and may not be deleted: re-created later, it would not be checked against what it held`,
    );
  }
  // What this push leaves: the refs it moves, by their new value.
  let kept = false;
  for (const update of pushed) {
    if (ZERO.test(update.newId)) continue;
    if (await peelToCommit(repo, update.newId)) {
      kept = true;
      break;
    }
  }
  if (kept) return;
  const moved = new Set(pushed.map((update) => update.ref));
  const out = await git(repo, [
    "for-each-ref",
    "--format=%(objectname) %(refname)",
    ...patterns.map((pattern) =>
      pattern.endsWith("/*") ? pattern.slice(0, -2) : pattern
    ),
  ]);
  let held = false;
  for (const line of new TextDecoder().decode(out).split("\n")) {
    const [id, ref] = line.split(" ");
    if (!id || !ref || !refMatches(ref, patterns)) continue;
    if (!await peelToCommit(repo, id)) continue;
    held = true;
    if (!moved.has(ref)) return; // Kept by a ref this push leaves alone.
  }
  if (held) {
    throw new ToolError(
      "TRUST",
      `push refused: after it, no checked ref would hold a commit (${
        [...moved].join(", ")
      } deleted or moved off one, the last ones): a server that holds nothing would take the next push's trust list as its first`,
    );
  }
}

// Each update with the ref git really writes: a symbolic ref on the
// server (refs/heads/master -> refs/heads/main kept after a rename, or one
// outside the checked set) is followed to its target, since a push to it
// moves the target. Dangling links are followed too (git creates the
// target).
async function throughSymbolicRefs(
  repo: Repository,
  updates: readonly ReceiveUpdate[],
): Promise<ReceiveUpdate[]> {
  const resolved: ReceiveUpdate[] = [];
  for (const update of updates) {
    const out = await git(repo, ["symbolic-ref", "-q", update.ref])
      .catch(() => undefined);
    const target = out ? new TextDecoder().decode(out).trim() : "";
    resolved.push(
      target.startsWith("refs/") ? { ...update, ref: target } : update,
    );
  }
  return resolved;
}

// Every commit the checked refs point at (tags peeled), as the server
// holds them before the push: the quarantine does not change refs.
async function heldCommits(
  repo: Repository,
  patterns: readonly string[],
): Promise<string[]> {
  const out = await git(repo, [
    "for-each-ref",
    "--format=%(objectname) %(*objectname) %(objecttype) %(*objecttype)",
    ...patterns.map((pattern) =>
      pattern.endsWith("/*") ? pattern.slice(0, -2) : pattern
    ),
  ]);
  const ids = new Set<string>();
  for (const line of new TextDecoder().decode(out).split("\n")) {
    const [id, peeled, type, peeledType] = line.split(" ");
    if (type === "commit" && id) ids.add(id);
    else if (peeledType === "commit" && peeled) ids.add(peeled);
    else if (type === "tag" && id) {
      const commit = await peelToCommit(repo, id);
      if (commit) ids.add(commit);
    }
  }
  return [...ids];
}

// The commits reachable from the pushed tips and from nothing the server
// holds, oldest first, each after its parents.
async function newCommits(
  repo: Repository,
  tips: readonly string[],
  held: readonly string[],
): Promise<string[]> {
  const input = [...tips, ...held.map((id) => `^${id}`)].join("\n") + "\n";
  let out: Uint8Array;
  try {
    out = await git(repo, [
      "rev-list",
      "--reverse",
      "--topo-order",
      "--stdin",
    ], { stdin: new TextEncoder().encode(input) });
  } catch (error) {
    throw new ToolError(
      "IO",
      `Cannot list the commits this push brings: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  return new TextDecoder().decode(out).split("\n").filter((line) =>
    line !== ""
  );
}

// The commit an object id names, through any tags; undefined for a tree
// or a blob (or a tag of one).
async function peelToCommit(
  repo: Repository,
  id: string,
): Promise<string | undefined> {
  const type = new TextDecoder().decode(
    await git(repo, ["cat-file", "-t", id]),
  ).trim();
  if (type === "commit") return id;
  if (type !== "tag") return undefined;
  const out = await git(repo, ["rev-parse", "--verify", "-q", `${id}^{commit}`])
    .catch(() => undefined);
  const commit = out ? new TextDecoder().decode(out).trim() : "";
  return ID.test(commit) ? commit : undefined;
}

/**
 * The branch the server's `HEAD` names (its default branch), e.g.
 * `refs/heads/main`.
 *
 * @param repo The server's repository.
 * @returns The ref, or undefined when `HEAD` is detached.
 *
 * @example
 * ```ts ignore
 * const ref = await serverDefaultBranch(repo); // "refs/heads/main"
 * ```
 */
export async function serverDefaultBranch(
  repo: Repository,
): Promise<string | undefined> {
  const out = await git(repo, ["symbolic-ref", "-q", "HEAD"])
    .catch(() => undefined);
  const ref = out ? new TextDecoder().decode(out).trim() : "";
  return ref.startsWith("refs/heads/") ? ref : undefined;
}
