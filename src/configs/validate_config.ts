/**
 * Strict checks of an MCP config's bytes before they are signed or trusted.
 *
 * We sign exact bytes and never rewrite them, so a config passes only when
 * every client that reads it must see the same servers we saw:
 *
 * - no empty file, nothing over `MAX_CONFIG_BYTES`, no binary data (C0
 *   control characters other than tab, LF and CR), no UTF-8 byte-order mark
 *   (Node's `JSON.parse`, used by several clients, fails on one), valid UTF-8;
 * - JSON is strict RFC 8259: no comments, no trailing commas. jsonc-parser
 *   gives the positions and `JSON.parse` must accept the same text, so no
 *   input that the two parsers read differently passes;
 * - JSONC (VS Code, Zed, Gemini CLI) allows `//` and `/* *\/` comments and
 *   trailing commas, as VS Code and Zed do. With both blanked out the text
 *   must still be valid JSON for `JSON.parse`. Gemini CLI's reader may
 *   reject a trailing comma: it then fails loudly, it never reads other
 *   values. A `//` comment ended by a lone CR is refused, because readers
 *   disagree on where that comment ends;
 * - TOML is TOML 1.0 as smol-toml reads it (duplicate keys and tables are
 *   errors by the spec);
 * - YAML (Continue's `.continue/mcpServers/*.yaml`) is one YAML 1.2 document
 *   as the `yaml` package reads it (the parser Continue's own config reader
 *   uses), with no anchor, alias, merge key (`<<`), explicit tag, directive
 *   or non-scalar key: each is a place where two YAML readers can build
 *   different values from one signed text (and aliases are how a small file
 *   expands into a huge one);
 * - no duplicate key in any object, at any depth (clients differ on which
 *   copy wins), nesting at most `MAX_CONFIG_DEPTH` deep, a top-level object,
 *   and the client's server table at the top level.
 *
 * Lines and columns are 1-based; columns count characters (code points).
 * LF, CRLF and a lone CR each end a line. Byte offsets in messages (binary
 * data, invalid UTF-8) count from 0, as hex dumps do.
 *
 * @module
 */

import { MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH } from "../constants.ts";
import {
  type JsoncParser,
  loadJsoncParser,
  loadYamlParser,
  parseToml,
  parseYamlDocument as parseYamlText,
  TomlError,
  type YamlDocument,
  type YamlParser,
} from "../deps.ts";
import { ToolError } from "../errors.ts";
import { quote as quoteValue } from "../format/quote.ts";
import type { ConfigFormat, ConfigKind } from "./config_kinds.ts";
import { serverTable, serverTableKeys } from "./server_entries.ts";

/** Options for {@linkcode ConfigError}. */
export interface ConfigErrorOptions {
  /** 1-based line of the problem. */
  line?: number;
  /** 1-based column (in characters) of the problem. */
  column?: number;
  /** Start of the message, before the quoted path (default `Invalid MCP config`). */
  label?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A config file that fails to parse or validate (code `INVALID_CONFIG`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ConfigError } from "./validate_config.ts";
 * const error = new ConfigError(".mcp.json", "expected a value", { line: 2, column: 5 });
 * strictEqual(error.message, 'Invalid MCP config ".mcp.json": line 2, column 5: expected a value');
 * strictEqual(error.code, "INVALID_CONFIG");
 * ```
 */
export class ConfigError extends ToolError {
  /** Repository-relative path of the file. */
  readonly path: string;
  /** What is wrong, without the path and position. */
  readonly problem: string;
  /** 1-based line of the problem, when it has one. */
  declare readonly line?: number;
  /** 1-based column (in characters) of the problem, when it has one. */
  declare readonly column?: number;

  /**
   * Creates an error.
   *
   * @param path Repository-relative path of the file.
   * @param problem What is wrong: sentence case, no final period.
   * @param options Position, message label and cause.
   */
  constructor(path: string, problem: string, options: ConfigErrorOptions = {}) {
    const where = options.line === undefined
      ? ""
      : `line ${options.line}${
        options.column === undefined ? "" : `, column ${options.column}`
      }: `;
    super(
      "INVALID_CONFIG",
      `${options.label ?? "Invalid MCP config"} ${
        quoteValue(path)
      }: ${where}${problem}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ConfigError";
    this.path = path;
    this.problem = problem;
    if (options.line !== undefined) this.line = options.line;
    if (options.column !== undefined) this.column = options.column;
  }
}

/** Options for {@linkcode parseConfig}. */
export interface ParseConfigOptions {
  /** How the file is written. */
  format: ConfigFormat;
  /** Start of error messages, before the quoted path (default `Invalid MCP config`). */
  label?: string;
}

/**
 * Parses a config's bytes with every check of {@linkcode validateConfig}
 * except the server table, and returns its top-level object.
 *
 * @param path Repository-relative path, named in errors.
 * @param bytes The file's exact bytes.
 * @param options The format, and the label of error messages.
 * @returns The top-level object (a TOML document's root table).
 * @throws {ConfigError} When the bytes are not a strict, well-formed document.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseConfig } from "./validate_config.ts";
 * const bytes = new TextEncoder().encode('{"version": 1, "configs": []}');
 * deepStrictEqual(await parseConfig("settings.json", bytes, { format: "json" }), { version: 1, configs: [] });
 * ```
 */
export async function parseConfig(
  path: string,
  bytes: Uint8Array,
  options: ParseConfigOptions,
): Promise<Record<string, unknown>> {
  return (await parseDocument(path, bytes, options)).root;
}

/**
 * Checks that `bytes` is a well-formed config of `kind`.
 *
 * @param path Repository-relative path, named in errors.
 * @param bytes The file's exact bytes.
 * @param kind The client kind the path belongs to.
 * @throws {ConfigError} Naming the path, line, column and problem.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { validateConfig } from "./validate_config.ts";
 * const kind = { client: "VS Code", pattern: "**\/.vscode/mcp.json", format: "jsonc", serversKey: "servers" } as const;
 * const path = ".vscode/mcp.json";
 * await validateConfig(path, new TextEncoder().encode('{\n  // local tools\n  "servers": {},\n}\n'), kind);
 * await rejects(validateConfig(path, new TextEncoder().encode('{"mcpServers": {}}'), kind), /no "servers" table/);
 * ```
 */
export async function validateConfig(
  path: string,
  bytes: Uint8Array,
  kind: ConfigKind,
): Promise<void> {
  const { root, text, topKeyOffsets } = await parseDocument(path, bytes, {
    format: kind.format,
  });
  const keys = serverTableKeys(kind);
  const present = keys.filter((key) => Object.hasOwn(root, key));
  const at = (key: string) => {
    const offset = topKeyOffsets.get(key);
    return offset === undefined ? {} : textPosition(text, offset);
  };
  if (present.length > 1) {
    // Named in file order, the later one pointed at.
    const offset = (key: string) => topKeyOffsets.get(key) ?? 0;
    present.sort((a, b) => offset(a) - offset(b));
    const [first, second] = present as [string, string];
    throw new ConfigError(
      path,
      `both a ${quoteValue(first)} and a ${quoteValue(second)} table: ` +
        `clients read one or the other, so they would run different servers; keep one`,
      at(second),
    );
  }
  const key = present[0];
  if (key === undefined) {
    // A settings file matters by any MCP key (a switch such as
    // "enableAllProjectMcpServers"), not only by a server table.
    if (kind.settings) return;
    throw new ConfigError(
      path,
      keys.length > 1
        ? `no ${
          keys.map(quoteValue).join(" or ")
        } table (MCP clients read their servers from one of them)`
        : `no ${
          quoteValue(key ?? kind.serversKey)
        } table (${kind.client} keeps its servers there)`,
    );
  }
  const servers = root[key];
  const inner = kind.serversPath ?? [];
  if (
    !isTable(servers) &&
    !(inner.length === 0 && kind.serversList && Array.isArray(servers))
  ) {
    throw new ConfigError(
      path,
      `${quoteValue(key)} is ${describeValue(servers)}, not a ${
        kind.serversList && inner.length === 0 ? "table or list" : "table"
      } (${kind.client} keeps its servers there)`,
      at(key),
    );
  }
  // A section that nests the table (VS Code's "mcp": {"servers": …}): the
  // table, when there, must be what serverTable reads, so that what the
  // report shows is what was checked.
  if (inner.length > 0 && serverTable(root, kind) === undefined) {
    const nested = [key, ...inner].map(quoteValue).join(".");
    const missing = !hasPath(servers, inner);
    if (missing && kind.settings) return;
    throw new ConfigError(
      path,
      missing
        ? `no ${nested} table (${kind.client} keeps its servers there)`
        : `${nested} is not a ${
          kind.serversList ? "table or list" : "table"
        } (${kind.client} keeps its servers there)`,
      at(key),
    );
  }
}

// Whether every key of the path is there, table inside table.
function hasPath(value: unknown, keys: readonly string[]): boolean {
  for (const key of keys) {
    if (!isTable(value) || !Object.hasOwn(value, key)) return false;
    value = value[key];
  }
  return true;
}

/**
 * Whether a file of this kind is an MCP config: always, but for a settings
 * kind ({@linkcode ConfigKind.settings}) only when it holds an MCP section
 * ({@linkcode holdsMcpSection}) or one of the kind's top-level
 * {@linkcode ConfigKind.mcpKeys} (`enabledPlugins` in `.claude/settings.json`),
 * or when it cannot be read strictly: a file
 * that fails to parse is a config, which then fails validation, rather than
 * a file that is let through unseen.
 *
 * @param path Repository-relative path, named in errors.
 * @param bytes The file's exact bytes.
 * @param kind The client kind the path belongs to.
 * @returns False only for a well-formed settings file without MCP section.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { isMcpConfig } from "./validate_config.ts";
 * const kind = findConfigKind(".vscode/settings.json", BUILTIN_CONFIG_KINDS)!;
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * strictEqual(await isMcpConfig(".vscode/settings.json", bytes('{"editor.tabSize": 2}'), kind), false);
 * strictEqual(await isMcpConfig(".vscode/settings.json", bytes('{"mcp": {"servers": {}}}'), kind), true);
 * strictEqual(await isMcpConfig(".vscode/settings.json", bytes('{"editor.tabSize": 2,,}'), kind), true);
 * const claude = findConfigKind(".claude/settings.json", BUILTIN_CONFIG_KINDS)!;
 * strictEqual(await isMcpConfig(".claude/settings.json", bytes('{"enabledPlugins": {"x@y": true}}'), claude), true);
 * ```
 */
export async function isMcpConfig(
  path: string,
  bytes: Uint8Array,
  kind: ConfigKind,
): Promise<boolean> {
  if (!kind.settings) return true;
  let root: Record<string, unknown>;
  try {
    root = (await parseDocument(path, bytes, { format: kind.format })).root;
  } catch (error) {
    if (error instanceof ConfigError) return true;
    throw error;
  }
  return holdsMcpSection(root) ||
    (kind.mcpKeys ?? []).some((key) => Object.hasOwn(root, key));
}

/**
 * Whether a parsed document holds an MCP section: a key, at any depth,
 * whose name contains "mcp" in any case (`mcpServers`, `mcp`,
 * `enableAllProjectMcpServers`, `chat.mcp.discovery.enabled`,
 * `"mcp\u0053ervers"` once parsed). Deliberately wide: it decides on the
 * parsed keys (after escapes, and after the strict parser refused duplicate
 * keys), and a false positive only means one more file to sign.
 *
 * @param value A parsed document, or any value in it.
 * @returns True when some key names MCP.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { holdsMcpSection } from "./validate_config.ts";
 * strictEqual(holdsMcpSection({ enableAllProjectMcpServers: true }), true);
 * strictEqual(holdsMcpSection({ "[python]": { "chat.MCP.autostart": "never" } }), true);
 * strictEqual(holdsMcpSection({ permissions: { allow: ["Bash(ls)"] } }), false);
 * ```
 */
export function holdsMcpSection(value: unknown): boolean {
  // Iterative: the parsers bound nesting, but no recursion is cheaper still.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (Array.isArray(next)) {
      pending.push(...next);
    } else if (isTable(next)) {
      for (const key of Object.keys(next)) {
        if (key.toLowerCase().includes("mcp")) return true;
        pending.push(next[key]);
      }
    }
  }
  return false;
}

/** A parsed document, with what the server-table check needs. */
interface ParsedDocument {
  root: Record<string, unknown>;
  text: string;
  /** UTF-16 offset of each top-level key (JSON and JSONC only). */
  topKeyOffsets: Map<string, number>;
}

/** A problem at a UTF-16 offset of the decoded text. */
interface Problem {
  offset: number;
  problem: string;
}

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

async function parseDocument(
  path: string,
  bytes: Uint8Array,
  options: ParseConfigOptions,
): Promise<ParsedDocument> {
  const fail = (
    problem: string,
    at: { line?: number; column?: number } = {},
    cause?: unknown,
  ) =>
    new ConfigError(path, problem, {
      ...at,
      ...(options.label === undefined ? {} : { label: options.label }),
      ...(cause === undefined ? {} : { cause }),
    });
  const text = decodeText(bytes, fail);
  try {
    if (options.format === "toml") return parseTomlDocument(text, fail);
    if (options.format === "yaml") {
      return parseYamlDocument(await loadYamlParser(), text, fail);
    }
    return parseJsonDocument(
      await loadJsoncParser(),
      text,
      options.format === "jsonc",
      fail,
    );
  } catch (error) {
    // Recursive-descent parsers overflow the stack on deep nesting; the
    // depth limit should stop them first, but never let that be a crash.
    if (error instanceof RangeError) {
      throw fail(`nesting is too deep`, {}, error);
    }
    throw error;
  }
}

type Fail = (
  problem: string,
  at?: { line?: number; column?: number },
  cause?: unknown,
) => ConfigError;

// The checks every format shares, on the bytes: not empty, not too large,
// no binary data, no byte-order mark, valid UTF-8.
function decodeText(bytes: Uint8Array, fail: Fail): string {
  if (bytes.length === 0) throw fail("the file is empty");
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw fail(
      `${bytes.length} bytes is over the limit of ${MAX_CONFIG_BYTES} bytes`,
    );
  }
  const control = bytes.findIndex((b) =>
    b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d
  );
  if (control >= 0) {
    const hex = bytes[control]!.toString(16).padStart(2, "0");
    throw fail(
      `binary data at byte ${control} (control character 0x${hex})`,
      bytePosition(bytes, control),
    );
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw fail(
      "UTF-8 byte-order mark: save the file as UTF-8 without a BOM (we sign the exact bytes, and " +
        "JSON.parse, used by several clients, rejects a BOM)",
      { line: 1, column: 1 },
    );
  }
  try {
    return DECODER.decode(bytes);
  } catch (error) {
    const bad = firstInvalidUtf8(bytes);
    throw fail(
      bad < 0 ? "invalid UTF-8" : `invalid UTF-8 at byte ${bad}`,
      bad < 0 ? {} : bytePosition(bytes, bad),
      error,
    );
  }
}

function parseTomlDocument(text: string, fail: Fail): ParsedDocument {
  try {
    const root = parseToml(text, { maxDepth: MAX_CONFIG_DEPTH }) as Record<
      string,
      unknown
    >;
    return { root, text, topKeyOffsets: new Map() };
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const detail = error.message.replace(/^Invalid TOML document: /, "")
      .split("\n")[0] ?? "";
    const problem = detail.startsWith("document contains excessively nested")
      ? `nesting deeper than ${MAX_CONFIG_DEPTH} levels`
      : detail.startsWith("trying to redefine")
      ? "duplicate key or table (it is already defined above)"
      : detail.replace(/\.$/, "");
    throw fail(
      problem,
      textPosition(text, tomlOffset(text, error.line, error.column)),
      error,
    );
  }
}

function parseYamlDocument(
  yaml: YamlParser,
  text: string,
  fail: Fail,
): ParsedDocument {
  const lines = new yaml.LineCounter();
  const doc = parseYamlText(yaml, text, {
    version: "1.2",
    schema: "core",
    merge: false,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    lineCounter: lines,
  });
  const at = (offset: number) => textPosition(text, offset);
  const [problem] = [...doc.errors, ...doc.warnings];
  if (problem) {
    const detail = (problem.message.split("\n")[0] ?? "").replace(/\.$/, "");
    throw fail(
      problem.code === "DUPLICATE_KEY"
        ? "duplicate key (clients differ on which copy wins)"
        : problem.code === "MULTIPLE_DOCS"
        ? "more than one YAML document (clients read only the first)"
        : /call stack/i.test(detail)
        ? "nesting is too deep"
        : problem.code === "TAG_RESOLVE_FAILED"
        ? `${detail}: custom tags are refused`
        : detail,
      at(problem.pos[0]),
      problem,
    );
  }
  const directives = doc.directives;
  if (
    directives?.yaml.explicit ||
    Object.keys(directives?.tags ?? {}).some((handle) =>
      handle !== "!" && handle !== "!!"
    )
  ) {
    throw fail(
      "a YAML directive (%YAML or %TAG): it changes how other readers parse the file",
      { line: 1, column: 1 },
    );
  }
  refuseYamlFeatures(yaml, text, doc, at, fail);
  const root: unknown = doc.toJS({ maxAliasCount: 0 });
  if (!isTable(root)) {
    throw fail(
      `the top level is ${describeValue(root)}, not a mapping`,
      at(doc.contents?.range?.[0] ?? 0),
    );
  }
  const topKeyOffsets = new Map<string, number>();
  if (yaml.isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (yaml.isScalar(pair.key) && pair.key.range) {
        topKeyOffsets.set(String(pair.key.value), pair.key.range[0]);
      }
    }
  }
  return { root, text, topKeyOffsets };
}

// Anchors, aliases, merge keys, explicit tags, non-scalar keys and nesting
// past the limit: the features where YAML readers part ways, or that let a
// small file stand for a huge value.
function refuseYamlFeatures(
  yaml: YamlParser,
  text: string,
  doc: YamlDocument,
  at: (offset: number) => { line: number; column: number },
  fail: Fail,
): void {
  const depths = new Map<unknown, number>([[doc.contents, 1]]);
  yaml.visit(doc, {
    Alias(_key, node) {
      throw fail(
        `alias "*${node.source}": anchors and aliases are refused (they let readers expand one value many times)`,
        at(node.range?.[0] ?? 0),
      );
    },
    Pair(_key, pair) {
      const key = pair.key;
      if (key !== null && !yaml.isScalar(key)) {
        throw fail(
          "a key that is a mapping or a list: keys must be plain values",
          at(yaml.isNode(key) ? key.range?.[0] ?? 0 : 0),
        );
      }
      if (yaml.isScalar(key) && key.value === "<<") {
        throw fail(
          'merge key "<<": YAML 1.1 readers merge a mapping there, YAML 1.2 readers keep a key; refused',
          at(key.range?.[0] ?? 0),
        );
      }
    },
    Node(_key, node, path) {
      const start = node.range?.[0] ?? 0;
      // A node's range starts at its value; its anchor or tag comes before.
      const back = (token: string) => {
        const found = text.lastIndexOf(token, start);
        return found >= 0 ? found : start;
      };
      if (node.anchor) {
        throw fail(
          `anchor "&${node.anchor}": anchors and aliases are refused (they let readers expand one value many times)`,
          at(back(`&${node.anchor}`)),
        );
      }
      if (node.tag) {
        throw fail(
          `explicit tag ${
            quoteValue(node.tag)
          }: tags are refused (readers resolve them differently)`,
          at(tagStart(text, back("!"))),
        );
      }
      if (yaml.isCollection(node)) {
        const parent = [...path].reverse().find((p) => yaml.isCollection(p));
        const depth = (parent === undefined ? 0 : depths.get(parent) ?? 0) + 1;
        if (depth > MAX_CONFIG_DEPTH) {
          throw fail(
            `nesting deeper than ${MAX_CONFIG_DEPTH} levels`,
            at(start),
          );
        }
        depths.set(node, depth);
      }
    },
  });
}

// The first character of the tag whose last "!" is at `offset` ("!!str",
// "!e!x", "!<tag:x>"): tags run to the preceding space or flow indicator.
function tagStart(text: string, offset: number): number {
  let start = offset;
  while (start > 0 && !/[\s[\]{},]/.test(text[start - 1]!)) start--;
  return start;
}

function parseJsonDocument(
  parser: JsoncParser,
  text: string,
  jsonc: boolean,
  fail: Fail,
): ParsedDocument {
  const scan = scanJson(parser, text, jsonc);
  if (scan.first) {
    throw fail(scan.first.problem, textPosition(text, scan.first.offset));
  }
  let root: unknown;
  try {
    root = JSON.parse(blank(text, scan.blanks));
  } catch (error) {
    // Unreachable unless the two parsers disagree: that disagreement is
    // exactly what this check exists to refuse.
    const at = /at position (\d+)/.exec(String(error))?.[1];
    throw fail(
      `JSON.parse rejects the file: ${
        quoteValue(String(error instanceof Error ? error.message : error))
      }`,
      at === undefined ? {} : textPosition(text, Number(at)),
      error,
    );
  }
  if (scan.duplicate) {
    throw fail(
      scan.duplicate.problem,
      textPosition(text, scan.duplicate.offset),
    );
  }
  if (!isTable(root)) {
    throw fail(
      `the top level is ${describeValue(root)}, not an object`,
      textPosition(text, Math.max(scan.rootOffset, 0)),
    );
  }
  return { root, text, topKeyOffsets: scan.topKeyOffsets };
}

/** What one pass of jsonc-parser over a JSON or JSONC text found. */
interface JsonScan {
  /** The earliest syntax problem (for JSON: comments and trailing commas too). */
  first?: Problem;
  /** The first duplicate key. */
  duplicate?: Problem;
  /** Comments and trailing commas (JSONC), to blank out before `JSON.parse`. */
  blanks: [number, number][];
  topKeyOffsets: Map<string, number>;
  /** Offset of the top-level value, or -1. */
  rootOffset: number;
}

// One visitor over the parser's events, its callbacks sharing the scan's
// state (open containers, first problem, blanks): long, but split up each
// callback would need that state passed in.
function scanJson(
  parser: JsoncParser,
  text: string,
  jsonc: boolean,
): JsonScan {
  let first: Problem | undefined;
  const note = (offset: number, problem: string) => {
    if (first === undefined || offset < first.offset) {
      first = { offset, problem };
    }
  };
  let duplicate: Problem | undefined;
  // One entry per open object or array: its keys, and the offset of a comma
  // not yet followed by a value (a trailing comma if the container ends).
  const stack: { keys?: Map<string, number>; comma: number }[] = [];
  const blanks: [number, number][] = [];
  const topKeyOffsets = new Map<string, number>();
  let rootOffset = -1;
  const value = (offset: number) => {
    if (rootOffset < 0) rootOffset = offset;
    const top = stack.at(-1);
    if (top) top.comma = -1;
  };
  const begin = (offset: number, keys?: Map<string, number>) => {
    value(offset);
    stack.push(keys ? { keys, comma: -1 } : { comma: -1 });
    if (stack.length <= MAX_CONFIG_DEPTH) return true;
    note(offset, `nesting deeper than ${MAX_CONFIG_DEPTH} levels`);
    return false; // Skips the callbacks of everything inside.
  };
  const end = () => {
    const top = stack.pop();
    if (!top || top.comma < 0) return;
    if (jsonc) blanks.push([top.comma, top.comma + 1]);
    else note(top.comma, "trailing comma (JSON allows none)");
  };
  const visitor: Parameters<JsoncParser["visit"]>[1] = {
    onObjectBegin: (offset) => begin(offset, new Map()),
    onArrayBegin: (offset) => begin(offset),
    onObjectEnd: end,
    onArrayEnd: end,
    onLiteralValue: (_value, offset) => value(offset),
    onSeparator: (char, offset) => {
      const top = stack.at(-1);
      if (char === "," && top) top.comma = offset;
    },
    onObjectProperty: (key, offset) => {
      const top = stack.at(-1);
      if (!top?.keys) return;
      top.comma = -1;
      const earlier = top.keys.get(key);
      if (earlier === undefined) {
        top.keys.set(key, offset);
        if (stack.length === 1) topKeyOffsets.set(key, offset);
      } else {
        duplicate ??= {
          offset,
          problem: `duplicate key ${quoteValue(key)} (first on line ${
            textPosition(text, earlier).line
          })`,
        };
      }
    },
    onComment: (offset, length) => {
      if (!jsonc) {
        return note(
          offset,
          "comment (JSON allows none; only JSONC configs may have comments)",
        );
      }
      blanks.push([offset, offset + length]);
      const after = offset + length;
      if (
        text.startsWith("//", offset) && text[after] === "\r" &&
        text[after + 1] !== "\n"
      ) {
        note(
          after,
          "line comment ended by a lone carriage return (CR): use LF or CRLF line endings",
        );
      }
    },
    onError: (code, offset, length) =>
      note(
        offset,
        syntaxProblem(
          parser.printParseErrorCode(code),
          text.slice(offset, offset + length),
        ),
      ),
  };
  try {
    parser.visit(text, visitor, {
      disallowComments: false,
      allowTrailingComma: true,
      allowEmptyContent: false,
    });
  } catch (error) {
    // The parser recurses, so very deep nesting overflows the stack after
    // the depth limit was noted: report that, with its position.
    if (!(error instanceof RangeError) || first === undefined) throw error;
  }
  return {
    ...(first === undefined ? {} : { first }),
    ...(duplicate === undefined ? {} : { duplicate }),
    blanks,
    topKeyOffsets,
    rootOffset,
  };
}

const SYNTAX_PROBLEMS: Record<string, string> = {
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: "expected a key in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected ","',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: "unexpected text after the end of the document",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "incomplete number",
  InvalidUnicode: "invalid \\u escape",
  InvalidEscapeCharacter: "invalid escape sequence",
  InvalidCharacter:
    "control character inside a string (write it as an escape such as \\t)",
};

function syntaxProblem(name: string, token: string): string {
  if (name === "InvalidSymbol") return `unexpected ${quoteValue(token)}`;
  return SYNTAX_PROBLEMS[name] ?? `syntax error (${name})`;
}

/** The text with each range replaced by spaces, keeping line breaks and offsets. */
function blank(text: string, ranges: readonly [number, number][]): string {
  if (ranges.length === 0) return text;
  const chars = text.split("");
  for (const [start, end] of ranges) {
    for (let i = start; i < end; i++) {
      if (chars[i] !== "\n" && chars[i] !== "\r") chars[i] = " ";
    }
  }
  return chars.join("");
}

/** Whether a parsed value is an object (JSON) or table (TOML), not an array, date or primitive. */
function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
    case "bigint":
      return "a number";
    case "boolean":
      return "a boolean";
    default:
      return `a ${typeof value}`;
  }
}

/**
 * The 1-based line and column of a UTF-16 offset. LF, CRLF and a lone CR
 * each end a line; columns count code points.
 *
 * @param text The decoded text.
 * @param offset A UTF-16 offset into it.
 * @returns Its line and column.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { textPosition } from "./validate_config.ts";
 * deepStrictEqual(textPosition("a\r\nbc", 4), { line: 2, column: 2 });
 * ```
 */
export function textPosition(
  text: string,
  offset: number,
): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0x0a || (unit === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      column = 1;
    } else if (
      unit !== 0x0d &&
      !(unit >= 0xdc00 && unit <= 0xdfff && i > 0 &&
        isHighSurrogate(text, i - 1))
    ) {
      column++;
    }
  }
  return { line, column };
}

function isHighSurrogate(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** The UTF-16 offset of smol-toml's position (lines split on LF, UTF-16 columns). */
function tomlOffset(text: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", start);
    if (next < 0) break;
    start = next + 1;
  }
  return Math.min(start + column - 1, text.length);
}

/** The 1-based line and column of a byte offset, before the bytes are known to be UTF-8. */
function bytePosition(
  bytes: Uint8Array,
  offset: number,
): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset; i++) {
    const byte = bytes[i]!;
    if (byte === 0x0a || (byte === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
      column = 1;
    } else if (byte !== 0x0d && (byte & 0xc0) !== 0x80) {
      column++; // Continuation bytes belong to the character before.
    }
  }
  return { line, column };
}

/**
 * The offset of the first byte that does not start a valid UTF-8 sequence
 * (WHATWG rules: no overlong forms, surrogates or values over U+10FFFF), or -1.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    let count: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead < 0x80) count = 0;
    else if (lead >= 0xc2 && lead <= 0xdf) count = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      count = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      count = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= count; k++) {
      const next = bytes[i + k];
      if (
        next === undefined || next < (k === 1 ? low : 0x80) ||
        next > (k === 1 ? high : 0xbf)
      ) return i;
    }
    i += count + 1;
  }
  return -1;
}
