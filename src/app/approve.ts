/**
 * `approve PATH…`: adds the running key's signature to the current
 * statement of each path, without changing the statement: one statement,
 * several SSHSIG signatures, each checkable with `ssh-keygen -Y verify` on
 * its own (docs/FORMAT.md, "Approvals"). Every path is checked before
 * anything is written (the config verifies as it is now, the key is in
 * the trust list, it is not the statement's signer), every new signature is
 * verified, and then all files are written at once under the repository
 * lock, or none.
 *
 * @module
 */

import { join } from "node:path";
import {
  ALLOWED_SIGNERS_PATH,
  MAX_METADATA_BYTES,
  MAX_TRUST_BYTES,
  SIGNATURE_NAMESPACE,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { exists } from "../fs/files.ts";
import { type Repository, toRepoPath } from "../git/repository.ts";
import type { SigningKey } from "../keys/key_store.ts";
import { keyIdOfHex } from "../format/public_key.ts";
import {
  createSshSignature,
  parseSshSignature,
  verifySshSignature,
} from "../format/sshsig.ts";
import { equalBytes } from "../bytes/equal_bytes.ts";
import {
  type ConfigSource,
  workingTreeSource,
} from "../source/config_source.ts";
import {
  approvalPath,
  keyHexOf,
  listApprovals,
  type NewApproval,
  writeApprovals,
} from "../store/approvals.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { readIndex, withLock } from "../store/store.ts";
import { type AllowedSigners, findSigner } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import { loadFailure, loadSigned } from "../verify/load_signed.ts";
import type { SignedStatement } from "../verify/signed_config.ts";
import {
  isPendingApproval,
  type VerifyResult,
} from "../verify/verify_codes.ts";
import { verifyConfig } from "../verify/verify_config.ts";
import { verifySource } from "../verify/verify_repository.ts";

/** Options for {@linkcode approveConfigs}. */
export interface ApproveOptions {
  /** The key to approve with. */
  key: SigningKey;
  /** Folder that relative `paths` start from. */
  cwd: string;
  /** The paths whose current statements to approve (at least one). */
  paths: readonly string[];
  /** The time the key must be trusted at (default: now). */
  now?: Date;
}

/** A key that signed or approved a statement, as the trust list names it. */
export interface Approver {
  /** Its key id (`SHA256:…`). */
  keyId: string;
  /** Its principals in the trust list (none when it is not listed). */
  principals: string[];
  /** Whether its signature over the statement verifies. */
  valid: boolean;
}

/** What `approve` did for one path. */
export interface ApprovalResult {
  /** Repository-relative path. */
  path: string;
  /**
   * `approved`: a new approval was written; `already-approved`: the key
   * had approved this statement; `own-statement`: the key signed it.
   */
  status: "approved" | "already-approved" | "own-statement";
  /** The statement id the index names. */
  statementId: string;
  /** Who signed the statement. */
  signer: Approver;
  /** Every approval of the statement now in the working tree, by key id. */
  approvals: Approver[];
}

/** The outcome of an `approve` run. */
export interface ApproveReport {
  /** The approving key's id. */
  approver: string;
  /** Its principals in the trust list. */
  principals: string[];
  /** One entry per path, in the order given. */
  results: ApprovalResult[];
}

// What one path needs once every check has passed.
interface Planned {
  path: string;
  status: ApprovalResult["status"];
  signed: SignedStatement;
  approval?: NewApproval;
}

/**
 * Approves the current statement of each path with the given key: all
 * paths, or none when any is refused.
 *
 * @param repo The working tree.
 * @param options Key, paths, working folder and time.
 * @returns One result per path, with the approvals each statement has now.
 * @throws {ToolError} `TRUST` for a key not in the trust list (or not valid
 * now), or a config that does not verify as it is now (unsigned, tampered,
 * untrusted signer…); `BAD_PATH` for a path with no file and no statement;
 * `INVALID_FORMAT` for a damaged store; `LOCKED`, `IO`. Nothing is written then.
 *
 * @example
 * ```ts ignore
 * const report = await approveConfigs(repo, { key, cwd: Deno.cwd(), paths: [".mcp.json"] });
 * ```
 */
export async function approveConfigs(
  repo: Repository,
  options: ApproveOptions,
): Promise<ApproveReport> {
  const paths: string[] = [];
  for (const path of options.paths) {
    const resolved = await toRepoPath(repo, options.cwd, path);
    if (!paths.includes(resolved)) paths.push(resolved);
  }
  const now = options.now ?? new Date();
  const { key } = options;
  return await withLock(repo, async () => {
    const source = workingTreeSource(repo);
    const { trust, principals } = trustedApprover(
      await readTrust(source.reader),
      key,
      now,
    );
    const index = await readIndex(source.reader);
    const myHex = await keyHexOf(key.key.publicKey);
    const planned: Planned[] = [];
    for (const path of paths) {
      const signed = await currentStatement(repo, source, path, {
        index,
        trust,
        now,
      });
      planned.push(await plan(source, path, signed, key, myHex));
    }
    await writeApprovals(
      repo,
      planned.flatMap((entry) => entry.approval ? [entry.approval] : []),
    );
    const results: ApprovalResult[] = [];
    for (const entry of planned) {
      results.push(await describe(repo, source, entry, trust));
    }
    return { approver: key.keyId, principals, results };
  });
}

// The key must be one the trust list trusts now, as for signing; its
// principals name it in the report.
function trustedApprover(
  trust: AllowedSigners | undefined,
  key: SigningKey,
  now: Date,
): { trust: AllowedSigners; principals: string[] } {
  const decision = trust
    ? findSigner(trust, key.key.publicKey, {
      namespace: SIGNATURE_NAMESPACE,
      at: now,
    })
    : undefined;
  if (trust && decision?.status === "trusted") {
    return { trust, principals: decision.entry.principals };
  }
  const pub = /\.key$/.test(key.path)
    ? key.path.replace(/\.key$/, ".pub")
    : `${key.path}.pub`;
  const why = !trust
    ? `there is no "${ALLOWED_SIGNERS_PATH}"`
    : decision?.status === "untrusted"
    ? `the key ${key.keyId} is not in "${ALLOWED_SIGNERS_PATH}"`
    : `the key ${key.keyId} is in "${ALLOWED_SIGNERS_PATH}" but not trusted now${
      decision && "reason" in decision ? ` (${decision.reason})` : ""
    }`;
  throw new ToolError(
    "TRUST",
    `Cannot approve: an approval by a key not in the list counts for nothing, and ${why}. ` +
      `A trusted signer adds it with: ${TOOL_NAME} trust add "${pub}" --principal YOUR-NAME ` +
      `(then commits that change); or approve with a trusted key: --key PATH or MCP_ORCHESTRATION_KEY`,
  );
}

// The statement the index names for the path, after checking that the
// file as it is now verifies against it (or waits only for approvals).
async function currentStatement(
  repo: Repository,
  source: ConfigSource,
  path: string,
  context: { index: StoreIndex; trust: AllowedSigners; now: Date },
): Promise<SignedStatement> {
  const id = context.index.get(path);
  if (!id) {
    if (await exists(join(repo.root, path))) {
      throw new ToolError(
        "TRUST",
        `Cannot approve "${path}": it has no signed statement (UNSIGNED); an approval adds a signature ` +
          `to a signed version, so sign it first: ${TOOL_NAME} sign "${path}"`,
      );
    }
    throw new ToolError(
      "BAD_PATH",
      `Cannot approve "${path}": no such file, and the signature index names no statement for it`,
    );
  }
  const result = await verifyNow(source, path, context);
  if (!result.ok && !isPendingApproval(result)) {
    throw new ToolError(
      "TRUST",
      `Cannot approve "${path}": it does not verify as it is now (${result.code}: ${result.reason}); ` +
        `an approval says yes to the signed version, so only one that verifies can be approved`,
    );
  }
  const signed = await loadSigned(source.reader, id).catch((error) => {
    throw loadFailure(error, `Cannot approve "${path}"`);
  });
  if (!signed || result.statementId !== id) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot approve "${path}": its statement "${id}" changed while it was checked`,
    );
  }
  return signed;
}

// The config's verdict as verify gives it: a config through verifySource
// (line endings, attributes, server files); a file the store signs (the
// trust list, config.json) through verifyConfig, as Git would store it.
async function verifyNow(
  source: ConfigSource,
  path: string,
  context: { index: StoreIndex; trust: AllowedSigners; now: Date },
): Promise<VerifyResult> {
  if (!path.startsWith(`${STORE_DIR}/`)) {
    const results = await verifySource(source, {
      paths: [path],
      now: context.now,
      trust: context.trust,
    });
    const result = results.find((entry) => entry.path === path);
    if (result) return result;
    throw new ToolError(
      "BAD_PATH",
      `Cannot approve "${path}": no such file in the working tree`,
    );
  }
  let bytes = await source.reader.read(path, MAX_TRUST_BYTES);
  if (!bytes) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot approve "${path}": no such file in the working tree`,
    );
  }
  bytes = (await source.storedForms?.(new Map([[path, bytes]])))?.get(path) ??
    bytes;
  return await verifyConfig(
    { reader: source.reader, ...context },
    path,
    bytes,
  );
}

// The key's part for one path: nothing for its own statement or one it
// approved already; else a new signature over the statement's exact
// bytes, verified before anything is written.
async function plan(
  source: ConfigSource,
  path: string,
  signed: SignedStatement,
  key: SigningKey,
  myHex: string,
): Promise<Planned> {
  if (
    signed.statement.signer === key.keyId ||
    equalBytes(signed.signature.publicKey, key.key.publicKey)
  ) {
    return { path, status: "own-statement", signed };
  }
  const existing = await readApproval(source, signed, myHex);
  if (existing) return { path, status: "already-approved", signed };
  const signature = await createSshSignature(signed.bytes, key.key, {
    namespace: SIGNATURE_NAMESPACE,
  });
  // Verify our own signature before anything is written, as sign does.
  if (!await approvalVerifies(signature, signed.bytes, myHex)) {
    throw new ToolError(
      "INVALID_KEY",
      `The approval just made for "${path}" does not verify; nothing was written`,
    );
  }
  return {
    path,
    status: "approved",
    signed,
    approval: { statementId: signed.id, keyHex: myHex, signature },
  };
}

// Whether the key's approval of the statement is there and verifies; a
// damaged one is written again.
async function readApproval(
  source: ConfigSource,
  signed: SignedStatement,
  keyHex: string,
): Promise<boolean> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await source.reader.read(
      approvalPath(signed.id, keyHex),
      MAX_METADATA_BYTES,
    );
  } catch (error) {
    // A link or a folder in its place: writing refuses it, naming why.
    if (error instanceof ToolError && error.code === "BAD_PATH") throw error;
    return false;
  }
  return bytes !== undefined &&
    await approvalVerifies(
      new TextDecoder().decode(bytes),
      signed.bytes,
      keyHex,
    );
}

// Whether an approval's text is a valid signature over the statement's
// bytes, in our namespace, by the key its file name names.
async function approvalVerifies(
  text: string,
  message: Uint8Array,
  keyHex: string,
): Promise<boolean> {
  try {
    const signature = parseSshSignature(text, "approval");
    return await keyHexOf(signature.publicKey) === keyHex &&
      await verifySshSignature(signature, message, SIGNATURE_NAMESPACE);
  } catch {
    return false;
  }
}

// One path's report: who signed, and every approval now in the working
// tree, each named as the trust list names its key and checked.
async function describe(
  repo: Repository,
  source: ConfigSource,
  entry: Planned,
  trust: AllowedSigners,
): Promise<ApprovalResult> {
  const { signed } = entry;
  const named = await principalsByHex(trust);
  const signerHex = await keyHexOf(signed.signature.publicKey);
  const approvals: Approver[] = [];
  for (const keyHex of await listApprovals(repo, signed.id)) {
    let valid = false;
    try {
      const bytes = await source.reader.read(
        approvalPath(signed.id, keyHex),
        MAX_METADATA_BYTES,
      );
      valid = bytes !== undefined &&
        await approvalVerifies(
          new TextDecoder().decode(bytes),
          signed.bytes,
          keyHex,
        );
    } catch {
      // Unreadable (a link, too large): it counts for nothing, as shown.
    }
    approvals.push({
      keyId: keyIdOfHex(keyHex),
      principals: named.get(keyHex) ?? [],
      valid,
    });
  }
  return {
    path: entry.path,
    status: entry.status,
    statementId: signed.id,
    signer: {
      keyId: signed.statement.signer,
      principals: named.get(signerHex) ?? [],
      valid: true,
    },
    approvals,
  };
}

// Each listed Ed25519 key's principals, by key hex.
async function principalsByHex(
  trust: AllowedSigners,
): Promise<Map<string, string[]>> {
  const named = new Map<string, string[]>();
  for (const entry of trust.entries) {
    if (!entry.key) continue;
    const hex = await keyHexOf(entry.key);
    named.set(hex, [
      ...new Set([...named.get(hex) ?? [], ...entry.principals]),
    ]);
  }
  return named;
}
