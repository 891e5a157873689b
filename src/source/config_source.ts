/**
 * Where configs and the store are read from: the working tree, a commit, or
 * the index. Every check is written once against this interface.
 *
 * @module
 */

import { join } from "node:path";
import {
  MAX_CONFIG_BYTES,
  MAX_LINK_TARGET_BYTES,
  REPO_CONFIG_PATH,
} from "../constants.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import type { GitObjects } from "./cat_file.ts";
import {
  listWorkingTreeFiles,
  type Repository,
  type TreeEntry,
} from "../git/repository.ts";
import { linkTargets, type Snapshot } from "./snapshot.ts";
import { type StoreReader, workingTreeReader } from "./store_reader.ts";
import type { AttributeCheck } from "./checkout_attributes.ts";
import { checkedOutStoreReader, gitStoredForms } from "./line_endings.ts";
import type { ConfigKind } from "../configs/config_kinds.ts";
import {
  configKindsFrom,
  loadConfigKinds,
} from "../configs/repository_patterns.ts";

/** A set of files to check. */
export interface ConfigSource {
  /** What it is, for reports: "working tree", "index", or a commit id. */
  label: string;
  /** Reads files; refuses symbolic links; undefined when absent. */
  reader: StoreReader;
  /** The entries Git sees, sorted. */
  list(): Promise<TreeEntry[]>;
  /**
   * Where these symbolic links of the listing point: each one's target
   * text, or `null` when it cannot be read (then nothing is known of what
   * is beneath it). A path that is no longer a link is left out.
   */
  linkTargets(paths: readonly string[]): Promise<Map<string, string | null>>;
  /** The config kinds this source recognises (built-in and its config.json). */
  kinds(): Promise<ConfigKind[]>;
  /**
   * Where Git's attributes for these files come from, when the source is
   * checked for attributes that change checked-out bytes.
   */
  attributes?: AttributeCheck;
  /**
   * What Git would store for these files, when it stores them with LF
   * where the source holds CRLF (the working tree, under `core.autocrlf`
   * or a `text` attribute); a file Git stores as it is, is left out. Only
   * the working tree has this: a commit or the index holds what Git stores.
   */
  storedForms?(
    files: ReadonlyMap<string, Uint8Array>,
  ): Promise<Map<string, Uint8Array>>;
  /**
   * True when clients load configs from this source as they are (the
   * working tree): then what a client fills into a config as it loads it,
   * Continue's `${{ secrets.* }}` from the workspace's `.env` files, is
   * checked too.
   */
  loadedInPlace?: boolean;
}

/**
 * The working tree as a source.
 *
 * @param repo The working tree.
 * @returns A source reading files from disk.
 *
 * @example
 * ```ts ignore
 * const source = workingTreeSource(repo);
 * ```
 */
export function workingTreeSource(repo: Repository): ConfigSource {
  // Listed once per source (one command's run): finding the configs, the
  // names around their servers and the attributes' checks all look at the
  // one listing (two `git ls-files`, which walk the whole working tree: at
  // 10,000 folders, ~0.2 s of CPU each time). Nothing the tool writes
  // during a run is listed again, so one look serves the run; the array is
  // never changed once listed.
  let listed: ReturnType<typeof listWorkingTreeFiles> | undefined;
  const list = () => listed ??= listWorkingTreeFiles(repo);
  return {
    label: "working tree",
    // Under core.autocrlf the store's own files are checked out with CRLF.
    reader: { ...checkedOutStoreReader(workingTreeReader(repo)), list },
    list,
    linkTargets: (paths) => Promise.resolve(readLinks(repo, paths)),
    kinds: () => loadConfigKinds(repo.root),
    attributes: { repo, source: { kind: "worktree" } },
    storedForms: (files) => gitStoredForms(repo, files),
    loadedInPlace: true,
  };
}

/**
 * A commit's tree or the index as a source.
 *
 * @param snapshot The snapshot.
 * @param objects Where its blobs are read (for link targets).
 * @param label What it is, for reports.
 * @param attributes Where its Git attributes come from, to check them.
 * @returns A source reading exactly the bytes Git stores.
 *
 * @example
 * ```ts ignore
 * const source = snapshotSource(await indexSnapshot(repo, objects), objects, "index");
 * ```
 */
export function snapshotSource(
  snapshot: Snapshot,
  objects: GitObjects,
  label: string,
  attributes?: AttributeCheck,
): ConfigSource {
  return {
    ...(attributes ? { attributes } : {}),
    label,
    reader: snapshot,
    list: () => Promise.resolve(snapshot.list()),
    linkTargets: (paths) => linkTargets(objects, snapshot, paths),
    kinds: async () =>
      await configKindsFrom(
        await snapshot.read(REPO_CONFIG_PATH, MAX_CONFIG_BYTES + 1),
      ),
  };
}

// One readlink each, nothing followed: what is beneath a link is judged
// from Git's listing, as for a commit (hidden_configs.ts).
function readLinks(
  repo: Repository,
  paths: readonly string[],
): Map<string, string | null> {
  const targets = new Map<string, string | null>();
  const encoder = new TextEncoder();
  for (const path of paths) {
    try {
      const target = fs.readlinkSync(join(repo.root, path));
      const long = encoder.encode(target).length > MAX_LINK_TARGET_BYTES;
      targets.set(path, long ? null : target);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      // Gone, or no longer a link (a staged link that is now a folder or a
      // file, whose content Git lists): left out.
      if (code === "ENOENT" || code === "EINVAL" || code === "ENOTDIR") {
        continue;
      }
      targets.set(path, null);
    }
  }
  return targets;
}
