/**
 * What changed between two versions of a config, server by server and
 * field by field, on their {@linkcode ServerView}s: so a reviewer reads the
 * change in MCP terms (a server added, its arguments changed, an
 * environment variable added) rather than as a text diff, and the same
 * server written in two client formats is no change at all.
 *
 * @module
 */

import type { ServerView } from "./server_view.ts";

/** How a config, a server or a field changed. */
export type Change = "added" | "removed" | "modified";

/** The fields of a {@linkcode ServerView} that a change names. */
export type ViewField =
  | "transport"
  | "command"
  | "args"
  | "cwd"
  | "env"
  | "envFile"
  | "url"
  | "headers"
  | "enabled"
  | "other";

/** One field of a server that differs. */
export interface FieldChange {
  /** The view's field. */
  field: ViewField;
  /** For `env`, `headers` and `other`: the variable, header or field name. */
  key?: string;
  /** Whether it is new, gone or different. */
  change: Change;
  /** Its value before (absent when added). */
  before?: unknown;
  /** Its value after (absent when removed). */
  after?: unknown;
}

/** One server that differs. */
export interface ServerChange {
  /** Its name. */
  name: string;
  /** Whether it is new, gone or different. */
  change: Change;
  /** Its view before (absent when added). */
  before?: ServerView;
  /** Its view after (absent when removed). */
  after?: ServerView;
  /**
   * The fields that differ; for a server added or removed, every field it
   * has (so nothing about a new server goes unseen).
   */
  fields: FieldChange[];
}

/**
 * The servers that differ between two lists of views, sorted by name. A
 * server whose view is the same on both sides is left out. Servers are
 * matched by name (the n-th server of a name with the n-th: a config that
 * names one twice is shown, not merged).
 *
 * @param before The views of the older version.
 * @param after The views of the newer version.
 * @returns The servers added, removed and changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverView } from "./server_view.ts";
 * import { diffServers } from "./server_diff.ts";
 * const before = [serverView("fs", { command: "npx", args: ["fs@1.0.0"], env: { A: "1" } })];
 * const after = [serverView("fs", { command: "npx", args: ["fs@1.1.0"], env: { A: "1", B: "2" } })];
 * const [fs] = diffServers(before, after);
 * assert.equal(fs?.change, "modified");
 * assert.deepEqual(fs?.fields.map((f) => [f.field, f.key, f.change]), [
 *   ["args", undefined, "modified"],
 *   ["env", "B", "added"],
 * ]);
 * ```
 */
export function diffServers(
  before: readonly ServerView[],
  after: readonly ServerView[],
): ServerChange[] {
  const old = byName(before);
  const now = byName(after);
  const changes: ServerChange[] = [];
  for (const key of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(key);
    const b = now.get(key);
    if (a && b) {
      const fields = diffFields(a, b);
      if (fields.length > 0) {
        changes.push({
          name: b.name,
          change: "modified",
          before: a,
          after: b,
          fields,
        });
      }
    } else if (b) {
      changes.push({
        name: b.name,
        change: "added",
        after: b,
        fields: diffFields(undefined, b),
      });
    } else if (a) {
      changes.push({
        name: a.name,
        change: "removed",
        before: a,
        fields: diffFields(a, undefined),
      });
    }
  }
  return changes.sort((x, y) => x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
}

// Views by name, the n-th of a name under "name\0n".
function byName(views: readonly ServerView[]): Map<string, ServerView> {
  const seen = new Map<string, number>();
  const named = new Map<string, ServerView>();
  for (const view of views) {
    const n = seen.get(view.name) ?? 0;
    seen.set(view.name, n + 1);
    named.set(`${view.name}\0${n}`, view);
  }
  return named;
}

// One field's value, by "field" or "field\0key".
type Entries = Map<string, { field: ViewField; key?: string; value: unknown }>;

// Every field a view has, in the order a change lists them. A field at its
// default (no command, no arguments, enabled) is absent.
function entriesOf(view: ServerView | undefined): Entries {
  const entries: Entries = new Map();
  if (!view) return entries;
  const put = (field: ViewField, value: unknown, key?: string) =>
    entries.set(key === undefined ? field : `${field}\0${key}`, {
      field,
      ...(key === undefined ? {} : { key }),
      value,
    });
  put("transport", view.transport);
  if (view.command !== undefined) put("command", view.command);
  if (view.args.length > 0) put("args", view.args);
  if (view.cwd !== undefined) put("cwd", view.cwd);
  if (view.url !== undefined) put("url", view.url);
  for (const [key, value] of Object.entries(view.env)) put("env", value, key);
  if (view.envFile !== undefined) put("envFile", view.envFile);
  for (const [key, value] of Object.entries(view.headers)) {
    put("headers", value, key);
  }
  if (!view.enabled) put("enabled", false);
  for (const [key, value] of Object.entries(view.other)) {
    put("other", value, key);
  }
  return entries;
}

function diffFields(
  before: ServerView | undefined,
  after: ServerView | undefined,
): FieldChange[] {
  const old = entriesOf(before);
  const now = entriesOf(after);
  // `enabled` is a switch: off → on reads as a change of value, not as
  // a field removed.
  if (before && after && before.enabled !== after.enabled) {
    old.set("enabled", { field: "enabled", value: before.enabled });
    now.set("enabled", { field: "enabled", value: after.enabled });
  }
  const changes: FieldChange[] = [];
  for (const id of new Set([...now.keys(), ...old.keys()])) {
    const a = old.get(id);
    const b = now.get(id);
    const { field, key } = (b ?? a)!;
    const named = key === undefined ? { field } : { field, key };
    if (a && b) {
      if (!sameValue(a.value, b.value)) {
        changes.push({
          ...named,
          change: "modified",
          before: a.value,
          after: b.value,
        });
      }
    } else if (b) {
      changes.push({ ...named, change: "added", after: b.value });
    } else if (a) {
      changes.push({ ...named, change: "removed", before: a.value });
    }
  }
  return changes.sort((x, y) =>
    FIELD_ORDER.indexOf(x.field) - FIELD_ORDER.indexOf(y.field)
  );
}

const FIELD_ORDER: readonly ViewField[] = [
  "transport",
  "command",
  "args",
  "cwd",
  "url",
  "env",
  "envFile",
  "headers",
  "enabled",
  "other",
];

/**
 * Whether two parsed values are the same: equal primitives, lists of the
 * same values in the same order, tables of the same keys and values (in
 * any order: no client reads meaning into the order of a table's keys).
 *
 * @param a A value as parsed.
 * @param b Another.
 * @returns True when they are the same.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameValue } from "./server_diff.ts";
 * assert.equal(sameValue({ a: 1, b: [2] }, { b: [2], a: 1 }), true);
 * assert.equal(sameValue([1, 2], [2, 1]), false);
 * assert.equal(sameValue(1, "1"), false);
 * ```
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date &&
      String(a.toJSON()) === String(b.toJSON());
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]));
  }
  if (!isTable(a) || !isTable(b)) return Number.isNaN(a) && Number.isNaN(b);
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key]));
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
