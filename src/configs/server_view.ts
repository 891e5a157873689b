/**
 * One view of an MCP server for every client format: what `diff`, `lint`,
 * the pre-commit summary and the MCP server show a reviewer. Each client
 * spells a server its own way (`command` + `args`, opencode's `command`
 * list with `environment`, Zed's `command: {path, args, env}`, Codex's
 * `http_headers`, Gemini's `httpUrl`, Windsurf's `serverUrl`, `disabled` or
 * `enabled`); the view maps each spelling to the same fields.
 *
 * Nothing is hidden: a field the view does not model, a field of an
 * unexpected type, a `type` the view does not know, and a second spelling
 * of a field already taken all stay in {@linkcode ServerView.other}, as the
 * file has them. So a change of any value or key of an entry changes its
 * view, and a review that reads the view sees every change
 * (tests/configs/server_view_test.ts changes each one in turn). Only a
 * change of spelling (`command` as a list or a string, `environment` for
 * `env`, `"type": "local"` for `"stdio"`, a `type` the client would infer)
 * leaves the view as it was: that is what the view is for.
 *
 * A client that matches field names without regard to case (Crush, through
 * Go's encoding/json) reads `"Command"` as `command`, and of two spellings
 * the later one wins: the view reads such a kind's fields the same way.
 *
 * @module
 */

import type { ConfigKind } from "./config_kinds.ts";
import { serverTable } from "./server_entries.ts";

/** How a server is reached, as the view names it. */
export type Transport = "stdio" | "http" | "sse" | "unknown";

/** One server, in the same shape whatever the client. */
export interface ServerView {
  /** Its name: the table key, or a list item's `name`. */
  name: string;
  /**
   * `stdio` (a local command), `http` (streamable HTTP), `sse`, or
   * `unknown` (a declared type the view does not know, which stays in
   * {@linkcode other} too, or neither a command nor a URL).
   */
  transport: Transport;
  /** The program it starts, for a local server. */
  command?: string;
  /** Its arguments (after the program). */
  args: string[];
  /** The folder it starts in, as written. */
  cwd?: string;
  /** Environment variables it is given (`env`, `environment`, Zed's `command.env`). */
  env: Record<string, string>;
  /** A file of environment variables (VS Code's `envFile`). */
  envFile?: string;
  /** The endpoint of a remote server. */
  url?: string;
  /** HTTP headers sent to a remote server. */
  headers: Record<string, string>;
  /**
   * False when the entry switches the server off (`disabled: true`,
   * `enabled: false`), for a client that has such a switch; for one that
   * has none (Claude Code, VS Code, Gemini CLI) the field stays in
   * {@linkcode other} and this is true.
   */
  enabled: boolean;
  /** Every other field, as the file has it, by its key. */
  other: Record<string, unknown>;
}

// Field spellings, in the order a field is taken from them. A spelling
// that is present but not taken (of the wrong type, or a second one) stays
// in `other`.
const COMMAND = ["command"];
const ARGS = ["args"];
const ENV = ["env", "environment"];
const ENV_OPENCODE = ["environment", "env"];
const ENV_FILE = ["envFile", "env_file"];
const CWD = ["cwd"];
const URL_KEYS = ["url", "httpUrl", "serverUrl"];
// Gemini CLI (and Qwen Code, its fork) prefers `httpUrl` (streamable HTTP)
// to `url` (SSE).
const URL_GEMINI = ["httpUrl", "url", "serverUrl"];
const HEADERS = ["headers", "http_headers"];
const TYPE = ["type", "transport"];

// Clients whose server entries have no `disabled` or `enabled` switch
// (they turn servers off elsewhere: Claude Code's settings, VS Code's UI,
// Gemini's `mcp.excluded`).
const NO_SWITCH_CLIENTS: ReadonlySet<string> = new Set([
  "Claude Code",
  "Claude Desktop",
  "VS Code",
  "Gemini CLI",
  "Qwen Code",
]);

const TRANSPORTS: ReadonlyMap<string, Transport> = new Map([
  ["stdio", "stdio"],
  ["local", "stdio"],
  ["http", "http"],
  ["streamable-http", "http"],
  ["streamable_http", "http"],
  ["streamableHttp", "http"],
  ["remote", "http"],
  ["sse", "sse"],
]);

/**
 * The servers of a parsed config, each as a {@linkcode ServerView}, in file
 * order.
 *
 * @param root The config's top-level object (parseConfig's result).
 * @param kind The config's kind.
 * @returns The servers; empty when the config holds no server table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { serverViews } from "./server_view.ts";
 * const kind = (path: string) => findConfigKind(path, BUILTIN_CONFIG_KINDS)!;
 * const claude = serverViews({ mcpServers: { fs: { command: "npx", args: ["-y", "fs@1.0.0"] } } }, kind(".mcp.json"));
 * const opencode = serverViews({ mcp: { fs: { type: "local", command: ["npx", "-y", "fs@1.0.0"] } } }, kind("opencode.json"));
 * assert.deepEqual(claude, opencode);
 * assert.equal(claude[0]?.transport, "stdio");
 * ```
 */
export function serverViews(
  root: Record<string, unknown>,
  kind: ConfigKind,
): ServerView[] {
  const caseless = readsFieldsCaseless(kind);
  const views: ServerView[] = [];
  for (const table of serverTables(root, kind, caseless)) {
    for (const { name, entry } of table) {
      views.push(serverView(name, entry, { caseless, kind }));
    }
  }
  return views;
}

/**
 * Whether a kind's client matches field names without regard to case: Go's
 * encoding/json (Crush) does, and of two spellings the later one wins.
 *
 * @param kind The config's kind.
 * @returns True for such a client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { readsFieldsCaseless } from "./server_view.ts";
 * assert.equal(readsFieldsCaseless(findConfigKind("crush.json", BUILTIN_CONFIG_KINDS)!), true);
 * assert.equal(readsFieldsCaseless(findConfigKind(".mcp.json", BUILTIN_CONFIG_KINDS)!), false);
 * ```
 */
export function readsFieldsCaseless(kind: ConfigKind): boolean {
  return kind.client === "Crush";
}

// The server tables a client reads: the one server_entries.ts finds, and
// for a caseless client also a table whose key is spelled otherwise.
function serverTables(
  root: Record<string, unknown>,
  kind: ConfigKind,
  caseless: boolean,
): { name: string; entry: unknown }[][] {
  const tables = [serverTable(root, kind)?.servers ?? []];
  if (!caseless) return tables;
  for (const [key, value] of Object.entries(root)) {
    if (
      key === kind.serversKey ||
      foldFieldName(key) !== foldFieldName(kind.serversKey)
    ) {
      continue;
    }
    tables.push(serverTable({ [kind.serversKey]: value }, kind)?.servers ?? []);
  }
  return tables;
}

/**
 * One server entry as a {@linkcode ServerView}.
 *
 * @param name The server's name.
 * @param entry Its value as parsed.
 * @param options `caseless`: read field names without regard to case (see
 * {@linkcode readsFieldsCaseless}); `kind`: the config's kind, which decides
 * which spelling of a field comes first.
 * @returns The view.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverView } from "./server_view.ts";
 * const view = serverView("docs", { url: "https://example.com/mcp", headers: { Authorization: "Bearer x" }, timeout: 5 });
 * assert.equal(view.transport, "http");
 * assert.deepEqual(view.headers, { Authorization: "Bearer x" });
 * assert.deepEqual(view.other, { timeout: 5 });
 * ```
 */
export function serverView(
  name: string,
  entry: unknown,
  options: { caseless?: boolean; kind?: ConfigKind } = {},
): ServerView {
  const view: ServerView = {
    name,
    transport: "unknown",
    args: [],
    env: {},
    headers: {},
    enabled: true,
    other: {},
  };
  if (!isTable(entry)) {
    view.other[""] = entry;
    return view;
  }
  const fields = new Fields(entry, options.caseless ?? false);
  // A list item's own name is the server's name, not a field of it.
  if (typeof entry.name === "string" && entry.name === name) {
    fields.take(["name"], isString);
  }
  const zed = readCommand(fields, view);
  const client = options.kind?.client;
  // opencode and its fork Kilo (`mcp` in kilo.json) read `environment`
  // first; VS Code's settings (also under `mcp`) and Crush read `env`.
  const opencode = options.kind?.serversKey === "mcp" &&
    (client === "opencode" || client === "Kilo Code");
  // Zed's `command.env` is the environment; a top-level `env` beside it
  // stays in `other` rather than being merged into it.
  if (!zed) {
    view.env = { ...fields.take(opencode ? ENV_OPENCODE : ENV, isStringTable) };
  }
  assign(view, "envFile", fields.take(ENV_FILE, isString));
  assign(view, "cwd", fields.take(CWD, isString));
  const gemini = client === "Gemini CLI" || client === "Qwen Code";
  const url = fields.takeEntry(gemini ? URL_GEMINI : URL_KEYS, isString);
  if (url) view.url = url.value;
  view.headers = { ...fields.take(HEADERS, isStringTable) };
  // A declared type the view does not know stays in `other` as written,
  // and the transport is then unknown, never inferred.
  const declared = fields.peek(TYPE);
  const type = fields.take(TYPE, isTransport);
  view.transport = declared !== undefined && type === undefined
    ? "unknown"
    : transportOf(type, view, url?.key, gemini);
  // A client without a per-server switch starts the server whatever the
  // entry says: its `disabled` stays in `other`, never shown as "off".
  if (client === undefined || !NO_SWITCH_CLIENTS.has(client)) {
    const disabled = fields.take(["disabled"], isBoolean);
    const enabled = fields.take(["enabled"], isBoolean);
    view.enabled = disabled !== true && enabled !== false;
  }
  view.other = fields.rest();
  return view;
}

// `command` as a string (with `args`), opencode's list, or Zed's older
// `{path, args, env}` (true for that one).
function readCommand(fields: Fields, view: ServerView): boolean {
  const command = fields.peek(COMMAND);
  if (typeof command === "string") {
    fields.take(COMMAND, isString);
    view.command = command;
  } else if (isStringList(command) && command.length > 0) {
    fields.take(COMMAND, isStringList);
    view.command = command[0] as string;
    view.args = command.slice(1);
  } else if (isZedCommand(command)) {
    fields.take(COMMAND, isZedCommand);
    view.command = command.path;
    view.args = [...(command.args ?? [])];
    view.env = { ...command.env };
    return true;
  }
  if (view.command === undefined) return false;
  const args = fields.take(ARGS, isStringList);
  if (args) view.args = [...view.args, ...args];
  return false;
}

function transportOf(
  type: string | undefined,
  view: ServerView,
  urlKey: string | undefined,
  gemini: boolean,
): Transport {
  if (type !== undefined) return TRANSPORTS.get(type) ?? "unknown";
  if (view.command !== undefined && view.url === undefined) return "stdio";
  if (view.url !== undefined && view.command === undefined) {
    return gemini && urlKey === "url" ? "sse" : "http";
  }
  return "unknown";
}

// The fields of one entry, taken one by one; what is left is `other`.
class Fields {
  readonly #entry: Record<string, unknown>;
  readonly #caseless: boolean;
  readonly #taken = new Set<string>();

  constructor(entry: Record<string, unknown>, caseless: boolean) {
    this.#entry = entry;
    this.#caseless = caseless;
  }

  // The key a client reads for a spelling: the exact one, or for a caseless
  // client the last key that folds to it.
  #keyOf(spelling: string): string | undefined {
    if (!this.#caseless) {
      return Object.hasOwn(this.#entry, spelling) ? spelling : undefined;
    }
    let found: string | undefined;
    for (const key of Object.keys(this.#entry)) {
      if (foldFieldName(key) === foldFieldName(spelling)) found = key;
    }
    return found;
  }

  // The first spelling present (taken or not), for a caller that looks
  // before it takes.
  peek(spellings: readonly string[]): unknown {
    for (const spelling of spellings) {
      const key = this.#keyOf(spelling);
      if (key !== undefined && !this.#taken.has(key)) return this.#entry[key];
    }
    return undefined;
  }

  take<T>(
    spellings: readonly string[],
    guard: (value: unknown) => value is T,
  ): T | undefined {
    return this.takeEntry(spellings, guard)?.value;
  }

  // The first spelling present, when its value has the expected type; a
  // value of another type is left in `other` and nothing is taken (a later
  // spelling is not read in its place: the client reads the first).
  takeEntry<T>(
    spellings: readonly string[],
    guard: (value: unknown) => value is T,
  ): { key: string; value: T } | undefined {
    for (const spelling of spellings) {
      const key = this.#keyOf(spelling);
      if (key === undefined || this.#taken.has(key)) continue;
      const value = this.#entry[key];
      if (!guard(value)) return undefined;
      this.#taken.add(key);
      return { key: spelling, value };
    }
    return undefined;
  }

  rest(): Record<string, unknown> {
    // A plain object, whatever the parser built (TOML tables have no
    // prototype).
    const rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.#entry)) {
      if (!this.#taken.has(key)) rest[key] = value;
    }
    return rest;
  }
}

/**
 * A field name as a caseless client compares it. Go's encoding/json folds
 * each rune as ToUpper(ToLower(r)): ASCII case, and the four runes that
 * fold to an ASCII letter: the Kelvin sign, the long s, and the dotted and
 * dotless I (JavaScript's toLowerCase would turn U+0130 into two
 * characters).
 *
 * @param key A field name.
 * @returns Its folded form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { foldFieldName } from "./server_view.ts";
 * assert.equal(foldFieldName("D\u0130SABLED"), foldFieldName("disabled"));
 * ```
 */
export function foldFieldName(key: string): string {
  return key.replaceAll("\u212a", "k").replaceAll("\u017f", "s")
    .replaceAll("\u0130", "i").replaceAll("\u0131", "i").toLowerCase();
}

function assign<K extends "envFile" | "cwd">(
  view: ServerView,
  key: K,
  value: string | undefined,
): void {
  if (value !== undefined) view[key] = value;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isTransport(value: unknown): value is string {
  return typeof value === "string" && TRANSPORTS.has(value);
}

function isBoolean(value: unknown): value is boolean {
  return typeof value === "boolean";
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isString);
}

function isStringTable(value: unknown): value is Record<string, string> {
  return isTable(value) && Object.values(value).every(isString);
}

function isZedCommand(
  value: unknown,
): value is { path: string; args?: string[]; env?: Record<string, string> } {
  if (!isTable(value) || typeof value.path !== "string") return false;
  const keys = Object.keys(value);
  return keys.every((key) => ["path", "args", "env"].includes(key)) &&
    (value.args === undefined || isStringList(value.args)) &&
    (value.env === undefined || isStringTable(value.env));
}
