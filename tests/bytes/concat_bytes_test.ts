import assert from "node:assert/strict";
import { concatBytes } from "../../src/bytes/concat_bytes.ts";

Deno.test("concatBytes joins chunks in order", () => {
  assert.deepEqual(concatBytes([]), new Uint8Array());
  assert.deepEqual(
    concatBytes([Uint8Array.of(1), new Uint8Array(), Uint8Array.of(2, 3)]),
    Uint8Array.of(1, 2, 3),
  );
});
