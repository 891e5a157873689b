/**
 * The signing steps that `sign` and the pre-commit hook share, in order:
 * discovery (which configs, read and validated: `discover_configs.ts`),
 * trust (is our key trusted now), plan (which statements stay, which new
 * versions follow which), signing (each signature verified before anything
 * is written), and writing (and staging) the store's changes
 * (`write_changes.ts`), all but discovery under the repository lock. Any
 * failure before the index is written leaves the store as it was.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  KEY_ENV,
  REVOKED_KEYS_PATH,
  SIGNATURE_NAMESPACE,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import type { ConfigSource } from "../source/config_source.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { git, GIT_PATHS, type Repository } from "../git/repository.ts";
import type { SigningKey } from "../keys/key_store.ts";
import {
  createSshSignature,
  parseSshSignature,
  verifySshSignature,
} from "../format/sshsig.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { loadFailure, loadStatement } from "../verify/load_signed.ts";
import {
  formatStatement,
  type ServerFileId,
  type Statement,
} from "../store/statement.ts";
import { readIndex, type StoreChanges, withLock } from "../store/store.ts";
import type { StoreReader } from "../source/store_reader.ts";
import {
  type AllowedSigners,
  findSigner,
  type TrustDecision,
} from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import {
  isPendingApproval,
  type VerifyResult,
} from "../verify/verify_codes.ts";
import { verifyConfig, type VerifyContext } from "../verify/verify_config.ts";
import { discoverConfigs, type Planned } from "./discover_configs.ts";
import {
  blockedMessage,
  blockedRules,
  blockingFindings,
  lintConfig,
} from "../configs/lint_config.ts";
import type { LintFinding } from "../configs/lint_rules.ts";
import { readPolicy } from "../trust/policy_store.ts";
import {
  followsAll,
  nextVersion,
  type ParentVersion,
  type ParentVersions,
} from "./parent_versions.ts";
import { writeChanges } from "./write_changes.ts";

/** What happened to one config. */
export interface SignResult {
  /** Repository-relative path. */
  path: string;
  /** `signed`: a new statement; `unchanged`: its current signature already verifies. */
  status: "signed" | "unchanged";
  /** The current statement id. */
  statementId: string;
  /** The artifact id (SHA-256 of the bytes). */
  artifact: string;
  /** The statement's sequence number. */
  sequence: number;
}

/** The outcome of a signing run. */
export interface SignReport {
  /** One entry per config, sorted by path. */
  results: SignResult[];
  /** Set when the signing key is not trusted by the repository (verify will fail). */
  untrusted?: string;
  /** The lint findings of the configs signed now (warnings: a blocking one, in any config, refuses). */
  lint: LintFinding[];
}

/** Options for {@linkcode signSource}. */
export interface SignSourceOptions {
  /** The key to sign with. */
  key: SigningKey;
  /** Signing time, truncated to whole seconds. */
  now: Date;
  /** Repository-relative paths; default: every config and the trust list. */
  paths?: readonly string[];
  /** Also stage the store's changes (pre-commit). */
  stage: boolean;
  /** The index file the commit is made from (pre-commit), to refuse a temporary one. */
  indexFile?: string;
  /** Refuse to sign with a key the source's trust list does not trust now. */
  requireTrust?: boolean;
  /** The versions the next commit's parents hold, which new ones follow. */
  parents: () => Promise<ParentVersions>;
  /** Start a trust list holding only a repository id when there is none. */
  createTrustList?: boolean;
  /**
   * Set while a merge, cherry-pick, revert or squash is being committed: the
   * staged content may come from someone else, so nothing new is signed on
   * the user's behalf; the named operation is reported instead.
   */
  refuseNewSignatures?: string;
  /**
   * Also sign anew what verifies only because its signer is retired
   * (`sign --resign`): configs signed by a key `keys rotate` replaced.
   */
  resign?: boolean;
  /**
   * Allow signing with a key the trust list retires: only the rotation
   * that retires it signs the new list so, approved by the key trusted
   * before it.
   */
  retiring?: boolean;
}

/**
 * Signs the configs of a source (a working tree, or the index a commit is
 * made from): every step below, under the repository lock.
 *
 * @param repo The working tree (where the store is written).
 * @param source Where configs and the store are read.
 * @param options Key, time, paths and what the caller allows.
 * @returns What was signed or left alone.
 * @throws {ToolError} As `signConfigs`; nothing is written then.
 *
 * @example
 * ```ts ignore
 * await signSource(repo, workingTreeSource(repo), options);
 * ```
 */
export async function signSource(
  repo: Repository,
  source: ConfigSource,
  options: SignSourceOptions,
): Promise<SignReport> {
  const planned = await discoverConfigs(repo, source, options);
  const lint = await lintPlanned(source, planned);
  const now = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  return await withLock(repo, async () => {
    const store = await readStore(source.reader, options, now);
    const plan = await planVersions(store, planned, options, now);
    refuseForeign(plan.foreign, options.refuseNewSignatures);
    const { changes, results } = await signPlan(plan.entries, store, options);
    await writeChanges(repo, source.reader, changes, {
      stage: options.stage,
      ...(options.indexFile !== undefined
        ? { indexFile: options.indexFile }
        : {}),
      signed: results.filter((r) => r.status === "signed").map((r) => r.path),
    });
    // Warnings for what is signed now: a config left as it was was warned
    // of when it was signed.
    const signed = new Set(
      results.filter((r) => r.status === "signed").map((r) => r.path),
    );
    const report: SignReport = {
      results,
      lint: lint.filter((finding) => signed.has(finding.path)),
    };
    if (store.mine.status !== "trusted" && store.mine.status !== "retired") {
      report.untrusted = untrustedWarning(options.key, store.mine);
    }
    return report;
  });
}

// Lints what is to be signed, and refuses it all when the source's policy
// blocks a rule one of them breaks: before the lock, so nothing is written.
async function lintPlanned(
  source: ConfigSource,
  planned: readonly Planned[],
): Promise<LintFinding[]> {
  // The policy's own problems are verify's to report: an unreadable policy
  // must not stop the signing of the change that repairs it.
  const policy = await readPolicy(source.reader).catch(() => undefined);
  const block = blockedRules(policy);
  const findings: LintFinding[] = [];
  for (const item of planned) {
    if (!item.kind) continue;
    findings.push(
      ...await lintConfig(item.path, item.bytes, { kind: item.kind, block }),
    );
  }
  const blocking = blockingFindings(findings);
  if (blocking.length > 0) {
    throw new ToolError(
      "INVALID_CONFIG",
      blockedMessage("Cannot sign", blocking),
    );
  }
  return findings;
}

/** The store as it is under the lock, and what its trust list says of our key. */
interface StoreState {
  reader: StoreReader;
  index: StoreIndex;
  trust: AllowedSigners | undefined;
  mine: TrustDecision;
}

// Trust: whether our key is trusted now decides whether re-signing can help.
async function readStore(
  reader: StoreReader,
  options: SignSourceOptions,
  now: Date,
): Promise<StoreState> {
  const index = await readIndex(reader);
  const trust = await readTrust(reader);
  const mine: TrustDecision = trust
    ? findSigner(trust, options.key.key.publicKey, {
      namespace: SIGNATURE_NAMESPACE,
      at: now,
    })
    : { status: "untrusted" };
  if (mine.status === "revoked") {
    throw new ToolError(
      "TRUST",
      `The signing key ${options.key.keyId} is revoked in this repository (line ${mine.line} of "${REVOKED_KEYS_PATH}"): ` +
        `it signs nothing here any more; sign with another key (--key or ${KEY_ENV})`,
    );
  }
  if (mine.status === "retired" && !options.retiring) {
    throw new ToolError(
      "TRUST",
      `The signing key ${options.key.keyId} is retired in "${ALLOWED_SIGNERS_PATH}" (replaced by "keys rotate"): ` +
        `what it signed before still counts, but it signs nothing new; sign with the key that replaced it`,
    );
  }
  if (
    options.requireTrust && mine.status !== "trusted" &&
    mine.status !== "retired"
  ) {
    throw new ToolError(
      "TRUST",
      untrustedWarning(options.key, mine, "refuse"),
    );
  }
  return { reader, index, trust, mine };
}

/** One config's fate: its statement stays, or a new one is to be signed. */
type PlanEntry =
  | { item: Planned; kept: Statement; id: string }
  | { item: Planned; statement: Statement; currentId: string | undefined };

// Plan: which statements stay, and the new versions (unsigned yet) of the
// others, each following what the next commit's parents hold.
async function planVersions(
  store: StoreState,
  planned: readonly Planned[],
  options: SignSourceOptions,
  now: Date,
): Promise<{ entries: PlanEntry[]; foreign: string[] }> {
  const parents = await options.parents();
  const { reader, index, trust } = store;
  const context = { reader, index, trust, now };
  const signer = options.key.keyId;
  const entries: PlanEntry[] = [];
  const foreign: string[] = [];
  for (const item of planned) {
    const currentId = index.get(item.path);
    const versions = await parents.of(item.path, { signer });
    const kept = currentId
      ? await keptStatement(
        context,
        item,
        currentId,
        versions,
        (result) =>
          isCurrent(result, options.key, store.mine) &&
          !(options.resign && result.signer !== undefined &&
            trust?.retired?.has(result.signer) &&
            result.signer !== options.key.keyId),
      )
      : undefined;
    if (kept) {
      entries.push({ item, kept, id: currentId! });
      continue;
    }
    if (options.refuseNewSignatures) {
      foreign.push(item.path);
      continue;
    }
    // A version 2 statement can also follow what HEAD's first parent
    // holds, so that "git commit --amend" of HEAD keeps the chain (not
    // while a merge is being completed: that is no amend).
    const amended = trust?.repository && parents.commits.length === 1
      ? await parents.ofAmended(item.path, { signer })
      : undefined;
    const statement = newStatement(
      item,
      amended ? [...versions, amended] : versions,
      { signer, signedAt: now, repository: trust?.repository },
    );
    entries.push({ item, statement, currentId });
  }
  return { entries, foreign };
}

function refuseForeign(
  foreign: readonly string[],
  operation: string | undefined,
): void {
  if (foreign.length === 0) return;
  throw new ToolError(
    "TRUST",
    `Commit refused: this ${operation} brings ${
      foreign.map((path) => `"${path}"`).join(", ")
    } without a valid signature, and the hook does not sign someone else's changes for you. ` +
      `Review them, then sign them yourself: ${TOOL_NAME} sign ${
        foreign.map((path) => `"${path}"`).join(" ")
      } && git add ${STORE_DIR}, and commit again`,
  );
}

// Sign: each new statement, verified before anything is written; the
// changes to the store, and one result per config in the planned order.
async function signPlan(
  entries: readonly PlanEntry[],
  store: StoreState,
  options: SignSourceOptions,
): Promise<{ changes: StoreChanges; results: SignResult[] }> {
  const changes: StoreChanges = {
    artifacts: new Map(),
    statements: new Map(),
    index: new Map(store.index),
    obsoleteStatements: [],
    obsoleteArtifacts: [],
  };
  const results: SignResult[] = [];
  for (const entry of entries) {
    const { item } = entry;
    if ("kept" in entry) {
      results.push(resultOf(item.path, "unchanged", entry.id, entry.kept));
      continue;
    }
    const signed = await signStatement(entry.statement, options.key);
    changes.artifacts.set(item.artifact, item.bytes);
    changes.statements.set(signed.id, signed);
    changes.index.set(item.path, signed.id);
    if (entry.currentId && entry.currentId !== signed.id) {
      changes.obsoleteStatements.push(entry.currentId);
    }
    results.push(resultOf(item.path, "signed", signed.id, entry.statement));
  }
  return { changes, results };
}

async function keptStatement(
  context: VerifyContext,
  item: Planned,
  id: string,
  versions: readonly ParentVersion[],
  current: (result: VerifyResult) => boolean,
): Promise<Statement | undefined> {
  // The index's statement stays when it verifies (or re-signing could not
  // help) and already follows what the next commit's parents hold; one that
  // does not (an old version brought back by hand, a version signed twice
  // before a commit) is replaced by a new one that does.
  if (!current(await verifyConfig(context, item.path, item.bytes))) {
    return undefined;
  }
  const stored = await loadStatement(context.reader, id).catch((error) => {
    throw loadFailure(error, `Cannot sign "${item.path}"`);
  });
  if (!stored) return undefined;
  // A statement that names other server files than the config runs now
  // (one from before version 3, or a rule that changed) is signed again.
  return followsAll(id, stored.statement, versions) &&
      sameFiles(stored.statement.files ?? [], item.files)
    ? stored.statement
    : undefined;
}

function sameFiles(
  a: readonly ServerFileId[],
  b: readonly ServerFileId[],
): boolean {
  return a.length === b.length &&
    a.every((file, i) =>
      file.path === b[i]!.path && file.sha256 === b[i]!.sha256
    );
}

function newStatement(
  item: Planned,
  versions: readonly ParentVersion[],
  by: { signer: string; signedAt: Date; repository: string | undefined },
): Statement {
  const next = nextVersion(item.path, versions);
  if (by.repository === undefined && next.previous.length > 1) {
    throw new ToolError(
      "TRUST",
      `Cannot sign "${item.path}": it changed on both sides of this merge, and a statement that follows both ` +
        `needs a repository id, which "${ALLOWED_SIGNERS_PATH}" does not have yet; a trusted signer adds one with ` +
        `"${TOOL_NAME} init" (then commits it)`,
    );
  }
  if (by.repository === undefined && item.files.length > 0) {
    throw new ToolError(
      "TRUST",
      `Cannot sign "${item.path}": its servers run repository files, and a statement that names them ` +
        `needs a repository id, which "${ALLOWED_SIGNERS_PATH}" does not have yet; a trusted signer adds one with ` +
        `"${TOOL_NAME} init" (then commits it)`,
    );
  }
  return {
    version: by.repository === undefined ? 1 : item.files.length > 0 ? 3 : 2,
    repository: by.repository ?? null,
    path: item.path,
    artifact: item.artifact,
    size: item.bytes.length,
    ...(item.files.length > 0 ? { files: item.files } : {}),
    signer: by.signer,
    signedAt: by.signedAt,
    sequence: next.sequence,
    previous: next.previous,
  };
}

async function signStatement(
  statement: Statement,
  key: SigningKey,
): Promise<{ id: string; bytes: Uint8Array; signature: string }> {
  const bytes = formatStatement(statement);
  const signature = await createSshSignature(bytes, key.key, {
    namespace: SIGNATURE_NAMESPACE,
  });
  // Verify our own signature before anything is written, as minisign does.
  const parsed = parseSshSignature(
    signature,
    `new signature for "${statement.path}"`,
  );
  if (!await verifySshSignature(parsed, bytes, SIGNATURE_NAMESPACE)) {
    throw new ToolError(
      "INVALID_KEY",
      `The signature just made for "${statement.path}" does not verify; nothing was written`,
    );
  }
  return { id: await sha256Hex(bytes), bytes, signature };
}

function isCurrent(
  result: VerifyResult,
  key: SigningKey,
  mine: TrustDecision,
): boolean {
  // Re-signing cannot improve a statement that verifies, nor one whose only
  // fault is our own key, when that key is not trusted now either: the new
  // statement would fail the same way. (A key valid now but not at the old
  // signing time does help, so that case is re-signed.)
  // Nor one that waits only for approvals: a new statement would wait for
  // the same approvals, and drop those it has.
  if (result.ok || isPendingApproval(result)) return true;
  const keyProblem = result.code === "UNTRUSTED_SIGNER" ||
    result.code === "EXPIRED_KEY" || result.code === "REVOKED_KEY";
  return keyProblem && result.signer === key.keyId && mine.status !== "trusted";
}

function untrustedWarning(
  key: SigningKey,
  mine: TrustDecision,
  mode: "warn" | "refuse" = "warn",
): string {
  // "signing.key" pairs with "signing.pub"; ssh-keygen's "id_ed25519" with
  // "id_ed25519.pub". Never name the private key in a command to share.
  const pub = /\.key$/.test(key.path)
    ? key.path.replace(/\.key$/, ".pub")
    : `${key.path}.pub`;
  const lead = mode === "refuse" ? "Commit refused: the" : "The";
  if (mine.status === "expired") {
    return `${lead} signing key ${key.keyId} is in "${ALLOWED_SIGNERS_PATH}" but not valid now (${mine.reason}); ` +
      `sign with a currently valid key (--key or ${"MCP_ORCHESTRATION_KEY"}), or have a trusted signer renew its entry`;
  }
  return mode === "refuse"
    ? `${lead} signing key ${key.keyId} is not trusted by this repository. A trusted signer adds it with: ` +
      `${TOOL_NAME} trust add "${pub}" --principal YOUR-NAME (then commits that change); ` +
      `or sign with a trusted key: --key PATH or MCP_ORCHESTRATION_KEY`
    : `${lead} signing key ${key.keyId} is not trusted by this repository, so "verify" will report ` +
      `UNTRUSTED_SIGNER until it is added: ${TOOL_NAME} trust add "${pub}" --principal YOUR-NAME`;
}

function resultOf(
  path: string,
  status: SignResult["status"],
  statementId: string,
  statement: Statement,
): SignResult {
  return {
    path,
    status,
    statementId,
    artifact: statement.artifact,
    sequence: statement.sequence,
  };
}

/**
 * Asks git where the files that tell its state are ({@linkcode GIT_PATHS}),
 * when the repository did not come with them.
 *
 * @param repo The working tree.
 * @returns Name → absolute path.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * const paths = repo.gitPaths ?? await askGitPaths(repo);
 * ```
 */
export async function askGitPaths(
  repo: Repository,
): Promise<Record<string, string>> {
  const out = new TextDecoder().decode(
    await git(repo, [
      "rev-parse",
      "--path-format=absolute",
      ...GIT_PATHS.flatMap((name) => ["--git-path", name]),
    ]),
  ).split("\n");
  return Object.fromEntries(GIT_PATHS.map((name, i) => [name, out[i] ?? ""]));
}
