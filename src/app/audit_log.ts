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

import {
  ALLOWED_SIGNERS_PATH,
  APPROVALS_DIR,
  INDEX_PATH,
  MAX_CONFIG_BYTES,
  MAX_METADATA_BYTES,
  MAX_TRUST_BYTES,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
} from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { git, type Repository, toRepoPath } from "../git/repository.ts";
import { GitObjects } from "../source/cat_file.ts";
import {
  type CommitInfo,
  commitSnapshot,
  readCommit,
  type Snapshot,
  type TreeCache,
} from "../source/snapshot.ts";
import { keyIdOfHex } from "../format/public_key.ts";
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
import { verifyApproval } from "../verify/verifier.ts";
import type { VerifyCode, VerifyResult } from "../verify/verify_codes.ts";
import {
  type CommitReport,
  defaultBranches,
  verifyRevisions,
} from "../verify/verify_history.ts";

/** The commit an event comes from. */
export interface LogCommit {
  /** The commit's id. */
  id: string;
  /** Its author date (ISO 8601, as Git records it). */
  date: string;
  /** The first line of its message. */
  subject: string;
}

/**
 * What the commit's verification says of the thing an event shows:
 * `verified`, `pending` (validly signed by a trusted key, short of the
 * policy's threshold), or `failed` (with the verify code, when there is
 * one).
 */
export interface LogVerification {
  /** The verdict. */
  status: "verified" | "pending" | "failed";
  /** The verify code (docs/FORMAT.md), or null when verified. */
  code: VerifyCode | null;
  /** Why, in words. */
  reason: string;
}

/** Who signed a trust file's change (principals only when it verified). */
export interface LogSigner {
  /** The key id the statement names. */
  keyId: string;
  /** Its principals in the trust list that approved the change; empty unless verified. */
  principals: string[];
}

/** One entry of the audit trail (see docs/FORMAT.md, "Audit log"). */
export type LogEvent =
  & { commit: LogCommit; verification: LogVerification }
  & (
    | {
      type: "signed";
      path: string;
      statementId: string;
      artifact: string;
      signer: string;
      principals: string[];
      signedAt: string;
      sequence: number;
      previous: string[];
    }
    | { type: "tampered"; path: string; statementId: string }
    | { type: "failing"; path: string; statementId: string }
    | { type: "deleted"; path: string; statementId: string }
    | {
      type: "approved";
      path: string | null;
      statementId: string;
      artifact: string | null;
      keyId: string;
      principals: string[];
    }
    | {
      type: "trust-added" | "trust-removed" | "retired";
      keyId: string;
      principals: string[];
      signedBy: LogSigner | null;
    }
    | {
      type: "revoked" | "unrevoked";
      keyId: string;
      comment: string;
      recorded: { at: string; reason: string } | null;
      signedBy: LogSigner | null;
    }
    | {
      type: "policy";
      version: number | null;
      previousVersion: number | null;
      signedBy: LogSigner | null;
    }
  );

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
 * the history signed.
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
  const tip = await resolveTip(repo, rev);
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
  const commits = await listHistory(repo, tip);
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
  const found = await git(repo, [
    "rev-parse",
    "--verify",
    "--quiet",
    "--end-of-options",
    `${rev}^{commit}`,
  ]).then((out) => new TextDecoder().decode(out).trim(), () => "");
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(found)) {
    throw new ToolError(
      "USAGE",
      `Invalid revision "${rev}": no branch, tag or commit has that name here`,
    );
  }
  return found;
}

/** A commit of the logged history, as `git log` lists it. */
interface Listed {
  id: string;
  date: string;
  parents: string[];
}

// The tip's history, parents before children, with author dates.
async function listHistory(
  repo: Repository,
  tip: string,
): Promise<Listed[]> {
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

/** What a commit's verification says, by path. */
interface Verdicts {
  /** Results by path. */
  results: ReadonlyMap<string, VerifyResult>;
  /** A trust file whose change is not approved: every trust it gives is void. */
  trustProblem: VerifyResult | undefined;
  /** Before adoption: no trust list in the commit's history. */
  beforeAdoption: boolean;
}

function verdictsOf(report: CommitReport | undefined): Verdicts {
  const results = new Map(
    (report?.results ?? []).map((result) => [result.path, result]),
  );
  const trustProblem = TRUST_FILES.map((path) => results.get(path)).find((
    result,
  ) =>
    result !== undefined &&
    (result.code === "UNTRUSTED_TRUST_CHANGE" ||
      result.code === "PENDING_APPROVAL")
  );
  return {
    results,
    trustProblem,
    beforeAdoption: report === undefined || report.beforeAdoption === true,
  };
}

// What the commit's verification says of one path.
function verdictFor(verdicts: Verdicts, path: string): LogVerification {
  const result = verdicts.results.get(path);
  if (verdicts.beforeAdoption) {
    return {
      status: "failed",
      code: "UNTRUSTED_SIGNER",
      reason:
        "no trust list in this commit's history (before adoption): nothing is trusted",
    };
  }
  const trust = verdicts.trustProblem;
  if (trust && trust.path !== path) {
    return {
      status: "failed",
      code: "UNTRUSTED_TRUST_CHANGE",
      reason:
        `the trust files of this commit are not approved (${trust.path}: ${trust.reason})`,
    };
  }
  if (!result) {
    return { status: "verified", code: null, reason: "verified" };
  }
  if (result.code === "PENDING_APPROVAL") {
    return { status: "pending", code: result.code, reason: result.reason };
  }
  return result.ok
    ? { status: "verified", code: null, reason: result.reason }
    : { status: "failed", code: result.code ?? null, reason: result.reason };
}

// Whether a path fails (not merely pending) in a commit's verification.
function fails(verdicts: Verdicts, path: string): boolean {
  return verdictFor(verdicts, path).status === "failed";
}

/** An event found on the walk, settled once its commit's verdict is known. */
interface Draft {
  commit: LogCommit;
  /** The config it is about, for the path filter (none: it concerns every config). */
  path?: string;
  /**
   * The event, given the verdicts of its commit (and of any other commit
   * of the run); undefined when it turns out to be nothing to show.
   */
  settle(
    verdicts: Verdicts,
    of: (commit: string) => Verdicts,
  ): LogEvent | undefined;
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

// The files whose changes are trust events rather than config versions.
const TRUST_FILES = [
  ALLOWED_SIGNERS_PATH,
  REPO_CONFIG_PATH,
  POLICY_PATH,
  REVOKED_KEYS_PATH,
];

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
    const parents = info.parents.map((id) => this.#summaries.get(id))
      .filter((parent) => parent !== undefined);
    for (const parent of info.parents) {
      const left = (children.get(parent) ?? 1) - 1;
      if (left > 0) children.set(parent, left);
      else this.#summaries.delete(parent);
    }
    const commit: LogCommit = { id: info.oid, date, subject: info.subject };
    await this.#trustEvents(commit, snapshot, summary, parents);
    await this.#configEvents(commit, snapshot, summary, parents, info.parents);
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
          parents[i]?.index.get(path) === id
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

  async #trustEvents(
    commit: LogCommit,
    snapshot: Snapshot,
    summary: Summary,
    parents: readonly Summary[],
  ): Promise<void> {
    const changed = (pick: (s: Summary) => string | undefined) =>
      parents.every((parent) => pick(parent) !== pick(summary)) &&
      (pick(summary) !== undefined || parents.length > 0);
    const first = parents[0];
    const signedBy = async (path: string) =>
      await this.#signedBy(snapshot, summary, first, path);
    if (changed((s) => s.trustOid)) {
      const mine = await this.#list(summary.trustOid);
      const theirs = await Promise.all(
        parents.map((parent) => this.#list(parent.trustOid)),
      );
      const by = await signedBy(ALLOWED_SIGNERS_PATH);
      const key = (e: { keyId: string; principals: string[] }) =>
        `${e.keyId} ${e.principals.join(",")}`;
      const had = (list: AllowedSigners | undefined, k: string) =>
        (list?.entries ?? []).some((entry) => key(entry) === k);
      for (const entry of mine?.entries ?? []) {
        if (theirs.some((list) => had(list, key(entry)))) continue;
        this.#trustDraft(commit, "trust-added", entry, by);
      }
      if (theirs.length > 0) {
        const removed = (theirs[0]?.entries ?? []).filter((entry) =>
          theirs.every((list) => had(list, key(entry))) &&
          !had(mine, key(entry))
        );
        for (const entry of removed) {
          this.#trustDraft(commit, "trust-removed", entry, by);
        }
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
    if (changed((s) => s.revokedOid)) {
      const mine = await this.#revoked(summary.revokedOid);
      const theirs = await Promise.all(
        parents.map((parent) => this.#revoked(parent.revokedOid)),
      );
      const by = await signedBy(REVOKED_KEYS_PATH);
      const had = (list: RevokedKey[], id: string) =>
        list.some((entry) => entry.keyId === id);
      for (const entry of mine) {
        if (theirs.some((list) => had(list, entry.keyId))) continue;
        this.#revokedDraft(commit, "revoked", entry, by);
      }
      for (const entry of theirs[0] ?? []) {
        if (
          theirs.every((list) => had(list, entry.keyId)) &&
          !had(mine, entry.keyId)
        ) this.#revokedDraft(commit, "unrevoked", entry, by);
      }
    }
    if (changed((s) => s.policyOid)) {
      const version = await this.#policyVersion(summary.policyOid);
      const previous = first
        ? await this.#policyVersion(first.policyOid)
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
      const approval = await this.#checkApproval(
        snapshot,
        path,
        keyHex,
        loaded?.bytes,
        trust,
      );
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

  async #checkApproval(
    snapshot: Snapshot,
    path: string,
    keyHex: string,
    statementBytes: Uint8Array | undefined,
    trust: AllowedSigners | undefined,
  ): Promise<
    { keyId: string; principals: string[]; verification: LogVerification }
  > {
    const keyId = keyIdOfHex(keyHex);
    const failed = (code: VerifyCode, reason: string) => ({
      keyId,
      principals: [],
      verification: { status: "failed" as const, code, reason },
    });
    if (!statementBytes) {
      return failed(
        "MALFORMED",
        "the statement it approves is missing or does not hash to its name",
      );
    }
    if (!trust) {
      return failed("UNTRUSTED_SIGNER", "this commit has no trust list");
    }
    let signatureText: string;
    try {
      const bytes = await snapshot.read(path, MAX_METADATA_BYTES);
      signatureText = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (error) {
      return failed("MALFORMED", errorMessage(error));
    }
    try {
      const { decision } = await verifyApproval(
        { path, keyHex, signatureText },
        statementBytes,
        trust,
        this.#now,
      );
      if (decision.status === "trusted" || decision.status === "retired") {
        return {
          keyId,
          principals: decision.entry.principals,
          verification: {
            status: "verified",
            code: null,
            reason: decision.status === "retired"
              ? "the signature verifies; the key is retired"
              : "the signature verifies, by a trusted key",
          },
        };
      }
      return decision.status === "revoked"
        ? failed("REVOKED_KEY", `${keyId} is revoked`)
        : decision.status === "expired"
        ? failed("EXPIRED_KEY", `${keyId} is not valid: ${decision.reason}`)
        : failed(
          "UNTRUSTED_SIGNER",
          `${keyId} is not in "${ALLOWED_SIGNERS_PATH}"`,
        );
    } catch (error) {
      const code = (error as { code?: VerifyCode }).code ?? "MALFORMED";
      return failed(code, errorMessage(error));
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

/** A trust file's signer before its commit's verdict is known. */
interface UnsettledSigner {
  keyId: string;
  principals: string[];
}

// The signer of a trust file's change, with principals only when the
// change verified.
function settleSigner(
  by: UnsettledSigner | null,
  verdicts: Verdicts,
  path: string,
): LogSigner | null {
  if (!by) return null;
  const verified = verdictFor(verdicts, path).status === "verified";
  return { keyId: by.keyId, principals: verified ? by.principals : [] };
}

// The verdict that voids what a commit's trust list says (a trust change
// no one approved), if any.
function trustVoid(
  verdicts: Verdicts,
  path: string,
): LogVerification | undefined {
  const verdict = verdictFor(verdicts, path);
  return verdict.code === "UNTRUSTED_TRUST_CHANGE" ||
      (verdicts.beforeAdoption)
    ? verdict
    : undefined;
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

async function walkHistory(
  repo: Repository,
  commits: readonly Listed[],
  now: Date,
): Promise<Walk> {
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
