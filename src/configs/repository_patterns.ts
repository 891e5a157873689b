/**
 * The extra config patterns a repository adds in
 * `.mcp-orchestration/config.json`: reading the file safely and validating
 * it strictly, then adding its kinds after the built-in ones.
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
 *   - `format` (required): `"json"`, `"jsonc"`, `"toml"` or `"yaml"`.
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
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { readFileLimitedSync } from "../fs/files.ts";
import { quote } from "../format/quote.ts";
import {
  BUILTIN_CONFIG_KINDS,
  type ConfigFormat,
  type ConfigKind,
} from "./config_kinds.ts";
import { canonicalName } from "./path_names.ts";
import { ConfigError, parseConfig } from "./validate_config.ts";

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
 * import { BUILTIN_CONFIG_KINDS } from "./config_kinds.ts";
 * import { loadConfigKinds } from "./repository_patterns.ts";
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
 * import { BUILTIN_CONFIG_KINDS } from "./config_kinds.ts";
 * import { configKindsFrom } from "./repository_patterns.ts";
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

const FORMATS: readonly ConfigFormat[] = ["json", "jsonc", "toml", "yaml"];

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
        `${where}.format is ${
          quote(format)
        }: use "json", "jsonc", "toml" or "yaml"`,
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
  const problem = stringProblem(value);
  if (problem !== undefined) throw invalid(`${where}.${key} ${problem}`);
  return value as string;
}

/**
 * Why a value is refused where a settings file wants a string, or
 * undefined when it is fine: the rules of `config.json`'s strings above
 * (the policy's strings share them).
 *
 * @param value A parsed JSON value.
 * @returns The problem (to follow the field's name), or undefined.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { stringProblem } from "./repository_patterns.ts";
 * strictEqual(stringProblem("Our tools"), undefined);
 * strictEqual(stringProblem(""), "must be a non-empty string");
 * ```
 */
export function stringProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") {
    return "must be a non-empty string";
  }
  if ([...value].length > MAX_REPO_CONFIG_STRING) {
    return `is over the limit of ${MAX_REPO_CONFIG_STRING} characters`;
  }
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(value)) {
    return "contains a control or invisible character";
  }
  return undefined;
}

/**
 * Why a repository pattern is refused, or undefined when it is fine: the
 * rules of `configs[].pattern` above (the policy's rule patterns share them).
 *
 * @param pattern A pattern as written.
 * @returns The problem, or undefined.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { patternProblem } from "./repository_patterns.ts";
 * strictEqual(patternProblem("tools/*\/mcp.json"), undefined);
 * strictEqual(patternProblem("../x"), '"." or ".." segment');
 * ```
 */
export function patternProblem(pattern: string): string | undefined {
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
