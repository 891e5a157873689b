import assert from "node:assert/strict";
import { equalBytes } from "../../src/bytes/equal_bytes.ts";
import { timingSafeEqual } from "../../src/bytes/timing_safe_equal.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

// [a, b, equal]
const CASES: [Uint8Array, Uint8Array, boolean][] = [
  [bytes(), bytes(), true],
  [bytes(0), bytes(0), true],
  [bytes(1, 2, 3), bytes(1, 2, 3), true],
  [bytes(), bytes(0), false],
  [bytes(1, 2, 3), bytes(1, 2), false],
  [bytes(1, 2), bytes(1, 2, 3), false],
  [bytes(1, 2, 3), bytes(0, 2, 3), false],
  [bytes(1, 2, 3), bytes(1, 2, 4), false],
  [bytes(0xff), bytes(0x7f), false],
  // Views compare their own window only, not the buffer beneath.
  [bytes(9, 1, 2).subarray(1), bytes(1, 2), true],
  [bytes(9, 1, 2).subarray(0, 2), bytes(1, 2), false],
];

for (const compare of [equalBytes, timingSafeEqual]) {
  Deno.test(`${compare.name}: equal exactly when length and bytes are`, () => {
    for (const [a, b, expected] of CASES) {
      assert.equal(compare(a, b), expected, `${[...a]} vs ${[...b]}`);
      assert.equal(compare(b, a), expected, `${[...b]} vs ${[...a]}`);
    }
  });
}

Deno.test("equalBytes and timingSafeEqual agree on every one-byte change", () => {
  const base = bytes(...Array.from({ length: 64 }, (_, i) => i * 3));
  for (let at = 0; at < base.length; at++) {
    for (const flip of [1, 0x80]) {
      const other = base.slice();
      other[at]! ^= flip;
      assert.equal(equalBytes(base, other), false);
      assert.equal(timingSafeEqual(base, other), false);
    }
  }
  assert.ok(equalBytes(base, base.slice()));
  assert.ok(timingSafeEqual(base, base.slice()));
});
