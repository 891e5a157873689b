/**
 * Signs MCP configs in a working tree: validate every file, build and sign a
 * statement for each changed one, verify each signature we made, and only
 * then write artifacts, statements and the index, under the repository lock.
 * Any failure before the index is written leaves the store as it was.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  INDEX_PATH,
  MAX_TRUST_BYTES,
  REPO_CONFIG_PATH,
  SIGNATURE_NAMESPACE,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import {
  type ConfigKind,
  findConfigKind,
  mayBeConfigName,
} from "../configs/config_kinds.ts";
import { join } from "node:path";
import {
  type ConfigSource,
  snapshotSource,
  workingTreeSource,
} from "../configs/config_source.ts";
import {
  type ConfigTarget,
  findConfigs,
  hiddenConfigs,
  readConfigBytes,
} from "../configs/find_configs.ts";
import { mayConcernPreCommit } from "../configs/pre_commit_filter.ts";
import { validateConfig } from "../configs/validate_config.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { fileSystem } from "../fs/file_system.ts";
import { GitObjects } from "../git/cat_file.ts";
import { findAttributeFileLookalikes } from "../git/checkout_attributes.ts";
import {
  git,
  GIT_PATHS,
  OPERATION_MARKERS,
  type Repository,
  toRepoPath,
} from "../git/repository.ts";
import { indexSnapshot } from "../git/snapshot.ts";
import type { SigningKey } from "../keys/key_store.ts";
import {
  createSshSignature,
  parseSshSignature,
  verifySshSignature,
} from "../signature/sshsig.ts";
import {
  formatStatement,
  parseStatement,
  type Statement,
} from "../store/statement.ts";
import {
  applyChanges,
  artifactPath,
  readIndex,
  readStatement,
  signaturePath,
  statementPath,
  type StoreChanges,
  type StoreReader,
  withLock,
} from "../store/store.ts";
import { findSigner, type TrustDecision } from "../trust/allowed_signers.ts";
import { ensureRepositoryId, readTrust } from "../trust/trust_store.ts";
import type { VerifyResult } from "../verify/verify_codes.ts";
import { verifyConfig, type VerifyContext } from "../verify/verify_config.ts";
import { verifySource } from "../verify/verify_repository.ts";
import {
  attributeFailures,
  readAttributes,
} from "../verify/verify_attributes.ts";
import {
  followsAll,
  nextVersion,
  type ParentVersion,
  ParentVersions,
} from "./parent_versions.ts";

/** Options for {@linkcode signConfigs}. */
export interface SignOptions {
  /** The key to sign with. */
  key: SigningKey;
  /** Folder that relative `paths` start from. */
  cwd: string;
  /** Configs to sign; default: every recognised config in the working tree. */
  paths?: readonly string[];
  /** Signing time (default: now), truncated to whole seconds. */
  now?: Date;
}

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

/**
 * Signs the named configs, or every recognised config in the working tree.
 *
 * @param repo The working tree.
 * @param options Key, paths, working folder and time.
 * @returns What was signed or left alone.
 * @throws {ToolError} `INVALID_CONFIG` (file, line, reason) for a config that
 * does not validate, `BAD_PATH`, `LOCKED`, `INVALID_FORMAT` for a damaged
 * store; nothing is written then.
 *
 * @example
 * ```ts ignore
 * const report = await signConfigs(repo, { key: await loadSigningKey(), cwd: Deno.cwd() });
 * ```
 */
export async function signConfigs(
  repo: Repository,
  options: SignOptions,
): Promise<SignReport> {
  const paths: string[] = [];
  for (const path of options.paths ?? []) {
    paths.push(await toRepoPath(repo, options.cwd, path));
  }
  const objects = GitObjects.open(repo);
  try {
    return await signSource(repo, workingTreeSource(repo), {
      key: options.key,
      now: options.now ?? new Date(),
      ...(paths.length > 0 ? { paths } : {}),
      stage: false,
      createTrustList: true,
      parents: async () => ParentVersions.read(objects, await mergeHeads(repo)),
    });
  } finally {
    await objects.close();
  }
}

/**
 * Signs what the next commit will contain (the pre-commit hook): the staged
 * blobs of the configs and trust list that the commit changes, not the
 * working-tree files, so partial staging and line-ending conversion sign
 * exactly what Git stores. The new store files are written to the working
 * tree and staged into the same commit.
 *
 * @param repo The working tree.
 * @param options Key and time.
 * @returns What was signed; empty when the commit touches no config.
 * @throws {ToolError} As {@linkcode signConfigs}; nothing is written or staged then.
 *
 * @example
 * ```ts ignore
 * await signStaged(repo, { key: await loadSigningKey() });
 * ```
 */
export async function signStaged(
  repo: Repository,
  options: { key: () => Promise<SigningKey>; now?: Date },
): Promise<SignReport> {
  // The staged changes, the index listing and the object reader are asked
  // of git at once: the hook's stub starts the tool only when something
  // staged may concern it, so all three are nearly always needed.
  const objects = GitObjects.open(repo);
  const listing = indexSnapshot(repo, objects);
  listing.catch(() => {}); // Awaited below, or not needed.
  try {
    const changed = (await stagedChanges(repo)).filter((change) =>
      change.mode !== "000000"
    );
    // With repository patterns in config.json, any path may be a config.
    const anyPathMayBeConfig = changed.length > 0 &&
      fileSystem.existsSync(join(repo.root, REPO_CONFIG_PATH));
    if (!anyPathMayBeConfig && !changed.some(mayConcernPreCommit)) {
      return { results: [] };
    }
    const snapshot = await listing;
    const source = snapshotSource(snapshot, objects, "index", {
      repo,
      source: { kind: "index" },
    });
    const kinds = await source.kinds();
    const paths = changed.map(({ path }) => path).filter((path) =>
      path === ALLOWED_SIGNERS_PATH || findConfigKind(path, kinds)
    );
    await refuseHiddenConfigs(source, changed, kinds);
    // The hook signs only what the commit changes. Every other config in
    // it must verify as it is: re-signing it would put the committer's
    // name on whatever someone else left there (an unsigned config
    // committed past the hooks, a store changed by hand or by a merge).
    const storeChanged = changed.some(({ path }) =>
      path.startsWith(`${STORE_DIR}/`)
    );
    // A .gitattributes (or look-alike) can change what Git checks out for
    // any config: then every config is checked, although none is signed.
    const attributesChanged = changed.some(({ path }) =>
      isAttributeFileName(path)
    );
    if (paths.length === 0 && !storeChanged && !attributesChanged) {
      return { results: [] };
    }
    const now = options.now ?? new Date();
    let parents: Promise<ParentVersions> | undefined;
    const readParents = () => parents ??= ParentVersions.read(objects);
    const staging = await stagingState(repo);
    await refuseUnrelatedFailures(source, paths, readParents, {
      now,
      ...(staging.refuseNewSignatures
        ? { operation: staging.refuseNewSignatures }
        : {}),
    });
    if (paths.length === 0) return { results: [] };
    // The key is loaded only now: a commit that signs nothing needs none.
    const key = await options.key();
    if (paths.includes(ALLOWED_SIGNERS_PATH)) {
      await requireTrustedBefore(objects, key, now);
    }
    return await signSource(repo, source, {
      key,
      requireTrust: true,
      ...staging,
      now,
      paths,
      stage: true,
      parents: readParents,
    });
  } finally {
    await objects.close();
  }
}

async function refuseUnrelatedFailures(
  source: ConfigSource,
  changed: readonly string[],
  parents: () => Promise<ParentVersions>,
  options: { now: Date; operation?: string },
): Promise<void> {
  const problems: string[] = [];
  for (const result of await verifySource(source, { now: options.now })) {
    // A changed config is signed below; its attributes count already.
    if (changed.includes(result.path) && result.code !== "UNSAFE_ATTRIBUTES") {
      continue;
    }
    if (!result.ok) {
      problems.push(`"${result.path}" (${result.code}: ${result.reason})`);
      continue;
    }
    // Verifying is not enough: its statement must still be HEAD's, or a
    // version that follows it (not an older one staged by hand). A config
    // the commit leaves alone under HEAD's own line is HEAD's version.
    const known = await parents();
    if (known.allName(result.path, result.statementId!)) continue;
    const versions = await known.of(result.path);
    const stored = await readStatement(source.reader, result.statementId!);
    const statement = parseStatement(stored!.bytes, result.statementId!);
    if (!followsAll(result.statementId!, statement, versions)) {
      problems.push(
        `"${result.path}" (its statement does not follow the version in HEAD)`,
      );
    }
  }
  if (problems.length === 0) return;
  const paths = problems.map((problem) =>
    problem.slice(0, problem.indexOf(" ("))
  );
  const sign = `${TOOL_NAME} sign ${
    paths.join(" ")
  } && git add ${STORE_DIR}, and commit again`;
  throw new ToolError(
    "TRUST",
    options.operation
      ? `Commit refused: this ${options.operation} brings ${
        paths.join(", ")
      } without a valid signature (${
        problems.join("; ")
      }), and the hook does not sign someone else's changes for you. ` +
        `Review them, then sign them yourself: ${sign}`
      : `Commit refused: configs this commit does not change fail verification: ${
        problems.join("; ")
      }. The hook signs only the configs a commit changes, never someone else's; ` +
        `review them, then sign them yourself: ${sign}`,
  );
}

async function mergeHeads(repo: Repository): Promise<string[]> {
  // While a merge is being completed, its other parents are in MERGE_HEAD:
  // a version signed then must follow each side's.
  const paths = repo.gitPaths ?? await askGitPaths(repo);
  const file = paths["MERGE_HEAD"];
  if (!file || !fileSystem.existsSync(file)) return [];
  const text = await fileSystem.readFile(file, "utf8");
  return text.split("\n").filter((line) => /^[0-9a-f]{40,64}$/.test(line));
}

// A commit that adds or changes a link or submodule hiding a config (or the
// file a link makes a client read as one) is refused, as verify would fail
// it: the same reports, for what this commit touches.
async function refuseHiddenConfigs(
  source: ConfigSource,
  changed: readonly StagedChange[],
  kinds: readonly ConfigKind[],
): Promise<void> {
  const mayHide = changed.some(({ path, mode }) =>
    mode === "120000" || mode === "160000" ||
    mayBeConfigName(fileName(path), kinds)
  );
  if (!mayHide) return;
  const touched = new Set(changed.map(({ path }) => path));
  const entries = await source.list();
  const found = (await hiddenConfigs(source, { entries, kinds })).filter((h) =>
    touched.has(h.via) || (h.source !== undefined && touched.has(h.source))
  );
  if (found.length === 0) return;
  throw new ToolError(
    "BAD_PATH",
    found.map((h) => `Cannot commit "${h.via}": ${h.reason}`).join("\n"),
  );
}

// What pre-commit needs to know of Git's state: whether Git is completing an
// operation that brings in other people's commits (it leaves these files
// meanwhile; a plain commit has none of them), and which index file this
// commit is made from. The paths usually came with the repository.
async function stagingState(
  repo: Repository,
): Promise<{ refuseNewSignatures?: string; indexFile: string }> {
  const paths = repo.gitPaths ?? await askGitPaths(repo);
  const indexFile = paths["index"] ?? "";
  for (const [name, operation] of Object.entries(OPERATION_MARKERS)) {
    const path = paths[name];
    if (path && fileSystem.existsSync(path)) {
      return { refuseNewSignatures: operation, indexFile };
    }
  }
  return { indexFile };
}

async function askGitPaths(repo: Repository): Promise<Record<string, string>> {
  const out = new TextDecoder().decode(
    await git(repo, [
      "rev-parse",
      "--path-format=absolute",
      ...GIT_PATHS.flatMap((name) => ["--git-path", name]),
    ]),
  ).split("\n");
  return Object.fromEntries(GIT_PATHS.map((name, i) => [name, out[i] ?? ""]));
}

async function requireTrustedBefore(
  objects: GitObjects,
  key: SigningKey,
  now: Date,
): Promise<void> {
  // A change to the trust list counts only when signed by a key trusted
  // before it (history verification applies the same rule), so the staged
  // list, which may already name the new key, cannot vouch for it.
  const head = await objects.read(
    `HEAD:${ALLOWED_SIGNERS_PATH}`,
    MAX_TRUST_BYTES,
  ).catch(() => undefined);
  if (!head) return; // The first trust list is the root of trust.
  const before = await readTrust({ read: () => Promise.resolve(head.bytes) });
  const decision = before
    ? findSigner(before, key.key.publicKey, {
      namespace: SIGNATURE_NAMESPACE,
      at: now,
    })
    : undefined;
  if (decision?.status !== "trusted") {
    throw new ToolError(
      "TRUST",
      `Commit refused: "${ALLOWED_SIGNERS_PATH}" changes, and such a change must be signed by a key trusted before it; ` +
        `${key.keyId} is not trusted in HEAD's list. Ask a trusted signer to make this change`,
    );
  }
}

/** A path a commit changes, with its new mode (`000000` when deleted). */
export interface StagedChange {
  /** Repository-relative path. */
  path: string;
  /** Git's file mode after the commit. */
  mode: string;
}

/**
 * The paths a commit would change: staged against HEAD (everything staged
 * before the first commit), renames split into a deletion and an addition.
 *
 * @param repo The working tree.
 * @returns Paths with their new modes.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * const changed = await stagedChanges(repo);
 * ```
 */
export async function stagedChanges(repo: Repository): Promise<StagedChange[]> {
  // "--raw -z": ":<old mode> <new mode> <old id> <new id> <status>\0<path>\0"
  const out = await git(repo, [
    "diff",
    "--cached",
    "--raw",
    "--no-renames",
    "--no-abbrev",
    "-z",
  ]);
  const fields = new TextDecoder().decode(out).split("\0");
  const changes: StagedChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const mode = fields[i]?.split(" ")[1];
    const path = fields[i + 1];
    if (mode && path) changes.push({ path, mode });
  }
  return changes;
}

function fileName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function isAttributeFileName(path: string): boolean {
  return path === ".gitattributes" || path.endsWith("/.gitattributes") ||
    findAttributeFileLookalikes([path]).length > 0;
}

interface SignSourceOptions {
  key: SigningKey;
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

async function signSource(
  repo: Repository,
  source: ConfigSource,
  options: SignSourceOptions,
): Promise<SignReport> {
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
  const now = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  return await withLock(repo, async () => {
    const reader = source.reader;
    const index = await readIndex(reader);
    const trust = await readTrust(reader);
    // Whether our key is trusted now decides whether re-signing can help.
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
    const parents = await options.parents();
    const context = { reader, index, trust, now };
    const changes: StoreChanges = {
      artifacts: new Map(),
      statements: new Map(),
      index: new Map(index),
      obsoleteStatements: [],
      obsoleteArtifacts: [],
    };
    const results: SignResult[] = [];
    const unsignedForeign: string[] = [];
    for (const item of planned) {
      const currentId = index.get(item.path);
      const versions = await parents.of(item.path, {
        signer: options.key.keyId,
      });
      const current = currentId
        ? await keptStatement(
          context,
          item,
          currentId,
          versions,
          (result) => isCurrent(result, options.key, mine),
        )
        : undefined;
      if (current) {
        results.push(resultOf(item.path, "unchanged", currentId!, current));
        continue;
      }
      if (options.refuseNewSignatures) {
        unsignedForeign.push(item.path);
        continue;
      }
      // A version 2 statement can also follow what HEAD's first parent
      // holds, so that "git commit --amend" of HEAD keeps the chain (not
      // while a merge is being completed: that is no amend).
      const amended = trust?.repository && parents.commits.length === 1
        ? await parents.ofAmended(item.path, { signer: options.key.keyId })
        : undefined;
      const statement = newStatement(
        item,
        amended ? [...versions, amended] : versions,
        {
          signer: options.key.keyId,
          signedAt: now,
          repository: trust?.repository,
        },
      );
      const signed = await signStatement(statement, options.key);
      changes.artifacts.set(item.artifact, item.bytes);
      changes.statements.set(signed.id, signed);
      changes.index.set(item.path, signed.id);
      if (currentId && currentId !== signed.id) {
        changes.obsoleteStatements.push(currentId);
      }
      results.push(resultOf(item.path, "signed", signed.id, statement));
    }
    if (unsignedForeign.length > 0) {
      throw new ToolError(
        "TRUST",
        `Commit refused: this ${options.refuseNewSignatures} brings ${
          unsignedForeign.map((path) => `"${path}"`).join(", ")
        } without a valid signature, and the hook does not sign someone else's changes for you. ` +
          `Review them, then sign them yourself: ${TOOL_NAME} sign ${
            unsignedForeign.map((path) => `"${path}"`).join(" ")
          } && git add ${STORE_DIR}, and commit again`,
      );
    }
    await pruneStillReferenced(reader, changes);
    if (changes.statements.size > 0) {
      if (options.stage) refuseTemporaryIndex(options.indexFile, results);
      await applyChanges(repo, changes);
      if (options.stage) await stageChanges(repo, changes);
    }
    const report: SignReport = { results };
    if (mine.status !== "trusted") {
      report.untrusted = untrustedWarning(options.key, mine);
    }
    return report;
  });
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
  if (signTrust && !firstError) {
    const bytes = await source.reader.read(
      ALLOWED_SIGNERS_PATH,
      MAX_TRUST_BYTES,
    );
    if (bytes) {
      await readTrust({ read: () => Promise.resolve(bytes) });
      planned.push({
        path: ALLOWED_SIGNERS_PATH,
        bytes,
        artifact: await sha256Hex(bytes),
      });
    }
  }
  // Report every bad file at once, but keep the first error's code.
  if (firstError) {
    throw new ToolError(firstError.code, problems.join("\n"), {
      cause: firstError,
    });
  }
  return planned;
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
  const stored = await readStatement(context.reader, id).catch(() => undefined);
  if (!stored) return undefined;
  const statement = parseStatement(stored.bytes, id);
  return followsAll(id, statement, versions) ? statement : undefined;
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
  const referenced = new Set<string>();
  for (const id of changes.index.values()) {
    const fresh = changes.statements.get(id);
    const bytes = fresh?.bytes ??
      (await readStatement(reader, id).catch(() => undefined))?.bytes;
    if (!bytes) continue;
    try {
      referenced.add(parseStatement(bytes, id).artifact);
    } catch {
      // An unreadable statement cannot keep anything alive.
    }
  }
  // A statement that goes takes its artifact along (for a dropped config it
  // was the last reference), unless a statement in the new index names it.
  for (const id of changes.obsoleteStatements) {
    const bytes = (await readStatement(reader, id).catch(() => undefined))
      ?.bytes;
    if (!bytes) continue;
    try {
      changes.obsoleteArtifacts.push(parseStatement(bytes, id).artifact);
    } catch {
      // An unreadable statement names no artifact we could trust.
    }
  }
  changes.obsoleteArtifacts = [...new Set(changes.obsoleteArtifacts)].filter((
    id,
  ) => !referenced.has(id));
  const live = new Set(changes.index.values());
  changes.obsoleteStatements = [...new Set(changes.obsoleteStatements)].filter((
    id,
  ) => !live.has(id));
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
