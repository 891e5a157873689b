/**
 * Working-tree files verified as Git stores them: a config checked out with
 * CRLF (`core.autocrlf`, `core.eol=crlf` with a `text` attribute) hashes to
 * other bytes than the LF blob that was signed. Such a file is verified
 * again with the bytes Git's clean conversion gives, when Git confirms that
 * conversion and the config's format reads CRLF as LF
 * (`src/source/line_endings.ts`); otherwise it stays `TAMPERED`, with the
 * reason why.
 *
 * @module
 */

import type { ConfigSource } from "../source/config_source.ts";
import { type ConfigTarget, readConfigBytes } from "../source/find_configs.ts";
import {
  hasCrlf,
  lineBreaksAreOutsideValues,
  withoutCrlf,
} from "../source/line_endings.ts";
import type { VerifyResult } from "./verify_codes.ts";
import { verifyConfig, type VerifyContext } from "./verify_config.ts";

/** A working-tree file that verified as `TAMPERED`. */
export interface TamperedFile {
  /** Its `TAMPERED` result. */
  result: VerifyResult;
  /** Its bytes as read from disk. */
  bytes: Uint8Array;
  /**
   * Its format (`json`, `jsonc`, `toml`…), `lines` for the trust list, or
   * `""` when unknown (then only its exact bytes verify).
   */
  format: string;
}

/**
 * Verifies `TAMPERED` files again as Git stores them. Git is started once,
 * and only when some file, without the CR of its CRLFs, hashes to what was
 * signed. Call it only for files whose attributes name no `filter`, `ident`
 * or `working-tree-encoding` (`UNSAFE_ATTRIBUTES` ones).
 *
 * @param source The working tree (its `storedForms` asks Git).
 * @param context The index, trust list and time the files were verified with.
 * @param files The files and their `TAMPERED` results.
 * @returns Path → the new result, for each file whose result or reason
 * changes: the result of its stored form, or `TAMPERED` saying why the
 * CRLF difference counts.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * const redone = await verifyAsStored(source, context, [{ result, bytes, format: "json" }]);
 * ```
 */
export async function verifyAsStored(
  source: ConfigSource,
  context: VerifyContext,
  files: readonly TamperedFile[],
): Promise<Map<string, VerifyResult>> {
  const redone = new Map<string, VerifyResult>();
  const candidates = new Map<
    string,
    { file: TamperedFile; result: VerifyResult }
  >();
  for (const file of files) {
    if (file.result.code !== "TAMPERED" || !hasCrlf(file.bytes)) continue;
    const lf = withoutCrlf(file.bytes);
    const result = await verifyConfig(context, file.result.path, lf);
    // Without its CRs it still is not what was signed.
    if (result.code === "TAMPERED") continue;
    if (!lineBreaksAreOutsideValues(file.format, lf)) {
      redone.set(file.result.path, {
        ...file.result,
        reason:
          `${file.result.reason}; it differs from them only by CRLF line endings, but ${
            file.format === ""
              ? "no config pattern recognises it any more, so its format (and what a CR means in it) is unknown"
              : `a ${file.format} multi-line string can keep a CR as part of its value, so a client may read another value than the signed one`
          }: save it with LF line endings (the attribute "text eol=lf" makes Git check it out so)`,
      });
      continue;
    }
    candidates.set(file.result.path, { file, result });
  }
  if (candidates.size === 0 || !source.storedForms) return redone;
  const stored = await source.storedForms(
    new Map([...candidates].map(([path, { file }]) => [path, file.bytes])),
  );
  for (const [path, { file, result }] of candidates) {
    if (!stored.has(path)) {
      redone.set(path, {
        ...file.result,
        reason:
          `${file.result.reason}; it differs from them only by CRLF line endings, which Git would store as they are (neither core.autocrlf nor a "text" attribute converts them): save it with LF line endings`,
      });
      continue;
    }
    redone.set(
      path,
      result.ok
        ? {
          ...result,
          reason: `${result.reason}, as Git stores it (CRLF line endings here)`,
        }
        : result,
    );
  }
  return redone;
}

/**
 * Verifies a source's `TAMPERED` configs again as Git stores them (see
 * {@linkcode verifyAsStored}), reading each one again: the bytes verified
 * are the bytes read here. Run it after the attribute check, so that no
 * config with a `filter` is left `TAMPERED` (it is `UNSAFE_ATTRIBUTES`).
 *
 * @param source The working tree.
 * @param context What the configs were verified with.
 * @param targets The configs, for their formats.
 * @param results Their results.
 * @returns The results, those that changed replaced, in the same order.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * results = await reverifyAsStored(source, context, targets, results);
 * ```
 */
export async function reverifyAsStored(
  source: ConfigSource,
  context: VerifyContext,
  targets: readonly ConfigTarget[],
  results: readonly VerifyResult[],
): Promise<VerifyResult[]> {
  // A signed file that no pattern recognises any more (the only kind
  // without a pattern) has no known format: judged by its bytes.
  const formats = new Map(
    targets.map((t) => [t.path, t.kind.pattern === "" ? "" : t.kind.format]),
  );
  const files: TamperedFile[] = [];
  for (const result of results) {
    if (result.code !== "TAMPERED") continue;
    // Unreadable now, or gone: the first verdict stands.
    const bytes = await readConfigBytes(source, result.path).catch(() =>
      undefined
    );
    if (!bytes) continue;
    files.push({ result, bytes, format: formats.get(result.path) ?? "" });
  }
  if (files.length === 0) return [...results];
  const redone = await verifyAsStored(source, context, files);
  return results.map((result) => redone.get(result.path) ?? result);
}
