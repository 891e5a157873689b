/**
 * The signing steps that `sign` and the pre-commit hook share, in order:
 * discovery (which configs, read and validated), trust (is our key trusted
 * now), plan (which statements stay, which new versions follow which),
 * signing (each signature verified before anything is written), and
 * writing (and staging) the store's changes under the repository lock.
 * Any failure before the index is written leaves the store as it was.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  INDEX_PATH,
  MAX_TRUST_BYTES,
  SIGNATURE_NAMESPACE,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import type { ConfigSource } from "../configs/config_source.ts";
import {
  type ConfigTarget,
  findConfigs,
  readConfigBytes,
} from "../configs/find_configs.ts";
import { validateConfig } from "../configs/validate_config.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { git, GIT_PATHS, type Repository } from "../git/repository.ts";
import type { SigningKey } from "../keys/key_store.ts";
import {
  createSshSignature,
  parseSshSignature,
  verifySshSignature,
} from "../signature/sshsig.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { loadFailure, loadStatement } from "../store/load_signed.ts";
import { formatStatement, type Statement } from "../store/statement.ts";
import {
  applyChanges,
  artifactPath,
  readIndex,
  signaturePath,
  statementPath,
  type StoreChanges,
  type StoreReader,
  withLock,
} from "../store/store.ts";
import {
  type AllowedSigners,
  findSigner,
  type TrustDecision,
} from "../trust/allowed_signers.ts";
import { ensureRepositoryId, readTrust } from "../trust/trust_store.ts";
import type { VerifyResult } from "../verify/verify_codes.ts";
import { verifyConfig, type VerifyContext } from "../verify/verify_config.ts";
import {
  attributeFailures,
  readAttributes,
} from "../verify/verify_attributes.ts";
import {
  followsAll,
  nextVersion,
  type ParentVersion,
  type ParentVersions,
} from "./parent_versions.ts";

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
}

interface Planned {
  path: string;
  bytes: Uint8Array;
  artifact: string;
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
  const planned = await discover(repo, source, options);
  const now = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  return await withLock(repo, async () => {
    const store = await readStore(source.reader, options, now);
    const plan = await planVersions(store, planned, options, now);
    refuseForeign(plan.foreign, options.refuseNewSignatures);
    const { changes, results } = await signPlan(plan.entries, store, options);
    await writeChanges(repo, source.reader, changes, results, options);
    const report: SignReport = { results };
    if (store.mine.status !== "trusted") {
      report.untrusted = untrustedWarning(options.key, store.mine);
    }
    return report;
  });
}

// Discovery: the configs to sign, read and validated, and the trust list.
async function discover(
  repo: Repository,
  source: ConfigSource,
  options: SignSourceOptions,
): Promise<Planned[]> {
  const kinds = await source.kinds();
  const named = options.paths?.filter((path) => path !== ALLOWED_SIGNERS_PATH);
  const targets = named?.length === 0 ? [] : await findConfigs(source, {
    kinds,
    ...(named ? { paths: named } : {}),
  });
  // Signing before anyone is trusted still binds what is signed to this
  // repository: the trust list starts as its id alone.
  if (options.createTrustList && targets.length > 0) {
    await ensureRepositoryId(repo, { create: true });
  }
  const signTrust = !options.paths ||
    options.paths.includes(ALLOWED_SIGNERS_PATH);
  const planned = await readAndValidate(source, targets, signTrust);
  await refuseUnsafeAttributes(source, planned.map((item) => item.path));
  return planned;
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
  if (options.requireTrust && mine.status !== "trusted") {
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
        (result) => isCurrent(result, options.key, store.mine),
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

// Write: the store's files, then the index; staged too for pre-commit.
async function writeChanges(
  repo: Repository,
  reader: StoreReader,
  changes: StoreChanges,
  results: readonly SignResult[],
  options: SignSourceOptions,
): Promise<void> {
  await pruneStillReferenced(reader, changes);
  if (changes.statements.size === 0) return;
  if (options.stage) refuseTemporaryIndex(options.indexFile, results);
  await applyChanges(repo, changes);
  if (options.stage) await stageChanges(repo, changes);
}

async function refuseUnsafeAttributes(
  source: ConfigSource,
  paths: readonly string[],
): Promise<void> {
  // A signature covers the bytes Git stores; if Git checked out other bytes
  // (ident, a filter, an eol or encoding conversion), a client would read
  // something nobody signed.
  if (!source.attributes || paths.length === 0) return;
  const listing = (await source.list()).map((entry) => entry.path);
  const failures = attributeFailures(
    await readAttributes(source.attributes, listing, paths),
    listing,
  );
  if (failures.length === 0) return;
  throw new ToolError(
    "INVALID_CONFIG",
    `Cannot sign: ${failures.map((failure) => failure.reason).join("; ")}`,
  );
}

async function readAndValidate(
  source: ConfigSource,
  targets: ConfigTarget[],
  signTrust: boolean,
): Promise<Planned[]> {
  const planned: Planned[] = [];
  const problems: string[] = [];
  let firstError: ToolError | undefined;
  for (const target of targets) {
    try {
      if (target.hidden) {
        throw new ToolError(
          "BAD_PATH",
          `Cannot sign "${target.path}": ${target.hidden.reason}`,
        );
      }
      const bytes = await readConfigBytes(source, target.path);
      if (!bytes) {
        if (target.named) {
          throw new ToolError(
            "BAD_PATH",
            `Cannot sign "${target.path}": no such file in the ${source.label}`,
          );
        }
        continue;
      }
      await validateConfig(target.path, bytes, target.kind);
      planned.push({
        path: target.path,
        bytes,
        artifact: await sha256Hex(bytes),
      });
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      firstError ??= error;
      problems.push(error.message);
    }
  }
  // The trust list is signed like a config, so that a change to it can be
  // checked against the keys trusted before the change.
  const trustList = signTrust && !firstError
    ? await readTrustList(source)
    : undefined;
  if (trustList) planned.push(trustList);
  // Report every bad file at once, but keep the first error's code.
  if (firstError) {
    throw new ToolError(firstError.code, problems.join("\n"), {
      cause: firstError,
    });
  }
  return planned;
}

async function readTrustList(
  source: ConfigSource,
): Promise<Planned | undefined> {
  const bytes = await source.reader.read(ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES);
  if (!bytes) return undefined;
  await readTrust({ read: () => Promise.resolve(bytes) }); // It must parse.
  return {
    path: ALLOWED_SIGNERS_PATH,
    bytes,
    artifact: await sha256Hex(bytes),
  };
}

async function stageChanges(
  repo: Repository,
  changes: StoreChanges,
): Promise<void> {
  // Stage exactly the store's files (as just written), nothing else the user
  // has in the working tree; removed ones leave the index too.
  const added = [
    INDEX_PATH,
    ...[...changes.artifacts.keys()].map(artifactPath),
    ...[...changes.statements.keys()].flatMap((
      id,
    ) => [statementPath(id), signaturePath(id)]),
  ];
  const removed = [
    ...changes.obsoleteStatements.flatMap((
      id,
    ) => [statementPath(id), signaturePath(id)]),
    ...changes.obsoleteArtifacts.map(artifactPath),
  ];
  // One git process: update-index applies each option to the paths after
  // it. Every path is under the store folder, so none can pass for an
  // option.
  await git(repo, [
    "update-index",
    "--add",
    ...added,
    ...(removed.length > 0 ? ["--force-remove", ...removed] : []),
  ]);
}

function refuseTemporaryIndex(
  indexFile: string | undefined,
  results: readonly SignResult[],
): void {
  // "git commit PATHS" commits from a temporary index ("next-index-*.lock")
  // and then updates the real index with PATHS only: signatures staged here
  // would be in the commit but not in the real index, and the next commit
  // would quietly revert them.
  if (!/(^|[\\/])next-index-[^\\/]*\.lock$/.test(indexFile ?? "")) return;
  const signed = results.filter((result) => result.status === "signed")
    .map((result) => `"${result.path}"`).join(", ");
  throw new ToolError(
    "HOOKS",
    `Commit refused: "git commit PATHS" commits from a temporary index, so the new signatures of ${signed} ` +
      `would not reach your index; stage the files with "git add" and run "git commit" without paths ` +
      `(or "git commit -i PATHS")`,
  );
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
  return followsAll(id, stored.statement, versions)
    ? stored.statement
    : undefined;
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
  return {
    version: by.repository === undefined ? 1 : 2,
    repository: by.repository ?? null,
    path: item.path,
    artifact: item.artifact,
    size: item.bytes.length,
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

async function pruneStillReferenced(
  reader: StoreReader,
  changes: StoreChanges,
): Promise<void> {
  // An artifact may be shared by several paths with identical bytes: keep
  // every artifact that a statement in the new index still names.
  if (
    changes.obsoleteArtifacts.length === 0 &&
    changes.obsoleteStatements.length === 0
  ) return;
  // Each new statement's artifact is among the new artifacts.
  const referenced = new Set<string>(changes.artifacts.keys());
  for (const id of changes.index.values()) {
    if (changes.statements.has(id)) continue;
    // An unreadable statement cannot keep anything alive.
    const artifact = await artifactNamedBy(reader, id);
    if (artifact) referenced.add(artifact);
  }
  // A statement that goes takes its artifact along (for a dropped config it
  // was the last reference), unless a statement in the new index names it.
  for (const id of changes.obsoleteStatements) {
    // An unreadable statement names no artifact we could trust.
    const artifact = await artifactNamedBy(reader, id);
    if (artifact) changes.obsoleteArtifacts.push(artifact);
  }
  changes.obsoleteArtifacts = [...new Set(changes.obsoleteArtifacts)].filter((
    id,
  ) => !referenced.has(id));
  const live = new Set(changes.index.values());
  changes.obsoleteStatements = [...new Set(changes.obsoleteStatements)].filter((
    id,
  ) => !live.has(id));
}

async function artifactNamedBy(
  reader: StoreReader,
  id: string,
): Promise<string | undefined> {
  const loaded = await loadStatement(reader, id).catch(() => undefined);
  return loaded?.statement.artifact;
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
  if (result.ok) return true;
  const keyProblem = result.code === "UNTRUSTED_SIGNER" ||
    result.code === "EXPIRED_KEY";
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
