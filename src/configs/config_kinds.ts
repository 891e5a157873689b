/**
 * Which files are MCP configs: the built-in client kinds, and the extra
 * patterns a repository adds in `.mcp-orchestration/config.json`.
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
 * ## `.mcp-orchestration/config.json`
 *
 * Optional. Strict JSON (no comments, no trailing commas, no duplicate keys,
 * no byte-order mark, at most 1 MiB, a regular file, not a symbolic link):
 *
 * ```json
 * {
 *   "version": 1,
 *   "configs": [
 *     { "pattern": "tools/*\/mcp.json", "format": "json", "servers": "mcpServers", "client": "Our tools" }
 *   ]
 * }
 * ```
 *
 * - `version` (required): the number 1.
 * - `configs` (required): a list of at most 100 entries, each an object with
 *   exactly these keys (any other key is an error):
 *   - `pattern` (required): a pattern as above, at most 256 characters. It
 *     is relative (no leading "/"), "/"-separated (no "\"), has no empty,
 *     "." or ".." segment, uses "**" only as a whole segment, does not point
 *     into `.mcp-orchestration/` or `.git/`, and uses none of `[ ] { }` or a
 *     leading `!` (other tools give them a meaning this one does not). No two
 *     entries have the same pattern.
 *   - `format` (required): `"json"`, `"jsonc"` or `"toml"`.
 *   - `servers` (required): the top-level key of the server table, e.g.
 *     `"mcpServers"`.
 *   - `client` (optional): the name shown to users (default `MCP client`).
 *   Strings are non-empty, at most 256 characters, without control characters.
 *
 * Entries can only add files to the set of configs. The built-in kinds come
 * first and the first match wins, so a tampered config.json can neither
 * remove a built-in file nor change how it is checked.
 *
 * @module
 */

import { join } from "node:path";
import {
  MAX_CONFIG_BYTES,
  MAX_REPO_CONFIG_PATTERNS,
  MAX_REPO_CONFIG_STRING,
  REPO_CONFIG_PATH,
  STORE_DIR,
} from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { quote } from "../format/quote.ts";
import { fileSystem as fs } from "../fs/file_system.ts";
import { readFileLimitedSync } from "../fs/files.ts";
import { canonicalName } from "./path_names.ts";
import { ConfigError, parseConfig } from "./validate_config.ts";

/**
 * How a config file is written.
 *
 * @example
 * ```ts
 * import type { ConfigFormat } from "./config_kinds.ts";
 * const format: ConfigFormat = "jsonc";
 * ```
 */
export type ConfigFormat = "json" | "jsonc" | "toml";

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
  builtin("Claude Code", ".mcp.json", "json", "mcpServers"),
  builtin("Cursor", ".cursor/mcp.json", "json", "mcpServers"),
  builtin("VS Code", ".vscode/mcp.json", "jsonc", "servers"),
  builtin("Claude Desktop", "claude_desktop_config.json", "json", "mcpServers"),
  builtin("Gemini CLI", ".gemini/settings.json", "jsonc", "mcpServers"),
  builtin("Zed", ".zed/settings.json", "jsonc", "context_servers"),
  builtin("Codex", ".codex/config.toml", "toml", "mcp_servers"),
  builtin("Windsurf", "mcp_config.json", "json", "mcpServers"),
  builtin("Cline", "cline_mcp_settings.json", "json", "mcpServers"),
]);

function builtin(
  client: string,
  file: string,
  format: ConfigFormat,
  serversKey: string,
): ConfigKind {
  return Object.freeze({ client, pattern: `**/${file}`, format, serversKey });
}

/**
 * Reads the config kinds of a repository: the built-ins, then the patterns
 * of its `.mcp-orchestration/config.json` (see the module docs).
 *
 * @param root The repository's root folder.
 * @returns The built-in kinds followed by the repository's; only the
 * built-ins when the file does not exist.
 * @throws {ConfigError} `INVALID_CONFIG` when the file is not valid, is a
 * symbolic link (or `.mcp-orchestration` is), or is not a regular file.
 * @throws {ToolError} `IO` when it cannot be read.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { BUILTIN_CONFIG_KINDS, loadConfigKinds } from "./config_kinds.ts";
 * const root = await mkdtemp(join(tmpdir(), "kinds-"));
 * strictEqual((await loadConfigKinds(root)).length, BUILTIN_CONFIG_KINDS.length);
 * await rm(root, { recursive: true });
 * ```
 */
export async function loadConfigKinds(root: string): Promise<ConfigKind[]> {
  return await configKindsFrom(await readRepoConfig(root));
}

/**
 * The config kinds given the bytes of `.mcp-orchestration/config.json` (or
 * undefined when there is none), wherever they were read: a working tree, a
 * commit, the index.
 *
 * @param bytes The file's bytes, or undefined.
 * @returns Built-in kinds first, then the repository's.
 * @throws {ConfigError} When the file is not valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, configKindsFrom } from "./config_kinds.ts";
 * assert.equal((await configKindsFrom(undefined)).length, BUILTIN_CONFIG_KINDS.length);
 * ```
 */
export async function configKindsFrom(
  bytes: Uint8Array | undefined,
): Promise<ConfigKind[]> {
  return bytes === undefined
    ? [...BUILTIN_CONFIG_KINDS]
    : [...BUILTIN_CONFIG_KINDS, ...await repoConfigKinds(bytes)];
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

/** The segments of a repository-relative path; throws for anything else. */
function repositorySegments(path: string): string[] {
  const segments = path.split("/");
  if (
    segments.some((segment) =>
      segment === "" || segment === "." || segment === ".."
    )
  ) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot match ${quote(path)}: not a repository-relative path`,
    );
  }
  return segments;
}

/** Whether no path at or beneath these segments can be a config. */
function neverConfig(segments: readonly string[]): boolean {
  return segments[0] === STORE_DIR || segments.includes(".git");
}

// --- Matching ---

/**
 * A compiled pattern: its segments as code points of their canonical form,
 * `**` kept as a marker (and `**\/**` as one), with the raw segments beside
 * them, index for index, to build example paths from.
 */
interface CompiledPattern {
  parts: (string[] | "**")[];
  raw: string[];
}

const compiled = new Map<string, CompiledPattern>();

function compilePattern(pattern: string): CompiledPattern {
  let result = compiled.get(pattern);
  if (result === undefined) {
    result = { parts: [], raw: [] };
    for (const segment of pattern.split("/")) {
      if (segment === "**" && result.parts.at(-1) === "**") continue;
      result.parts.push(segment === "**" ? "**" : [...canonicalName(segment)]);
      result.raw.push(segment);
    }
    compiled.set(pattern, result);
  }
  return result;
}

/**
 * Whether pattern segments match path segments. Walks the set of path
 * positions each pattern prefix can reach, so the cost is at most
 * (pattern segments × path segments) segment matches, whatever the pattern.
 */
function matchPath(
  pattern: readonly (string[] | "**")[],
  names: readonly string[][],
): boolean {
  let reach = [0];
  for (const part of pattern) {
    if (part === "**") {
      const from = reach[0];
      if (from === undefined) return false;
      reach = Array.from(
        { length: names.length - from + 1 },
        (_, i) => from + i,
      );
    } else {
      reach = reach.filter((at) =>
        at < names.length && matchSegment(part, names[at]!)
      ).map((at) => at + 1);
    }
  }
  return reach.includes(names.length);
}

/**
 * The pattern positions that matching all of `names` can leave it at: the
 * states of the pattern's automaton after reading them, where "**" either
 * takes a name and stays or is skipped. Position `pattern.length` means the
 * pattern matched them all.
 */
function positionsAfter(
  pattern: readonly (string[] | "**")[],
  names: readonly string[][],
): Set<number> {
  const close = (states: Set<number>) => {
    for (const state of states) {
      if (pattern[state] === "**") states.add(state + 1);
    }
    return states;
  };
  let states = close(new Set([0]));
  for (const name of names) {
    const next = new Set<number>();
    for (const state of states) {
      const part = pattern[state];
      if (part === "**") next.add(state);
      else if (part !== undefined && matchSegment(part, name)) {
        next.add(state + 1);
      }
    }
    states = close(next);
    if (states.size === 0) break;
  }
  return states;
}

/**
 * The fewest names that a pattern matches from position `state` on, at
 * least one: "**" matches none, a literal itself, a wildcard segment the
 * name it spells with "*" dropped and "?" as "x" (or with "x" for each,
 * when dropping would leave no valid name).
 */
function exampleSegments(pattern: CompiledPattern, state: number): string[] {
  const names: string[] = [];
  for (let at = state; at < pattern.parts.length; at++) {
    const part = pattern.parts[at]!;
    if (part === "**") continue;
    const raw = pattern.raw[at]!;
    const dropped = raw.replaceAll("*", "").replaceAll("?", "x");
    const valid = !["", ".", "..", ".git"].includes(dropped) &&
      matchSegment(part, [...canonicalName(dropped)]);
    names.push(valid ? dropped : raw.replaceAll("*", "x").replaceAll("?", "x"));
  }
  // Only "**" left: any one name matches.
  return names.length > 0 ? names : ["mcp.json"];
}

/** Wildcard match of one segment; backtracks only to the last "*", so it is O(pattern × name). */
function matchSegment(
  pattern: readonly string[],
  name: readonly string[],
): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let starName = 0;
  while (n < name.length) {
    if (
      p < pattern.length && pattern[p] !== "*" &&
      (pattern[p] === "?" || pattern[p] === name[n])
    ) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      starName = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++starName;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

// --- Paths seen through a link ---

/** One pattern of a {@linkcode PatternAutomaton}. */
interface AutomatonPattern {
  /** The compiled segments. */
  parts: readonly (string[] | "**")[];
  /** The number of its first state. */
  offset: number;
  /** Per position, the positions reachable by skipping "**" segments. */
  closures: number[][];
}

/**
 * The patterns of some kinds as one automaton over path segments, for
 * telling in one pass over a listing which paths that a client reads
 * through a symbolic link can be configs (hidden_configs.ts).
 *
 * A state is a position in one kind's pattern (a number, the same across
 * calls of one automaton); the state after a pattern's last segment means
 * "matched". Names are compared as {@linkcode findConfigKind} compares them.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, PatternAutomaton } from "./config_kinds.ts";
 * const automaton = new PatternAutomaton(BUILTIN_CONFIG_KINDS);
 * // ".cursor" then "mcp.json" completes "**\/.cursor/mcp.json":
 * const after = automaton.statesAfter(".cursor");
 * strictEqual(automaton.endingIn("mcp.json").some((s) => after.includes(s)), true);
 * strictEqual(automaton.endingIn("README.md").length, 0);
 * ```
 */
export class PatternAutomaton {
  readonly #patterns: AutomatonPattern[] = [];

  /**
   * Builds the automaton.
   *
   * @param kinds The kinds whose patterns it runs.
   */
  constructor(kinds: readonly ConfigKind[]) {
    let offset = 0;
    for (const kind of kinds) {
      const parts = compilePattern(kind.pattern).parts;
      // From position q, "**" can be skipped: the positions reachable
      // without reading a segment.
      const closures = Array.from({ length: parts.length + 1 }, (_, q) => {
        const reach = [q];
        while (parts[reach.at(-1)!] === "**") reach.push(reach.at(-1)! + 1);
        return reach;
      });
      this.#patterns.push({ parts, offset, closures });
      offset += parts.length + 1;
    }
  }

  /**
   * The states after reading a path's segments from each pattern's start.
   *
   * @param path A repository-relative path.
   * @returns The states, none for a path beneath which nothing is a config.
   * @throws {ToolError} `BAD_PATH` for a path that is not repository-relative.
   */
  statesAfter(path: string): number[] {
    const segments = repositorySegments(path);
    if (neverConfig(segments)) return [];
    const names = segments.map((segment) => [...canonicalName(segment)]);
    return this.#patterns.flatMap((pattern) =>
      [...positionsAfter(pattern.parts, names)].map((q) => pattern.offset + q)
    );
  }

  /**
   * The states from which a file named `name` completes a pattern.
   *
   * @param name One path segment.
   * @returns The states.
   */
  endingIn(name: string): number[] {
    return this.#before(name, (pattern, q) => q === pattern.parts.length);
  }

  /**
   * The states from which `name`, then any path or none, can complete a
   * pattern: what a link or submodule named `name` can hide.
   *
   * @param name One path segment.
   * @returns The states.
   */
  through(name: string): number[] {
    return this.#before(name, () => true);
  }

  /**
   * The states from which `name` leads to one of `states`: those of a
   * folder, given those of one of its folders named `name`.
   *
   * @param name One path segment.
   * @param states States of the inner folder.
   * @returns The states.
   */
  before(name: string, states: readonly number[]): number[] {
    const wanted = new Set(states);
    return this.#before(
      name,
      (pattern, q) => wanted.has(pattern.offset + q),
      (pattern) =>
        states.some((s) =>
          s >= pattern.offset && s <= pattern.offset + pattern.parts.length
        ),
    );
  }

  // The states q from which reading `name` can reach a state that `hits`.
  #before(
    name: string,
    hits: (pattern: AutomatonPattern, q: number) => boolean,
    relevant: (pattern: AutomatonPattern) => boolean = () => true,
  ): number[] {
    const found: number[] = [];
    const nameChars = [...canonicalName(name)];
    for (const pattern of this.#patterns) {
      if (!relevant(pattern)) continue;
      const { parts, closures } = pattern;
      for (let q = 0; q < parts.length; q++) {
        const reaches = closures[q]!.some((from) => {
          const part = parts[from];
          if (part === undefined) return false;
          const to = part === "**"
            ? from
            : matchSegment(part, nameChars)
            ? from + 1
            : undefined;
          return to !== undefined &&
            closures[to]!.some((next) => hits(pattern, next));
        });
        if (reaches) found.push(pattern.offset + q);
      }
    }
    return found;
  }
}

// --- Reading .mcp-orchestration/config.json ---

const LABEL = "Invalid repository config";

function invalid(problem: string, cause?: unknown): ConfigError {
  return new ConfigError(REPO_CONFIG_PATH, problem, {
    label: LABEL,
    ...(cause === undefined ? {} : { cause }),
  });
}

function refused(problem: string, cause?: unknown): ConfigError {
  return new ConfigError(REPO_CONFIG_PATH, problem, {
    label: "Refusing repository config",
    ...(cause === undefined ? {} : { cause }),
  });
}

async function readRepoConfig(root: string): Promise<Uint8Array | undefined> {
  const store = await lstatOrUndefined(join(root, STORE_DIR));
  if (store?.isSymbolicLink()) refuse(`"${STORE_DIR}" is a symbolic link`);
  if (!store?.isDirectory()) return undefined;
  const file = join(root, REPO_CONFIG_PATH);
  const info = await lstatOrUndefined(file);
  if (info === undefined) return undefined;
  if (info.isSymbolicLink()) {
    refuse("it is a symbolic link; replace it with a regular file");
  }
  if (!info.isFile()) refuse("it is not a regular file");
  try {
    // The shared reader refuses a symlink swapped in after the lstat above
    // (it compares device and inode), and reads one byte past the limit so
    // that parseConfig reports an oversized file.
    return readFileLimitedSync(file, MAX_CONFIG_BYTES + 1, {
      refuseSymlink: true,
      displayName: REPO_CONFIG_PATH,
    });
  } catch (error) {
    if (error instanceof ToolError && error.code === "BAD_PATH") {
      refuse(
        "it is a symbolic link or not a regular file; replace it with a regular file",
        error,
      );
    }
    if (error instanceof ToolError && error.code === "INVALID_FORMAT") {
      throw invalid(`over the limit of ${MAX_CONFIG_BYTES} bytes`, error);
    }
    throw error;
  }
}

function refuse(problem: string, cause?: unknown): never {
  throw refused(problem, cause);
}

async function lstatOrUndefined(path: string) {
  try {
    return await fs.lstat(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw readError(error);
  }
}

function errnoCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

function readError(error: unknown): ToolError {
  return new ToolError(
    "IO",
    `Cannot read "${REPO_CONFIG_PATH}": ${errorMessage(error)}`,
    { cause: error },
  );
}

// --- Validating .mcp-orchestration/config.json ---

const FORMATS: readonly ConfigFormat[] = ["json", "jsonc", "toml"];

async function repoConfigKinds(bytes: Uint8Array): Promise<ConfigKind[]> {
  const root = await parseConfig(REPO_CONFIG_PATH, bytes, {
    format: "json",
    label: LABEL,
  });
  onlyKeys(root, "the top level", ["version", "configs"]);
  if (!Object.hasOwn(root, "version")) {
    throw invalid('missing "version" (write "version": 1)');
  }
  if (root.version !== 1) {
    throw invalid(
      typeof root.version === "number"
        ? `"version" is ${root.version}: only 1 is supported`
        : '"version" must be the number 1',
    );
  }
  if (!Object.hasOwn(root, "configs")) {
    throw invalid('missing "configs" (a list of patterns)');
  }
  const entries = root.configs;
  if (!Array.isArray(entries)) throw invalid('"configs" must be a list');
  if (entries.length > MAX_REPO_CONFIG_PATTERNS) {
    throw invalid(
      `"configs" has ${entries.length} entries, over the limit of ${MAX_REPO_CONFIG_PATTERNS}`,
    );
  }
  const seen = new Map<string, number>();
  return entries.map((entry: unknown, index) => {
    const where = `configs[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw invalid(`${where} must be an object`);
    }
    const fields = entry as Record<string, unknown>;
    onlyKeys(fields, where, ["pattern", "format", "servers", "client"]);
    const pattern = requiredString(fields, where, "pattern");
    const problem = patternProblem(pattern);
    if (problem) {
      throw invalid(`${where}.pattern ${quote(pattern)}: ${problem}`);
    }
    const earlier = seen.get(pattern);
    if (earlier !== undefined) {
      throw invalid(
        `${where}.pattern ${quote(pattern)}: same as configs[${earlier}]`,
      );
    }
    seen.set(pattern, index);
    const format = requiredString(fields, where, "format");
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw invalid(
        `${where}.format is ${quote(format)}: use "json", "jsonc" or "toml"`,
      );
    }
    const serversKey = requiredString(fields, where, "servers");
    const client = Object.hasOwn(fields, "client")
      ? requiredString(fields, where, "client")
      : "MCP client";
    return { client, pattern, format: format as ConfigFormat, serversKey };
  });
}

function onlyKeys(
  object: Record<string, unknown>,
  where: string,
  allowed: readonly string[],
): void {
  const unknown = Object.keys(object).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw invalid(
      `${where}: unknown key ${quote(unknown)} (allowed: ${
        allowed.map(quote).join(", ")
      })`,
    );
  }
}

function requiredString(
  fields: Record<string, unknown>,
  where: string,
  key: string,
): string {
  if (!Object.hasOwn(fields, key)) throw invalid(`${where}: missing "${key}"`);
  const value = fields[key];
  if (typeof value !== "string" || value === "") {
    throw invalid(`${where}.${key} must be a non-empty string`);
  }
  if ([...value].length > MAX_REPO_CONFIG_STRING) {
    throw invalid(
      `${where}.${key} is over the limit of ${MAX_REPO_CONFIG_STRING} characters`,
    );
  }
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(value)) {
    throw invalid(`${where}.${key} contains a control or invisible character`);
  }
  return value;
}

/** Why a repository pattern is refused, or undefined when it is fine. */
function patternProblem(pattern: string): string | undefined {
  if (pattern.startsWith("/")) {
    return 'leading "/": patterns are relative to the repository root';
  }
  if (pattern.includes("\\")) return 'backslash: separate folders with "/"';
  if (pattern.startsWith("!")) {
    return 'leading "!": patterns can only add files, never exclude them';
  }
  if (/[[\]{}]/.test(pattern)) {
    return 'unsupported glob syntax: only "*", "?" and "**" are special';
  }
  const segments = pattern.split("/");
  if (segments.some((segment) => segment === "")) return "empty path segment";
  if (segments.some((segment) => segment === "." || segment === "..")) {
    return '"." or ".." segment';
  }
  if (segments.some((segment) => segment.includes("**") && segment !== "**")) {
    return '"**" must be a whole path segment';
  }
  if (
    canonicalName(segments[0]!) === STORE_DIR ||
    segments.some((segment) => canonicalName(segment) === ".git")
  ) {
    return `nothing inside "${STORE_DIR}/" or ".git/" can be a config`;
  }
  return undefined;
}
