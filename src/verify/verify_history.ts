/**
 * Verifies commits, reading objects from Git directly (no checkout), so that
 * CI can check a pull request and the pre-push hook can check what is about
 * to leave. For each commit, in order:
 *
 * 1. `verifyTrustChange`: its `allowed_signers` equals each parent's, or is
 *    signed by a key trusted in that parent; a first version (no parent has
 *    one) is the root of trust and must be signed by a key it lists.
 * 2. `verifySource`: every config verifies against that trust list.
 * 3. `verifyNoRollback`: for every signed path, against every parent that has
 *    it, the statement is the parent's, or a later version that links to
 *    what the parent held (sequence up, previous = parent's artifact).
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  MAX_CONFIG_BYTES,
  MAX_INDEX_BYTES,
} from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { snapshotSource } from "../configs/config_source.ts";
import { GitObjects } from "../git/cat_file.ts";
import { git, type Repository } from "../git/repository.ts";
import {
  type CommitInfo,
  commitSnapshot,
  readCommit,
  type Snapshot,
  type TreeCache,
} from "../git/snapshot.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { parseStatement, type Statement } from "../store/statement.ts";
import { artifactPath, readIndex, readStatement } from "../store/store.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import type { VerifyResult } from "./verify_codes.ts";
import { verifyConfig } from "./verify_config.ts";
import { VerifyMemo, verifySource } from "./verify_repository.ts";

/** The outcome of verifying one commit. */
export interface CommitReport {
  /** The commit's id. */
  commit: string;
  /** The first line of its message. */
  subject: string;
  /** True when every check passed. */
  ok: boolean;
  /** One result per config (and the trust list when it is signed or changed). */
  results: VerifyResult[];
}

/** A commit's state, kept while its children are checked. */
interface CommitState {
  info: CommitInfo;
  snapshot: Snapshot;
  index: StoreIndex;
  /** The index could not be read: nothing can be shown to follow it. */
  indexBroken: boolean;
  trustBytes: Uint8Array | undefined;
  trust: AllowedSigners | undefined;
}

// How many commits ahead of the one being verified are requested from git.
const PREFETCH_COMMITS = 16;

/**
 * Verifies one commit (against its parents).
 *
 * @param repo The repository.
 * @param rev Any revision naming a commit.
 * @param options Verification time.
 * @returns The commit's report.
 * @throws {ToolError} `BAD_PATH` when `rev` names no commit.
 *
 * @example
 * ```ts ignore
 * const [report] = await verifyRevisions(repo, ["HEAD"]);
 * ```
 */
export async function verifyRevisions(
  repo: Repository,
  revs: readonly string[],
  options: { now?: Date; allowRoots?: boolean } = {},
): Promise<CommitReport[]> {
  const objects = GitObjects.open(repo);
  try {
    const history = new History(
      objects,
      options.now ?? new Date(),
      options.allowRoots ?? true,
    );
    // Commits and their snapshots are requested a few ahead of the one
    // being verified, so git answers while we verify instead of after.
    const commits: Promise<CommitInfo>[] = [];
    const ahead = (at: number) => {
      if (at >= revs.length || commits[at]) return;
      const commit = readCommit(objects, revs[at]!).then((info) => {
        history.prefetch(info);
        return info;
      });
      commit.catch(() => {}); // Awaited in turn below.
      commits[at] = commit;
    };
    const reports: CommitReport[] = [];
    for (let at = 0; at < revs.length; at++) {
      for (let next = at; next < at + PREFETCH_COMMITS; next++) ahead(next);
      reports.push(await history.verifyCommit(await commits[at]!));
    }
    return reports;
  } finally {
    await objects.close();
  }
}

/**
 * Verifies a commit as if its parents were `parents`: how a push that
 * replaces what the remote holds (a force push, a rewind) is checked, with
 * the remote's tip standing in as the parent, so it cannot roll a config or
 * the trust list back.
 *
 * @param repo The repository.
 * @param rev The commit that replaces.
 * @param parents The commits it replaces.
 * @param options Verification time.
 * @returns The commit's report.
 * @throws {ToolError} `BAD_PATH` when a revision names no commit.
 *
 * @example
 * ```ts ignore
 * const report = await verifyReplacement(repo, localId, [remoteId]);
 * ```
 */
export async function verifyReplacement(
  repo: Repository,
  rev: string,
  parents: readonly string[],
  options: { now?: Date } = {},
): Promise<CommitReport> {
  const objects = GitObjects.open(repo);
  try {
    const history = new History(objects, options.now ?? new Date(), true);
    const info = await readCommit(objects, rev);
    const replaced = [];
    for (const parent of parents) {
      replaced.push((await readCommit(objects, parent)).oid);
    }
    const report = await history.verifyCommit({ ...info, parents: replaced });
    return {
      ...report,
      subject: `${info.subject} (replacing ${
        replaced.map((id) => id.slice(0, 12)).join(", ")
      } on the remote)`,
    };
  } finally {
    await objects.close();
  }
}

/**
 * Lists the commits of a range, oldest first, each after its parents.
 *
 * @param repo The repository.
 * @param range `A..B`, or any `git rev-list` arguments such as `B --not --remotes=origin`.
 * @returns Commit ids.
 * @throws {ToolError} `USAGE` for a range git does not accept.
 *
 * @example
 * ```ts ignore
 * const commits = await listCommits(repo, ["main..feature"]);
 * ```
 */
export async function listCommits(
  repo: Repository,
  range: readonly string[],
): Promise<string[]> {
  if (
    range.some((arg) =>
      arg.startsWith("-") && !arg.startsWith("--not") &&
      !arg.startsWith("--remotes=")
    )
  ) {
    throw new ToolError("USAGE", `Invalid range "${range.join(" ")}"`);
  }
  let out: Uint8Array;
  try {
    out = await git(repo, [
      "rev-list",
      "--reverse",
      "--topo-order",
      ...range,
      "--",
    ]);
  } catch (error) {
    throw new ToolError(
      "USAGE",
      `Invalid range "${range.join(" ")}": ${errorMessage(error)}`,
      { cause: error },
    );
  }
  return new TextDecoder().decode(out).split("\n").filter((line) =>
    line !== ""
  );
}

class History {
  readonly #objects: GitObjects;
  readonly #now: Date;
  // Both bounded: a long range would otherwise keep every commit's snapshot
  // and every flattened tree (each version of the statements folder) alive.
  // Anything dropped is read again if needed (its objects are cached).
  readonly #trees: TreeCache = new BoundedMap(64);
  readonly #states = new BoundedMap<string, Promise<CommitState>>(
    2 * PREFETCH_COMMITS + 32,
  );
  // One parsed trust list per blob, so that unchanged lists are the same
  // object from commit to commit and the memo can recognise them.
  readonly #trustLists = new Map<string, AllowedSigners | undefined>();
  readonly #memo = new VerifyMemo();

  readonly #allowRoots: boolean;
  /** Commits of this run whose trust list was not approved. */
  readonly #trustFailed = new Set<string>();

  constructor(objects: GitObjects, now: Date, allowRoots: boolean) {
    this.#objects = objects;
    this.#now = now;
    this.#allowRoots = allowRoots;
  }

  /**
   * Starts reading a commit's snapshot, index and trust list, to be used
   * when it is verified.
   *
   * @param info The commit.
   */
  prefetch(info: CommitInfo): void {
    this.#state(info).catch(() => {}); // Its verification reports failures.
  }

  async verifyCommit(info: CommitInfo): Promise<CommitReport> {
    const state = await this.#state(info);
    const parents: CommitState[] = [];
    for (const parent of info.parents) {
      parents.push(await this.#state(await readCommit(this.#objects, parent)));
    }
    const failures = new Map<string, VerifyResult>();
    if (parents.length === 0 && !this.#allowRoots) {
      // A parentless commit inside a range (an orphan branch merged in or
      // pushed) would bring its own root of trust, signed by anyone.
      failures.set(ALLOWED_SIGNERS_PATH, {
        path: ALLOWED_SIGNERS_PATH,
        ok: false,
        code: "UNTRUSTED_TRUST_CHANGE",
        reason:
          "this commit has no parent: it starts a new history, with a root of trust no trusted key approved",
      });
    }
    // A trust list that failed its check does not become trusted by being
    // left alone: every commit built on it fails too (within this run).
    const inherited = info.parents.find((parent) =>
      this.#trustFailed.has(parent)
    );
    if (inherited && !failures.has(ALLOWED_SIGNERS_PATH)) {
      failures.set(ALLOWED_SIGNERS_PATH, {
        path: ALLOWED_SIGNERS_PATH,
        ok: false,
        code: "UNTRUSTED_TRUST_CHANGE",
        reason: `it builds on ${
          inherited.slice(0, 12)
        }, whose trust list was not approved`,
      });
    }
    const trustResult = await this.#verifyTrustChange(state, parents);
    if (trustResult && !failures.has(ALLOWED_SIGNERS_PATH)) {
      failures.set(ALLOWED_SIGNERS_PATH, trustResult);
    }
    const results = await verifySource(
      snapshotSource(state.snapshot, this.#objects, info.oid),
      {
        trust: state.trust,
        now: this.#now,
        memo: this.#memo,
      },
    );
    for (const result of await this.#verifyNoRollback(state, parents)) {
      if (!failures.has(result.path)) failures.set(result.path, result);
    }
    if (failures.get(ALLOWED_SIGNERS_PATH)?.code === "UNTRUSTED_TRUST_CHANGE") {
      this.#trustFailed.add(info.oid);
    }
    // One result per path: a history failure outranks a pass.
    const merged = results.map((result) =>
      (result.ok && failures.get(result.path)) || result
    );
    const seen = new Set(merged.map((result) => result.path));
    for (const [path, failure] of failures) {
      if (!seen.has(path)) merged.push(failure);
    }
    return {
      commit: info.oid,
      subject: info.subject,
      ok: merged.every((r) => r.ok),
      results: merged,
    };
  }

  #state(info: CommitInfo): Promise<CommitState> {
    let state = this.#states.get(info.oid);
    if (!state) {
      state = this.#readState(info);
      this.#states.set(info.oid, state);
    }
    return state;
  }

  async #readState(info: CommitInfo): Promise<CommitState> {
    const snapshot = await commitSnapshot(this.#objects, info, this.#trees);
    let index: StoreIndex = new Map();
    let indexBroken = false;
    try {
      index = await readIndex(snapshot);
    } catch {
      // verifySource reports a malformed index for every config.
      indexBroken = true;
    }
    const trustBytes = await snapshot.read(
      ALLOWED_SIGNERS_PATH,
      MAX_INDEX_BYTES,
    ).catch(() => undefined);
    const trustOid = snapshot.entries.get(ALLOWED_SIGNERS_PATH)?.oid;
    let trust = trustOid === undefined
      ? undefined
      : this.#trustLists.get(trustOid);
    if (trust === undefined) {
      trust = await readTrust(snapshot).catch(() => undefined);
      if (trustOid !== undefined) this.#trustLists.set(trustOid, trust);
    }
    return { info, snapshot, index, indexBroken, trustBytes, trust };
  }

  async #verifyTrustChange(
    state: CommitState,
    parents: CommitState[],
  ): Promise<VerifyResult | undefined> {
    const path = ALLOWED_SIGNERS_PATH;
    const fail = (reason: string): VerifyResult => ({
      path,
      ok: false,
      code: "UNTRUSTED_TRUST_CHANGE",
      reason,
    });
    const before = parents.filter((parent) => parent.trustBytes !== undefined);
    if (!state.trustBytes) {
      // Removing the list is a change no one can sign, and would make the
      // next list a new root of trust, signed by whoever adds it.
      const had = before[0];
      return had
        ? fail(
          `it was removed since ${
            had.info.oid.slice(0, 12)
          }; a new list would be a root of trust that no trusted key signed`,
        )
        : undefined; // No trust list ever: every config is untrusted anyway.
    }
    if (!state.trust) return fail(`"${path}" cannot be parsed`);
    if (before.length === 0) {
      // The root of trust: the first version must be signed by a key it lists.
      const result = await verifyConfig(
        this.#context(state, state.trust),
        path,
        state.trustBytes,
      );
      return result.ok ? undefined : fail(
        `the first trust list must be signed by a key it lists: ${result.reason}`,
      );
    }
    const myId = state.index.get(path);
    for (const parent of before) {
      // Unchanged means the same bytes under the same statement: a new
      // statement for the same bytes is a change too (it could point at a
      // statement that does not exist, or an older one).
      if (
        sameBytes(parent.trustBytes!, state.trustBytes) && myId !== undefined &&
        parent.index.get(path) === myId
      ) {
        continue;
      }
      const result = await verifyConfig(
        this.#context(state, parent.trust),
        path,
        state.trustBytes,
      );
      if (!result.ok) {
        return fail(
          `it changed since ${
            parent.info.oid.slice(0, 12)
          } without a signature by a key trusted there ` +
            `(${result.code}: ${result.reason})`,
        );
      }
    }
    return undefined;
  }

  async #verifyNoRollback(
    state: CommitState,
    parents: CommitState[],
  ): Promise<VerifyResult[]> {
    const failures: VerifyResult[] = [];
    for (const [path, id] of state.index) {
      const mine = await this.#statement(state, id);
      if (!mine) {
        // Never skipped: a line pointing at nothing would break the chain
        // and let an older version start a new one.
        failures.push({
          path,
          ok: false,
          code: "MALFORMED",
          reason:
            `its index line names the statement ${id}, which is missing or unreadable`,
          statementId: id,
        });
        continue;
      }
      const tombstone = await this.#verifyTombstone(state, path, id);
      if (tombstone) {
        failures.push(tombstone);
        continue;
      }
      const problem = await this.#rollbackProblem(mine, id, path, parents);
      if (problem) {
        failures.push({
          path,
          ok: false,
          code: "ROLLED_BACK",
          reason: problem,
          statementId: id,
        });
      }
    }
    // A deleted config keeps its line (a tombstone). Without it, an older
    // signed version could come back later as the start of a new chain.
    // (Even a line whose statement is unreadable: it must be repaired, not dropped.)
    for (const parent of parents) {
      for (const path of parent.index.keys()) {
        if (state.index.has(path) || failures.some((f) => f.path === path)) {
          continue;
        }
        failures.push({
          path,
          ok: false,
          code: "ROLLED_BACK",
          reason: `its index line, which ${
            parent.info.oid.slice(0, 12)
          } held, was removed; a deleted config keeps its line, so that an older version cannot return`,
        });
      }
    }
    return failures;
  }

  async #rollbackProblem(
    mine: Statement,
    id: string,
    path: string,
    parents: CommitState[],
  ): Promise<string | undefined> {
    // Against every parent that signed this path: the same statement, or a
    // later one. And it must continue from (link to) at least one of them:
    // a merge picks one side, an ordinary commit has only one.
    let linked = false;
    let unlinked: string | undefined;
    for (const parent of parents) {
      if (parent.indexBroken) {
        return `the index of ${
          parent.info.oid.slice(0, 12)
        } cannot be read, so this version cannot be shown to follow it`;
      }
      const theirId = parent.index.get(path);
      if (!theirId) continue;
      const short = parent.info.oid.slice(0, 12);
      if (theirId === id) {
        linked = true;
        continue;
      }
      const theirs = await this.#statement(parent, theirId);
      if (!theirs) {
        return `what ${short} held for this path (statement ${theirId}) is missing or unreadable, ` +
          "so this version cannot be shown to follow it";
      }
      if (mine.sequence <= theirs.sequence) {
        return `sequence ${mine.sequence} is not after sequence ${theirs.sequence} in ${short}`;
      }
      if (mine.previous === theirs.artifact) linked = true;
      else {unlinked ??= `its previous artifact ${
          mine.previous ?? "none"
        } is not ${theirs.artifact}, what ${short} held`;}
    }
    return linked ? undefined : unlinked;
  }

  async #verifyTombstone(
    state: CommitState,
    path: string,
    id: string,
  ): Promise<VerifyResult | undefined> {
    // A deleted config's line must still be what it claims: an intact,
    // validly signed statement for this path (its signer may have left the
    // trust list since; the bytes are gone, so the stored artifact stands in).
    if (state.snapshot.entries.has(path)) return undefined; // Checked as a live config.
    const mine = await this.#statement(state, id);
    if (!mine) return undefined;
    const artifact = await state.snapshot.read(
      artifactPath(mine.artifact),
      MAX_CONFIG_BYTES,
    ).catch(() => undefined);
    const result = await verifyConfig(
      this.#context(state, state.trust),
      path,
      artifact ?? new Uint8Array(),
    );
    const tolerated = result.ok || result.code === "UNTRUSTED_SIGNER" ||
      result.code === "EXPIRED_KEY";
    return tolerated ? undefined : {
      ...result,
      reason:
        `the tombstone of this deleted config is not intact: ${result.reason}`,
    };
  }

  async #statement(
    state: CommitState,
    id: string,
  ): Promise<Statement | undefined> {
    try {
      const stored = await readStatement(state.snapshot, id);
      return stored ? parseStatement(stored.bytes, id) : undefined;
    } catch {
      return undefined;
    }
  }

  #context(state: CommitState, trust: AllowedSigners | undefined) {
    return {
      reader: state.snapshot,
      index: state.index,
      trust,
      now: this.#now,
    };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A Map that forgets its oldest entries beyond a number of them. */
class BoundedMap<K, V> extends Map<K, V> {
  readonly #limit: number;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    for (const oldest of this.keys()) {
      if (this.size <= this.#limit) break;
      this.delete(oldest);
    }
    return this;
  }
}
