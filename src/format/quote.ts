/**
 * Quoting a value from a file, git or the user for a message, the one way
 * the tool does it.
 *
 * @module
 */

/** Longest value shown whole, in code points. */
export const MAX_QUOTED_CHARS = 80;
/** How many code points of a longer value are shown, before an ellipsis. */
export const QUOTED_PREFIX_CHARS = 77;

// Controls, format characters (bidi overrides, zero widths), line and
// paragraph separators, private-use and unassigned code points, and every
// space but the plain one: what could hide in, or rewrite, a terminal line.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]|(?! )\p{Zs}/gu;
// The same, without the global flag's state, for a test.
const ANY_INVISIBLE = new RegExp(INVISIBLE.source, "u");

/**
 * Quotes a value for a message: JSON string syntax, invisible and
 * terminal-control characters escaped as `\u{…}`, and a value longer than
 * {@linkcode MAX_QUOTED_CHARS} code points cut to its first
 * {@linkcode QUOTED_PREFIX_CHARS} and an ellipsis. Counting code points
 * never splits a surrogate pair. So a hostile
 * key, path or line can neither hide in the user's terminal nor flood it.
 *
 * @param value The value, as read.
 * @returns The value in double quotes, safe to print.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quote } from "./quote.ts";
 * assert.equal(quote('a"b'), '"a\\"b"');
 * assert.equal(quote("\u001b[2Jx\u202e"), '"\\u001b[2Jx\\u{202e}"');
 * assert.equal(quote("y".repeat(81)), `"${"y".repeat(77)}…"`);
 * ```
 */
export function quote(value: string): string {
  const chars = [...value];
  const shown = chars.length > MAX_QUOTED_CHARS
    ? `${chars.slice(0, QUOTED_PREFIX_CHARS).join("")}…`
    : value;
  return escapeInvisible(JSON.stringify(shown));
}

/**
 * Escapes, as `\u{…}`, every character that {@linkcode quote} escapes:
 * controls (line breaks and tabs included), format characters (bidi
 * overrides, zero widths), line and paragraph separators, private-use and
 * unassigned code points, and every space but the plain one. Whatever the
 * text holds, the result is one line that shows every character it prints.
 * Unlike {@linkcode quote} it neither adds quotes nor shortens the text.
 *
 * @param text Any text.
 * @returns The text with those characters escaped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeInvisible } from "./quote.ts";
 * assert.equal(escapeInvisible("a\nb\u202ec"), "a\\u{a}b\\u{202e}c");
 * ```
 */
export function escapeInvisible(text: string): string {
  return text.replace(
    INVISIBLE,
    (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`,
  );
}

/**
 * Whether the text holds a character that {@linkcode escapeInvisible}
 * escapes.
 *
 * @param text Any text.
 * @returns True when some character is invisible or a control.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasInvisible } from "./quote.ts";
 * assert.equal(hasInvisible("a b"), false);
 * assert.equal(hasInvisible("a\u00a0b"), true);
 * ```
 */
export function hasInvisible(text: string): boolean {
  return ANY_INVISIBLE.test(text);
}
