/**
 * Escaping of control characters in everything the tool writes to a
 * terminal or a log.
 *
 * @module
 */

// C0 controls but newline and tab, DEL, and the C1 controls (which some
// terminals obey as 8-bit escapes, e.g. U+009B, CSI).
// deno-lint-ignore no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Makes text safe for a terminal: every control character except newline and
 * tab becomes a visible `\u001b`-style escape, so that a file name from git
 * cannot move the cursor, hide output or retitle the window. In JSON output
 * the only raw controls left by `JSON.stringify` are C1 ones, whose escapes
 * keep the JSON valid and equal in value.
 *
 * @param text Text about to be written to stdout or stderr.
 * @returns The text, with control characters escaped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeControls } from "./escape_controls.ts";
 * assert.equal(escapeControls("a\u001b[8mb\tc\n"), "a\\u001b[8mb\tc\n");
 * assert.equal(JSON.parse(escapeControls(JSON.stringify("\u009b"))), "\u009b");
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(
    CONTROL_CHARACTERS,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
