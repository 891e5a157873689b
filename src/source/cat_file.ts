/**
 * Reads Git objects through one long-running `git cat-file --batch`, instead
 * of a process per object: verifying a thousand commits must not start
 * thousands of programs. Requests are answered strictly in order.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import { type PipedProcess, spawnPiped } from "../_runtime/process.ts";
import type { Repository } from "../git/repository.ts";
import { ObjectPrefetch, type PrefetchOptions } from "./object_prefetch.ts";
import { ByteQueue } from "./byte_queue.ts";
import type { GitObject } from "./git_object.ts";

export type { GitObject } from "./git_object.ts";

// A full object id (SHA-1 or SHA-256), as opposed to a name like "HEAD:x".
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
// A full object id peeled to a commit (`<id>^{commit}`, how readCommit asks):
// when the id is a commit's, the answer is that very object.
const COMMIT_OF_ID = /^([0-9a-f]{40}|[0-9a-f]{64})\^\{commit\}$/;
// Decodes answer headers (one decoder for all: making one costs more than
// decoding a header).
const HEADER_TEXT = new TextDecoder();
// Bytes of objects kept for reading again.
// (A range reads most objects once, and its read-ahead holds what comes
// next: 4 MiB keeps the recent commits' objects, and a trust list near its
// 1 MiB limit, which every commit reads again.)
const CACHE_BYTES = 4 * 1024 * 1024;
// The largest object kept.
const CACHED_OBJECT_BYTES = 1024 * 1024;

// The object, unless it is larger than the caller accepts.
function within(
  name: string,
  object: GitObject,
  maxBytes: number,
): Promise<GitObject> {
  if (object.bytes.length > maxBytes) {
    return Promise.reject(
      new ToolError(
        "INVALID_FORMAT",
        `Cannot read "${name}": ${object.bytes.length} bytes is over the limit of ${maxBytes} bytes`,
      ),
    );
  }
  return Promise.resolve(object);
}

/**
 * A `git cat-file --batch` session on one repository.
 *
 * @example
 * ```ts ignore
 * const objects = GitObjects.open(repo);
 * const head = await objects.read("HEAD", 1 << 20);
 * await objects.close();
 * ```
 */
export class GitObjects {
  #child: PipedProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #bytes: ByteQueue;
  #queue: Promise<unknown> = Promise.resolve();
  #writes: Promise<void> = Promise.resolve();
  #cache = new Map<string, GitObject>();
  #cachedBytes = 0;
  #pending: string[] = [];
  #flush: Promise<void> | undefined;
  #closed = false;
  readonly #repo: Repository;
  #ahead: ObjectPrefetch | undefined;

  private constructor(repo: Repository, child: PipedProcess) {
    this.#repo = repo;
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.getReader();
    this.#bytes = new ByteQueue(async () => {
      const { value, done } = await this.#reader.read();
      return done ? undefined : value;
    });
  }

  /**
   * Starts a session.
   *
   * @param repo The repository whose objects are read.
   * @returns The session; close it when done.
   */
  static open(repo: Repository): GitObjects {
    return new GitObjects(
      repo,
      spawnPiped("git", [
        "--no-replace-objects",
        "-c",
        "core.fsmonitor=false",
        "cat-file",
        "--batch",
      ], {
        cwd: repo.root,
      }),
    );
  }

  /**
   * Reads one object by any name git accepts: an id, `REV:path`, or
   * `:path` (the index).
   *
   * @param name The object's name (no newline).
   * @param maxBytes Largest object accepted.
   * @returns The object, or undefined when there is no such object.
   * @throws {ToolError} `INVALID_FORMAT` when the object is larger than
   * `maxBytes`; `IO` when git fails.
   */
  read(name: string, maxBytes: number): Promise<GitObject | undefined> {
    if (/[\n\r]/.test(name)) {
      return Promise.reject(
        new ToolError(
          "BAD_PATH",
          `Cannot read the object "${name}": it contains a line break`,
        ),
      );
    }
    if (this.#closed) {
      return Promise.reject(
        new ToolError("IO", "The git object reader is closed"),
      );
    }
    // An object id names the same bytes forever: history verification reads
    // the same statements, trees and blobs for commit after commit.
    const cached = this.#cached(name);
    if (cached) return within(name, cached, maxBytes);
    // Read ahead (see readAhead): taken under the id git reported for it.
    const id = OBJECT_ID.test(name) ? name : COMMIT_OF_ID.exec(name)?.[1];
    const ahead = id === undefined ? undefined : this.#ahead?.take(id);
    if (ahead) {
      return ahead.then((object) => {
        if (object) this.#remember(object);
        return object && (id === name || object.type === "commit")
          ? within(name, object, maxBytes)
          : this.#ask(name, maxBytes);
      });
    }
    return this.#ask(name, maxBytes);
  }

  /**
   * Starts reading the objects of a range of commits ahead, in one stream
   * (see {@linkcode ObjectPrefetch}): what `read` is asked for then mostly
   * comes from there. Only a hint; when git cannot do it, nothing changes.
   *
   * @param range `git rev-list` arguments the caller has checked (no options).
   * @param options Which blobs to read ahead.
   */
  readAhead(range: readonly string[], options: PrefetchOptions): void {
    if (this.#ahead || this.#closed) return;
    try {
      this.#ahead = ObjectPrefetch.start(this.#repo, range, options);
    } catch {
      // Read as before.
    }
  }

  #ask(name: string, maxBytes: number): Promise<GitObject | undefined> {
    // Requests are written at once (several in one write), and answers read
    // in the same order: git answers one after another, so many requests in
    // flight cost one round trip, not one each.
    // The answer is read without waiting for the write to finish: with
    // thousands of requests in one write (the subtrees of a wide folder),
    // git answers the first before it has read the last, and stops until
    // those answers are read (a pipe holds 64 KiB), so waiting would hang.
    // A failed write means git is gone, which reading its answer reports.
    this.#send(name).catch(() => {});
    const next = this.#queue.then(async () => {
      const object = await this.#answer(name, maxBytes);
      if (object && (OBJECT_ID.test(name) || object.type === "commit")) {
        this.#remember(object);
      }
      return object;
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  // An object read before under its id, also when asked for as
  // `<id>^{commit}` and it is a commit (history reads each commit's parents
  // that way, and most parents were read as the commit before). Only the
  // object's own id is a key: git reported it, and it names these bytes.
  #cached(name: string): GitObject | undefined {
    // A name the cache holds is an object id (only ids are keys).
    const object = this.#cache.get(name);
    if (object || name.length === 40 || name.length === 64) return object;
    const peeled = COMMIT_OF_ID.exec(name);
    const commit = peeled ? this.#cache.get(peeled[1]!) : undefined;
    return commit?.type === "commit" ? commit : undefined;
  }

  #remember(object: GitObject): void {
    if (object.bytes.length > CACHED_OBJECT_BYTES) return;
    this.#cache.delete(object.oid);
    this.#cache.set(object.oid, object);
    this.#cachedBytes += object.bytes.length;
    // Oldest first out: a Map iterates in insertion order.
    for (const [oid, old] of this.#cache) {
      if (this.#cachedBytes <= CACHE_BYTES) break;
      this.#cache.delete(oid);
      this.#cachedBytes -= old.bytes.length;
    }
  }

  #send(name: string): Promise<void> {
    this.#pending.push(name + "\n");
    // One write at a time: the requests made while a write is on its way
    // go out together in the next, so that a run of thousands of reads
    // makes fewer writes (each one wakes git, and the pipe's wake-ups
    // cost more than the bytes).
    this.#flush ??= this.#writes.then(() => {
      const text = this.#pending.join("");
      this.#pending = [];
      this.#flush = undefined;
      this.#writes = this.#writer.write(new TextEncoder().encode(text));
      return this.#writes;
    });
    return this.#flush;
  }

  /** Ends the session and waits for git to exit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ahead?.close();
    await this.#queue;
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel().catch(() => {});
    await this.#child.status.catch(() => {});
  }

  async #answer(
    name: string,
    maxBytes: number,
  ): Promise<GitObject | undefined> {
    const header = HEADER_TEXT.decode(await this.#readLine());
    if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
      return undefined;
    }
    const match = /^([0-9a-f]{40}|[0-9a-f]{64}) (\w+) (\d+)$/.exec(header);
    if (!match) {
      throw new ToolError(
        "IO",
        `Unexpected answer from git cat-file for "${name}": "${header}"`,
      );
    }
    const size = Number(match[3]);
    if (size > maxBytes) {
      await this.#skip(size + 1);
      throw new ToolError(
        "INVALID_FORMAT",
        `Cannot read "${name}": ${size} bytes is over the limit of ${maxBytes} bytes`,
      );
    }
    const bytes = await this.#readBytes(size + 1);
    return {
      oid: match[1] as string,
      type: match[2] as string,
      bytes: bytes.subarray(0, size),
    };
  }

  // git cat-file ended before its answer did.
  async #stopped(): Promise<never> {
    const status = await this.#child.status;
    throw new ToolError(
      "IO",
      `git cat-file stopped: ${
        status.stderr.trim() || `exit code ${status.code}`
      }`,
    );
  }

  async #readLine(): Promise<Uint8Array> {
    return await this.#bytes.line() ?? await this.#stopped();
  }

  async #readBytes(n: number): Promise<Uint8Array> {
    return await this.#bytes.take(n) ?? await this.#stopped();
  }

  async #skip(n: number): Promise<void> {
    if (!(await this.#bytes.skip(n))) await this.#stopped();
  }
}
