/**
 * Ed25519 with one verification rule everywhere: strict RFC 8032 as
 * @noble/ed25519 defines it with `zip215: false` (canonical R and A, S < L,
 * small-order public keys refused, cofactored equation). Nothing else in the
 * code base verifies Ed25519, so a signature is valid for every caller or for
 * none.
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
    // noble's default is ZIP-215, which accepts non-canonical encodings; the
    // strict branch is the one rule this tool applies.
    return await ed25519VerifyRaw(signature, message, publicKey, {
      zip215: false,
    });
  } catch {
    return false;
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
