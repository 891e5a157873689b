import assert from "node:assert/strict";
import {
  MAX_QUOTED_CHARS,
  quote,
  QUOTED_PREFIX_CHARS,
} from "../../src/format/quote.ts";

// [value, quoted]
const CASES: [string, string][] = [
  ["", '""'],
  [".mcp.json", '".mcp.json"'],
  ['say "hi"\\', '"say \\"hi\\"\\\\"'],
  // C0 controls: JSON's own escapes.
  ["a\nb\tc\u0000", '"a\\nb\\tc\\u0000"'],
  ["\u001b]0;owned\u0007", '"\\u001b]0;owned\\u0007"'],
  // C1 (U+009B is CSI on some terminals), DEL.
  ["\u009b31m\u007f", '"\\u{9b}31m\\u{7f}"'],
  // Bidi override, zero width space, line separator, no-break space.
  [
    "a\u202eb\u200bc\u2028d\u00a0e",
    '"a\\u{202e}b\\u{200b}c\\u{2028}d\\u{a0}e"',
  ],
  // Private use, unassigned; an ordinary space and non-ASCII letters stay.
  ["\ue000\u{10ffff} é 日", '"\\u{e000}\\u{10ffff} é 日"'],
];

Deno.test("quote: JSON syntax, every invisible character escaped", () => {
  for (const [value, quoted] of CASES) {
    assert.equal(quote(value), quoted, JSON.stringify(value));
  }
});

Deno.test("quote: a value of up to 80 code points is shown whole", () => {
  const whole = "x".repeat(MAX_QUOTED_CHARS);
  assert.equal(quote(whole), `"${whole}"`);
  // Counted in code points: 80 emoji are 160 UTF-16 units.
  const emoji = "😀".repeat(MAX_QUOTED_CHARS);
  assert.equal(quote(emoji), `"${emoji}"`);
});

Deno.test("quote: a longer value keeps its first 77 code points and an ellipsis", () => {
  assert.equal(
    quote("x".repeat(MAX_QUOTED_CHARS + 1)),
    `"${"x".repeat(QUOTED_PREFIX_CHARS)}…"`,
  );
  // Never half a surrogate pair.
  const emoji = "😀".repeat(200);
  assert.equal(quote(emoji), `"${"😀".repeat(QUOTED_PREFIX_CHARS)}…"`);
  // Escapes apply after the cut, so they never hide the ellipsis.
  assert.equal(
    quote("\u202e".repeat(100)),
    `"${"\\u{202e}".repeat(QUOTED_PREFIX_CHARS)}…"`,
  );
});
