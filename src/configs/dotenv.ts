/**
 * Reads a `.env` file as the `dotenv` package's `parse` (version 16, the one
 * Continue uses for its secrets) reads it, so that we see the values a
 * client would fill into a config:
 *
 * - CRLF and lone CR end lines; `export ` before a key is ignored;
 * - a key is `[A-Za-z0-9_.-]+`, followed by `=` (or `: `);
 * - a value in `'…'`, `"…"` or `` `…` `` may span lines; in `"…"`, `\n`
 *   and `\r` become a line feed and a carriage return;
 * - an unquoted value runs to `#` or the end of the line, trimmed;
 * - a later line for the same key wins.
 *
 * @module
 */

// dotenv 16's line rule (lib/main.js, LINE), written out: the same
// alternation, in the same order, so the same text gives the same values.
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

/**
 * Parses a `.env` file's text into its values, as `dotenv.parse` does.
 *
 * @param text The file's text.
 * @returns Each key's value (the last line for a key wins).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseDotenv } from "./dotenv.ts";
 * deepStrictEqual(
 *   parseDotenv('A=1 # note\nexport B="x\\ny"\nC=\'z\'\n'),
 *   new Map([["A", "1"], ["B", "x\ny"], ["C", "z"]]),
 * );
 * ```
 */
export function parseDotenv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  const lines = text.replace(/\r\n?/g, "\n");
  for (const match of lines.matchAll(LINE)) {
    const key = match[1]!;
    let value = (match[2] ?? "").trim();
    const quote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    if (quote === '"') {
      value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    }
    values.set(key, value);
  }
  return values;
}
