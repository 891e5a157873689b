/**
 * File operations with the guarantees a signing tool owes its users: writes
 * are atomic (temporary file, flush, rename), reads are bounded, a file is
 * opened one way ({@linkcode openRegularFile}: checked on its handle, never
 * waiting on a FIFO), and symbolic links are refused where following one
 * would sign or trust the wrong file.
 *
 * Reads are synchronous, and say so: a verify reads three small files per
 * config, and one system call each is about five times faster than a trip
 * through the runtime's thread pool per call.
 *
 * @module
 */

import { dirname, join } from "node:path";
import {
  fileSystem as fs,
  type Stats,
  type SyncReadHandle,
} from "../_runtime/file_system.ts";
import { ToolError } from "../errors.ts";

// Whether opening with O_NOFOLLOW refuses a symbolic link (natively under
// Node on POSIX systems, emulated under Deno).
const NATIVE_NOFOLLOW = (fs.constants.O_NOFOLLOW ?? 0) !== 0;

/** Options for {@linkcode writeFileAtomic}. */
export interface WriteOptions {
  /** File mode of the new file (default 0o644, reduced by the umask). */
  mode?: number;
  /** Refuse to replace an existing file (the rename still is atomic). */
  noReplace?: boolean;
}

/**
 * Writes a file atomically: the bytes go to a temporary file in the same
 * folder, are flushed to disk, and the file is renamed into place, so a crash
 * leaves either the old file or the new one, never a half-written one.
 *
 * @param path Destination path.
 * @param data Bytes or text (UTF-8).
 * @param options Mode, and whether replacing is refused.
 * @throws {ToolError} `IO` when the write fails, `KEY_EXISTS` never (see `noReplace`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./files.ts";
 * import { mkdtemp, readFile, rm } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await writeFileAtomic(join(dir, "a.txt"), "hello\n");
 * assert.ok((await readFile(join(dir, "a.txt"), "utf8")) === "hello\n");
 * await rm(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: WriteOptions = {},
): Promise<void> {
  const temp = join(
    dirname(path),
    `.${basenameOf(path)}.tmp-${randomSuffix()}`,
  );
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  try {
    const handle = await fs.open(temp, "wx", options.mode ?? 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.noReplace) {
      // link() fails if the destination exists, unlike rename(): this is the
      // atomic "create only" that keeps an existing key from being replaced.
      await fs.link(temp, path);
      await fs.unlink(temp);
    } else {
      await fs.rename(temp, path);
    }
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => {});
    if (isErrno(error, "EEXIST")) throw error;
    throw new ToolError(
      "IO",
      `Cannot write "${path}": ${describeErrno(error)}`,
      { cause: error },
    );
  }
}

/** Options for {@linkcode readFileLimitedSync} and {@linkcode openRegularFile}. */
export interface ReadOptions {
  /** Refuse a symbolic link at `path` instead of following it. */
  refuseSymlink?: boolean;
  /** Name shown in errors instead of the path (e.g. a repository-relative one). */
  displayName?: string;
}

/**
 * Reads a regular file of at most `maxBytes` bytes.
 *
 * @param path File to read.
 * @param maxBytes Largest size accepted.
 * @param options Symlink policy and the name used in errors.
 * @returns The file's bytes, or `undefined` if it does not exist.
 * @throws {ToolError} `BAD_PATH` for a symlink (when refused) or a non-file,
 * `INVALID_FORMAT` when too large, `IO` when unreadable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileLimitedSync } from "./files.ts";
 * assert.ok(readFileLimitedSync("/nonexistent/x", 10) === undefined);
 * ```
 */
export function readFileLimitedSync(
  path: string,
  maxBytes: number,
  options: ReadOptions = {},
): Uint8Array | undefined {
  const name = options.displayName ?? path;
  const opened = openRegularFile(path, options);
  if (opened === undefined) return undefined;
  const { handle, stats } = opened;
  try {
    if (stats.size > maxBytes) {
      throw new ToolError(
        "INVALID_FORMAT",
        `Cannot read "${name}": ${stats.size} bytes is over the limit of ${maxBytes} bytes`,
      );
    }
    return readToLimit(handle, maxBytes, name, stats.size);
  } finally {
    handle.close();
  }
}

/** Options for {@linkcode openRegularFile}. */
export interface OpenOptions extends ReadOptions {
  /**
   * How errors name the file, whole (e.g. `the key "/x"`); default: the
   * display name in quotes.
   */
  label?: string;
}

/** A regular file open for reading, and its status taken on the handle. */
export interface OpenedFile {
  /** The open file; the caller closes it. */
  handle: SyncReadHandle;
  /** Its status, from the handle (`fstat`): a regular file's. */
  stats: Stats;
}

/**
 * Opens a regular file for reading, the one way the tool opens a file it
 * reads: without waiting on a FIFO or device at the path (`O_NONBLOCK`; it
 * is refused as not a regular file), optionally refusing a symbolic link
 * (`O_NOFOLLOW`, or where the runtime has none, an `lstat` and the same
 * file checked after the open), and with the type checked on the open
 * handle, so the file checked is the file read.
 *
 * @param path The file.
 * @param options Symlink policy and how errors name the file.
 * @returns The open file and its status, or `undefined` when the path or a
 * parent folder does not exist.
 * @throws {ToolError} `BAD_PATH` for a symbolic link (when refused), a path
 * replaced while being opened, or a non-file; `IO` when it cannot be opened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openRegularFile } from "./files.ts";
 * assert.equal(openRegularFile("/nonexistent/x"), undefined);
 * assert.throws(() => openRegularFile("/dev/null"), /not a regular file/);
 * ```
 */
export function openRegularFile(
  path: string,
  options: OpenOptions = {},
): OpenedFile | undefined {
  const label = options.label ?? `"${options.displayName ?? path}"`;
  // Where the runtime has no O_NOFOLLOW (Windows), lstat first, and after
  // the open check that we hold the very file lstat saw. Elsewhere the open
  // refuses a link itself (under Deno, src/_runtime/file_system.ts emulates
  // O_NOFOLLOW with the same two checks), and a second lstat would only cost
  // a system call per file read.
  let seen: FileIdentity | undefined;
  if (options.refuseSymlink && !NATIVE_NOFOLLOW) {
    const identity = lstatNotLink(path, label);
    if (identity === null) return undefined;
    seen = identity;
  }
  const handle = openForReading(path, label, options.refuseSymlink === true);
  if (!handle) return undefined;
  return checkOpened(handle, label, seen);
}

// Which file a path named: device and inode.
interface FileIdentity {
  dev: number;
  ino: number;
}

// The identity of the file at `path`, null when it or a parent folder does
// not exist; refuses a symbolic link.
function lstatNotLink(path: string, label: string): FileIdentity | null {
  try {
    const info = fs.lstatSync(path);
    if (info.isSymbolicLink()) {
      throw new ToolError(
        "BAD_PATH",
        `Refusing ${label}: it is a symbolic link`,
      );
    }
    return { dev: info.dev, ino: info.ino };
  } catch (error) {
    if (error instanceof ToolError) throw error;
    if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) {
      return null;
    }
    throw new ToolError(
      "IO",
      `Cannot read ${label}: ${describeErrno(error)}`,
      { cause: error },
    );
  }
}

// Opens read-only without blocking, and without following a link when
// `refuseSymlink`; undefined when the path or a parent folder does not exist.
function openForReading(
  path: string,
  label: string,
  refuseSymlink: boolean,
): SyncReadHandle | undefined {
  try {
    // O_NOFOLLOW where the runtime has it; the inode check in checkOpened
    // covers the others. O_NONBLOCK: a FIFO at the path must not hang the
    // open; checkOpened refuses it as not a regular file. Regular files
    // ignore the flag.
    const flags = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) |
      (refuseSymlink ? fs.constants.O_NOFOLLOW ?? 0 : 0);
    return fs.openReadSync(path, flags);
  } catch (error) {
    if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return undefined;
    if (isErrno(error, "ELOOP")) {
      throw new ToolError(
        "BAD_PATH",
        `Refusing ${label}: it is a symbolic link`,
        { cause: error },
      );
    }
    throw new ToolError(
      "IO",
      `Cannot read ${label}: ${describeErrno(error)}`,
      { cause: error },
    );
  }
}

// Checks on the open handle that it is the file lstat saw (when it looked)
// and a regular file; closes the handle when it is not.
function checkOpened(
  handle: SyncReadHandle,
  label: string,
  seen: FileIdentity | undefined,
): OpenedFile {
  try {
    const stats = handle.stat();
    if (seen && (stats.dev !== seen.dev || stats.ino !== seen.ino)) {
      throw new ToolError(
        "BAD_PATH",
        `Refusing ${label}: it was replaced (by a symbolic link?) while being read`,
      );
    }
    if (!stats.isFile()) {
      throw new ToolError(
        "BAD_PATH",
        `Cannot read ${label}: not a regular file`,
      );
    }
    return { handle, stats };
  } catch (error) {
    handle.close();
    if (error instanceof ToolError) throw error;
    throw new ToolError(
      "IO",
      `Cannot read ${label}: ${describeErrno(error)}`,
      { cause: error },
    );
  }
}

/**
 * Reads an open file to its end, refusing more than `maxBytes` bytes: it
 * reads one byte past the limit, so a file that grew after a size check is
 * caught too.
 *
 * @param handle An open file.
 * @param maxBytes Largest size accepted.
 * @param name The file's name in errors.
 * @param sizeHint The size the file is expected to have (a first buffer
 * of that size plus one byte is allocated).
 * @returns The bytes.
 * @throws {ToolError} `INVALID_FORMAT` when the file is larger; `IO` when
 * it cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openRegularFile, readToLimit } from "./files.ts";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await writeFile(join(dir, "a"), "abc");
 * const opened = openRegularFile(join(dir, "a"));
 * assert.ok(opened);
 * assert.throws(() => readToLimit(opened.handle, 2, "a"), /over the limit/);
 * opened.handle.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export function readToLimit(
  handle: SyncReadHandle,
  maxBytes: number,
  name: string,
  sizeHint = 64 * 1024,
): Uint8Array {
  const buffer = new LimitedBuffer(maxBytes, sizeHint);
  try {
    for (let free = buffer.free(); free; free = buffer.free()) {
      const bytesRead = handle.read(free, 0, free.length);
      if (bytesRead === 0) break;
      buffer.filled(bytesRead);
    }
  } catch (error) {
    throw new ToolError(
      "IO",
      `Cannot read "${name}": ${describeErrno(error)}`,
      { cause: error },
    );
  }
  return buffer.bytes(name);
}

// A buffer for reading a file of unknown length up to a limit: sized from
// the expected size (fstat's), not the limit (a verify reads tens of
// thousands of small files, and zero-filling a limit-sized buffer for each
// cost more than everything else), grown if the file did, and holding at
// most one byte past the limit, so a file that grew after a size check is
// caught too.
class LimitedBuffer {
  #buffer: Uint8Array;
  #length = 0;
  readonly #maxBytes: number;

  constructor(maxBytes: number, sizeHint: number) {
    this.#maxBytes = maxBytes;
    this.#buffer = new Uint8Array(
      Math.min(Math.max(sizeHint, 0), maxBytes) + 1,
    );
  }

  // Where the next read goes; undefined once a byte past the limit is held.
  free(): Uint8Array | undefined {
    if (this.#length === this.#buffer.length) {
      if (this.#buffer.length > this.#maxBytes) return undefined;
      const larger = new Uint8Array(
        Math.min(this.#buffer.length * 2, this.#maxBytes + 1),
      );
      larger.set(this.#buffer);
      this.#buffer = larger;
    }
    return this.#buffer.subarray(this.#length);
  }

  filled(bytesRead: number): void {
    this.#length += bytesRead;
  }

  bytes(name: string): Uint8Array {
    if (this.#length > this.#maxBytes) {
      throw new ToolError(
        "INVALID_FORMAT",
        `Cannot read "${name}": over the limit of ${this.#maxBytes} bytes`,
      );
    }
    return this.#buffer.slice(0, this.#length);
  }
}

/**
 * Tells whether something is at a path, a symbolic link itself (dangling or
 * not) included.
 *
 * @param path The path.
 * @returns False when the path or a parent folder does not exist.
 * @throws {ToolError} `IO` when it cannot tell (e.g. `EACCES`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exists } from "./files.ts";
 * assert.equal(await exists("/nonexistent/x"), false);
 * assert.equal(await exists("/"), true);
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (error) {
    return absent(path, error);
  }
}

/**
 * Tells whether something is at a path, as {@linkcode exists} does, with a
 * synchronous `lstat`: checking thousands of paths one after another, each
 * asynchronous call costs a round trip through the runtime's thread pool.
 *
 * @param path The path.
 * @returns False when the path or a parent folder does not exist.
 * @throws {ToolError} `IO` when it cannot tell (e.g. `EACCES`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { existsSync } from "./files.ts";
 * assert.equal(existsSync("/nonexistent/x"), false);
 * assert.equal(existsSync("/"), true);
 * ```
 */
export function existsSync(path: string): boolean {
  try {
    fs.lstatSync(path);
    return true;
  } catch (error) {
    return absent(path, error);
  }
}

// What exists and existsSync make of a failed lstat: nothing there, or an
// error naming the path.
function absent(path: string, error: unknown): false {
  if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return false;
  throw new ToolError(
    "IO",
    `Cannot read "${path}": ${describeErrno(error)}`,
    { cause: error },
  );
}

/**
 * Tells whether a caught value is a Node-style error with the given `code`.
 *
 * @param error A caught value.
 * @param code An errno name such as `"ENOENT"`.
 * @returns True when `error.code === code`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isErrno } from "./files.ts";
 * assert.ok(isErrno(Object.assign(new Error("x"), { code: "ENOENT" }), "ENOENT"));
 * ```
 */
export function isErrno(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null &&
    (error as { code?: unknown }).code === code;
}

/**
 * Describes a file-system error briefly, without the path Node repeats.
 *
 * @param error A caught value.
 * @returns A short description such as "permission denied".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeErrno } from "./files.ts";
 * assert.ok(describeErrno(Object.assign(new Error("x"), { code: "EACCES" })) === "permission denied");
 * ```
 */
export function describeErrno(error: unknown): string {
  const code = typeof error === "object" && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
  const known: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    ENOENT: "no such file or folder",
    EISDIR: "is a folder",
    ENOTDIR: "a parent is not a folder",
    ENOSPC: "no space left on device",
    EROFS: "read-only file system",
    EEXIST: "already exists",
  };
  if (typeof code === "string" && known[code]) return known[code];
  return error instanceof Error ? error.message : String(error);
}

function basenameOf(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? "file";
}

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
