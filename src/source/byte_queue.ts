/**
 * Bytes as they come from a stream (a git process's output), taken a line
 * or a length at a time. Chunks are kept as they arrive and joined once per
 * answer, so reading a large object costs linear time, not a copy per
 * chunk; what is taken is a copy, so that a kept object does not hold the
 * whole chunk it came in.
 *
 * @module
 */

const NEWLINE = 0x0a;

/**
 * A queue of a stream's bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteQueue } from "./byte_queue.ts";
 * const chunks = [new TextEncoder().encode("ab"), new TextEncoder().encode("c\nxyz")];
 * const bytes = new ByteQueue(() => Promise.resolve(chunks.shift()));
 * assert.equal(new TextDecoder().decode(await bytes.line()), "abc");
 * assert.equal(await bytes.skip(1), true);
 * assert.equal(new TextDecoder().decode(await bytes.take(2)), "yz");
 * assert.equal(await bytes.take(1), undefined);
 * ```
 */
export class ByteQueue {
  readonly #next: () => Promise<Uint8Array | undefined>;
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  /**
   * @param next Gives the stream's next chunk, or undefined at its end.
   */
  constructor(next: () => Promise<Uint8Array | undefined>) {
    this.#next = next;
  }

  async #fill(): Promise<boolean> {
    const chunk = await this.#next();
    if (!chunk) return false;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    return true;
  }

  #takeNow(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.slice(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const chunk = this.#chunks[0]!;
        const part = Math.min(n - at, chunk.length);
        out.set(chunk.subarray(0, part), at);
        at += part;
        if (part === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(part);
      }
    }
    this.#buffered -= n;
    return out;
  }

  /**
   * Takes one line.
   *
   * @returns The line without its newline, or undefined when the stream
   * ended first.
   */
  async line(): Promise<Uint8Array | undefined> {
    let searched = 0;
    for (;;) {
      let offset = 0;
      for (const chunk of this.#chunks) {
        const end = offset + chunk.length > searched
          ? chunk.indexOf(NEWLINE, Math.max(0, searched - offset))
          : -1;
        if (end >= 0) return this.#takeNow(offset + end + 1).subarray(0, -1);
        offset += chunk.length;
      }
      searched = offset;
      if (!(await this.#fill())) return undefined;
    }
  }

  /**
   * Takes `n` bytes.
   *
   * @param n How many.
   * @returns Them, or undefined when the stream ended first.
   */
  async take(n: number): Promise<Uint8Array | undefined> {
    while (this.#buffered < n) if (!(await this.#fill())) return undefined;
    return this.#takeNow(n);
  }

  /**
   * Discards `n` bytes as they arrive, so that an oversized object is never
   * held in memory.
   *
   * @param n How many.
   * @returns False when the stream ended first.
   */
  async skip(n: number): Promise<boolean> {
    let left = n;
    for (;;) {
      const part = Math.min(left, this.#buffered);
      if (part > 0) this.#takeNow(part);
      left -= part;
      if (left === 0) return true;
      if (!(await this.#fill())) return false;
    }
  }
}
