/**
 * Verifies the configs of a source (working tree, commit or index): reads
 * its index and trust list once, then each config through
 * {@linkcode verifyConfig}.
 *
 * @module
 */

import { errorMessage, ToolError } from "../errors.ts";
import {
  type ConfigSource,
  workingTreeSource,
} from "../source/config_source.ts";
import {
  type ConfigTarget,
  findConfigs,
  readConfigBytes,
} from "../source/find_configs.ts";
import type { AttributeCheck } from "../source/checkout_attributes.ts";
import {
  comparePaths,
  type Repository,
  toRepoPath,
} from "../git/repository.ts";
import {
  ALLOWED_SIGNERS_PATH,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
} from "../constants.ts";
import { type ConfigKind, findConfigKind } from "../configs/config_kinds.ts";
import { Snapshot } from "../source/snapshot.ts";
import { readIndex } from "../store/store.ts";
import type { StoreReader } from "../source/store_reader.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import type { Policy } from "../trust/policy.ts";
import { literalPrincipals, readPolicy } from "../trust/policy_store.ts";
import type { VerifyResult } from "./verify_codes.ts";
import { attributeFailures, readAttributes } from "./verify_attributes.ts";
import { checkContinueTemplates } from "./verify_continue_templates.ts";
import { verifyConfig, type VerifyContext } from "./verify_config.ts";
import { reverifyAsStored } from "./verify_line_endings.ts";
import { serverFilesAsStored } from "./server_files_as_stored.ts";
import { canonicalFolder } from "./verify_server_names.ts";
import {
  blockedReason,
  blockedRules,
  blockingFindings,
  lintConfig,
} from "../configs/lint_config.ts";

// The kind of a signed file that no pattern recognises any more.
const SIGNED_FILE_KIND: ConfigKind = {
  client: "signed file",
  pattern: "",
  format: "json",
  serversKey: "",
};

/** Options for {@linkcode verifyRepository}. */
export interface VerifyOptions {
  /** Folder that relative `paths` start from. */
  cwd: string;
  /** Configs to verify; default: every recognised config in the working tree. */
  paths?: readonly string[];
  /** Verification time (default: now). */
  now?: Date;
}

/**
 * Verifies every recognised config in the working tree, or the named ones.
 *
 * @param repo The working tree.
 * @param options Paths, working folder and time.
 * @returns One result per config, sorted by path.
 * @throws {ToolError} `BAD_PATH` for a named path that is missing or not a
 * config; `INVALID_FORMAT` for a malformed trust list.
 *
 * @example
 * ```ts ignore
 * const results = await verifyRepository(repo, { cwd: Deno.cwd() });
 * const failed = results.filter((r) => !r.ok);
 * ```
 */
export async function verifyRepository(
  repo: Repository,
  options: VerifyOptions,
): Promise<VerifyResult[]> {
  const paths: string[] = [];
  for (const path of options.paths ?? []) {
    paths.push(await toRepoPath(repo, options.cwd, path));
  }
  return await verifySource(workingTreeSource(repo), {
    ...(paths.length > 0 ? { paths } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

/** Options for {@linkcode verifySource}. */
export interface VerifySourceOptions {
  /** Repository-relative configs to verify; default: every recognised config. */
  paths?: readonly string[];
  /** Verification time (default: now). */
  now?: Date;
  /**
   * The trust list to verify against; default: the source's own. History
   * verification passes the list it has checked, so a commit cannot vouch
   * for itself.
   */
  trust?: AllowedSigners | undefined;
  /**
   * The policy to verify against; default: the source's own (read against
   * the trust list). History verification passes the one it has read.
   */
  policy?: Policy | undefined;
  /**
   * Results to reuse across snapshots (history verification: most commits
   * change one config and leave the others' objects as they were).
   */
  memo?: VerifyMemo;
}

// Bounds on what a VerifyMemo keeps: a long range must not keep a result
// for every config of every commit. A forgotten result is computed again.
const MEMO_KEYS = 4096;
const MEMO_RESULTS_PER_KEY = 8;
// Starts a result's read of "the snapshot's paths in these canonical
// folders" (the folders follow, as JSON): no path holds a NUL.
const LISTING = "\0listing:";

/**
 * What a remembered result read: a path and its object id (undefined when
 * absent), or a listing (its folders and the folders below which every path
 * counts) and the paths it gave, joined by NULs.
 */
type MemoRead = [
  path: string,
  oid: string | undefined,
  listing?: [folders: string[], below: string[]],
];

/**
 * Remembers verification results of configs read from snapshots, each with
 * every object it read: a result is reused only for the same path, config
 * object, index line, trust list (the same object) and time, when every
 * file it read is the very same object (or still absent) in the new
 * snapshot. So a reused result is what verifying again would give.
 */
export class VerifyMemo {
  readonly #results = new Map<
    string,
    { reads: MemoRead[]; result: VerifyResult }[]
  >();
  readonly #trustIds = new WeakMap<AllowedSigners | Policy, number>();
  readonly #folders = new WeakMap<Snapshot, Map<string, string[]>>();

  // The snapshot's paths in the given canonical folders, sorted; the
  // snapshot's index (canonical folder → paths) is built once per snapshot.
  #pathsIn(
    snapshot: Snapshot,
    folders: Iterable<string>,
    below: readonly string[] = [],
  ): string[] {
    let index = this.#folders.get(snapshot);
    if (!index) {
      index = new Map();
      for (const path of snapshot.entries.keys()) {
        const folder = canonicalFolder(path);
        const paths = index.get(folder);
        if (paths) paths.push(path);
        else index.set(folder, [path]);
      }
      this.#folders.set(snapshot, index);
    }
    const wanted = new Set(folders);
    // A folder and everything inside it ("" is the whole snapshot).
    const inside = (folder: string) =>
      below.some((top) =>
        top === "" || folder === top || folder.startsWith(`${top}/`)
      );
    const paths: string[] = [];
    for (const [folder, entries] of index) {
      if (wanted.has(folder) || (below.length > 0 && inside(folder))) {
        paths.push(...entries);
      }
    }
    return paths.sort();
  }
  #nextTrustId = 1;

  /**
   * The key of a config in a snapshot, or undefined when it cannot be
   * remembered.
   *
   * @param snapshot Where the config is.
   * @param path The config's path.
   * @param context The index, trust list and time it is verified with.
   * @returns The key.
   */
  key(
    snapshot: Snapshot,
    path: string,
    context: VerifyContext,
  ): string | undefined {
    const entry = snapshot.entries.get(path);
    if (!entry) return undefined;
    const idOf = (object: AllowedSigners | Policy | undefined) => {
      if (!object) return 0;
      const id = this.#trustIds.get(object) ?? this.#nextTrustId++;
      this.#trustIds.set(object, id);
      return id;
    };
    const trust = idOf(context.trust);
    const policy = idOf(context.policy);
    return [
      path,
      entry.mode,
      entry.oid,
      context.index.get(path) ?? "",
      trust,
      policy,
      context.now.getTime(),
    ].join("\0");
  }

  /**
   * A remembered result whose reads all match the snapshot.
   *
   * @param key From {@linkcode VerifyMemo.key}.
   * @param snapshot The snapshot being verified.
   * @returns The result, or undefined.
   */
  lookup(key: string, snapshot: Snapshot): VerifyResult | undefined {
    return this.#results.get(key)?.find(({ reads }) =>
      reads.every(([path, oid, listing]) =>
        (listing
          ? this.#pathsIn(snapshot, ...listing).join("\0")
          : snapshot.entries.get(path)?.oid) === oid
      )
    )?.result;
  }

  /**
   * Verifies a config through a reader that records what it reads, and
   * remembers the result.
   *
   * @param key From {@linkcode VerifyMemo.key}.
   * @param snapshot The snapshot being verified.
   * @param verify Verifies with the given reader.
   * @returns The result.
   */
  async remember(
    key: string,
    snapshot: Snapshot,
    verify: (reader: StoreReader) => Promise<VerifyResult>,
  ): Promise<VerifyResult> {
    const reads: MemoRead[] = [];
    const result = await verify({
      read: (path, maxBytes) => {
        reads.push([path, snapshot.entries.get(path)?.oid]);
        return snapshot.read(path, maxBytes);
      },
      // A result that saw paths (names around the servers) holds only for
      // snapshots with the same paths in those folders.
      listIn: (folders, below = new Set()) => {
        const sorted = [...folders].sort();
        const deep = [...below].sort();
        const paths = this.#pathsIn(snapshot, sorted, deep);
        reads.push([
          LISTING + JSON.stringify([sorted, deep]),
          paths.join("\0"),
          [sorted, deep],
        ]);
        return Promise.resolve(paths);
      },
    });
    const known = this.#results.get(key) ?? [];
    known.push({ reads, result });
    if (known.length > MEMO_RESULTS_PER_KEY) known.shift();
    // Re-inserted, so the oldest keys are first to go past the bound.
    this.#results.delete(key);
    this.#results.set(key, known);
    for (const oldest of this.#results.keys()) {
      if (this.#results.size <= MEMO_KEYS) break;
      this.#results.delete(oldest);
    }
    return result;
  }
}

/**
 * Verifies every recognised config of a source, or the named ones.
 *
 * @param source Where the files are.
 * @param options Paths, time and trust list.
 * @returns One result per config, sorted by path.
 * @throws {ToolError} `BAD_PATH` for a named path that is missing or not a
 * config; `INVALID_FORMAT` for a malformed trust list.
 *
 * @example
 * ```ts ignore
 * const results = await verifySource(snapshotSource(snapshot, objects, "HEAD"), {});
 * ```
 */
export async function verifySource(
  source: ConfigSource,
  options: VerifySourceOptions = {},
): Promise<VerifyResult[]> {
  const reader = source.reader;
  const kinds = await source.kinds();
  const targets = await findConfigs(source, {
    kinds,
    ...(options.paths ? { paths: options.paths } : {}),
  });
  const { index, indexError } = await readIndexOrError(reader);
  const trust = "trust" in options ? options.trust : await readTrust(reader);
  const context: VerifyContext = {
    reader,
    index,
    trust,
    now: options.now ?? new Date(),
    policy: "policy" in options
      ? options.policy
      : await readPolicy(reader, trust ? literalPrincipals(trust) : new Set()),
  };
  if (!options.paths) addIndexedTargets(targets, index, kinds);
  // Configs are independent: verifying several at once overlaps their file
  // reads (or git object reads, which GitObjects queues on its one pipe).
  const outcomes = await mapInOrder(
    targets,
    VERIFY_CONCURRENCY,
    (target) =>
      verifyTarget(source, target, { context, indexError, memo: options.memo }),
  );
  const results = outcomes.filter((result) => result !== undefined);
  if (source.attributes) {
    await applyAttributeFailures(source, source.attributes, targets, results);
  }
  let verified = results;
  if (source.storedForms) {
    // A working-tree file checked out with CRLF is compared as Git stores
    // it. Only TAMPERED results are: one whose attributes would make Git
    // run a filter while hashing it is UNSAFE_ATTRIBUTES by now. Server
    // files first, so that a config with CRLF is then checked with them.
    const asStored = await serverFilesAsStored(source, context, results);
    verified = await reverifyAsStored(
      source,
      asStored.context,
      targets,
      asStored.results,
    );
  }
  // Last, on what verified: a signed Continue block as Continue loads it,
  // its secrets filled from the workspace's unsigned .env files.
  if (source.loadedInPlace) {
    await checkContinueTemplates(source, targets, verified);
  }
  return verified;
}

// A malformed index fails every config (MALFORMED) rather than the run, so
// the report still lists each config.
async function readIndexOrError(
  reader: StoreReader,
): Promise<{ index: Map<string, string>; indexError: string | undefined }> {
  let indexError: string | undefined;
  const index = await readIndex(reader).catch((error) => {
    indexError = errorMessage(error);
    return new Map<string, string>();
  });
  return { index, indexError };
}

// A path with an index line is verified whatever the patterns say: an
// edit of config.json that drops a pattern must not switch checks off.
function addIndexedTargets(
  targets: ConfigTarget[],
  index: ReadonlyMap<string, string>,
  kinds: readonly ConfigKind[],
): void {
  const known = new Set(targets.map((target) => target.path));
  for (const path of index.keys()) {
    if (known.has(path) || path === ALLOWED_SIGNERS_PATH) continue;
    targets.push({
      path,
      kind: findConfigKind(path, kinds) ?? SIGNED_FILE_KIND,
      named: false,
    });
  }
  // config.json decides which files are configs, policy.json who must sign
  // them and revoked_keys which keys count, so each is signed like one
  // (docs/SECURITY.md, "config.json is signed like the trust list");
  // verified when it is there.
  for (const path of [REPO_CONFIG_PATH, POLICY_PATH, REVOKED_KEYS_PATH]) {
    if (index.has(path)) continue;
    targets.push({ path, kind: SIGNED_FILE_KIND, named: false });
  }
  targets.sort((a, b) => comparePaths(a.path, b.path));
}

// Verifies one target; undefined for a tracked config deleted in the
// working tree.
async function verifyTarget(
  source: ConfigSource,
  target: ConfigTarget,
  run: {
    context: VerifyContext;
    indexError: string | undefined;
    memo: VerifyMemo | undefined;
  },
): Promise<VerifyResult | undefined> {
  if (target.hidden) {
    return {
      path: target.path,
      ok: false,
      code: "UNSIGNED",
      reason: target.hidden.reason,
    };
  }
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readConfigBytes(source, target.path);
  } catch (error) {
    // A symbolic link (or a path through one) can never have been signed;
    // anything else unreadable, such as an oversized file, is malformed.
    const link = error instanceof ToolError && error.code === "BAD_PATH";
    return {
      path: target.path,
      ok: false,
      code: link ? "UNSIGNED" : "MALFORMED",
      reason: errorMessage(error),
    };
  }
  if (!bytes) {
    if (target.named) {
      throw new ToolError(
        "BAD_PATH",
        `Cannot verify "${target.path}": no such file in the ${source.label}`,
      );
    }
    return undefined; // Tracked but deleted in the working tree: nothing a client would load.
  }
  if (run.indexError) {
    return {
      path: target.path,
      ok: false,
      code: "MALFORMED",
      reason: run.indexError,
    };
  }
  const result = await verifyMaybeRemembered(
    run.context,
    run.memo,
    target.path,
    bytes,
  );
  return await applyLint(run.context, target, bytes, result);
}

// A config that verifies fails LINT_BLOCKED when the policy in force (the
// source's own: a commit's for history) blocks a rule it breaks. Linted
// only then: with no rule blocked, verify parses nothing more.
async function applyLint(
  context: VerifyContext,
  target: ConfigTarget,
  bytes: Uint8Array,
  result: VerifyResult,
): Promise<VerifyResult> {
  const block = blockedRules(context.policy);
  if (!result.ok || block.size === 0 || target.kind.serversKey === "") {
    return result;
  }
  const blocking = blockingFindings(
    await lintConfig(target.path, bytes, { kind: target.kind, block }),
  );
  if (blocking.length === 0) return result;
  return {
    ...result,
    ok: false,
    code: "LINT_BLOCKED",
    reason: blockedReason(blocking),
  };
}

// Verifies a config's bytes, through the memo when the source is a snapshot.
async function verifyMaybeRemembered(
  context: VerifyContext,
  memo: VerifyMemo | undefined,
  path: string,
  bytes: Uint8Array,
): Promise<VerifyResult> {
  const reader = context.reader;
  const key = memo && reader instanceof Snapshot
    ? memo.key(reader, path, context)
    : undefined;
  if (!memo || !key || !(reader instanceof Snapshot)) {
    return await verifyConfig(context, path, bytes);
  }
  return memo.lookup(key, reader) ??
    await memo.remember(
      key,
      reader,
      (recording) =>
        verifyConfig({ ...context, reader: recording }, path, bytes),
    );
}

// Attributes that change checked-out bytes outrank every other verdict:
// whatever verified, a client would read something else.
async function applyAttributeFailures(
  source: ConfigSource,
  attributes: AttributeCheck,
  targets: readonly ConfigTarget[],
  results: VerifyResult[],
): Promise<void> {
  const listing = (await source.list()).map((entry) => entry.path);
  const failures = attributeFailures(
    await readAttributes(
      attributes,
      listing,
      targets.map((target) => target.path),
    ),
    listing,
  );
  for (const failure of failures) {
    const at = results.findIndex((result) => result.path === failure.path);
    if (at >= 0) results[at] = { ...results[at]!, ...failure };
    else results.push(failure);
  }
}

// How many configs are verified at once.
const VERIFY_CONCURRENCY = 16;

// Runs `fn` over `items`, at most `limit` at a time, and returns the
// results in the items' order; the first failure rejects.
async function mapInOrder<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await fn(items[at]!);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return results;
}
