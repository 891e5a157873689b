/**
 * Verifies the configs of a working tree: reads the index and trust list
 * once, then each config through {@linkcode verifyConfig}.
 *
 * @module
 */

import { ALLOWED_SIGNERS_PATH, MAX_INDEX_BYTES } from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { loadConfigKinds } from "../configs/config_kinds.ts";
import { findConfigs, readConfigBytes } from "../configs/find_configs.ts";
import type { Repository } from "../git/repository.ts";
import {
  readIndex,
  type StoreReader,
  workingTreeReader,
} from "../store/store.ts";
import {
  type AllowedSigners,
  parseAllowedSigners,
} from "../trust/allowed_signers.ts";
import type { VerifyResult } from "./verify_codes.ts";
import { verifyConfig, type VerifyContext } from "./verify_config.ts";

/** Options for {@linkcode verifyRepository}. */
export interface VerifyOptions {
  /** Folder that relative `paths` start from. */
  cwd: string;
  /** Configs to verify; default: every recognised config in the working tree. */
  paths?: readonly string[];
  /** Verification time (default: now). */
  now?: Date;
}

/**
 * Verifies every recognised config in the working tree, or the named ones.
 *
 * @param repo The working tree.
 * @param options Paths, working folder and time.
 * @returns One result per config, sorted by path.
 * @throws {ToolError} `BAD_PATH` for a named path that is missing or not a
 * config; `INVALID_FORMAT` for a malformed trust list.
 *
 * @example
 * ```ts ignore
 * const results = await verifyRepository(repo, { cwd: Deno.cwd() });
 * const failed = results.filter((r) => !r.ok);
 * ```
 */
export async function verifyRepository(
  repo: Repository,
  options: VerifyOptions,
): Promise<VerifyResult[]> {
  const reader = workingTreeReader(repo);
  const kinds = await loadConfigKinds(repo.root);
  const targets = await findConfigs(repo, {
    kinds,
    cwd: options.cwd,
    ...(options.paths ? { paths: options.paths } : {}),
  });
  // A malformed index fails every config (MALFORMED) rather than the run, so
  // the report still lists each config.
  let indexError: string | undefined;
  const index = await readIndex(reader).catch((error) => {
    indexError = errorMessage(error);
    return new Map<string, string>();
  });
  const context: VerifyContext = {
    reader,
    index,
    trust: await readTrust(reader),
    now: options.now ?? new Date(),
  };
  const results: VerifyResult[] = [];
  for (const target of targets) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readConfigBytes(repo, target.path);
    } catch (error) {
      results.push({
        path: target.path,
        ok: false,
        code: "MALFORMED",
        reason: errorMessage(error),
      });
      continue;
    }
    if (!bytes) {
      if (target.named) {
        throw new ToolError(
          "BAD_PATH",
          `Cannot verify "${target.path}": no such file`,
        );
      }
      continue; // Tracked but deleted in the working tree: nothing a client would load.
    }
    results.push(
      indexError
        ? {
          path: target.path,
          ok: false,
          code: "MALFORMED",
          reason: indexError,
        }
        : await verifyConfig(context, target.path, bytes),
    );
  }
  return results;
}

async function readTrust(
  reader: StoreReader,
): Promise<AllowedSigners | undefined> {
  const bytes = await reader.read(ALLOWED_SIGNERS_PATH, MAX_INDEX_BYTES);
  if (!bytes) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid allowed_signers "${ALLOWED_SIGNERS_PATH}": not valid UTF-8`,
    );
  }
  return await parseAllowedSigners(text, ALLOWED_SIGNERS_PATH);
}
