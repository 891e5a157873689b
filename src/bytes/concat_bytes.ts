/**
 * Byte joining, the one place chunks of bytes become one array.
 *
 * @module
 */

/**
 * Joins chunks of bytes into one array.
 *
 * @param chunks The chunks, in order.
 * @returns Their bytes, one after another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatBytes } from "./concat_bytes.ts";
 * assert.deepEqual(concatBytes([Uint8Array.of(1), Uint8Array.of(2, 3)]), Uint8Array.of(1, 2, 3));
 * ```
 */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
