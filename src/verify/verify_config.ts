/**
 * Verifies one config against the store, as a list of named steps in order
 * of cheapness. Each step either passes or yields one coded failure; the
 * first failure is the result. Everything trusted comes from the signed
 * statement; the index only says where to look.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  MAX_CONFIG_BYTES,
  SIGNATURE_NAMESPACE,
} from "../constants.ts";
import { errorMessage } from "../errors.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { keyId } from "../keys/public_key.ts";
import {
  parseSshSignature,
  type SshSignature,
  verifySshSignature,
} from "../signature/sshsig.ts";
import type { StoreIndex } from "../store/index_file.ts";
import {
  formatTime,
  parseStatement,
  type Statement,
} from "../store/statement.ts";
import {
  artifactPath,
  readStatement,
  signaturePath,
  type StoreReader,
} from "../store/store.ts";
import { type AllowedSigners, findSigner } from "../trust/allowed_signers.ts";
import type { VerifyCode, VerifyResult } from "./verify_codes.ts";

/** What every config's verification shares. */
export interface VerifyContext {
  /** Where the store's files are read from. */
  reader: StoreReader;
  /** The index (path → statement id). */
  index: StoreIndex;
  /** The trusted signers, or undefined when the repository has none. */
  trust: AllowedSigners | undefined;
  /**
   * The repository id statements must name; by default the trust list's
   * (`trust.repository`). Set apart from `trust` when a new trust list is
   * checked against the list before it: the approval comes from the old
   * list, the binding from the new one.
   */
  repository?: string | undefined;
  /** The verification time (validity windows are checked at it and at the signing time). */
  now: Date;
}

class Failure {
  constructor(readonly code: VerifyCode, readonly reason: string) {}
}

interface Loaded {
  id: string;
  bytes: Uint8Array;
  statement: Statement;
  signature: SshSignature;
}

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
    const loaded = await loadStatement(context, path);
    Object.assign(result, {
      statementId: loaded.id,
      signer: loaded.statement.signer,
      signedAt: formatTime(loaded.statement.signedAt),
      sequence: loaded.statement.sequence,
    });
    await verifyBytes(loaded, bytes);
    await verifyArtifact(context, loaded);
    verifyPath(loaded, path);
    verifyRepository(context, loaded);
    await verifySignature(loaded);
    result.principals = verifyTrust(context, loaded);
    result.ok = true;
    result.reason = `signed by ${loaded.statement.signer} (${
      result.principals.join(", ")
    }) at ${formatTime(loaded.statement.signedAt)}`;
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    result.code = error.code;
    result.reason = error.reason;
  }
  return result;
}

async function loadStatement(
  context: VerifyContext,
  path: string,
): Promise<Loaded> {
  const id = context.index.get(path);
  if (!id) {
    throw new Failure(
      "UNSIGNED",
      `"${path}" has no signed statement: sign it with "mcp-orchestration sign"`,
    );
  }
  try {
    const stored = await readStatement(context.reader, id);
    if (!stored) {
      throw new Failure(
        "MALFORMED",
        `the statement "${id}" that the index names is missing`,
      );
    }
    if (await sha256Hex(stored.bytes) !== id) {
      throw new Failure(
        "MALFORMED",
        `the statement file "${id}" does not hash to its name`,
      );
    }
    if (stored.signature === undefined) {
      throw new Failure(
        "MALFORMED",
        `the signature "${signaturePath(id)}" is missing`,
      );
    }
    const statement = parseStatement(stored.bytes, id);
    const signature = parseSshSignature(stored.signature, signaturePath(id));
    return { id, bytes: stored.bytes, statement, signature };
  } catch (error) {
    if (error instanceof Failure) throw error;
    throw new Failure("MALFORMED", errorMessage(error));
  }
}

async function verifyBytes(loaded: Loaded, bytes: Uint8Array): Promise<void> {
  const actual = await sha256Hex(bytes);
  if (actual !== loaded.statement.artifact) {
    throw new Failure(
      "TAMPERED",
      `its bytes hash to ${actual}, but ${loaded.statement.artifact} was signed`,
    );
  }
  if (bytes.length !== loaded.statement.size) {
    throw new Failure(
      "MALFORMED",
      `the statement says ${loaded.statement.size} bytes, the file has ${bytes.length}`,
    );
  }
}

async function verifyArtifact(
  context: VerifyContext,
  loaded: Loaded,
): Promise<void> {
  const where = artifactPath(loaded.statement.artifact);
  let stored: Uint8Array | undefined;
  try {
    stored = await context.reader.read(where, MAX_CONFIG_BYTES);
  } catch (error) {
    throw new Failure(
      "MISSING_ARTIFACT",
      `the artifact "${where}" cannot be read: ${errorMessage(error)}`,
    );
  }
  if (!stored) {
    throw new Failure("MISSING_ARTIFACT", `the artifact "${where}" is missing`);
  }
  if (await sha256Hex(stored) !== loaded.statement.artifact) {
    throw new Failure(
      "MISSING_ARTIFACT",
      `the artifact "${where}" is damaged: its bytes do not hash to its id`,
    );
  }
}

function verifyPath(loaded: Loaded, path: string): void {
  if (loaded.statement.path !== path) {
    throw new Failure(
      "SUBSTITUTED",
      `the statement was signed for "${loaded.statement.path}", not for "${path}"`,
    );
  }
}

function verifyRepository(context: VerifyContext, loaded: Loaded): void {
  // A statement names the repository it was signed for, so a config signed
  // by a trusted key in another repository does not count here. Without a
  // trust list nothing is trusted anyway, and that is the clearer report.
  if (!context.trust) return;
  const expected = "repository" in context
    ? context.repository
    : context.trust?.repository;
  const named = loaded.statement.repository;
  if (expected === undefined && named !== null) {
    throw new Failure(
      "SUBSTITUTED",
      `the statement was signed for the repository "${named}", and "${ALLOWED_SIGNERS_PATH}" names none`,
    );
  }
  if (expected !== undefined && named === null) {
    throw new Failure(
      "SUBSTITUTED",
      `the statement (format version 1) names no repository, and this repository is "${expected}": ` +
        `it may come from another repository; review the config and sign it again`,
    );
  }
  if (expected !== undefined && named !== expected) {
    throw new Failure(
      "SUBSTITUTED",
      `the statement was signed for the repository "${named}", not for this one ("${expected}")`,
    );
  }
}

async function verifySignature(loaded: Loaded): Promise<void> {
  // Compare key ids before any cryptography, and show both when they differ.
  const signatureKeyId = await keyId(loaded.signature.publicKey);
  if (signatureKeyId !== loaded.statement.signer) {
    throw new Failure(
      "BAD_SIGNATURE",
      `the statement names signer ${loaded.statement.signer}, but the signature was made by ${signatureKeyId}`,
    );
  }
  if (loaded.signature.namespace !== SIGNATURE_NAMESPACE) {
    throw new Failure(
      "BAD_SIGNATURE",
      `the signature's namespace is "${loaded.signature.namespace}", not "${SIGNATURE_NAMESPACE}"`,
    );
  }
  if (
    !await verifySshSignature(
      loaded.signature,
      loaded.bytes,
      SIGNATURE_NAMESPACE,
    )
  ) {
    throw new Failure(
      "BAD_SIGNATURE",
      `the signature by ${signatureKeyId} does not verify`,
    );
  }
}

function verifyTrust(context: VerifyContext, loaded: Loaded): string[] {
  const signer = loaded.statement.signer;
  if (!context.trust) {
    throw new Failure(
      "UNTRUSTED_SIGNER",
      `${signer} is not trusted: the repository has no "${ALLOWED_SIGNERS_PATH}"`,
    );
  }
  const key = loaded.signature.publicKey;
  const options = { namespace: SIGNATURE_NAMESPACE };
  const now = findSigner(context.trust, key, { ...options, at: context.now });
  if (now.status === "untrusted") {
    throw new Failure(
      "UNTRUSTED_SIGNER",
      `${signer} is not in "${ALLOWED_SIGNERS_PATH}" for namespace "${SIGNATURE_NAMESPACE}"`,
    );
  }
  if (now.status === "expired") {
    throw new Failure(
      "EXPIRED_KEY",
      `${signer} is not valid now: ${now.reason}`,
    );
  }
  const then = findSigner(context.trust, key, {
    ...options,
    at: loaded.statement.signedAt,
  });
  if (then.status !== "trusted") {
    throw new Failure(
      "EXPIRED_KEY",
      `${signer} was not valid at the signing time ${
        formatTime(loaded.statement.signedAt)
      }${then.status === "expired" ? `: ${then.reason}` : ""}`,
    );
  }
  return now.entry.principals;
}
