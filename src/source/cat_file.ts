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

/** An object's header and bytes. */
export interface GitObject {
  /** Its object id (hex). */
  oid: string;
  /** `blob`, `tree`, `commit` or `tag`. */
  type: string;
  /** Its bytes. */
  bytes: Uint8Array;
}

// A full object id (SHA-1 or SHA-256), as opposed to a name like "HEAD:x".
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
// Decodes answer headers (one decoder for all: making one costs more than
// decoding a header).
const HEADER_TEXT = new TextDecoder();
// Bytes of objects kept for reading again.
const CACHE_BYTES = 16 * 1024 * 1024;

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
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #writes: Promise<void> = Promise.resolve();
  #cache = new Map<string, GitObject>();
  #cachedBytes = 0;
  #pending: string[] = [];
  #flush: Promise<void> | undefined;
  #closed = false;

  private constructor(child: PipedProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.getReader();
  }

  /**
   * Starts a session.
   *
   * @param repo The repository whose objects are read.
   * @returns The session; close it when done.
   */
  static open(repo: Repository): GitObjects {
    return new GitObjects(
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
    const cached = OBJECT_ID.test(name) ? this.#cache.get(name) : undefined;
    if (cached) {
      if (cached.bytes.length > maxBytes) {
        return Promise.reject(
          new ToolError(
            "INVALID_FORMAT",
            `Cannot read "${name}": ${cached.bytes.length} bytes is over the limit of ${maxBytes} bytes`,
          ),
        );
      }
      return Promise.resolve(cached);
    }
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
      if (object && OBJECT_ID.test(name)) this.#remember(object);
      return object;
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  #remember(object: GitObject): void {
    if (object.bytes.length > CACHE_BYTES / 16) return;
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
    this.#flush ??= Promise.resolve().then(() => {
      const text = this.#pending.join("");
      this.#pending = [];
      this.#flush = undefined;
      this.#writes = this.#writes.then(() =>
        this.#writer.write(new TextEncoder().encode(text))
      );
      return this.#writes;
    });
    return this.#flush;
  }

  /** Ends the session and waits for git to exit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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

  async #fill(): Promise<void> {
    const { value, done } = await this.#reader.read();
    if (done || !value) {
      const status = await this.#child.status;
      throw new ToolError(
        "IO",
        `git cat-file stopped: ${
          status.stderr.trim() || `exit code ${status.code}`
        }`,
      );
    }
    // Chunks are kept as they come and joined once per answer, so reading a
    // large object costs linear time, not a copy per chunk.
    this.#chunks.push(value);
    this.#buffered += value.length;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(n - at, chunk.length);
      out.set(chunk.subarray(0, part), at);
      at += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    this.#buffered -= n;
    return out;
  }

  async #readLine(): Promise<Uint8Array> {
    let searched = 0;
    for (;;) {
      let offset = 0;
      for (const chunk of this.#chunks) {
        const end = offset + chunk.length > searched
          ? chunk.indexOf(0x0a, Math.max(0, searched - offset))
          : -1;
        if (end >= 0) {
          const line = this.#take(offset + end + 1);
          return line.subarray(0, line.length - 1);
        }
        offset += chunk.length;
      }
      searched = offset;
      await this.#fill();
    }
  }

  async #readBytes(n: number): Promise<Uint8Array> {
    while (this.#buffered < n) await this.#fill();
    return this.#take(n);
  }

  async #skip(n: number): Promise<void> {
    // Discard as it arrives, so an oversized object is never held in memory.
    let left = n;
    for (;;) {
      const take = Math.min(left, this.#buffered);
      this.#take(take);
      left -= take;
      if (left === 0) return;
      await this.#fill();
    }
  }
}
