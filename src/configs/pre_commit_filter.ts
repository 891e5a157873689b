/**
 * Which staged changes may concern the pre-commit hook, in one table that
 * both of its checks are built from: the tool's exact rule
 * ({@linkcode mayConcernPreCommit}, before it reads any object) and the
 * hook stub's shell test (`hooks/stubs.ts` builds its `awk` pattern from
 * {@linkcode PRE_COMMIT_NAMES}), which spares a commit that touches no MCP
 * config a tool start. The stub's test is the same table read coarsely (any
 * staged path that contains a name, in ASCII lower case, or is quoted by
 * Git), so it never lets through a change this rule would look at; a test
 * runs both over every built-in kind and tricky paths.
 *
 * @module
 */

import { STORE_DIR } from "../constants.ts";
import {
  BUILTIN_CONFIG_KINDS,
  findConfigKind,
  mayBeConfigName,
} from "./config_kinds.ts";
import { canonicalName } from "./path_names.ts";

/** Git's modes for a symbolic link and a submodule: either may lead to a config. */
export const LINK_MODES: readonly string[] = Object.freeze([
  "120000",
  "160000",
]);

/** The name of the files that say how Git checks the others out. */
export const ATTRIBUTES_NAME = ".gitattributes";

// Kinds named by their file name (`.cursor/mcp.json`), and kinds of a
// folder of files (`.kiro/agents/*.json`): for those, "any .json file" is
// too wide a net for a commit's fast path, so the folder's name is used.
// So it is for a file name that many projects use for other things
// (node-config's `config/default.json`): known by its folder too.
const COMMON_NAMES: readonly string[] = [
  "default.json",
  "plugin.json",
  "marketplace.json",
];
const NAMED_KINDS = BUILTIN_CONFIG_KINDS.filter((kind) =>
  !byFolder(lastSegment(kind.pattern))
);
const FOLDER_KINDS = BUILTIN_CONFIG_KINDS.filter((kind) =>
  !NAMED_KINDS.includes(kind)
);

function lastSegment(pattern: string): string {
  return pattern.slice(pattern.lastIndexOf("/") + 1);
}

function byFolder(name: string): boolean {
  return /[*?]/.test(name) || COMMON_NAMES.includes(name);
}

// The text every path of a kind contains (as a case-insensitive checkout
// names it, lowercased): its file name, or for a folder of files the
// folder's name.
function stubName(pattern: string): string {
  const segments = pattern.split("/");
  const last = segments.at(-1)!;
  if (!byFolder(last)) return last;
  const folder = segments.at(-2);
  if (folder === undefined || folder === "**" || /[*?]/.test(folder)) {
    throw new Error(`No fixed folder name in the pattern "${pattern}"`);
  }
  return folder;
}

/**
 * The names a staged change may concern the hook by: every built-in
 * config's file name (or, for a folder of configs such as
 * `.kiro/agents/*.json` and for a common file name such as
 * `.amazonq/default.json`, the folder's name), and `.gitattributes`. (The
 * store, {@linkcode STORE_DIR}, and {@linkcode LINK_MODES} are the rest of
 * the table.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRE_COMMIT_NAMES } from "./pre_commit_filter.ts";
 * assert.ok(PRE_COMMIT_NAMES.includes("mcp.json"));
 * assert.ok(PRE_COMMIT_NAMES.includes("mcpServers"));
 * ```
 */
export const PRE_COMMIT_NAMES: readonly string[] = Object.freeze([
  ...new Set([
    ...BUILTIN_CONFIG_KINDS.map((kind) => stubName(kind.pattern)),
    ATTRIBUTES_NAME,
  ]),
]);

/** A staged change, as `git diff --cached --raw` gives it. */
export interface StagedPath {
  /** Repository-relative path. */
  path: string;
  /** The staged mode, e.g. `"100644"`. */
  mode: string;
}

/**
 * Whether a staged change may concern the pre-commit hook, before any
 * object is read: a path in the store, a link or a submodule, a file named
 * (as a case-insensitive checkout sees names) like a built-in config or
 * `.gitattributes`, or a file of a built-in folder of configs
 * (`.kiro/agents/x.json`) or a built-in config known by its folder
 * (`.amazonq/default.json`). Repository patterns (`config.json`) are the
 * caller's: with them, any path may be a config.
 *
 * A file that a client reads as `.kiro/agents/x.json` only through a
 * symbolic link (`.kiro/agents -> y`, staged `y/x.json`) is not looked at
 * here: the link itself fails verification (src/configs/hidden_configs.ts),
 * before and after such a commit.
 *
 * @param change The staged path and mode.
 * @returns False when the change cannot concern the hook.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayConcernPreCommit } from "./pre_commit_filter.ts";
 * assert.equal(mayConcernPreCommit({ path: "a/.Cursor/MCP.json", mode: "100644" }), true);
 * assert.equal(mayConcernPreCommit({ path: "README.md", mode: "100644" }), false);
 * ```
 */
export function mayConcernPreCommit(change: StagedPath): boolean {
  const name = change.path.slice(change.path.lastIndexOf("/") + 1);
  return change.path.startsWith(`${STORE_DIR}/`) ||
    LINK_MODES.includes(change.mode) ||
    canonicalName(name) === ATTRIBUTES_NAME ||
    mayBeConfigName(name, NAMED_KINDS) ||
    inConfigFolder(change.path);
}

function inConfigFolder(path: string): boolean {
  try {
    return findConfigKind(path, FOLDER_KINDS) !== undefined;
  } catch {
    return false; // "./x", "a//b": Git never prints such a path.
  }
}
