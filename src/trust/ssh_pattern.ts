/**
 * OpenSSH's wildcard pattern lists (`ssh_config(5)`, PATTERNS), as an
 * allowed_signers line's `namespaces="…"` option uses them: `*` matches any
 * run of characters, `?` exactly one, and a matching entry that starts with
 * `!` vetoes the whole list. Follows OpenSSH 9.2's match_pattern_list() in
 * `match.c`, case-sensitive as sshsig.c calls it.
 *
 * @module
 */

// match_pattern_list() gives up on a sub-pattern this long.
const MAX_SUBPATTERN = 1023;

/**
 * Matches a value against an OpenSSH pattern list, as OpenSSH's
 * match_pattern_list() does for a case-sensitive list: the value must match
 * at least one entry, and a matching `!` entry vetoes. An entry of 1023
 * characters or more (after its `!`) makes the whole list fail, as in OpenSSH.
 *
 * @param value The text to match, e.g. a signature's namespace.
 * @param patterns The list's entries, already split at commas.
 * @returns Whether the value matches the list.
 * @throws Never.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchPatternList } from "./ssh_pattern.ts";
 * assert.equal(matchPatternList("mcp-orchestration", ["git", "mcp-*"]), true);
 * assert.equal(matchPatternList("mcp-orchestration", ["*", "!mcp-?rchestration"]), false);
 * assert.equal(matchPatternList("file", ["!git"]), false);
 * ```
 */
export function matchPatternList(value: string, patterns: string[]): boolean {
  let positive = false;
  for (const entry of patterns) {
    const negated = entry.startsWith("!");
    const pattern = negated ? entry.slice(1) : entry;
    if (pattern.length >= MAX_SUBPATTERN) return false;
    if (_matchPattern(value, pattern)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** Glob match with `*` (any run) and `?` (one character), in linear time. */
function _matchPattern(value: string, pattern: string): boolean {
  let v = 0;
  let p = 0;
  let starP = -1;
  let starV = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === value[v])) {
      v++;
      p++;
    } else if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starV = v;
    } else if (starP >= 0) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
