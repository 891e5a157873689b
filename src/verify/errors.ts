/**
 * Why a signed config failed, as thrown by the loader and the pure verifier:
 * a crypto or integrity failure ({@linkcode VerificationError}) kept apart
 * from a policy failure ({@linkcode PolicyError}: the signature is valid, but
 * its signer is not trusted for it), as sigstore-js does. Each carries one
 * code of the closed {@linkcode VerifyCode} set and, where there is one, the
 * underlying error as `cause`. Crypto primitives still return `boolean`;
 * only the steps that orchestrate them throw these.
 *
 * @module
 */

import type { ApprovalState, VerifyCode } from "./verify_codes.ts";

/** The codes of a signature that is valid but not trusted for the config. */
export type PolicyCode =
  | "UNTRUSTED_SIGNER"
  | "EXPIRED_KEY"
  | "REVOKED_KEY"
  | "RETIRED_KEY"
  | "UNTRUSTED_TRUST_CHANGE"
  | "PENDING_APPROVAL";

/** The codes of a config, store file or signature that cannot be relied on. */
export type VerificationCode = Exclude<VerifyCode, PolicyCode>;

/**
 * The bytes, the store or the signature do not hold together: tampered,
 * malformed, missing, substituted, or a signature that does not verify.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VerificationError } from "./errors.ts";
 * const error = new VerificationError("TAMPERED", "its bytes differ");
 * assert.ok(error.code === "TAMPERED" && error instanceof Error);
 * ```
 */
export class VerificationError extends Error {
  /** Which check failed. */
  readonly code: VerificationCode;

  /**
   * Creates an error.
   *
   * @param code Which check failed.
   * @param message The reason, as a report shows it (lower case, no final period).
   * @param options `cause`: the underlying error, if any.
   */
  constructor(
    code: VerificationCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "VerificationError";
    this.code = code;
  }
}

/**
 * The signature is valid, but the trust list does not allow its signer for
 * this config (now, or at the signing time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PolicyError } from "./errors.ts";
 * const error = new PolicyError("UNTRUSTED_SIGNER", "not in the list");
 * assert.ok(error.code === "UNTRUSTED_SIGNER");
 * ```
 */
export class PolicyError extends Error {
  /** Which rule was not met. */
  readonly code: PolicyCode;

  /** For `PENDING_APPROVAL`: who approved, and who may still. */
  readonly approval: ApprovalState | undefined;

  /**
   * Creates an error.
   *
   * @param code Which rule was not met.
   * @param message The reason, as a report shows it (lower case, no final period).
   * @param options `cause`: the underlying error, if any; `approval`: the
   * count that fell short.
   */
  constructor(
    code: PolicyCode,
    message: string,
    options?: { cause?: unknown; approval?: ApprovalState },
  ) {
    super(message, options);
    this.name = "PolicyError";
    this.code = code;
    this.approval = options?.approval;
  }
}

/**
 * Tells whether an error is one of the two verification failures.
 *
 * @param error Anything thrown.
 * @returns True for a {@linkcode VerificationError} or a {@linkcode PolicyError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isVerifyFailure, PolicyError } from "./errors.ts";
 * assert.ok(isVerifyFailure(new PolicyError("EXPIRED_KEY", "expired")));
 * assert.ok(!isVerifyFailure(new Error("other")));
 * ```
 */
export function isVerifyFailure(
  error: unknown,
): error is VerificationError | PolicyError {
  return error instanceof VerificationError || error instanceof PolicyError;
}
