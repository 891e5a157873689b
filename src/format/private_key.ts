/**
 * Unencrypted Ed25519 private keys in OpenSSH's `openssh-key-v1` format
 * (openssh-portable PROTOCOL.key), read and written byte for byte as
 * ssh-keygen does, so users can inspect them with stock tools.
 *
 * @module
 */

import { equalBytes } from "../bytes/equal_bytes.ts";
import { timingSafeEqual } from "../bytes/timing_safe_equal.ts";
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  OPENSSH_KEY_BEGIN,
  OPENSSH_KEY_BLOCK_SIZE,
  OPENSSH_KEY_CIPHER,
  OPENSSH_KEY_CIPHER_BLOCK_SIZE,
  OPENSSH_KEY_END,
  OPENSSH_KEY_KDF,
  OPENSSH_KEY_MAGIC,
  OPENSSH_KEY_MAX_ROUNDS,
  OPENSSH_KEY_NONE,
  SSH_ED25519,
  TOOL_NAME,
} from "../constants.ts";
import { publicKeyFromSeed } from "../crypto/ed25519.ts";
import { aes256Ctr, deriveAesCtrKey } from "../crypto/key_encryption.ts";
import { ToolError } from "../errors.ts";
import { armor, dearmor } from "./armor.ts";
import { SshReader, SshWriter } from "./ssh_wire.ts";
import { decodePublicKeyBlob, encodePublicKeyBlob } from "./public_key.ts";

/** An Ed25519 private key. */
export interface PrivateKey {
  /** The 32-byte private seed. */
  seed: Uint8Array;
  /** The 32-byte public key derived from the seed. */
  publicKey: Uint8Array;
  /** The key's comment, often `user@host`. */
  comment: string;
}

const MAGIC = new TextEncoder().encode(OPENSSH_KEY_MAGIC);
const CREATE_HINT =
  `create a dedicated unencrypted key with "${TOOL_NAME} keys init"`;

/** Options for {@linkcode parsePrivateKey}. */
export interface ParsePrivateKeyOptions {
  /**
   * Asked for the passphrase of an encrypted key, only then: its UTF-8
   * bytes, or a thrown error (no terminal, say) that is passed on.
   */
  passphrase?: () => Promise<Uint8Array>;
}

// How the private section is protected: the header's cipher and KDF.
interface Protection {
  cipher: string;
  salt?: Uint8Array;
  rounds?: number;
}

/**
 * Parses an OpenSSH Ed25519 private key file: unencrypted, or encrypted
 * with `aes256-ctr` and the `bcrypt` KDF as `ssh-keygen -N` writes it (the
 * passphrase is then asked of `options.passphrase`).
 *
 * @param text The file's text.
 * @param source The file's path, named in errors.
 * @param options `passphrase`: how to get an encrypted key's passphrase.
 * @returns The seed, the public key and the comment.
 * @throws {ToolError} `INVALID_FORMAT` when the file is malformed;
 * `INVALID_KEY` when it is encrypted and no passphrase is given, the
 * passphrase is wrong, the cipher is another, it is not Ed25519, holds
 * several keys, or its public and private halves disagree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPrivateKey, parsePrivateKey } from "./private_key.ts";
 * import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
 * const seed = generateSeed();
 * const text = formatPrivateKey({ seed, publicKey: await publicKeyFromSeed(seed), comment: "me" });
 * assert.ok((await parsePrivateKey(text, "signing.key")).comment === "me");
 * ```
 */
export async function parsePrivateKey(
  text: string,
  source: string,
  options: ParsePrivateKeyOptions = {},
): Promise<PrivateKey> {
  const outer = new SshReader(
    dearmor(text, OPENSSH_KEY_BEGIN, OPENSSH_KEY_END, source),
    source,
  );
  const { publicKey, protection } = readHeader(outer, source);
  let section = outer.bytes("private section");
  outer.end("private section");
  let blockSize = OPENSSH_KEY_BLOCK_SIZE;
  if (protection.cipher !== OPENSSH_KEY_NONE) {
    section = await decryptSection(section, protection, source, options);
    blockSize = OPENSSH_KEY_CIPHER_BLOCK_SIZE;
  }
  const { seed, comment } = readPrivateSection(
    section,
    publicKey,
    source,
    blockSize,
  );
  if (!timingSafeEqual(await publicKeyFromSeed(seed), publicKey)) {
    unusable(
      source,
      `its public key does not match its private seed: ${CREATE_HINT}`,
    );
  }
  return { seed, publicKey, comment };
}

// Magic, cipher, KDF, key count and public key: everything before the
// private section. Returns the public key and how the section is protected.
function readHeader(
  outer: SshReader,
  source: string,
): { publicKey: Uint8Array; protection: Protection } {
  if (!equalBytes(outer.raw(MAGIC.length, "magic"), MAGIC)) {
    invalid(source, `it does not start with "openssh-key-v1"`);
  }
  const cipher = outer.text("cipher name");
  const kdf = outer.text("KDF name");
  const kdfOptions = outer.bytes("KDF options");
  const protection = readProtection(cipher, kdf, kdfOptions, source);
  const count = outer.uint32("number of keys");
  if (count !== 1) {
    unusable(
      source,
      `it holds ${count} keys, expected exactly 1: ${CREATE_HINT}`,
    );
  }
  const publicBlob = outer.bytes("public key");
  const type = new SshReader(publicBlob, source).text("public key type");
  if (type !== SSH_ED25519) {
    unusable(
      source,
      `key type is ${
        JSON.stringify(type)
      }, only "${SSH_ED25519}" keys are supported: ${CREATE_HINT}`,
    );
  }
  return { publicKey: decodePublicKeyBlob(publicBlob, source), protection };
}

// Unencrypted (none, none, no options), or aes256-ctr with bcrypt and its
// salt and rounds; any other cipher is refused by name.
function readProtection(
  cipher: string,
  kdf: string,
  kdfOptions: Uint8Array,
  source: string,
): Protection {
  if (cipher === OPENSSH_KEY_NONE && kdf === OPENSSH_KEY_NONE) {
    if (kdfOptions.length !== 0) {
      invalid(source, 'KDF options must be empty for KDF "none"');
    }
    return { cipher };
  }
  if (cipher !== OPENSSH_KEY_CIPHER || kdf !== OPENSSH_KEY_KDF) {
    unusable(
      source,
      `it is encrypted with cipher ${JSON.stringify(cipher)} and KDF ${
        JSON.stringify(kdf)
      }; only "${OPENSSH_KEY_CIPHER}" with "${OPENSSH_KEY_KDF}" (what "ssh-keygen -N" writes) is supported: ` +
        `re-encrypt it with "ssh-keygen -p -Z ${OPENSSH_KEY_CIPHER} -f KEY", or add it to an agent and use --agent`,
    );
  }
  const options = new SshReader(kdfOptions, source);
  const salt = options.bytes("KDF salt");
  const rounds = options.uint32("KDF rounds");
  options.end("KDF options");
  if (salt.length === 0 || rounds === 0 || rounds > OPENSSH_KEY_MAX_ROUNDS) {
    invalid(
      source,
      `KDF salt of ${salt.length} bytes and ${rounds} rounds are out of range`,
    );
  }
  return { cipher, salt, rounds };
}

// Check-ints, the Ed25519 private key, comment and padding. Both copies of
// the public key must equal the header's; the caller checks the seed.
function readPrivateSection(
  section: Uint8Array,
  publicKey: Uint8Array,
  source: string,
  blockSize: number,
): { seed: Uint8Array; comment: string } {
  const { innerPublic, secret, comment } = readSectionFields(
    section,
    source,
    blockSize,
  );
  const seed = checkKeyHalves(innerPublic, secret, publicKey, source);
  return { seed, comment };
}

// The section's wire syntax: its length, check-ints, key type, the two key
// fields as they stand, comment and padding, in wire order.
function readSectionFields(
  section: Uint8Array,
  source: string,
  blockSize: number,
): { innerPublic: Uint8Array; secret: Uint8Array; comment: string } {
  if (section.length % blockSize !== 0) {
    invalid(
      source,
      `private section is ${section.length} bytes, not a multiple of ${blockSize}`,
    );
  }
  const inner = new SshReader(section, source);
  if (inner.uint32("check-int 1") !== inner.uint32("check-int 2")) {
    invalid(source, "the two check-ints differ");
  }
  const type = inner.text("private key type");
  if (type !== SSH_ED25519) {
    unusable(
      source,
      `private key type is ${
        JSON.stringify(type)
      } but the public key is "${SSH_ED25519}"`,
    );
  }
  const innerPublic = inner.bytes("private section public key");
  const secret = inner.bytes("private section secret key");
  const comment = inner.text("comment");
  const padding = inner.raw(inner.remaining, "padding");
  if (
    padding.length >= blockSize ||
    padding.some((b, i) => b !== i + 1)
  ) {
    invalid(
      source,
      `padding must be the bytes 1, 2, 3… up to the next ${blockSize}-byte block`,
    );
  }
  return { innerPublic, secret, comment };
}

// The key fields' sizes, and both copies of the public key against the
// header's; returns the seed.
function checkKeyHalves(
  innerPublic: Uint8Array,
  secret: Uint8Array,
  publicKey: Uint8Array,
  source: string,
): Uint8Array {
  if (innerPublic.length !== ED25519_PUBLIC_KEY_BYTES) {
    invalid(
      source,
      `private section public key is ${innerPublic.length} bytes, expected ${ED25519_PUBLIC_KEY_BYTES}`,
    );
  }
  const secretLength = ED25519_SEED_BYTES + ED25519_PUBLIC_KEY_BYTES;
  if (secret.length !== secretLength) {
    invalid(
      source,
      `secret key is ${secret.length} bytes, expected ${secretLength}`,
    );
  }
  if (
    !timingSafeEqual(innerPublic, publicKey) ||
    !timingSafeEqual(secret.subarray(ED25519_SEED_BYTES), publicKey)
  ) {
    unusable(
      source,
      `its public key does not match its private seed: ${CREATE_HINT}`,
    );
  }
  return secret.slice(0, ED25519_SEED_BYTES);
}

/**
 * Tells whether an OpenSSH private key file is encrypted, and reads its
 * public key, without decrypting anything.
 *
 * @param text The file's text.
 * @param source The file's path, named in errors.
 * @returns The public key, and whether a passphrase protects the key.
 * @throws {ToolError} As {@linkcode parsePrivateKey} for the header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPrivateKey, readPrivateKeyHeader } from "./private_key.ts";
 * import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
 * const seed = generateSeed();
 * const text = formatPrivateKey({ seed, publicKey: await publicKeyFromSeed(seed), comment: "" });
 * assert.equal(readPrivateKeyHeader(text, "k").encrypted, false);
 * ```
 */
export function readPrivateKeyHeader(
  text: string,
  source: string,
): { publicKey: Uint8Array; encrypted: boolean } {
  const outer = new SshReader(
    dearmor(text, OPENSSH_KEY_BEGIN, OPENSSH_KEY_END, source),
    source,
  );
  const { publicKey, protection } = readHeader(outer, source);
  return { publicKey, encrypted: protection.cipher !== OPENSSH_KEY_NONE };
}

// Derives the key from the passphrase and decrypts the private section. A
// wrong passphrase decrypts to noise, which the check-ints catch.
async function decryptSection(
  section: Uint8Array,
  protection: Protection,
  source: string,
  options: ParsePrivateKeyOptions,
): Promise<Uint8Array> {
  if (!options.passphrase) {
    unusable(
      source,
      `it is protected by a passphrase and none can be asked for here: ${CREATE_HINT}`,
    );
  }
  if (section.length % OPENSSH_KEY_CIPHER_BLOCK_SIZE !== 0) {
    invalid(
      source,
      `encrypted private section is ${section.length} bytes, not a multiple of ${OPENSSH_KEY_CIPHER_BLOCK_SIZE}`,
    );
  }
  const passphrase = await options.passphrase();
  try {
    // bcrypt_pbkdf refuses an empty passphrase, as OpenSSH's does: such a
    // key would have been written unencrypted.
    if (passphrase.length === 0) {
      unusable(source, "wrong passphrase (it is empty); nothing was signed");
    }
    const { key, iv } = await deriveAesCtrKey(
      passphrase,
      protection.salt!,
      protection.rounds!,
    );
    const plain = await aes256Ctr(key, iv, section);
    key.fill(0);
    const view = new DataView(plain.buffer, plain.byteOffset);
    if (plain.length < 8 || view.getUint32(0) !== view.getUint32(4)) {
      plain.fill(0);
      unusable(
        source,
        "wrong passphrase (the decrypted check-ints differ); nothing was signed",
      );
    }
    return plain;
  } finally {
    passphrase.fill(0);
  }
}

/**
 * Formats a private key as an unencrypted `openssh-key-v1` file, exactly as
 * `ssh-keygen -t ed25519 -N ""` writes it (random check-int, 70-character
 * lines, final "\n"). The key is not re-derived: pass a consistent one.
 *
 * @param key The seed, its public key and a comment.
 * @returns The armored file text.
 * @throws {ToolError} `INVALID_KEY` when the seed or public key is not 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPrivateKey } from "./private_key.ts";
 * import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
 * import { OPENSSH_KEY_BEGIN } from "../constants.ts";
 * const seed = generateSeed();
 * const text = formatPrivateKey({ seed, publicKey: await publicKeyFromSeed(seed), comment: "" });
 * assert.ok(text.startsWith(OPENSSH_KEY_BEGIN + "\n"));
 * ```
 */
export function formatPrivateKey(key: PrivateKey): string {
  if (key.seed.length !== ED25519_SEED_BYTES) {
    throw new ToolError(
      "INVALID_KEY",
      `Invalid Ed25519 seed: ${key.seed.length} bytes, expected ${ED25519_SEED_BYTES}`,
    );
  }
  const publicBlob = encodePublicKeyBlob(key.publicKey);
  const checkInt = crypto.getRandomValues(new Uint32Array(1))[0]!;
  const secret = new Uint8Array(ED25519_SEED_BYTES + ED25519_PUBLIC_KEY_BYTES);
  secret.set(key.seed);
  secret.set(key.publicKey, ED25519_SEED_BYTES);
  const section = new SshWriter()
    .uint32(checkInt)
    .uint32(checkInt)
    .text(SSH_ED25519)
    .bytes(key.publicKey)
    .bytes(secret)
    .text(key.comment)
    .finish();
  const padLength =
    (OPENSSH_KEY_BLOCK_SIZE - section.length % OPENSSH_KEY_BLOCK_SIZE) %
    OPENSSH_KEY_BLOCK_SIZE;
  const padding = Uint8Array.from({ length: padLength }, (_, i) => i + 1);
  const blob = new SshWriter()
    .raw(MAGIC)
    .text(OPENSSH_KEY_NONE)
    .text(OPENSSH_KEY_NONE)
    .bytes(new Uint8Array())
    .uint32(1)
    .bytes(publicBlob)
    .uint32(section.length + padLength)
    .raw(section)
    .raw(padding)
    .finish();
  return armor(blob, OPENSSH_KEY_BEGIN, OPENSSH_KEY_END);
}

function invalid(source: string, detail: string): never {
  throw new ToolError(
    "INVALID_FORMAT",
    `Invalid private key "${source}": ${detail}`,
  );
}

function unusable(source: string, detail: string): never {
  throw new ToolError(
    "INVALID_KEY",
    `Cannot use private key "${source}": ${detail}`,
  );
}
