/**
 * `status`: what a repository's MCP configs look like right now, for
 * people and scripts. It only reads: every recognised config in the
 * working tree (found as `verify` finds them) with its verification result,
 * signer, trust, signing time and sequence; the trust list's own signature;
 * the index entries whose file is gone (tombstones); whether our hooks are
 * installed; and the user's key.
 *
 * A damaged store or trust list is reported, not thrown: status is how one
 * finds out what is wrong.
 *
 * @module
 */

import { join } from "node:path";
import {
  ALLOWED_SIGNERS_PATH,
  MAX_TRUST_BYTES,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  SIGNATURE_NAMESPACE,
} from "../constants.ts";
import { errorMessage } from "../errors.ts";
import {
  type ConfigSource,
  workingTreeSource,
} from "../source/config_source.ts";
import { findConfigs } from "../source/find_configs.ts";
import { exists } from "../fs/files.ts";
import type { Repository } from "../git/repository.ts";
import { findHooksFolder } from "../hooks/install.ts";
import { readHookFile } from "../hooks/hook_file.ts";
import { HOOK_NAMES, type HookName } from "../hooks/stubs.ts";
import { type KeyOptions, loadSigningKey } from "../keys/key_store.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { loadStatement } from "../verify/load_signed.ts";
import { formatTime } from "../store/statement.ts";
import { readIndex } from "../store/store.ts";
import type { StoreReader } from "../source/store_reader.ts";
import { type AllowedSigners, findSigner } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import { resignCandidates, type ResignEntry } from "./resign.ts";
import type {
  ApprovalState,
  VerifyCode,
  VerifyResult,
} from "../verify/verify_codes.ts";
import { verifyConfig } from "../verify/verify_config.ts";
import { verifySource } from "../verify/verify_repository.ts";
import { verifyAsStored } from "../verify/verify_line_endings.ts";
import { formatPublicKeyLine } from "../format/public_key.ts";
import { isAdopted, type TrustRequest, trustRequest } from "./trust_request.ts";

// The store's own signed files, named in the table as the trust list is.
const STORE_FILE_CLIENTS: Readonly<Record<string, string>> = {
  [REPO_CONFIG_PATH]: "(settings)",
  [POLICY_PATH]: "(team policy)",
};

/** The signature facts of one signed file: a config or the trust list. */
export interface SignatureStatus {
  /** Repository-relative path. */
  path: string;
  /** Whether the index names a statement for it (false: `UNSIGNED`). */
  signed: boolean;
  /** Whether it verifies: bytes, artifact, path, signature and trust. */
  ok: boolean;
  /** The verification code when it does not verify, else null. */
  code: VerifyCode | null;
  /** Why it fails, or a summary of what verified. */
  reason: string;
  /** The key id the statement names, or null when there is none. */
  signer: string | null;
  /** The principals the trust list gives the signer's key (empty when unlisted). */
  principals: string[];
  /** Whether the trust list trusts the signer's key now (false when verification found it untrusted or expired). */
  trusted: boolean;
  /** When it was last signed (ISO 8601, UTC), or null. */
  signedAt: string | null;
  /** Its signed sequence number, or null. */
  sequence: number | null;
  /**
   * Its approvals against the policy's rule (who counted, who may still
   * approve), or null when there is no policy or it did not get that far.
   */
  approval: ApprovalState | null;
}

/** One config in the working tree. */
export interface ConfigStatus extends SignatureStatus {
  /** The client that reads it, e.g. "Claude Code", "Cursor". */
  client: string;
}

/** The trust list, `.mcp-orchestration/allowed_signers`. */
export interface TrustListStatus extends SignatureStatus {
  /** Whether the file exists. */
  present: boolean;
  /** How many key lines it has. */
  keys: number;
  /** Why it cannot be read (then configs are checked against no trust list), else null. */
  problem: string | null;
}

/** An index entry whose file is gone from the working tree. */
export interface Tombstone {
  /** Repository-relative path. */
  path: string;
  /** The statement id the index names. */
  statementId: string;
  /** Who last signed it, or null when the statement cannot be read. */
  signer: string | null;
  /** When it was last signed, or null. */
  signedAt: string | null;
  /** Its last sequence number, or null. */
  sequence: number | null;
}

/** One hook file. */
export interface HookStatus {
  /** The hook. */
  hook: HookName;
  /** Its absolute path. */
  path: string;
  /** `ours`: our stub; `missing`: no file; `foreign`: another hook. */
  state: "ours" | "missing" | "foreign";
}

/** Whether our hooks are where Git runs hooks. */
export interface HooksStatus {
  /** The folder Git runs hooks from. */
  folder: string;
  /** The value of `core.hooksPath`, or null when unset. */
  hooksPath: string | null;
  /** True when every hook is ours. */
  installed: boolean;
  /** One entry per hook, pre-commit first. */
  hooks: HookStatus[];
}

/** The user's signing key. */
export interface KeyStatus {
  /** Its id, or null when there is no usable key. */
  keyId: string | null;
  /** Its file, or null when there is none. */
  path: string | null;
  /** Whether this repository's trust list trusts it now. */
  trusted: boolean;
  /** The principals its trust entry gives it. */
  principals: string[];
  /** Why there is no usable key (not found, permissions, format), else null. */
  problem: string | null;
  /**
   * When the key is not trusted and the repository has a trust list (it
   * cannot trust itself then): the `trust add` line a trusted signer runs,
   * and the key id to compare out of band; else null.
   */
  request: TrustRequest | null;
}

/**
 * Everything `status` reports. Its JSON form (`status --json`) is this
 * object as it is; every field is always present (null rather than absent).
 */
export interface RepositoryStatus {
  /** The repository's root. */
  root: string;
  /** Every recognised config in the working tree, sorted by path. */
  configs: ConfigStatus[];
  /** The trust list. */
  trustList: TrustListStatus;
  /** Index entries whose file is gone, sorted by path. */
  tombstones: Tombstone[];
  /** The hooks. */
  hooks: HooksStatus;
  /** The user's key (`$MCP_ORCHESTRATION_KEY`, else the home's). */
  key: KeyStatus;
  /** Store-wide problems, such as an unreadable index. */
  problems: string[];
  /**
   * Configs signed by a revoked or retired key, to sign again with
   * `sign --resign` (after reviewing them).
   */
  resign: ResignEntry[];
}

/** Options for {@linkcode repositoryStatus}. */
export interface StatusOptions extends KeyOptions {
  /** Verification time (default: now). */
  now?: Date;
}

/**
 * Reads a repository's status. It writes nothing.
 *
 * @param repo The working tree.
 * @param options Time, and where the user's key is.
 * @returns Configs, trust list, tombstones, hooks, key and problems.
 * @throws {ToolError} Only when the repository cannot be read: git fails, or
 * its `.mcp-orchestration/config.json` is invalid (`INVALID_CONFIG`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { findRepository } from "../git/repository.ts";
 * import { runProcess } from "../_runtime/process.ts";
 * import { repositoryStatus } from "./repository_status.ts";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await runProcess("git", ["init", "-q", dir]);
 * await writeFile(join(dir, ".mcp.json"), '{"mcpServers":{}}\n');
 * const status = await repositoryStatus(await findRepository(dir), { home: join(dir, "home") });
 * assert.deepEqual(status.configs.map((c) => [c.path, c.client, c.code]), [[".mcp.json", "Claude Code", "UNSIGNED"]]);
 * assert.equal(status.hooks.installed, false);
 * assert.equal(status.key.keyId, null);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function repositoryStatus(
  repo: Repository,
  options: StatusOptions = {},
): Promise<RepositoryStatus> {
  const now = options.now ?? new Date();
  const source = workingTreeSource(repo);
  const problems: string[] = [];
  const kinds = await source.kinds();
  const targets = await findConfigs(source, { kinds });
  let index: StoreIndex = new Map();
  try {
    index = await readIndex(source.reader);
  } catch (error) {
    problems.push(errorMessage(error));
  }
  let trust: AllowedSigners | undefined;
  let trustProblem: string | null = null;
  try {
    trust = await readTrust(source.reader);
  } catch (error) {
    trustProblem = errorMessage(error);
    problems.push(trustProblem);
  }
  const clients = new Map(targets.map((t) => [t.path, t.kind.client]));
  const results = await verifySource(source, { trust, now });
  const configs = results.map((result) => ({
    ...signatureStatus(result, index, trust, now),
    client: clients.get(result.path) ?? STORE_FILE_CLIENTS[result.path] ??
      "MCP client",
  }));
  // An unsafe attribute on the list is reported among the results; Git
  // must not convert (or filter) it then.
  const unsafe = results.some((result) =>
    result.path === ALLOWED_SIGNERS_PATH && result.code === "UNSAFE_ATTRIBUTES"
  );
  const trustList = await trustListStatus(
    source,
    { index, trust, now },
    trustProblem,
    unsafe,
  );
  const present = new Set([
    ...configs.map((c) => c.path),
    ...(trustList.present ? [ALLOWED_SIGNERS_PATH] : []),
  ]);
  const tombstones: Tombstone[] = [];
  for (const [path, id] of index) {
    // A path that cannot be looked at is reported as missing.
    if (
      present.has(path) ||
      await exists(join(repo.root, path)).catch(() => false)
    ) continue;
    tombstones.push(await tombstone(source.reader, path, id, problems));
  }
  return {
    root: repo.root,
    configs,
    trustList,
    tombstones,
    hooks: await hooksStatus(repo),
    key: await keyStatus(repo, options, trust, now),
    problems,
    resign: resignCandidates(results, trust),
  };
}

function signatureStatus(
  result: VerifyResult,
  index: StoreIndex,
  trust: AllowedSigners | undefined,
  now: Date,
): SignatureStatus {
  const signer = result.signer ?? null;
  const entries = signer && trust
    ? trust.entries.filter((entry) => entry.keyId === signer)
    : [];
  const principals = [...new Set(entries.flatMap((entry) => entry.principals))];
  const key = entries.find((entry) => entry.key)?.key;
  // Verification decides when it got as far as trust; otherwise (say, the
  // bytes were tampered with) the trust list is asked about the key itself.
  const trusted = result.ok ||
    (result.code !== "UNTRUSTED_SIGNER" && result.code !== "EXPIRED_KEY" &&
      result.code !== "REVOKED_KEY" &&
      key !== undefined && trust !== undefined &&
      findSigner(trust, key, { namespace: SIGNATURE_NAMESPACE, at: now })
          .status === "trusted");
  return {
    path: result.path,
    signed: index.has(result.path),
    ok: result.ok,
    code: result.code ?? null,
    reason: result.reason,
    signer,
    principals: result.principals ?? principals,
    trusted,
    signedAt: result.signedAt ?? null,
    sequence: result.sequence ?? null,
    approval: result.approval ?? null,
  };
}

async function trustListStatus(
  source: ConfigSource,
  context: { index: StoreIndex; trust: AllowedSigners | undefined; now: Date },
  problem: string | null,
  unsafe: boolean,
): Promise<TrustListStatus> {
  const reader = source.reader;
  let bytes: Uint8Array | undefined;
  try {
    bytes = await reader.read(ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES);
  } catch (error) {
    problem ??= errorMessage(error);
  }
  const keys = context.trust?.entries.length ?? 0;
  if (!bytes) {
    return {
      path: ALLOWED_SIGNERS_PATH,
      present: false,
      keys,
      problem,
      signed: context.index.has(ALLOWED_SIGNERS_PATH),
      ok: false,
      code: null,
      reason: problem ?? "there is no trust list: no key is trusted",
      signer: null,
      principals: [],
      trusted: false,
      signedAt: null,
      sequence: null,
      approval: null,
    };
  }
  // The list vouches for its own signer here; history checks (verify --rev,
  // --range) also require a signer trusted before each change.
  let result = await verifyConfig(
    { reader, ...context },
    ALLOWED_SIGNERS_PATH,
    bytes,
  );
  if (!unsafe) {
    // Checked out with CRLF (core.autocrlf), it is compared as Git stores it.
    const redone = await verifyAsStored(source, { reader, ...context }, [
      { result, bytes, format: "lines" },
    ]);
    result = redone.get(ALLOWED_SIGNERS_PATH) ?? result;
  }
  return {
    ...signatureStatus(result, context.index, context.trust, context.now),
    present: true,
    keys,
    problem,
  };
}

async function tombstone(
  reader: StoreReader,
  path: string,
  id: string,
  problems: string[],
): Promise<Tombstone> {
  const none = { signer: null, signedAt: null, sequence: null };
  try {
    const stored = await loadStatement(reader, id);
    if (!stored) return { path, statementId: id, ...none };
    const statement = stored.statement;
    return {
      path,
      statementId: id,
      signer: statement.signer,
      signedAt: formatTime(statement.signedAt),
      sequence: statement.sequence,
    };
  } catch (error) {
    // Nothing from a statement that cannot be loaded is shown as its.
    problems.push(
      `The statement of the deleted config "${path}" cannot be read: ${
        errorMessage(error)
      }`,
    );
    return { path, statementId: id, ...none };
  }
}

async function hooksStatus(repo: Repository): Promise<HooksStatus> {
  const { folder, hooksPath } = await findHooksFolder(repo);
  const hooks: HookStatus[] = [];
  for (const hook of HOOK_NAMES) {
    const path = join(folder, hook);
    hooks.push({ hook, path, state: await hookState(path) });
  }
  return {
    folder,
    hooksPath: hooksPath ?? null,
    installed: hooks.every((hook) => hook.state === "ours"),
    hooks,
  };
}

// Status reports and never throws: a hook it cannot read is not ours.
async function hookState(path: string): Promise<HookStatus["state"]> {
  return await readHookFile(path).then((file) => file.state, () => "foreign");
}

async function keyStatus(
  repo: Repository,
  options: KeyOptions,
  trust: AllowedSigners | undefined,
  now: Date,
): Promise<KeyStatus> {
  let key;
  try {
    key = await loadSigningKey({
      ...(options.home ? { home: options.home } : {}),
      ...(options.keyPath ? { keyPath: options.keyPath } : {}),
    });
  } catch (error) {
    return {
      keyId: null,
      path: null,
      trusted: false,
      principals: [],
      problem: errorMessage(error),
      request: null,
    };
  }
  const decision = trust
    ? findSigner(trust, key.key.publicKey, {
      namespace: SIGNATURE_NAMESPACE,
      at: now,
    })
    : undefined;
  const trusted = decision?.status === "trusted";
  // An expired entry is renewed, not added: no request for it.
  const request = decision?.status !== "trusted" &&
      decision?.status !== "expired" && await isAdopted(repo, trust)
    ? await trustRequest(repo, {
      publicKey: formatPublicKeyLine(key.key.publicKey),
      keyId: key.keyId,
    }, { trust })
    : null;
  return {
    keyId: key.keyId,
    path: key.path,
    trusted,
    principals: decision?.status === "trusted" ? decision.entry.principals : [],
    problem: null,
    request,
  };
}
