/**
 * A snapshot of a repository's files as Git stores them: the tree of a
 * commit, or the index (what the next commit will contain). It lists
 * entries and reads them as a {@linkcode StoreReader}, so the same checks
 * that run on a working tree run on history and on staged content, reading
 * exactly the bytes Git stores (after any line-ending conversion).
 *
 * @module
 */

import { equalBytes } from "../bytes/equal_bytes.ts";
import { MAX_LINK_TARGET_BYTES } from "../constants.ts";
import { ToolError } from "../errors.ts";
import type { StoreReader } from "./store_reader.ts";
import type { GitObjects } from "./cat_file.ts";
import {
  comparePaths,
  git,
  type Repository,
  type TreeEntry,
} from "../git/repository.ts";

/** One file of a snapshot. */
export interface SnapshotEntry {
  /** Git's file mode: `100644`, `100755`, `120000` (link) or `160000` (submodule). */
  mode: string;
  /** The blob's (or submodule commit's) object id. */
  oid: string;
}

/** A commit's parents and tree. */
export interface CommitInfo {
  /** The commit's id. */
  oid: string;
  /** Its tree's id. */
  tree: string;
  /** Its parents' ids (none for a root commit, two or more for a merge). */
  parents: string[];
  /** The first line of its message. */
  subject: string;
}

/** Files of a commit or of the index, readable by path. */
export class Snapshot implements StoreReader {
  readonly #objects: GitObjects;
  /** Path → entry. */
  readonly entries: ReadonlyMap<string, SnapshotEntry>;
  #listed: TreeEntry[] | undefined;

  /**
   * Wraps a set of entries.
   *
   * @param objects Where blobs are read.
   * @param entries Path → entry.
   */
  constructor(
    objects: GitObjects,
    entries: ReadonlyMap<string, SnapshotEntry>,
  ) {
    this.#objects = objects;
    this.entries = entries;
  }

  /**
   * Lists the entries, sorted, with their kind.
   *
   * @returns Paths with `file`, `link` or `submodule`.
   */
  list(): TreeEntry[] {
    // Sorted once (the entries never change): a commit's verification
    // lists it more than once. Each caller gets its own array.
    this.#listed ??= [...this.entries].map(([path, entry]) => ({
      path,
      type: entryType(entry.mode),
    }))
      .sort((a, b) => comparePaths(a.path, b.path));
    return this.#listed.map((entry) => ({ ...entry }));
  }

  /**
   * Reads a regular file's bytes.
   *
   * @param path Repository-relative path.
   * @param maxBytes Largest size accepted.
   * @returns Its bytes, or undefined when there is no such file.
   * @throws {ToolError} `BAD_PATH` for a symbolic link or submodule.
   */
  async read(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    const type = entryType(entry.mode);
    if (type !== "file") {
      throw new ToolError(
        "BAD_PATH",
        `Refusing "${path}": it is a ${
          type === "link" ? "symbolic link" : "submodule"
        }`,
      );
    }
    const object = await this.#objects.read(entry.oid, maxBytes);
    if (!object || object.type !== "blob") {
      throw new ToolError(
        "IO",
        `Cannot read "${path}": object ${entry.oid} is missing`,
      );
    }
    return object.bytes;
  }
}

/**
 * Reads where symbolic links of a snapshot point: every request sent at once
 * (git answers them in one stream), each distinct blob read once, however
 * many links share it.
 *
 * @param objects The repository's objects.
 * @param snapshot The snapshot.
 * @param paths The links' paths.
 * @returns Each link's target text, or `null` for one over
 * {@linkcode MAX_LINK_TARGET_BYTES} (no system follows it); a path that is
 * not a link is left out.
 * @throws {ToolError} `IO` when a blob is missing.
 *
 * @example
 * ```ts ignore
 * const targets = await linkTargets(objects, snapshot, [".cursor"]);
 * ```
 */
export async function linkTargets(
  objects: GitObjects,
  snapshot: Snapshot,
  paths: readonly string[],
): Promise<Map<string, string | null>> {
  const blobs = new Map<string, Promise<string | null>>();
  const read = async (path: string, oid: string) => {
    try {
      const object = await objects.read(oid, MAX_LINK_TARGET_BYTES);
      if (object) return new TextDecoder().decode(object.bytes);
    } catch (error) {
      if (error instanceof ToolError && error.code === "INVALID_FORMAT") {
        return null;
      }
      throw error;
    }
    throw new ToolError(
      "IO",
      `Cannot read the link "${path}": object ${oid} is missing`,
    );
  };
  const pending: [string, Promise<string | null>][] = [];
  for (const path of paths) {
    const entry = snapshot.entries.get(path);
    if (!entry || entry.mode !== "120000") continue;
    let blob = blobs.get(entry.oid);
    if (!blob) {
      blob = read(path, entry.oid);
      blob.catch(() => {}); // Awaited below; not an unhandled rejection.
      blobs.set(entry.oid, blob);
    }
    pending.push([path, blob]);
  }
  const targets = new Map<string, string | null>();
  for (const [path, blob] of pending) targets.set(path, await blob);
  return targets;
}

/**
 * Reads a commit object.
 *
 * Its tree and parents are read as Git reads them ({@linkcode commitEdges}),
 * so that history is verified along the edges Git walks: a `parent` line
 * after `author` or `committer` (which `git fsck --strict` accepts) is no
 * parent, for Git nor here.
 *
 * @param objects The repository's objects.
 * @param rev Any revision git accepts (`HEAD`, a branch, an id).
 * @returns The commit's id, tree, parents and subject.
 * @throws {ToolError} `BAD_PATH` when `rev` names no commit; `IO` when its
 * tree or parent lines are malformed (Git refuses those commits too).
 *
 * @example
 * ```ts ignore
 * const head = await readCommit(objects, "HEAD");
 * ```
 */
export async function readCommit(
  objects: GitObjects,
  rev: string,
): Promise<CommitInfo> {
  const object = await objects.read(`${rev}^{commit}`, 16 * 1024 * 1024);
  if (!object) {
    throw new ToolError("BAD_PATH", `No commit "${rev}" in this repository`);
  }
  const { tree, parents } = commitEdges(object.bytes, object.oid);
  const text = new TextDecoder().decode(object.bytes);
  const headerEnd = text.indexOf("\n\n");
  return {
    oid: object.oid,
    tree,
    parents,
    subject: headerEnd < 0
      ? ""
      : (text.slice(headerEnd + 2).split("\n")[0] ?? ""),
  };
}

const TREE = new TextEncoder().encode("tree ");
const PARENT = new TextEncoder().encode("parent ");
const NEWLINE = 0x0a;

/**
 * The tree and parents of a commit object, read as Git reads them (commit.c,
 * `parse_commit_buffer`): the object starts with `tree <id>` and goes on,
 * and the parents are the `parent <id>` lines right after it. Ids may be in
 * capitals, as Git allows; they come back in lowercase.
 *
 * @param bytes The commit object's bytes.
 * @param oid Its id: ids in it are as long as this one (SHA-1 or SHA-256).
 * @returns Its tree and parents.
 * @throws {ToolError} `IO` when Git would refuse the commit: no tree line
 * first, or a malformed `parent` line among the first ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commitEdges } from "./snapshot.ts";
 *
 * const [tree, parent, later] = ["4b82", "f74e", "c0ff"].map((p) => p.padEnd(40, "0"));
 * const commit = new TextEncoder().encode(
 *   `tree ${tree}\nparent ${parent}\nauthor A <a@b> 1 +0000\n` +
 *     `committer A <a@b> 1 +0000\nparent ${later}\n\nsubject\n`,
 * );
 * assert.deepEqual(commitEdges(commit, "1".repeat(40)), { tree, parents: [parent] });
 * ```
 */
export function commitEdges(
  bytes: Uint8Array,
  oid: string,
): { tree: string; parents: string[] } {
  // Git's own checks, byte for byte and bounds included: any other reading
  // would give a commit parents here that Git does not walk, or the other
  // way round. Ids are as long as the repository's (SHA-1 or SHA-256) own.
  const hexLength = oid.length;
  const treeEnd = TREE.length + hexLength; // Where the newline must be.
  // Git also wants something after the tree line.
  const tree = bytes.length > treeEnd + 1 && startsWith(bytes, 0, TREE) &&
      bytes[treeEnd] === NEWLINE
    ? hexId(bytes, TREE.length, hexLength)
    : undefined;
  if (tree === undefined) {
    throw new ToolError(
      "IO",
      `Commit ${oid} is malformed: it does not start with "tree <id>"`,
    );
  }
  const parents: string[] = [];
  const parentEnd = PARENT.length + hexLength;
  let at = treeEnd + 1;
  // Only a line with room for "parent <id>" and more is taken as one: a
  // shorter rest ends the parents, as it does for Git, and is no error.
  while (at + parentEnd < bytes.length && startsWith(bytes, at, PARENT)) {
    const parent = hexId(bytes, at + PARENT.length, hexLength);
    // Its newline must not be the object's last byte.
    if (
      parent === undefined || bytes[at + parentEnd] !== NEWLINE ||
      bytes.length <= at + parentEnd + 1
    ) {
      throw new ToolError(
        "IO",
        `Commit ${oid} is malformed: its parent line ${
          parents.length + 1
        } is not "parent <id>"`,
      );
    }
    parents.push(parent);
    at += parentEnd + 1;
  }
  return { tree, parents };
}

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array) {
  return equalBytes(bytes.subarray(at, at + prefix.length), prefix);
}

/** `length` hex digits at `at`, in lowercase (Git reads capitals too), or undefined. */
function hexId(
  bytes: Uint8Array,
  at: number,
  length: number,
): string | undefined {
  const text = String.fromCharCode(...bytes.subarray(at, at + length));
  return text.length === length && /^[0-9a-f]+$/i.test(text)
    ? text.toLowerCase()
    : undefined;
}

/** Flattened subtrees by tree id: commits share most of their trees. */
export type TreeCache = Map<string, [string, SnapshotEntry][]>;

/**
 * The snapshot of a commit's tree.
 *
 * @param objects The repository's objects.
 * @param commit The commit (see {@linkcode readCommit}).
 * @param cache Flattened subtrees from earlier calls, reused by tree id.
 * @returns The snapshot.
 * @throws {ToolError} `IO` for a missing or malformed tree.
 *
 * @example
 * ```ts ignore
 * const snapshot = await commitSnapshot(objects, await readCommit(objects, "HEAD"), new Map());
 * ```
 */
export async function commitSnapshot(
  objects: GitObjects,
  commit: CommitInfo,
  cache: TreeCache = new Map(),
): Promise<Snapshot> {
  return new Snapshot(
    objects,
    new Map(await flattenTree(objects, commit.tree, cache)),
  );
}

/**
 * The snapshot of the index: exactly what the next commit will contain.
 *
 * @param repo The working tree (git's `GIT_INDEX_FILE` is honoured).
 * @param objects The repository's objects.
 * @returns The snapshot (stage 0 entries; a path with a conflict is absent).
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * const staged = await indexSnapshot(repo, objects);
 * ```
 */
export async function indexSnapshot(
  repo: Repository,
  objects: GitObjects,
): Promise<Snapshot> {
  const entries = new Map<string, SnapshotEntry>();
  const out = new TextDecoder().decode(
    await git(repo, ["ls-files", "-z", "-s"]),
  );
  for (const line of out.split("\0")) {
    // "<mode> <oid> <stage>\t<path>"
    const match = /^(\d{6}) ([0-9a-f]+) (\d)\t([\s\S]+)$/.exec(line);
    if (!match || match[3] !== "0") continue;
    entries.set(match[4] as string, {
      mode: match[1] as string,
      oid: match[2] as string,
    });
  }
  return new Snapshot(objects, entries);
}

function entryType(mode: string): TreeEntry["type"] {
  return mode === "120000" ? "link" : mode === "160000" ? "submodule" : "file";
}

// Subtrees of one folder requested ahead of the one being read.
const SUBTREES_AHEAD = 256;

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const KNOWN_MODES = new Set(["040000", "100644", "100755", "120000", "160000"]);

async function flattenTree(
  objects: GitObjects,
  oid: string,
  cache: TreeCache,
): Promise<[string, SnapshotEntry][]> {
  const cached = cache.get(oid);
  if (cached) return cached;
  const object = await objects.read(oid, 64 * 1024 * 1024);
  if (!object || object.type !== "tree") {
    throw new ToolError("IO", `Tree ${oid} is missing`);
  }
  const parsed = treeEntries(oid, object.bytes);
  // Subtrees are requested SUBTREES_AHEAD ahead of the one awaited: git
  // answers the requests one after another without a round trip each, and
  // a folder of thousands of folders does not hold thousands of pending
  // reads (their promises outlive young-generation collections, and the
  // heap grew to several times what the snapshot keeps).
  const folders = parsed.filter((entry) => entry.mode === "040000");
  const subtrees: Promise<[string, SnapshotEntry][]>[] = [];
  const request = (at: number) => {
    const folder = folders[at];
    if (!folder) return;
    const subtree = flattenTree(objects, folder.child, cache);
    subtree.catch(() => {}); // Awaited below; not an unhandled rejection.
    subtrees[at] = subtree;
  };
  for (let at = 0; at < SUBTREES_AHEAD; at++) request(at);
  const entries: [string, SnapshotEntry][] = [];
  let next = 0;
  for (const { mode, name, child } of parsed) {
    if (mode !== "040000") {
      entries.push([name, { mode, oid: child }]);
      continue;
    }
    request(next + SUBTREES_AHEAD);
    const prefix = `${name}/`;
    const subtree = subtrees[next]!;
    delete subtrees[next++];
    for (const [path, entry] of await subtree) {
      entries.push([prefix + path, entry]);
    }
  }
  cache.set(oid, entries);
  return entries;
}

/** One entry of a tree object, as parsed. */
interface TreeObjectEntry {
  /** Its mode, six digits. */
  mode: string;
  /** Its name within the tree. */
  name: string;
  /** The object id it points to, in hex. */
  child: string;
}

// Parses a tree object's entries ("<mode> <name>\0<binary id>"), as
// strictly as git fsck does.
function treeEntries(oid: string, bytes: Uint8Array): TreeObjectEntry[] {
  const idLength = oid.length / 2;
  const entries: TreeObjectEntry[] = [];
  const names = new Set<string>();
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const nul = bytes.indexOf(0x00, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idLength > bytes.length) {
      throw new ToolError("IO", `Tree ${oid} is malformed`);
    }
    const mode = modeText(bytes, at, space).padStart(6, "0");
    if (!KNOWN_MODES.has(mode)) {
      throw new ToolError("IO", `Tree ${oid} has an entry with mode "${mode}"`);
    }
    const name = entryName(oid, bytes.subarray(space + 1, nul));
    if (names.has(name)) {
      throw new ToolError("IO", `Tree ${oid} lists "${name}" twice`);
    }
    names.add(name);
    const child = hexOf(bytes, nul + 1, idLength);
    at = nul + 1 + idLength;
    entries.push({ mode, name, child });
  }
  return entries;
}

// Strict, as git fsck is: two byte-different names must never become one
// path here, and no name may walk out of its folder.
function entryName(oid: string, bytes: Uint8Array): string {
  let name: string;
  try {
    // ASCII is UTF-8 as it is; anything else through the strict decoder.
    name = bytes.length <= SHORT && isAscii(bytes)
      ? String.fromCharCode.apply(null, bytes as unknown as number[])
      : STRICT_UTF8.decode(bytes);
  } catch {
    throw new ToolError(
      "IO",
      `Tree ${oid} has an entry name that is not UTF-8`,
    );
  }
  if (
    name === "" || name === "." || name === ".." || name.includes("/") ||
    name.toLowerCase() === ".git"
  ) {
    throw new ToolError(
      "IO",
      `Tree ${oid} has a forbidden entry name "${name}"`,
    );
  }
  return name;
}

// Bytes below 0x80 only.
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

// Names up to this many bytes are turned into text without a decoder.
const SHORT = 128;
const TEXT = new TextDecoder();

// A mode's text: octal digits as they are, anything else as a decoder
// reads it (for the message that refuses it).
function modeText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 7) return TEXT.decode(bytes.subarray(start, end));
  let text = "";
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte < 0x30 || byte > 0x37) {
      return TEXT.decode(bytes.subarray(start, end));
    }
    text += String.fromCharCode(byte);
  }
  return text;
}

const HEX_DIGITS = Array.from(
  { length: 256 },
  (_, byte) => byte.toString(16).padStart(2, "0"),
);

// `length` bytes from `start` as lowercase hex.
function hexOf(bytes: Uint8Array, start: number, length: number): string {
  let hex = "";
  for (let i = start; i < start + length; i++) hex += HEX_DIGITS[bytes[i]!];
  return hex;
}
