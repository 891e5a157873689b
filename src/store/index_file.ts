/**
 * The index: which statement is current for each signed path. One line per
 * path, sorted, so that Git diffs and merges it line by line:
 *
 * ```text
 * mcp-orchestration-index v1
 * <statement id, 64 hex> SP <repository-relative path> LF
 * ```
 *
 * The index is a lookup aid, not a trust anchor: a verifier takes nothing
 * from it but where to look, and checks the statement it points to.
 *
 * @module
 */

import { ID_PATTERN, INDEX_HEADER } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { splitStrictLines } from "../format/lines.ts";
import { comparePaths } from "../git/repository.ts";
import { pathProblem } from "./statement.ts";

/** Path → statement id, for every signed config. */
export type StoreIndex = Map<string, string>;

/**
 * Parses the index strictly: header, one `id path` per line, sorted by path,
 * no duplicates, final newline.
 *
 * @param bytes The index file's bytes.
 * @param source Where they came from, for errors.
 * @returns The map from path to statement id.
 * @throws {ToolError} `INVALID_FORMAT` naming the line and the problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIndex, parseIndex } from "./index_file.ts";
 * const index = new Map([[".mcp.json", "a".repeat(64)]]);
 * assert.ok(parseIndex(formatIndex(index), "doc").get(".mcp.json") === "a".repeat(64));
 * ```
 */
export function parseIndex(bytes: Uint8Array, source: string): StoreIndex {
  const fail = (detail: string): never => {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid signature index "${source}": ${detail}`,
    );
  };
  const lines = splitStrictLines(bytes, fail);
  if (lines[0] !== INDEX_HEADER) fail(`line 1 must be "${INDEX_HEADER}"`);
  const index: StoreIndex = new Map();
  let last: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const id = line.slice(0, 64);
    const path = line.slice(65);
    if (!ID_PATTERN.test(id) || line[64] !== " ") {
      fail(
        `line ${
          i + 1
        } must be a statement id (64 lowercase hex digits), a space and a path`,
      );
    }
    const problem = pathProblem(path);
    if (problem) fail(`line ${i + 1}: path "${path}" ${problem}`);
    if (last !== undefined && comparePaths(last, path) >= 0) {
      fail(
        `line ${i + 1}: "${path}" is ${
          last === path ? "listed twice" : "out of order (paths are sorted)"
        }`,
      );
    }
    index.set(path, id);
    last = path;
  }
  return index;
}

/**
 * Encodes the index in its canonical form (sorted by path).
 *
 * @param index Path → statement id.
 * @returns The file's bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIndex } from "./index_file.ts";
 * const text = new TextDecoder().decode(formatIndex(new Map()));
 * assert.ok(text === "mcp-orchestration-index v1\n");
 * ```
 */
export function formatIndex(index: StoreIndex): Uint8Array {
  const paths = [...index.keys()].sort(comparePaths);
  const lines = [
    INDEX_HEADER,
    ...paths.map((path) => `${index.get(path)} ${path}`),
  ];
  return new TextEncoder().encode(lines.join("\n") + "\n");
}
