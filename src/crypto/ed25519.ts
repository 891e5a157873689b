/**
 * Ed25519 with one verification rule everywhere: strict RFC 8032 as
 * @noble/ed25519 defines it with `zip215: false` (canonical R and A, S < L,
 * small-order public keys refused, cofactored equation). Nothing else in the
 * code base verifies Ed25519, so a signature is valid for every caller or for
 * none.
 *
 * The arithmetic runs natively where the runtime has Ed25519 (WebCrypto;
 * inside {@linkcode oneSignatureAtATime}, the synchronous verifier the Node
 * builds give, see {@linkcode useSyncEd25519Verify}), which is about ten times faster than
 * noble's JavaScript; noble remains the definition. A native "valid" is accepted
 * only once the checks noble makes that an RFC 8032 implementation may skip
 * have passed (S < L, canonical R, a canonical public key that is not of
 * small order): the native cofactorless equation then implies noble's
 * cofactored one. Anything else, a native "invalid" included, is decided by
 * noble. So the result is always noble's, and only valid signatures take the
 * fast path. Signing is deterministic (RFC 8032), so native and noble
 * signatures are the same bytes; tests hold both to it.
 *
 * @module
 */

import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  ED25519_SIGNATURE_BYTES,
} from "../constants.ts";
import {
  ed25519GetPublicKey,
  Ed25519Point,
  ed25519SignRaw,
  ed25519VerifyRaw,
} from "../deps.ts";
import { ToolError } from "../errors.ts";

/**
 * Creates a new private key seed from the system's secure random source.
 *
 * @returns 32 random bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSeed } from "./ed25519.ts";
 * assert.ok(generateSeed().length === 32);
 * ```
 */
export function generateSeed(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(ED25519_SEED_BYTES));
}

/**
 * Derives the public key of a seed.
 *
 * @param seed The 32-byte private seed.
 * @returns The 32-byte public key.
 * @throws {ToolError} `INVALID_KEY` when the seed is not 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSeed, publicKeyFromSeed } from "./ed25519.ts";
 * assert.ok((await publicKeyFromSeed(generateSeed())).length === 32);
 * ```
 */
export async function publicKeyFromSeed(seed: Uint8Array): Promise<Uint8Array> {
  checkSeed(seed);
  const key = await importSeed(seed);
  if (key) {
    try {
      const jwk = await crypto.subtle.exportKey("jwk", key);
      const publicKey = jwk.x === undefined ? undefined : fromBase64Url(jwk.x);
      if (publicKey?.length === ED25519_PUBLIC_KEY_BYTES) return publicKey;
    } catch {
      // No JWK export here: noble below.
    }
  }
  return await ed25519GetPublicKey(seed);
}

/**
 * Signs a message with a seed (RFC 8032, deterministic).
 *
 * @param seed The 32-byte private seed.
 * @param message The message.
 * @returns The 64-byte signature R ‖ S.
 * @throws {ToolError} `INVALID_KEY` when the seed is not 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSeed, signEd25519 } from "./ed25519.ts";
 * const signature = await signEd25519(generateSeed(), new Uint8Array([1]));
 * assert.ok(signature.length === 64);
 * ```
 */
export async function signEd25519(
  seed: Uint8Array,
  message: Uint8Array,
): Promise<Uint8Array> {
  checkSeed(seed);
  const key = await importSeed(seed);
  if (key) {
    try {
      return new Uint8Array(
        await crypto.subtle.sign("Ed25519", key, message as BufferSource),
      );
    } catch {
      // No native Ed25519 signing here: noble below.
    }
  }
  return await ed25519SignRaw(message, seed);
}

/**
 * Verifies an Ed25519 signature under strict RFC 8032 rules. Never throws:
 * any malformed input gives `false`.
 *
 * @param signature The 64-byte signature.
 * @param message The signed message.
 * @param publicKey The 32-byte public key.
 * @returns Whether the signature is valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSeed, publicKeyFromSeed, signEd25519, verifyEd25519 } from "./ed25519.ts";
 * const seed = generateSeed();
 * const message = new TextEncoder().encode("hello");
 * const signature = await signEd25519(seed, message);
 * assert.ok(await verifyEd25519(signature, message, await publicKeyFromSeed(seed)));
 * ```
 */
export async function verifyEd25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  try {
    if (
      !(signature instanceof Uint8Array) ||
      signature.length !== ED25519_SIGNATURE_BYTES ||
      !(message instanceof Uint8Array) ||
      !(publicKey instanceof Uint8Array) ||
      publicKey.length !== ED25519_PUBLIC_KEY_BYTES
    ) {
      return false;
    }
    if (
      isCanonicalScalar(signature.subarray(32)) &&
      isCanonicalPointEncoding(signature.subarray(0, 32)) &&
      isStrictPublicKey(publicKey) &&
      await verifyNatively(signature, message, publicKey)
    ) {
      return true;
    }
    // noble's default is ZIP-215, which accepts non-canonical encodings; the
    // strict branch is the one rule this tool applies.
    return await ed25519VerifyRaw(signature, message, publicKey, {
      zip215: false,
    });
  } catch {
    return false;
  }
}

/**
 * Verifies one Ed25519 signature synchronously, natively (see
 * {@linkcode useSyncEd25519Verify}).
 *
 * @returns Whether it verifies; false for a key the runtime refuses.
 */
export type SyncEd25519Verify = (
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
) => boolean;

/**
 * Sets the runtime's synchronous Ed25519 verification, used instead of
 * WebCrypto's inside {@linkcode oneSignatureAtATime}. The Node builds' entry
 * point gives Node's (`src/_runtime/ed25519_verify.ts`): there each WebCrypto
 * call goes to the thread pool and back. Its "valid" is gated by
 * the same strict checks as WebCrypto's, and noble decides every "invalid".
 * This module itself imports no runtime code (the verifier stays pure,
 * tests/verify/verifier_imports_test.ts).
 *
 * @param verify The verifier, or undefined for WebCrypto alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   generateSeed,
 *   publicKeyFromSeed,
 *   signEd25519,
 *   useSyncEd25519Verify,
 *   verifyEd25519,
 * } from "./ed25519.ts";
 * const seed = generateSeed();
 * const message = new Uint8Array([1, 2, 3]);
 * const signature = await signEd25519(seed, message);
 * const publicKey = await publicKeyFromSeed(seed);
 * let asked = 0;
 * // A native "valid" is only a shortcut: noble decides what it refuses.
 * useSyncEd25519Verify(() => (asked++, false));
 * assert.equal(
 *   await oneSignatureAtATime(() => verifyEd25519(signature, message, publicKey)),
 *   true,
 * );
 * assert.equal(asked, 1);
 * useSyncEd25519Verify(undefined);
 * ```
 */
export function useSyncEd25519Verify(
  verify: SyncEd25519Verify | undefined,
): void {
  syncVerify = verify;
}

/**
 * Runs `run` with the synchronous verification of
 * {@linkcode useSyncEd25519Verify} preferred: for a caller that waits for
 * each signature before the next (history, one per commit), where a trip to
 * Node's thread pool is time the main thread only waits. A caller with many
 * signatures on their way at once (verify checks configs 16 at a time) does
 * better with WebCrypto, whose pool verifies on another core meanwhile. Only
 * the speed differs: the verdicts are the same either way.
 *
 * @param run What verifies.
 * @returns What `run` returns.
 * @throws {unknown} What `run` throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneSignatureAtATime } from "./ed25519.ts";
 * assert.equal(await oneSignatureAtATime(() => Promise.resolve(7)), 7);
 * ```
 */
export async function oneSignatureAtATime<T>(
  run: () => Promise<T>,
): Promise<T> {
  oneAtATime++;
  try {
    return await run();
  } finally {
    oneAtATime--;
  }
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_BYTES) {
    throw new ToolError(
      "INVALID_KEY",
      `Invalid Ed25519 seed: ${
        seed instanceof Uint8Array ? `${seed.length} bytes` : "not bytes"
      }, expected ${ED25519_SEED_BYTES} bytes`,
    );
  }
}

// PKCS #8 wrapping of an Ed25519 seed (RFC 8410): the fixed DER prefix, then
// the 32 bytes.
const PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
);

// The order L of the base point, and p = 2^255 - 19, as little-endian bytes
// compared from the most significant end.
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

async function importSeed(seed: Uint8Array): Promise<CryptoKey | undefined> {
  const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + seed.length);
  pkcs8.set(PKCS8_PREFIX);
  pkcs8.set(seed, PKCS8_PREFIX.length);
  try {
    return await crypto.subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: "Ed25519" },
      true,
      ["sign"],
    );
  } catch {
    return undefined; // No native Ed25519: the caller uses noble.
  } finally {
    pkcs8.fill(0);
  }
}

function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

// Compares two 32-byte little-endian numbers: negative, zero or positive.
function compareLittleEndian(a: Uint8Array, b: Uint8Array): number {
  for (let i = 31; i >= 0; i--) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

function littleEndianBytes(value: bigint): Uint8Array {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++, value >>= 8n) bytes[i] = Number(value & 0xffn);
  return bytes;
}

const L_BYTES = littleEndianBytes(L);
const P_BYTES = littleEndianBytes(P);
const ONE_BYTES = littleEndianBytes(1n);
const P_MINUS_ONE_BYTES = littleEndianBytes(P - 1n);

// S < L, as RFC 8032 §5.1.7 requires.
function isCanonicalScalar(s: Uint8Array): boolean {
  return compareLittleEndian(s, L_BYTES) < 0;
}

// y < p, and no x = 0 with the sign bit set (y = 1 or y = p - 1): the
// encodings noble's strict decoding refuses before it looks at the curve.
function isCanonicalPointEncoding(bytes: Uint8Array): boolean {
  const signBit = (bytes[31]! & 0x80) !== 0;
  const y = bytes.slice(0, 32);
  y[31] = y[31]! & 0x7f;
  if (compareLittleEndian(y, P_BYTES) >= 0) return false;
  return !(signBit &&
    (compareLittleEndian(y, ONE_BYTES) === 0 ||
      compareLittleEndian(y, P_MINUS_ONE_BYTES) === 0));
}

// Per public key (a run meets few): noble's strict decoding and its
// small-order refusal, and the imported native key.
const strictKeys = new Map<string, boolean>();
const nativeKeys = new Map<string, Promise<CryptoKey | undefined>>();
// The runtime's synchronous verifier, when the entry point gave one.
let syncVerify: SyncEd25519Verify | undefined;
// Runs of oneSignatureAtATime under way.
let oneAtATime = 0;
const KEY_CACHE_LIMIT = 1024;

function keyName(publicKey: Uint8Array): string {
  let name = "";
  for (const byte of publicKey) name += String.fromCharCode(byte);
  return name;
}

function isStrictPublicKey(publicKey: Uint8Array): boolean {
  const name = keyName(publicKey);
  let strict = strictKeys.get(name);
  if (strict === undefined) {
    try {
      strict = !Ed25519Point.fromBytes(publicKey, false).isSmallOrder();
    } catch {
      strict = false;
    }
    if (strictKeys.size >= KEY_CACHE_LIMIT) strictKeys.clear();
    strictKeys.set(name, strict);
  }
  return strict;
}

async function verifyNatively(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  // The runtime's own on this thread, when the Node builds gave one (see
  // useSyncEd25519Verify) and the caller waits for each signature in turn
  // (see oneSignatureAtATime).
  if (syncVerify && oneAtATime > 0) {
    return syncVerify(signature, message, publicKey);
  }
  return await verifyWithWebCrypto(signature, message, publicKey);
}

async function verifyWithWebCrypto(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  const name = keyName(publicKey);
  let key = nativeKeys.get(name);
  if (key === undefined) {
    key = crypto.subtle.importKey(
      "raw",
      publicKey.slice(),
      { name: "Ed25519" },
      false,
      ["verify"],
    ).catch(() => undefined);
    if (nativeKeys.size >= KEY_CACHE_LIMIT) nativeKeys.clear();
    nativeKeys.set(name, key);
  }
  const imported = await key;
  if (!imported) return false;
  try {
    return await crypto.subtle.verify(
      "Ed25519",
      imported,
      signature as BufferSource,
      message as BufferSource,
    );
  } catch {
    return false;
  }
}
