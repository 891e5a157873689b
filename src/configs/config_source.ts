/**
 * Where configs and the store are read from: the working tree, a commit, or
 * the index. Every check is written once against this interface.
 *
 * @module
 */

import { join, posix } from "node:path";
import { MAX_CONFIG_BYTES, REPO_CONFIG_PATH } from "../constants.ts";
import { fileSystem as fs } from "../fs/file_system.ts";
import type { GitObjects } from "../git/cat_file.ts";
import {
  listWorkingTreeFiles,
  type Repository,
  type TreeEntry,
} from "../git/repository.ts";
import { linkTarget, type Snapshot } from "../git/snapshot.ts";
import { type StoreReader, workingTreeReader } from "../store/store.ts";
import type { AttributeCheck } from "../verify/verify_attributes.ts";
import {
  type ConfigKind,
  configKindsFrom,
  loadConfigKinds,
} from "./config_kinds.ts";

/** A set of files to check. */
export interface ConfigSource {
  /** What it is, for reports: "working tree", "index", or a commit id. */
  label: string;
  /** Reads files; refuses symbolic links; undefined when absent. */
  reader: StoreReader;
  /** The entries Git sees, sorted. */
  list(): Promise<TreeEntry[]>;
  /**
   * Paths a client could open beneath a symbolic link or submodule, which
   * Git lists as one entry.
   */
  beneath(path: string): Promise<string[]>;
  /** The config kinds this source recognises (built-in and its config.json). */
  kinds(): Promise<ConfigKind[]>;
  /**
   * Where Git's attributes for these files come from, when the source is
   * checked for attributes that change checked-out bytes.
   */
  attributes?: AttributeCheck;
}

// Bounds on the walk beneath a symbolic link or submodule.
const MAX_LINK_DEPTH = 6;
const MAX_LINK_ENTRIES = 10_000;

// File names that client folders hold (".cursor/mcp.json", ".zed/settings.json",
// …): checked beneath a link or submodule whose content we cannot see.
const CLIENT_FOLDER_FILES = ["mcp.json", "settings.json", "config.toml"];

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
  return {
    label: "working tree",
    reader: workingTreeReader(repo),
    list: () => listWorkingTreeFiles(repo),
    beneath: (path) => filesBeneath(repo, path),
    kinds: () => loadConfigKinds(repo.root),
    attributes: { repo, source: { kind: "worktree" } },
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
    beneath: (path) => snapshotBeneath(snapshot, objects, path),
    kinds: async () =>
      await configKindsFrom(
        await snapshot.read(REPO_CONFIG_PATH, MAX_CONFIG_BYTES + 1),
      ),
  };
}

async function snapshotBeneath(
  snapshot: Snapshot,
  objects: GitObjects,
  path: string,
): Promise<string[]> {
  // A link to a folder inside the same tree shows what a client would read.
  const target = await linkTarget(objects, snapshot, path);
  if (target !== undefined && !target.startsWith("/")) {
    const resolved = posix.normalize(posix.join(posix.dirname(path), target));
    const onto = snapshot.entries.get(resolved);
    // Onto tracked files inside the tree: exactly what a client would read.
    // Onto nothing tracked, another link or a submodule: unknown, below.
    if (resolved !== "." && !resolved.startsWith("../") && !onto) {
      const prefix = `${resolved}/`;
      const inside = [...snapshot.entries.keys()]
        .filter((entry) => entry.startsWith(prefix))
        .map((entry) => `${path}/${entry.slice(prefix.length)}`);
      if (inside.length > 0) return inside;
    }
  }
  // Outside the tree, or a submodule: its content is unknown here, so assume
  // what a client folder holds (".cursor" → ".cursor/mcp.json").
  return CLIENT_FOLDER_FILES.map((name) => `${path}/${name}`);
}

async function filesBeneath(repo: Repository, top: string): Promise<string[]> {
  // Breadth first, following links (the point is to see what a client
  // sees), bounded in depth and count so that a link loop cannot hang us.
  const found: string[] = [];
  let level = [top];
  let seen = 0;
  for (let depth = 0; depth < MAX_LINK_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const folder of level) {
      const names = await fs.readdir(join(repo.root, folder)).catch(() => []);
      for (const name of names) {
        if (++seen > MAX_LINK_ENTRIES) return found;
        const path = `${folder}/${name}`;
        const info = await fs.stat(join(repo.root, path)).catch(() =>
          undefined
        );
        if (info?.isDirectory()) next.push(path);
        else if (info?.isFile()) found.push(path);
      }
    }
    level = next;
  }
  return found;
}
