/**
 * SHA-2 digests, one boundary for two back ends: WebCrypto, and the
 * JavaScript of `@noble/hashes` for the small inputs of a process that
 * hashes many, where it is about seven times faster than WebCrypto's
 * asynchronous call. Which
 * one hashes an input is `_sha_backends.ts`' rule, from its size and how
 * many digests this process made; the digests are the same bytes either
 * way (tests hold the two back ends to each other over random inputs).
 *
 * @module
 */

import {
  digestWith,
  NATIVE_FIRST_DIGESTS,
  shaBackend,
  SMALL_INPUT_BYTES,
} from "./_sha_backends.ts";

export { NATIVE_FIRST_DIGESTS, SMALL_INPUT_BYTES };

// The one piece of state: how many digests this process has made.
let digests = 0;

const HEX = Array.from(
  { length: 256 },
  (_, byte) => byte.toString(16).padStart(2, "0"),
);

/**
 * Computes the SHA-256 digest of bytes.
 *
 * @param bytes The data.
 * @returns The 32-byte digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256 } from "./sha.ts";
 * assert.ok((await sha256(new Uint8Array())).length === 32);
 * ```
 */
export function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return digestWith(shaBackend(bytes.length, digests++), "SHA-256", bytes);
}

/**
 * Computes the SHA-512 digest of bytes.
 *
 * @param bytes The data.
 * @returns The 64-byte digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha512 } from "./sha.ts";
 * assert.ok((await sha512(new Uint8Array())).length === 64);
 * ```
 */
export function sha512(bytes: Uint8Array): Promise<Uint8Array> {
  return digestWith(shaBackend(bytes.length, digests++), "SHA-512", bytes);
}

/**
 * Formats bytes as lowercase hexadecimal.
 *
 * @param bytes The bytes.
 * @returns Two lowercase hex digits per byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHex } from "./sha.ts";
 * assert.ok(toHex(new Uint8Array([0, 171])) === "00ab");
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += HEX[byte];
  return hex;
}

/**
 * Computes the SHA-256 digest of bytes as lowercase hex (our artifact and
 * statement ids).
 *
 * @param bytes The data.
 * @returns 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./sha.ts";
 * const id = await sha256Hex(new TextEncoder().encode("abc"));
 * assert.ok(id.startsWith("ba7816bf"));
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}
