/**
 * The first step of signing: which configs, read and validated, and the
 * trust list, which is signed like a config.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  MAX_CONFIG_BYTES,
  MAX_TRUST_BYTES,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
} from "../constants.ts";
import { configKindsFrom } from "../configs/repository_patterns.ts";
import { ToolError } from "../errors.ts";
import type { ConfigSource } from "../source/config_source.ts";
import {
  type ConfigTarget,
  findConfigs,
  readConfigBytes,
} from "../source/find_configs.ts";
import type { ConfigKind } from "../configs/config_kinds.ts";
import { validateConfig } from "../configs/validate_config.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { readIndex } from "../store/store.ts";
import type { ServerFileId } from "../store/statement.ts";
import { serverFileIds } from "./server_file_ids.ts";
import type { Repository } from "../git/repository.ts";
import { hasCrlf, lineBreaksAreOutsideValues } from "../source/line_endings.ts";
import {
  ensureRepositoryId,
  readRevokedKeys,
  readTrust,
} from "../trust/trust_store.ts";
import { parsePolicy } from "../trust/policy.ts";
import { literalPrincipals } from "../trust/policy_store.ts";
import {
  attributeFailures,
  readAttributes,
} from "../verify/verify_attributes.ts";

/** A config to sign: its path, bytes and artifact id. */
export interface Planned {
  /** Repository-relative path. */
  path: string;
  /** Its bytes as Git would store them (without a CRLF checkout's CRs), as validated. */
  bytes: Uint8Array;
  /** SHA-256 (hex) of the bytes. */
  artifact: string;
  /** The repository files its servers run, hashed (none for the trust list). */
  files: readonly ServerFileId[];
  /** Its client kind (none for the trust files), for lint. */
  kind?: ConfigKind;
}

/**
 * Finds the configs to sign (the named ones, or every recognised one, and
 * the trust list), reads and validates each, and refuses checkout
 * attributes that would make Git check out other bytes than those signed.
 * A working-tree file with CRLF line endings that Git would store as LF is
 * planned with the LF bytes Git would store.
 *
 * @param repo The working tree (where a trust list may be started).
 * @param source Where configs are read.
 * @param options `paths` to sign (default: every config and the trust
 * list); `createTrustList` to start one holding only a repository id.
 * @returns The configs to sign, with their bytes and artifact ids.
 * @throws {ToolError} `INVALID_CONFIG` (every bad file at once; a CRLF
 * that Git would remove but the format could read as part of a value),
 * `BAD_PATH`.
 *
 * @example
 * ```ts ignore
 * const planned = await discoverConfigs(repo, workingTreeSource(repo), {});
 * ```
 */
export async function discoverConfigs(
  repo: Repository,
  source: ConfigSource,
  options: { paths?: readonly string[]; createTrustList?: boolean },
): Promise<Planned[]> {
  const kinds = await source.kinds();
  const named = options.paths?.filter((path) => !isStoreSigned(path));
  let index: Promise<ReadonlyMap<string, string>> | undefined;
  const targets = named?.length === 0 ? [] : await findConfigs(source, {
    kinds,
    ...(named ? { paths: named } : {}),
    // Read only for a settings file without MCP section: was it signed?
    signed: async (path) =>
      (await (index ??= readIndex(source.reader))).has(path),
  });
  // Signing before anyone is trusted still binds what is signed to this
  // repository: the trust list starts as its id alone.
  if (options.createTrustList && targets.length > 0) {
    await ensureRepositoryId(repo, { create: true });
  }
  const signTrust = !options.paths ||
    options.paths.includes(ALLOWED_SIGNERS_PATH);
  const planned = await readAndValidate(source, targets, signTrust);
  // config.json steers which files are verified, policy.json who must sign
  // them and revoked_keys which keys count, so each is signed like the trust
  // list: a change to any must be approved by the keys trusted before it.
  for (const [path, check] of STORE_SIGNED_FILES) {
    if (options.paths && !options.paths.includes(path)) continue;
    const file = await readStoreFile(source, path, check);
    if (file) planned.push(file);
    else if (options.paths) {
      throw new ToolError(
        "BAD_PATH",
        `Cannot sign "${path}": no such file in the ${source.label}`,
      );
    }
  }
  await refuseUnsafeAttributes(source, planned.map((item) => item.path));
  return await asGitStores(
    source,
    planned,
    new Map(targets.map((target) => [target.path, target.kind])),
  );
}

// What is signed is the blob Git would store, as the pre-commit hook signs
// the index: a working-tree config with CRLF line endings that Git's clean
// conversion (core.autocrlf, a "text" attribute) turns into LF is signed as
// LF, so that the commit's blob verifies. The verifier's rule, read the
// other way (src/verify/verify_line_endings.ts): Git must confirm the
// conversion (one process for all such files, only when some file has a
// CRLF), and the format must read a CRLF as an LF; otherwise what a client
// reads here is not what would be signed, and signing is refused. Run it
// after the attribute check: Git would run a filter while hashing.
async function asGitStores(
  source: ConfigSource,
  planned: Planned[],
  kinds: ReadonlyMap<string, ConfigKind>,
): Promise<Planned[]> {
  const crlf = planned.filter((item) => hasCrlf(item.bytes));
  if (crlf.length === 0 || !source.storedForms) return planned;
  const stored = await source.storedForms(
    new Map(crlf.map((item) => [item.path, item.bytes])),
  );
  const problems: string[] = [];
  const signed: Planned[] = [];
  for (const item of planned) {
    const lf = stored.get(item.path);
    if (!lf) {
      signed.push(item); // Git stores these bytes as they are.
      continue;
    }
    const kind = kinds.get(item.path);
    const format =
      item.path === ALLOWED_SIGNERS_PATH || item.path === REVOKED_KEYS_PATH
        ? "lines"
        : kind?.format;
    if (!format || !lineBreaksAreOutsideValues(format, lf)) {
      problems.push(
        `Cannot sign "${item.path}": it has CRLF line endings, which Git would store as LF (core.autocrlf or a "text" attribute), but ${
          format === "toml"
            ? "a TOML multi-line string can keep a CR as part of its value"
            : `its format (${
              format ?? "unknown"
            }) may read a CR as part of a value`
        }, so a client reading this file could read another value than the one signed: ` +
          `save it with LF line endings, and give it the attribute "text eol=lf" in .gitattributes so that Git checks it out so`,
      );
      continue;
    }
    // The stored form must be a config too (it parses as the bytes on disk did).
    if (item.path === ALLOWED_SIGNERS_PATH) {
      await readTrust({
        read: (path) =>
          Promise.resolve(path === ALLOWED_SIGNERS_PATH ? lf : undefined),
      });
    } else if (item.path === REVOKED_KEYS_PATH) {
      await readRevokedKeys({ read: () => Promise.resolve(lf) });
    } else if (kind) await validateConfig(item.path, lf, kind);
    // The same servers: a parser reads CRLF and LF alike in this format.
    signed.push({ ...item, bytes: lf, artifact: await sha256Hex(lf) });
  }
  if (problems.length > 0) {
    throw new ToolError("INVALID_CONFIG", problems.join("\n"));
  }
  return signed;
}

async function refuseUnsafeAttributes(
  source: ConfigSource,
  paths: readonly string[],
): Promise<void> {
  // A signature covers the bytes Git stores; if Git checked out other bytes
  // (ident, a filter, an eol or encoding conversion), a client would read
  // something nobody signed.
  if (!source.attributes || paths.length === 0) return;
  const listing = (await source.list()).map((entry) => entry.path);
  const failures = attributeFailures(
    await readAttributes(source.attributes, listing, paths),
    listing,
  );
  if (failures.length === 0) return;
  throw new ToolError(
    "INVALID_CONFIG",
    `Cannot sign: ${failures.map((failure) => failure.reason).join("; ")}`,
  );
}

async function readAndValidate(
  source: ConfigSource,
  targets: ConfigTarget[],
  signTrust: boolean,
): Promise<Planned[]> {
  const planned: Planned[] = [];
  const problems: string[] = [];
  let firstError: ToolError | undefined;
  // Listed once for all the configs (nothing is written while planning):
  // listing per config made signing N configs cost N listings.
  let listing: ReturnType<ConfigSource["list"]> | undefined;
  const list = () => listing ??= source.list();
  for (const target of targets) {
    try {
      if (target.hidden) {
        throw new ToolError(
          "BAD_PATH",
          `Cannot sign "${target.path}": ${target.hidden.reason}`,
        );
      }
      const bytes = await readConfigBytes(source, target.path);
      if (!bytes) {
        if (target.named) {
          throw new ToolError(
            "BAD_PATH",
            `Cannot sign "${target.path}": no such file in the ${source.label}`,
          );
        }
        continue;
      }
      await validateConfig(target.path, bytes, target.kind);
      planned.push({
        path: target.path,
        bytes,
        artifact: await sha256Hex(bytes),
        files: await serverFileIds(source, { ...target, bytes }, { list }),
        kind: target.kind,
      });
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      firstError ??= error;
      problems.push(error.message);
    }
  }
  // The trust list is signed like a config, so that a change to it can be
  // checked against the keys trusted before the change.
  const trustList = signTrust && !firstError
    ? await readTrustList(source)
    : undefined;
  if (trustList) planned.push(trustList);
  // Report every bad file at once, but keep the first error's code.
  if (firstError) {
    throw new ToolError(firstError.code, problems.join("\n"), {
      cause: firstError,
    });
  }
  return planned;
}

/**
 * Whether a path is one of the store's own files that are signed like a
 * config: the trust list, the repository's patterns (`config.json`) and
 * the team policy (`policy.json`).
 *
 * @param path A repository-relative path.
 * @returns True for `allowed_signers`, `config.json`, `policy.json` and
 * `revoked_keys`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isStoreSigned } from "./discover_configs.ts";
 * assert.equal(isStoreSigned(".mcp-orchestration/config.json"), true);
 * ```
 */
export function isStoreSigned(path: string): boolean {
  return path === ALLOWED_SIGNERS_PATH ||
    STORE_SIGNED_FILES.some(([signed]) => signed === path);
}

// The store files signed beside the trust list, each with the check it must
// pass before it is signed: as every command reads it.
const STORE_SIGNED_FILES: readonly [
  string,
  (bytes: Uint8Array, source: ConfigSource) => Promise<unknown>,
][] = [
  [REPO_CONFIG_PATH, (bytes) => configKindsFrom(bytes)],
  // Every principal it names must be one of the trust list signed with it.
  [POLICY_PATH, async (bytes, source) => {
    const trust = await readTrust(source.reader);
    await parsePolicy(bytes, {
      source: POLICY_PATH,
      principals: trust ? literalPrincipals(trust) : new Set(),
    });
  }],
  // The revocation list decides which keys count; it must parse, as every
  // command reads it with the trust list.
  [
    REVOKED_KEYS_PATH,
    (bytes) => readRevokedKeys({ read: () => Promise.resolve(bytes) }),
  ],
];

async function readStoreFile(
  source: ConfigSource,
  path: string,
  check: (bytes: Uint8Array, source: ConfigSource) => Promise<unknown>,
): Promise<Planned | undefined> {
  const bytes = await source.reader.read(path, MAX_CONFIG_BYTES);
  if (!bytes) return undefined;
  await check(bytes, source);
  return { path, bytes, artifact: await sha256Hex(bytes), files: [] };
}

async function readTrustList(
  source: ConfigSource,
): Promise<Planned | undefined> {
  const bytes = await source.reader.read(ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES);
  if (!bytes) return undefined;
  // It must parse (the revocation list is read and signed on its own).
  await readTrust({
    read: (path) =>
      Promise.resolve(path === ALLOWED_SIGNERS_PATH ? bytes : undefined),
  });
  return {
    path: ALLOWED_SIGNERS_PATH,
    bytes,
    artifact: await sha256Hex(bytes),
    files: [],
  };
}
