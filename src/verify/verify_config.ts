/**
 * Verifies one config against the store: the thin driver that loads it
 * (`src/verify/load_signed.ts`) and hands it to the pure verifier
 * (`verifier.ts`), then turns the outcome into a {@linkcode VerifyResult}.
 * Everything trusted comes from the signed statement; the index only says
 * where to look.
 *
 * @module
 */

import { type LoadContext, loadSignedConfig } from "./load_signed.ts";
import { formatTime } from "../store/statement.ts";
import { isVerifyFailure, PolicyError } from "./errors.ts";
import { verifySignedConfig } from "./verifier.ts";
import { verifyServerNames } from "./verify_server_names.ts";
import type { VerifyResult } from "./verify_codes.ts";

/** What every config's verification shares. */
export type VerifyContext = LoadContext;

/**
 * Verifies one config's bytes.
 *
 * @param context Index, trust list, store reader and time.
 * @param path The config's repository-relative path.
 * @param bytes The config's bytes as they are now.
 * @returns The result: ok, or one code and its reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyConfig } from "./verify_config.ts";
 * const context = { reader: { read: () => Promise.resolve(undefined) }, index: new Map(), trust: undefined, now: new Date() };
 * const result = await verifyConfig(context, ".mcp.json", new Uint8Array([123, 125]));
 * assert.ok(result.code === "UNSIGNED");
 * ```
 */
export async function verifyConfig(
  context: VerifyContext,
  path: string,
  bytes: Uint8Array,
): Promise<VerifyResult> {
  const result: VerifyResult = { path, ok: false, reason: "" };
  try {
    const config = await loadSignedConfig(context, path, bytes);
    const { id, statement } = config.signed;
    Object.assign(result, {
      statementId: id,
      signer: statement.signer,
      signedAt: formatTime(statement.signedAt),
      sequence: statement.sequence,
    });
    const verified = await verifySignedConfig(config);
    result.principals = verified.principals;
    if (verified.approval) result.approval = verified.approval;
    verifyServerNames(config);
    result.ok = true;
    result.reason = `signed by ${statement.signer} (${
      result.principals.join(", ")
    }) at ${formatTime(statement.signedAt)}${
      verified.approval && verified.approval.threshold > 1
        ? `; ${verified.approval.approvedBy.length} of ${verified.approval.threshold} approved: ${
          verified.approval.approvedBy.map((a) => a.principal).join(", ")
        }`
        : ""
    }`;
  } catch (error) {
    if (!isVerifyFailure(error)) throw error;
    result.code = error.code;
    result.reason = error.message;
    if (error instanceof PolicyError && error.approval) {
      result.approval = error.approval;
    }
  }
  return result;
}
