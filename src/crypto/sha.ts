/**
 * SHA-2 digests: @noble/hashes (audited JavaScript, synchronous) for small
 * inputs once a process hashes many, WebCrypto otherwise. A verify hashes
 * four small files per config, and WebCrypto's asynchronous call costs about
 * 29 µs each where noble, once compiled by the JIT, takes 4 µs for a 300-byte
 * statement; its first calls are slow (a pre-commit hook that hashes a few
 * files would pay ~7 ms), and from 64 KiB on native speed wins. Tests hold
 * both to the same digests.
 *
 * @module
 */

import { sha256Small, sha512Small } from "../deps.ts";

/** Inputs up to this size may be hashed by noble, larger ones by WebCrypto. */
export const SMALL_INPUT_BYTES = 64 * 1024;

/** How many digests a process makes through WebCrypto before noble takes the small ones. */
export const NATIVE_FIRST_DIGESTS = 64;

let digests = 0;

function useNoble(bytes: Uint8Array): boolean {
  return ++digests > NATIVE_FIRST_DIGESTS && bytes.length <= SMALL_INPUT_BYTES;
}

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
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  if (useNoble(bytes)) return sha256Small(bytes);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", toBuffer(bytes)));
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
export async function sha512(bytes: Uint8Array): Promise<Uint8Array> {
  if (useNoble(bytes)) return sha512Small(bytes);
  return new Uint8Array(await crypto.subtle.digest("SHA-512", toBuffer(bytes)));
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

// WebCrypto's types refuse views over a SharedArrayBuffer; a plain copy fits.
function toBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes);
}
