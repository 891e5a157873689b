/**
 * The audit log's events (docs/FORMAT.md, "Audit log") and how each is
 * judged: by the verdict `verify --rev` gives the commit that brought it,
 * read so that a trust list no trusted key approved gives nobody a
 * principal.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
} from "../constants.ts";
import type { VerifyCode, VerifyResult } from "../verify/verify_codes.ts";
import type { CommitReport } from "../verify/verify_history.ts";

/** The commit an event comes from. */
export interface LogCommit {
  /** The commit's id. */
  id: string;
  /** Its author date (ISO 8601, as Git records it). */
  date: string;
  /** The first line of its message. */
  subject: string;
}

/**
 * What the commit's verification says of the thing an event shows:
 * `verified`, `pending` (validly signed by a trusted key, short of the
 * policy's threshold), or `failed` (with the verify code, when there is
 * one).
 */
export interface LogVerification {
  /** The verdict. */
  status: "verified" | "pending" | "failed";
  /** The verify code (docs/FORMAT.md), or null when verified. */
  code: VerifyCode | null;
  /** Why, in words. */
  reason: string;
}

/** Who signed a trust file's change (principals only when it verified). */
export interface LogSigner {
  /** The key id the statement names. */
  keyId: string;
  /** Its principals in the trust list that approved the change; empty unless verified. */
  principals: string[];
}

/** One entry of the audit trail (see docs/FORMAT.md, "Audit log"). */
export type LogEvent =
  & { commit: LogCommit; verification: LogVerification }
  & (
    | {
      type: "signed";
      path: string;
      statementId: string;
      artifact: string;
      signer: string;
      principals: string[];
      signedAt: string;
      sequence: number;
      previous: string[];
    }
    | { type: "tampered"; path: string; statementId: string }
    | { type: "failing"; path: string; statementId: string }
    | { type: "deleted"; path: string; statementId: string }
    | {
      type: "approved";
      path: string | null;
      statementId: string;
      artifact: string | null;
      keyId: string;
      principals: string[];
    }
    | {
      type: "trust-added" | "trust-removed" | "retired";
      keyId: string;
      principals: string[];
      signedBy: LogSigner | null;
    }
    | {
      type: "revoked" | "unrevoked";
      keyId: string;
      comment: string;
      recorded: { at: string; reason: string } | null;
      signedBy: LogSigner | null;
    }
    | {
      type: "policy";
      version: number | null;
      previousVersion: number | null;
      signedBy: LogSigner | null;
    }
  );

/** The files whose changes are trust events rather than config versions. */
export const TRUST_FILES: readonly string[] = [
  ALLOWED_SIGNERS_PATH,
  REPO_CONFIG_PATH,
  POLICY_PATH,
  REVOKED_KEYS_PATH,
];

/** What a commit's verification says, by path. */
export interface Verdicts {
  /** Results by path. */
  results: ReadonlyMap<string, VerifyResult>;
  /** A trust file whose change is not approved: every trust it gives is void. */
  trustProblem: VerifyResult | undefined;
  /** Before adoption: no trust list in the commit's history. */
  beforeAdoption: boolean;
}

/**
 * Reads a commit's report by path, and whether its trust files void what
 * its trust list says.
 *
 * @param report The commit's report (undefined: not verified, as before adoption).
 * @returns Its verdicts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verdictsOf } from "./log_events.ts";
 * assert.equal(verdictsOf(undefined).beforeAdoption, true);
 * ```
 */
export function verdictsOf(report: CommitReport | undefined): Verdicts {
  const results = new Map(
    (report?.results ?? []).map((result) => [result.path, result]),
  );
  const trustProblem = TRUST_FILES.map((path) => results.get(path)).find((
    result,
  ) =>
    result !== undefined &&
    (result.code === "UNTRUSTED_TRUST_CHANGE" ||
      result.code === "PENDING_APPROVAL")
  );
  return {
    results,
    trustProblem,
    beforeAdoption: report === undefined || report.beforeAdoption === true,
  };
}

/**
 * What a commit's verification says of one path: its result, unless the
 * commit is from before adoption or another of its trust files is not
 * approved, which voids every trust its list gives.
 *
 * @param verdicts The commit's verdicts.
 * @param path The path an event is about.
 * @returns The event's verification.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verdictFor, verdictsOf } from "./log_events.ts";
 * const report = { commit: "c", subject: "s", ok: true, results: [{ path: ".mcp.json", ok: true, reason: "signed" }] };
 * assert.equal(verdictFor(verdictsOf(report), ".mcp.json").status, "verified");
 * ```
 */
export function verdictFor(verdicts: Verdicts, path: string): LogVerification {
  const result = verdicts.results.get(path);
  if (verdicts.beforeAdoption) {
    return {
      status: "failed",
      code: "UNTRUSTED_SIGNER",
      reason:
        "no trust list in this commit's history (before adoption): nothing is trusted",
    };
  }
  const trust = verdicts.trustProblem;
  if (trust && trust.path !== path) {
    return {
      status: "failed",
      code: "UNTRUSTED_TRUST_CHANGE",
      reason:
        `the trust files of this commit are not approved (${trust.path}: ${trust.reason})`,
    };
  }
  if (!result) {
    return { status: "verified", code: null, reason: "verified" };
  }
  if (result.code === "PENDING_APPROVAL") {
    return { status: "pending", code: result.code, reason: result.reason };
  }
  return result.ok
    ? { status: "verified", code: null, reason: result.reason }
    : { status: "failed", code: result.code ?? null, reason: result.reason };
}

/** An event found on the walk, settled once its commit's verdict is known. */
export interface Draft {
  /** The commit that brought it. */
  commit: LogCommit;
  /** The config it is about, for the path filter (none: it concerns every config). */
  path?: string;
  /**
   * The event, given the verdicts of its commit (and of any other commit
   * of the run); undefined when it turns out to be nothing to show.
   */
  settle(
    verdicts: Verdicts,
    of: (commit: string) => Verdicts,
  ): LogEvent | undefined;
}

/** A trust file's signer before its commit's verdict is known. */
export interface UnsettledSigner {
  /** The key id its statement names. */
  keyId: string;
  /** The principals the judging list gives that key. */
  principals: string[];
}

/**
 * The signer of a trust file's change, with principals only when the
 * change verified.
 *
 * @param by The statement's signer and the principals the judging list gives it.
 * @param verdicts The commit's verdicts.
 * @param path The trust file.
 * @returns The signer to show, or null when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settleSigner, verdictsOf } from "./log_events.ts";
 * const by = { keyId: "SHA256:k", principals: ["alice@example.com"] };
 * assert.deepEqual(settleSigner(by, verdictsOf(undefined), "x")?.principals, []);
 * ```
 */
export function settleSigner(
  by: UnsettledSigner | null,
  verdicts: Verdicts,
  path: string,
): LogSigner | null {
  if (!by) return null;
  const verified = verdictFor(verdicts, path).status === "verified";
  return { keyId: by.keyId, principals: verified ? by.principals : [] };
}

/**
 * The verdict that voids what a commit's trust list says of a path (a
 * trust change no one approved, or no list at all), if any.
 *
 * @param verdicts The commit's verdicts.
 * @param path The path an event is about.
 * @returns That verdict, or undefined when the list stands.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trustVoid, verdictsOf } from "./log_events.ts";
 * assert.equal(trustVoid(verdictsOf(undefined), ".mcp.json")?.code, "UNTRUSTED_SIGNER");
 * ```
 */
export function trustVoid(
  verdicts: Verdicts,
  path: string,
): LogVerification | undefined {
  const verdict = verdictFor(verdicts, path);
  return verdict.code === "UNTRUSTED_TRUST_CHANGE" ||
      verdicts.beforeAdoption
    ? verdict
    : undefined;
}
