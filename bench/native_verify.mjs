/**
 * The practical limit of verification: a Node script that verifies every
 * SSHSIG signature of an mcp-orchestration store with node:crypto (OpenSSL's
 * Ed25519) in one loop. For each index line it reads the statement and its
 * armored signature, parses the SSHSIG blob (PROTOCOL.sshsig), checks the
 * magic, version, namespace and that the key is in allowed_signers, rebuilds
 * the signed data
 * `"SSHSIG" ‖ string(namespace) ‖ string(reserved) ‖ string(hash_alg) ‖ string(H(statement))`
 * and calls crypto.verify. Nothing else (no artifact hashes, no trust
 * windows): a lower bound, not a verifier.
 *
 * Usage, from the repository's root: `node native_verify.mjs`. Prints
 * "N signatures verified in T ms (loop)"; exits 1 at the first failure.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import process from "node:process";

const STORE = ".mcp-orchestration";
const NAMESPACE = "mcp-orchestration";

/** Reads SSH wire strings from a buffer. */
class Reader {
  /** @param {Buffer} buffer */
  constructor(buffer) {
    this.buffer = buffer;
    this.at = 0;
  }

  /** @returns {number} */
  uint32() {
    const value = this.buffer.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  /** @returns {Buffer} */
  string() {
    const length = this.uint32();
    const value = this.buffer.subarray(this.at, this.at + length);
    if (value.length !== length) throw new Error("truncated string");
    this.at += length;
    return value;
  }
}

/** @param {Buffer} bytes @returns {Buffer} */
function sshString(bytes) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** @param {string} armored @returns {Buffer} */
function dearmor(armored) {
  const lines = armored.trimEnd().split("\n");
  if (
    lines[0] !== "-----BEGIN SSH SIGNATURE-----" ||
    lines.at(-1) !== "-----END SSH SIGNATURE-----"
  ) {
    throw new Error("not an armored SSH signature");
  }
  return Buffer.from(lines.slice(1, -1).join(""), "base64");
}

/** Base64 public key blobs trusted for our namespace. */
function allowedKeys() {
  const keys = new Set();
  for (
    const line of readFileSync(`${STORE}/allowed_signers`, "utf8").split("\n")
  ) {
    const match = / ssh-ed25519 ([A-Za-z0-9+/=]+)/.exec(line);
    if (match && !line.startsWith("#")) keys.add(match[1]);
  }
  return keys;
}

const allowed = allowedKeys();
/** @type {Map<string, import("node:crypto").KeyObject>} */
const keyObjects = new Map();
const magic = Buffer.from("SSHSIG");
const lines = readFileSync(`${STORE}/index`, "utf8").split("\n").slice(1);
const start = performance.now();
let verified = 0;
for (const line of lines) {
  if (!line) continue;
  const id = line.slice(0, 64);
  const statement = readFileSync(`${STORE}/statements/${id}`);
  const blob = new Reader(
    dearmor(readFileSync(`${STORE}/statements/${id}.sig`, "utf8")),
  );
  if (!blob.buffer.subarray(0, 6).equals(magic)) {
    throw new Error(`${id}: bad magic`);
  }
  blob.at = 6;
  if (blob.uint32() !== 1) throw new Error(`${id}: bad version`);
  const publicKey = blob.string();
  const namespace = blob.string();
  const reserved = blob.string();
  const hashAlgorithm = blob.string();
  const signature = new Reader(blob.string());
  if (namespace.toString() !== NAMESPACE) throw new Error(`${id}: namespace`);
  const keyBase64 = publicKey.toString("base64");
  if (!allowed.has(keyBase64)) throw new Error(`${id}: untrusted key`);
  let key = keyObjects.get(keyBase64);
  if (!key) {
    const wire = new Reader(publicKey);
    if (wire.string().toString() !== "ssh-ed25519") {
      throw new Error(`${id}: key type`);
    }
    key = createPublicKey({
      key: {
        kty: "OKP",
        crv: "Ed25519",
        x: wire.string().toString("base64url"),
      },
      format: "jwk",
    });
    keyObjects.set(keyBase64, key);
  }
  if (signature.string().toString() !== "ssh-ed25519") {
    throw new Error(`${id}: signature type`);
  }
  const algorithm = hashAlgorithm.toString();
  if (algorithm !== "sha512" && algorithm !== "sha256") {
    throw new Error(`${id}: hash`);
  }
  const signed = Buffer.concat([
    magic,
    sshString(namespace),
    sshString(reserved),
    sshString(hashAlgorithm),
    sshString(createHash(algorithm).update(statement).digest()),
  ]);
  if (!verify(null, signed, key, signature.string())) {
    console.error(`${id}: signature does not verify`);
    process.exit(1);
  }
  verified++;
}
const loopMs = performance.now() - start;
console.log(
  `${verified} signatures verified in ${loopMs.toFixed(1)} ms (loop)`,
);
