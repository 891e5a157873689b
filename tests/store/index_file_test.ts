import assert from "node:assert/strict";
import { formatIndex, parseIndex } from "../../src/store/index_file.ts";
import { assertToolError } from "../support/errors.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);
const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("index: formats sorted by path, one line each, and parses back", () => {
  const index = new Map([["z/.mcp.json", A], [".mcp.json", B], [
    ".cursor/mcp.json",
    A,
  ]]);
  const text = new TextDecoder().decode(formatIndex(index));
  assert.equal(
    text,
    `mcp-orchestration-index v1\n${A} .cursor/mcp.json\n${B} .mcp.json\n${A} z/.mcp.json\n`,
  );
  assert.deepEqual(
    parseIndex(encode(text), "fixture"),
    new Map([...index].sort()),
  );
});

Deno.test("index: an empty index is just the header", () => {
  assert.equal(parseIndex(formatIndex(new Map()), "fixture").size, 0);
});

Deno.test("index: paths with spaces survive", () => {
  const index = new Map([["my dir/.mcp.json", A]]);
  assert.deepEqual(parseIndex(formatIndex(index), "fixture"), index);
});

const INVALID: [string, string, RegExp][] = [
  ["missing header", `${A} .mcp.json\n`, /line 1/],
  ["no final newline", `mcp-orchestration-index v1\n${A} .mcp.json`, /newline/],
  [
    "short id",
    `mcp-orchestration-index v1\n${A.slice(1)} .mcp.json\n`,
    /line 2/,
  ],
  [
    "uppercase id",
    `mcp-orchestration-index v1\n${A.toUpperCase()} .mcp.json\n`,
    /line 2/,
  ],
  ["tab separator", `mcp-orchestration-index v1\n${A}\t.mcp.json\n`, /line 2/],
  ["traversal path", `mcp-orchestration-index v1\n${A} ../x.json\n`, /segment/],
  [
    "duplicate path",
    `mcp-orchestration-index v1\n${A} .mcp.json\n${B} .mcp.json\n`,
    /listed twice/,
  ],
  [
    "unsorted",
    `mcp-orchestration-index v1\n${A} b.json\n${B} a.json\n`,
    /out of order/,
  ],
  ["blank line", `mcp-orchestration-index v1\n\n`, /line 2/],
];

for (const [name, text, detail] of INVALID) {
  Deno.test(`index: rejects ${name}`, () => {
    assertToolError(
      () => parseIndex(encode(text), "fixture"),
      "INVALID_FORMAT",
      detail,
    );
  });
}
