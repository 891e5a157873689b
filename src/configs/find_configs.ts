/**
 * Which files a command works on: the paths the user named, each of which
 * must be a recognised MCP config inside the repository, or else every
 * recognised config that Git tracks or would track in the working tree.
 *
 * @module
 */

import { join } from "node:path";
import { MAX_CONFIG_BYTES, REPO_CONFIG_PATH, TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { readFileLimited } from "../fs/files.ts";
import {
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
}

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
    for (const path of await listWorkingTreeFiles(repo)) {
      const kind = findConfigKind(path, options.kinds);
      if (kind) targets.set(path, { path, kind, named: false });
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
export function readConfigBytes(
  repo: Repository,
  path: string,
): Promise<Uint8Array | undefined> {
  return readFileLimited(join(repo.root, path), MAX_CONFIG_BYTES, {
    refuseSymlink: true,
    displayName: path,
  });
}
