/**
 * Constant-time byte-string equality, for comparisons involving secrets.
 *
 * @module
 */

/**
 * Tells whether two byte arrays hold the same bytes, in a time that depends
 * only on their lengths, not on where they differ (as std's
 * `timingSafeEqual`), for comparisons where one side is secret or derived
 * from a secret. The lengths themselves are not hidden.
 *
 * @param a One byte array.
 * @param b The other.
 * @returns True when both have the same length and bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timingSafeEqual } from "./timing_safe_equal.ts";
 * assert.ok(timingSafeEqual(new Uint8Array([7]), new Uint8Array([7])));
 * assert.ok(!timingSafeEqual(new Uint8Array([7]), new Uint8Array([8])));
 * ```
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
