/**
 * One approval file of a commit, checked for the audit log: read as Git
 * stores it, its signature verified over the statement's exact bytes by the
 * verifier's own check (`verifyApproval`), its key asked of that commit's
 * trust list.
 *
 * @module
 */

import { ALLOWED_SIGNERS_PATH, MAX_METADATA_BYTES } from "../constants.ts";
import { errorMessage } from "../errors.ts";
import { keyIdOfHex } from "../format/public_key.ts";
import type { Snapshot } from "../source/snapshot.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import { verifyApproval } from "../verify/verifier.ts";
import type { VerifyCode } from "../verify/verify_codes.ts";
import type { LogVerification } from "./log_events.ts";

/** Who approved, as far as the file shows it. */
export interface CheckedApproval {
  /** The approving key's id (from the file's name, checked against the signature). */
  keyId: string;
  /** Its principals in the trust list; empty unless verified. */
  principals: string[];
  /** Whether the signature verifies by a key the list trusts. */
  verification: LogVerification;
}

/** What an approval is checked against. */
export interface ApprovalCheck {
  /** The hex SHA-256 of the key its name gives. */
  keyHex: string;
  /** The approved statement's exact bytes (undefined: missing or not hashing to its name). */
  statementBytes: Uint8Array | undefined;
  /** The commit's trust list, with its revoked keys. */
  trust: AllowedSigners | undefined;
  /** The time the key must be valid at. */
  now: Date;
}

/**
 * Checks one approval file of a snapshot.
 *
 * @param snapshot The commit's files.
 * @param path The approval file's path.
 * @param check Its key, the statement's bytes, the trust list and the time.
 * @returns The approving key, its principals when verified, and the verdict.
 *
 * @example
 * ```ts ignore
 * const approval = await checkApprovalFile(snapshot, path, { keyHex, statementBytes, trust, now });
 * ```
 */
export async function checkApprovalFile(
  snapshot: Snapshot,
  path: string,
  check: ApprovalCheck,
): Promise<CheckedApproval> {
  const { keyHex, statementBytes, trust } = check;
  const keyId = keyIdOfHex(keyHex);
  const failed = (code: VerifyCode, reason: string): CheckedApproval => ({
    keyId,
    principals: [],
    verification: { status: "failed", code, reason },
  });
  if (!statementBytes) {
    return failed(
      "MALFORMED",
      "the statement it approves is missing or does not hash to its name",
    );
  }
  if (!trust) {
    return failed("UNTRUSTED_SIGNER", "this commit has no trust list");
  }
  let signatureText: string;
  try {
    const bytes = await snapshot.read(path, MAX_METADATA_BYTES);
    signatureText = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    return failed("MALFORMED", errorMessage(error));
  }
  try {
    const { decision } = await verifyApproval(
      { path, keyHex, signatureText },
      statementBytes,
      trust,
      check.now,
    );
    switch (decision.status) {
      case "trusted":
      case "retired":
        return {
          keyId,
          principals: decision.entry.principals,
          verification: {
            status: "verified",
            code: null,
            reason: decision.status === "retired"
              ? "the signature verifies; the key is retired"
              : "the signature verifies, by a trusted key",
          },
        };
      case "revoked":
        return failed("REVOKED_KEY", `${keyId} is revoked`);
      case "expired":
        return failed(
          "EXPIRED_KEY",
          `${keyId} is not valid: ${decision.reason}`,
        );
      case "untrusted":
        return failed(
          "UNTRUSTED_SIGNER",
          `${keyId} is not in "${ALLOWED_SIGNERS_PATH}"`,
        );
    }
  } catch (error) {
    const code = (error as { code?: VerifyCode }).code ?? "MALFORMED";
    return failed(code, errorMessage(error));
  }
}
