/**
 * The glob engine that config patterns run on: which repository paths a
 * pattern matches, what it can match beneath a folder, and one automaton
 * over many patterns for a listing seen through links. It knows nothing of
 * clients or formats (config_kinds.ts) nor of where patterns come from
 * (repository_patterns.ts).
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
 * @module
 */

import { STORE_DIR } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { quote } from "../format/quote.ts";
import { canonicalName } from "./path_names.ts";

/**
 * The segments of a repository-relative path.
 *
 * @param path Repository-relative, "/"-separated path.
 * @returns Its segments.
 * @throws {ToolError} `BAD_PATH` for a path that is empty, absolute, or has
 * an empty, "." or ".." segment.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { repositorySegments } from "./path_glob.ts";
 * deepStrictEqual(repositorySegments("a/.mcp.json"), ["a", ".mcp.json"]);
 * ```
 */
export function repositorySegments(path: string): string[] {
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

/**
 * Whether no path at or beneath these segments can be a config: the store
 * at the root, and any `.git` folder.
 *
 * @param segments A path's segments.
 * @returns True when nothing there is ever a config.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { neverConfig } from "./path_glob.ts";
 * strictEqual(neverConfig(["sub", ".git", "x"]), true);
 * ```
 */
export function neverConfig(segments: readonly string[]): boolean {
  return segments[0] === STORE_DIR || segments.includes(".git");
}

// --- Matching ---

/**
 * A compiled pattern: its segments as code points of their canonical form,
 * `**` kept as a marker (and `**\/**` as one), with the raw segments beside
 * them, index for index, to build example paths from.
 */
export interface CompiledPattern {
  /** Per segment, its canonical code points, or the `**` marker. */
  parts: (string[] | "**")[];
  /** The segments as written, for example paths. */
  raw: string[];
}

const compiled = new Map<string, CompiledPattern>();

/**
 * Compiles a pattern (once: the result is cached).
 *
 * @param pattern A pattern, as in the module docs.
 * @returns Its compiled form.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { compilePattern } from "./path_glob.ts";
 * strictEqual(compilePattern("**\/**\/a").parts.length, 2);
 * ```
 */
export function compilePattern(pattern: string): CompiledPattern {
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
 *
 * @param pattern A compiled pattern's parts.
 * @param names The path's segments, as canonical code points.
 * @returns True when the whole path matches.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { compilePattern, matchPath } from "./path_glob.ts";
 * strictEqual(matchPath(compilePattern("**\/a").parts, [["x"], ["a"]]), true);
 * ```
 */
export function matchPath(
  pattern: readonly (string[] | "**")[],
  names: readonly string[][],
): boolean {
  // A pattern that ends in a segment matches only paths whose last name
  // that segment matches: tested first, it rules out nearly every path at
  // the cost of one name (a listing is tried against every kind).
  const last = pattern.at(-1);
  if (last !== undefined && last !== "**") {
    const name = names.at(-1);
    if (name === undefined || !matchSegment(last, name)) return false;
  }
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
 *
 * @param pattern A compiled pattern's parts.
 * @param names Path segments, as canonical code points.
 * @returns The positions.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { compilePattern, positionsAfter } from "./path_glob.ts";
 * deepStrictEqual([...positionsAfter(compilePattern("a/b").parts, [["a"]])], [1]);
 * ```
 */
export function positionsAfter(
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
 *
 * @param pattern A compiled pattern.
 * @param state A position in it.
 * @returns The names, in order.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { compilePattern, exampleSegments } from "./path_glob.ts";
 * deepStrictEqual(exampleSegments(compilePattern("tools/*\/mcp.json"), 1), ["x", "mcp.json"]);
 * ```
 */
export function exampleSegments(
  pattern: CompiledPattern,
  state: number,
): string[] {
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

/**
 * Wildcard match of one segment; backtracks only to the last "*", so it is
 * O(pattern × name).
 *
 * @param pattern The segment's pattern, as code points.
 * @param name The name, as canonical code points.
 * @returns True when the pattern matches the whole name.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { matchSegment } from "./path_glob.ts";
 * strictEqual(matchSegment([..."*.json"], [..."mcp.json"]), true);
 * ```
 */
export function matchSegment(
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
 * import { PatternAutomaton } from "./path_glob.ts";
 * import { BUILTIN_CONFIG_KINDS } from "./config_kinds.ts";
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
   * @param kinds The kinds (or anything with a pattern) whose patterns it
   * runs.
   */
  constructor(kinds: readonly { readonly pattern: string }[]) {
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
