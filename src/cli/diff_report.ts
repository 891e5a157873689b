/**
 * How a config's change reads, for people (`diff`, and the one line per
 * server that pre-commit prints) and for programs (`diff --json`). Every
 * name and value from a config is shown escaped or quoted, so that a server
 * named with a line break or an escape sequence cannot forge a line.
 * Values of `env` and `headers` may be secrets: they are shown only when
 * asked (`--show-values`); otherwise a change says that the value changed.
 *
 * @module
 */

import { escapeInvisible, hasInvisible, quote } from "../format/quote.ts";
import type { ConfigDiff } from "../configs/config_diff.ts";
import type { FieldChange, ServerChange } from "../configs/server_diff.ts";
import type { ServerView } from "../configs/server_view.ts";
import type { SettingChange } from "../configs/settings_diff.ts";
import { redactSecrets } from "../configs/secret_patterns.ts";
import { displayPath } from "./io.ts";

/** How values are shown. */
export interface ReportOptions {
  /** Show the values of `env` and `headers` (they may be secrets). */
  showValues?: boolean;
}

// The fields whose values may be secrets.
const SECRET_FIELDS = new Set(["env", "headers"]);
// Longest JSON of an `other` value shown whole in text, in code points.
const MAX_JSON_CHARS = 200;

/**
 * The text report of one config's change: a heading line, then a line per
 * server (`+` added, `-` removed, `~` changed) and under it a line per
 * field.
 *
 * @param diff The change.
 * @param options Whether to show secret values.
 * @returns The lines, each ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "../configs/config_kinds.ts";
 * import { diffConfig } from "../configs/config_diff.ts";
 * import { formatConfigDiff } from "./diff_report.ts";
 * const kind = findConfigKind(".mcp.json", BUILTIN_CONFIG_KINDS)!;
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const diff = await diffConfig(
 *   { path: ".mcp.json", kind, bytes: bytes('{"mcpServers": {"fs": {"command": "npx", "args": ["fs@1"]}}}') },
 *   { path: ".mcp.json", kind, bytes: bytes('{"mcpServers": {"fs": {"command": "npx", "args": ["fs@2"]}}}') },
 * );
 * assert.equal(formatConfigDiff(diff!), ".mcp.json (Claude Code): modified\n  ~ fs\n      args: [-fs@1-]{+fs@2+}\n");
 * ```
 */
export function formatConfigDiff(
  diff: ConfigDiff,
  options: ReportOptions = {},
): string {
  const path = diff.pathBefore !== undefined
    ? `${displayPath(diff.pathBefore)} → ${displayPath(diff.path)}`
    : displayPath(diff.path);
  const client = diff.clientBefore !== undefined
    ? `${diff.clientBefore} → ${diff.client}`
    : diff.client;
  const lines = [`${path} (${client}): ${diff.change}`];
  if (diff.error) {
    if (diff.error.before !== undefined) {
      lines.push(
        `  ! the older version cannot be read: ${
          escapeInvisible(diff.error.before)
        }`,
      );
    }
    if (diff.error.after !== undefined) {
      lines.push(
        `  ! the newer version cannot be read: ${
          escapeInvisible(diff.error.after)
        }`,
      );
    }
    lines.push("  (its servers are not compared)");
  } else if (diff.servers.length === 0) {
    lines.push(
      diff.change !== "modified"
        ? "  no servers"
        : diff.settings
        ? "  no server changed"
        : "  no server changed (only formatting)",
    );
  }
  for (const server of diff.servers) {
    lines.push(`  ${serverHeading(server)}`);
    for (const field of detailFields(server)) {
      lines.push(`      ${fieldLine(field, options)}`);
    }
  }
  for (const setting of diff.settings ?? []) {
    lines.push(`  ${settingLine(setting)}`);
  }
  return lines.map((line) => `${line}\n`).join("");
}

/**
 * The one-line summary of each server that changed, as pre-commit prints
 * it: `.mcp.json: + github (stdio: npx -y pkg@1.2.3)`,
 * `.mcp.json: ~ fs: args, env.LOG_LEVEL`, `.mcp.json: - old`.
 *
 * @param diff The change.
 * @returns One line per server (without newlines); one line saying so when
 * no server changed or a version cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverView } from "../configs/server_view.ts";
 * import { diffServers } from "../configs/server_diff.ts";
 * import { summaryLines } from "./diff_report.ts";
 * const servers = diffServers(
 *   [serverView("fs", { command: "npx", args: ["a"], env: { LOG_LEVEL: "1" } }), serverView("old", { command: "x" })],
 *   [serverView("fs", { command: "npx", args: ["b"], env: { LOG_LEVEL: "2" } }), serverView("gh", { command: "npx", args: ["-y", "gh@1.2.3"] })],
 * );
 * assert.deepEqual(summaryLines({ path: ".mcp.json", client: "Claude Code", change: "modified", servers }), [
 *   ".mcp.json: ~ fs: args, env.LOG_LEVEL",
 *   ".mcp.json: + gh (stdio: npx -y gh@1.2.3)",
 *   ".mcp.json: - old (stdio: x)",
 * ]);
 * ```
 */
export function summaryLines(diff: ConfigDiff): string[] {
  const path = displayPath(diff.path);
  if (diff.error) {
    return [`${path}: cannot be read, servers not compared`];
  }
  const settings = (diff.settings ?? []).map((setting) =>
    `${path}: ${settingMark(setting)} setting ${word(setting.key)}`
  );
  if (diff.servers.length === 0) {
    return settings.length > 0 ? settings : [`${path}: no server changed`];
  }
  return [
    ...diff.servers.map((server) => {
      if (server.change !== "modified") {
        return `${path}: ${serverHeading(server)}`;
      }
      const names = [...new Set(server.fields.map(fieldName))];
      return `${path}: ~ ${word(server.name)}: ${names.join(", ")}`;
    }),
    ...settings,
  ];
}

/**
 * One config's change as `diff --json` prints it: the path, client, change,
 * errors by side, and each server's changed fields, with `before` and
 * `after` values (JSON as parsed; absent on the side that lacks the
 * field). The values of `env` and `headers` are left out unless asked
 * for, and such a field says `"hidden": true`.
 *
 * @param diff The change.
 * @param options Whether to show secret values.
 * @returns A JSON-serialisable object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverView } from "../configs/server_view.ts";
 * import { diffServers } from "../configs/server_diff.ts";
 * import { configDiffJson } from "./diff_report.ts";
 * const servers = diffServers([serverView("a", { command: "x", env: { T: "1" } })], [serverView("a", { command: "x", env: { T: "2" } })]);
 * const json = configDiffJson({ path: ".mcp.json", client: "Claude Code", change: "modified", servers });
 * assert.deepEqual(json.servers, [{ name: "a", change: "modified", fields: [{ field: "env", key: "T", change: "modified", hidden: true }] }]);
 * ```
 */
export function configDiffJson(
  diff: ConfigDiff,
  options: ReportOptions = {},
): { [key: string]: unknown; servers: unknown[] } {
  return {
    path: diff.path,
    ...(diff.pathBefore !== undefined ? { pathBefore: diff.pathBefore } : {}),
    client: diff.client,
    ...(diff.clientBefore !== undefined
      ? { clientBefore: diff.clientBefore }
      : {}),
    change: diff.change,
    ...(diff.error ? { error: diff.error } : {}),
    ...(diff.settings
      ? {
        settings: diff.settings.map((setting) => ({
          key: setting.key,
          change: setting.change,
          ...("before" in setting
            ? { before: redactedValue(jsonValue(setting.before)) }
            : {}),
          ...("after" in setting
            ? { after: redactedValue(jsonValue(setting.after)) }
            : {}),
        })),
      }
      : {}),
    servers: diff.servers.map((server) => ({
      name: server.name,
      change: server.change,
      fields: server.fields.map((field) => {
        const hidden = SECRET_FIELDS.has(field.field) && !options.showValues;
        return {
          field: field.field,
          ...(field.key !== undefined ? { key: field.key } : {}),
          change: field.change,
          ...(hidden ? { hidden: true } : {
            ...("before" in field ? { before: jsonValue(field.before) } : {}),
            ...("after" in field ? { after: jsonValue(field.after) } : {}),
          }),
        };
      }),
    })),
  };
}

// '~ setting "key": false → true': a setting outside the servers, its
// values as JSON, cut when long, any secret in them redacted.
function settingLine(setting: SettingChange): string {
  const show = (value: unknown) => redactSecrets(json(value));
  const label = `${settingMark(setting)} setting ${word(setting.key)}`;
  if (setting.change === "added") return `${label}: ${show(setting.after)}`;
  if (setting.change === "removed") {
    return `${label} (was ${show(setting.before)})`;
  }
  return `${label}: ${show(setting.before)} → ${show(setting.after)}`;
}

function settingMark(setting: SettingChange): string {
  return setting.change === "added"
    ? "+"
    : setting.change === "removed"
    ? "-"
    : "~";
}

// A JSON value with any secret in its strings redacted.
function redactedValue(value: unknown): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (Array.isArray(value)) return value.map(redactedValue);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactedValue(item)]),
    );
  }
  return value;
}

// "+ name (stdio: command args)", "- name (http: url)", "~ name".
function serverHeading(server: ServerChange): string {
  const mark = server.change === "added"
    ? "+"
    : server.change === "removed"
    ? "-"
    : "~";
  const view = server.after ?? server.before;
  return server.change === "modified" || !view
    ? `${mark} ${word(server.name)}`
    : `${mark} ${word(server.name)} (${launch(view)})`;
}

// What a client starts or reaches for a server, in a few words.
function launch(view: ServerView): string {
  const off = view.enabled ? "" : ", disabled";
  const what = view.command !== undefined
    ? [view.command, ...view.args].map(word).join(" ")
    : view.url !== undefined
    ? word(view.url)
    : "no command or URL";
  return `${view.transport}${off}: ${what}`;
}

// The fields worth a line of their own: for a server added, the ones its
// heading does not show; for one removed, none; else every change.
function detailFields(server: ServerChange): FieldChange[] {
  if (server.change === "removed") return [];
  if (server.change === "modified") return server.fields;
  const shown = new Set(["transport", "command", "args", "url", "enabled"]);
  return server.fields.filter((field) => !shown.has(field.field));
}

function fieldName(field: FieldChange): string {
  return field.key === undefined
    ? field.field
    : `${field.field}.${word(field.key)}`;
}

function fieldLine(field: FieldChange, options: ReportOptions): string {
  const label = field.key === undefined
    ? field.field
    : `${field.field} ${word(field.key)}`;
  if (SECRET_FIELDS.has(field.field) && !options.showValues) {
    return `${label}: ${
      field.change === "modified" ? "value changed" : field.change
    } (value hidden: --show-values)`;
  }
  if (field.field === "args" && field.change === "modified") {
    return `${label}: ${wordDiff(asWords(field.before), asWords(field.after))}`;
  }
  const show = field.field === "args"
    ? (value: unknown) => asWords(value).map(word).join(" ")
    : field.field === "other"
    ? json
    : (value: unknown) => typeof value === "string" ? word(value) : json(value);
  if (field.change === "added") return `${label}: added ${show(field.after)}`;
  if (field.change === "removed") {
    return `${label}: removed (was ${show(field.before)})`;
  }
  return `${label}: ${show(field.before)} → ${show(field.after)}`;
}

function asWords(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * The change of a list of words as git's `--word-diff=plain` shows it:
 * words kept as they are, `[-removed-]`, `{+added+}`.
 */
function wordDiff(before: string[], after: string[]): string {
  // A longest common subsequence; argument lists are short, and a long
  // one is shown whole on both sides instead.
  if (before.length * after.length > 250_000) {
    return `${before.map(word).join(" ")} → ${after.map(word).join(" ")}`;
  }
  const n = before.length;
  const m = after.length;
  const common: number[][] = Array.from(
    { length: n + 1 },
    () => new Array<number>(m + 1).fill(0),
  );
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i]![j] = before[i] === after[j]
        ? common[i + 1]![j + 1]! + 1
        : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let removed: string[] = [];
  let added: string[] = [];
  const flush = () => {
    if (removed.length > 0) out.push(`[-${removed.join(" ")}-]`);
    if (added.length > 0) out.push(`{+${added.join(" ")}+}`);
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      flush();
      out.push(word(before[i]!));
      i++;
      j++;
    } else if (j < m && (i >= n || common[i]![j + 1]! >= common[i + 1]![j]!)) {
      added.push(word(after[j]!));
      j++;
    } else {
      removed.push(word(before[i]!));
      i++;
    }
  }
  flush();
  return out.join(" ").replace(/-\] \{\+/g, "-]{+");
}

// A word as a shell user reads it: bare when it is short and plain, else
// quoted (escaped, and cut when long).
function word(value: string): string {
  return value.length > 0 && value.length <= 80 &&
      /^[\p{L}\p{N}@%+=:,./_~^-]+$/u.test(value) && !hasInvisible(value)
    ? value
    : quote(value);
}

// A value as JSON on one line, escaped, and cut when long.
function json(value: unknown): string {
  const text = JSON.stringify(jsonValue(value)) ?? "null";
  const chars = [...text];
  return escapeInvisible(
    chars.length > MAX_JSON_CHARS
      ? `${chars.slice(0, MAX_JSON_CHARS - 1).join("")}…`
      : text,
  );
}

/**
 * A parsed value as JSON holds it: a TOML or YAML date as its ISO text, a
 * big integer as a number or, past the safe range, its decimal text.
 */
function jsonValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  }
  if (value instanceof Date) return value.toJSON();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, jsonValue(item)]),
    );
  }
  return value;
}
