/**
 * What changed in one config between two versions, in MCP terms: each
 * version is parsed in its client's format, read as
 * {@linkcode ServerView}s, and compared server by server
 * ({@linkcode diffServers}). A version that cannot be read or parsed is
 * reported with the parser's message (line and column), and its servers are
 * then not compared: the diff never shows a config that fails to parse as
 * one without servers.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import type { ConfigKind } from "./config_kinds.ts";
import { type Change, diffServers, type ServerChange } from "./server_diff.ts";
import { type ServerView, serverViews } from "./server_view.ts";
import {
  diffSettings,
  type SettingChange,
  settingsOutsideServers,
} from "./settings_diff.ts";
import { parseConfig, validateConfig } from "./validate_config.ts";

/** One side of a comparison: a config's bytes, or why they cannot be read. */
export interface ConfigVersion {
  /** Repository-relative path. */
  path: string;
  /** The kind it is read as. */
  kind: ConfigKind;
  /** Its exact bytes. */
  bytes?: Uint8Array;
  /** Why its bytes cannot be read (a symbolic link, over the size limit). */
  error?: string;
}

/** What changed in one config. */
export interface ConfigDiff {
  /** Repository-relative path (the newer version's, when there is one). */
  path: string;
  /** The older version's path, when it is another (two artifacts compared). */
  pathBefore?: string;
  /** The client it is read for (the newer version's). */
  client: string;
  /** The older version's client, when it is another. */
  clientBefore?: string;
  /** `added` (only in the newer), `removed` (only in the older), `modified`. */
  change: Change;
  /**
   * Why a version could not be read or parsed, by side; its servers are
   * then not compared, and {@linkcode servers} is empty.
   */
  error?: { before?: string; after?: string };
  /** The servers that differ; empty when none does (or one side fails). */
  servers: ServerChange[];
  /**
   * The top-level settings outside the server table that differ, when any
   * does (`enableAllProjectMcpServers`, `hooks`, `inputs`): a client acts
   * on them too.
   */
  settings?: SettingChange[];
}

/**
 * Compares two versions of a config.
 *
 * @param before The older version, or undefined when the config is new.
 * @param after The newer version, or undefined when it is gone.
 * @returns The change, or undefined when there is none: both versions
 * absent, or the same bytes read as the same kind.
 * @throws {Error} Only on a bug: a version that cannot be read or parsed is
 * reported in {@linkcode ConfigDiff.error}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { diffConfig } from "./config_diff.ts";
 * const kind = findConfigKind(".mcp.json", BUILTIN_CONFIG_KINDS)!;
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const diff = await diffConfig(
 *   { path: ".mcp.json", kind, bytes: bytes('{"mcpServers": {"a": {"command": "x"}}}') },
 *   { path: ".mcp.json", kind, bytes: bytes('{"mcpServers": {"b": {"command": "x"}}}') },
 * );
 * assert.deepEqual(diff?.servers.map((s) => [s.name, s.change]), [["a", "removed"], ["b", "added"]]);
 * ```
 */
export async function diffConfig(
  before: ConfigVersion | undefined,
  after: ConfigVersion | undefined,
): Promise<ConfigDiff | undefined> {
  const present = (v: ConfigVersion | undefined) =>
    v !== undefined && (v.bytes !== undefined || v.error !== undefined);
  const a = present(before) ? before : undefined;
  const b = present(after) ? after : undefined;
  const shown = b ?? a;
  if (!shown) return undefined;
  if (a && b && sameVersion(a, b)) return undefined;
  const diff: ConfigDiff = {
    path: shown.path,
    client: shown.kind.client,
    change: !a ? "added" : !b ? "removed" : "modified",
    servers: [],
  };
  if (a && b && a.path !== b.path) diff.pathBefore = a.path;
  if (a && b && a.kind.client !== b.kind.client) {
    diff.clientBefore = a.kind.client;
  }
  const none = { views: [], settings: {} };
  const old = a ? await readServers(a) : none;
  const now = b ? await readServers(b) : none;
  if ("error" in old || "error" in now) {
    diff.error = {
      ...("error" in old ? { before: old.error } : {}),
      ...("error" in now ? { after: now.error } : {}),
    };
    return diff;
  }
  diff.servers = diffServers(old.views, now.views);
  const settings = diffSettings(old.settings ?? {}, now.settings ?? {});
  if (settings.length > 0) diff.settings = settings;
  return diff;
}

/**
 * The servers of one version, or why it cannot be read: the parser's or
 * the validation's message, with line and column when it has them.
 *
 * @param version The version.
 * @returns Its views, or the error.
 * @throws {Error} Only on a bug.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { readServers } from "./config_diff.ts";
 * const kind = findConfigKind(".mcp.json", BUILTIN_CONFIG_KINDS)!;
 * const bad = await readServers({ path: ".mcp.json", kind, bytes: new TextEncoder().encode('{"mcpServers": {,}}') });
 * assert.ok("error" in bad && /line 1, column 17/.test(bad.error));
 * ```
 */
export async function readServers(
  version: ConfigVersion,
): Promise<
  { views: ServerView[]; settings?: Record<string, unknown> } | {
    error: string;
  }
> {
  const { path, kind, bytes } = version;
  if (bytes === undefined) {
    return { error: version.error ?? `Cannot read "${path}"` };
  }
  try {
    await validateConfig(path, bytes, kind);
    const root = await parseConfig(path, bytes, { format: kind.format });
    return {
      views: serverViews(root, kind),
      settings: settingsOutsideServers(root, kind),
    };
  } catch (error) {
    if (error instanceof ToolError) return { error: error.message };
    throw error;
  }
}

function sameVersion(a: ConfigVersion, b: ConfigVersion): boolean {
  if (a.kind.client !== b.kind.client || a.kind.format !== b.kind.format) {
    return false;
  }
  if (a.bytes === undefined || b.bytes === undefined) {
    return a.bytes === b.bytes && a.error === b.error;
  }
  return a.bytes.length === b.bytes.length &&
    a.bytes.every((byte, i) => byte === b.bytes![i]);
}
