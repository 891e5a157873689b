/**
 * Approvals: extra SSHSIG signatures over a statement's exact bytes, one per
 * approving key, at `.mcp-orchestration/approvals/<statement id>/<key hex>.sig`
 * (docs/FORMAT.md, "Approvals"). `<key hex>` is the SHA-256 of the key's
 * public key blob in 64 lowercase hex digits: the digest of the `SHA256:` key
 * id, hex-encoded, so a file name is one key and a path is one (statement,
 * key) pair. Both names are checked before any file is opened, as statement
 * ids are, so no value can reach outside the store.
 *
 * @module
 */

import { join } from "node:path";
import {
  APPROVALS_DIR,
  ID_PATTERN,
  MAX_METADATA_BYTES,
  SIGNATURE_SUFFIX,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { sha256, toHex } from "../crypto/sha.ts";
import { encodePublicKeyBlob } from "../format/public_key.ts";
import {
  describeErrno,
  isErrno,
  readFileLimitedSync,
  writeFileAtomic,
} from "../fs/files.ts";
import { assertRealFolders, type Repository } from "../git/repository.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";

/** The statement and the key one approval file is for. */
export interface ApprovalName {
  /** The statement id (64 lowercase hex digits). */
  statementId: string;
  /** The hex SHA-256 of the approving key's public key blob. */
  keyHex: string;
}

/** One approval to write: whose, for which statement, and its armored text. */
export interface NewApproval extends ApprovalName {
  /** The armored SSHSIG signature over the statement's bytes. */
  signature: string;
}

const APPROVAL_PATH = new RegExp(
  `^${APPROVALS_DIR.replaceAll(".", "\\.")}/([0-9a-f]{64})/([0-9a-f]{64})${
    SIGNATURE_SUFFIX.replaceAll(".", "\\.")
  }$`,
);

/**
 * The folder of a statement's approvals, after checking the id.
 *
 * @param statementId The statement id.
 * @returns `.mcp-orchestration/approvals/<statement id>`.
 * @throws {ToolError} `INVALID_FORMAT` when the id is not 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { approvalFolder } from "./approvals.ts";
 * assert.equal(approvalFolder("a".repeat(64)), ".mcp-orchestration/approvals/" + "a".repeat(64));
 * ```
 */
export function approvalFolder(statementId: string): string {
  return `${APPROVALS_DIR}/${checkHex(statementId, "statement id")}`;
}

/**
 * The path of one key's approval of one statement, after checking both
 * names so that no value can reach outside the store.
 *
 * @param statementId The statement id.
 * @param keyHex The key's hex SHA-256 ({@linkcode keyHexOf}).
 * @returns `.mcp-orchestration/approvals/<statement id>/<key hex>.sig`.
 * @throws {ToolError} `INVALID_FORMAT` when either is not 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { approvalPath } from "./approvals.ts";
 * const path = approvalPath("a".repeat(64), "b".repeat(64));
 * assert.equal(path, `.mcp-orchestration/approvals/${"a".repeat(64)}/${"b".repeat(64)}.sig`);
 * assert.throws(() => approvalPath("a".repeat(64), "../x"), { code: "INVALID_FORMAT" });
 * ```
 */
export function approvalPath(statementId: string, keyHex: string): string {
  return `${approvalFolder(statementId)}/${
    checkHex(keyHex, "approving key")
  }${SIGNATURE_SUFFIX}`;
}

/**
 * The hex SHA-256 of an Ed25519 public key's SSH blob: the digest behind
 * its `SHA256:` key id, in 64 lowercase hex digits, which names its
 * approval files.
 *
 * @param publicKey The 32-byte Ed25519 public key.
 * @returns 64 lowercase hex digits.
 * @throws {ToolError} `INVALID_KEY` when the key is not 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyHexOf } from "./approvals.ts";
 * assert.match(await keyHexOf(new Uint8Array(32)), /^[0-9a-f]{64}$/);
 * ```
 */
export async function keyHexOf(publicKey: Uint8Array): Promise<string> {
  return toHex(await sha256(encodePublicKeyBlob(publicKey)));
}

/**
 * Tells whether a repository-relative path is an approval file's, by the
 * same strict rule as {@linkcode parseApprovalPath}.
 *
 * @param path A repository-relative path.
 * @returns True for `.mcp-orchestration/approvals/<64 hex>/<64 hex>.sig`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isApprovalPath } from "./approvals.ts";
 * assert.ok(isApprovalPath(`.mcp-orchestration/approvals/${"a".repeat(64)}/${"b".repeat(64)}.sig`));
 * assert.ok(!isApprovalPath(".mcp-orchestration/approvals/x/y.sig"));
 * ```
 */
export function isApprovalPath(path: string): boolean {
  return APPROVAL_PATH.test(path);
}

/**
 * Reads the statement id and key hex out of an approval file's path,
 * strictly: exactly `.mcp-orchestration/approvals/<64 hex>/<64 hex>.sig`.
 *
 * @param path A repository-relative path.
 * @returns The statement id and key hex it names.
 * @throws {ToolError} `INVALID_FORMAT` naming the path when it is not an
 * approval file's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { approvalPath, parseApprovalPath } from "./approvals.ts";
 * const name = { statementId: "a".repeat(64), keyHex: "b".repeat(64) };
 * assert.deepEqual(parseApprovalPath(approvalPath(name.statementId, name.keyHex)), name);
 * assert.throws(() => parseApprovalPath(".mcp-orchestration/approvals/A/b.sig"), { code: "INVALID_FORMAT" });
 * ```
 */
export function parseApprovalPath(path: string): ApprovalName {
  const match = APPROVAL_PATH.exec(path);
  if (!match) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid approval path "${path}": expected "${APPROVALS_DIR}/<statement id>/<key hex>${SIGNATURE_SUFFIX}", ` +
        `each id 64 lowercase hex digits`,
    );
  }
  return { statementId: match[1]!, keyHex: match[2]! };
}

/**
 * The keys that approved a statement, from a listing of repository paths
 * (a snapshot's, or `git ls-files`): every approval path for that statement.
 * Other paths are ignored.
 *
 * @param paths Repository-relative paths.
 * @param statementId The statement id.
 * @returns The key hexes, sorted and distinct.
 * @throws {ToolError} `INVALID_FORMAT` when the statement id is malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { approvalPath, approvalsIn } from "./approvals.ts";
 * const id = "a".repeat(64);
 * const paths = [approvalPath(id, "c".repeat(64)), approvalPath("d".repeat(64), "e".repeat(64)), "x"];
 * assert.deepEqual(approvalsIn(paths, id), ["c".repeat(64)]);
 * ```
 */
export function approvalsIn(
  paths: Iterable<string>,
  statementId: string,
): string[] {
  checkHex(statementId, "statement id");
  const found = new Set<string>();
  for (const path of paths) {
    const match = APPROVAL_PATH.exec(path);
    if (match && match[1] === statementId) found.add(match[2]!);
  }
  return [...found].sort();
}

/**
 * The keys whose approval files of a statement are in the working tree.
 * Names that are not `<key hex>.sig` are ignored (they can never count); a
 * symbolic link on the way is refused, as for every store folder.
 *
 * @param repo The working tree.
 * @param statementId The statement id.
 * @returns The key hexes, sorted; empty when the folder is absent.
 * @throws {ToolError} `BAD_PATH` for a symbolic link among the folders,
 * `IO` when the folder cannot be read, `INVALID_FORMAT` for a bad id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listApprovals } from "./approvals.ts";
 * const none = await listApprovals({ root: "/nonexistent", gitDir: "/nonexistent/.git" }, "a".repeat(64));
 * assert.deepEqual(none, []);
 * ```
 */
export async function listApprovals(
  repo: Repository,
  statementId: string,
): Promise<string[]> {
  const folder = approvalFolder(statementId);
  await assertRealFolders(repo, `${folder}/.`);
  let names: string[];
  try {
    names = await fs.readdir(join(repo.root, folder));
  } catch (error) {
    if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return [];
    throw new ToolError(
      "IO",
      `Cannot read "${folder}": ${describeErrno(error)}`,
      { cause: error },
    );
  }
  return approvalsIn(names.map((name) => `${folder}/${name}`), statementId);
}

/**
 * Writes approval files, all or none: the folders (real folders only), then
 * each file atomically; when one write fails, the files written before it
 * are put back as they were. Call it under the repository lock.
 *
 * @param repo The working tree.
 * @param approvals What to write.
 * @throws {ToolError} `IO` when a write fails (nothing is left changed),
 * `BAD_PATH` for a symbolic link among the folders.
 *
 * @example
 * ```ts ignore
 * await withLock(repo, () => writeApprovals(repo, [{ statementId, keyHex, signature }]));
 * ```
 */
export async function writeApprovals(
  repo: Repository,
  approvals: readonly NewApproval[],
): Promise<void> {
  // What each path held before (undefined: nothing), to undo a partial run.
  const before: [string, Uint8Array | undefined][] = [];
  const madeFolders: string[] = [];
  try {
    for (const approval of approvals) {
      const path = approvalPath(approval.statementId, approval.keyHex);
      await makeFolder(repo, approvalFolder(approval.statementId), madeFolders);
      const absolute = join(repo.root, path);
      before.push([absolute, readOrUndefined(absolute)]);
      await writeFileAtomic(absolute, approval.signature);
    }
  } catch (error) {
    for (const [absolute, bytes] of before.reverse()) {
      await (bytes === undefined
        ? fs.rm(absolute, { force: true })
        : writeFileAtomic(absolute, bytes)).catch(() => {});
    }
    for (const folder of madeFolders.reverse()) {
      await fs.rmdir(folder).catch(() => {});
    }
    throw error;
  }
}

/**
 * Removes every approval of a statement from the working tree (its whole
 * folder), when a new statement replaces it: an approval says yes to one
 * statement's bytes, never to the next version. Failures are ignored, as
 * for obsolete statements: nothing points to leftovers.
 *
 * @param repo The working tree.
 * @param statementId The replaced statement's id.
 *
 * @example
 * ```ts ignore
 * await removeApprovals(repo, oldStatementId);
 * ```
 */
export async function removeApprovals(
  repo: Repository,
  statementId: string,
): Promise<void> {
  const folder = approvalFolder(statementId);
  let names: string[];
  try {
    // Never through a link: a symlinked "approvals" folder would make the
    // removal reach outside the repository.
    await assertRealFolders(repo, `${folder}/.`);
    if (!(await fs.lstat(join(repo.root, folder))).isDirectory()) return;
    names = await fs.readdir(join(repo.root, folder));
  } catch {
    return;
  }
  for (const name of names) {
    // rm never removes a folder: whatever else is in there stays.
    await fs.rm(join(repo.root, folder, name), { force: true })
      .catch(() => {});
  }
  // Each folder goes when it holds nothing any more.
  await fs.rmdir(join(repo.root, folder)).catch(() => {});
  await fs.rmdir(join(repo.root, APPROVALS_DIR)).catch(() => {});
}

function readOrUndefined(absolute: string): Uint8Array | undefined {
  try {
    return readFileLimitedSync(absolute, MAX_METADATA_BYTES, {
      refuseSymlink: true,
    });
  } catch {
    return undefined;
  }
}

async function makeFolder(
  repo: Repository,
  folder: string,
  made: string[],
): Promise<void> {
  // Checked before and after creating: mkdir would follow a symlinked
  // parent, and writes must never leave the repository.
  await assertRealFolders(repo, `${folder}/.`);
  for (const path of [APPROVALS_DIR, folder]) {
    const absolute = join(repo.root, path);
    if (fs.existsSync(absolute)) continue;
    try {
      await fs.mkdir(absolute, { recursive: true });
    } catch (error) {
      throw new ToolError(
        "IO",
        `Cannot create "${path}": ${describeErrno(error)}`,
        { cause: error },
      );
    }
    made.push(absolute);
  }
  await assertRealFolders(repo, `${folder}/.`);
}

function checkHex(value: string, what: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid ${what} "${value}": expected 64 lowercase hex digits`,
    );
  }
  return value;
}
