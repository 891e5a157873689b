/**
 * What the pre-commit hook tells the committer it signs, server by server:
 * each signed config's staged version compared with HEAD's. It reads both
 * blobs through the hook's one `git cat-file` process (the ids come from
 * the staged listing and `git diff --cached --raw`), so it starts no git
 * process of its own.
 *
 * @module
 */

import { MAX_CONFIG_BYTES } from "../constants.ts";
import { type ConfigKind, findConfigKind } from "../configs/config_kinds.ts";
import {
  type ConfigDiff,
  type ConfigVersion,
  diffConfig,
} from "../configs/config_diff.ts";
import type { GitObjects } from "../source/cat_file.ts";
import type { Snapshot } from "../source/snapshot.ts";

/** Where a config's two versions are: HEAD's blob and the staged one. */
export interface StagedBlobs {
  /** The index's entries. */
  snapshot: Snapshot;
  /**
   * For each path the commit changes, HEAD's blob id, or null when HEAD has
   * none (a new file); a path not in it is HEAD's as staged.
   */
  headBlobs: ReadonlyMap<string, string | null>;
  /** The kinds the index recognises. */
  kinds: readonly ConfigKind[];
}

/**
 * Compares each config with HEAD's version.
 *
 * @param objects The repository's objects.
 * @param blobs Where the versions are.
 * @param paths The configs signed.
 * @returns One change per config whose staged version differs, in the
 * order of `paths`.
 * @throws {ToolError} `IO` when git cannot read an object.
 *
 * @example
 * ```ts ignore
 * const changes = await stagedServerChanges(objects, { snapshot, headBlobs, kinds }, [".mcp.json"]);
 * ```
 */
export async function stagedServerChanges(
  objects: GitObjects,
  blobs: StagedBlobs,
  paths: readonly string[],
): Promise<ConfigDiff[]> {
  const read = async (
    path: string,
    kind: ConfigKind,
    oid: string | null | undefined,
  ): Promise<ConfigVersion> => {
    if (!oid) return { path, kind };
    const object = await objects.read(oid, MAX_CONFIG_BYTES).catch(() =>
      undefined
    );
    return object
      ? { path, kind, bytes: object.bytes }
      : { path, kind, error: `Cannot read "${path}" (object ${oid})` };
  };
  const changes: ConfigDiff[] = [];
  for (const path of paths) {
    const kind = findConfigKind(path, blobs.kinds);
    if (!kind) continue;
    const staged = blobs.snapshot.entries.get(path)?.oid;
    const head = blobs.headBlobs.has(path) ? blobs.headBlobs.get(path) : staged;
    const diff = await diffConfig(
      await read(path, kind, head),
      await read(path, kind, staged),
    );
    if (diff) changes.push(diff);
  }
  return changes;
}
