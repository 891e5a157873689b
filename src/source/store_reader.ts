/**
 * How a source's files are read: one interface for the working tree and for
 * Git objects, so that the same checks run on both, and the working tree's
 * reader, which never follows a symbolic link.
 *
 * @module
 */

import { join } from "node:path";
import { readFileLimitedSync } from "../fs/files.ts";
import { assertRealFolders, type Repository } from "../git/repository.ts";

/** Reads repository-relative files from somewhere: a working tree, a commit. */
export interface StoreReader {
  /**
   * Reads a file.
   *
   * @param path Repository-relative path.
   * @param maxBytes Largest size accepted.
   * @returns Its bytes, or undefined when absent.
   */
  read(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /**
   * Lists the paths beside the files read, when the reader can: the
   * verifier then also checks the names around a config's servers (a file
   * a bare command finds first on Windows, a server file's case twin).
   */
  list?(): readonly { path: string }[] | Promise<readonly { path: string }[]>;
  /**
   * Lists only the paths whose canonical folder (each segment as
   * `canonicalName` gives it) is one of `folders`, or is one of `below` or
   * inside one (a glob's `**`), when the reader can: what
   * those checks can object to. A reader that remembers results (history
   * verification) then ties a result only to those paths, not to every
   * path of the snapshot.
   */
  listIn?(
    folders: ReadonlySet<string>,
    below?: ReadonlySet<string>,
  ): Promise<readonly string[]>;
}

/**
 * A reader over a working tree; it never follows a symbolic link.
 *
 * @param repo The working tree.
 * @returns A reader of its files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workingTreeReader } from "./store_reader.ts";
 * const reader = workingTreeReader({ root: "/nonexistent", gitDir: "/nonexistent/.git" });
 * assert.ok((await reader.read("x", 10)) === undefined);
 * ```
 */
export function workingTreeReader(repo: Repository): StoreReader {
  // Each folder is checked once per reader (one command's run), not once per
  // file: a verify reads three files per config from the same two folders.
  const checked = new Set<string>();
  return {
    read: async (path, maxBytes) => {
      // A symlinked ".mcp-orchestration" or "statements" folder would make
      // the store whatever the link points to.
      await assertRealFolders(repo, path, checked);
      return readFileLimitedSync(join(repo.root, path), maxBytes, {
        refuseSymlink: true,
        displayName: path,
      });
    },
  };
}
