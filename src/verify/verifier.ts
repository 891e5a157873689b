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
  SK_FLAG_USER_PRESENT,
} from "../constants.ts";
import { equalBytes } from "../bytes/equal_bytes.ts";
import { sha256Hex } from "../crypto/sha.ts";
import {
  signatureKeyId as keyIdOfSignature,
  type SshSignature,
  verifySshSignature,
} from "../format/sshsig.ts";
import { formatTime } from "../store/statement.ts";
import {
  type AllowedSigners,
  findSigner,
  type TrustDecision,
} from "../trust/allowed_signers.ts";
import { countApprovals, type CountedKey } from "../trust/threshold.ts";
import { PolicyError, VerificationError } from "./errors.ts";
import type { SignedConfig, StoredApproval } from "./signed_config.ts";
import type { ApprovalState } from "./verify_codes.ts";
import { parseSshSignature } from "../format/sshsig.ts";
import { keyIdOfHex } from "../format/public_key.ts";

/** Who a verified config's signatures count for. */
export interface Verified {
  /** The trusted signer's principals. */
  principals: string[];
  /** The count against the policy's rule, when a policy applies. */
  approval?: ApprovalState;
}

/**
 * Verifies a signed config.
 *
 * @param config The config, its statement and signature, the stored
 * artifact, the trust list and the time.
 * @returns The trusted signer's principals, and the count of approvals
 * when the repository's policy applies.
 * @throws {VerificationError} `TAMPERED`, `MALFORMED`, `MISSING_ARTIFACT`,
 * `SUBSTITUTED` or `BAD_SIGNATURE` (the statement's, or an approval's).
 * @throws {PolicyError} `UNTRUSTED_SIGNER`, `EXPIRED_KEY`, `REVOKED_KEY` or
 * `PENDING_APPROVAL`. (A retired key counts as trusted here: whether its
 * signature was already there before is a question of history, which its
 * callers answer.)
 *
 * @example
 * ```ts ignore
 * const principals = await verifySignedConfig(await loadSignedConfig(context, path, bytes));
 * ```
 */
export async function verifySignedConfig(
  config: SignedConfig,
): Promise<Verified> {
  await verifyBytes(config);
  await verifyServerFiles(config);
  await verifyArtifact(config);
  verifyPath(config);
  verifyRepository(config);
  await verifySignature(config);
  const principals = verifyTrust(config);
  const approval = await verifyApprovals(config, principals);
  return { principals, ...(approval ? { approval } : {}) };
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
  // verifyBytes, just before, found that the config's own bytes hash to
  // the id: a stored copy equal to them byte for byte needs no hash of its
  // own (10,000 fewer SHA-256 in a verify of 10,000 configs). Any other copy
  // is hashed, so the verdict is always the one hashing gives.
  if (
    !equalBytes(stored.bytes, config.bytes) &&
    await sha256Hex(stored.bytes) !== id
  ) {
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
  const signatureKeyId = await keyIdOfSignature(signature);
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
  if (signature.sk && (signature.sk.flags & SK_FLAG_USER_PRESENT) === 0) {
    throw new VerificationError(
      "BAD_SIGNATURE",
      `the signature by ${signatureKeyId} (a FIDO key) was made without user presence: the token was not touched`,
    );
  }
  if (!await verifySshSignature(signature, bytes, SIGNATURE_NAMESPACE)) {
    throw new VerificationError(
      "BAD_SIGNATURE",
      `the signature by ${signatureKeyId} does not verify`,
    );
  }
}

// The findSigner option that names a FIDO key, for its own lines only.
function skOption(
  signature: SshSignature,
  keyId: string,
): { sk?: { application: string; keyId: string } } {
  return signature.sk
    ? { sk: { application: signature.sk.application, keyId } }
    : {};
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
  const options = {
    namespace: SIGNATURE_NAMESPACE,
    ...skOption(signature, signer),
  };
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

// The policy's threshold: distinct principals, each backed by a distinct
// key whose signature over this very statement verifies (the statement's
// own, or an approval file's), counted only when the key is trusted now.
// An approval file that does not verify, or whose name names another key,
// fails the config: it was put there for a reason no one can check.
async function verifyApprovals(
  config: SignedConfig,
  signerPrincipals: string[],
): Promise<ApprovalState | undefined> {
  const requirement = config.requirement;
  if (!requirement || !config.trust) return undefined;
  const { statement, bytes } = config.signed;
  const keys: CountedKey[] = [{
    keyId: statement.signer,
    principals: signerPrincipals,
  }];
  for (const approval of config.approvals ?? []) {
    const { keyId: id, decision } = await verifyApproval(
      approval,
      bytes,
      config.trust,
      config.now,
    );
    // A revoked key's signature fails the config wherever it is, as the
    // statement's own would; a retired key's counts here, and history asks
    // whether the approval was there before (retired_signatures.ts).
    if (decision.status === "revoked") {
      throw new PolicyError(
        "REVOKED_KEY",
        `the approval "${approval.path}" was made by ${id}, which is revoked (line ${decision.line} of "${REVOKED_KEYS_PATH}"): ` +
          `nothing it signed counts; remove the approval, or sign the config again (sign --resign)`,
      );
    }
    if (decision.status === "trusted" || decision.status === "retired") {
      keys.push({ keyId: id, principals: decision.entry.principals });
    }
  }
  const count = countApprovals(keys, requirement);
  const counted = new Set(count.matched.map((match) => match.principal));
  const state: ApprovalState = {
    threshold: requirement.threshold,
    approvedBy: count.matched,
    mayApprove: requirement.eligible === "any"
      ? "any"
      : [...requirement.eligible].filter((p) => !counted.has(p)).sort(),
    rule: requirement.source,
  };
  if (!count.met) {
    const by = count.matched.length === 0
      ? "no principal of the rule has signed"
      : `counted: ${
        count.matched.map((m) => `${m.principal} (${m.keyId})`).join(", ")
      }`;
    const may = state.mayApprove === "any"
      ? "any other trusted principal"
      : state.mayApprove.join(", ") || "nobody else the rule names";
    throw new PolicyError(
      "PENDING_APPROVAL",
      `needs ${requirement.threshold} distinct principal${
        requirement.threshold === 1 ? "" : "s"
      } (${requirement.source}), has ${count.count}: ${by}; may still approve: ${may} ` +
        `("mcp-orchestration approve ${config.path}")`,
      { approval: state },
    );
  }
  return state;
}

/**
 * Verifies one approval file: its signature parses, was made by the key its
 * name gives, in our namespace, over the statement's exact bytes; then asks
 * the trust list about that key. The one check of an approval, shared by
 * the threshold count and the audit log.
 *
 * @param approval The approval file, as stored.
 * @param statementBytes The exact bytes of the statement it approves.
 * @param trust The trust list to ask about the approving key.
 * @param now The time the key must be valid at.
 * @returns The approving key's id and what the trust list says about it.
 * @throws {VerificationError} `MALFORMED` when the signature cannot be
 * read, `BAD_SIGNATURE` when it names another key or does not verify.
 *
 * @example
 * ```ts ignore
 * const { keyId, decision } = await verifyApproval(approval, statement.bytes, trust, new Date());
 * ```
 */
export async function verifyApproval(
  approval: StoredApproval,
  statementBytes: Uint8Array,
  trust: AllowedSigners,
  now: Date,
): Promise<{ keyId: string; decision: TrustDecision }> {
  let signature;
  try {
    signature = parseSshSignature(approval.signatureText, approval.path);
  } catch (error) {
    throw new VerificationError(
      "MALFORMED",
      `the approval "${approval.path}" cannot be read: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  const id = await keyIdOfSignature(signature);
  if (id !== keyIdOfHex(approval.keyHex)) {
    throw new VerificationError(
      "BAD_SIGNATURE",
      `the approval "${approval.path}" was made by ${id}, not by the key its name gives`,
    );
  }
  if (
    signature.namespace !== SIGNATURE_NAMESPACE ||
    !await verifySshSignature(signature, statementBytes, SIGNATURE_NAMESPACE)
  ) {
    throw new VerificationError(
      "BAD_SIGNATURE",
      `the approval "${approval.path}" by ${id} does not verify over this statement`,
    );
  }
  const decision = findSigner(trust, signature.publicKey, {
    namespace: SIGNATURE_NAMESPACE,
    at: now,
    ...skOption(signature, id),
  });
  return { keyId: id, decision };
}
