/**
 * Plain `verify`: the working tree's configs (see `verify_repository.ts`),
 * and the working tree judged against HEAD as history verification judges a
 * commit against its parent, so that a trust-list change that no key trusted
 * in HEAD signed, or a config rolled back to an older signed version with
 * its old statement, fails on the developer's machine, not only in CI. It
 * costs one commit: HEAD's tree, index and trust list (and MERGE_HEAD's
 * during a merge); with an unborn HEAD there is nothing to judge against.
 *
 * @module
 */

import { join } from "node:path";
import {
  ALLOWED_SIGNERS_PATH,
  MAX_CONFIG_BYTES,
  MAX_TRUST_BYTES,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { existsSync } from "../fs/files.ts";
import {
  comparePaths,
  type Repository,
  toRepoPath,
} from "../git/repository.ts";
import { GitObjects } from "../source/cat_file.ts";
import {
  type ConfigSource,
  workingTreeSource,
} from "../source/config_source.ts";
import {
  type CommitInfo,
  readCommit,
  Snapshot,
  type SnapshotEntry,
} from "../source/snapshot.ts";
import type { StoreReader } from "../source/store_reader.ts";
import { equalBytes } from "../bytes/equal_bytes.ts";
import { readIndex } from "../store/store.ts";
import type { VerifyResult } from "./verify_codes.ts";
import { verifyVersion, type VersionReport } from "./verify_history.ts";
import { type VerifyOptions, verifySource } from "./verify_repository.ts";

/**
 * Verifies the working tree's configs, and the working tree against HEAD:
 * the trust list and `config.json` may only change with a signature by a
 * key HEAD trusts, and each config's signed version must be HEAD's or
 * follow it. A trust-list change not signed yet (`trust add` before `sign`
 * or the commit) approves nothing: the configs are then verified against
 * HEAD's list, and the list is reported as waiting for its signature.
 *
 * @param repo The working tree.
 * @param options Paths, working folder and time. With paths, HEAD's
 * verdicts on those paths are kept, and always those on the trust list and
 * `config.json`, which decide every path's verdict.
 * @returns One result per config, sorted by path; a failure against HEAD
 * replaces a pass.
 * @throws {ToolError} `BAD_PATH` for a named path that is missing or not a
 * config; `INVALID_FORMAT` for a malformed trust list.
 *
 * @example
 * ```ts ignore
 * const results = await verifyWorkingTree(repo, { cwd: Deno.cwd() });
 * ```
 */
export async function verifyWorkingTree(
  repo: Repository,
  options: VerifyOptions,
): Promise<VerifyResult[]> {
  const paths: string[] = [];
  for (const path of options.paths ?? []) {
    paths.push(await toRepoPath(repo, options.cwd, path));
  }
  const source = workingTreeSource(repo);
  const { head, results } = await verifyAgainstHead(
    repo,
    source,
    options.now,
    (unsigned) =>
      verifySource(source, {
        ...(paths.length > 0 ? { paths } : {}),
        ...(options.now ? { now: options.now } : {}),
        ...(unsigned ? { trust: unsigned.trust } : {}),
      }),
  );
  const unsigned = head.unsignedTrustChange;
  const named = new Set(results.map((result) => result.path));
  const failures = head.failures.filter((failure) =>
    paths.length === 0 || named.has(failure.path) ||
    failure.path === ALLOWED_SIGNERS_PATH ||
    failure.path === REPO_CONFIG_PATH || failure.path === POLICY_PATH ||
    failure.path === REVOKED_KEYS_PATH
  );
  if (unsigned) failures.push(unsignedTrustResult(unsigned.since));
  // A history failure takes a passing result's place, and a pending one's
  // (so that a rollback is not reported as merely waiting for approval).
  const merged = results.map((result) => {
    const failure = failures.find((f) => f.path === result.path);
    return failure && (result.ok ||
        (result.code === "PENDING_APPROVAL" &&
          failure.code !== "PENDING_APPROVAL"))
      ? failure
      : result;
  });
  for (const failure of failures) {
    if (!named.has(failure.path)) merged.push(failure);
  }
  return merged.sort((a, b) => comparePaths(a.path, b.path));
}

// The trust list's line while its change waits for a signature.
function unsignedTrustResult(since: string): VerifyResult {
  const short = since.slice(0, 12);
  return {
    path: ALLOWED_SIGNERS_PATH,
    ok: true,
    reason:
      `changed since ${short} and not signed yet, so the configs are verified against the list of ${short}: ` +
      `"${TOOL_NAME} sign" signs the change, or the pre-commit hook when you commit (with a key trusted in ${short})`,
  };
}

// What the working tree is against HEAD (and MERGE_HEAD), and its configs'
// results (`verify`), with the retired-key rule applied against HEAD while
// HEAD's objects can still be read.
//
// The configs are verified while git reads HEAD's trees (10,000 folders
// are 10,000 tree objects, mostly git's time on the other core): their
// results depend on HEAD only when the trust list changed and is not
// signed yet, and then they are verified again against HEAD's list, so the
// results are the ones verifying after HEAD's report gives.
async function verifyAgainstHead(
  repo: Repository,
  source: ConfigSource,
  now: Date | undefined,
  verify: (
    unsigned: VersionReport["unsignedTrustChange"],
  ) => Promise<VerifyResult[]>,
): Promise<{ head: VersionReport; results: VerifyResult[] }> {
  const objects = GitObjects.open(repo);
  const early = verify(undefined);
  early.catch(() => {}); // Awaited below, or replaced; never unhandled.
  try {
    const head = await parentCommit(objects, "HEAD");
    if (!head) {
      // Unborn: nothing to judge against, and nothing retired yet.
      return {
        head: { failures: [], checkRetired: (r) => Promise.resolve([...r]) },
        results: await early,
      };
    }
    const merging = await parentCommit(objects, "MERGE_HEAD");
    const report = await verifyVersion(
      repo,
      objects,
      {
        label: "the working tree",
        snapshot: (parent) =>
          workingTreeSnapshot(repo, objects, source, parent),
      },
      merging ? [head, merging] : [head],
      now ? { now } : {},
    );
    const results = report.unsignedTrustChange
      ? await verify(report.unsignedTrustChange)
      : await early;
    return { head: report, results: await report.checkRetired(results) };
  } finally {
    // Whatever failed first, nothing is left running when this returns.
    await early.catch(() => {});
    await objects.close();
  }
}

// A commit the working tree builds on, or undefined when the ref is not
// there (an unborn HEAD, no merge in progress).
async function parentCommit(
  objects: GitObjects,
  rev: string,
): Promise<CommitInfo | undefined> {
  try {
    return await readCommit(objects, rev);
  } catch (error) {
    if (error instanceof ToolError && error.code === "BAD_PATH") {
      return undefined;
    }
    throw error;
  }
}

// The working tree as the snapshot history verification reads: the store's
// files read from disk, an entry for each indexed path whose file is there,
// and the trust list and config.json as Git would store them, with HEAD's
// entry when their bytes are HEAD's (so an unchanged list is recognised as
// such, as between two commits).
async function workingTreeSnapshot(
  repo: Repository,
  objects: GitObjects,
  source: ConfigSource,
  parent: Snapshot,
): Promise<Snapshot> {
  const reader = source.reader;
  const entries = new Map<string, SnapshotEntry>();
  const index = await readIndex(reader).catch(() => new Map<string, string>());
  // Synchronous: one asynchronous lstat per config cost ~30 µs each.
  for (const path of index.keys()) {
    if (existsSync(join(repo.root, path))) {
      entries.set(path, { mode: "100644", oid: WORKING_TREE_OID });
    }
  }
  const stored = new Map<string, Uint8Array>();
  const limits = [
    [ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES],
    [REPO_CONFIG_PATH, MAX_CONFIG_BYTES],
    [POLICY_PATH, MAX_CONFIG_BYTES],
    [REVOKED_KEYS_PATH, MAX_TRUST_BYTES],
  ] as const;
  for (const [path, limit] of limits) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await reader.read(path, limit);
    } catch {
      // There but unreadable (a link, too large): reading it again through
      // the snapshot reports why.
      entries.set(path, { mode: "100644", oid: WORKING_TREE_OID });
      continue;
    }
    if (!bytes) continue;
    // Under core.autocrlf, what Git would store, which is what was signed.
    bytes = (await source.storedForms?.(new Map([[path, bytes]])))?.get(path) ??
      bytes;
    stored.set(path, bytes);
    const theirs = parent.entries.get(path);
    const same = theirs &&
      await parent.read(path, limit).then(
        (old) => old !== undefined && equalBytes(old, bytes!),
        () => false,
      );
    entries.set(
      path,
      same ? theirs : { mode: "100644", oid: WORKING_TREE_OID },
    );
  }
  return new WorkingTreeSnapshot(objects, entries, reader, stored);
}

// Stands for "not an object of the repository": never equal to a blob's id.
const WORKING_TREE_OID = "working tree";

/** The working tree, read as a {@linkcode Snapshot}. */
class WorkingTreeSnapshot extends Snapshot {
  readonly #reader: StoreReader;
  readonly #stored: ReadonlyMap<string, Uint8Array>;

  constructor(
    objects: GitObjects,
    entries: ReadonlyMap<string, SnapshotEntry>,
    reader: StoreReader,
    stored: ReadonlyMap<string, Uint8Array>,
  ) {
    super(objects, entries);
    this.#reader = reader;
    this.#stored = stored;
  }

  override async read(
    path: string,
    maxBytes: number,
  ): Promise<Uint8Array | undefined> {
    const bytes = this.#stored.get(path);
    if (bytes && bytes.length <= maxBytes) return bytes;
    return await this.#reader.read(path, maxBytes);
  }
}
