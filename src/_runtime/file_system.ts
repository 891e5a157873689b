/**
 * The file-system calls the tool makes, as one object shaped like the subset
 * of `node:fs/promises` it uses. Under Node it is Node's own `node:fs`.
 * Under Deno it is built on `Deno.*`, because the first import of `node:fs`
 * there starts Deno's Node compatibility layer, some 25 ms that every Git
 * hook run would pay.
 *
 * Under Deno the results are shaped as Node's: {@linkcode Stats} with its
 * methods, directory listings sorted as Node sorts them, and errors whose
 * `code` is Node's (`"ENOENT"`, `"EEXIST"`, `"ELOOP"`, …), which Deno's
 * errors mostly carry already.
 *
 * `Deno.open` takes no flags of its own, so two are emulated:
 *
 * - `O_NOFOLLOW`: the path is `lstat`ed first, and a symbolic link fails with
 *   `ELOOP`, as under Node. After the open, the file opened must be the one
 *   `lstat` saw (same device and inode), else the open fails with `ELOOP`
 *   too: the path changed in between, perhaps into a link that was followed.
 * - `O_NONBLOCK`: the path is `stat`ed (`lstat`ed with `O_NOFOLLOW`) first,
 *   and a FIFO or character device is not opened at all, since opening one
 *   can block until another process opens its other end. The handle
 *   returned answers `stat()` with what was seen, reads as empty, as a FIFO
 *   without a writer does, and closes without effect; every caller checks
 *   `stat().isFile()` and refuses it, as it does under Node.
 *
 * What remains under Deno: a FIFO swapped in between that `stat` and the
 * open makes the open wait until some process opens the FIFO for writing,
 * unbounded (the open is a blocking call; Ctrl-C ends it). Only a
 * process that can rename files in that folder can do it, and the file
 * opened is still checked on its handle, so the worst it achieves is a hang,
 * never a wrong file read. Under Node the open is atomic.
 *
 * @module
 */

import { deno as denoNamespace, nodeBuiltin } from "./runtime.ts";

/** What `stat`, `lstat` and {@linkcode FileHandle.stat} return. */
export interface Stats {
  /** Whether it is a regular file. */
  isFile(): boolean;
  /** Whether it is a folder. */
  isDirectory(): boolean;
  /** Whether it is a symbolic link (only ever true from `lstat`). */
  isSymbolicLink(): boolean;
  /** Device number. */
  dev: number;
  /** Inode number (0 where the runtime has none). */
  ino: number;
  /** Type and permission bits, as `st_mode`. */
  mode: number;
  /** Size in bytes. */
  size: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
}

/** A new file open for writing, as `node:fs/promises`' `FileHandle`. */
export interface FileHandle {
  /** Writes all of `data` (text as UTF-8). */
  writeFile(data: Uint8Array | string): Promise<void>;
  /** Flushes the file to disk (`fsync`). */
  sync(): Promise<void>;
  /** Closes the file. */
  close(): Promise<void>;
}

/**
 * A file open for reading. Reads are synchronous calls, on both runtimes:
 * for the many small files a verify reads, one system call each instead of
 * a trip through the runtime's thread pool (about five times faster).
 */
export interface SyncReadHandle {
  /** Reads into `buffer` at `offset` from the current position; 0 at the end. */
  read(buffer: Uint8Array, offset: number, length: number): number;
  /** The open file's status (`fstat`). */
  stat(): Stats;
  /** Closes the file. */
  close(): void;
}

/** The open flags the tool uses; the last two are undefined where Node has none. */
export interface OpenConstants {
  /** Open for reading only. */
  O_RDONLY: number;
  /** Fail with `ELOOP` when the path is a symbolic link. */
  O_NOFOLLOW?: number | undefined;
  /** Do not wait in the open for a FIFO's writer. */
  O_NONBLOCK?: number | undefined;
}

/** The subset of `node:fs/promises` (and `existsSync`) the tool uses. */
export interface FileSystem {
  /** The open flags. */
  constants: OpenConstants;
  /** Whether the path exists, following links; false on any error. */
  existsSync(path: string): boolean;
  /** The status of the path itself, a link not followed. */
  lstat(path: string): Promise<Stats>;
  /** The status of what the path names, links followed. */
  stat(path: string): Promise<Stats>;
  /**
   * Creates a new file for writing (`"wx"`: `EEXIST` if the path exists,
   * even as a dangling link). Files are read through
   * {@linkcode FileSystem.openReadSync}.
   */
  open(path: string, flags: "wx", mode?: number): Promise<FileHandle>;
  /** {@linkcode FileSystem.lstat}, synchronously. */
  lstatSync(path: string): Stats;
  /**
   * The target text of a symbolic link, synchronously (one system call);
   * `EINVAL` when the path is not a link.
   */
  readlinkSync(path: string): string;
  /**
   * Opens a file for reading, synchronously: `O_RDONLY`, optionally with
   * `O_NOFOLLOW` and `O_NONBLOCK` (emulated under Deno, see the module
   * documentation).
   */
  openReadSync(path: string, flags: number): SyncReadHandle;
  /** Reads a whole file as UTF-8 (a byte order mark is kept). */
  readFile(path: string, encoding: "utf8"): Promise<string>;
  /** Creates a folder and its missing parents. */
  mkdir(
    path: string,
    options: { recursive: true; mode?: number },
  ): Promise<unknown>;
  /** Renames, replacing the destination. */
  rename(from: string, to: string): Promise<void>;
  /** Makes a hard link; `EEXIST` if `to` exists. */
  link(from: string, to: string): Promise<void>;
  /** Removes a file or link (never a folder: `EISDIR`). */
  unlink(path: string): Promise<void>;
  /** Removes a file or link; `force` ignores a missing one; never a folder. */
  rm(path: string, options?: { force?: boolean }): Promise<void>;
  /** Removes an empty folder (never a file: `ENOTDIR`; `ENOTEMPTY` when not empty). */
  rmdir(path: string): Promise<void>;
  /** The absolute path with every link resolved. */
  realpath(path: string): Promise<string>;
  /** The names in a folder, sorted by their UTF-8 bytes (as Node does). */
  readdir(path: string): Promise<string[]>;
  /** Changes the permission bits, following links. */
  chmod(path: string, mode: number): Promise<void>;
}

type DenoFs = typeof Deno;

// Linux's values; under Deno only our own open() reads them.
const DENO_CONSTANTS = {
  O_RDONLY: 0,
  O_NONBLOCK: 0o4000,
  O_NOFOLLOW: 0o400000,
} as const;

/**
 * The file system, as {@linkcode FileSystem}: `node:fs` under Node, `Deno.*`
 * under Deno.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileSystem } from "./file_system.ts";
 * await assert.rejects(fileSystem.lstat("/nonexistent/x"), { code: "ENOENT" });
 * ```
 */
export const fileSystem: FileSystem = createFileSystem();

function createFileSystem(): FileSystem {
  return denoNamespace ? denoFileSystem(denoNamespace) : nodeFileSystem();
}

function nodeFileSystem(): FileSystem {
  const fs = nodeBuiltin<typeof import("node:fs")>("node:fs");
  const promises = fs.promises;
  return {
    constants: fs.constants,
    existsSync: fs.existsSync,
    lstat: promises.lstat,
    stat: promises.stat,
    open: promises.open,
    lstatSync: fs.lstatSync,
    readlinkSync: (path) => fs.readlinkSync(path),
    openReadSync(path, flags) {
      const fd = fs.openSync(path, flags);
      return {
        read: (buffer, offset, length) =>
          fs.readSync(fd, buffer, offset, length, null),
        stat: () => fs.fstatSync(fd),
        close: () => fs.closeSync(fd),
      };
    },
    readFile: promises.readFile,
    mkdir: promises.mkdir,
    rename: promises.rename,
    link: promises.link,
    unlink: promises.unlink,
    rm: promises.rm,
    rmdir: (path) => promises.rmdir(path),
    realpath: promises.realpath,
    readdir: promises.readdir,
    chmod: promises.chmod,
  };
}

function denoFileSystem(deno: DenoFs): FileSystem {
  const nodeCode = (error: unknown) => withNodeCode(deno, error);
  return {
    constants: DENO_CONSTANTS,
    existsSync(path) {
      try {
        deno.statSync(path);
        return true;
      } catch {
        return false;
      }
    },
    lstat: (path) => deno.lstat(path).then(toStats, nodeCode),
    stat: (path) => deno.stat(path).then(toStats, nodeCode),
    open: (path, _flags, mode) =>
      deno.open(path, { write: true, createNew: true, mode: mode ?? 0o666 })
        .then((file) => new DenoFileHandle(file), nodeCode),
    lstatSync(path) {
      try {
        return toStats(deno.lstatSync(path));
      } catch (error) {
        return nodeCode(error);
      }
    },
    readlinkSync(path) {
      try {
        return deno.readLinkSync(path);
      } catch (error) {
        return nodeCode(error);
      }
    },
    openReadSync(path, flags) {
      try {
        return openReadSyncWithDeno(deno, path, flags);
      } catch (error) {
        return nodeCode(error);
      }
    },
    readFile: (path) =>
      deno.readFile(path).then(
        // Node keeps a byte order mark; TextDecoder drops it unless told.
        (bytes) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes),
        nodeCode,
      ),
    mkdir: (path, options) => deno.mkdir(path, options).catch(nodeCode),
    rename: (from, to) => deno.rename(from, to).catch(nodeCode),
    link: (from, to) => deno.link(from, to).catch(nodeCode),
    unlink: (path) => removeFile(deno, path, "unlink").catch(nodeCode),
    rm: (path, options = {}) =>
      removeFile(deno, path, "rm").catch((error) => {
        if (options.force && isNotFound(deno, error)) return;
        nodeCode(error);
      }),
    rmdir: (path) => removeFolder(deno, path).catch(nodeCode),
    realpath: (path) => deno.realPath(path).catch(nodeCode),
    readdir: (path) => readdirWithDeno(deno, path).catch(nodeCode),
    chmod: (path, mode) => deno.chmod(path, mode).catch(nodeCode),
  };
}

function openReadSyncWithDeno(
  deno: DenoFs,
  path: string,
  flags: number,
): SyncReadHandle {
  const opened = openCheckedWithDeno(deno, path, flags);
  if ("unopened" in opened) {
    const stats = opened.unopened;
    return { read: () => 0, stat: () => stats, close: () => {} };
  }
  const file = opened.file;
  let kept = opened.kept;
  let closed = false;
  return {
    read: (buffer, offset, length) =>
      file.readSync(buffer.subarray(offset, offset + length)) ?? 0,
    stat: () => {
      const stats = kept ?? toStats(file.statSync());
      kept = undefined;
      return stats;
    },
    close: () => {
      if (!closed) {
        closed = true;
        file.close();
      }
    },
  };
}

// Opens for reading with O_NOFOLLOW and O_NONBLOCK emulated (see the module
// documentation). Returns the open file with the
// stat that checked it, or, for a FIFO or device under O_NONBLOCK, its stat
// without opening it.
function openCheckedWithDeno(
  deno: DenoFs,
  path: string,
  flags: number,
): { file: Deno.FsFile; kept?: Stats } | { unopened: Stats } {
  const { O_NOFOLLOW, O_NONBLOCK } = DENO_CONSTANTS;
  if ((flags & ~(O_NOFOLLOW | O_NONBLOCK)) !== 0) {
    throw new TypeError(`Unsupported open flags: 0o${flags.toString(8)}`);
  }
  const noFollow = (flags & O_NOFOLLOW) !== 0;
  const seen = noFollow
    ? deno.lstatSync(path)
    : (flags & O_NONBLOCK) !== 0
    ? deno.statSync(path)
    : undefined;
  if (seen?.isSymlink) throw errnoError("ELOOP", "open", path);
  if (
    seen && (flags & O_NONBLOCK) !== 0 && (seen.isFifo || seen.isCharDevice)
  ) {
    return { unopened: toStats(seen) };
  }
  const file = deno.openSync(path, { read: true });
  if (!seen || !noFollow) return { file };
  try {
    const kept = toStats(file.statSync());
    if (kept.dev !== seen.dev || kept.ino !== (seen.ino ?? 0)) {
      // The path changed between lstat and open: it may have become a link
      // that the open followed. Refused, as a link would be.
      throw errnoError(
        "ELOOP",
        "open",
        path,
        "it changed while being opened, perhaps into a symbolic link",
      );
    }
    return { file, kept };
  } catch (error) {
    file.close();
    throw error;
  }
}

// Node's unlink() and rm() (without `recursive`) never remove a folder;
// Deno.remove() removes an empty one.
async function removeFile(
  deno: DenoFs,
  path: string,
  syscall: "unlink" | "rm",
): Promise<void> {
  if ((await deno.lstat(path)).isDirectory) {
    throw syscall === "unlink"
      ? errnoError("EISDIR", "unlink", path)
      : Object.assign(
        new Error(
          `Path is a directory: rm returned EISDIR (is a directory) ${path}`,
        ),
        { code: "ERR_FS_EISDIR", path },
      );
  }
  await deno.remove(path);
}

// Deno.remove without "recursive" removes a file too: rmdir never does.
async function removeFolder(deno: DenoFs, path: string): Promise<void> {
  if (!(await deno.lstat(path)).isDirectory) {
    throw errnoError("ENOTDIR", "rmdir", path);
  }
  await deno.remove(path);
}

async function readdirWithDeno(deno: DenoFs, path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of deno.readDir(path)) names.push(entry.name);
  // libuv sorts with strcmp(), so Node lists in UTF-8 byte order.
  const encoder = new TextEncoder();
  const keyed = names.map((name) => ({ name, bytes: encoder.encode(name) }));
  keyed.sort((a, b) => compareBytes(a.bytes, b.bytes));
  return keyed.map((entry) => entry.name);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

class DenoFileHandle implements FileHandle {
  #file: Deno.FsFile;
  #closed = false;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  async writeFile(data: Uint8Array | string): Promise<void> {
    let bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    while (bytes.length > 0) {
      bytes = bytes.subarray(await this.#file.write(bytes));
    }
  }

  async sync(): Promise<void> {
    await this.#file.sync();
  }

  close(): Promise<void> {
    // Node's close() may be called twice; Deno's throws the second time.
    if (!this.#closed) {
      this.#closed = true;
      this.#file.close();
    }
    return Promise.resolve();
  }
}

function toStats(info: Deno.FileInfo): Stats {
  return {
    isFile: () => info.isFile,
    isDirectory: () => info.isDirectory,
    isSymbolicLink: () => info.isSymlink,
    dev: info.dev,
    ino: info.ino ?? 0,
    mode: info.mode ?? 0,
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
  };
}

const NODE_CODES: Record<string, string> = {
  NotFound: "ENOENT",
  AlreadyExists: "EEXIST",
  PermissionDenied: "EACCES",
  NotADirectory: "ENOTDIR",
  IsADirectory: "EISDIR",
  FilesystemLoop: "ELOOP",
};

// Deno's errors from the operating system carry Node's `code` already; give
// the few that may not have one theirs (NotCapable, a missing permission,
// has none under Node-on-Deno either).
function withNodeCode(deno: DenoFs, error: unknown): never {
  if (
    error instanceof Error && (error as { code?: unknown }).code === undefined
  ) {
    for (const [name, code] of Object.entries(NODE_CODES)) {
      const type = (deno.errors as unknown as Record<string, unknown>)[name];
      if (typeof type === "function" && error instanceof type) {
        Object.defineProperty(error, "code", { value: code });
        break;
      }
    }
  }
  throw error;
}

function isNotFound(deno: DenoFs, error: unknown): boolean {
  return error instanceof deno.errors.NotFound ||
    (error as { code?: unknown } | null)?.code === "ENOENT";
}

const NODE_MESSAGES: Record<string, string> = {
  ELOOP: "too many symbolic links encountered",
  EISDIR: "illegal operation on a directory",
};

function errnoError(
  code: string,
  syscall: string,
  path: string,
  detail = NODE_MESSAGES[code] ?? code,
): Error {
  return Object.assign(
    new Error(`${code}: ${detail}, ${syscall} '${path}'`),
    { code, syscall, path },
  );
}
