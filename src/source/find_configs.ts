/**
 * Which files a command works on: the paths the user named, each of which
 * must be a recognised MCP config, or else every recognised config of the
 * source (working tree, commit or index), including configs a client would
 * reach through a symbolic link or submodule, which fail.
 *
 * @module
 */

import { MAX_CONFIG_BYTES, REPO_CONFIG_PATH, TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { comparePaths, type TreeEntry } from "../git/repository.ts";
import { type ConfigKind, findConfigKind } from "../configs/config_kinds.ts";
import { isMcpConfig } from "../configs/validate_config.ts";
import type { ConfigSource } from "./config_source.ts";
import {
  assertTreeLimits,
  findHiddenConfigs,
  type HiddenConfig,
} from "../configs/hidden_configs.ts";

/** A config file the command will act on. */
export interface ConfigTarget {
  /** Repository-relative path. */
  path: string;
  /** The client kind it was recognised as. */
  kind: ConfigKind;
  /** True when the user named it (it must then exist). */
  named: boolean;
  /**
   * Set when the config (or a folder of them) is reached through a symbolic
   * link or a submodule: a client reads it, but Git does not store it here,
   * so it can be neither signed nor verified, and fails for this reason.
   */
  hidden?: HiddenConfig;
}

/** Options for {@linkcode findConfigs}. */
export interface FindConfigsOptions {
  /** The kinds to recognise. */
  kinds: readonly ConfigKind[];
  /** Repository-relative paths the user named (default: every config). */
  paths?: readonly string[];
  /**
   * Whether the store signs a path already. A settings file once signed
   * stays a config after it loses its MCP section, so that the removal is
   * a change that is signed too (verify checks every signed path anyway).
   */
  signed?: (path: string) => Promise<boolean>;
}

/**
 * Resolves the configs a command acts on. A settings file (`.vscode/settings.json`,
 * `.claude/settings.json`, …) is one only when it holds an MCP section or
 * is signed already: it is read, and left out otherwise, named or not.
 *
 * @param source Where the files are.
 * @param options `kinds` to recognise, the repository-relative `paths` the
 * user named (if any), and which paths are `signed`.
 * @returns Targets sorted by path, without duplicates.
 * @throws {ToolError} `BAD_PATH` for a named path that is not a recognised config.
 *
 * @example
 * ```ts ignore
 * const targets = await findConfigs(workingTreeSource(repo), { kinds, paths: [".mcp.json"] });
 * ```
 */
export async function findConfigs(
  source: ConfigSource,
  options: FindConfigsOptions,
): Promise<ConfigTarget[]> {
  const targets = new Map<string, ConfigTarget>();
  if (options.paths && options.paths.length > 0) {
    for (const path of options.paths) {
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
    const entries = await source.list();
    for (const entry of entries) {
      // A link is a target itself too: reading it is refused, so it fails.
      const kind = findConfigKind(entry.path, options.kinds);
      if (kind) {
        targets.set(entry.path, { path: entry.path, kind, named: false });
      }
    }
    const kinds = options.kinds;
    for (const hidden of await hiddenConfigs(source, { entries, kinds })) {
      const { path, kind } = hidden;
      targets.set(path, { path, kind, named: false, hidden });
    }
  }
  const found: ConfigTarget[] = [];
  for (const target of targets.values()) {
    if (await isConfig(source, target, options.signed)) found.push(target);
  }
  return found.sort((a, b) => comparePaths(a.path, b.path));
}

// A settings file without MCP section is no config. Anything unclear (it
// cannot be read, is too large, does not parse) keeps it one, so that it
// fails where it is checked instead of being passed over.
async function isConfig(
  source: ConfigSource,
  target: ConfigTarget,
  signed: FindConfigsOptions["signed"],
): Promise<boolean> {
  if (!target.kind.settings || target.hidden) return true;
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readConfigBytes(source, target.path);
  } catch (error) {
    if (error instanceof ToolError) return true;
    throw error;
  }
  if (bytes === undefined) return true; // Missing: the caller says so.
  if (await isMcpConfig(target.path, bytes, target.kind)) return true;
  return signed ? await signed(target.path) : false;
}

/**
 * The configs a client could read through the links and submodules of a
 * source's listing (see hidden_configs.ts): the listing's size is checked
 * first, then every link's target is read once.
 *
 * @param source Where the files are.
 * @param options Its listing (`entries`), and the `kinds` to recognise.
 * @returns One report per link or submodule that hides a config.
 * @throws {ToolError} `INVALID_FORMAT` past the limits on entries and links.
 *
 * @example
 * ```ts ignore
 * const hidden = await hiddenConfigs(source, { entries: await source.list(), kinds });
 * ```
 */
export async function hiddenConfigs(
  source: ConfigSource,
  options: { entries: readonly TreeEntry[]; kinds: readonly ConfigKind[] },
): Promise<HiddenConfig[]> {
  const { entries, kinds } = options;
  const limits = { label: source.label };
  assertTreeLimits(entries, limits);
  const links = entries.filter((entry) => entry.type === "link");
  const submodules = entries.some((entry) => entry.type === "submodule");
  if (links.length === 0 && !submodules) return [];
  return findHiddenConfigs(
    {
      entries,
      links: await source.linkTargets(links.map((link) => link.path)),
    },
    kinds,
    limits,
  );
}

/**
 * Reads a config's bytes from a source, refusing a symbolic link.
 *
 * @param source Where the files are.
 * @param path Repository-relative path.
 * @returns The bytes, or undefined when the file does not exist.
 * @throws {ToolError} `BAD_PATH` for a symlink or non-file, `INVALID_CONFIG` over the size limit.
 *
 * @example
 * ```ts ignore
 * const bytes = await readConfigBytes(source, ".mcp.json");
 * ```
 */
export async function readConfigBytes(
  source: ConfigSource,
  path: string,
): Promise<Uint8Array | undefined> {
  try {
    return await source.reader.read(path, MAX_CONFIG_BYTES);
  } catch (error) {
    // The reader says "a file over the limit"; for a config that is a config
    // that fails to read, as its other problems are.
    if (error instanceof ToolError && error.code === "INVALID_FORMAT") {
      throw new ToolError("INVALID_CONFIG", error.message, { cause: error });
    }
    throw error;
  }
}
