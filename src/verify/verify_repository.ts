/**
 * Verifies the configs of a working tree: reads the index and trust list
 * once, then each config through {@linkcode verifyConfig}.
 *
 * @module
 */

import { errorMessage, ToolError } from "../errors.ts";
import { loadConfigKinds } from "../configs/config_kinds.ts";
import { findConfigs, readConfigBytes } from "../configs/find_configs.ts";
import type { Repository } from "../git/repository.ts";
import { readIndex, workingTreeReader } from "../store/store.ts";
import { readTrust } from "../trust/trust_store.ts";
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
    if (target.via) {
      results.push({
        path: target.path,
        ok: false,
        code: "UNSIGNED",
        reason: `it is reached through "${target.via}", a symbolic link or ` +
          "submodule: Git does not store it in this repository, so it cannot " +
          "be signed; make it a regular file here",
      });
      continue;
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readConfigBytes(repo, target.path);
    } catch (error) {
      // A symbolic link (or a path through one) can never have been signed;
      // anything else unreadable, such as an oversized file, is malformed.
      const link = error instanceof ToolError && error.code === "BAD_PATH";
      results.push({
        path: target.path,
        ok: false,
        code: link ? "UNSIGNED" : "MALFORMED",
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
