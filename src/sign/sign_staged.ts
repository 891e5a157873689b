/**
 * The pre-commit path: signs what the next commit will contain, after
 * refusing what the hook must not sign for anyone (hidden configs, configs
 * the commit leaves failing, a trust-list change by a key not trusted
 * before it, an operation that brings other people's commits).
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  MAX_CONFIG_BYTES,
  MAX_METADATA_BYTES,
  MAX_TRUST_BYTES,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
  SIGNATURE_NAMESPACE,
  SIGNATURE_SUFFIX,
  STATEMENT_HEADER_V3,
  STATEMENTS_DIR,
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
import { type ConfigSource, snapshotSource } from "../source/config_source.ts";
import { findConfigs, hiddenConfigs } from "../source/find_configs.ts";
import { readIndex } from "../store/store.ts";
import { globPattern, namedPaths } from "../configs/server_files.ts";
import { parseConfig } from "../configs/validate_config.ts";
import { canonicalPath } from "../verify/verify_server_names.ts";
import { mayConcernPreCommit } from "../configs/pre_commit_filter.ts";
import { fileSystem } from "../_runtime/file_system.ts";
import { readFileLimitedSync } from "../fs/files.ts";
import { GitObjects } from "../source/cat_file.ts";
import { findAttributeFileLookalikes } from "../source/checkout_attributes.ts";
import { git, OPERATION_MARKERS, type Repository } from "../git/repository.ts";
import { indexSnapshot, type Snapshot } from "../source/snapshot.ts";
import type { SigningKey } from "../keys/key_store.ts";
import { loadFailure, loadStatement } from "../verify/load_signed.ts";
import { findSigner } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import { workingTreeReader } from "../source/store_reader.ts";
import { verifySource } from "../verify/verify_repository.ts";
import { isPendingApproval } from "../verify/verify_codes.ts";
import { verifyConfig } from "../verify/verify_config.ts";
import { followsAll, ParentVersions } from "./parent_versions.ts";
import { isStoreSigned } from "./discover_configs.ts";
import { askGitPaths, type SignReport, signSource } from "./sign_source.ts";
import type { ConfigDiff } from "../configs/config_diff.ts";

/** What pre-commit signed, and how each signed config's servers changed. */
export interface StagedReport extends SignReport {
  /**
   * Each signed config compared with HEAD's version (one whose bytes did
   * not change is left out); empty when the comparison itself failed.
   */
  changes: ConfigDiff[];
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
 * @returns What was signed, and how each signed config's servers changed
 * since HEAD; empty when the commit touches no config.
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
): Promise<StagedReport> {
  // The staged changes, the index listing and the object reader are asked
  // of git at once: the hook's stub starts the tool only when something
  // staged may concern it, so all three are nearly always needed.
  const objects = GitObjects.open(repo);
  const listing = indexSnapshot(repo, objects);
  listing.catch(() => {}); // Awaited below, or not needed.
  try {
    const staged = await stagedConfigs(repo, objects, listing);
    if (!staged) return { results: [], changes: [], lint: [] };
    const { source, paths } = staged;
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
    if (paths.length === 0) return { results: [], changes: [], lint: [] };
    // The key is loaded only now: a commit that signs nothing needs none.
    const key = await options.key();
    const steering = paths.filter(isStoreSigned);
    if (steering.length > 0) {
      await requireTrustedBefore(objects, source, key, now, steering);
    }
    let report: SignReport;
    try {
      report = await signSource(repo, source, {
        key,
        requireTrust: true,
        ...staging,
        now,
        paths,
        stage: true,
        parents: readParents,
      });
    } catch (error) {
      throw await unstagedTrustHint(repo, source, key, now, error);
    }
    const signed = report.results.filter((r) => r.status === "signed")
      .map((r) => r.path);
    // A summary for the committer: it must never stop a commit it signed.
    // Its module (and the config diff's) is loaded only when there is
    // something to summarise.
    const changes = signed.length === 0 ? [] : await import(
      "./staged_server_changes.ts"
    ).then((summary) => summary.stagedServerChanges(objects, staged, signed))
      .catch(() => []);
    return { ...report, changes };
  } finally {
    await objects.close();
  }
}

// What the commit changes that concerns us: the index as a source, and the
// configs (and trust list) it changes; undefined when there is nothing to
// sign or check. Hidden configs it adds are refused here.
async function stagedConfigs(
  repo: Repository,
  objects: GitObjects,
  listing: ReturnType<typeof indexSnapshot>,
): Promise<
  | {
    source: ConfigSource;
    paths: string[];
    snapshot: Snapshot;
    headBlobs: Map<string, string | null>;
    kinds: ConfigKind[];
  }
  | undefined
> {
  const all = await stagedChanges(repo);
  if (all.some((c) => c.path === REPO_CONFIG_PATH && c.mode === "000000")) {
    // A deletion cannot be signed, and would drop patterns unapproved.
    throw new ToolError(
      "TRUST",
      `Commit refused: it deletes "${REPO_CONFIG_PATH}", and a change to it must be signed by a key trusted before it; ` +
        `a deletion cannot be. Instead, leave it with no patterns ({"version": 1, "configs": []}): the hook signs that change`,
    );
  }
  if (all.some((c) => c.path === POLICY_PATH && c.mode === "000000")) {
    // Likewise: no policy means any one key, a weakening nobody signed.
    throw new ToolError(
      "TRUST",
      `Commit refused: it deletes "${POLICY_PATH}", and a change to it must meet the policy before it; ` +
        `a deletion cannot be signed. Instead, edit it to state the rule you want (today's rule is what ` +
        `"${TOOL_NAME} policy init" writes) and raise its "version": the hook signs that change`,
    );
  }
  if (all.some((c) => c.path === REVOKED_KEYS_PATH && c.mode === "000000")) {
    // Deleting it would bring every revoked key back, unapproved.
    throw new ToolError(
      "TRUST",
      `Commit refused: it deletes "${REVOKED_KEYS_PATH}", and a change to it must be signed by a key trusted before it; ` +
        `a deletion cannot be. Remove only the lines you mean to (then the hook signs that change)`,
    );
  }
  const changed = all.filter((change) => change.mode !== "000000");
  // A deleted server file concerns its config as much as a changed one.
  const touched = all.map(({ path }) => path);
  // With repository patterns in config.json, any path may be a config.
  const anyPathMayBeConfig = changed.length > 0 &&
    fileSystem.existsSync(join(repo.root, REPO_CONFIG_PATH));
  // The stub starts the tool for a script change only when some statement
  // names server files; the same test here spares every other commit.
  if (
    !anyPathMayBeConfig && !changed.some(mayConcernPreCommit) &&
    !(touched.length > 0 && await mayNameServerFiles(repo))
  ) {
    return undefined;
  }
  const snapshot = await listing;
  const source = snapshotSource(snapshot, objects, "index", {
    repo,
    source: { kind: "index" },
  });
  const kinds = await source.kinds();
  const changedPaths = changed.map(({ path }) => path);
  const paths = await configPaths(source, kinds, [
    ...changedPaths,
    ...await configsRunning(source, touched, kinds),
  ]);
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
    return undefined;
  }
  const headBlobs = new Map(all.map((c) => [c.path, c.headBlob ?? null]));
  return { source, paths, snapshot, headBlobs, kinds };
}

// Whether the working tree's store holds a statement that names server
// files (version 3): what the stub tests too, without starting git.
async function mayNameServerFiles(repo: Repository): Promise<boolean> {
  const folder = join(repo.root, STATEMENTS_DIR);
  const names = await fileSystem.readdir(folder).catch(() => []);
  return names.some((name) => {
    if (name.endsWith(SIGNATURE_SUFFIX)) return false;
    try {
      const bytes = readFileLimitedSync(
        join(folder, name),
        MAX_METADATA_BYTES,
        {
          refuseSymlink: true,
        },
      );
      return bytes !== undefined &&
        new TextDecoder().decode(
            bytes.subarray(0, STATEMENT_HEADER_V3.length),
          ) ===
          STATEMENT_HEADER_V3;
    } catch {
      return false;
    }
  });
}

// The configs whose staged statements name a changed path among the files
// their servers run, or whose servers' words name a changed path (a file
// added that the rule names now: a build output committed after signing):
// a commit that changes only such a file must sign its config again (or be
// refused), or the config would verify as TAMPERED.
async function configsRunning(
  source: ConfigSource,
  changed: readonly string[],
  kinds: readonly ConfigKind[],
): Promise<string[]> {
  const wanted = new Set(changed);
  const index = await readIndex(source.reader).catch(() => new Map());
  const found: string[] = [];
  for (const [path, id] of index) {
    if (path === ALLOWED_SIGNERS_PATH || wanted.has(path)) continue;
    // A damaged statement is reported by the verification that follows.
    const stored = await loadStatement(source.reader, id).catch(() =>
      undefined
    );
    if (
      stored?.statement.files?.some((file) => wanted.has(file.path)) ||
      await namesAny(source, path, kinds, changed)
    ) {
      found.push(path);
    }
  }
  return found;
}

// Whether a config's servers' words name one of the paths (in any case,
// beneath a folder they name, or by a glob).
async function namesAny(
  source: ConfigSource,
  path: string,
  kinds: readonly ConfigKind[],
  paths: readonly string[],
): Promise<boolean> {
  const kind = findConfigKind(path, kinds);
  if (!kind || paths.length === 0) return false;
  const bytes = await source.reader.read(path, MAX_CONFIG_BYTES)
    .catch(() => undefined);
  const root = bytes &&
    await parseConfig(path, bytes, { format: kind.format })
      .catch(() => undefined);
  if (!root) return false;
  const canonical = paths.map(canonicalPath);
  return namedPaths(path, root, kind).some((name) => {
    if (name.glob) return paths.some((p) => globPattern(name.path).test(p));
    const own = canonicalPath(name.path);
    return canonical.some((p) =>
      p === own || (name.folder && p.startsWith(`${own}/`))
    );
  });
}

// The changed paths that are configs, and the trust list. A settings file
// without MCP section (an editor setting changed) is none: such a commit
// needs no key and signs nothing, unless the store signs that file already.
async function configPaths(
  source: ConfigSource,
  kinds: readonly ConfigKind[],
  changed: readonly string[],
): Promise<string[]> {
  const named = changed.filter((path) => findConfigKind(path, kinds));
  let index: Promise<ReadonlyMap<string, string>> | undefined;
  const configs = named.length === 0 ? [] : await findConfigs(source, {
    kinds,
    paths: named,
    signed: async (path) =>
      (await (index ??= readIndex(source.reader))).has(path),
  });
  const kept = new Set(configs.map((target) => target.path));
  return changed.filter((path) => isStoreSigned(path) || kept.has(path));
}

async function refuseUnrelatedFailures(
  source: ConfigSource,
  changed: readonly string[],
  parents: () => Promise<ParentVersions>,
  options: { now: Date; operation?: string },
): Promise<void> {
  const problems: string[] = [];
  const blocked: string[] = [];
  for (const result of await verifySource(source, { now: options.now })) {
    // A changed config is signed below; its attributes count already.
    if (changed.includes(result.path) && result.code !== "UNSAFE_ATTRIBUTES") {
      continue;
    }
    // Signing again cannot cure a finding the policy blocks: the config
    // has to change (or the policy), so say that instead.
    if (result.code === "LINT_BLOCKED") {
      blocked.push(`"${result.path}": ${result.reason}`);
      continue;
    }
    // Validly signed and waiting for approvals is no fault of this commit
    // (one that adds approvals is how it stops waiting).
    if (!result.ok && !isPendingApproval(result)) {
      problems.push(`"${result.path}" (${result.code}: ${result.reason})`);
      continue;
    }
    // Verifying is not enough: its statement must still be HEAD's, or a
    // version that follows it (not an older one staged by hand). A config
    // the commit leaves alone under HEAD's own line is HEAD's version.
    const known = await parents();
    if (known.allName(result.path, result.statementId!)) continue;
    const versions = await known.of(result.path);
    const stored = await loadStatement(source.reader, result.statementId!)
      .catch((error) => {
        throw loadFailure(error, `Cannot check "${result.path}"`);
      });
    if (!stored || !followsAll(stored.id, stored.statement, versions)) {
      problems.push(
        `"${result.path}" (its statement does not follow the version in HEAD)`,
      );
    }
  }
  if (blocked.length > 0) {
    throw new ToolError(
      "INVALID_CONFIG",
      `Commit refused: configs this commit does not change have findings the staged policy blocks; ` +
        `fix them in this commit, or leave their rules out of "lint.block":\n${
          blocked.join("\n")
        }`,
    );
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

async function requireTrustedBefore(
  objects: GitObjects,
  source: ConfigSource,
  key: SigningKey,
  now: Date,
  staged: readonly string[],
): Promise<void> {
  // A change to the trust list counts only when signed by a key trusted
  // before it (history verification applies the same rule), so the staged
  // list, which may already name the new key, cannot vouch for it.
  const head = await objects.read(
    `HEAD:${ALLOWED_SIGNERS_PATH}`,
    MAX_TRUST_BYTES,
  ).catch(() => undefined);
  if (!head) return; // The first trust list is the root of trust.
  // HEAD's list as HEAD's revocations leave it: a key revoked there is not
  // trusted before the change either.
  const before = await readTrust({
    read: async (path, maxBytes) =>
      path === ALLOWED_SIGNERS_PATH
        ? head.bytes
        : (await objects.read(`HEAD:${path}`, maxBytes).catch(() => undefined))
          ?.bytes,
  });
  // A change already signed by a key HEAD trusts (and has not retired) is
  // approved as it is, whoever commits it: "keys rotate" signs its trust
  // list with the key it retires, before the new key is trusted anywhere.
  const changed: string[] = [];
  const index = await readIndex(source.reader).catch(() => new Map());
  for (const path of staged) {
    const bytes = await source.reader.read(path, MAX_TRUST_BYTES)
      .catch(() => undefined);
    const result = bytes && before
      ? await verifyConfig(
        { reader: source.reader, index, trust: before, now },
        path,
        bytes,
      )
      : undefined;
    const approved = result?.ok && result.signer !== undefined &&
      !before?.retired?.has(result.signer);
    if (!approved) changed.push(path);
  }
  if (changed.length === 0) return;
  const decision = before
    ? findSigner(before, key.key.publicKey, {
      namespace: SIGNATURE_NAMESPACE,
      at: now,
    })
    : undefined;
  if (decision?.status !== "trusted") {
    throw new ToolError(
      "TRUST",
      `Commit refused: ${changed.map((path) => `"${path}"`).join(" and ")} ${
        changed.length > 1 ? "change" : "changes"
      }, and such a change must be signed by a key trusted before it; ` +
        `${key.keyId} is not trusted in HEAD's list. Ask a trusted signer to make this change`,
    );
  }
}

// Right after `init`, a commit that stages a config but not the trust list
// init wrote is signed against the index, which has no list yet: the key
// is trusted, in a file the commit leaves out. Say so, and the one command
// that fixes it. The hook does not stage the list itself: it is the
// repository's root of trust, and goes into a commit only when its author
// stages it.
async function unstagedTrustHint(
  repo: Repository,
  source: ConfigSource,
  key: SigningKey,
  now: Date,
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof ToolError) || error.code !== "TRUST") return error;
  const staged = await source.reader.read(ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES)
    .catch(() => undefined);
  if (staged) return error;
  const unstaged = await readTrust(workingTreeReader(repo)).catch(() =>
    undefined
  );
  const decision = unstaged
    ? findSigner(unstaged, key.key.publicKey, {
      namespace: SIGNATURE_NAMESPACE,
      at: now,
    })
    : undefined;
  if (decision?.status !== "trusted") return error;
  return new ToolError(
    "TRUST",
    `Commit refused: the signing key ${key.keyId} is trusted in "${ALLOWED_SIGNERS_PATH}", ` +
      `but that file is not staged, and this commit has no trust list yet (the index holds none). ` +
      `Stage what init wrote, then commit again: git add ${STORE_DIR}`,
    { cause: error },
  );
}

/** A path a commit changes, with its new mode (`000000` when deleted). */
export interface StagedChange {
  /** Repository-relative path. */
  path: string;
  /** Git's file mode after the commit. */
  mode: string;
  /** HEAD's blob id for the path; absent when HEAD has none. */
  headBlob?: string;
}

/**
 * The paths a commit would change: staged against HEAD (everything staged
 * before the first commit), renames split into a deletion and an addition.
 *
 * @param repo The working tree.
 * @returns Paths with their new modes, and HEAD's blob ids.
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
    const [oldMode, mode, oldId] = fields[i]?.slice(1).split(" ") ?? [];
    const path = fields[i + 1];
    if (!mode || !path) continue;
    const added = oldMode === "000000" || oldId === undefined ||
      /^0+$/.test(oldId);
    changes.push(added ? { path, mode } : { path, mode, headBlob: oldId });
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
