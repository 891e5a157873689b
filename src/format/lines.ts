/**
 * Strict line-based text, the shape of our own small formats (statement,
 * index): UTF-8, LF line endings, and a final LF.
 *
 * @module
 */

/**
 * Decodes UTF-8 text that must end with a newline and splits it into lines
 * (without their LF). A CR stays part of its line, so CRLF text fails the
 * caller's own checks instead of being silently accepted.
 *
 * @param bytes The file's bytes.
 * @param fail Throws the caller's error with a detail such as "not valid UTF-8".
 * @returns The lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitStrictLines } from "./lines.ts";
 * const fail = (detail: string): never => {
 *   throw new Error(detail);
 * };
 * assert.deepEqual(splitStrictLines(new TextEncoder().encode("a\nb\n"), fail), ["a", "b"]);
 * assert.throws(() => splitStrictLines(new TextEncoder().encode("a"), fail), /newline/);
 * ```
 */
export function splitStrictLines(
  bytes: Uint8Array,
  fail: (detail: string) => never,
): string[] {
  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes,
    );
  } catch {
    fail("not valid UTF-8");
  }
  if (!text.endsWith("\n")) fail("it must end with a newline");
  return text.slice(0, -1).split("\n");
}

/**
 * Whether text has a control character: below U+0020 (a tab allowed on
 * request) or DEL. What one-line fields (comments, principals, reasons)
 * must not hold, since a line break or escape in them could fake a line or
 * move a terminal's cursor.
 *
 * @param text The text.
 * @param options `allowTab`: a tab is no control character here.
 * @returns True when it has one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasControl } from "./lines.ts";
 * assert.equal(hasControl("a\tb", { allowTab: true }), false);
 * assert.equal(hasControl("a\nb", { allowTab: true }), true);
 * ```
 */
export function hasControl(
  text: string,
  options: { allowTab: boolean },
): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (
      (code < 0x20 && !(options.allowTab && code === 0x09)) || code === 0x7f
    ) return true;
  }
  return false;
}
