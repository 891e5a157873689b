/**
 * The first step of signing: which configs, read and validated, and the
 * trust list, which is signed like a config.
 *
 * @module
 */

import { ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES } from "../constants.ts";
import { ToolError } from "../errors.ts";
import type { ConfigSource } from "../source/config_source.ts";
import {
  type ConfigTarget,
  findConfigs,
  readConfigBytes,
} from "../source/find_configs.ts";
import { validateConfig } from "../configs/validate_config.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { readIndex } from "../store/store.ts";
import type { ServerFileId } from "../store/statement.ts";
import { serverFileIds } from "./server_file_ids.ts";
import type { Repository } from "../git/repository.ts";
import { ensureRepositoryId, readTrust } from "../trust/trust_store.ts";
import {
  attributeFailures,
  readAttributes,
} from "../verify/verify_attributes.ts";

/** A config to sign: its path, bytes and artifact id. */
export interface Planned {
  /** Repository-relative path. */
  path: string;
  /** Its bytes, as validated. */
  bytes: Uint8Array;
  /** SHA-256 (hex) of the bytes. */
  artifact: string;
  /** The repository files its servers run, hashed (none for the trust list). */
  files: readonly ServerFileId[];
}

/**
 * Finds the configs to sign (the named ones, or every recognised one, and
 * the trust list), reads and validates each, and refuses checkout
 * attributes that would make Git check out other bytes than those signed.
 *
 * @param repo The working tree (where a trust list may be started).
 * @param source Where configs are read.
 * @param options `paths` to sign (default: every config and the trust
 * list); `createTrustList` to start one holding only a repository id.
 * @returns The configs to sign, with their bytes and artifact ids.
 * @throws {ToolError} `INVALID_CONFIG` (every bad file at once), `BAD_PATH`.
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
  const named = options.paths?.filter((path) => path !== ALLOWED_SIGNERS_PATH);
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
  await refuseUnsafeAttributes(source, planned.map((item) => item.path));
  return planned;
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
        files: await serverFileIds(source, { ...target, bytes }),
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

async function readTrustList(
  source: ConfigSource,
): Promise<Planned | undefined> {
  const bytes = await source.reader.read(ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES);
  if (!bytes) return undefined;
  await readTrust({ read: () => Promise.resolve(bytes) }); // It must parse.
  return {
    path: ALLOWED_SIGNERS_PATH,
    bytes,
    artifact: await sha256Hex(bytes),
    files: [],
  };
}
