/**
 * Where a parsed config keeps its servers, for every kind: the one place
 * that says which top-level key holds the server table (`.mcp.json`:
 * `mcpServers` or Visual Studio's `servers`), whether that table may be a
 * list (Continue's blocks: `- name: …`), and where a settings section nests
 * it (VS Code's `settings.json`: `mcp.servers`). Validation
 * (validate_config.ts) and the report of what a client would run
 * (cli/used_configs.ts) both read servers through it, so a report can never
 * show other servers than the ones validation looked at.
 *
 * @module
 */

import type { ConfigKind } from "./config_kinds.ts";

/** One server of a config, as its client would name and read it. */
export interface ServerEntry {
  /** Its name: the table key, or a list item's `name` (`#N` without one). */
  name: string;
  /** Its value, as parsed (a table for every well-formed config). */
  entry: unknown;
}

/** The server table a config holds, found by {@linkcode serverTable}. */
export interface ServerTable {
  /** The top-level key it sits under. */
  key: string;
  /** The servers, in file order. */
  servers: ServerEntry[];
}

/**
 * The top-level keys a kind's clients read servers from, main key first:
 * a file must hold at most one of them.
 *
 * @param kind The config's kind.
 * @returns The keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { serverTableKeys } from "./server_entries.ts";
 * assert.deepEqual(serverTableKeys(findConfigKind(".mcp.json", BUILTIN_CONFIG_KINDS)!), ["mcpServers", "servers"]);
 * ```
 */
export function serverTableKeys(kind: ConfigKind): readonly string[] {
  return [kind.serversKey, ...(kind.otherServersKeys ?? [])];
}

/**
 * The servers of a parsed config, the way its kind's clients read them: the
 * first of {@linkcode serverTableKeys} the file holds, followed into
 * {@linkcode ConfigKind.serversPath}, as a table (name to server) or, for a
 * kind whose table may be a list, as a list of servers named by their
 * `name`. Undefined when the file holds no such table, or when the value
 * there is neither (validation refuses that, save in a settings file that
 * only carries MCP switches).
 *
 * @param root The parsed config's top-level object.
 * @param kind The config's kind.
 * @returns The key and the servers, or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { serverTable } from "./server_entries.ts";
 * const kind = (path: string) => findConfigKind(path, BUILTIN_CONFIG_KINDS)!;
 * assert.deepEqual(serverTable({ servers: { a: { command: "x" } } }, kind(".mcp.json")), {
 *   key: "servers",
 *   servers: [{ name: "a", entry: { command: "x" } }],
 * });
 * assert.deepEqual(serverTable({ mcpServers: [{ name: "b", command: "y" }] }, kind(".continue/mcpServers/b.yaml")), {
 *   key: "mcpServers",
 *   servers: [{ name: "b", entry: { name: "b", command: "y" } }],
 * });
 * assert.deepEqual(serverTable({ mcp: { servers: { c: {} } } }, kind(".vscode/settings.json"))?.servers, [{ name: "c", entry: {} }]);
 * assert.equal(serverTable({ enableAllProjectMcpServers: true }, kind(".claude/settings.json")), undefined);
 * ```
 */
export function serverTable(
  root: Record<string, unknown>,
  kind: ConfigKind,
): ServerTable | undefined {
  const key = serverTableKeys(kind).find((key) => Object.hasOwn(root, key));
  if (key === undefined) return undefined;
  let value: unknown = root[key];
  for (const inner of kind.serversPath ?? []) {
    if (!isTable(value) || !Object.hasOwn(value, inner)) return undefined;
    value = value[inner];
  }
  if (kind.serversList && Array.isArray(value)) {
    return {
      key,
      servers: value.map((entry: unknown, index) => ({
        name: isTable(entry) && typeof entry.name === "string"
          ? entry.name
          : `#${index + 1}`,
        entry,
      })),
    };
  }
  if (!isTable(value)) return undefined;
  return {
    key,
    servers: Object.entries(value).map(([name, entry]) => ({ name, entry })),
  };
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
