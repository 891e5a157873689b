/**
 * The pure verifier: decides whether one {@linkcode SignedConfig} verifies,
 * as a list of named steps in order of cheapness (bytes, artifact, path,
 * repository, signature, trust). It reads nothing: the loader
 * (`src/verify/load_signed.ts`) has parsed everything once, so this module
 * imports only formats, crypto, the trust list and the type it works on.
 * A step that fails throws a {@linkcode VerificationError} (crypto or
 * integrity) or a {@linkcode PolicyError} (a valid signature whose signer is
 * not trusted for it), each with one code and its reason.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  ARTIFACTS_DIR,
  REVOKED_KEYS_PATH,
  SIGNATURE_NAMESPACE,
} from "../constants.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { keyId } from "../format/public_key.ts";
import { verifySshSignature } from "../format/sshsig.ts";
import { formatTime } from "../store/statement.ts";
import { findSigner } from "../trust/allowed_signers.ts";
import { PolicyError, VerificationError } from "./errors.ts";
import type { SignedConfig } from "./signed_config.ts";

/**
 * Verifies a signed config.
 *
 * @param config The config, its statement and signature, the stored
 * artifact, the trust list and the time.
 * @returns The trusted signer's principals.
 * @throws {VerificationError} `TAMPERED`, `MALFORMED`, `MISSING_ARTIFACT`,
 * `SUBSTITUTED` or `BAD_SIGNATURE`.
 * @throws {PolicyError} `UNTRUSTED_SIGNER`, `EXPIRED_KEY` or `REVOKED_KEY`.
 * (A retired key counts as trusted here: whether its signature was already
 * there before is a question of history, which its callers answer.)
 *
 * @example
 * ```ts ignore
 * const principals = await verifySignedConfig(await loadSignedConfig(context, path, bytes));
 * ```
 */
export async function verifySignedConfig(
  config: SignedConfig,
): Promise<string[]> {
  await verifyBytes(config);
  await verifyServerFiles(config);
  await verifyArtifact(config);
  verifyPath(config);
  verifyRepository(config);
  await verifySignature(config);
  return verifyTrust(config);
}

async function verifyBytes(config: SignedConfig): Promise<void> {
  const { statement } = config.signed;
  const actual = await sha256Hex(config.bytes);
  if (actual !== statement.artifact) {
    throw new VerificationError(
      "TAMPERED",
      `its bytes hash to ${actual}, but ${statement.artifact} was signed`,
    );
  }
  if (config.bytes.length !== statement.size) {
    throw new VerificationError(
      "MALFORMED",
      `the statement says ${statement.size} bytes, the file has ${config.bytes.length}`,
    );
  }
}

// The files the config's servers run (statement version 3): each must be
// there, a regular file, with the signed bytes. A missing one is TAMPERED
// too: what the server starts is no longer what was signed (a command
// looked up elsewhere, a folder that lost a file).
async function verifyServerFiles(config: SignedConfig): Promise<void> {
  for (const file of config.signed.statement.files ?? []) {
    const found = config.files?.get(file.path);
    if (!found || found.status === "missing") {
      throw new VerificationError(
        "TAMPERED",
        `"${file.path}", which its servers run, is missing; it was signed with SHA-256 ${file.sha256}`,
      );
    }
    if (found.status === "unreadable") {
      throw new VerificationError(
        "TAMPERED",
        `"${file.path}", which its servers run, cannot be read as the file that was signed: ${found.reason}`,
      );
    }
    const actual = await sha256Hex(found.bytes);
    if (actual !== file.sha256) {
      throw new VerificationError(
        "TAMPERED",
        `"${file.path}", which its servers run, changed: its bytes hash to ${actual}, but ${file.sha256} was signed; ` +
          `review it, then sign the config again`,
      );
    }
  }
}

async function verifyArtifact(config: SignedConfig): Promise<void> {
  const id = config.signed.statement.artifact;
  // The statement parser checked the id, so the path stays in the store.
  const where = `${ARTIFACTS_DIR}/${id}`;
  const stored = config.artifact;
  if (stored.status === "unreadable") {
    throw new VerificationError(
      "MISSING_ARTIFACT",
      `the artifact "${where}" cannot be read: ${stored.reason}`,
    );
  }
  if (stored.status === "missing") {
    throw new VerificationError(
      "MISSING_ARTIFACT",
      `the artifact "${where}" is missing`,
    );
  }
  if (await sha256Hex(stored.bytes) !== id) {
    throw new VerificationError(
      "MISSING_ARTIFACT",
      `the artifact "${where}" is damaged: its bytes do not hash to its id`,
    );
  }
}

function verifyPath(config: SignedConfig): void {
  const signedFor = config.signed.statement.path;
  if (signedFor !== config.path) {
    throw new VerificationError(
      "SUBSTITUTED",
      `the statement was signed for "${signedFor}", not for "${config.path}"`,
    );
  }
}

function verifyRepository(config: SignedConfig): void {
  // A statement names the repository it was signed for, so a config signed
  // by a trusted key in another repository does not count here. Without a
  // trust list nothing is trusted anyway, and that is the clearer report.
  if (!config.trust) return;
  const expected = config.repository;
  const named = config.signed.statement.repository;
  if (expected === undefined && named !== null) {
    throw new VerificationError(
      "SUBSTITUTED",
      `the statement was signed for the repository "${named}", and "${ALLOWED_SIGNERS_PATH}" names none`,
    );
  }
  if (expected !== undefined && named === null) {
    throw new VerificationError(
      "SUBSTITUTED",
      `the statement (format version 1) names no repository, and this repository is "${expected}": ` +
        `it may come from another repository; review the config and sign it again`,
    );
  }
  if (expected !== undefined && named !== expected) {
    throw new VerificationError(
      "SUBSTITUTED",
      `the statement was signed for the repository "${named}", not for this one ("${expected}")`,
    );
  }
}

async function verifySignature(config: SignedConfig): Promise<void> {
  const { statement, signature, bytes } = config.signed;
  // Compare key ids before any cryptography, and show both when they differ.
  const signatureKeyId = await keyId(signature.publicKey);
  if (signatureKeyId !== statement.signer) {
    throw new VerificationError(
      "BAD_SIGNATURE",
      `the statement names signer ${statement.signer}, but the signature was made by ${signatureKeyId}`,
    );
  }
  if (signature.namespace !== SIGNATURE_NAMESPACE) {
    throw new VerificationError(
      "BAD_SIGNATURE",
      `the signature's namespace is "${signature.namespace}", not "${SIGNATURE_NAMESPACE}"`,
    );
  }
  if (!await verifySshSignature(signature, bytes, SIGNATURE_NAMESPACE)) {
    throw new VerificationError(
      "BAD_SIGNATURE",
      `the signature by ${signatureKeyId} does not verify`,
    );
  }
}

function verifyTrust(config: SignedConfig): string[] {
  const { statement, signature } = config.signed;
  const signer = statement.signer;
  if (!config.trust) {
    throw new PolicyError(
      "UNTRUSTED_SIGNER",
      `${signer} is not trusted: the repository has no "${ALLOWED_SIGNERS_PATH}"`,
    );
  }
  const key = signature.publicKey;
  const options = { namespace: SIGNATURE_NAMESPACE };
  const now = findSigner(config.trust, key, { ...options, at: config.now });
  if (now.status === "revoked") {
    throw new PolicyError(
      "REVOKED_KEY",
      `${signer} is revoked (line ${now.line} of "${REVOKED_KEYS_PATH}"): nothing it signed counts; ` +
        `review the config, then sign it again with a trusted key (sign --resign)`,
    );
  }
  if (now.status === "untrusted") {
    throw new PolicyError(
      "UNTRUSTED_SIGNER",
      `${signer} is not in "${ALLOWED_SIGNERS_PATH}" for namespace "${SIGNATURE_NAMESPACE}"`,
    );
  }
  if (now.status === "expired") {
    throw new PolicyError(
      "EXPIRED_KEY",
      `${signer} is not valid now: ${now.reason}`,
    );
  }
  const then = findSigner(config.trust, key, {
    ...options,
    at: statement.signedAt,
  });
  if (then.status !== "trusted" && then.status !== "retired") {
    throw new PolicyError(
      "EXPIRED_KEY",
      `${signer} was not valid at the signing time ${
        formatTime(statement.signedAt)
      }${then.status === "expired" ? `: ${then.reason}` : ""}`,
    );
  }
  return now.entry.principals;
}
