/**
 * Ed25519 public keys in OpenSSH's forms: the wire blob (RFC 8709), the
 * one-line `.pub` / allowed_signers form, and the key id that
 * `ssh-keygen -lf` prints.
 *
 * @module
 */

import {
  ED25519_PUBLIC_KEY_BYTES,
  KEY_ID_PREFIX,
  SK_SSH_ED25519,
  SSH_ED25519,
} from "../constants.ts";
import { sha256, toHex } from "../crypto/sha.ts";
import { ToolError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { SshReader, SshWriter } from "./ssh_wire.ts";
import { hasControl } from "./lines.ts";

/** A parsed public key line. */
export interface PublicKeyLine {
  /** The 32-byte Ed25519 public key. */
  key: Uint8Array;
  /** The free-text comment after the key, or "" when there is none. */
  comment: string;
}

/**
 * Encodes an Ed25519 public key as an SSH wire blob.
 *
 * @param key The 32-byte public key.
 * @returns string "ssh-ed25519" ‖ string key.
 * @throws {ToolError} `INVALID_KEY` when the key is not 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodePublicKeyBlob } from "./public_key.ts";
 * assert.ok(encodePublicKeyBlob(new Uint8Array(32)).length === 51);
 * ```
 */
export function encodePublicKeyBlob(key: Uint8Array): Uint8Array {
  if (key.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new ToolError(
      "INVALID_KEY",
      `Invalid Ed25519 public key: ${key.length} bytes, expected ${ED25519_PUBLIC_KEY_BYTES}`,
    );
  }
  return new SshWriter().text(SSH_ED25519).bytes(key).finish();
}

/**
 * Decodes an SSH wire public key blob, which must hold an Ed25519 key.
 *
 * @param blob The blob.
 * @param source Where the blob comes from (a file path), named in errors.
 * @returns The 32-byte public key.
 * @throws {ToolError} `INVALID_FORMAT` when the blob is malformed or not Ed25519.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePublicKeyBlob, encodePublicKeyBlob } from "./public_key.ts";
 * const blob = encodePublicKeyBlob(new Uint8Array(32).fill(7));
 * assert.ok(decodePublicKeyBlob(blob, "a.pub")[0] === 7);
 * ```
 */
export function decodePublicKeyBlob(
  blob: Uint8Array,
  source: string,
): Uint8Array {
  const reader = new SshReader(blob, source);
  const type = reader.text("public key type");
  if (type !== SSH_ED25519) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Unsupported public key in "${source}": key type is ${
        JSON.stringify(type)
      }, only "${SSH_ED25519}" keys are supported`,
    );
  }
  const key = reader.bytes("public key");
  if (key.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid public key in "${source}": key is ${key.length} bytes, expected ${ED25519_PUBLIC_KEY_BYTES}`,
    );
  }
  reader.end("public key");
  return key.slice();
}

/**
 * Parses a public key line, `ssh-ed25519 BASE64 [comment]`, as in a `.pub`
 * file. One trailing line ending is allowed.
 *
 * @param line The line.
 * @param source Where the line comes from (a file path), named in errors.
 * @returns The key and its comment.
 * @throws {ToolError} `INVALID_FORMAT` when the line is malformed, the key
 * is not Ed25519, or the blob's type differs from the first field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPublicKeyLine, parsePublicKeyLine } from "./public_key.ts";
 * const line = formatPublicKeyLine(new Uint8Array(32).fill(1), "me@host");
 * assert.ok(parsePublicKeyLine(line, "a.pub").comment === "me@host");
 * ```
 */
export function parsePublicKeyLine(
  line: string,
  source: string,
): PublicKeyLine {
  const fail = (detail: string): never => {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid public key in "${source}": ${detail}`,
    );
  };
  const text = line.replace(/\r?\n$/, "");
  if (hasControl(text, { allowTab: true })) {
    fail("the line has control characters or more than one line");
  }
  const match = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(text);
  if (!match) return fail(`expected "${SSH_ED25519} BASE64 [comment]"`);
  const [, type = "", base64 = "", comment = ""] = match;
  if (type !== SSH_ED25519) {
    fail(
      `key type is ${
        JSON.stringify(type)
      }, only "${SSH_ED25519}" keys are supported`,
    );
  }
  const blob = decodeBase64(base64, `public key "${source}"`);
  const blobType = new SshReader(blob, source).text("public key type");
  if (blobType !== type) {
    fail(
      `the line says ${JSON.stringify(type)} but the key blob is ${
        JSON.stringify(blobType)
      }`,
    );
  }
  return { key: decodePublicKeyBlob(blob, source), comment: comment.trim() };
}

/**
 * Formats a public key as a line, `ssh-ed25519 BASE64 [comment]`.
 *
 * @param key The 32-byte public key.
 * @param comment An optional single-line comment.
 * @returns The line, without a trailing newline.
 * @throws {ToolError} `INVALID_KEY` when the key is not 32 bytes;
 * `INVALID_FORMAT` when the comment spans lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPublicKeyLine } from "./public_key.ts";
 * assert.ok(formatPublicKeyLine(new Uint8Array(32)).startsWith("ssh-ed25519 AAAAC3"));
 * ```
 */
export function formatPublicKeyLine(key: Uint8Array, comment?: string): string {
  const line = `${SSH_ED25519} ${encodeBase64(encodePublicKeyBlob(key))}`;
  if (comment === undefined || comment === "") return line;
  if (hasControl(comment, { allowTab: true })) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid public key comment ${
        JSON.stringify(comment)
      }: it must be one line without control characters other than tabs`,
    );
  }
  return `${line} ${comment}`;
}

/**
 * Computes a key's id: its OpenSSH SHA-256 fingerprint, as `ssh-keygen -lf`
 * prints it.
 *
 * @param key The 32-byte public key.
 * @returns `SHA256:` followed by the unpadded base64 of the blob's SHA-256.
 * @throws {ToolError} `INVALID_KEY` when the key is not 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyId } from "./public_key.ts";
 * const id = await keyId(new Uint8Array(32));
 * assert.ok(id.startsWith("SHA256:") && id.length === 50);
 * ```
 */
export async function keyId(key: Uint8Array): Promise<string> {
  const digest = await sha256(encodePublicKeyBlob(key));
  return KEY_ID_PREFIX + encodeBase64(digest).replace(/=+$/, "");
}

/**
 * Decodes the blob of an Ed25519 key on a FIDO token:
 * string `sk-ssh-ed25519@openssh.com`, string key (32 bytes), string
 * application (e.g. `ssh:`).
 *
 * @param blob The key blob.
 * @param source Where it comes from, named in errors.
 * @returns The 32-byte key and the application.
 * @throws {ToolError} `INVALID_FORMAT` when the blob is another type or
 * malformed, or its application has a NUL byte (as OpenSSH refuses it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSkPublicKeyBlob, encodeSkPublicKeyBlob } from "./public_key.ts";
 * const blob = encodeSkPublicKeyBlob(new Uint8Array(32).fill(7), "ssh:");
 * assert.equal(decodeSkPublicKeyBlob(blob, "k").application, "ssh:");
 * ```
 */
export function decodeSkPublicKeyBlob(
  blob: Uint8Array,
  source: string,
): { key: Uint8Array; application: string } {
  const reader = new SshReader(blob, source);
  const type = reader.text("public key type");
  if (type !== SK_SSH_ED25519) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid public key in "${source}": key type is ${
        JSON.stringify(type)
      }, expected "${SK_SSH_ED25519}"`,
    );
  }
  const key = reader.bytes("public key");
  if (key.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid public key in "${source}": key is ${key.length} bytes, expected ${ED25519_PUBLIC_KEY_BYTES}`,
    );
  }
  const application = reader.text("application");
  reader.end("public key");
  // OpenSSH reads the application as a C string (sshbuf_get_cstring), which
  // refuses a NUL byte: ssh-keygen -Y verify rejects such a key and its
  // signatures, so we do too.
  if (application.includes("\0")) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid public key in "${source}": the FIDO application has a NUL byte`,
    );
  }
  return { key: key.slice(), application };
}

/**
 * Encodes an Ed25519 FIDO key's blob (see {@linkcode decodeSkPublicKeyBlob}).
 *
 * @param key The 32-byte key.
 * @param application The FIDO application, e.g. `ssh:`.
 * @returns The blob.
 * @throws {ToolError} `INVALID_KEY` when the key is not 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeSkPublicKeyBlob } from "./public_key.ts";
 * assert.ok(encodeSkPublicKeyBlob(new Uint8Array(32), "ssh:").length > 32);
 * ```
 */
export function encodeSkPublicKeyBlob(
  key: Uint8Array,
  application: string,
): Uint8Array {
  if (key.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new ToolError(
      "INVALID_KEY",
      `Invalid Ed25519 public key: ${key.length} bytes, expected ${ED25519_PUBLIC_KEY_BYTES}`,
    );
  }
  return new SshWriter().text(SK_SSH_ED25519).bytes(key).text(application)
    .finish();
}

/**
 * The key id of a FIDO Ed25519 key, as `ssh-keygen -lf` prints it: the
 * SHA-256 of its blob, application included.
 *
 * @param key The 32-byte key.
 * @param application The FIDO application.
 * @returns `SHA256:…`.
 * @throws {ToolError} `INVALID_KEY` when the key is not 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyId, skKeyId } from "./public_key.ts";
 * const key = new Uint8Array(32);
 * assert.notEqual(await skKeyId(key, "ssh:"), await keyId(key));
 * ```
 */
export async function skKeyId(
  key: Uint8Array,
  application: string,
): Promise<string> {
  const digest = await sha256(encodeSkPublicKeyBlob(key, application));
  return KEY_ID_PREFIX + encodeBase64(digest).replace(/=+$/, "");
}

/**
 * The `SHA256:` key id whose digest a 64-digit hex string spells (the
 * name of an approval file, `approvals/<statement id>/<key hex>.sig`).
 *
 * @param hex 64 lowercase hex digits.
 * @returns The key id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyHexOfId, keyIdOfHex } from "./public_key.ts";
 * const hex = "ab".repeat(32);
 * assert.equal(keyHexOfId(keyIdOfHex(hex)), hex);
 * ```
 */
export function keyIdOfHex(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return KEY_ID_PREFIX + encodeBase64(bytes).replace(/=+$/, "");
}

/**
 * The hex of the digest a `SHA256:` key id names: the inverse of
 * {@linkcode keyIdOfHex}.
 *
 * @param keyId `SHA256:` and 43 base64 characters.
 * @returns 64 lowercase hex digits.
 * @throws {ToolError} `INVALID_FORMAT` when the base64 is not canonical.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyHexOfId } from "./public_key.ts";
 * assert.equal(keyHexOfId("SHA256:" + "A".repeat(43)), "00".repeat(32));
 * ```
 */
export function keyHexOfId(keyId: string): string {
  return toHex(
    decodeBase64(keyId.slice(KEY_ID_PREFIX.length).padEnd(44, "="), "key id"),
  );
}
