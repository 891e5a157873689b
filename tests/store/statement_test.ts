import assert from "node:assert/strict";
import {
  formatStatement,
  parseStatement,
  pathProblem,
  type Statement,
} from "../../src/store/statement.ts";
import { assertToolError } from "../support/errors.ts";

const GOOD: Statement = {
  version: 1,
  repository: null,
  path: ".cursor/mcp.json",
  artifact: "8e91a062ff85a4180e571fd3821941aafa1b41d582582275aec426dae657c6de",
  size: 412,
  signer: "SHA256:uOSmM4zP1b0f3lq0mW2pQ0hWbZ1sX3Ns2cB7s5e1aKc",
  signedAt: new Date("2026-11-24T10:00:00Z"),
  sequence: 2,
  previous: [
    "3f0c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d",
  ],
};

const REPOSITORY = "6f1c0a3e9b2d4c8e7a5f1b3d9c0e2a4b";
const OTHER = "9a1b".repeat(16);
const GOOD_V2: Statement = {
  ...GOOD,
  version: 2,
  repository: REPOSITORY,
  sequence: 4,
  previous: [GOOD.previous[0]!, OTHER].sort(),
};
const GOOD_V2_TEXT = `mcp-orchestration-statement v2
repository ${REPOSITORY}
path .cursor/mcp.json
artifact 8e91a062ff85a4180e571fd3821941aafa1b41d582582275aec426dae657c6de
size 412
signer SHA256:uOSmM4zP1b0f3lq0mW2pQ0hWbZ1sX3Ns2cB7s5e1aKc
signed-at 2026-11-24T10:00:00Z
sequence 4
previous 3f0c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d ${OTHER}
`;

const GOOD_TEXT = `mcp-orchestration-statement v1
path .cursor/mcp.json
artifact 8e91a062ff85a4180e571fd3821941aafa1b41d582582275aec426dae657c6de
size 412
signer SHA256:uOSmM4zP1b0f3lq0mW2pQ0hWbZ1sX3Ns2cB7s5e1aKc
signed-at 2026-11-24T10:00:00Z
sequence 2
previous 3f0c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d
`;

const encode = (text: string) => new TextEncoder().encode(text);

function assertInvalid(text: string | Uint8Array, detail: RegExp): void {
  assertToolError(
    () =>
      parseStatement(typeof text === "string" ? encode(text) : text, "fixture"),
    "INVALID_FORMAT",
    detail,
  );
}

Deno.test("statement: the documented example encodes to exactly these bytes", () => {
  assert.equal(new TextDecoder().decode(formatStatement(GOOD)), GOOD_TEXT);
});

Deno.test("statement: parse inverts format", () => {
  assert.deepEqual(parseStatement(encode(GOOD_TEXT), "fixture"), GOOD);
  const first = { ...GOOD, sequence: 1, previous: [], path: "a b/ü.json" };
  assert.deepEqual(parseStatement(formatStatement(first), "fixture"), first);
});

Deno.test("statement v2: names its repository and every version it follows", () => {
  assert.equal(
    new TextDecoder().decode(formatStatement(GOOD_V2)),
    GOOD_V2_TEXT,
  );
  assert.deepEqual(parseStatement(encode(GOOD_V2_TEXT), "fixture"), GOOD_V2);
  const first = { ...GOOD_V2, sequence: 1, previous: [] };
  assert.deepEqual(parseStatement(formatStatement(first), "fixture"), first);
  const atLimit = { ...GOOD_V2, sequence: 2_147_483_647 };
  assert.deepEqual(
    parseStatement(formatStatement(atLimit), "fixture"),
    atLimit,
  );
});

const replaceV2 = (from: string, to: string) => GOOD_V2_TEXT.replace(from, to);
const [PREVIOUS_A, PREVIOUS_B] = GOOD_V2.previous as [string, string];

const INVALID_V2: [string, string, RegExp][] = [
  [
    "no repository line",
    replaceV2(`repository ${REPOSITORY}\n`, ""),
    /expected 9 lines|repository/,
  ],
  [
    "short repository id",
    replaceV2(REPOSITORY, REPOSITORY.slice(1)),
    /repository must be/,
  ],
  [
    "uppercase repository id",
    replaceV2(REPOSITORY, REPOSITORY.toUpperCase()),
    /repository must be/,
  ],
  [
    "repository after path",
    replaceV2(
      `repository ${REPOSITORY}\npath .cursor/mcp.json`,
      `path .cursor/mcp.json\nrepository ${REPOSITORY}`,
    ),
    /line 2/,
  ],
  [
    "unsorted previous",
    replaceV2(`${PREVIOUS_A} ${PREVIOUS_B}`, `${PREVIOUS_B} ${PREVIOUS_A}`),
    /sorted and distinct/,
  ],
  [
    "repeated previous",
    replaceV2(`${PREVIOUS_A} ${PREVIOUS_B}`, `${PREVIOUS_A} ${PREVIOUS_A}`),
    /sorted and distinct/,
  ],
  [
    "two spaces between previous ids",
    replaceV2(`${PREVIOUS_A} ${PREVIOUS_B}`, `${PREVIOUS_A}  ${PREVIOUS_B}`),
    /previous must be/,
  ],
  [
    "a trailing space after previous",
    replaceV2(`${PREVIOUS_B}\n`, `${PREVIOUS_B} \n`),
    /previous must be/,
  ],
  [
    "none with another id",
    replaceV2(`${PREVIOUS_A} ${PREVIOUS_B}`, `none ${PREVIOUS_B}`),
    /previous must be/,
  ],
  [
    "sequence above the limit",
    replaceV2("sequence 4", "sequence 2147483648"),
    /sequence must be a whole number from 1 to 2147483647/,
  ],
  [
    "too many previous ids",
    replaceV2(
      `${PREVIOUS_A} ${PREVIOUS_B}`,
      Array.from({ length: 65 }, (_, i) => i.toString(16).padStart(64, "0"))
        .join(" "),
    ),
    /more than 64/,
  ],
];

for (const [name, text, detail] of INVALID_V2) {
  Deno.test(`statement v2: rejects ${name}`, () => assertInvalid(text, detail));
}

Deno.test("statement v1: one previous artifact only, and the same sequence limit", () => {
  assertInvalid(
    GOOD_TEXT.replace(PREVIOUS_A, `${PREVIOUS_A} ${OTHER}`),
    /one previous artifact/,
  );
  assertInvalid(
    GOOD_TEXT.replace("sequence 2", "sequence 2147483648"),
    /from 1 to 2147483647/,
  );
  assert.throws(
    () => formatStatement({ ...GOOD, previous: [PREVIOUS_A, OTHER] }),
    /one previous artifact/,
  );
});

Deno.test("statement: time is whole seconds in UTC", () => {
  const text = new TextDecoder().decode(
    formatStatement({
      ...GOOD,
      signedAt: new Date("2026-11-24T10:00:00.987Z"),
    }),
  );
  assert.match(text, /^signed-at 2026-11-24T10:00:00Z$/m);
});

const replace = (from: string, to: string) => GOOD_TEXT.replace(from, to);

const INVALID: [string, string | Uint8Array, RegExp][] = [
  [
    "wrong header",
    replace("statement v1", "statement v9"),
    /unsupported version/,
  ],
  [
    "a version 2 header on version 1 fields",
    replace("statement v1", "statement v2"),
    /expected 9 lines/,
  ],
  ["no final newline", GOOD_TEXT.slice(0, -1), /end with a newline/],
  ["extra blank line", GOOD_TEXT + "\n", /expected 8 lines/],
  ["extra field", GOOD_TEXT + "note hi\n", /expected 8 lines/],
  ["CRLF line endings", GOOD_TEXT.replaceAll("\n", "\r\n"), /line|must/],
  [
    "fields out of order",
    replace("size 412\nsigner", "signer").replace(
      "signed-at",
      "size 412\nsigned-at",
    ),
    /line 4/,
  ],
  ["two spaces after a name", replace("size 412", "size  412"), /size/],
  ["uppercase artifact", replace("8e91a062", "8E91A062"), /artifact/],
  ["short artifact", replace("8e91a062ff", "8e91a062f"), /artifact/],
  ["size with leading zero", replace("size 412", "size 0412"), /size/],
  ["negative size", replace("size 412", "size -1"), /size/],
  ["signer without prefix", replace("SHA256:uOS", "MD5:uOS"), /signer/],
  ["time without Z", replace("10:00:00Z", "10:00:00"), /signed-at/],
  ["impossible date", replace("2026-11-24T", "2026-02-30T"), /signed-at/],
  [
    "time with milliseconds",
    replace("10:00:00Z", "10:00:00.000Z"),
    /signed-at/,
  ],
  ["sequence zero", replace("sequence 2", "sequence 0"), /sequence/],
  [
    "sequence 1 with a previous",
    replace("sequence 2", "sequence 1"),
    /exactly when sequence is 1/,
  ],
  [
    "sequence 2 without a previous",
    replace(/previous [0-9a-f]+/.exec(GOOD_TEXT)![0], "previous none"),
    /exactly when/,
  ],
  ["absolute path", replace("path .cursor", "path /.cursor"), /absolute/],
  ["dot-dot path", replace("path .cursor", "path ../.cursor"), /segment/],
  [
    "path with a control character",
    replace("path .cursor", "path .cur\tsor"),
    /control character/,
  ],
  [
    "huge sequence",
    replace("sequence 2", "sequence 99999999999999999"),
    /sequence must be a whole number from 1 to 2147483647/,
  ],
  ["not UTF-8", new Uint8Array([0xff, 0xfe, 0x0a]), /UTF-8/],
];

for (const [name, text, detail] of INVALID) {
  Deno.test(`statement: rejects ${name}`, () => assertInvalid(text, detail));
}

Deno.test("statement: format refuses what parse would refuse", () => {
  assert.throws(
    () => formatStatement({ ...GOOD, path: "a\nsize 1" }),
    /control character/,
  );
  assert.throws(
    () => formatStatement({ ...GOOD, artifact: "../../etc/passwd" }),
    /artifact/,
  );
});

Deno.test("pathProblem: accepts ordinary paths and names each problem", () => {
  for (
    const ok of [
      ".mcp.json",
      "a/b/.vscode/mcp.json",
      "with space/x.json",
      "ünï/ç.json",
    ]
  ) {
    assert.equal(pathProblem(ok), undefined, ok);
  }
  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["/etc/x", /absolute/],
    ["a//b", /segment/],
    ["a/./b", /segment/],
    ["a/../b", /segment/],
    ["a\\b", /backslash/],
    ["a\u007fb", /control/],
    ["x".repeat(5000), /longer/],
  ];
  for (const [path, reason] of bad) {
    assert.match(pathProblem(path) ?? "", reason, JSON.stringify(path));
  }
});

// --- version 3: the files the config's servers run --------------------------

const SCRIPT_ID = "5".repeat(64);
const TOOL_ID = "7".repeat(64);
const GOOD_V3: Statement = {
  ...GOOD_V2,
  version: 3,
  files: [
    { path: "scripts/server.sh", sha256: SCRIPT_ID },
    { path: "tools/mcp server.js", sha256: TOOL_ID },
  ],
};
const GOOD_V3_TEXT = GOOD_V2_TEXT.replace("statement v2", "statement v3")
  .replace(
    "size 412\n",
    `size 412\nfile ${SCRIPT_ID} scripts/server.sh\nfile ${TOOL_ID} tools/mcp server.js\n`,
  );

Deno.test("statement v3: names each server file's path and SHA-256 after size", () => {
  assert.equal(
    new TextDecoder().decode(formatStatement(GOOD_V3)),
    GOOD_V3_TEXT,
  );
  assert.deepEqual(parseStatement(encode(GOOD_V3_TEXT), "fixture"), GOOD_V3);
});

const replaceV3 = (from: string, to: string) => GOOD_V3_TEXT.replace(from, to);

const INVALID_V3: [string, string, RegExp][] = [
  [
    "no file line",
    replaceV3(`file ${SCRIPT_ID} scripts/server.sh\n`, "").replace(
      `file ${TOOL_ID} tools/mcp server.js\n`,
      "",
    ),
    /at least one file/,
  ],
  [
    "unsorted files",
    GOOD_V3_TEXT.replace(
      `file ${SCRIPT_ID} scripts/server.sh\nfile ${TOOL_ID} tools/mcp server.js\n`,
      `file ${TOOL_ID} tools/mcp server.js\nfile ${SCRIPT_ID} scripts/server.sh\n`,
    ),
    /sorted by path and distinct/,
  ],
  [
    "a repeated file",
    replaceV3(
      `file ${TOOL_ID} tools/mcp server.js`,
      `file ${TOOL_ID} scripts/server.sh`,
    ),
    /sorted by path and distinct/,
  ],
  [
    "a file outside the repository",
    replaceV3("scripts/server.sh", "../server.sh"),
    /segment/,
  ],
  [
    "an uppercase file hash",
    replaceV3(SCRIPT_ID, "A".repeat(64)),
    /64 lowercase hex digits and a path/,
  ],
  [
    "a file line after signer",
    replaceV3(`file ${SCRIPT_ID} scripts/server.sh\n`, "").replace(
      "signed-at",
      `file ${SCRIPT_ID} scripts/server.sh\nsigned-at`,
    ),
    /line/,
  ],
  [
    "a file line in a version 2 statement",
    GOOD_V2_TEXT.replace("size 412\n", `size 412\nfile ${SCRIPT_ID} a.sh\n`),
    /expected 9 lines|line 6/,
  ],
];

for (const [name, text, detail] of INVALID_V3) {
  Deno.test(`statement v3: rejects ${name}`, () => assertInvalid(text, detail));
}

Deno.test("statement v3: format refuses no files, a version 2 with files, and an oversized statement", () => {
  assert.throws(
    () => formatStatement({ ...GOOD_V3, files: [] }),
    /at least one file/,
  );
  assert.throws(() => formatStatement({ ...GOOD_V2, files: GOOD_V3.files! }));
  const long = Array.from({ length: 20 }, (_, i) => ({
    path: `${String(i).padStart(2, "0")}/${"x".repeat(4000)}`,
    sha256: SCRIPT_ID,
  }));
  assert.throws(
    () => formatStatement({ ...GOOD_V3, files: long }),
    /over the limit/,
  );
});
