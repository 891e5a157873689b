/**
 * Verifies commits, reading objects from Git directly (no checkout), so that
 * CI can check a pull request and the pre-push hook can check what is about
 * to leave. For each commit, in order (docs/FORMAT.md, "History rules"):
 *
 * 1. `#rootProblem`: a parentless commit inside a range, or a first trust
 *    list once the repository has adopted the tool, is a second root of
 *    trust.
 * 2. `#verifyTrustChange`: against every parent, its `allowed_signers` is
 *    the parent's, or that side kept it since the merge's sides forked, or it
 *    is a new version of the parent's list signed by a key trusted there; a
 *    first version (no parent has one) must be signed by a key it lists.
 *    `#verifyTrustFileChange` holds `config.json` and `revoked_keys` to the
 *    same rule (a key the parent retired approves nothing new).
 * 3. `verifySource`: every config verifies against that trust list and the
 *    repository id it names; `checkRetiredSignatures` then fails a new
 *    signature by a retired key (`RETIRED_KEY`).
 * 4. `#verifyNoRollback`: for every signed path, against every parent that
 *    has it, the statement is the parent's, follows it (links to its
 *    artifact with a higher sequence), or that side kept it; tombstones are
 *    intact, and a new one is signed by a trusted key.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  MAX_CONFIG_BYTES,
  MAX_TRUST_BYTES,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
  STORE_DIR,
} from "../constants.ts";
import {
  BUILTIN_CONFIG_KINDS,
  findConfigKind,
} from "../configs/config_kinds.ts";
import type { Policy } from "../trust/policy.ts";
import { literalPrincipals, readPolicy } from "../trust/policy_store.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { oneSignatureAtATime } from "../crypto/ed25519.ts";
import { snapshotSource } from "../source/config_source.ts";
import { GitObjects } from "../source/cat_file.ts";
import { git, type Repository } from "../git/repository.ts";
import {
  type CommitInfo,
  commitSnapshot,
  readCommit,
  type Snapshot,
  type TreeCache,
} from "../source/snapshot.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { loadStatement } from "./load_signed.ts";
import type { Statement } from "../store/statement.ts";
import {
  artifactPath,
  readIndex,
  signaturePath,
  statementPath,
} from "../store/store.ts";
import type {
  AllowedSigners,
  RevokedKeyRef,
} from "../trust/allowed_signers.ts";
import { readRevokedKeys, readTrust } from "../trust/trust_store.ts";
import type { VerifyResult } from "./verify_codes.ts";
import { AttributeCache } from "../source/checkout_attributes.ts";
import { attributeNotes, readAttributes } from "./verify_attributes.ts";
import { verifyConfig } from "./verify_config.ts";
import { VerifyMemo, verifySource } from "./verify_repository.ts";
import {
  checkRetiredSignatures,
  type SignatureVersion,
} from "./retired_signatures.ts";

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
  /**
   * True for a commit before adoption: neither it nor any commit in its
   * history holds a trust list, so it has nothing to verify against. It
   * passes (with no results) only as history that an adopted tip builds on,
   * or while nothing is adopted (docs/SECURITY.md, "Adoption").
   */
  beforeAdoption?: true;
}

/**
 * A commit a run ends at: a pushed ref's new value, a range's end, a
 * verified revision. A tip before adoption fails once the repository has
 * adopted the tool, unless `history` allows it to be part of the adopted
 * history (a tag or `verify --rev` of an old commit).
 */
export interface Tip {
  /** Any revision naming the commit. */
  rev: string;
  /** May point into adopted history (an ancestor of an adopted commit). */
  history: boolean;
  /** How to name it in a report (a ref), when not the commit's subject. */
  name?: string;
  /**
   * A config short of its policy's threshold (PENDING_APPROVAL) does not
   * fail at this tip (a push of a branch that waits for approval, not of
   * the remote's default branch); it is reported with a note.
   */
  allowPending?: boolean;
}

/** A commit's state, kept while its children are checked. */
interface CommitState {
  info: CommitInfo;
  snapshot: Snapshot;
  index: StoreIndex;
  /** The index could not be read: nothing can be shown to follow it. */
  indexBroken: boolean;
  /**
   * The trust list's blob, when it is there and readable. Its bytes and
   * parsed form are not kept with the state (a range prefetches dozens of
   * states, each list up to MAX_TRUST_BYTES): {@linkcode History} reads
   * them through bounded caches.
   */
  trustOid?: string;
  /** Why a trust list that is there cannot be read (too large, a link). */
  trustUnreadable?: string;
  /** The revocation list's blob, when there is one (read with the list). */
  revokedOid?: string;
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
  options: HistoryOptions = {},
): Promise<CommitReport[]> {
  const objects = GitObjects.open(repo);
  if (options.range) {
    // The commits ahead are walked while one is verified: its objects are
    // taken after theirs.
    objects.readAhead(options.range, {
      keep: readAheadBlob,
      behindCommits: PREFETCH_COMMITS,
    });
  }
  try {
    const history = new History(repo, objects, options);
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
    // One commit at a time, each signature awaited in turn.
    await oneSignatureAtATime(async () => {
      for (let at = 0; at < revs.length; at++) {
        for (let next = at; next < at + PREFETCH_COMMITS; next++) ahead(next);
        reports.push(await history.verifyCommit(await commits[at]!));
      }
    });
    const tips = options.tips ?? runTips(reports, history);
    return await history.settlePending(
      await history.settleAdoption(reports, tips),
      tips,
    );
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
  options: HistoryOptions = {},
): Promise<CommitReport> {
  const objects = GitObjects.open(repo);
  try {
    const history = new History(repo, objects, options);
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
 * Verifies a version of the repository that is not a commit (the working
 * tree) against the commits it builds on, as a commit is verified against
 * its parents (see {@linkcode verifyRevisions}), so that a trust-list change
 * signed by a key the parents do not trust, or a config rolled back to an
 * older signed version, fails before it is committed.
 *
 * @param repo The repository.
 * @param objects Where the commits' objects are read.
 * @param version What it is (`label`) and how to build its snapshot from
 * the first parent's.
 * @param parents The commits it builds on.
 * @param options Verification time.
 * @returns The failures, at most one per path (none before adoption), and
 * whether the trust list holds a change not signed yet.
 * @throws {ToolError} `BAD_PATH` when a parent names no commit.
 *
 * @example
 * ```ts ignore
 * const failures = await verifyVersion(repo, { label: "working tree", snapshot }, [head]);
 * ```
 */
export async function verifyVersion(
  repo: Repository,
  objects: GitObjects,
  version: {
    label: string;
    snapshot: (parent: Snapshot) => Promise<Snapshot>;
  },
  parents: readonly CommitInfo[],
  options: Pick<HistoryOptions, "now"> = {},
): Promise<VersionReport> {
  return await new History(repo, objects, options).verifyVersion(
    version.label,
    parents,
    version.snapshot,
  );
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

/**
 * The commits a range builds on: what it excludes (`A` in `A..B`, each
 * `^X`, the refs after `--not`), and the remotes' default branches
 * (`refs/remotes/<remote>/HEAD`), which say whether the repository has
 * adopted the tool (see {@linkcode HistoryOptions.bases}).
 *
 * @param repo The repository.
 * @param range `git rev-list` arguments, as for {@linkcode listCommits}.
 * @returns Commit ids, without duplicates.
 * @throws {ToolError} `USAGE` for a range git does not accept.
 *
 * @example
 * ```ts ignore
 * const bases = await rangeBases(repo, ["origin/main..HEAD"]);
 * ```
 */
export async function rangeBases(
  repo: Repository,
  range: readonly string[],
): Promise<string[]> {
  let out: Uint8Array;
  try {
    out = await git(repo, ["rev-parse", ...range, "--"]);
  } catch (error) {
    throw new ToolError(
      "USAGE",
      `Invalid range "${range.join(" ")}": ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const excluded = new TextDecoder().decode(out).split("\n")
    .filter((line) => line.startsWith("^")).map((line) => line.slice(1));
  return [...new Set([...excluded, ...await defaultBranches(repo)])];
}

/**
 * The commits the remotes' default branches point at, as far as this
 * repository knows them (`refs/remotes/<remote>/HEAD`).
 *
 * @param repo The repository.
 * @returns Commit ids.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * const tips = await defaultBranches(repo);
 * ```
 */
export async function defaultBranches(repo: Repository): Promise<string[]> {
  const out = await git(repo, [
    "for-each-ref",
    "--format=%(objectname)",
    "refs/remotes/*/HEAD",
  ]);
  return new TextDecoder().decode(out).split("\n").filter((line) =>
    line !== ""
  );
}

/** What {@linkcode verifyVersion} found. */
export interface VersionReport {
  /** The failures against the parents, at most one per path. */
  failures: VerifyResult[];
  /**
   * Set when the trust list's bytes changed under the parent's statement: a
   * change not signed yet, which approves nothing. `trust` is the parent's
   * list (undefined when it cannot be parsed), to verify configs against.
   */
  unsignedTrustChange?: { since: string; trust: AllowedSigners | undefined };
  /**
   * Applies the retired-key rule to the version's per-config results:
   * a signature by a retired key counts only when a parent had it.
   */
  checkRetired: (results: readonly VerifyResult[]) => Promise<VerifyResult[]>;
}

/** Options for {@linkcode verifyRevisions}. */
export interface HistoryOptions {
  /** Verification time (default: now). */
  now?: Date;
  /**
   * Whether a commit without parents may start a root of trust (default
   * true: `verify --rev`). Inside a range or a push to a remote that holds
   * something, it may not.
   */
  allowRoots?: boolean | (() => Promise<boolean>);
  /**
   * The commits the verified ones build on and are judged against (a
   * range's base, what the remote holds, the remotes' default branches),
   * asked for only when a commit brings a first trust list. When one of them
   * holds a trust list, the repository has adopted the tool, and a first
   * list may only be its own adoption commit (an ancestor of such a base).
   */
  bases?: () => Promise<readonly string[]>;
  /**
   * Where the run ends (default: its commits that no other commit of the
   * run has as a parent, which may not point into adopted history).
   */
  tips?: readonly Tip[];
  /**
   * The `git rev-list` arguments the commits came from (checked by
   * {@linkcode listCommits}), when they are a range: its objects are then
   * read ahead in one stream. Only a hint of what will be read.
   */
  range?: readonly string[];
}

// Blobs read ahead with a range's trees: the store's files and what looks
// like a config (others are read when a check asks for them).
function readAheadBlob(path: string): boolean {
  return path.startsWith(`${STORE_DIR}/`) ||
    findConfigKind(path, BUILTIN_CONFIG_KINDS) !== undefined;
}

// A range's ends: its commits that no commit of the run builds on.
function runTips(reports: readonly CommitReport[], history: History): Tip[] {
  const parents = new Set(
    reports.flatMap((report) => history.parentsOf(report.commit)),
  );
  return reports.filter((report) => !parents.has(report.commit)).map((
    report,
  ) => ({ rev: report.commit, history: false }));
}

// How many commits' states, trees and parsed trust lists are kept: a long
// range would otherwise keep every commit's snapshot, every flattened tree
// and every trust-list version alive. Anything dropped is read again if
// needed (its objects are cached by GitObjects).
const KEPT_TREES = 64;
const KEPT_STATES = 2 * PREFETCH_COMMITS + 32;
const KEPT_TRUST_LISTS = 4;
const KEPT_MERGE_BASES = 256;
const KEPT_ATTRIBUTE_ANSWERS = 32;
// Statements: a few per config, for the configs of the commits in flight.
const KEPT_STATEMENTS = 4096;
// The largest statement kept (a signed one is well under 1 KiB unless its
// servers run many files): 4,096 statements near their 64 KiB limit, which
// anyone can put in a commit's index, would hold ~265 MiB.
const KEPT_STATEMENT_BYTES = 4096;

class History {
  readonly #repo: Repository;
  readonly #objects: GitObjects;
  readonly #now: Date;
  readonly #trees: TreeCache = new BoundedMap(KEPT_TREES);
  readonly #states = new BoundedMap<string, Promise<CommitState>>(
    KEPT_STATES,
  );
  // One parsed trust list per blob, so that unchanged lists are the same
  // object from commit to commit and the memo can recognise them; bounded,
  // since each may be up to MAX_TRUST_BYTES.
  readonly #trustLists = new BoundedMap<string, AllowedSigners | undefined>(
    KEPT_TRUST_LISTS,
  );
  readonly #mergeBases = new BoundedMap<string, Promise<string[]>>(
    KEPT_MERGE_BASES,
  );
  readonly #memo = new VerifyMemo();
  /** Loaded statements, by id and the objects loading read (#statement). */
  readonly #statements = new BoundedMap<
    string,
    Promise<Statement | undefined>
  >(KEPT_STATEMENTS);
  readonly #attributes = new AttributeCache(KEPT_ATTRIBUTE_ANSWERS);
  readonly #allowRoots: boolean | (() => Promise<boolean>);
  readonly #bases: () => Promise<readonly string[]>;
  #adopted: Promise<string[]> | undefined;
  #branches: Promise<string[]> | undefined;
  /** Commits of this run whose trust list was not approved. */
  readonly #trustFailed = new Set<string>();
  /**
   * Trust files of this run's commits whose change is short of the
   * threshold of the policy before it: path → the statement, and the
   * commit whose trust list and policy must approve it. The same statement
   * in a child is judged again, with the child's approvals.
   */
  readonly #trustPending = new Map<
    string,
    Map<string, { statementId: string; judges: CommitState[] }>
  >();
  // One parsed policy per (policy blob, trust blob): its principals are
  // checked against the list beside it.
  readonly #policies = new BoundedMap<string, Policy | string | undefined>(
    KEPT_TRUST_LISTS,
  );
  /** This run's commits: their parents, and whether they are adopted. */
  readonly #run = new Map<string, { parents: string[]; adopted: boolean }>();
  /** Whether a commit outside the run has a trust list in its history. */
  readonly #adoptedOutside = new BoundedMap<string, Promise<boolean>>(
    KEPT_MERGE_BASES,
  );

  constructor(
    repo: Repository,
    objects: GitObjects,
    options: HistoryOptions,
  ) {
    this.#repo = repo;
    this.#objects = objects;
    this.#now = options.now ?? new Date();
    this.#allowRoots = options.allowRoots ?? true;
    this.#bases = options.bases ?? (() => Promise.resolve([]));
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
    // One failure per path, the first found, except that a hard failure
    // outranks a pending one: PENDING_APPROVAL passes inside a run, so it
    // must not hide a trust change made on top of a pending one, or a
    // rollback, which a later approval would then let through.
    const fail = (result: VerifyResult) => {
      if (outranks(result, failures.get(result.path))) {
        failures.set(result.path, result);
      }
    };
    const trustFailure = (reason: string): VerifyResult => ({
      path: ALLOWED_SIGNERS_PATH,
      ok: false,
      code: "UNTRUSTED_TRUST_CHANGE",
      reason,
    });
    const rootProblem = await this.#rootProblem(state, parents);
    if (rootProblem) {
      failures.set(ALLOWED_SIGNERS_PATH, trustFailure(rootProblem));
    }
    // A trust list that failed its check does not become trusted by being
    // left alone: every commit built on it fails too (within this run).
    const inherited = info.parents.find((parent) =>
      this.#trustFailed.has(parent)
    );
    if (inherited && !failures.has(ALLOWED_SIGNERS_PATH)) {
      failures.set(
        ALLOWED_SIGNERS_PATH,
        trustFailure(
          `it builds on ${
            inherited.slice(0, 12)
          }, whose trust list was not approved`,
        ),
      );
    }
    // Before adoption (no trust list in its history) there is nothing to
    // verify against: the commit passes for now, and settleAdoption decides
    // whether it may (an adopted tip builds on it, or nothing is adopted).
    const adopted = await this.#isAdopted(state, parents);
    this.#run.set(info.oid, { parents: info.parents, adopted });
    if (!adopted && failures.size === 0) {
      return {
        commit: info.oid,
        subject: info.subject,
        ok: true,
        results: [],
        beforeAdoption: true,
      };
    }
    const trustResult = await this.#verifyTrustChange(state, parents);
    if (trustResult && !failures.has(ALLOWED_SIGNERS_PATH)) {
      failures.set(ALLOWED_SIGNERS_PATH, trustResult);
    }
    for (const path of SIGNED_TRUST_FILES) {
      const result = await this.#verifyTrustFileChange(state, parents, path);
      if (result) failures.set(path, result);
    }
    for (
      const result of [
        ...await this.#verifyPolicyChange(state, parents),
        ...await this.#judgePending(state, parents),
      ]
    ) fail(result);
    const policy = await this.#policy(state);
    if (typeof policy === "string" && !failures.has(POLICY_PATH)) {
      failures.set(POLICY_PATH, {
        path: POLICY_PATH,
        ok: false,
        code: "MALFORMED",
        reason: policy,
      });
    }
    const verified = await verifySource(
      snapshotSource(state.snapshot, this.#objects, info.oid, {
        repo: this.#repo,
        source: { kind: "tree", entries: state.snapshot.entries },
        cache: this.#attributes,
      }),
      {
        trust: await this.#trust(state),
        policy: typeof policy === "string" ? UNREADABLE_POLICY : policy,
        now: this.#now,
        memo: this.#memo,
      },
    );
    const results = await checkRetiredSignatures(
      verified,
      await this.#signatureVersion(state),
      await Promise.all(
        parents.map((parent) => this.#signatureVersion(parent)),
      ),
    );
    const notes = await this.#attributeNotes(
      state,
      parents,
      results.map((result) => result.path),
    );
    for (const result of await this.#verifyNoRollback(state, parents)) {
      fail(result);
    }
    if (
      TRUST_FILES.some((path) =>
        failures.get(path)?.code === "UNTRUSTED_TRUST_CHANGE"
      )
    ) {
      this.#trustFailed.add(info.oid);
    }
    // One result per path: a history failure outranks a pass, which keeps
    // any note on what changed.
    const merged = results.map((result) => {
      const failure = failures.get(result.path);
      if (failure && outranks(failure, result.ok ? undefined : result)) {
        return failure;
      }
      return result.ok && notes.get(result.path)
        ? { ...result, note: notes.get(result.path)! }
        : result;
    });
    const seen = new Set(merged.map((result) => result.path));
    for (const [path, failure] of failures) {
      if (!seen.has(path)) merged.push(failure);
    }
    for (const [path, note] of notes) {
      if (!seen.has(path) && !failures.has(path)) {
        merged.push({
          path,
          ok: true,
          reason: "its Git attributes changed",
          note,
        });
      }
    }
    return {
      commit: info.oid,
      subject: info.subject,
      ok: merged.every((r) => r.ok),
      results: merged,
    };
  }

  /**
   * Judges a version that is not a commit (the working tree) against the
   * commits it would have as parents, with the checks a commit gets against
   * its parents: the trust list's change, `config.json`'s change, and each
   * config's chain (no rollback, no removed line). Nothing is judged before
   * adoption, and a broken index is left to the working tree's own report
   * (MALFORMED), rather than reported as every line removed.
   *
   * A trust list whose bytes changed under the parent's statement is a
   * change not signed yet (`trust add` leaves it so; `sign`, or the
   * pre-commit hook, signs it): it is no failure, and the parent's list is
   * returned, for the version's configs to be verified against. A first
   * list without a signature-index line is not judged either: it replaces
   * no trusted list, nor does one that follows a parent list trusting no key.
   *
   * @param label What the version is, for its state.
   * @param parents The commits it builds on (HEAD, and MERGE_HEAD in a merge).
   * @param snapshot Makes the version's snapshot, given the first parent's.
   * @returns The failures, at most one per path, and, for a trust-list
   * change not signed yet, the parent's list (`unsignedTrustChange`).
   */
  async verifyVersion(
    label: string,
    parents: readonly CommitInfo[],
    snapshot: (parent: Snapshot) => Promise<Snapshot>,
  ): Promise<VersionReport> {
    const states: CommitState[] = [];
    for (const parent of parents) states.push(await this.#state(parent));
    const state = await this.#stateOf(
      {
        oid: label,
        tree: "",
        parents: parents.map((parent) => parent.oid),
        subject: label,
      },
      await snapshot(states[0]!.snapshot),
    );
    const checkRetired = async (results: readonly VerifyResult[]) =>
      await checkRetiredSignatures(
        results,
        await this.#signatureVersion(state),
        await Promise.all(
          states.map((parent) => this.#signatureVersion(parent)),
        ),
      );
    if (!(await this.#isAdopted(state, states))) {
      return { failures: [], checkRetired };
    }
    const failures: VerifyResult[] = [];
    const report: VersionReport = { failures, checkRetired };
    const [parent] = states;
    const listId = state.index.get(ALLOWED_SIGNERS_PATH);
    const parentList = states.length === 1 && parent && hasTrustList(parent)
      ? await this.#trust(parent)
      : undefined;
    if (parentList?.entries.length === 0) {
      // A parent list that trusts no key (what "sign" leaves before anyone
      // is trusted) protects nothing and can approve nothing: the version's
      // list is a first list, as in a repository without one, and once
      // signed it must be signed by a key it lists.
      if (
        listId !== undefined &&
        listId !== parent!.index.get(ALLOWED_SIGNERS_PATH)
      ) {
        const root = await this.#verifyTrustChange(state, []);
        if (root) failures.push(root);
      }
    } else if (
      states.length === 1 && parent && hasTrustList(parent) &&
      state.trustOid !== undefined && state.trustOid !== parent.trustOid &&
      listId !== undefined && listId === parent.index.get(ALLOWED_SIGNERS_PATH)
    ) {
      // The version's own revocations count at once, signed or not: they
      // only ever take trust away.
      const revoked = await readRevokedKeys(state.snapshot)
        .catch(() => undefined);
      report.unsignedTrustChange = {
        since: parent.info.oid,
        trust: withRevocations(await this.#trust(parent), revoked?.entries),
      };
    } else if (listId !== undefined || states.some(hasTrustList)) {
      // (A first list that nothing signed yet replaces no trusted list: the
      // working tree's own verification treats it as before.)
      const trust = await this.#verifyTrustChange(state, states);
      if (trust) failures.push(trust);
    }
    for (const path of SIGNED_TRUST_FILES) {
      const result = await this.#verifyTrustFileChange(state, states, path);
      if (result) failures.push(result);
    }
    // One failure per path; a hard one outranks a pending one.
    const fail = (result: VerifyResult) => {
      const at = failures.findIndex((f) => f.path === result.path);
      if (at < 0) failures.push(result);
      else if (outranks(result, failures[at])) failures[at] = result;
    };
    for (const result of await this.#verifyPolicyChange(state, states)) {
      fail(result);
    }
    if (!state.indexBroken) {
      // A live config whose line is every parent's, with the file there in
      // each, is the parents' version ("same"): not read again, so that a
      // working tree of many configs costs what changed. (Its statement
      // and signature are the working tree's own verification's.)
      const unchanged = (path: string, id: string) =>
        state.snapshot.entries.has(path) &&
        states.every((p) =>
          p.index.get(path) === id && p.snapshot.entries.has(path)
        );
      for (
        const result of await this.#verifyNoRollback(state, states, unchanged)
      ) fail(result);
    }
    return report;
  }

  /**
   * The parents of a commit of this run.
   *
   * @param oid The commit.
   * @returns Its parents' ids (none when it is not of this run).
   */
  parentsOf(oid: string): readonly string[] {
    return this.#run.get(oid)?.parents ?? [];
  }

  /**
   * Applies the adoption rule to a finished run (docs/SECURITY.md,
   * "Adoption"): once the repository has adopted the tool (a tip or a base
   * holds a trust list in its history), a tip from before adoption fails,
   * unless it may be part of the adopted history and is (a tag on an old
   * release). Commits before adoption that are not tips pass: each is
   * history that a tip builds on, and an adopted tip is verified in full.
   *
   * @param reports The run's reports, oldest first.
   * @param tips Where the run ends.
   * @returns The reports, with failing tips replaced (or added, for a tip
   * outside the run).
   */
  async settleAdoption(
    reports: readonly CommitReport[],
    tips: readonly Tip[],
  ): Promise<CommitReport[]> {
    const adoptedTips: string[] = [];
    const pending: { tip: Tip; info: CommitInfo }[] = [];
    for (const tip of tips) {
      // A tag on a tree or a blob is nothing a client checks out.
      const info = await readCommit(this.#objects, tip.rev).catch(() =>
        undefined
      );
      if (!info) continue;
      const known = this.#run.get(info.oid);
      // A ref set to a commit outside the run: its list alone says
      // "adopted", without reading its whole tree.
      const adopted = known ? known.adopted : await this.#hasListAt(info.oid) ||
        await this.#adoptedHistory(await this.#state(info));
      if (adopted) adoptedTips.push(info.oid);
      else pending.push({ tip, info });
    }
    if (pending.length === 0) return [...reports];
    const witnesses = [
      ...adoptedTips,
      ...await this.#adoptedBases(),
      ...await this.#adoptedBranches(),
    ];
    // Nothing adopted yet, here or where this run builds: all of it is
    // history before adoption.
    if (witnesses.length === 0) return [...reports];
    const settled = [...reports];
    let adoptions: Promise<string[]> | undefined;
    for (const { tip, info } of pending) {
      const at = settled.findIndex((report) => report.commit === info.oid);
      if (at >= 0 && !settled[at]!.beforeAdoption) continue; // Fails already.
      // Old history is what the adoption itself built on: an ancestor of a
      // commit that added the trust list. (Merely being an ancestor of an
      // adopted commit is not enough: "git merge -s ours" would make any new
      // commit one, without bringing its configs anywhere verified.)
      let inHistory = false;
      adoptions ??= tip.history ? this.#adoptionCommits(witnesses) : undefined;
      for (const adoption of tip.history ? await adoptions! : []) {
        if (await this.#isAncestor(info.oid, adoption)) {
          inHistory = true;
          break;
        }
      }
      if (inHistory) continue;
      const failure = await this.#notAdopted(info, tip, witnesses[0]!);
      if (at >= 0) settled[at] = failure;
      else settled.push(failure);
    }
    return settled;
  }

  // The commits that added a trust list, in the history of the adopted
  // witnesses: the adoption commit (rule 5 refuses any other first list),
  // and any re-adding (which rule 1 refuses in its own commit).
  async #adoptionCommits(witnesses: readonly string[]): Promise<string[]> {
    const out = await git(this.#repo, [
      "log",
      "--full-history",
      "--no-renames",
      "--diff-filter=A",
      "--format=%H",
      ...witnesses,
      "--",
      ALLOWED_SIGNERS_PATH,
    ]);
    return new TextDecoder().decode(out).split("\n").filter((line) =>
      line !== ""
    );
  }

  // A tip before adoption in an adopted repository: it fails, with what
  // its configs are (unsigned, as nothing in its history can sign them).
  async #notAdopted(
    info: CommitInfo,
    tip: Tip,
    witness: string,
  ): Promise<CommitReport> {
    const state = await this.#state(info);
    const results = await verifySource(
      snapshotSource(state.snapshot, this.#objects, info.oid, {
        repo: this.#repo,
        source: { kind: "tree", entries: state.snapshot.entries },
        cache: this.#attributes,
      }),
      { now: this.#now, memo: this.#memo },
    );
    const where = tip.history
      ? "and it is not part of the adopted history (no adopted commit builds on it)"
      : "and a branch must build on the adopted history";
    return {
      commit: info.oid,
      subject: tip.name ? `${info.subject} (${tip.name})` : info.subject,
      ok: false,
      results: [
        {
          path: ALLOWED_SIGNERS_PATH,
          ok: false,
          code: "UNTRUSTED_TRUST_CHANGE",
          reason:
            `this commit is from before adoption (no trust list in its history), while ${
              witness.slice(0, 12)
            } has adopted the tool, ${where}: merge the adopted branch into it, sign its configs, and commit`,
        },
        ...results.filter((result) => result.path !== ALLOWED_SIGNERS_PATH),
      ],
    };
  }

  // A commit is adopted when it or a commit in its history holds a trust
  // list; "parents" are the ones it is verified against.
  async #isAdopted(
    state: CommitState,
    parents: readonly CommitState[],
  ): Promise<boolean> {
    if (hasTrustList(state)) return true;
    for (const parent of parents) {
      if (await this.#adoptedHistory(parent)) return true;
    }
    return false;
  }

  #adoptedHistory(state: CommitState): Promise<boolean> {
    if (hasTrustList(state)) return Promise.resolve(true);
    const known = this.#run.get(state.info.oid);
    if (known) return Promise.resolve(known.adopted);
    let adopted = this.#adoptedOutside.get(state.info.oid);
    if (!adopted) {
      // Asked of git only for a commit outside the run without a list of
      // its own. --full-history follows every parent of a merge, so any
      // commit that added the list (a root that has one included) shows.
      adopted = git(this.#repo, [
        "rev-list",
        "--full-history",
        "-n",
        "1",
        state.info.oid,
        "--",
        ALLOWED_SIGNERS_PATH,
      ]).then((out) => out.some((byte) => byte > 0x20));
      this.#adoptedOutside.set(state.info.oid, adopted);
    }
    return adopted;
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
    return await this.#stateOf(
      info,
      await commitSnapshot(this.#objects, info, this.#trees),
    );
  }

  // A version's state: its snapshot, index and trust list's blob.
  async #stateOf(info: CommitInfo, snapshot: Snapshot): Promise<CommitState> {
    let index: StoreIndex = new Map();
    let indexBroken = false;
    try {
      index = await readIndex(snapshot);
    } catch {
      // verifySource reports a malformed index for every config.
      indexBroken = true;
    }
    // Read once now, so that an unreadable list is known; the bytes stay in
    // the object cache, the parsed list in #trustLists.
    let trustUnreadable: string | undefined;
    const trustBytes = await snapshot.read(
      ALLOWED_SIGNERS_PATH,
      MAX_TRUST_BYTES,
    ).catch((error) => {
      trustUnreadable = `"${ALLOWED_SIGNERS_PATH}" cannot be read (${
        errorMessage(error)
      })`;
      return undefined;
    });
    const trustOid = trustBytes
      ? snapshot.entries.get(ALLOWED_SIGNERS_PATH)?.oid
      : undefined;
    const revokedOid = snapshot.entries.get(REVOKED_KEYS_PATH)?.oid;
    return {
      info,
      snapshot,
      index,
      indexBroken,
      ...(trustOid ? { trustOid } : {}),
      ...(trustUnreadable ? { trustUnreadable } : {}),
      ...(revokedOid ? { revokedOid } : {}),
    };
  }

  /**
   * The commit's trust list, parsed with its revocation list (undefined
   * when absent or malformed), cached on both files' blobs.
   */
  async #trust(state: CommitState): Promise<AllowedSigners | undefined> {
    const oid = state.trustOid;
    if (oid === undefined) return undefined;
    const key = `${oid} ${state.revokedOid ?? "-"}`;
    if (this.#trustLists.has(key)) return this.#trustLists.get(key);
    const trust = await readTrust(state.snapshot).catch(() => undefined);
    this.#trustLists.set(key, trust);
    return trust;
  }

  /** The commit's trust-list bytes (undefined when absent or unreadable). */
  async #trustBytes(state: CommitState): Promise<Uint8Array | undefined> {
    if (state.trustOid === undefined) return undefined;
    return await state.snapshot.read(ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES);
  }

  async #attributeNotes(
    state: CommitState,
    parents: readonly CommitState[],
    paths: readonly string[],
  ): Promise<Map<string, string>> {
    // Reported even when nothing unsafe came of it: a reviewer should see
    // that a commit changed how Git checks out a config.
    const notes = new Map<string, string>();
    const mine = attributeFiles(state.snapshot);
    for (const parent of parents) {
      if (attributeFiles(parent.snapshot) === mine) continue;
      const check = (snapshot: Snapshot) =>
        readAttributes(
          {
            repo: this.#repo,
            source: { kind: "tree", entries: snapshot.entries },
            cache: this.#attributes,
          },
          [],
          paths,
        );
      for (
        const note of attributeNotes(
          await check(parent.snapshot),
          await check(state.snapshot),
        )
      ) {
        if (!notes.has(note.path)) notes.set(note.path, note.note!);
      }
    }
    return notes;
  }

  async #rootProblem(
    state: CommitState,
    parents: readonly CommitState[],
  ): Promise<string | undefined> {
    if (
      parents.length === 0 &&
      !(typeof this.#allowRoots === "boolean"
        ? this.#allowRoots
        : await this.#allowRoots())
    ) {
      // A parentless commit inside a range (an orphan branch merged in or
      // pushed) would bring its own root of trust, signed by anyone.
      return "this commit has no parent: it starts a new history, with a root of trust no trusted key approved";
    }
    // A first trust list on a history from before the repository adopted
    // the tool (a branch from an old commit, an orphan) would be a second
    // root of trust. Only the adoption commit itself, which the adopted
    // history contains, may bring one.
    const first = hasTrustList(state) &&
      !parents.some(hasTrustList);
    if (!first) return undefined;
    const adopted = await this.#adoptedBases();
    if (adopted.length === 0) {
      // No base names a root of trust (a range from a commit before
      // adoption, a CI clone without a default branch). A branch whose
      // trust list does not build on this one has another root: this one
      // is then a second root, or the other is, and neither is approved.
      for (const branch of await this.#adoptedBranches()) {
        if (!await this.#isAncestor(state.info.oid, branch)) {
          return `the branch at ${
            branch.slice(0, 12)
          } already has a root of trust that does not build on this commit; this commit brings a first trust list of its own, which no trusted key approved`;
        }
      }
      return undefined;
    }
    for (const base of adopted) {
      if (await this.#isAncestor(state.info.oid, base)) return undefined;
    }
    return `this repository already has a root of trust (the trust list of ${
      adopted[0]!.slice(0, 12)
    }); this commit brings a first trust list of its own on a history from before it, which no trusted key approved`;
  }

  // Whether a commit's tree has a trust list (a list too large to read is
  // there all the same).
  async #hasListAt(commit: string): Promise<boolean> {
    return await this.#objects.read(
      `${commit}:${ALLOWED_SIGNERS_PATH}`,
      MAX_TRUST_BYTES,
    ).then(
      Boolean,
      (error) => error instanceof ToolError && error.code === "INVALID_FORMAT",
    );
  }

  // The branches, local and remote-tracking, whose tip holds a trust list:
  // evidence that the repository has adopted the tool where no base or
  // default branch is known (a CI clone without refs/remotes/origin/HEAD,
  // a range given from a commit before adoption). Only evidence: a first
  // list is never approved by being on a branch (rule 5 asks the bases).
  #adoptedBranches(): Promise<string[]> {
    this.#branches ??= (async () => {
      const out = await git(this.#repo, [
        "for-each-ref",
        "--format=%(objectname)",
        "refs/heads/",
        "refs/remotes/",
      ]);
      const adopted: string[] = [];
      const tips = new Set(new TextDecoder().decode(out).split("\n"));
      for (const tip of tips) {
        if (tip !== "" && await this.#hasListAt(tip)) adopted.push(tip);
      }
      return adopted;
    })();
    return this.#branches;
  }

  #adoptedBases(): Promise<string[]> {
    this.#adopted ??= (async () => {
      const adopted: string[] = [];
      for (const base of new Set(await this.#bases())) {
        if (await this.#hasListAt(base)) adopted.push(base);
      }
      return adopted;
    })();
    return this.#adopted;
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
    const before = parents.filter(hasTrustList);
    if (state.trustUnreadable) return fail(state.trustUnreadable);
    const unreadable = before.find((parent) => parent.trustUnreadable);
    if (unreadable) {
      return fail(
        `${unreadable.trustUnreadable} in ${
          unreadable.info.oid.slice(0, 12)
        }, so no change of it can be shown to be approved`,
      );
    }
    const trustBytes = await this.#trustBytes(state);
    if (!trustBytes) {
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
    const trust = await this.#trust(state);
    if (!trust) return fail(`"${path}" cannot be parsed`);
    if (before.length === 0) {
      // The root of trust: the first version must be signed by a key it lists.
      const result = await verifyConfig(
        this.#context(state, trust),
        path,
        trustBytes,
      );
      return result.ok ? undefined : fail(
        `the first trust list must be signed by a key it lists: ${result.reason}`,
      );
    }
    const myId = state.index.get(path);
    const mine = myId === undefined
      ? undefined
      : await this.#statement(state, myId);
    const sides = mine
      ? await this.#sides(parents, path, myId!, mine, true)
      : undefined;
    let pending: VerifyResult | undefined;
    for (const parent of before) {
      const short = parent.info.oid.slice(0, 12);
      const theirId = parent.index.get(path);
      // Unchanged means the same bytes under the same statement: a new
      // statement for the same bytes is a change too (it could point at a
      // statement that does not exist, or an older one).
      if (
        parent.trustOid === state.trustOid && myId !== undefined &&
        theirId === myId
      ) {
        continue;
      }
      const side = sides?.get(parent.info.oid);
      // Approved along the other side of a merge: this side left the list
      // as it was where the two histories forked.
      if (side === "kept") continue;
      // Otherwise the change must be a new version of this side's list
      // (an older approval does not count: it would let a removed key
      // return), signed by a key this side trusts.
      if (theirId !== undefined && side !== "follows" && side !== "same") {
        return fail(
          `it changed since ${short}, and its statement is not a new version of the list there: ` +
            `a change must be signed anew by a key trusted in ${short} (an older approval does not count)`,
        );
      }
      const result = await verifyConfig(
        await this.#changeContext(state, parent),
        path,
        trustBytes,
      );
      if (result.code === "PENDING_APPROVAL") {
        pending = this.#pending(state, parent, path, result);
        continue;
      }
      if (!result.ok) {
        return fail(
          `it changed since ${short} without a signature by a key trusted there ` +
            `(${result.code}: ${result.reason})`,
        );
      }
      const retired = retiredSigner(result, await this.#trust(parent));
      if (retired) return fail(`it changed since ${short}: ${retired}`);
    }
    return pending;
  }

  /**
   * A signed trust file other than the list itself (`config.json`, which
   * decides which files are configs; `revoked_keys`, which decides which
   * keys count) must be approved like a trust-list change: against every
   * parent that has a trust list, the file and its statement are the
   * parent's, or that side kept them, or the commit's statement is a new
   * version of the parent's (when it has one) signed by a key the parent
   * trusts (not one the parent retired). A removal cannot be signed, so it
   * fails; a file another parent brings unchanged was approved on that
   * side. Rule 2 checks it against the commit's own list as well.
   *
   * @param state The version judged.
   * @param parents What it builds on.
   * @param path The trust file's path (see `SIGNED_TRUST_FILES`).
   * @returns The failure, or undefined when the change is approved.
   */
  async #verifyTrustFileChange(
    state: CommitState,
    parents: CommitState[],
    path: string,
  ): Promise<VerifyResult | undefined> {
    const fail = (reason: string): VerifyResult => ({
      path,
      ok: false,
      code: "UNTRUSTED_TRUST_CHANGE",
      reason,
    });
    const mine = state.snapshot.entries.get(path);
    const myId = state.index.get(path);
    const same = (parent: CommitState) =>
      parent.snapshot.entries.get(path)?.oid === mine?.oid &&
      parent.snapshot.entries.get(path)?.mode === mine?.mode &&
      parent.index.get(path) === myId;
    if (!mine) {
      const had = parents.find((parent) => parent.snapshot.entries.has(path));
      return had
        ? fail(
          `it was removed since ${
            had.info.oid.slice(0, 12)
          }; a change to it must be signed by a key trusted before it, which a removal cannot be: ` +
            (REMOVAL_HINTS[path] ?? "keep it, and sign the change you mean"),
        )
        : undefined;
    }
    const judged = parents.filter(hasTrustList);
    if (judged.every(same)) return undefined;
    const statement = myId === undefined
      ? undefined
      : await this.#statement(state, myId);
    const sides = statement
      ? await this.#sides(parents, path, myId!, statement, true)
      : undefined;
    const bytes = await state.snapshot.read(path, MAX_TRUST_FILE_BYTES)
      .catch(() => undefined);
    let pending: VerifyResult | undefined;
    for (const parent of judged) {
      const short = parent.info.oid.slice(0, 12);
      if (same(parent)) continue;
      const side = sides?.get(parent.info.oid);
      if (side === "kept") continue;
      // Added on another side of a merge, where it was approved: this side
      // had none, and the merge takes that side's file as it is.
      if (
        !parent.snapshot.entries.has(path) &&
        parent.index.get(path) === undefined &&
        parents.some((other) => other !== parent && same(other))
      ) continue;
      const theirId = parent.index.get(path);
      if (theirId !== undefined && side !== "follows" && side !== "same") {
        return fail(
          `it changed since ${short}, and its statement is not a new version of the one there: ` +
            `a change must be signed anew by a key trusted in ${short}`,
        );
      }
      const before = await this.#trust(parent);
      const result = bytes
        ? await verifyConfig(
          await this.#changeContext(state, parent),
          path,
          bytes,
        )
        : undefined;
      if (result?.code === "PENDING_APPROVAL") {
        pending = this.#pending(state, parent, path, result);
        continue;
      }
      if (!result?.ok) {
        return fail(
          `it changed since ${short} without a signature by a key trusted there` +
            (result ? ` (${result.code}: ${result.reason})` : ""),
        );
      }
      const retired = retiredSigner(result, before);
      if (retired) return fail(`it changed since ${short}: ${retired}`);
    }
    return pending;
  }

  async #verifyNoRollback(
    state: CommitState,
    parents: CommitState[],
    skip: (path: string, id: string) => boolean = () => false,
  ): Promise<VerifyResult[]> {
    const failures: VerifyResult[] = [];
    for (const [path, id] of state.index) {
      if (skip(path, id)) continue;
      const mine = await this.#statement(state, id);
      if (!mine) {
        // Never skipped: a line pointing at nothing would break the chain
        // and let an older version start a new one.
        failures.push({
          path,
          ok: false,
          code: "MALFORMED",
          reason:
            `its signature-index line names the statement ${id}, which is missing or unreadable`,
          statementId: id,
        });
        continue;
      }
      const tombstone = await this.#verifyTombstone(state, parents, path, id);
      if (tombstone) {
        failures.push(tombstone);
        continue;
      }
      const sides = await this.#sides(
        parents,
        path,
        id,
        mine,
        state.snapshot.entries.has(path),
      );
      const problem = [...sides.values()].find((side) =>
        typeof side === "object"
      ) as { problem: string } | undefined;
      if (problem) {
        failures.push({
          path,
          ok: false,
          code: "ROLLED_BACK",
          reason: problem.problem,
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
          reason: `its signature-index line, which ${
            parent.info.oid.slice(0, 12)
          } held, was removed; a deleted config keeps its line, so that an older version cannot return`,
        });
      }
    }
    return failures;
  }

  /**
   * How this commit's version of a path relates to each parent's: the same
   * statement; one that follows it (links to its artifact, with a higher
   * sequence); `kept`: that side left the path as it was where it forked
   * from a side this version continues (a merge taking the other side's
   * change); or a problem. Sequences are only ever compared along a link:
   * numbers from two branches' chains say nothing about which came later.
   */
  async #sides(
    parents: readonly CommitState[],
    path: string,
    id: string,
    mine: Statement,
    live: boolean,
  ): Promise<Map<string, Side>> {
    const sides = new Map<string, Side>();
    const pending: {
      parent: CommitState;
      theirId: string;
      theirs: Statement;
    }[] = [];
    for (const parent of parents) {
      const short = parent.info.oid.slice(0, 12);
      if (parent.indexBroken) {
        sides.set(parent.info.oid, {
          problem:
            `the signature index of ${short} cannot be read, so this version cannot be shown to follow it`,
        });
        continue;
      }
      const theirId = parent.index.get(path);
      if (!theirId) continue;
      // A version is its statement and whether the file is there: deleting
      // keeps the statement (a tombstone), but bringing the file back is a
      // new version, which needs a new signature like any other.
      const theirsLive = parent.snapshot.entries.has(path);
      if (theirId === id && (theirsLive || !live)) {
        sides.set(parent.info.oid, "same");
        continue;
      }
      if (theirId === id) {
        sides.set(parent.info.oid, {
          problem:
            `it was deleted in ${short} (its line there is a tombstone); bringing the config back needs a new ` +
            "version, signed anew (sign it), not the old statement",
        });
        continue;
      }
      const theirs = await this.#statement(parent, theirId);
      if (!theirs) {
        sides.set(parent.info.oid, {
          problem:
            `what ${short} held for this path (statement ${theirId}) is missing or unreadable, ` +
            "so this version cannot be shown to follow it",
        });
        continue;
      }
      if (follows(mine, theirs)) {
        sides.set(parent.info.oid, "follows");
        continue;
      }
      pending.push({ parent, theirId, theirs });
    }
    const carriers = parents.filter((parent) => {
      const side = sides.get(parent.info.oid);
      return side === "same" || side === "follows";
    });
    for (const { parent, theirId, theirs } of pending) {
      let kept = false;
      for (const carrier of carriers) {
        if (
          await this.#heldAtFork(
            parent,
            carrier,
            path,
            theirId,
            parent.snapshot.entries.has(path),
          )
        ) {
          kept = true;
          break;
        }
      }
      sides.set(
        parent.info.oid,
        kept ? "kept" : {
          problem: this.#unlinkedProblem(mine, theirs, parent, parents.length),
        },
      );
    }
    return sides;
  }

  #unlinkedProblem(
    mine: Statement,
    theirs: Statement,
    parent: CommitState,
    parentCount: number,
  ): string {
    const short = parent.info.oid.slice(0, 12);
    if (parentCount > 1) {
      return `${short} changed it since the sides of this merge forked, and this version does not follow ` +
        `${short}'s (sequence ${theirs.sequence}, artifact ${theirs.artifact}): a merge must carry a version ` +
        `signed after both sides (sign it while completing the merge)`;
    }
    if (!mine.previous.includes(theirs.artifact)) {
      return `its previous artifact ${
        mine.previous.join(", ") || "none"
      } is not ${theirs.artifact}, what ${short} held`;
    }
    return `sequence ${mine.sequence} is not after sequence ${theirs.sequence} in ${short}`;
  }

  async #heldAtFork(
    side: CommitState,
    other: CommitState,
    path: string,
    id: string,
    live: boolean,
  ): Promise<boolean> {
    // `side` left the path as it was where it forked from `other` when a
    // merge base of the two holds the very same version (statement, and the
    // file there or not): every change since was made on `other`'s side,
    // and verified there.
    for (
      const base of await this.#mergeBasesOf(side.info.oid, other.info.oid)
    ) {
      const state = await this.#state(await readCommit(this.#objects, base));
      if (
        !state.indexBroken && state.index.get(path) === id &&
        state.snapshot.entries.has(path) === live
      ) return true;
    }
    return false;
  }

  #mergeBasesOf(a: string, b: string): Promise<string[]> {
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    let bases = this.#mergeBases.get(key);
    if (!bases) {
      bases = git(this.#repo, ["merge-base", "--all", a, b]).then(
        (out) =>
          new TextDecoder().decode(out).split("\n").filter((line) =>
            line !== ""
          ),
        () => [], // Unrelated histories have none.
      );
      this.#mergeBases.set(key, bases);
    }
    return bases;
  }

  async #isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await git(this.#repo, [
        "merge-base",
        "--is-ancestor",
        ancestor,
        descendant,
      ]);
      return true;
    } catch {
      return false;
    }
  }

  async #verifyTombstone(
    state: CommitState,
    parents: readonly CommitState[],
    path: string,
    id: string,
  ): Promise<VerifyResult | undefined> {
    // A deleted config's line must still be what it claims: an intact,
    // validly signed statement for this path, its stored artifact standing
    // in for the bytes. Kept from a parent (the config was deleted here or
    // before), its signer may have left the trust list since; a tombstone
    // that no parent had must be signed by a key trusted now, or anyone
    // could block a path with a sequence number at the limit.
    if (state.snapshot.entries.has(path)) return undefined; // Checked as a live config.
    const mine = await this.#statement(state, id);
    if (!mine) return undefined;
    const artifact = await state.snapshot.read(
      artifactPath(mine.artifact),
      MAX_CONFIG_BYTES,
    ).catch(() => undefined);
    const result = await verifyConfig(
      this.#context(state, await this.#trust(state)),
      path,
      artifact ?? new Uint8Array(),
    );
    if (result.ok) return undefined;
    const kept = parents.some((parent) => parent.index.get(path) === id);
    const trustOnly = result.code === "UNTRUSTED_SIGNER" ||
      result.code === "EXPIRED_KEY" || result.code === "REVOKED_KEY" ||
      (result.code === "SUBSTITUTED" && mine.version === 1);
    if (kept && trustOnly) return undefined;
    return {
      ...result,
      reason: kept || !trustOnly
        ? `the tombstone of this deleted config is not intact: ${result.reason}`
        : `this commit adds a line for a config that is not there (a tombstone), and a new tombstone must be signed by a trusted key: ${result.reason}`,
    };
  }

  async #statement(
    state: CommitState,
    id: string,
  ): Promise<Statement | undefined> {
    // What loading reads is the statement's file and its signature's: the
    // same two objects (and modes) give the same answer, so commits that
    // keep a config's statement do not hash and parse it again.
    let paths: [string, string];
    try {
      paths = [statementPath(id), signaturePath(id)];
    } catch {
      return undefined; // Not an id: loading it would fail the same way.
    }
    const statementEntry = state.snapshot.entries.get(paths[0]);
    const signatureEntry = state.snapshot.entries.get(paths[1]);
    const key = [
      id,
      statementEntry?.mode,
      statementEntry?.oid,
      signatureEntry?.mode,
      signatureEntry?.oid,
    ].join(" ");
    let statement = this.#statements.get(key);
    if (!statement) {
      const loading = loadStatement(state.snapshot, id).then(
        (loaded) => {
          if (
            loaded && loaded.bytes.length > KEPT_STATEMENT_BYTES &&
            this.#statements.get(key) === loading
          ) {
            this.#statements.delete(key);
          }
          return loaded?.statement;
        },
        () => undefined,
      );
      this.#statements.set(key, loading);
      statement = loading;
    }
    return await statement;
  }

  // A version as the retired-key rule reads it.
  async #signatureVersion(state: CommitState): Promise<SignatureVersion> {
    return {
      label: state.info.oid.length === 40 || state.info.oid.length === 64
        ? state.info.oid.slice(0, 12)
        : state.info.oid,
      index: state.index,
      reader: state.snapshot,
      trust: await this.#trust(state),
    };
  }

  #context(state: CommitState, trust: AllowedSigners | undefined) {
    return {
      reader: state.snapshot,
      index: state.index,
      trust,
      now: this.#now,
    };
  }

  // How a trust file's change in `state` is judged against `parent`: the
  // parent's trust list and policy (its "trust" rule), the approvals found
  // in `state`, and the repository id of `state`'s own list.
  async #changeContext(state: CommitState, parent: CommitState) {
    const policy = await this.#policy(parent);
    const own = await this.#trust(state);
    return {
      ...this.#context(state, withoutRetired(await this.#trust(parent))),
      ...(own ? { repository: own.repository } : {}),
      policy: typeof policy === "string" ? UNREADABLE_POLICY : policy,
      judgeTrustChange: true,
    };
  }

  /**
   * A commit's policy, read against its own trust list: undefined when it
   * has none, the reason when it cannot be read or is invalid.
   */
  async #policy(state: CommitState): Promise<Policy | string | undefined> {
    const entry = state.snapshot.entries.get(POLICY_PATH);
    if (!entry) return undefined;
    const key = `${entry.mode} ${entry.oid} ${state.trustOid ?? ""}`;
    if (this.#policies.has(key)) return this.#policies.get(key);
    const trust = await this.#trust(state);
    const policy = await readPolicy(
      state.snapshot,
      trust ? literalPrincipals(trust) : new Set(),
    )
      .catch((error) =>
        `"${POLICY_PATH}" cannot be used: ${errorMessage(error)}`
      );
    this.#policies.set(key, policy);
    return policy;
  }

  // A trust file's change short of the threshold: pending, judged again in
  // each child that keeps the same statement (with its approvals by then).
  #pending(
    state: CommitState,
    judge: CommitState,
    path: string,
    result: VerifyResult,
  ): VerifyResult {
    const statementId = state.index.get(path);
    if (statementId !== undefined) {
      const pending = this.#trustPending.get(state.info.oid) ?? new Map();
      const judges = pending.get(path)?.judges ?? [];
      if (!judges.includes(judge)) judges.push(judge);
      pending.set(path, { statementId, judges });
      this.#trustPending.set(state.info.oid, pending);
    }
    return {
      ...result,
      path,
      reason: `its change since ${
        judge.info.oid.slice(0, 12)
      } is not approved enough yet: ${result.reason}`,
    };
  }

  // The trust files that a parent left pending, and this commit keeps as
  // they were: judged again, against the commit that must approve them.
  async #judgePending(
    state: CommitState,
    parents: readonly CommitState[],
  ): Promise<VerifyResult[]> {
    const results: VerifyResult[] = [];
    const seen = new Set<string>();
    for (const parent of parents) {
      const pending = this.#trustPending.get(parent.info.oid);
      if (!pending) continue;
      // Until it is approved, an unapproved change approves nothing: a
      // trust file changed on top of it would be judged against a list or
      // policy no one approved (a key it added could sign the next change).
      const changed = TRUST_FILES.find((path) =>
        state.snapshot.entries.get(path)?.oid !==
          parent.snapshot.entries.get(path)?.oid ||
        state.index.get(path) !== parent.index.get(path)
      );
      if (changed !== undefined) {
        results.push({
          path: changed,
          ok: false,
          code: "UNTRUSTED_TRUST_CHANGE",
          reason: `it changed on top of ${
            parent.info.oid.slice(0, 12)
          }, whose change of "${
            [...pending.keys()][0]
          }" was still waiting for approval: approve that change first (or make both one change)`,
        });
        continue;
      }
      for (const [path, { statementId, judges }] of pending) {
        if (state.index.get(path) !== statementId) continue;
        for (const judge of judges) {
          if (seen.has(`${path}\0${judge.info.oid}`)) continue;
          seen.add(`${path}\0${judge.info.oid}`);
          const bytes = await state.snapshot.read(path, MAX_TRUST_BYTES)
            .catch(() => undefined);
          const result = bytes
            ? await verifyConfig(
              await this.#changeContext(state, judge),
              path,
              bytes,
            )
            : undefined;
          if (result?.ok) continue;
          results.push(
            result?.code === "PENDING_APPROVAL"
              ? this.#pending(state, judge, path, result)
              : {
                path,
                ok: false,
                code: "UNTRUSTED_TRUST_CHANGE",
                reason: `its change since ${
                  judge.info.oid.slice(0, 12)
                } was waiting for approval, and ${
                  result ? `now fails: ${result.reason}` : "cannot be read"
                }`,
              },
          );
        }
      }
    }
    return results;
  }

  // The policy's version only goes up: a change to a lower or equal
  // version (an older policy signed again, a replay) is a rollback.
  async #verifyPolicyChange(
    state: CommitState,
    parents: readonly CommitState[],
  ): Promise<VerifyResult[]> {
    const mine = state.snapshot.entries.get(POLICY_PATH);
    if (!mine) return [];
    const policy = await this.#policy(state);
    if (typeof policy !== "object") return [];
    for (const parent of parents) {
      const theirs = parent.snapshot.entries.get(POLICY_PATH);
      if (!theirs || theirs.oid === mine.oid) continue;
      const before = await this.#policy(parent);
      if (typeof before !== "object") continue;
      if (policy.version <= before.version) {
        return [{
          path: POLICY_PATH,
          ok: false,
          code: "ROLLED_BACK",
          reason:
            `its version ${policy.version} is not above version ${before.version} of ${
              parent.info.oid.slice(0, 12)
            }: a changed policy must have a higher version (an older policy signed again would undo a change)`,
        }];
      }
    }
    return [];
  }

  /**
   * Applies the policy's thresholds to a finished run: a config short of
   * its rule's threshold (PENDING_APPROVAL) passes, with a note, in a
   * commit that is not a tip (a later commit may approve it), and fails at
   * a tip, unless the tip allows it (a branch waiting for approval).
   *
   * @param reports The run's reports.
   * @param tips Where the run ends.
   * @returns The reports, settled.
   */
  async settlePending(
    reports: readonly CommitReport[],
    tips: readonly Tip[],
  ): Promise<CommitReport[]> {
    const strict = new Set<string>();
    for (const tip of tips) {
      if (tip.allowPending) continue;
      const info = await readCommit(this.#objects, tip.rev).catch(() =>
        undefined
      );
      if (info) strict.add(info.oid);
    }
    return reports.map((report) => {
      if (strict.has(report.commit)) return report;
      if (!report.results.some((r) => r.code === "PENDING_APPROVAL")) {
        return report;
      }
      const results = report.results.map((result) =>
        result.code === "PENDING_APPROVAL"
          ? {
            ...result,
            ok: true,
            note: `pending approval (${result.reason}); ` +
              "accepted here because this commit is not where the run ends",
          }
          : result
      );
      return { ...report, results, ok: results.every((r) => r.ok) };
    });
  }
}

// Whether a failure takes the place of what a path has so far (nothing, or
// another failure): the first one found, unless that one is only pending
// and this one is not.
function outranks(
  failure: VerifyResult,
  current: VerifyResult | undefined,
): boolean {
  return current === undefined ||
    (current.code === "PENDING_APPROVAL" &&
      failure.code !== "PENDING_APPROVAL");
}

// The files whose change must be approved by the list and policy before it.
const TRUST_FILES = [
  ALLOWED_SIGNERS_PATH,
  REPO_CONFIG_PATH,
  POLICY_PATH,
  REVOKED_KEYS_PATH,
];

// What a commit whose policy cannot be read asks of every path: a
// principal no group has, so that nothing is approved under it.
const UNREADABLE_POLICY: Policy = {
  version: 0,
  groups: new Map(),
  rules: [{ pattern: "**", groups: [], threshold: 1, line: 0 }],
  trust: { groups: [], threshold: 1 },
  text: "",
  source: POLICY_PATH,
};

/**
 * The signed trust files besides the list itself, each judged against the
 * parents by `#verifyTrustFileChange`.
 */
const SIGNED_TRUST_FILES = [
  REPO_CONFIG_PATH,
  POLICY_PATH,
  REVOKED_KEYS_PATH,
] as const;

// What to do instead of removing a signed trust file.
const REMOVAL_HINTS: Readonly<Record<string, string>> = {
  [REPO_CONFIG_PATH]:
    'leave it with no patterns ({"version": 1, "configs": []}) and sign that',
  [POLICY_PATH]:
    'keep it, and state the rule you want in it (today\'s rule is what "policy init" writes) with a higher "version"',
  [REVOKED_KEYS_PATH]:
    "keep it, remove only the lines you mean to (each a trust change), and sign that",
};

// The largest of the signed trust files.
const MAX_TRUST_FILE_BYTES = Math.max(MAX_CONFIG_BYTES, MAX_TRUST_BYTES);

// A trust list with more revoked keys (those it has, and `more`).
function withRevocations(
  trust: AllowedSigners | undefined,
  more: readonly RevokedKeyRef[] | undefined,
): AllowedSigners | undefined {
  if (!trust || !more || more.length === 0) return trust;
  const known = new Set((trust.revoked ?? []).map((ref) => ref.keyId));
  return {
    ...trust,
    revoked: [
      ...(trust.revoked ?? []),
      ...more.filter((ref) => !known.has(ref.keyId)),
    ],
  };
}

// A trust list whose retired keys count for nothing: a key retired in a
// parent approves no change made on top of it, neither by signing it nor by
// an approval (its old signatures still verify where they are).
function withoutRetired(
  trust: AllowedSigners | undefined,
): AllowedSigners | undefined {
  if (!trust?.retired || trust.retired.size === 0) return trust;
  const retired = trust.retired;
  return {
    ...trust,
    entries: trust.entries.filter((entry) => !retired.has(entry.keyId)),
    retired: new Set(),
  };
}

// Why a passing approval of a trust change does not count: its signer is
// retired in the parent, which trusts only its old signatures.
function retiredSigner(
  result: VerifyResult,
  before: AllowedSigners | undefined,
): string | undefined {
  const signer = result.signer;
  if (!signer || !before?.retired?.has(signer)) return undefined;
  return `its signer ${signer} is retired there, and a retired key approves no new change (RETIRED_KEY)`;
}

// The .gitattributes entries of a snapshot, as one string to compare.
function attributeFiles(snapshot: Snapshot): string {
  const files: string[] = [];
  for (const [path, entry] of snapshot.entries) {
    if (path === ".gitattributes" || path.endsWith("/.gitattributes")) {
      files.push(`${entry.mode} ${entry.oid} ${path}`);
    }
  }
  return files.sort().join("\n");
}

/** How a commit's version of a path relates to one parent's. */
type Side = "same" | "follows" | "kept" | { problem: string };

// Whether a commit has a trust list, readable or not.
function hasTrustList(state: CommitState): boolean {
  return state.trustOid !== undefined || state.trustUnreadable !== undefined;
}

// A version follows another when it links to its artifact and comes after it.
function follows(mine: Statement, theirs: Statement): boolean {
  return mine.previous.includes(theirs.artifact) &&
    mine.sequence > theirs.sequence;
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
