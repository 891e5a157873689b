import {
  deepStrictEqual as assertEquals,
  notDeepStrictEqual as assertNotDeepEqual,
  ok as assertOk,
} from "node:assert/strict";
import { join } from "node:path";
import {
  OPENSSH_KEY_BEGIN,
  OPENSSH_KEY_END,
  SSHSIG_BEGIN,
  SSHSIG_END,
} from "../../src/constants.ts";
import { ToolError } from "../../src/errors.ts";
import { armor, dearmor } from "../../src/format/armor.ts";
import { assertToolError } from "../support/errors.ts";
import { generateKey, sshSign } from "../support/ssh_keygen.ts";

const BEGIN = "-----BEGIN X-----";
const END = "-----END X-----";

function tryDearmor(text: string): Uint8Array | ToolError {
  try {
    return dearmor(text, BEGIN, END, "dir/x.sig");
  } catch (error) {
    if (error instanceof ToolError) return error;
    throw error;
  }
}

Deno.test("armor writes 70-character lines between the armor lines", () => {
  for (const length of [1, 2, 3, 51, 52, 53, 54, 105, 200]) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    const text = armor(bytes, BEGIN, END);
    const lines = text.split("\n");
    assertEquals(lines[0], BEGIN);
    assertEquals(lines.at(-2), END);
    assertEquals(lines.at(-1), "", "ends with a newline");
    const body = lines.slice(1, -2);
    body.slice(0, -1).forEach((line) => assertEquals(line.length, 70));
    assertEquals(body.at(-1)!.length <= 70, true);
    assertEquals(dearmor(text, BEGIN, END, "x"), bytes);
  }
});

Deno.test("dearmor accepts a file without its final newline", () => {
  assertEquals(tryDearmor(`${BEGIN}\nAQID\n${END}`), new Uint8Array([1, 2, 3]));
});

const full = "A".repeat(70);
const BAD: [string, string, string][] = [
  ["CRLF line endings", `${BEGIN}\r\nAQID\r\n${END}\r\n`, "carriage return"],
  [
    "a CR before the final newline",
    `${BEGIN}\nAQID\n${END}\r\n`,
    "carriage return",
  ],
  ["a wrong begin line", `-----BEGIN Y-----\nAQID\n${END}\n`, "line 1"],
  ["a leading blank line", `\n${BEGIN}\nAQID\n${END}\n`, "line 1"],
  ["a leading space", ` ${BEGIN}\nAQID\n${END}\n`, "line 1"],
  ["a missing end line", `${BEGIN}\nAQID\n`, "last line"],
  ["a wrong end line", `${BEGIN}\nAQID\n-----END Y-----\n`, "last line"],
  ["two final newlines", `${BEGIN}\nAQID\n${END}\n\n`, "last line"],
  ["text after the end line", `${BEGIN}\nAQID\n${END}\nx`, "last line"],
  [
    "a trailing space after the end line",
    `${BEGIN}\nAQID\n${END} \n`,
    "last line",
  ],
  ["an empty body", `${BEGIN}\n${END}\n`, "no base64"],
  ["only the begin line", `${BEGIN}\n`, "last line"],
  ["an empty file", "", "line 1"],
  ["a blank body line", `${BEGIN}\nAQID\n\n${END}\n`, "line 2"],
  ["a blank line after the begin line", `${BEGIN}\n\nAQID\n${END}\n`, "line 2"],
  ["a trailing space on a body line", `${BEGIN}\nAQID \n${END}\n`, "base64"],
  ["a short inner body line", `${BEGIN}\nAAAA\nAAAA\n${END}\n`, "line 2"],
  [
    "a 76-character body line",
    `${BEGIN}\n${"A".repeat(76)}\n${END}\n`,
    "line 2",
  ],
  [
    "a 71-character last line",
    `${BEGIN}\n${full}\n${"A".repeat(71)}\n${END}\n`,
    "line 3",
  ],
  ["a non-base64 body", `${BEGIN}\nAQ*D\n${END}\n`, "base64"],
  ["non-canonical base64", `${BEGIN}\nAQI=\nAQJ=\n${END}\n`, "line 2"],
  ["unused bits in the body", `${BEGIN}\nAQJ=\n${END}\n`, "base64"],
];

for (const [why, text, fragment] of BAD) {
  Deno.test(`dearmor rejects ${why}`, () => {
    const result = tryDearmor(text);
    if (!(result instanceof ToolError)) throw new Error("accepted");
    assertEquals(result.code, "INVALID_FORMAT");
    assertEquals(result.message.includes('"dir/x.sig"'), true, result.message);
    assertEquals(result.message.includes(fragment), true, result.message);
  });
}

Deno.test("no single-byte change of an armored file keeps its meaning", () => {
  // 140 bytes span three lines: two full ones and a padded last one.
  const bytes = crypto.getRandomValues(new Uint8Array(140));
  const text = armor(bytes, BEGIN, END);
  const candidates = [
    "A",
    "a",
    "+",
    "/",
    "=",
    "-",
    " ",
    "\t",
    "\n",
    "\r",
    "\0",
  ];
  const variants: string[] = [];
  for (let i = 0; i <= text.length; i++) {
    for (const char of candidates) {
      variants.push(text.slice(0, i) + char + text.slice(i)); // insert
      if (i < text.length && text[i] !== char) {
        variants.push(text.slice(0, i) + char + text.slice(i + 1)); // replace
      }
    }
    if (i < text.length) variants.push(text.slice(0, i) + text.slice(i + 1)); // delete
  }
  // The one tolerated variant: the final newline dropped.
  const withoutFinalNewline = text.slice(0, -1);
  for (const variant of variants) {
    const result = tryDearmor(variant);
    if (!(result instanceof ToolError) && variant !== withoutFinalNewline) {
      assertNotDeepEqual(result, bytes, JSON.stringify(variant));
    }
  }
});

Deno.test("dearmor reads what ssh-keygen writes, and armor writes it back byte for byte", async () => {
  const dir = await Deno.makeTempDir({ prefix: "armor_test_" });
  try {
    const key = await generateKey(dir, "signer");
    const message = join(dir, "message.json");
    await Deno.writeTextFile(message, '{"mcpServers":{}}\n');
    const signaturePath = await sshSign({
      keyPath: key.privatePath,
      namespace: "mcp-orchestration",
      messagePath: message,
    });
    for (
      const [path, begin, end] of [
        [signaturePath, SSHSIG_BEGIN, SSHSIG_END],
        [key.privatePath, OPENSSH_KEY_BEGIN, OPENSSH_KEY_END],
      ] as const
    ) {
      const text = await Deno.readTextFile(path);
      assertEquals(armor(dearmor(text, begin, end, path), begin, end), text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dearmor never quotes a line of the body: a private key cut short must not print its seed", () => {
  const begin = "-----BEGIN X-----";
  const end = "-----END X-----";
  const secret = "c2VjcmV0IHNlZWQgYnl0ZXMgdGhhdCBtdXN0IG5vdCBiZSBsb2dnZWQ=";
  for (
    const text of [
      `${begin}\n${secret}\n`, // cut before its footer
      `${secret}\n${end}\n`, // no header
      `${begin}\n${secret}\n-----END OTHER-----\n`, // another footer: shown
    ]
  ) {
    const error = assertToolError(
      () => dearmor(text, begin, end, "k"),
      "INVALID_FORMAT",
      /a line of \d+ characters|END OTHER/,
    );
    assertOk(!error.message.includes(secret.slice(0, 16)), error.message);
  }
});
