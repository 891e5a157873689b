/**
 * Byte-string equality, the one comparison of byte arrays in the tool.
 *
 * @module
 */

/**
 * Tells whether two byte arrays hold the same bytes. It stops at the first
 * difference, so its time depends on where that is: use
 * `timingSafeEqual` (timing_safe_equal.ts) when one side is secret.
 *
 * @param a One byte array.
 * @param b The other.
 * @returns True when both have the same length and bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { equalBytes } from "./equal_bytes.ts";
 * assert.ok(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
 * assert.ok(!equalBytes(new Uint8Array([1, 2]), new Uint8Array([1])));
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}
