/**
 * Which files are MCP configs: the built-in client kinds, in a frozen
 * table, and how a repository path is matched against the kinds' patterns
 * (the glob engine is path_glob.ts; the extra patterns a repository adds in
 * `.mcp-orchestration/config.json` are read by repository_patterns.ts).
 *
 * ## Patterns
 *
 * A pattern is matched against the whole repository-relative,
 * "/"-separated path, from the repository's root:
 *
 * - `*` matches any characters within one path segment (dot files too),
 *   `?` matches one character, `**` as a whole segment matches zero or more
 *   segments; every other character matches itself.
 * - Matching ignores case, Unicode normalization (NFC), the characters
 *   HFS+ ignores (U+200C–U+200F, U+202A–U+202E, U+206A–U+206F, U+FEFF) and
 *   trailing dots and spaces of a segment (Windows drops them). On macOS and
 *   Windows, `.MCP.json` is the file a client opens as `.mcp.json`, so it
 *   must be signed too: erring this way only ever adds files.
 * - Nothing inside `.mcp-orchestration/` at the root, or inside any `.git/`
 *   folder, is ever a config.
 *
 * The built-in kinds come first and the first match wins, so a repository's
 * own patterns can neither remove a built-in file nor change how it is
 * checked.
 *
 * @module
 */

import {
  compilePattern,
  exampleSegments,
  matchPath,
  matchSegment,
  neverConfig,
  positionsAfter,
  repositorySegments,
} from "./path_glob.ts";
import { canonicalName } from "./path_names.ts";

const SETTINGS = { settings: true } as const;
// Claude Code's plugin switches: a marketplace added and a plugin enabled
// start the plugin's MCP servers as surely as an `mcpServers` entry.
const CLAUDE_SETTINGS = {
  settings: true,
  mcpKeys: ["enabledPlugins", "extraKnownMarketplaces"],
} as const;
// A folder of full Continue configs (local assistants): `mcpServers` is a
// list there, and optional.
const CONTINUE_ASSISTANT = { settings: true, serversList: true } as const;
// A dev container: `customizations.vscode.mcp.servers`, beside the
// container's own settings.
const DEV_CONTAINER = {
  settings: true,
  serversPath: ["vscode", "mcp", "servers"],
} as const;

/**
 * How a config file is written.
 *
 * @example
 * ```ts
 * import type { ConfigFormat } from "./config_kinds.ts";
 * const format: ConfigFormat = "jsonc";
 * ```
 */
export type ConfigFormat = "json" | "jsonc" | "toml" | "yaml";

/**
 * A kind of MCP config file: which client reads it, where, and how.
 *
 * @example
 * ```ts
 * import type { ConfigKind } from "./config_kinds.ts";
 * const kind: ConfigKind = { client: "Our tools", pattern: "tools/*\/mcp.json", format: "json", serversKey: "mcpServers" };
 * ```
 */
export interface ConfigKind {
  /** Client name shown to users, e.g. "Claude Code", "VS Code". */
  client: string;
  /** Glob over the repository-relative, "/"-separated path. */
  pattern: string;
  /** How the file is written. */
  format: ConfigFormat;
  /** Top-level key of the server table: "mcpServers", "servers", "context_servers", "mcp_servers". */
  serversKey: string;
  /**
   * Other top-level keys that clients read the same file's server table
   * from (`.mcp.json`: Visual Studio reads `servers`). A file holds exactly
   * one of {@linkcode serversKey} and these: with two, two clients would
   * run different servers from one signed file.
   */
  otherServersKeys?: readonly string[];
  /** The server table may be a list (Continue's YAML blocks), not only a table. */
  serversList?: boolean;
  /**
   * Keys inside the top-level value that lead to the server table, when
   * that value is a section rather than the table itself (VS Code's
   * `settings.json`: `["servers"]`, for `"mcp": {"servers": {…}}`).
   * See server_entries.ts.
   */
  serversPath?: readonly string[];
  /**
   * A settings file that carries other things too (`.vscode/settings.json`,
   * `.claude/settings.json`, `opencode.json`): it is a config only when it
   * holds an MCP section ({@linkcode holdsMcpSection}), and then its server
   * table is optional (a switch such as `enableAllProjectMcpServers` is
   * enough to make it matter).
   */
  settings?: boolean;
  /**
   * Top-level keys without "mcp" in their name that still make a settings
   * file a config, because they switch on servers defined elsewhere (Claude
   * Code's `enabledPlugins` and `extraKnownMarketplaces`: a plugin's
   * `mcpServers` start once it is enabled).
   */
  mcpKeys?: readonly string[];
}

/**
 * The config files of known MCP clients, matched at any depth (monorepo
 * packages keep their own). Frozen: no caller can change what is signed.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * strictEqual(findConfigKind("packages/web/.vscode/mcp.json", BUILTIN_CONFIG_KINDS)?.client, "VS Code");
 * ```
 */
export const BUILTIN_CONFIG_KINDS: readonly ConfigKind[] = Object.freeze([
  builtin("Claude Code", ".mcp.json", "json", "mcpServers", {
    otherServersKeys: ["servers"],
  }),
  builtin("Cursor", ".cursor/mcp.json", "json", "mcpServers"),
  builtin("VS Code", ".vscode/mcp.json", "jsonc", "servers"),
  builtin("Claude Desktop", "claude_desktop_config.json", "json", "mcpServers"),
  builtin("Gemini CLI", ".gemini/settings.json", "jsonc", "mcpServers"),
  builtin("Zed", ".zed/settings.json", "jsonc", "context_servers"),
  builtin("Codex", ".codex/config.toml", "toml", "mcp_servers"),
  builtin("Windsurf", "mcp_config.json", "json", "mcpServers"),
  builtin("Cline", "cline_mcp_settings.json", "json", "mcpServers"),
  builtin("Roo Code", ".roo/mcp.json", "json", "mcpServers"),
  builtin("Kiro", ".kiro/settings/mcp.json", "json", "mcpServers"),
  builtin("Kiro", ".kiro/agents/*.json", "json", "mcpServers", SETTINGS),
  builtin("Amazon Q Developer", ".amazonq/mcp.json", "json", "mcpServers"),
  builtin(
    "Amazon Q Developer",
    ".amazonq/cli-agents/*.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  builtin("JetBrains Junie", ".junie/mcp/mcp.json", "json", "mcpServers"),
  builtin("opencode", "opencode.json", "jsonc", "mcp", SETTINGS),
  builtin("opencode", "opencode.jsonc", "jsonc", "mcp", SETTINGS),
  builtin("Continue", ".continue/mcpServers/*.yaml", "yaml", "mcpServers", {
    serversList: true,
  }),
  builtin("Continue", ".continue/mcpServers/*.yml", "yaml", "mcpServers", {
    serversList: true,
  }),
  builtin("Continue", ".continue/mcpServers/*.json", "json", "mcpServers", {
    serversList: true,
  }),
  builtin(
    "Claude Code",
    ".claude/settings.json",
    "json",
    "mcpServers",
    CLAUDE_SETTINGS,
  ),
  builtin(
    "Claude Code",
    ".claude/settings.local.json",
    "json",
    "mcpServers",
    CLAUDE_SETTINGS,
  ),
  builtin("VS Code", ".vscode/settings.json", "jsonc", "mcp", {
    ...SETTINGS,
    serversPath: ["servers"],
  }),
  builtin("Copilot CLI", ".github/mcp.json", "json", "mcpServers", {
    otherServersKeys: ["servers"],
  }),
  builtin("Qwen Code", ".qwen/settings.json", "json", "mcpServers", SETTINGS),
  builtin(
    "Qwen Code",
    ".qwen/settings.local.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  // Red team 4's findings: files that clients load servers from, found
  // after the first list (docs/FORMAT.md names each client's page).
  builtin(
    "Qwen Code",
    ".qwen/extensions/*/qwen-extension.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  builtin(
    "Qwen Code",
    ".qwen/extensions/*/gemini-extension.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  builtin(
    "Gemini CLI",
    ".gemini/extensions/*/gemini-extension.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  builtin(
    "Claude Code",
    ".claude-plugin/plugin.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  builtin(
    "Claude Code",
    ".claude-plugin/marketplace.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  // A dev container's `customizations.vscode.mcp` (VS Code's dev container
  // schema): the servers VS Code starts in the container, under `servers`
  // as in mcp.json. Spec locations. (Red team 13: read under a top-level
  // `mcp`, the servers were invisible to lint, diff and validation.)
  builtin(
    "VS Code",
    ".devcontainer/devcontainer.json",
    "jsonc",
    "customizations",
    DEV_CONTAINER,
  ),
  builtin(
    "VS Code",
    ".devcontainer/*/devcontainer.json",
    "jsonc",
    "customizations",
    DEV_CONTAINER,
  ),
  builtin(
    "VS Code",
    ".devcontainer.json",
    "jsonc",
    "customizations",
    DEV_CONTAINER,
  ),
  builtin(
    "Continue",
    ".continue/assistants/*.yaml",
    "yaml",
    "mcpServers",
    CONTINUE_ASSISTANT,
  ),
  builtin(
    "Continue",
    ".continue/assistants/*.yml",
    "yaml",
    "mcpServers",
    CONTINUE_ASSISTANT,
  ),
  builtin(
    "Continue",
    ".continue/agents/*.yaml",
    "yaml",
    "mcpServers",
    CONTINUE_ASSISTANT,
  ),
  builtin(
    "Continue",
    ".continue/agents/*.yml",
    "yaml",
    "mcpServers",
    CONTINUE_ASSISTANT,
  ),
  builtin(
    "Amazon Q Developer",
    ".amazonq/default.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  builtin(
    "Amazon Q Developer",
    ".amazonq/agents/*.json",
    "json",
    "mcpServers",
    SETTINGS,
  ),
  // Red team 6's findings. Kilo Code's extension loads `.kilocode/mcp.json`
  // (Roo Code's shape); its newer versions, an opencode fork, read `mcp`
  // from `kilo.json` or `kilo.jsonc` at the root or in `.kilo/`. Charm
  // Crush reads `mcp` from `.crush.json` and `crush.json` in every folder
  // from the working one up to the repository's root, and from the
  // workspace's `.crush/crush.json`: strict JSON, no comments.
  builtin("Kilo Code", ".kilocode/mcp.json", "json", "mcpServers"),
  builtin("Kilo Code", "kilo.json", "jsonc", "mcp", SETTINGS),
  builtin("Kilo Code", "kilo.jsonc", "jsonc", "mcp", SETTINGS),
  builtin("Crush", ".crush.json", "json", "mcp", SETTINGS),
  builtin("Crush", "crush.json", "json", "mcp", SETTINGS),
  // Red team 7's finding. Visual Studio reads `<SOLUTIONDIR>\.vs\mcp.json`
  // before the solution's `.mcp.json` (learn.microsoft.com, "Use MCP
  // servers", "File locations for automatic discovery"); `.vs/` is usually
  // ignored by Git, but a commit can still carry the file.
  builtin("Visual Studio", ".vs/mcp.json", "json", "servers", {
    otherServersKeys: ["mcpServers"],
  }),
  // Amp (Sourcegraph) reads the project's `.amp/settings.json`, its user
  // settings' shape: servers under the literal key `amp.mcpServers`.
  builtin("Amp", ".amp/settings.json", "jsonc", "amp.mcpServers", SETTINGS),
]);

function builtin(
  client: string,
  file: string,
  format: ConfigFormat,
  serversKey: string,
  extra: Pick<
    ConfigKind,
    "otherServersKeys" | "serversList" | "serversPath" | "settings" | "mcpKeys"
  > = {},
): ConfigKind {
  if (extra.otherServersKeys) Object.freeze(extra.otherServersKeys);
  if (extra.serversPath) Object.freeze(extra.serversPath);
  if (extra.mcpKeys) Object.freeze(extra.mcpKeys);
  return Object.freeze({
    client,
    pattern: `**/${file}`,
    format,
    serversKey,
    ...extra,
  });
}

/**
 * Finds the kind a repository-relative path belongs to. First match wins.
 *
 * @param path Repository-relative, "/"-separated path, as Git prints it.
 * @param kinds The kinds to try, in order (built-ins first).
 * @returns The first kind whose pattern matches, or undefined.
 * @throws {ToolError} `BAD_PATH` for a path that is empty, absolute, or has
 * an empty, "." or ".." segment (a caller's bug: Git never prints one).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * strictEqual(findConfigKind(".codex/config.toml", BUILTIN_CONFIG_KINDS)?.format, "toml");
 * strictEqual(findConfigKind("README.md", BUILTIN_CONFIG_KINDS), undefined);
 * ```
 */
export function findConfigKind(
  path: string,
  kinds: readonly ConfigKind[],
): ConfigKind | undefined {
  const segments = repositorySegments(path);
  if (neverConfig(segments)) return undefined;
  // The file name first: most paths match no kind's last segment, and then
  // need no other segment made canonical (a listing tries every path).
  if (!mayBeConfigName(segments.at(-1)!, kinds)) return undefined;
  const names = segments.map((segment) => [...canonicalName(segment)]);
  return kinds.find((kind) =>
    matchPath(compilePattern(kind.pattern).parts, names)
  );
}

/**
 * A config path that a client could read strictly beneath a folder whose
 * content Git does not show here (a submodule, or a symbolic link whose
 * target Git does not store), if some pattern can match one there.
 *
 * Exact for every pattern: a `**` pattern can match beneath any folder,
 * `tools/*\/mcp.json` beneath `tools` or `tools/x` but never beneath `docs`
 * or `tools/x/y`. The folder's names are compared as
 * {@linkcode findConfigKind} compares them (case, Unicode normalization,
 * ignored characters, trailing dots and spaces), and nothing inside the
 * store or a `.git` folder is ever a config.
 *
 * @param folder Repository-relative, "/"-separated path of the folder.
 * @param kinds The kinds to try, in order (built-ins first).
 * @returns The first kind that can match beneath the folder, with an
 * example: the shortest path beneath it that the kind matches, wildcards
 * filled in; undefined when no kind can match anything beneath it.
 * @throws {ToolError} `BAD_PATH` for a path that is not repository-relative.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, type ConfigKind, configBeneath } from "./config_kinds.ts";
 * strictEqual(configBeneath("vendor/lib", BUILTIN_CONFIG_KINDS)?.path, "vendor/lib/.mcp.json");
 * const tools: ConfigKind[] = [{ client: "Our tools", pattern: "tools/*\/mcp.json", format: "json", serversKey: "mcpServers" }];
 * strictEqual(configBeneath("docs", tools), undefined);
 * strictEqual(configBeneath("tools", tools)?.path, "tools/x/mcp.json");
 * ```
 */
export function configBeneath(
  folder: string,
  kinds: readonly ConfigKind[],
): { path: string; kind: ConfigKind } | undefined {
  const segments = repositorySegments(folder);
  if (neverConfig(segments)) return undefined;
  const names = segments.map((segment) => [...canonicalName(segment)]);
  for (const kind of kinds) {
    const pattern = compilePattern(kind.pattern);
    let shortest: string[] | undefined;
    for (const state of positionsAfter(pattern.parts, names)) {
      // At the end of the pattern the folder itself would match; beneath it
      // needs at least one more segment.
      if (state === pattern.parts.length) continue;
      const example = exampleSegments(pattern, state);
      if (!shortest || example.length < shortest.length) shortest = example;
    }
    if (shortest) return { kind, path: `${folder}/${shortest.join("/")}` };
  }
  return undefined;
}

/**
 * Whether a file of this name could be a config at some path: whether it
 * matches the last segment of some kind's pattern (always, for a pattern
 * that ends in `**`). Every config path ends in such a name, so a folder
 * without one holds no config, wherever it is seen from.
 *
 * @param name A file name (one path segment).
 * @param kinds The kinds to try.
 * @returns True when some pattern's last segment matches the name.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, mayBeConfigName } from "./config_kinds.ts";
 * strictEqual(mayBeConfigName("MCP.json", BUILTIN_CONFIG_KINDS), true);
 * strictEqual(mayBeConfigName("README.md", BUILTIN_CONFIG_KINDS), false);
 * ```
 */
export function mayBeConfigName(
  name: string,
  kinds: readonly ConfigKind[],
): boolean {
  const nameChars = [...canonicalName(name)];
  return kinds.some((kind) => {
    const last = compilePattern(kind.pattern).parts.at(-1);
    return last === undefined || last === "**" ||
      matchSegment(last, nameChars);
  });
}
