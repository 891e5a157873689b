/**
 * The settings of a config outside its server table, and how they changed.
 * A client acts on some of them as much as on a server: Claude Code's
 * `enableAllProjectMcpServers` and `hooks` (commands it runs), VS Code's
 * `inputs`, Zed's or opencode's other sections. `diff` and the pre-commit
 * summary show each top-level key that changed, so that "no server
 * changed" never hides such a change.
 *
 * @module
 */

import type { ConfigKind } from "./config_kinds.ts";
import { serverTable } from "./server_entries.ts";
import { type Change, sameValue } from "./server_diff.ts";
import { foldFieldName, readsFieldsCaseless } from "./server_view.ts";

/** One top-level setting that changed. */
export interface SettingChange {
  /** Its top-level key (for a section holding the servers, its key). */
  key: string;
  /** Added, removed or modified. */
  change: Change;
  /** Its older value, when it had one. */
  before?: unknown;
  /** Its newer value, when it has one. */
  after?: unknown;
}

/**
 * A config's top-level settings, without its server tables (a section that
 * holds the table, such as VS Code settings' `mcp`, is kept without it).
 *
 * @param root The config's top-level object.
 * @param kind Its kind.
 * @returns The settings by key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { settingsOutsideServers } from "./settings_diff.ts";
 * const kind = findConfigKind(".claude/settings.json", BUILTIN_CONFIG_KINDS)!;
 * assert.deepEqual(
 *   settingsOutsideServers({ mcpServers: {}, enableAllProjectMcpServers: true }, kind),
 *   { enableAllProjectMcpServers: true },
 * );
 * ```
 */
export function settingsOutsideServers(
  root: Record<string, unknown>,
  kind: ConfigKind,
): Record<string, unknown> {
  if (kind.serversKey === "") return { ...root };
  const table = serverTable(root, kind)?.key;
  const caseless = readsFieldsCaseless(kind);
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(root)) {
    if (key === table) {
      const rest = withoutPath(value, kind.serversPath ?? []);
      if (rest !== undefined) settings[key] = rest;
      continue;
    }
    if (caseless && foldFieldName(key) === foldFieldName(kind.serversKey)) {
      continue; // a server table too, for such a client (server_view.ts)
    }
    settings[key] = value;
  }
  return settings;
}

/**
 * The settings that differ between two versions, in key order.
 *
 * @param before The older version's settings.
 * @param after The newer version's.
 * @returns One change per key added, removed or modified.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffSettings } from "./settings_diff.ts";
 * assert.deepEqual(diffSettings({ a: false }, { a: true }), [
 *   { key: "a", change: "modified", before: false, after: true },
 * ]);
 * ```
 */
export function diffSettings(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): SettingChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .sort();
  const changes: SettingChange[] = [];
  for (const key of keys) {
    const old = Object.hasOwn(before, key);
    const now = Object.hasOwn(after, key);
    if (old && now && sameValue(before[key], after[key])) continue;
    changes.push({
      key,
      change: !old ? "added" : !now ? "removed" : "modified",
      ...(old ? { before: before[key] } : {}),
      ...(now ? { after: after[key] } : {}),
    });
  }
  return changes;
}

// A section without the table at the end of its path; undefined when
// nothing else is left in it.
function withoutPath(value: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return value;
  }
  const [first, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = { ...value };
  const inner = withoutPath(copy[first], rest);
  if (inner === undefined) delete copy[first];
  else copy[first] = inner;
  return Object.keys(copy).length === 0 ? undefined : copy;
}
