/**
 * The `.mcp-orchestration/` store: where artifacts, statements, signatures
 * and the index live, how they are read (through a `StoreReader`,
 * source/store_reader.ts, so the same checks run on the working tree and on
 * Git objects), and how a set of changes is written so that a failure leaves the store as it was.
 *
 * @module
 */

import { join } from "node:path";
import { equalBytes } from "../bytes/equal_bytes.ts";
import {
  ARTIFACTS_DIR,
  ID_PATTERN,
  INDEX_PATH,
  MAX_CONFIG_BYTES,
  MAX_INDEX_BYTES,
  MAX_METADATA_BYTES,
  SIGNATURE_SUFFIX,
  STATEMENTS_DIR,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import {
  describeErrno,
  isErrno,
  readFileLimitedSync,
  writeFileAtomic,
} from "../fs/files.ts";
import { assertRealFolders, type Repository } from "../git/repository.ts";
import type { StoreReader } from "../source/store_reader.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { withFileLock } from "../fs/lock.ts";
import { removeApprovals } from "./approvals.ts";
import { formatIndex, parseIndex, type StoreIndex } from "./index_file.ts";

/**
 * The path of an artifact, after checking the id so that no value can reach
 * outside the store.
 *
 * @param id An artifact id.
 * @returns `.mcp-orchestration/artifacts/<id>`.
 * @throws {ToolError} `INVALID_FORMAT` when the id is not 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { artifactPath } from "./store.ts";
 * assert.ok(artifactPath("a".repeat(64)).endsWith("/" + "a".repeat(64)));
 * ```
 */
export function artifactPath(id: string): string {
  return `${ARTIFACTS_DIR}/${checkId(id, "artifact")}`;
}

/**
 * The path of a statement file.
 *
 * @param id A statement id.
 * @returns `.mcp-orchestration/statements/<id>`.
 * @throws {ToolError} `INVALID_FORMAT` when the id is not 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statementPath } from "./store.ts";
 * assert.ok(statementPath("b".repeat(64)).includes("statements/"));
 * ```
 */
export function statementPath(id: string): string {
  return `${STATEMENTS_DIR}/${checkId(id, "statement")}`;
}

/**
 * The path of a statement's signature file.
 *
 * @param id A statement id.
 * @returns `.mcp-orchestration/statements/<id>.sig`.
 * @throws {ToolError} `INVALID_FORMAT` when the id is not 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signaturePath } from "./store.ts";
 * assert.ok(signaturePath("b".repeat(64)).endsWith(".sig"));
 * ```
 */
export function signaturePath(id: string): string {
  return statementPath(id) + SIGNATURE_SUFFIX;
}

/**
 * Reads the index; an absent index is an empty one.
 *
 * @param reader Where to read.
 * @returns Path → statement id.
 * @throws {ToolError} `INVALID_FORMAT` for a malformed index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readIndex } from "./store.ts";
 * const index = await readIndex({ read: () => Promise.resolve(undefined) });
 * assert.ok(index.size === 0);
 * ```
 */
export async function readIndex(reader: StoreReader): Promise<StoreIndex> {
  const bytes = await reader.read(INDEX_PATH, MAX_INDEX_BYTES);
  return bytes ? parseIndex(bytes, INDEX_PATH) : new Map();
}

/** A statement's bytes and its armored signature, as stored. */
export interface StoredStatement {
  /** The statement id. */
  id: string;
  /** The statement file's exact bytes (what the signature covers). */
  bytes: Uint8Array;
  /** The signature file's text, or undefined when it is missing. */
  signature: string | undefined;
}

/**
 * Reads a statement and its signature by id, as stored: nothing here checks
 * that the bytes hash to the id. Read statements with `loadStatement` or
 * `loadSigned` (`load_signed.ts`), which do; this is their raw read.
 *
 * @param reader Where to read.
 * @param id The statement id.
 * @returns The stored statement, or undefined when the statement file is missing.
 * @throws {ToolError} `INVALID_FORMAT` for a bad id, an oversized file or a signature that is not UTF-8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readStatement } from "./store.ts";
 * const none = await readStatement({ read: () => Promise.resolve(undefined) }, "c".repeat(64));
 * assert.ok(none === undefined);
 * ```
 */
export async function readStatement(
  reader: StoreReader,
  id: string,
): Promise<StoredStatement | undefined> {
  const bytes = await reader.read(statementPath(id), MAX_METADATA_BYTES);
  if (!bytes) return undefined;
  const signatureBytes = await reader.read(
    signaturePath(id),
    MAX_METADATA_BYTES,
  );
  let signature: string | undefined;
  if (signatureBytes) {
    try {
      signature = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
        .decode(signatureBytes);
    } catch {
      throw new ToolError(
        "INVALID_FORMAT",
        `Invalid signature "${signaturePath(id)}": not valid UTF-8`,
      );
    }
  }
  return { id, bytes, signature };
}

/** Everything one `sign` run writes, applied all at once by {@linkcode applyChanges}. */
export interface StoreChanges {
  /** New artifacts: id → bytes. */
  artifacts: Map<string, Uint8Array>;
  /** New statements: id → bytes and armored signature. */
  statements: Map<string, { bytes: Uint8Array; signature: string }>;
  /** The complete new index. */
  index: StoreIndex;
  /**
   * Statement ids to delete (with their signatures and approvals) after the
   * index no longer names them.
   */
  obsoleteStatements: string[];
  /** Artifact ids to delete after no statement names them. */
  obsoleteArtifacts: string[];
}

/**
 * Writes a set of changes: new files first, then the index in one atomic
 * rename (the moment the change takes effect), then the removal of what the
 * new index no longer needs. If anything fails before the index is written,
 * the files this call created are removed again.
 *
 * @param repo The working tree.
 * @param changes What to write and remove.
 * @throws {ToolError} `IO` when a write fails (the store is then as before).
 *
 * @example
 * ```ts ignore
 * await applyChanges(repo, changes);
 * ```
 */
export async function applyChanges(
  repo: Repository,
  changes: StoreChanges,
): Promise<void> {
  // Every file this call created, so a failure before the index is written
  // can remove them again.
  const created: string[] = [];
  try {
    await writeNewFilesThenIndex(repo, changes, created);
  } catch (error) {
    for (const path of created) {
      await fs.rm(path, { force: true }).catch(() => {});
    }
    throw error;
  }
  await removeObsolete(repo, changes);
}

// New files first (folders, artifacts, each statement then its signature),
// then the index in one atomic rename: the moment the change takes effect.
async function writeNewFilesThenIndex(
  repo: Repository,
  changes: StoreChanges,
  created: string[],
): Promise<void> {
  await mkdirs(repo, [ARTIFACTS_DIR, STATEMENTS_DIR]);
  for (const [id, bytes] of changes.artifacts) {
    await putStoreFile(repo, artifactPath(id), bytes, created);
  }
  for (const [id, { bytes, signature }] of changes.statements) {
    await putStoreFile(repo, statementPath(id), bytes, created);
    await putStoreFile(repo, signaturePath(id), signature, created);
  }
  await writeFileAtomic(
    join(repo.root, INDEX_PATH),
    formatIndex(changes.index),
  );
}

// Writes a content-addressed store file unless it exists, and records it in
// `created`; an existing file with other bytes is repaired.
async function putStoreFile(
  repo: Repository,
  path: string,
  data: Uint8Array | string,
  created: string[],
): Promise<void> {
  const absolute = join(repo.root, path);
  try {
    await writeFileAtomic(absolute, data, { noReplace: true });
    created.push(absolute);
  } catch (error) {
    if (!isErrno(error, "EEXIST")) throw error;
    await repairIfDamaged(absolute, data);
  }
}

// Content-addressed: a file with this name should already hold these
// bytes. One that does not was damaged, and is repaired.
async function repairIfDamaged(
  absolute: string,
  data: Uint8Array | string,
): Promise<void> {
  // Bounded and never through a link: a planted "/dev/zero" link must
  // not exhaust memory. Anything unreadable is simply replaced.
  let existing: Uint8Array | undefined;
  try {
    existing = readFileLimitedSync(absolute, MAX_CONFIG_BYTES, {
      refuseSymlink: true,
    });
  } catch {
    existing = undefined;
  }
  if (
    !existing ||
    !equalBytes(
      existing,
      typeof data === "string" ? new TextEncoder().encode(data) : data,
    )
  ) {
    await writeFileAtomic(absolute, data);
  }
}

// After the index: removes what the new index no longer needs, statements
// (with their signatures and approvals) before the artifacts they name.
async function removeObsolete(
  repo: Repository,
  changes: StoreChanges,
): Promise<void> {
  for (const id of changes.obsoleteStatements) {
    await removeQuietly(repo, statementPath(id));
    await removeQuietly(repo, signaturePath(id));
    // An approval says yes to one statement's bytes, never to the next.
    await removeApprovals(repo, id);
  }
  for (const id of changes.obsoleteArtifacts) {
    await removeQuietly(repo, artifactPath(id));
  }
}

/**
 * Runs `fn` while holding the repository's lock, a file in the git folder
 * created exclusively, so two runs never interleave their writes. A second
 * run waits for the first, up to `timeoutMs`, else `repo.lockTimeoutMs`.
 *
 * @param repo The working tree.
 * @param fn The work to do under the lock.
 * @param options How long to wait for another run.
 * @returns What `fn` returns.
 * @throws {ToolError} `LOCKED` when the lock stays held, naming the lock file.
 *
 * @example
 * ```ts ignore
 * await withLock(repo, async () => {});
 * ```
 */
export async function withLock<T>(
  repo: Repository,
  fn: () => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  return await withFileLock(join(repo.gitDir, "mcp-orchestration.lock"), fn, {
    ...(repo.lockTimeoutMs === undefined
      ? {}
      : { timeoutMs: repo.lockTimeoutMs }),
    ...options,
    holder: "Another mcp-orchestration run",
  });
}

function checkId(id: string, what: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid ${what} id "${id}": expected 64 lowercase hex digits`,
    );
  }
  return id;
}

async function mkdirs(repo: Repository, paths: string[]): Promise<void> {
  for (const path of paths) {
    // Checked before and after creating: mkdir would follow a symlinked
    // parent, and writes must never leave the repository.
    await assertRealFolders(repo, `${path}/.`);
    try {
      await fs.mkdir(join(repo.root, path), { recursive: true });
    } catch (error) {
      throw new ToolError(
        "IO",
        `Cannot create "${path}": ${describeErrno(error)}`,
        { cause: error },
      );
    }
    await assertRealFolders(repo, `${path}/.`);
  }
}

async function removeQuietly(repo: Repository, path: string): Promise<void> {
  // Leftovers are harmless (nothing points to them), so a failed removal
  // must not turn a completed signing into an error.
  await fs.rm(join(repo.root, path), { force: true }).catch(() => {});
}
