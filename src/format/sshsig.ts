/**
 * SSHSIG signatures (openssh-portable PROTOCOL.sshsig), the format of
 * `ssh-keygen -Y sign`: made here, parsed strictly into
 * {@linkcode SshSignature}, and verified from that type alone.
 *
 * @module
 */

import { equalBytes } from "../bytes/equal_bytes.ts";
import {
  ED25519_SIGNATURE_BYTES,
  SIGNATURE_NAMESPACE,
  SK_FLAG_USER_PRESENT,
  SK_SSH_ED25519,
  SSH_ED25519,
  SSHSIG_BEGIN,
  SSHSIG_END,
  SSHSIG_HASHES,
  SSHSIG_MAGIC,
  SSHSIG_SIGNING_HASH,
  SSHSIG_VERSION,
} from "../constants.ts";
import { signEd25519, verifyEd25519 } from "../crypto/ed25519.ts";
import { sha256, sha512 } from "../crypto/sha.ts";
import { ToolError } from "../errors.ts";
import { armor, dearmor } from "./armor.ts";
import { SshReader, SshWriter } from "./ssh_wire.ts";
import type { PrivateKey } from "./private_key.ts";
import {
  decodePublicKeyBlob,
  decodeSkPublicKeyBlob,
  encodePublicKeyBlob,
  encodeSkPublicKeyBlob,
  keyId,
  skKeyId,
} from "./public_key.ts";

/**
 * What a FIDO token adds to a `sk-ssh-ed25519@openssh.com` signature
 * (openssh-portable PROTOCOL.u2f).
 */
export interface SkSignatureFields {
  /** The key's FIDO application, from its public key blob (e.g. `ssh:`). */
  application: string;
  /** The token's flags: 0x01 user present, 0x04 user verified. */
  flags: number;
  /** The token's signature counter. */
  counter: number;
}

/** A parsed SSHSIG signature. Its reserved field is always empty. */
export interface SshSignature {
  /** The signer's 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /**
   * Set for a key on a FIDO token (`sk-ssh-ed25519@openssh.com`): what the
   * token signed besides the data, and the key's application.
   */
  sk?: SkSignatureFields;
  /** The domain the signature is for; ours is `mcp-orchestration`, git's is `git`. */
  namespace: string;
  /** How the message was hashed before signing. */
  hashAlgorithm: "sha256" | "sha512";
  /** The 64-byte Ed25519 signature. */
  signature: Uint8Array;
}

/**
 * A key whose private half is elsewhere (an SSH agent): only its public key
 * is here, and `sign` asks the holder to sign. What comes back is checked
 * against the public key before anything uses it.
 */
export interface RemoteSigner {
  /** The signer's 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The key's comment, as the holder reports it. */
  comment: string;
  /** Who holds the key, named in errors: `the SSH agent at "…"`. */
  holder: string;
  /**
   * Signs bytes with the key.
   *
   * @param data The bytes to sign (for SSHSIG, the "signed data" blob).
   * @returns The 64-byte Ed25519 signature.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Set when the key is on a FIDO token (`sk-ssh-ed25519@openssh.com`):
   * its application, and how to have it sign (the signature with the
   * token's flags and counter). `sign` is then not used.
   */
  sk?: {
    application: string;
    sign(
      data: Uint8Array,
    ): Promise<{ signature: Uint8Array; flags: number; counter: number }>;
  };
}

/** A key to sign with: a private key in memory, or one an agent holds. */
export type SignerKey = PrivateKey | RemoteSigner;

/** Options for {@linkcode createSshSignature}. */
export interface CreateSshSignatureOptions {
  /** The SSHSIG namespace; defaults to {@linkcode SIGNATURE_NAMESPACE}. */
  namespace?: string;
}

const MAGIC = new TextEncoder().encode(SSHSIG_MAGIC);
const SHA512_BYTES = 64;

/**
 * Signs a message as `ssh-keygen -Y sign -n mcp-orchestration` would, and
 * verifies the result before returning it.
 *
 * @param message The bytes to sign.
 * @param key The signer's private key, or a {@linkcode RemoteSigner}.
 * @param options `namespace`: the SSHSIG namespace.
 * @returns The armored signature, ending in "\n".
 * @throws {ToolError} `INVALID_FORMAT` when the namespace is empty;
 * `INVALID_KEY` when the key is malformed or its public key does not match its seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSshSignature } from "./sshsig.ts";
 * import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
 * const seed = generateSeed();
 * const key = { seed, publicKey: await publicKeyFromSeed(seed), comment: "" };
 * const armored = await createSshSignature(new TextEncoder().encode("{}"), key);
 * assert.ok(armored.startsWith("-----BEGIN SSH SIGNATURE-----\n"));
 * ```
 */
export async function createSshSignature(
  message: Uint8Array,
  key: SignerKey,
  options: CreateSshSignatureOptions = {},
): Promise<string> {
  return await createSshSignatureOfDigest(await sha512(message), key, options);
}

/**
 * Signs a message given by its SHA-512 digest, exactly as
 * {@linkcode createSshSignature} signs the message itself: SSHSIG signs the
 * digest, so a large file can be hashed as a stream instead of held in memory.
 *
 * @param digest The 64-byte SHA-512 digest of the message.
 * @param key The signer's private key.
 * @param options `namespace`: the SSHSIG namespace.
 * @returns The armored signature, ending in "\n".
 * @throws {ToolError} `INVALID_FORMAT` when the namespace is empty or the
 * digest is not 64 bytes; `INVALID_KEY` as {@linkcode createSshSignature}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSshSignature, createSshSignatureOfDigest } from "./sshsig.ts";
 * import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
 * import { sha512 } from "../crypto/sha.ts";
 * const seed = generateSeed();
 * const key = { seed, publicKey: await publicKeyFromSeed(seed), comment: "" };
 * const message = new TextEncoder().encode("release");
 * assert.equal(
 *   await createSshSignatureOfDigest(await sha512(message), key),
 *   await createSshSignature(message, key),
 * );
 * ```
 */
export async function createSshSignatureOfDigest(
  digest: Uint8Array,
  key: SignerKey,
  options: CreateSshSignatureOptions = {},
): Promise<string> {
  const namespace = options.namespace ?? SIGNATURE_NAMESPACE;
  if (namespace === "") {
    throw new ToolError(
      "INVALID_FORMAT",
      "Cannot sign: the SSHSIG namespace must not be empty",
    );
  }
  if (digest.length !== SHA512_BYTES) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot sign: a SHA-512 digest is ${SHA512_BYTES} bytes, got ${digest.length}`,
    );
  }
  const data = signedDigest(namespace, SSHSIG_SIGNING_HASH, digest);
  if (!("seed" in key) && key.sk) {
    return await createFidoSignature(key, key.sk, namespace, data);
  }
  const publicBlob = encodePublicKeyBlob(key.publicKey);
  const signature = "seed" in key
    ? await signEd25519(key.seed, data)
    : await key.sign(data);
  // A key whose public half does not match its seed would yield a signature
  // that nobody can verify; refuse it here rather than ship it. An agent
  // signs whatever it is asked, with whatever key it picks: its answer is
  // trusted only once it verifies over these exact bytes with this key.
  if (!await verifyEd25519(signature, data, key.publicKey)) {
    throw new ToolError(
      "INVALID_KEY",
      "seed" in key
        ? "Cannot sign: the private key's public key does not match its seed"
        : `Cannot sign: ${key.holder} returned a signature that does not verify with the key asked for; nothing was written`,
    );
  }
  const blob = new SshWriter()
    .raw(MAGIC)
    .uint32(SSHSIG_VERSION)
    .bytes(publicBlob)
    .text(namespace)
    .text("")
    .text(SSHSIG_SIGNING_HASH)
    .bytes(new SshWriter().text(SSH_ED25519).bytes(signature).finish())
    .finish();
  return armor(blob, SSHSIG_BEGIN, SSHSIG_END);
}

// The SSHSIG of a key on a FIDO token: its blob names the application, and
// the signature carries the token's flags and counter. Verified, with the
// user-presence flag required, before it is returned.
async function createFidoSignature(
  key: RemoteSigner,
  sk: NonNullable<RemoteSigner["sk"]>,
  namespace: string,
  data: Uint8Array,
): Promise<string> {
  const answer = await sk.sign(data);
  const fields = {
    application: sk.application,
    flags: answer.flags & 0xff,
    counter: answer.counter >>> 0,
  };
  if (
    (fields.flags & SK_FLAG_USER_PRESENT) === 0 ||
    !await verifyEd25519(
      answer.signature,
      await fidoSignedData(fields, data),
      key.publicKey,
    )
  ) {
    throw new ToolError(
      "INVALID_KEY",
      `Cannot sign: ${key.holder} returned a FIDO signature that does not verify with the key asked for, ` +
        `or was made without user presence; nothing was written`,
    );
  }
  const blob = new SshWriter()
    .raw(MAGIC)
    .uint32(SSHSIG_VERSION)
    .bytes(encodeSkPublicKeyBlob(key.publicKey, sk.application))
    .text(namespace)
    .text("")
    .text(SSHSIG_SIGNING_HASH)
    .bytes(
      new SshWriter().text(SK_SSH_ED25519).bytes(answer.signature)
        .raw(Uint8Array.of(fields.flags)).uint32(fields.counter).finish(),
    )
    .finish();
  return armor(blob, SSHSIG_BEGIN, SSHSIG_END);
}

/**
 * Parses an armored SSHSIG signature strictly. It checks the layout only;
 * {@linkcode verifySshSignature} checks the namespace and the cryptography.
 *
 * @param armored The signature file's text.
 * @param source The file's path, named in errors.
 * @returns The parsed signature.
 * @throws {ToolError} `INVALID_FORMAT` when any field is malformed, the key is
 * not Ed25519, the reserved field is not empty, or bytes trail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSshSignature, parseSshSignature } from "./sshsig.ts";
 * import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
 * const seed = generateSeed();
 * const key = { seed, publicKey: await publicKeyFromSeed(seed), comment: "" };
 * const armored = await createSshSignature(new Uint8Array(), key);
 * assert.ok(parseSshSignature(armored, "x.sig").hashAlgorithm === "sha512");
 * ```
 */
export function parseSshSignature(
  armored: string,
  source: string,
): SshSignature {
  const invalid = (detail: string): never => {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid SSH signature "${source}": ${detail}`,
    );
  };
  const reader = new SshReader(
    dearmor(armored, SSHSIG_BEGIN, SSHSIG_END, source),
    source,
  );
  if (!equalBytes(reader.raw(MAGIC.length, "magic"), MAGIC)) {
    invalid(`it does not start with "${SSHSIG_MAGIC}"`);
  }
  const version = reader.uint32("version");
  if (version !== SSHSIG_VERSION) {
    invalid(`version is ${version}, expected ${SSHSIG_VERSION}`);
  }
  const keyBlob = reader.bytes("public key");
  const keyType = new SshReader(keyBlob, source).text("public key type");
  let publicKey: Uint8Array;
  let application: string | undefined;
  if (keyType === SK_SSH_ED25519) {
    ({ key: publicKey, application } = decodeSkPublicKeyBlob(keyBlob, source));
  } else {
    publicKey = decodePublicKeyBlob(keyBlob, source);
  }
  const namespace = reader.text("namespace");
  if (namespace === "") invalid("namespace is empty");
  const reserved = reader.bytes("reserved");
  if (reserved.length !== 0) {
    invalid(`reserved field is ${reserved.length} bytes, expected empty`);
  }
  const hashAlgorithm = reader.text("hash algorithm");
  if (!isHashAlgorithm(hashAlgorithm)) {
    return invalid(
      `hash algorithm is ${
        JSON.stringify(hashAlgorithm)
      }, expected "sha256" or "sha512"`,
    );
  }
  const signatureBlob = new SshReader(reader.bytes("signature"), source);
  reader.end("signature");
  const type = signatureBlob.text("signature type");
  const expectedType = application === undefined ? SSH_ED25519 : SK_SSH_ED25519;
  if (type !== expectedType) {
    invalid(
      `signature type is ${JSON.stringify(type)}, expected "${expectedType}"`,
    );
  }
  const signature = signatureBlob.bytes("Ed25519 signature");
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    invalid(
      `Ed25519 signature is ${signature.length} bytes, expected ${ED25519_SIGNATURE_BYTES}`,
    );
  }
  // A FIDO signature carries the token's flags and counter after it.
  const sk = application === undefined ? undefined : {
    application,
    flags: signatureBlob.raw(1, "FIDO flags")[0]!,
    counter: signatureBlob.uint32("FIDO counter"),
  };
  signatureBlob.end("Ed25519 signature");
  return {
    publicKey,
    ...(sk ? { sk } : {}),
    namespace,
    hashAlgorithm,
    signature: signature.slice(),
  };
}

/**
 * Verifies a parsed SSHSIG signature over a message, in a namespace. Never
 * throws: a namespace mismatch or any malformed input gives `false`.
 *
 * @param sig The parsed signature.
 * @param message The signed bytes.
 * @param namespace The namespace the caller requires.
 * @returns Whether the signature is valid for this message and namespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSshSignature, parseSshSignature, verifySshSignature } from "./sshsig.ts";
 * import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
 * const seed = generateSeed();
 * const key = { seed, publicKey: await publicKeyFromSeed(seed), comment: "" };
 * const message = new TextEncoder().encode("{}");
 * const sig = parseSshSignature(await createSshSignature(message, key), "x.sig");
 * assert.ok(await verifySshSignature(sig, message, "mcp-orchestration"));
 * assert.ok(!await verifySshSignature(sig, message, "git"));
 * ```
 */
export async function verifySshSignature(
  sig: SshSignature,
  message: Uint8Array,
  namespace: string,
): Promise<boolean> {
  try {
    if (namespace === "" || sig.namespace !== namespace) return false;
    if (!isHashAlgorithm(sig.hashAlgorithm)) return false;
    const data = await signedData(namespace, sig.hashAlgorithm, message);
    if (sig.sk) {
      // No touch, no signature: stricter than ssh-keygen -Y verify (9.2),
      // which does not look at the flag.
      if ((sig.sk.flags & SK_FLAG_USER_PRESENT) === 0) return false;
      return await verifyEd25519(
        sig.signature,
        await fidoSignedData(sig.sk, data),
        sig.publicKey,
      );
    }
    return await verifyEd25519(sig.signature, data, sig.publicKey);
  } catch {
    return false;
  }
}

// What Ed25519 actually signs (PROTOCOL.sshsig §3); the reserved string is
// always empty here because the parser refuses any other.
async function signedData(
  namespace: string,
  hashAlgorithm: "sha256" | "sha512",
  message: Uint8Array,
): Promise<Uint8Array> {
  const digest = hashAlgorithm === "sha256"
    ? await sha256(message)
    : await sha512(message);
  return signedDigest(namespace, hashAlgorithm, digest);
}

/**
 * The key id of a signature's key, as `ssh-keygen -lf` prints it: of the
 * `sk-ssh-ed25519@openssh.com` blob (application included) for a FIDO key.
 *
 * @param sig The parsed signature.
 * @returns `SHA256:…`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSshSignature, parseSshSignature, signatureKeyId } from "./sshsig.ts";
 * import { keyId } from "./public_key.ts";
 * import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
 * const seed = generateSeed();
 * const key = { seed, publicKey: await publicKeyFromSeed(seed), comment: "" };
 * const sig = parseSshSignature(await createSshSignature(new Uint8Array(), key), "x.sig");
 * assert.equal(await signatureKeyId(sig), await keyId(key.publicKey));
 * ```
 */
export async function signatureKeyId(sig: SshSignature): Promise<string> {
  return sig.sk
    ? await skKeyId(sig.publicKey, sig.sk.application)
    : await keyId(sig.publicKey);
}

// What a FIDO token signs (PROTOCOL.u2f): SHA-256(application) ‖ flags ‖
// uint32 counter ‖ SHA-256(data), the data being SSHSIG's signed data.
async function fidoSignedData(
  sk: SkSignatureFields,
  data: Uint8Array,
): Promise<Uint8Array> {
  return new SshWriter()
    .raw(await sha256(new TextEncoder().encode(sk.application)))
    .raw(Uint8Array.of(sk.flags))
    .uint32(sk.counter)
    .raw(await sha256(data))
    .finish();
}

function signedDigest(
  namespace: string,
  hashAlgorithm: "sha256" | "sha512",
  digest: Uint8Array,
): Uint8Array {
  return new SshWriter()
    .raw(MAGIC)
    .text(namespace)
    .text("")
    .text(hashAlgorithm)
    .bytes(digest)
    .finish();
}

function isHashAlgorithm(name: string): name is "sha256" | "sha512" {
  return (SSHSIG_HASHES as readonly string[]).includes(name);
}
