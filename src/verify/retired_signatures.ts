/**
 * The history rule of retired keys (`keys rotate`): a signature by a key
 * that a `# mcp-orchestration-retired` line names counts only when that
 * exact signature was already there in a parent (the same index line for
 * the path, the same signature file bytes); for the working tree, in HEAD.
 * When a parent's own list already retires the key, only such a parent
 * counts: a branch forked before the rotation still trusts the key as
 * current, so what it holds may have been signed after the rotation (red
 * team 8).
 * A new statement by a retired key fails `RETIRED_KEY`, whatever signing
 * time it claims: retirement is tied to history, not to a clock a key
 * holder writes. The one exception is the rotation itself: the trust list
 * whose change retires a key is signed by that key, which the parent still
 * trusted.
 *
 * It runs after the per-config verification (which treats a retired key as
 * trusted), so that verification stays memoised per config and trust list.
 *
 * @module
 */

import { ALLOWED_SIGNERS_PATH, MAX_METADATA_BYTES } from "../constants.ts";
import { equalBytes } from "../bytes/equal_bytes.ts";
import { signaturePath } from "../store/store.ts";
import { approvalPath } from "../store/approvals.ts";
import { keyHexOfId } from "../format/public_key.ts";
import type { StoreReader } from "../source/store_reader.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import type { VerifyResult } from "./verify_codes.ts";

/** A version of the store: its index, its files, its trust list. */
export interface SignatureVersion {
  /** What the version is, for reasons (a short commit id, "HEAD"). */
  label: string;
  /** Its signature index. */
  index: ReadonlyMap<string, string>;
  /** Reads its files. */
  reader: StoreReader;
  /** Its trust list (with revocations), if any. */
  trust: AllowedSigners | undefined;
}

/**
 * Fails every passing or pending result whose signer the version's trust
 * list retires, unless a parent already had that very signature.
 *
 * @param results The version's per-config results.
 * @param version The version verified.
 * @param parents What it builds on (a commit's parents; HEAD).
 * @returns The results, with `RETIRED_KEY` failures in place of passes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRetiredSignatures } from "./retired_signatures.ts";
 * const reader = { read: () => Promise.resolve(undefined) };
 * const version = { label: "x", index: new Map(), reader, trust: undefined };
 * const results = [{ path: "a", ok: true, reason: "" }];
 * assert.deepEqual(await checkRetiredSignatures(results, version, []), results);
 * ```
 */
export async function checkRetiredSignatures(
  results: readonly VerifyResult[],
  version: SignatureVersion,
  parents: readonly SignatureVersion[],
): Promise<VerifyResult[]> {
  const retired = version.trust?.retired;
  if (!retired || retired.size === 0) return [...results];
  const out: VerifyResult[] = [];
  for (const result of results) {
    const signer = result.signer;
    const id = result.statementId;
    // A pending result is held to the rule too: it passes inside a run,
    // and its signature would be "already there" once a later commit
    // approves it.
    if (
      (!result.ok && result.code !== "PENDING_APPROVAL") ||
      signer === undefined || id === undefined
    ) {
      out.push(result);
      continue;
    }
    const approval = await newRetiredApproval(result, version, parents);
    if (approval) {
      out.push({
        ...result,
        ok: false,
        code: "RETIRED_KEY",
        reason:
          `the approval "${approval.file}" by ${approval.keyId} is new, and that key is retired ` +
          `("${ALLOWED_SIGNERS_PATH}" names it in a retired-key line): a retired key's old approvals count, ` +
          `a new one does not; approve with a current key`,
      });
      continue;
    }
    if (
      !retired.has(signer) ||
      await inherited(result.path, id, signer, version, parents) ||
      retiresHere(result.path, signer, parents)
    ) {
      out.push(result);
      continue;
    }
    out.push({
      ...result,
      ok: false,
      code: "RETIRED_KEY",
      reason:
        `${signer} is retired ("${ALLOWED_SIGNERS_PATH}" names it in a retired-key line), and this signature is new: ` +
        `${
          parents.length === 0
            ? "nothing before it"
            : parents.map((parent) => parent.label).join(" or ")
        } did not have it. A retired key's old signatures count; a new one does not, whatever time it claims; ` +
        `sign it again with a current key (sign --resign)`,
    });
  }
  return out;
}

// An approval counted for a config by a retired key (not the statement's
// own signer) that no parent with the same index line had, byte for byte.
async function newRetiredApproval(
  result: VerifyResult,
  version: SignatureVersion,
  parents: readonly SignatureVersion[],
): Promise<{ file: string; keyId: string } | undefined> {
  const retired = version.trust?.retired;
  const id = result.statementId!;
  for (const { keyId } of result.approval?.approvedBy ?? []) {
    if (keyId === result.signer || !retired?.has(keyId)) continue;
    const file = approvalPath(id, keyHexOfId(keyId));
    const same = knowingRetired(parents, keyId).filter((parent) =>
      parent.index.get(result.path) === id
    );
    if (!await signatureFileInherited(file, version, same)) {
      return { file, keyId };
    }
  }
  return undefined;
}

// Whether a parent had the same index line and the same signature bytes
// (a parent that already retires the signer, when one does).
async function inherited(
  path: string,
  id: string,
  signer: string,
  version: SignatureVersion,
  parents: readonly SignatureVersion[],
): Promise<boolean> {
  return await signatureFileInherited(
    signaturePath(id),
    version,
    knowingRetired(parents, signer).filter((parent) =>
      parent.index.get(path) === id
    ),
  );
}

// The parents whose signatures by a retired key count: those whose own list
// already retires it, when any parent's does. A parent that still trusts
// the key as current (a branch forked before the rotation) can hold a
// signature made after the rotation, so it vouches for nothing once a
// parent knows of the retirement; when none does (the rotation's own
// commit), any parent's signature was made before the retirement.
function knowingRetired(
  parents: readonly SignatureVersion[],
  keyId: string,
): readonly SignatureVersion[] {
  const knowing = parents.filter((parent) =>
    parent.trust?.retired?.has(keyId) === true
  );
  return knowing.length > 0 ? knowing : parents;
}

/**
 * Whether a signature file (a statement's `.sig`, or an approval under
 * `approvals/`) has the same bytes in one of the parents as in the
 * version: the test a retired key's signature must pass to count.
 *
 * @param file The signature file's repository-relative path.
 * @param version The version verified.
 * @param parents The parents to look in.
 * @returns True when a parent has the very same file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signatureFileInherited } from "./retired_signatures.ts";
 * const bytes = new Uint8Array([1]);
 * const reader = { read: () => Promise.resolve(bytes) };
 * const version = { label: "x", index: new Map(), reader, trust: undefined };
 * assert.ok(await signatureFileInherited("a.sig", version, [version]));
 * ```
 */
export async function signatureFileInherited(
  file: string,
  version: SignatureVersion,
  parents: readonly SignatureVersion[],
): Promise<boolean> {
  if (parents.length === 0) return false;
  const mine = await version.reader.read(file, MAX_METADATA_BYTES)
    .catch(() => undefined);
  if (!mine) return false;
  for (const parent of parents) {
    const theirs = await parent.reader.read(file, MAX_METADATA_BYTES)
      .catch(() => undefined);
    if (theirs && equalBytes(mine, theirs)) return true;
  }
  return false;
}

// The rotation's own trust list: signed by the key it retires, which a
// parent's list still held as a current key (history rule 1 has checked
// that the change is signed by a key the parent trusts).
function retiresHere(
  path: string,
  signer: string,
  parents: readonly SignatureVersion[],
): boolean {
  return path === ALLOWED_SIGNERS_PATH &&
    parents.some((parent) =>
      parent.trust !== undefined && !parent.trust.retired?.has(signer) &&
      parent.trust.entries.some((entry) => entry.keyId === signer)
    );
}
