/**
 * The encryption of passphrase-protected OpenSSH private keys, as
 * `ssh-keygen -N PASSPHRASE` writes them (openssh-portable PROTOCOL.key,
 * sshkey.c): the `bcrypt` KDF (OpenBSD's bcrypt_pbkdf, from the
 * `bcrypt-pbkdf` package) derives the AES key and counter from the
 * passphrase, and `aes256-ctr` (WebCrypto's AES-CTR) decrypts the private
 * section.
 *
 * @module
 */

import { loadBcryptPbkdf } from "../deps.ts";
import { ToolError } from "../errors.ts";

const AES256_KEY_BYTES = 32;
const AES_BLOCK_BYTES = 16;

/**
 * Derives the key and initial counter of `aes256-ctr` from a passphrase.
 *
 * @param passphrase The passphrase's bytes (UTF-8).
 * @param salt The KDF's salt, from the key file.
 * @param rounds The KDF's rounds, from the key file.
 * @returns The 32-byte AES key and the 16-byte initial counter.
 * @throws {ToolError} `INVALID_KEY` when the KDF refuses its arguments.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deriveAesCtrKey } from "./key_encryption.ts";
 * const { key, iv } = await deriveAesCtrKey(new TextEncoder().encode("pass"), new Uint8Array(16), 1);
 * assert.equal(key.length + iv.length, 48);
 * ```
 */
export async function deriveAesCtrKey(
  passphrase: Uint8Array,
  salt: Uint8Array,
  rounds: number,
): Promise<{ key: Uint8Array; iv: Uint8Array }> {
  const bcrypt = await loadBcryptPbkdf();
  const out = new Uint8Array(AES256_KEY_BYTES + AES_BLOCK_BYTES);
  const status = bcrypt.pbkdf(
    passphrase,
    passphrase.length,
    salt,
    salt.length,
    out,
    out.length,
    rounds,
  );
  if (status !== 0) {
    throw new ToolError(
      "INVALID_KEY",
      `Cannot derive the key's decryption key: bcrypt_pbkdf refused (salt ${salt.length} bytes, ${rounds} rounds)`,
    );
  }
  return {
    key: out.slice(0, AES256_KEY_BYTES),
    iv: out.slice(AES256_KEY_BYTES),
  };
}

/**
 * Decrypts (or encrypts: CTR mode is its own inverse) with AES-256-CTR,
 * the 16-byte counter block counting as one 128-bit big-endian number, as
 * OpenSSH's `aes256-ctr` does.
 *
 * @param key The 32-byte key.
 * @param iv The 16-byte initial counter block.
 * @param data The bytes.
 * @returns The transformed bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aes256Ctr } from "./key_encryption.ts";
 * const key = new Uint8Array(32), iv = new Uint8Array(16), data = new Uint8Array([1, 2, 3]);
 * assert.deepEqual(await aes256Ctr(key, iv, await aes256Ctr(key, iv, data)), data);
 * ```
 */
export async function aes256Ctr(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey(
    "raw",
    key as BufferSource,
    { name: "AES-CTR" },
    false,
    ["decrypt"],
  );
  return new Uint8Array(
    await crypto.subtle.decrypt(
      { name: "AES-CTR", counter: iv as BufferSource, length: 128 },
      imported,
      data as BufferSource,
    ),
  );
}
