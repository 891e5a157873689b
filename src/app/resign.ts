/**
 * What to sign again after a key was revoked or retired: the configs whose
 * current statement fails only for a reason about its key, or verifies only
 * because its signer's old signatures still count (a retired key). `status`
 * lists them; `sign --resign` signs them, in one go, with the running key.
 *
 * @module
 */

import { STORE_DIR, TOOL_NAME } from "../constants.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import type { VerifyCode, VerifyResult } from "../verify/verify_codes.ts";

/** The failures that signing the same bytes anew with a trusted key mends. */
export const KEY_CODES: ReadonlySet<VerifyCode> = new Set<VerifyCode>([
  "UNTRUSTED_SIGNER",
  "EXPIRED_KEY",
  "REVOKED_KEY",
  "RETIRED_KEY",
]);

/** One config to sign again. */
export interface ResignEntry {
  /** Repository-relative path. */
  path: string;
  /** The key id of its current statement's signer, when known. */
  signer: string | null;
  /** Why: the signer is revoked, retired, or otherwise not trusted now. */
  why: "revoked" | "retired" | "untrusted" | "expired";
}

/** The command that signs them all. */
export const RESIGN_COMMAND = `${TOOL_NAME} sign --resign`;

/**
 * Picks the configs to sign again from verification results.
 *
 * @param results Per-config results (the working tree's).
 * @param trust The trust list they were verified against.
 * @param options `all`: also untrusted and expired signers (what `sign
 * --resign` signs); otherwise only revoked and retired ones (what `status`
 * points out after a revocation or a rotation).
 * @returns The entries, in the results' order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resignCandidates } from "./resign.ts";
 * const results = [{ path: "a", ok: false, code: "REVOKED_KEY" as const, reason: "", signer: "SHA256:x" }];
 * assert.deepEqual(resignCandidates(results, undefined), [{ path: "a", signer: "SHA256:x", why: "revoked" }]);
 * ```
 */
export function resignCandidates(
  results: readonly VerifyResult[],
  trust: AllowedSigners | undefined,
  options: { all?: boolean } = {},
): ResignEntry[] {
  const entries: ResignEntry[] = [];
  for (const result of results) {
    const signer = result.signer ?? null;
    // A trust file a retired key signed still verifies, and is left so: a
    // change to it must be signed by a key the parent trusts, which the
    // new key is not until the rotation is committed.
    const why = result.ok
      ? signer !== null && trust?.retired?.has(signer) &&
          !result.path.startsWith(`${STORE_DIR}/`)
        ? "retired"
        : undefined
      : result.code === "REVOKED_KEY"
      ? "revoked"
      : result.code === "RETIRED_KEY"
      ? "retired"
      : !options.all
      ? undefined
      : result.code === "UNTRUSTED_SIGNER"
      ? "untrusted"
      : result.code === "EXPIRED_KEY"
      ? "expired"
      : undefined;
    if (why) entries.push({ path: result.path, signer, why });
  }
  return entries;
}
