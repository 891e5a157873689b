/**
 * The closed set of verification outcomes. Each failing config gets exactly
 * one code and a plain-language reason; any failure makes `verify` exit 1.
 *
 * @module
 */

/** Why a config failed verification. */
export type VerifyCode =
  | "UNSIGNED"
  | "TAMPERED"
  | "MISSING_ARTIFACT"
  | "SUBSTITUTED"
  | "BAD_SIGNATURE"
  | "UNTRUSTED_SIGNER"
  | "EXPIRED_KEY"
  | "REVOKED_KEY"
  | "RETIRED_KEY"
  | "MALFORMED"
  | "ROLLED_BACK"
  | "UNTRUSTED_TRUST_CHANGE"
  | "UNSAFE_ATTRIBUTES"
  | "PENDING_APPROVAL"
  | "LINT_BLOCKED";

/**
 * What each code means, for `--help`, docs and reports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VERIFY_CODES } from "./verify_codes.ts";
 * assert.ok(VERIFY_CODES.TAMPERED.length > 0);
 * ```
 */
export const VERIFY_CODES: Readonly<Record<VerifyCode, string>> = {
  UNSIGNED: "the config has no signed statement in the signature index",
  TAMPERED: "the config's bytes differ from the bytes that were signed",
  MISSING_ARTIFACT: "the stored copy of the signed bytes is missing or damaged",
  SUBSTITUTED: "the signed statement belongs to a different path or repository",
  BAD_SIGNATURE:
    "the signature does not verify, or was made by a key other than the one the statement names",
  UNTRUSTED_SIGNER:
    "the signing key is not in the repository's allowed_signers for this namespace",
  EXPIRED_KEY:
    "the signing key is trusted only outside the current time or the signing time",
  REVOKED_KEY:
    "the signing key is listed in the repository's revoked_keys: nothing it signed counts, whenever it was signed",
  RETIRED_KEY:
    "the signing key was retired by a key rotation, and this signature was not already there before (in a commit's parents; in HEAD for the working tree)",
  MALFORMED:
    "a statement, signature, the signature index or the config itself cannot be read or parsed",
  ROLLED_BACK:
    "against the version before it (a commit's parents; HEAD for the working tree), the path's signed version went back: a lower sequence, a previous-artifact link that does not match what the path held before, or a removed signature-index line",
  UNTRUSTED_TRUST_CHANGE:
    "a trust file (allowed_signers, config.json, policy.json, revoked_keys) changed without the approval of the keys trusted before the change (in a commit's parents; in HEAD for the working tree); the first trust list must be signed by a key it lists",
  PENDING_APPROVAL:
    "the signatures are valid, but fewer distinct principals signed than the policy's rule for the path asks (approve adds one)",
  LINT_BLOCKED:
    'the signature verifies, but the config has a finding of a lint rule the policy blocks (policy.json\'s "lint.block", the policy of the same commit or working tree)',
  UNSAFE_ATTRIBUTES:
    "a .gitattributes rule (ident, filter, eol, crlf, working-tree-encoding) would make Git check out other bytes than the signed ones",
};

/** How far a signed version is along its policy rule's threshold. */
export interface ApprovalState {
  /** Distinct principals the rule asks for. */
  threshold: number;
  /** The principals counted, each with the key that counted for it. */
  approvedBy: { principal: string; keyId: string }[];
  /** Who may still approve: the rule's principals not counted yet ("any": any trusted principal). */
  mayApprove: string[] | "any";
  /** Which rule applies, in words. */
  rule: string;
}

/** The outcome of verifying one config. */
export interface VerifyResult {
  /** Repository-relative path. */
  path: string;
  /** True when every check passed. */
  ok: boolean;
  /** Why it failed (absent when ok). */
  code?: VerifyCode;
  /** Plain-language reason, or a summary of what was verified. */
  reason: string;
  /** The statement id the index names, when there is one. */
  statementId?: string;
  /** Who signed: key id, when the statement could be read. */
  signer?: string;
  /** Principals of the trusted signer, when trusted. */
  principals?: string[];
  /** Signing time (ISO 8601), when the statement could be read. */
  signedAt?: string;
  /** Sequence number of this path's signed version. */
  sequence?: number;
  /** Approvals against the policy's threshold, when a policy applies. */
  approval?: ApprovalState;
  /** Something a reviewer should see although it passed (history). */
  note?: string;
}

/**
 * Tells whether a result fails only for want of approvals
 * (`PENDING_APPROVAL`): the statement is validly signed by a trusted key but
 * short of its policy's threshold. Signing it again cannot help (the new
 * statement would need the same approvals, and drop those it has); an
 * approval can.
 *
 * @param result A verification result.
 * @returns True when its code is `PENDING_APPROVAL`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPendingApproval } from "./verify_codes.ts";
 * assert.equal(isPendingApproval({ code: "TAMPERED" }), false);
 * ```
 */
export function isPendingApproval(result: Pick<VerifyResult, "code">): boolean {
  return result.code === "PENDING_APPROVAL";
}
