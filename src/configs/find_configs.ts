/**
 * Which files a command works on: the paths the user named, each of which
 * must be a recognised MCP config inside the repository, or else every
 * recognised config that Git tracks or would track in the working tree.
 *
 * @module
 */

import { promises as fs } from "node:fs";
import { join } from "node:path";
import { MAX_CONFIG_BYTES, REPO_CONFIG_PATH, TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { readFileLimited } from "../fs/files.ts";
import {
  assertRealFolders,
  comparePaths,
  listWorkingTreeFiles,
  type Repository,
  toRepoPath,
} from "../git/repository.ts";
import { type ConfigKind, findConfigKind } from "./config_kinds.ts";

/** A config file the command will act on. */
export interface ConfigTarget {
  /** Repository-relative path. */
  path: string;
  /** The client kind it was recognised as. */
  kind: ConfigKind;
  /** True when the user named it (it must then exist). */
  named: boolean;
  /**
   * Set when the config is reached through a symbolic link or a submodule
   * (its path): a client reads it, but Git does not store it here, so it can
   * be neither signed nor verified, and fails.
   */
  via?: string;
}

// Bounds on the walk beneath a symbolic link or submodule.
const MAX_LINK_DEPTH = 6;
const MAX_LINK_ENTRIES = 10_000;

/**
 * Resolves the configs a command acts on.
 *
 * @param repo The working tree.
 * @param options `kinds` to recognise, `cwd` for relative paths, and the `paths` the user named (if any).
 * @returns Targets sorted by path, without duplicates.
 * @throws {ToolError} `BAD_PATH` for a path outside the repository or not a recognised config.
 *
 * @example
 * ```ts ignore
 * const targets = await findConfigs(repo, { kinds, cwd: Deno.cwd(), paths: [".mcp.json"] });
 * ```
 */
export async function findConfigs(
  repo: Repository,
  options: {
    kinds: readonly ConfigKind[];
    cwd: string;
    paths?: readonly string[];
  },
): Promise<ConfigTarget[]> {
  const targets = new Map<string, ConfigTarget>();
  if (options.paths && options.paths.length > 0) {
    for (const userPath of options.paths) {
      const path = await toRepoPath(repo, options.cwd, userPath);
      const kind = findConfigKind(path, options.kinds);
      if (!kind) {
        throw new ToolError(
          "BAD_PATH",
          `"${path}" is not a recognised MCP config: see "${TOOL_NAME} sign --help" for the file names, ` +
            `or add a pattern to "${REPO_CONFIG_PATH}"`,
        );
      }
      targets.set(path, { path, kind, named: true });
    }
  } else {
    for (const entry of await listWorkingTreeFiles(repo)) {
      // A link is a target itself too: reading it is refused, so it fails.
      if (entry.type === "file" || entry.type === "link") {
        const kind = findConfigKind(entry.path, options.kinds);
        if (kind) {
          targets.set(entry.path, { path: entry.path, kind, named: false });
        }
        if (entry.type === "file") continue;
      }
      // Git lists a symlinked folder or a submodule as one entry, yet a
      // client opening ".cursor/mcp.json" reads straight through it.
      for (const path of await filesBeneath(repo, entry.path)) {
        const kind = findConfigKind(path, options.kinds);
        if (kind) {
          targets.set(path, { path, kind, named: false, via: entry.path });
        }
      }
    }
  }
  return [...targets.values()].sort((a, b) => comparePaths(a.path, b.path));
}

/**
 * Reads a config's bytes from the working tree, refusing a symbolic link.
 *
 * @param repo The working tree.
 * @param path Repository-relative path.
 * @returns The bytes, or undefined when the file does not exist.
 * @throws {ToolError} `BAD_PATH` for a symlink or non-file, `INVALID_FORMAT` over the size limit.
 *
 * @example
 * ```ts ignore
 * const bytes = await readConfigBytes(repo, ".mcp.json");
 * ```
 */
export async function readConfigBytes(
  repo: Repository,
  path: string,
): Promise<Uint8Array | undefined> {
  await assertRealFolders(repo, path);
  return await readFileLimited(join(repo.root, path), MAX_CONFIG_BYTES, {
    refuseSymlink: true,
    displayName: path,
  });
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
