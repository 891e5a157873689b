/**
 * The SSH wire encoding (RFC 4251 §5) that OpenSSH keys and signatures use:
 * big-endian `uint32`s and length-prefixed strings. {@linkcode SshReader}
 * parses strictly, naming the field that is wrong; {@linkcode SshWriter}
 * builds the same layouts.
 *
 * @module
 */

import { ToolError } from "../errors.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();

/**
 * Reads SSH wire data from the front of a byte array, strictly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SshReader } from "./ssh_wire.ts";
 * const reader = new SshReader(new Uint8Array([0, 0, 0, 2, 104, 105]), "x.bin");
 * assert.ok(reader.text("greeting") === "hi");
 * reader.end("greeting");
 * ```
 */
export class SshReader {
  #bytes: Uint8Array;
  #source: string;
  #at = 0;

  /**
   * Starts reading at the first byte.
   *
   * @param bytes The data to read; it is not copied, so do not change it while reading.
   * @param source Where the data comes from (a file path), named in errors.
   */
  constructor(bytes: Uint8Array, source: string) {
    this.#bytes = bytes;
    this.#source = source;
  }

  /**
   * How many bytes are left to read.
   *
   * @returns The number of unread bytes.
   */
  get remaining(): number {
    return this.#bytes.length - this.#at;
  }

  /**
   * Reads a big-endian 32-bit unsigned integer.
   *
   * @param field The field's name, for errors.
   * @returns The integer.
   * @throws {ToolError} `INVALID_FORMAT` when fewer than 4 bytes are left.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshReader } from "./ssh_wire.ts";
   * const reader = new SshReader(new Uint8Array([0, 0, 1, 0]), "x.bin");
   * assert.ok(reader.uint32("count") === 256);
   * ```
   */
  uint32(field: string): number {
    const b = this.raw(4, field);
    // `>>> 0` keeps values at or above 2^31 positive.
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  /**
   * Reads a length-prefixed string as bytes.
   *
   * @param field The field's name, for errors.
   * @returns The string's bytes (a view into the input, not a copy).
   * @throws {ToolError} `INVALID_FORMAT` when the length or the bytes are truncated.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshReader } from "./ssh_wire.ts";
   * const reader = new SshReader(new Uint8Array([0, 0, 0, 1, 7]), "x.bin");
   * assert.ok(reader.bytes("blob")[0] === 7);
   * ```
   */
  bytes(field: string): Uint8Array {
    const length = this.uint32(`${field} length`);
    return this.raw(length, field);
  }

  /**
   * Reads a length-prefixed string that must be valid UTF-8.
   *
   * @param field The field's name, for errors.
   * @returns The decoded text.
   * @throws {ToolError} `INVALID_FORMAT` when truncated or not valid UTF-8.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshReader } from "./ssh_wire.ts";
   * const reader = new SshReader(new Uint8Array([0, 0, 0, 1, 65]), "x.bin");
   * assert.ok(reader.text("name") === "A");
   * ```
   */
  text(field: string): string {
    const bytes = this.bytes(field);
    try {
      return UTF8.decode(bytes);
    } catch (error) {
      throw new ToolError(
        "INVALID_FORMAT",
        `Invalid SSH data "${this.#source}": field "${field}" is not valid UTF-8`,
        { cause: error },
      );
    }
  }

  /**
   * Reads a fixed number of bytes.
   *
   * @param n How many bytes to read.
   * @param field The field's name, for errors.
   * @returns The bytes (a view into the input, not a copy).
   * @throws {ToolError} `INVALID_FORMAT` when fewer than `n` bytes are left.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshReader } from "./ssh_wire.ts";
   * const reader = new SshReader(new Uint8Array([1, 2, 3]), "x.bin");
   * assert.ok(reader.raw(2, "prefix").length === 2 && reader.remaining === 1);
   * ```
   */
  raw(n: number, field: string): Uint8Array {
    if (n > this.remaining) {
      throw new ToolError(
        "INVALID_FORMAT",
        `Invalid SSH data "${this.#source}": field "${field}" is truncated: needs ${n} bytes, ${this.remaining} left`,
      );
    }
    const out = this.#bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  /**
   * Checks that everything was read.
   *
   * @param what What was being read (e.g. "signature blob"), for errors.
   * @throws {ToolError} `INVALID_FORMAT` when bytes are left over.
   *
   * @example
   * ```ts
   * import { SshReader } from "./ssh_wire.ts";
   * const reader = new SshReader(new Uint8Array([9]), "x.bin");
   * reader.raw(1, "tag");
   * reader.end("record");
   * ```
   */
  end(what: string): void {
    if (this.remaining !== 0) {
      throw new ToolError(
        "INVALID_FORMAT",
        `Invalid SSH data "${this.#source}": ${this.remaining} unexpected bytes after the ${what}`,
      );
    }
  }
}

/**
 * Builds SSH wire data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SshWriter } from "./ssh_wire.ts";
 * const bytes = new SshWriter().text("hi").finish();
 * assert.ok(bytes.join() === "0,0,0,2,104,105");
 * ```
 */
export class SshWriter {
  #parts: Uint8Array[] = [];
  #length = 0;

  /**
   * Appends a big-endian 32-bit unsigned integer.
   *
   * @param n An integer from 0 to 2^32 - 1.
   * @returns This writer, for chaining.
   * @throws {RangeError} When `n` is not such an integer.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshWriter } from "./ssh_wire.ts";
   * assert.ok(new SshWriter().uint32(1).finish().join() === "0,0,0,1");
   * ```
   */
  uint32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new RangeError(`Invalid uint32: ${n}`);
    }
    return this.raw(new Uint8Array([n >>> 24, n >>> 16, n >>> 8, n]));
  }

  /**
   * Appends a length-prefixed string of bytes.
   *
   * @param b The bytes.
   * @returns This writer, for chaining.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshWriter } from "./ssh_wire.ts";
   * const out = new SshWriter().bytes(new Uint8Array([7])).finish();
   * assert.ok(out.join() === "0,0,0,1,7");
   * ```
   */
  bytes(b: Uint8Array): this {
    return this.uint32(b.length).raw(b);
  }

  /**
   * Appends a length-prefixed UTF-8 string.
   *
   * @param s The text.
   * @returns This writer, for chaining.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshWriter } from "./ssh_wire.ts";
   * assert.ok(new SshWriter().text("").finish().join() === "0,0,0,0");
   * ```
   */
  text(s: string): this {
    return this.bytes(ENCODER.encode(s));
  }

  /**
   * Appends bytes as they are, without a length.
   *
   * @param b The bytes.
   * @returns This writer, for chaining.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshWriter } from "./ssh_wire.ts";
   * assert.ok(new SshWriter().raw(new Uint8Array([1, 2])).finish().length === 2);
   * ```
   */
  raw(b: Uint8Array): this {
    // Copied so that later changes to the caller's array cannot alter the output.
    this.#parts.push(b.slice());
    this.#length += b.length;
    return this;
  }

  /**
   * Returns everything written so far, as one array.
   *
   * @returns A new byte array.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshWriter } from "./ssh_wire.ts";
   * assert.ok(new SshWriter().finish().length === 0);
   * ```
   */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}
