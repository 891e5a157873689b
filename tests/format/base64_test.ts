import {
  deepStrictEqual as assertEquals,
  notDeepStrictEqual as assertNotDeepEqual,
} from "node:assert/strict";
import { ToolError } from "../../src/errors.ts";
import { decodeBase64, encodeBase64 } from "../../src/format/base64.ts";

const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function tryDecode(text: string): Uint8Array | ToolError {
  try {
    return decodeBase64(text, 'test "x"');
  } catch (error) {
    if (error instanceof ToolError) return error;
    throw error;
  }
}

// RFC 4648 §10.
const RFC_4648 = [
  ["", ""],
  ["f", "Zg=="],
  ["fo", "Zm8="],
  ["foo", "Zm9v"],
  ["foob", "Zm9vYg=="],
  ["fooba", "Zm9vYmE="],
  ["foobar", "Zm9vYmFy"],
];

for (const [plain, encoded] of RFC_4648) {
  Deno.test(`base64 RFC 4648 vector "${plain}"`, () => {
    const bytes = new TextEncoder().encode(plain);
    assertEquals(encodeBase64(bytes), encoded);
    assertEquals(decodeBase64(encoded!, "vector"), bytes);
  });
}

Deno.test("base64 round-trips every byte value and large inputs", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assertEquals(decodeBase64(encodeBase64(all), "all"), all);
  const big = crypto.getRandomValues(new Uint8Array(65536)); // over the chunk size
  assertEquals(decodeBase64(encodeBase64(big), "big"), big);
  for (let length = 0; length < 40; length++) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    assertEquals(decodeBase64(encodeBase64(bytes), "random"), bytes);
  }
});

const NON_CANONICAL: [string, string][] = [
  ["Zg", "missing padding"],
  ["Zg=", "short padding"],
  ["Zg===", "extra padding"],
  ["Zm8", "missing padding after 3 characters"],
  ["Zh==", "non-zero unused bits (1 byte)"],
  ["Zm9=", "non-zero unused bits (2 bytes)"],
  ["Zg==Zg==", "padding in the middle"],
  ["=", "padding only"],
  ["====", "padding only, 4"],
  ["A", "1 character"],
  ["AAAAA", "5 characters"],
  [" Zg==", "leading space"],
  ["Zg== ", "trailing space"],
  ["Zg==\n", "trailing newline"],
  ["Zm9v\nYmFy", "line break"],
  ["Zm9v\r\nYmFy", "CRLF line break"],
  ["Zm9v\tYmFy", "tab"],
  ["-_8=", "URL-safe alphabet"],
  ["Zm9v.A==", "stray punctuation"],
  ["Zm9vYmFyé===", "non-ASCII"],
  ["Zm9vYmF\0", "NUL"],
];

for (const [text, why] of NON_CANONICAL) {
  Deno.test(`decodeBase64 rejects ${why}`, () => {
    const result = tryDecode(text);
    if (!(result instanceof ToolError)) {
      throw new Error(`${JSON.stringify(text)} decoded`);
    }
    assertEquals(result.code, "INVALID_FORMAT");
    assertEquals(
      result.message.startsWith('Invalid base64 in test "x": '),
      true,
    );
  });
}

Deno.test("no single-character change decodes to the same bytes", () => {
  // Lengths 0, 1 and 2 mod 3 cover no padding, "==" and "=".
  for (const length of [6, 7, 8]) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    const text = encodeBase64(bytes);
    for (let i = 0; i < text.length; i++) {
      for (const char of ALPHABET + "= \n\r-_.") {
        if (char === text[i]) continue;
        const changed = text.slice(0, i) + char + text.slice(i + 1);
        const result = tryDecode(changed);
        if (!(result instanceof ToolError)) {
          assertNotDeepEqual(result, bytes, `${changed} decodes like ${text}`);
        }
      }
    }
  }
});
