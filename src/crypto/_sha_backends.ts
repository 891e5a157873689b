/**
 * The two SHA-2 back ends behind `sha.ts`, and the rule that picks one,
 * apart so that tests can hold each back end to the other directly.
 * Nothing outside `sha.ts` and its tests imports this module.
 *
 * - `native`: WebCrypto. An asynchronous call costs about 29 µs, whatever
 *   the size; from 64 KiB on it is the faster.
 * - `noble`: @noble/hashes (audited JavaScript, synchronous): about 4 µs for
 *   a 300-byte statement once the JIT has compiled it, but its first calls
 *   are slow (a pre-commit hook that hashes a few files would pay ~7 ms).
 *
 * @module
 */

import { sha256Small, sha512Small } from "../deps.ts";

/** The SHA-2 functions the tool uses, by WebCrypto's names. */
export type ShaAlgorithm = "SHA-256" | "SHA-512";

/** Which back end hashes an input. */
export type ShaBackend = "native" | "noble";

/** Inputs up to this size may be hashed by noble, larger ones by WebCrypto. */
export const SMALL_INPUT_BYTES = 64 * 1024;

/** How many digests a process makes through WebCrypto before noble takes the small ones. */
export const NATIVE_FIRST_DIGESTS = 64;

/**
 * The back end for an input: WebCrypto for a process's first
 * {@linkcode NATIVE_FIRST_DIGESTS} digests (a hook hashes a few; noble
 * would not be compiled yet) and for large inputs; noble for the small
 * inputs of a process that hashes many (a verify: four small files per
 * config).
 *
 * @param size The input's length in bytes.
 * @param digestsBefore How many digests this process made before it.
 * @returns The back end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shaBackend } from "./_sha_backends.ts";
 * assert.equal(shaBackend(300, 0), "native");
 * assert.equal(shaBackend(300, 1000), "noble");
 * ```
 */
export function shaBackend(size: number, digestsBefore: number): ShaBackend {
  return digestsBefore >= NATIVE_FIRST_DIGESTS && size <= SMALL_INPUT_BYTES
    ? "noble"
    : "native";
}

/**
 * Hashes with the given back end.
 *
 * @param backend The back end.
 * @param algorithm SHA-256 or SHA-512.
 * @param bytes The data (a view over a `SharedArrayBuffer` too).
 * @returns The digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { digestWith } from "./_sha_backends.ts";
 * const data = new TextEncoder().encode("abc");
 * assert.deepEqual(
 *   await digestWith("noble", "SHA-256", data),
 *   await digestWith("native", "SHA-256", data),
 * );
 * ```
 */
export async function digestWith(
  backend: ShaBackend,
  algorithm: ShaAlgorithm,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  if (backend === "noble") {
    return algorithm === "SHA-256" ? sha256Small(bytes) : sha512Small(bytes);
  }
  return new Uint8Array(
    await crypto.subtle.digest(algorithm, toBuffer(bytes)),
  );
}

// WebCrypto's types refuse views over a SharedArrayBuffer; a plain copy fits.
function toBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes);
}
