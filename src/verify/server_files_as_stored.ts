/**
 * Server files in the working tree, as Git stores them: under
 * `core.autocrlf` (Git for Windows' default) or a `text` attribute a script
 * whose signed blob has LF is checked out with CRLF, so its bytes on disk
 * hash to something else than the signed SHA-256. Such a file counts as
 * the signed one only when its bytes without the CR of each CRLF hash to
 * what was signed, no attribute makes Git run a filter for it (`filter`,
 * `ident`, `working-tree-encoding`: those are never handed to Git), and
 * Git's clean conversion gives exactly those bytes. The CRLF checkout is
 * then what Git itself makes of the signed commit on this machine.
 *
 * @module
 */

import { sha256Hex } from "../crypto/sha.ts";
import type { ConfigSource } from "../source/config_source.ts";
import { hasCrlf, withoutCrlf } from "../source/line_endings.ts";
import type { StoreReader } from "../source/store_reader.ts";
import { MAX_SERVER_FILE_BYTES } from "../constants.ts";
import { loadStatement } from "./load_signed.ts";
import { attributeFailures, readAttributes } from "./verify_attributes.ts";
import type { VerifyResult } from "./verify_codes.ts";
import { verifyConfig, type VerifyContext } from "./verify_config.ts";
import { readConfigBytes } from "../source/find_configs.ts";

/**
 * Verifies `TAMPERED` configs again with their server files as Git stores
 * them, and returns the context (its reader giving those stored forms) that
 * later steps verify with.
 *
 * @param source The working tree (its `storedForms` asks Git).
 * @param context What the configs were verified with.
 * @param results Their results.
 * @returns The results (those that changed replaced) and the context.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * ({ results, context } = await serverFilesAsStored(source, context, results));
 * ```
 */
export async function serverFilesAsStored(
  source: ConfigSource,
  context: VerifyContext,
  results: readonly VerifyResult[],
): Promise<{ results: VerifyResult[]; context: VerifyContext }> {
  const candidates = await crlfCandidates(context, results);
  if (candidates.size === 0 || !source.storedForms) {
    return { results: [...results], context };
  }
  if (source.attributes) {
    const listing = (await source.list()).map((entry) => entry.path);
    const unsafe = attributeFailures(
      await readAttributes(source.attributes, listing, [...candidates.keys()]),
      listing,
    );
    for (const failure of unsafe) candidates.delete(failure.path);
  }
  const stored = candidates.size === 0
    ? new Map<string, Uint8Array>()
    : await source.storedForms(candidates);
  if (stored.size === 0) return { results: [...results], context };
  const reader = substituting(context.reader, stored);
  const asStored = { ...context, reader };
  const redone: VerifyResult[] = [];
  for (const result of results) {
    if (result.code !== "TAMPERED") {
      redone.push(result);
      continue;
    }
    const bytes = await readConfigBytes(source, result.path).catch(() =>
      undefined
    );
    const again = bytes && await verifyConfig(asStored, result.path, bytes);
    redone.push(
      again?.ok
        ? {
          ...again,
          reason:
            `${again.reason}, its server files as Git stores them (CRLF line endings here)`,
        }
        : result,
    );
  }
  return { results: redone, context: asStored };
}

// Server files of TAMPERED configs whose bytes, without the CR of each
// CRLF, hash to what was signed: path → bytes on disk.
async function crlfCandidates(
  context: VerifyContext,
  results: readonly VerifyResult[],
): Promise<Map<string, Uint8Array>> {
  const candidates = new Map<string, Uint8Array>();
  for (const result of results) {
    if (result.code !== "TAMPERED" || !result.statementId) continue;
    const stored = await loadStatement(context.reader, result.statementId)
      .catch(() => undefined);
    for (const file of stored?.statement.files ?? []) {
      const bytes = await context.reader.read(file.path, MAX_SERVER_FILE_BYTES)
        .catch(() => undefined);
      if (!bytes || !hasCrlf(bytes)) continue;
      if (await sha256Hex(withoutCrlf(bytes)) === file.sha256) {
        candidates.set(file.path, bytes);
      }
    }
  }
  return candidates;
}

// A reader that gives the stored form of the files Git confirmed.
function substituting(
  reader: StoreReader,
  stored: ReadonlyMap<string, Uint8Array>,
): StoreReader {
  return {
    read: (path, maxBytes) => {
      const bytes = stored.get(path);
      return bytes ? Promise.resolve(bytes) : reader.read(path, maxBytes);
    },
    ...(reader.list ? { list: () => reader.list!() } : {}),
  };
}
