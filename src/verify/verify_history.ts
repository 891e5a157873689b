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

import { ALLOWED_SIGNERS_PATH, MAX_INDEX_BYTES } from "../constants.ts";
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
import { readIndex, readStatement } from "../store/store.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import type { VerifyResult } from "./verify_codes.ts";
import { verifyConfig } from "./verify_config.ts";
import { verifySource } from "./verify_repository.ts";

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
  trustBytes: Uint8Array | undefined;
  trust: AllowedSigners | undefined;
}

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
  options: { now?: Date } = {},
): Promise<CommitReport[]> {
  const objects = GitObjects.open(repo);
  try {
    const history = new History(objects, options.now ?? new Date());
    const reports: CommitReport[] = [];
    for (const rev of revs) {
      reports.push(await history.verifyCommit(await readCommit(objects, rev)));
    }
    return reports;
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
  readonly #trees: TreeCache = new Map();
  readonly #states = new Map<string, CommitState>();

  constructor(objects: GitObjects, now: Date) {
    this.#objects = objects;
    this.#now = now;
  }

  async verifyCommit(info: CommitInfo): Promise<CommitReport> {
    const state = await this.#state(info);
    const parents: CommitState[] = [];
    for (const parent of info.parents) {
      parents.push(await this.#state(await readCommit(this.#objects, parent)));
    }
    const failures = new Map<string, VerifyResult>();
    const trustResult = await this.#verifyTrustChange(state, parents);
    if (trustResult) failures.set(ALLOWED_SIGNERS_PATH, trustResult);
    const results = await verifySource(
      snapshotSource(state.snapshot, this.#objects, info.oid),
      {
        trust: state.trust,
        now: this.#now,
      },
    );
    for (const result of await this.#verifyNoRollback(state, parents)) {
      if (!failures.has(result.path)) failures.set(result.path, result);
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

  async #state(info: CommitInfo): Promise<CommitState> {
    const known = this.#states.get(info.oid);
    if (known) return known;
    const snapshot = await commitSnapshot(this.#objects, info, this.#trees);
    let index: StoreIndex = new Map();
    try {
      index = await readIndex(snapshot);
    } catch {
      // verifySource reports a malformed index for every config.
    }
    const trustBytes = await snapshot.read(
      ALLOWED_SIGNERS_PATH,
      MAX_INDEX_BYTES,
    ).catch(() => undefined);
    const trust = await readTrust(snapshot).catch(() => undefined);
    const state = { info, snapshot, index, trustBytes, trust };
    this.#states.set(info.oid, state);
    return state;
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
    for (const parent of before) {
      if (sameBytes(parent.trustBytes!, state.trustBytes)) continue;
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
      if (!mine) continue; // verifySource reports unreadable statements.
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
    // (A line whose statement was unreadable may go: its chain is broken.)
    for (const parent of parents) {
      for (const [path, theirId] of parent.index) {
        if (state.index.has(path) || failures.some((f) => f.path === path)) {
          continue;
        }
        if (!await this.#statement(parent, theirId)) continue;
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
      const theirId = parent.index.get(path);
      if (!theirId) continue;
      const short = parent.info.oid.slice(0, 12);
      if (theirId === id) {
        linked = true;
        continue;
      }
      const theirs = await this.#statement(parent, theirId);
      if (!theirs) continue;
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
