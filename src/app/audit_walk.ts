/**
 * The audit log's one pass over history: each commit's snapshot compared
 * with its parents' (what the index names, the trust files, the approval
 * files), drafting the events a commit brings; `log_events.ts` settles
 * them once verification has judged each commit.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  APPROVALS_DIR,
  INDEX_PATH,
  MAX_CONFIG_BYTES,
  MAX_TRUST_BYTES,
  POLICY_PATH,
  REVOKED_KEYS_PATH,
} from "../constants.ts";
import { errorMessage } from "../errors.ts";
import type { Repository } from "../git/repository.ts";
import { GitObjects } from "../source/cat_file.ts";
import {
  type CommitInfo,
  commitSnapshot,
  readCommit,
  type Snapshot,
  type TreeCache,
} from "../source/snapshot.ts";
import { isApprovalPath, parseApprovalPath } from "../store/approvals.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { formatTime, type Statement } from "../store/statement.ts";
import { readIndex, signaturePath, statementPath } from "../store/store.ts";
import {
  type AllowedSigners,
  parseAllowedSigners,
} from "../trust/allowed_signers.ts";
import { parsePolicy } from "../trust/policy.ts";
import { parseRevokedKeys, type RevokedKey } from "../trust/revoked_keys.ts";
import { loadStatement } from "../verify/load_signed.ts";
import { checkApprovalFile } from "./approval_file.ts";
import {
  type Draft,
  type LogCommit,
  settleSigner,
  TRUST_FILES,
  trustVoid,
  type UnsettledSigner,
  verdictFor,
  type Verdicts,
} from "./log_events.ts";

/** A commit of the logged history, as `git log` lists it. */
export interface ListedCommit {
  /** Its id. */
  id: string;
  /** Its author date. */
  date: string;
  /** Its parents' ids. */
  parents: string[];
}

/** What a walk found: the drafted events, oldest first, and the configs signed. */
export interface HistoryWalk {
  /** The events, in the order of the walk. */
  drafts: readonly Draft[];
  /** Every path an index line named along the way (trust files aside). */
  signedPaths: ReadonlySet<string>;
}

/**
 * Walks commits (parents before children) once, drafting the events each
 * brings.
 *
 * @param repo The repository.
 * @param commits The commits, parents before children.
 * @param now The time approvals' keys must be valid at.
 * @returns The drafts and the configs signed along the way.
 * @throws {ToolError} `IO` when a commit or tree cannot be read.
 *
 * @example
 * ```ts ignore
 * const walk = await walkHistory(repo, commits, new Date());
 * ```
 */
export async function walkHistory(
  repo: Repository,
  commits: readonly ListedCommit[],
  now: Date,
): Promise<HistoryWalk> {
  const children = new Map<string, number>();
  for (const commit of commits) {
    for (const parent of commit.parents) {
      children.set(parent, (children.get(parent) ?? 0) + 1);
    }
  }
  const objects = GitObjects.open(repo);
  try {
    const walk = new Walk(objects, now);
    // Commits are requested a few ahead, so git answers while we compare.
    const infos: Promise<CommitInfo>[] = [];
    for (let at = 0; at < commits.length; at++) {
      for (let next = at; next < Math.min(at + 16, commits.length); next++) {
        if (!infos[next]) {
          infos[next] = readCommit(objects, commits[next]!.id);
          infos[next]!.catch(() => {}); // Awaited in turn below.
        }
      }
      await walk.commit(await infos[at]!, commits[at]!.date, children);
    }
    return walk;
  } finally {
    await objects.close();
  }
}

/** What the walk keeps of each commit for its children. */
interface Summary {
  index: StoreIndex;
  /** Path → blob ids of the config, its statement and signature ("" for none). */
  versions: Map<string, string>;
  /** Config path → whether its file is there. */
  present: Map<string, boolean>;
  trustOid: string | undefined;
  revokedOid: string | undefined;
  policyOid: string | undefined;
  approvals: Map<string, string>;
}

// How many parsed trust lists are kept (each may be MAX_TRUST_BYTES).
const KEPT_LISTS = 8;
// How many parsed indexes are kept for commits that share one.
const KEPT_INDEXES = 64;

class Walk {
  readonly drafts: Draft[] = [];
  readonly signedPaths = new Set<string>();
  readonly #objects: GitObjects;
  readonly #now: Date;
  readonly #trees: TreeCache = new Map();
  readonly #summaries = new Map<string, Summary>();
  readonly #indexes = new Map<string, StoreIndex>();
  readonly #lists = new Map<string, Promise<AllowedSigners | undefined>>();

  constructor(objects: GitObjects, now: Date) {
    this.#objects = objects;
    this.#now = now;
  }

  /**
   * Compares a commit with its parents, whose summaries are dropped once
   * their last child has been compared: memory follows the width of the
   * history, not its length.
   *
   * @param info The commit.
   * @param date Its author date.
   * @param children How many commits of the walk still have each commit as a parent.
   */
  async commit(
    info: CommitInfo,
    date: string,
    children: Map<string, number>,
  ): Promise<void> {
    const snapshot = await commitSnapshot(this.#objects, info, this.#trees);
    const summary = await this.#summarise(snapshot);
    this.#summaries.set(info.oid, summary);
    // The parents the walk has (a shallow clone's boundary has none).
    const parentIds = info.parents.filter((id) => this.#summaries.has(id));
    const parents = parentIds.map((id) => this.#summaries.get(id)!);
    for (const parent of info.parents) {
      const left = (children.get(parent) ?? 1) - 1;
      if (left > 0) children.set(parent, left);
      else this.#summaries.delete(parent);
    }
    const commit: LogCommit = { id: info.oid, date, subject: info.subject };
    await this.#trustEvents(commit, snapshot, summary, parents);
    await this.#configEvents(commit, snapshot, summary, parents, parentIds);
    this.#droppedLines(commit, summary, parents);
    await this.#approvalEvents(commit, snapshot, summary, parents);
  }

  async #summarise(snapshot: Snapshot): Promise<Summary> {
    const oid = (path: string) => snapshot.entries.get(path)?.oid;
    const indexOid = oid(INDEX_PATH) ?? "";
    let index = this.#indexes.get(indexOid);
    if (!index) {
      // A malformed index is verify's to report, for every config.
      index = await readIndex(snapshot).catch(() => new Map());
      this.#indexes.set(indexOid, index);
      for (const old of this.#indexes.keys()) {
        if (this.#indexes.size <= KEPT_INDEXES) break;
        this.#indexes.delete(old);
      }
    }
    const versions = new Map<string, string>();
    const present = new Map<string, boolean>();
    for (const [path, id] of index) {
      if (TRUST_FILES.includes(path)) continue;
      const ids = [path, statementPath(id), signaturePath(id)].map((p) =>
        oid(p) ?? ""
      );
      versions.set(path, ids.join(" "));
      present.set(path, snapshot.entries.has(path));
    }
    const approvals = new Map<string, string>();
    for (const [path, entry] of snapshot.entries) {
      if (path.startsWith(`${APPROVALS_DIR}/`) && isApprovalPath(path)) {
        approvals.set(path, entry.oid);
      }
    }
    return {
      index,
      versions,
      present,
      trustOid: oid(ALLOWED_SIGNERS_PATH),
      revokedOid: oid(REVOKED_KEYS_PATH),
      policyOid: oid(POLICY_PATH),
      approvals,
    };
  }

  // Signed versions, tampered lines, versions that stop verifying, and
  // deleted configs.
  async #configEvents(
    commit: LogCommit,
    snapshot: Snapshot,
    summary: Summary,
    parents: readonly Summary[],
    parentIds: readonly string[],
  ): Promise<void> {
    const trustChanged = parents.some((parent) =>
      parent.trustOid !== summary.trustOid ||
      parent.revokedOid !== summary.revokedOid ||
      parent.policyOid !== summary.policyOid
    );
    for (const [path, id] of summary.index) {
      if (TRUST_FILES.includes(path)) continue;
      this.signedPaths.add(path);
      const kept = parents.filter((parent) => parent.index.get(path) === id);
      if (kept.length === 0) {
        const loaded = await loadStatement(snapshot, id).then(
          (found) => found ?? `the statement "${statementPath(id)}" is missing`,
          (error) => errorMessage(error),
        );
        this.drafts.push(
          typeof loaded === "string"
            ? {
              commit,
              path,
              settle: () => ({
                type: "tampered",
                commit,
                path,
                statementId: id,
                verification: {
                  status: "failed",
                  code: "MALFORMED",
                  reason: loaded,
                },
              }),
            }
            : signedDraft(commit, path, id, loaded.statement),
        );
      } else if (
        summary.present.get(path) &&
        (trustChanged ||
          kept.some((parent) =>
            parent.versions.get(path) !== summary.versions.get(path)
          ))
      ) {
        // The same line, but the config, its statement or signature, or
        // the trust files changed: shown when that makes the version fail
        // where it verified before.
        const before = parentIds.filter((_, i) =>
          parents[i]!.index.get(path) === id
        );
        this.drafts.push({
          commit,
          path,
          settle: (verdicts, of) =>
            fails(verdicts, path) &&
              before.some((parent) => !fails(of(parent), path))
              ? {
                type: "failing",
                commit,
                path,
                statementId: id,
                verification: verdictFor(verdicts, path),
              }
              : undefined,
        });
      }
      if (
        !summary.present.get(path) && parents.length > 0 &&
        parents.every((parent) => parent.present.get(path) === true)
      ) {
        this.drafts.push({
          commit,
          path,
          settle: (verdicts) => ({
            type: "deleted",
            commit,
            path,
            statementId: id,
            verification: verdictFor(verdicts, path),
          }),
        });
      }
    }
  }

  // Index lines every parent had and this commit dropped: verify fails
  // that (a deleted config keeps its line), and the log shows it.
  #droppedLines(
    commit: LogCommit,
    summary: Summary,
    parents: readonly Summary[],
  ): void {
    const [first, ...others] = parents;
    for (const [path, id] of first?.index ?? []) {
      if (
        TRUST_FILES.includes(path) || summary.index.has(path) ||
        !others.every((parent) => parent.index.has(path))
      ) continue;
      this.drafts.push({
        commit,
        path,
        settle: (verdicts) => ({
          type: "failing",
          commit,
          path,
          statementId: id,
          verification: verdictFor(verdicts, path),
        }),
      });
    }
  }

  // The trust list's key lines, retired keys, revocations and policy
  // version, where the commit's file differs from every parent's.
  async #trustEvents(
    commit: LogCommit,
    snapshot: Snapshot,
    summary: Summary,
    parents: readonly Summary[],
  ): Promise<void> {
    const changed = (pick: (s: Summary) => string | undefined) =>
      parents.every((parent) => pick(parent) !== pick(summary)) &&
      (pick(summary) !== undefined || parents.length > 0);
    const signedBy = (path: string) =>
      this.#signedBy(snapshot, summary, parents[0], path);
    if (changed((s) => s.trustOid)) {
      await this.#listEvents(
        commit,
        summary,
        parents,
        await signedBy(ALLOWED_SIGNERS_PATH),
      );
    }
    if (changed((s) => s.revokedOid)) {
      await this.#revocationEvents(
        commit,
        summary,
        parents,
        await signedBy(REVOKED_KEYS_PATH),
      );
    }
    if (changed((s) => s.policyOid)) {
      const version = await this.#policyVersion(summary.policyOid);
      const previous = parents[0]
        ? await this.#policyVersion(parents[0].policyOid)
        : null;
      const by = await signedBy(POLICY_PATH);
      this.drafts.push({
        commit,
        settle: (verdicts) => ({
          type: "policy",
          commit,
          version,
          previousVersion: previous,
          signedBy: settleSigner(by, verdicts, POLICY_PATH),
          verification: verdictFor(verdicts, POLICY_PATH),
        }),
      });
    }
  }

  // Key lines (a key id with its principals) that no parent's list had,
  // that every parent's had and this one has not, and new retired keys.
  async #listEvents(
    commit: LogCommit,
    summary: Summary,
    parents: readonly Summary[],
    by: UnsettledSigner | null,
  ): Promise<void> {
    const mine = await this.#list(summary.trustOid);
    const theirs = await Promise.all(
      parents.map((parent) => this.#list(parent.trustOid)),
    );
    const lines = (list: AllowedSigners | undefined) =>
      new Set(
        (list?.entries ?? []).map((e) =>
          `${e.keyId} ${e.principals.join(",")}`
        ),
      );
    const myLines = lines(mine);
    const theirLines = theirs.map(lines);
    const line = (e: { keyId: string; principals: string[] }) =>
      `${e.keyId} ${e.principals.join(",")}`;
    for (const entry of mine?.entries ?? []) {
      if (theirLines.some((set) => set.has(line(entry)))) continue;
      this.#trustDraft(commit, "trust-added", entry, by);
    }
    for (const entry of theirs[0]?.entries ?? []) {
      if (
        theirLines.every((set) => set.has(line(entry))) &&
        !myLines.has(line(entry))
      ) this.#trustDraft(commit, "trust-removed", entry, by);
    }
    for (const id of mine?.retired ?? []) {
      if (theirs.some((list) => list?.retired?.has(id))) continue;
      const entry = mine!.entries.find((e) => e.keyId === id);
      this.#trustDraft(
        commit,
        "retired",
        { keyId: id, principals: entry?.principals ?? [] },
        by,
      );
    }
  }

  // Keys that no parent's revoked_keys had, and keys every parent's had
  // and this one has not.
  async #revocationEvents(
    commit: LogCommit,
    summary: Summary,
    parents: readonly Summary[],
    by: UnsettledSigner | null,
  ): Promise<void> {
    const mine = await this.#revoked(summary.revokedOid);
    const theirs = await Promise.all(
      parents.map((parent) => this.#revoked(parent.revokedOid)),
    );
    const ids = (list: readonly RevokedKey[]) =>
      new Set(list.map((entry) => entry.keyId));
    const myIds = ids(mine);
    const theirIds = theirs.map(ids);
    for (const entry of mine) {
      if (theirIds.some((set) => set.has(entry.keyId))) continue;
      this.#revokedDraft(commit, "revoked", entry, by);
    }
    for (const entry of theirs[0] ?? []) {
      if (
        theirIds.every((set) => set.has(entry.keyId)) && !myIds.has(entry.keyId)
      ) this.#revokedDraft(commit, "unrevoked", entry, by);
    }
  }

  #trustDraft(
    commit: LogCommit,
    type: "trust-added" | "trust-removed" | "retired",
    entry: { keyId: string; principals: string[] },
    by: UnsettledSigner | null,
  ): void {
    this.drafts.push({
      commit,
      settle: (verdicts) => ({
        type,
        commit,
        keyId: entry.keyId,
        principals: entry.principals,
        signedBy: settleSigner(by, verdicts, ALLOWED_SIGNERS_PATH),
        verification: verdictFor(verdicts, ALLOWED_SIGNERS_PATH),
      }),
    });
  }

  #revokedDraft(
    commit: LogCommit,
    type: "revoked" | "unrevoked",
    entry: RevokedKey,
    by: UnsettledSigner | null,
  ): void {
    this.drafts.push({
      commit,
      settle: (verdicts) => ({
        type,
        commit,
        keyId: entry.keyId,
        comment: entry.comment,
        recorded: entry.recorded ?? null,
        signedBy: settleSigner(by, verdicts, REVOKED_KEYS_PATH),
        verification: verdictFor(verdicts, REVOKED_KEYS_PATH),
      }),
    });
  }

  // Who signed a trust file's version in this commit, and the principals
  // the list that judges the change (the parent's; the commit's own for a
  // first list) gives that key.
  async #signedBy(
    snapshot: Snapshot,
    summary: Summary,
    parent: Summary | undefined,
    path: string,
  ): Promise<UnsettledSigner | null> {
    const id = summary.index.get(path);
    if (id === undefined) return null;
    const loaded = await loadStatement(snapshot, id).catch(() => undefined);
    if (!loaded) return null;
    const judge = await this.#list(
      parent?.trustOid !== undefined ? parent.trustOid : summary.trustOid,
    );
    const keyId = loaded.statement.signer;
    const entry = judge?.entries.find((e) => e.keyId === keyId);
    return { keyId, principals: entry?.principals ?? [] };
  }

  // Approvals that no parent had.
  async #approvalEvents(
    commit: LogCommit,
    snapshot: Snapshot,
    summary: Summary,
    parents: readonly Summary[],
  ): Promise<void> {
    const trust = await this.#trustWithRevocations(summary);
    for (const [path, oid] of summary.approvals) {
      if (parents.some((parent) => parent.approvals.get(path) === oid)) {
        continue;
      }
      const { statementId, keyHex } = parseApprovalPath(path);
      const loaded = await loadStatement(snapshot, statementId).catch(() =>
        undefined
      );
      const configPath = loaded?.statement.path ?? null;
      const approval = await checkApprovalFile(snapshot, path, {
        keyHex,
        statementBytes: loaded?.bytes,
        trust,
        now: this.#now,
      });
      const draft: Draft = {
        commit,
        settle: (verdicts) => {
          const judged = configPath === null
            ? approval.verification
            : trustVoid(verdicts, configPath) ?? approval.verification;
          return {
            type: "approved",
            commit,
            path: configPath,
            statementId,
            artifact: loaded?.statement.artifact ?? null,
            keyId: approval.keyId,
            principals: judged.status === "verified" ? approval.principals : [],
            verification: judged,
          };
        },
      };
      if (configPath !== null && !TRUST_FILES.includes(configPath)) {
        draft.path = configPath;
      }
      this.drafts.push(draft);
    }
  }

  // A trust list by blob, parsed once while it is in use.
  #list(oid: string | undefined): Promise<AllowedSigners | undefined> {
    if (oid === undefined) return Promise.resolve(undefined);
    let list = this.#lists.get(oid);
    if (!list) {
      list = this.#blobText(oid, MAX_TRUST_BYTES).then((text) =>
        text === undefined
          ? undefined
          : parseAllowedSigners(text, ALLOWED_SIGNERS_PATH)
      ).catch(() => undefined);
      this.#lists.set(oid, list);
      for (const old of this.#lists.keys()) {
        if (this.#lists.size <= KEPT_LISTS) break;
        this.#lists.delete(old);
      }
    }
    return list;
  }

  async #trustWithRevocations(
    summary: Summary,
  ): Promise<AllowedSigners | undefined> {
    const list = await this.#list(summary.trustOid);
    const revoked = await this.#revoked(summary.revokedOid);
    return list && revoked.length > 0 ? { ...list, revoked } : list;
  }

  async #revoked(oid: string | undefined): Promise<RevokedKey[]> {
    if (oid === undefined) return [];
    const text = await this.#blobText(oid, MAX_TRUST_BYTES)
      .catch(() => undefined);
    if (text === undefined) return [];
    return (await parseRevokedKeys(text, REVOKED_KEYS_PATH)
      .catch(() => undefined))?.entries ?? [];
  }

  async #policyVersion(oid: string | undefined): Promise<number | null> {
    if (oid === undefined) return null;
    const object = await this.#objects.read(oid, MAX_CONFIG_BYTES + 1);
    if (!object) return null;
    const policy = await parsePolicy(object.bytes, { source: POLICY_PATH })
      .catch(() => undefined);
    return policy?.version ?? null;
  }

  async #blobText(oid: string, max: number): Promise<string | undefined> {
    const object = await this.#objects.read(oid, max);
    if (!object || object.type !== "blob") return undefined;
    return new TextDecoder("utf-8", { fatal: true }).decode(object.bytes);
  }
}

// Whether a path fails (not merely pending) in a commit's verification.
function fails(verdicts: Verdicts, path: string): boolean {
  return verdictFor(verdicts, path).status === "failed";
}

function signedDraft(
  commit: LogCommit,
  path: string,
  id: string,
  statement: Statement,
): Draft {
  return {
    commit,
    path,
    settle: (verdicts) => {
      const verification = verdictFor(verdicts, path);
      const result = verdicts.results.get(path);
      return {
        type: "signed",
        commit,
        path,
        statementId: id,
        artifact: statement.artifact,
        signer: statement.signer,
        // Never a principal for a version that does not verify here.
        principals: verification.status === "failed"
          ? []
          : result?.principals ?? [],
        signedAt: formatTime(statement.signedAt),
        sequence: statement.sequence,
        previous: [...statement.previous],
        verification,
      };
    },
  };
}
