/**
 * Shows what was signed for a config, or for an artifact id: every field of
 * the statement, the exact statement bytes and the armored signature, so
 * anyone can check them with `sha256sum` and `ssh-keygen -Y verify`.
 *
 * @module
 */

import { join } from "node:path";
import { ID_PATTERN, INDEX_PATH } from "../constants.ts";
import { exists } from "../fs/files.ts";
import { ToolError } from "../errors.ts";
import { readConfigBytes } from "../source/find_configs.ts";
import {
  type ConfigSource,
  workingTreeSource,
} from "../source/config_source.ts";
import { type Repository, toRepoPath } from "../git/repository.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { loadFailure, loadStatement } from "../verify/load_signed.ts";
import type { Statement } from "../store/statement.ts";
import { readIndex, signaturePath, statementPath } from "../store/store.ts";
import { readTrust } from "../trust/trust_store.ts";
import type { VerifyResult } from "../verify/verify_codes.ts";
import { verifyConfig } from "../verify/verify_config.ts";

/** Everything `inspect` shows about one signed config. */
export interface Inspection {
  /** The statement id (the file name under `statements/`). */
  statementId: string;
  /** Path of the statement file. */
  statementFile: string;
  /** Path of the signature file. */
  signatureFile: string;
  /** The parsed statement. */
  statement: Statement;
  /** The statement's exact text (what the signature covers). */
  statementText: string;
  /** The armored SSHSIG signature. */
  signature: string;
  /** The result of verifying the config's current bytes (absent when the file is gone). */
  verification?: VerifyResult;
}

/**
 * Inspects a config by path, or every config whose current statement has the
 * given artifact id.
 *
 * @param repo The working tree.
 * @param target A path, or an artifact id (64 lowercase hex digits).
 * @param options `cwd` for relative paths; `now` for verification.
 * @returns One inspection per matching config.
 * @throws {ToolError} `BAD_PATH` when nothing is signed under that path or id
 * (saying so when the path does not exist),
 * `USAGE` for an id-like value that is not 64 lowercase hex digits.
 *
 * @example
 * ```ts ignore
 * const [inspection] = await inspect(repo, ".mcp.json", { cwd: Deno.cwd() });
 * ```
 */
export async function inspect(
  repo: Repository,
  target: string,
  options: { cwd: string; now?: Date },
): Promise<Inspection[]> {
  const source = workingTreeSource(repo);
  const reader = source.reader;
  const index = await readIndex(reader);
  const trust = await readTrust(reader);
  const context = { reader, index, trust, now: options.now ?? new Date() };
  const inspections: Inspection[] = [];
  for (
    const [path, id] of await findEntries(
      repo,
      source,
      index,
      target,
      options.cwd,
    )
  ) {
    const stored = await loadStatement(reader, id).catch((error) => {
      throw loadFailure(error, `Cannot inspect "${path}"`);
    });
    if (!stored) {
      throw new ToolError(
        "INVALID_FORMAT",
        `The statement "${statementPath(id)}" for "${path}" is missing`,
      );
    }
    const bytes = await readConfigBytes(source, path).catch(() => undefined);
    const inspection: Inspection = {
      statementId: id,
      statementFile: statementPath(id),
      signatureFile: signaturePath(id),
      statement: stored.statement,
      statementText: new TextDecoder().decode(stored.bytes),
      signature: stored.signatureText ?? "",
    };
    if (bytes) {
      inspection.verification = await verifyConfig(context, path, bytes);
    }
    inspections.push(inspection);
  }
  return inspections;
}

// The signature-index entries (path, statement id) a target names: every config
// signed with that artifact id, or the one config at that path.
async function findEntries(
  repo: Repository,
  source: ConfigSource,
  index: StoreIndex,
  target: string,
  cwd: string,
): Promise<[string, string][]> {
  if (ID_PATTERN.test(target)) {
    const entries: [string, string][] = [];
    for (const [path, id] of index) {
      // A statement that cannot be loaded names no artifact we could trust.
      const loaded = await loadStatement(source.reader, id).catch(() =>
        undefined
      );
      if (loaded?.statement.artifact === target) entries.push([path, id]);
    }
    if (entries.length === 0) {
      throw new ToolError(
        "BAD_PATH",
        `No signed config has the artifact id "${target}"`,
      );
    }
    return entries;
  }
  if (
    /^[0-9a-fA-F]{16,}$/.test(target) &&
    !(await readConfigBytes(source, target).catch(() => undefined))
  ) {
    throw new ToolError(
      "USAGE",
      `"${target}" is neither a file nor an artifact id (64 lowercase hex digits)`,
    );
  }
  const path = await toRepoPath(repo, cwd, target);
  const id = index.get(path);
  if (!id) {
    // "The index" would read as Git's: the store's is the signature index.
    throw new ToolError(
      "BAD_PATH",
      await exists(join(repo.root, path))
        ? `"${path}" is not signed: the signature index (${INDEX_PATH}) has no entry for it`
        : `Cannot inspect "${path}": it does not exist, and the signature index (${INDEX_PATH}) has no entry for it`,
    );
  }
  return [[path, id]];
}
