/**
 * Reads ahead, in one stream, the objects a walk of a range of commits will
 * ask for: `git rev-list --objects` names each commit's new trees and blobs
 * (oldest commit first, each followed by its objects), and a second
 * `git cat-file --batch --buffer` reads them into a bounded store that
 * `GitObjects` (cat_file.ts) takes from. Verifying a thousand commits otherwise
 * asks git for twelve thousand objects one small request at a time, each a
 * write, a wake-up of git and three writes back.
 *
 * Only a hint: an object is kept under the id git reports for it (as every
 * read through `GitObjects` is), nothing is decided from the list,
 * and an object not read ahead, or not yet, is read the usual way. A failure
 * of either process (an old git, a range it refuses) ends the read-ahead and
 * nothing else.
 *
 * @module
 */

import { type PipedProcess, spawnPiped } from "../_runtime/process.ts";
import type { Repository } from "../git/repository.ts";
import { ByteQueue } from "./byte_queue.ts";
import type { GitObject } from "./git_object.ts";

/** Options for {@linkcode ObjectPrefetch.start}. */
export interface PrefetchOptions {
  /**
   * Whether a blob at this path (the first path `rev-list` saw it at) is
   * worth reading ahead. Trees are always read (every new tree of a commit
   * is walked); other blobs (a project's sources) are left to be read, if
   * ever, when asked for.
   */
  keep: (path: string) => boolean;
  /** Bytes of unread objects held at most (default 1 MiB). */
  maxBytes?: number;
  /**
   * How many commits behind the furthest one it has taken objects of the
   * reader may still take objects (default 0: those of that commit only).
   * A reader that walks several commits at once (history reads the trees
   * of the next ones while it verifies one) says how many here; objects of
   * commits further behind are passed over when the store is full.
   */
  behindCommits?: number;
}

// Objects larger than this are not read ahead (a snapshot's trees and store
// files are far smaller): they would crowd out the rest of the store.
const MAX_OBJECT_BYTES = 64 * 1024;
// Git reads far faster than a commit is verified: a small store keeps it
// fed. Objects that wait long in a larger one outlive young-generation
// collections (4 MiB: ~10 MB more heap over 1,000 commits); a smaller one
// (256 KiB) pauses and wakes the reader so often that the gain shrinks.
const DEFAULT_MAX_BYTES = 1024 * 1024;
// The longest rev-list line read (an id, a space and a path of 4,096
// characters, a system's longest path). rev-list prints each object's whole
// path: a chain of folders with long names lists more bytes than its trees
// hold, by the chain's depth (600 folders of 4,000-character names: a
// 57 KiB push, 720 MB of lines, each up to 2.4 MB built from 64 KiB
// chunks). A longer line ends the read-ahead.
const MAX_LINE_CHARS = 64 + 1 + 4096;
const HEADER_TEXT = new TextDecoder();

/**
 * A read-ahead of a range's objects.
 *
 * @example
 * ```ts ignore
 * const ahead = ObjectPrefetch.start(repo, ["main..feature"], { keep: () => true });
 * const tree = await ahead.take(treeId); // undefined: read it yourself
 * await ahead.close();
 * ```
 */
export class ObjectPrefetch {
  readonly #maxBytes: number;
  readonly #behindCommits: number;
  readonly #keep: (path: string) => boolean;
  readonly #revList: PipedProcess;
  readonly #catFile: PipedProcess;
  readonly #ids: ReadableStreamDefaultReader<Uint8Array>;
  readonly #answers: ReadableStreamDefaultReader<Uint8Array>;
  /**
   * Read, not taken yet: id → object and the commit it came with (its
   * place among the range's commits, in stream order).
   */
  readonly #store = new Map<string, { object: GitObject; commit: number }>();
  #storedBytes = 0;
  /** Asked of git, not answered yet, with whoever waits for each. */
  readonly #asked = new Map<
    string,
    ((object: GitObject | undefined) => void)[]
  >();
  /** Callers waiting in `#asked` (the store's bound is lifted for them). */
  #waiters = 0;
  /** The furthest commit (see #store) an object was taken of. */
  #takenCommit = -1;
  /** The commit of each id sent to cat-file, in order: its answers follow it. */
  #sentCommits: number[] = [];
  #answered = 0;
  #wake: (() => void) | undefined;
  /** Closed: nothing more is read or kept. */
  #done = false;
  /** The stream ended: what is not stored by now is not coming. */
  #ended = false;
  readonly #finished: Promise<void>;

  private constructor(
    repo: Repository,
    range: readonly string[],
    options: PrefetchOptions,
  ) {
    this.#keep = options.keep;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#behindCommits = options.behindCommits ?? 0;
    // The range on standard input: a server's pre-receive range names every
    // commit it holds (`^<id>`), which on the command line stops git from
    // starting at ~50,000 refs (E2BIG). Options (`--not`, which git reads
    // there only since 2.42) and names with a line break stay arguments.
    const onStdin = range.every((arg) =>
      !arg.startsWith("-") && !/[\r\n]/.test(arg)
    );
    this.#revList = spawnPiped("git", [
      "--no-replace-objects",
      "rev-list",
      "--objects",
      "--in-commit-order",
      "--reverse",
      "--topo-order",
      // Larger blobs are not read ahead: git need not list them.
      `--filter=blob:limit=${MAX_OBJECT_BYTES}`,
      // In a partial clone, what the clone lacks is listed last, as `?<id>`
      // (not asked for), instead of fetched one object at a time (sizing
      // each blob for the filter would fetch every blob of the range).
      "--missing=print",
      ...(onStdin ? ["--stdin"] : range),
      "--",
    ], { cwd: repo.root });
    this.#catFile = spawnPiped("git", [
      "--no-replace-objects",
      "-c",
      "core.fsmonitor=false",
      "cat-file",
      "--batch",
      "--buffer",
    ], { cwd: repo.root });
    const revisions = this.#revList.stdin.getWriter();
    revisions.write(
      new TextEncoder().encode(onStdin ? range.join("\n") + "\n" : ""),
    ).then(() => revisions.close()).catch(() => {});
    this.#ids = this.#revList.stdout.getReader();
    this.#answers = this.#catFile.stdout.getReader();
    const ask = this.#ask().catch(() => {});
    const read = this.#read().catch(() => {});
    this.#finished = Promise.all([ask, read]).then(() => this.#end());
  }

  /**
   * Starts reading a range's objects ahead.
   *
   * @param repo The repository.
   * @param range `git rev-list` arguments the caller has checked (no options).
   * @param options Which blobs to read, and how much to hold.
   * @returns The read-ahead; close it when done.
   * @throws {ToolError} `IO` when git cannot be started.
   */
  static start(
    repo: Repository,
    range: readonly string[],
    options: PrefetchOptions,
  ): ObjectPrefetch {
    return new ObjectPrefetch(repo, range, options);
  }

  /**
   * Takes an object read ahead, waiting for it when it is on its way.
   *
   * @param oid A full object id.
   * @returns The object (`undefined` once it turned out not to be read
   * ahead), or undefined at once when it is not part of the read-ahead.
   */
  take(oid: string): Promise<GitObject | undefined> | undefined {
    const stored = this.#store.get(oid);
    if (stored) {
      this.#store.delete(oid);
      this.#storedBytes -= stored.object.bytes.length;
      this.#takenCommit = Math.max(this.#takenCommit, stored.commit);
      this.#wakeReader();
      return Promise.resolve(stored.object);
    }
    const waiting = this.#asked.get(oid);
    if (!waiting || this.#ended) return undefined;
    return new Promise((resolve) => {
      waiting.push(resolve);
      this.#waiters++;
      this.#wakeReader(); // A waiter lifts the bound: its object must come.
    });
  }

  /**
   * Bytes of objects read and not taken yet (near `maxBytes` at most).
   *
   * @returns The bytes held.
   */
  get heldBytes(): number {
    return this.#storedBytes;
  }

  /** Stops reading ahead and waits for both git processes to exit. */
  async close(): Promise<void> {
    this.#done = true;
    await this.#ids.cancel().catch(() => {});
    await this.#answers.cancel().catch(() => {});
    this.#wakeReader();
    await this.#finished;
    this.#store.clear();
    this.#storedBytes = 0;
    await this.#revList.status.catch(() => {});
    await this.#catFile.status.catch(() => {});
  }

  // Passes rev-list's ids to cat-file: commits, trees and the blobs `keep`
  // wants. rev-list does not say which objects are trees: one is a commit's
  // first (its root), one whose next line is inside it, or one whose name
  // has no extension (a new tree whose entries are all old, say one whose
  // config is the artifact's blob). A folder named like a file is then
  // taken for a blob, and read when asked for.
  async #ask(): Promise<void> {
    const writer = this.#catFile.stdin.getWriter();
    const reader = this.#ids;
    try {
      let rest = "";
      let previous: Listed | undefined;
      // A line without a path is a commit's (the root tree's path is ""):
      // what follows it, up to the next, is that commit's.
      let commit = -1;
      const text = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#done) break;
        const lines = (rest + text.decode(value, { stream: true })).split("\n");
        rest = lines.pop()!;
        let tooLong = rest.length > MAX_LINE_CHARS;
        const wanted: Listed[] = [];
        for (const line of lines) {
          if (line.length > MAX_LINE_CHARS) {
            tooLong = true;
            break;
          }
          const space = line.indexOf(" ");
          if (space < 0 && !line.startsWith("?")) commit++;
          const current = space < 0 ? { oid: line, path: undefined, commit } : {
            oid: line.slice(0, space),
            path: line.slice(space + 1),
            commit,
          };
          if (previous && this.#wanted(previous, current.path)) {
            wanted.push(previous);
          }
          previous = current;
        }
        if (wanted.length > 0) await this.#send(writer, wanted);
        if (tooLong) {
          // What is not asked for by now is read the usual way; rev-list
          // stops at its next write.
          await reader.cancel().catch(() => {});
          return;
        }
      }
      if (previous && !this.#done && this.#wanted(previous, undefined)) {
        await this.#send(writer, [previous]);
      }
    } finally {
      await writer.close().catch(() => {});
    }
  }

  #wanted(line: Listed, next: string | undefined): boolean {
    const path = line.path;
    if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(line.oid)) return false;
    return path === undefined || path === "" ||
      (next !== undefined && next.startsWith(`${path}/`)) ||
      mayBeFolder(path) || this.#keep(path);
  }

  async #send(
    writer: WritableStreamDefaultWriter<Uint8Array>,
    objects: readonly Listed[],
  ): Promise<void> {
    for (const { oid, commit } of objects) {
      if (!this.#asked.has(oid)) this.#asked.set(oid, []);
      this.#sentCommits.push(commit);
    }
    await writer.write(
      new TextEncoder().encode(
        objects.map((object) => object.oid).join("\n") + "\n",
      ),
    );
  }

  // Reads cat-file's answers into the store, pausing while it holds
  // maxBytes of objects nobody asked for yet.
  async #read(): Promise<void> {
    const reader = this.#answers;
    const bytes = new ByteQueue(async () => {
      await this.#room();
      const { value, done } = await reader.read();
      return done ? undefined : value;
    });
    try {
      for (;;) {
        const header = await bytes.line();
        if (header === undefined) return;
        const [oid, type, size] = HEADER_TEXT.decode(header).split(" ");
        if (!oid || !type) return;
        if (type === "missing" || type === "ambiguous" || size === undefined) {
          this.#arrived(oid, undefined);
          continue;
        }
        const length = Number(size);
        if (
          !/^\d+$/.test(size) || length > MAX_OBJECT_BYTES ||
          this.#passedOver(oid, length)
        ) {
          if (!(await bytes.skip(length + 1))) return;
          this.#arrived(oid, undefined);
          continue;
        }
        const body = await bytes.take(length + 1);
        if (!body) return;
        this.#arrived(oid, { oid, type, bytes: body.subarray(0, length) });
      }
    } finally {
      this.#ended = true;
    }
  }

  // Whether an object on its way is left out: read past the bound only
  // because someone waits for an object further on, it comes before that
  // one, so it is passed over (and read the usual way if asked for after
  // all). Kept, a waiter behind the ids git holds in its pipes (~1,600
  // objects of up to 64 KiB) would make the store ~100 times its bound.
  #passedOver(oid: string, length: number): boolean {
    return this.#waiters > 0 && !this.#asked.get(oid)?.length &&
      this.#storedBytes + length > this.#maxBytes;
  }

  #arrived(oid: string, object: GitObject | undefined): void {
    const commit = this.#sentCommits[this.#answered++] ?? this.#takenCommit;
    if (this.#answered >= 4096) {
      // Answered ids leave the list now and then, not one by one.
      this.#sentCommits = this.#sentCommits.slice(this.#answered);
      this.#answered = 0;
    }
    const waiting = this.#asked.get(oid);
    this.#asked.delete(oid);
    if (waiting && waiting.length > 0) {
      this.#waiters -= waiting.length;
      this.#takenCommit = Math.max(this.#takenCommit, commit);
      for (const resolve of waiting) resolve(object);
      return;
    }
    if (!object || this.#store.has(oid)) return;
    this.#store.set(oid, { object, commit });
    this.#storedBytes += object.bytes.length;
  }

  // Waits until the store has room, or someone waits for an object. Objects
  // of commits more than behindCommits before the furthest one taken of
  // were passed over (read already, or never asked for): they go first.
  async #room(): Promise<void> {
    for (;;) {
      if (this.#done || this.#storedBytes <= this.#maxBytes) return;
      if (this.#waiters > 0) return;
      const behind = this.#takenCommit - this.#behindCommits;
      for (const [oid, { object, commit }] of this.#store) {
        if (commit >= behind || this.#storedBytes <= this.#maxBytes) break;
        this.#store.delete(oid);
        this.#storedBytes -= object.bytes.length;
      }
      if (this.#storedBytes <= this.#maxBytes) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  // Whoever still waits reads the object the usual way; what is stored
  // stays to be taken.
  #end(): void {
    this.#ended = true;
    for (const waiting of this.#asked.values()) {
      for (const resolve of waiting) resolve(undefined);
    }
    this.#asked.clear();
    this.#waiters = 0;
  }
}

// A line of rev-list's listing: an object, the path it was first seen at
// (none for a commit) and the commit it came with (see ObjectPrefetch's store).
interface Listed {
  oid: string;
  path: string | undefined;
  commit: number;
}

// Whether a path's last name could be a folder's: no dot but a leading one.
function mayBeFolder(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return !name.includes(".", 1);
}
