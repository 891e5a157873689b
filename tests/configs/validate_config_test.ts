import {
  deepStrictEqual as assertEquals,
  ok as assert,
  strictEqual,
} from "node:assert/strict";
import { MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH } from "../../src/constants.ts";
import { ToolError } from "../../src/errors.ts";
import {
  BUILTIN_CONFIG_KINDS,
  type ConfigKind,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import {
  ConfigError,
  parseConfig,
  validateConfig,
} from "../../src/configs/validate_config.ts";
import { NEW_CLIENT_FIXTURES } from "../support/client_fixtures.ts";

const encode = (text: string) => new TextEncoder().encode(text);

function kindOf(path: string): ConfigKind {
  const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS);
  if (!kind) throw new Error(`no built-in kind for "${path}"`);
  return kind;
}

/** The ConfigError that validating `input` at `path` throws, or undefined. */
async function errorOf(
  path: string,
  input: string | Uint8Array,
): Promise<ConfigError | undefined> {
  const bytes = typeof input === "string" ? encode(input) : input;
  try {
    await validateConfig(path, bytes, kindOf(path));
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

async function assertValid(
  path: string,
  input: string | Uint8Array,
): Promise<void> {
  const error = await errorOf(path, input);
  assert(error === undefined, `"${path}" should be valid: ${error?.message}`);
}

/** Asserts the error's fields; `at` undefined means "no position". */
async function assertInvalid(
  path: string,
  input: string | Uint8Array,
  at: [line: number, column: number] | undefined,
): Promise<ConfigError> {
  const error = await errorOf(path, input);
  assert(error, `"${path}" should be invalid`);
  assert(error instanceof ToolError);
  strictEqual(error.code, "INVALID_CONFIG");
  strictEqual(error.path, path);
  assert(error.message.includes(`"${path}"`), error.message);
  assertEquals(
    error.line === undefined ? undefined : [error.line, error.column],
    at,
    error.message,
  );
  return error;
}

// --- Valid configs of every client (REFERENCES.md §5) ---

const REALISTIC: { path: string; text: string }[] = [
  {
    path: ".mcp.json",
    text: `{
  "mcpServers": {
    "github": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": { "GITHUB_TOKEN": "\${GITHUB_TOKEN}", "LOG": "\${LOG_LEVEL:-info}" }
    },
    "docs": {
      "type": "http",
      "url": "https://mcp.example.com/mcp",
      "headers": { "Authorization": "Bearer \${DOCS_TOKEN}" }
    }
  }
}
`,
  },
  {
    path: ".cursor/mcp.json",
    text: `{
  "mcpServers": {
    "postgres": { "command": "uvx", "args": ["mcp-server-postgres"], "env": { "PGHOST": "localhost" } },
    "remote": { "url": "https://example.com/sse", "headers": { "X-Team": "web" } }
  }
}
`,
  },
  {
    path: ".vscode/mcp.json",
    text: `// Servers for this workspace (VS Code reads JSONC).
{
  "inputs": [
    { "type": "promptString", "id": "api-key", "description": "API key", "password": true },
  ],
  "servers": {
    /* Local file server */
    "files": {
      "type": "stdio",
      "command": "node",
      "args": ["\${workspaceFolder}/tools/files.js"],
      "env": { "API_KEY": "\${input:api-key}" }, // trailing comma next
    },
  },
}
`,
  },
  {
    path: "claude_desktop_config.json",
    text:
      `{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"], "env": {}}}}
`,
  },
  {
    path: ".gemini/settings.json",
    text: `{
  // Project settings for Gemini CLI
  "theme": "GitHub",
  "mcpServers": {
    "search": {
      "command": "python",
      "args": ["-m", "search_server"],
      "trust": false,
      "includeTools": ["query"],
      "excludeTools": ["delete_index"]
    }
  }
}
`,
  },
  {
    path: ".zed/settings.json",
    text: `// Zed settings
{
  "tab_size": 2,
  "context_servers": {
    "linear": {
      "command": { "path": "npx", "args": ["-y", "linear-mcp"], "env": {} },
      "settings": {},
    },
  },
}
`,
  },
  {
    path: ".codex/config.toml",
    text: `model = "o4-mini"

[mcp_servers.docs]
command = "npx"
args = ["-y", "docs-mcp"]
env = { "DOCS_TOKEN" = "abc" }

[mcp_servers.search]
command = "uvx"
args = ["search-mcp"]
`,
  },
  {
    path: "mcp_config.json",
    text: `{
  "mcpServers": {
    "remote": { "serverUrl": "https://mcp.example.com/mcp" },
    "local": { "command": "docker", "args": ["run", "-i", "--rm", "mcp/time"] }
  }
}
`,
  },
  {
    path: "cline_mcp_settings.json",
    text: `{
  "mcpServers": {
    "weather": {
      "command": "node",
      "args": ["/opt/weather/index.js"],
      "disabled": false,
      "autoApprove": ["get_forecast"]
    }
  }
}
`,
  },
];

REALISTIC.push(...NEW_CLIENT_FIXTURES);

Deno.test("validateConfig accepts a realistic config of every built-in client", async () => {
  assertEquals(
    REALISTIC.map(({ path }) => kindOf(path).client).sort(),
    BUILTIN_CONFIG_KINDS.map((kind) => kind.client).sort(),
  );
  for (const { path, text } of REALISTIC) {
    await assertValid(path, text);
    await assertValid(`packages/app/${path}`, text);
    await assertValid(path, text.replaceAll("\n", "\r\n"));
  }
});

Deno.test("validateConfig accepts edge cases that are still well-formed", async () => {
  const depth = MAX_CONFIG_DEPTH - 1; // Plus the top-level object.
  const cases: [string, string | Uint8Array][] = [
    [".mcp.json", '{"mcpServers":{}}'],
    [".mcp.json", '{\n\t"mcpServers": {"a": {"env": {"X": "é😀\\u0000"}}}\n}'],
    [
      ".mcp.json",
      `{"mcpServers": {}, "x": ${"[".repeat(depth)}${"]".repeat(depth)}}`,
    ],
    // The same key in different objects is no duplicate.
    [".mcp.json", '{"mcpServers": {"a": {"x": 1}, "b": {"x": 1}}, "x": 1}'],
    [".vscode/mcp.json", '{"servers": {}} // no newline at the end'],
    [".codex/config.toml", "mcp_servers = {}\n"],
    [".codex/config.toml", "[mcp_servers]\n"],
    // Exactly the size limit.
    [".mcp.json", `{"mcpServers": {}}${" ".repeat(MAX_CONFIG_BYTES - 18)}`],
  ];
  for (const [path, input] of cases) await assertValid(path, input);
});

// --- Each check, in order ---

Deno.test("validateConfig refuses empty, oversized, binary, BOM and non-UTF-8 files", async () => {
  const valid = '{"mcpServers": {}}';
  const cases: {
    name: string;
    input: string | Uint8Array;
    at: [number, number] | undefined;
  }[] = [
    { name: "empty", input: "", at: undefined },
    {
      name: "one byte over the limit",
      input: `${valid}${" ".repeat(MAX_CONFIG_BYTES - valid.length + 1)}`,
      at: undefined,
    },
    { name: "NUL", input: '{"mcpServers": {}}\n\0', at: [2, 1] },
    {
      name: "escape character",
      input: '{\n  "mcpServers": {"\x1b[2J": 1}}',
      at: [2, 19],
    },
    { name: "form feed", input: '{"mcpServers":\f{}}', at: [1, 15] },
    {
      name: "NUL after a CRLF and a multi-byte character",
      input: '{"é":\r\n 1, \0}',
      at: [2, 5],
    },
    { name: "byte-order mark", input: `\ufeff${valid}`, at: [1, 1] },
    {
      name: "lone continuation byte",
      input: new Uint8Array([0x7b, 0x0a, 0x80, 0x7d]),
      at: [2, 1],
    },
    {
      name: "overlong encoding",
      input: new Uint8Array([0x7b, 0x20, 0xc0, 0xaf, 0x7d]),
      at: [1, 3],
    },
    {
      name: "UTF-16 surrogate",
      input: new Uint8Array([0x22, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0x22]),
      at: [1, 3],
    },
    {
      name: "above U+10FFFF",
      input: new Uint8Array([0x7b, 0xf4, 0x90, 0x80, 0x80, 0x7d]),
      at: [1, 2],
    },
    {
      name: "truncated sequence",
      input: new Uint8Array([0x7b, 0x7d, 0xe2, 0x82]),
      at: [1, 3],
    },
  ];
  for (const { name, input, at } of cases) {
    const error = await assertInvalid(".mcp.json", input, at);
    assert(error.line === undefined || error.line >= 1, name);
  }
  // smol-toml and jsonc-parser would skip a BOM: it is refused all the same.
  await assertInvalid(".codex/config.toml", "\ufeff[mcp_servers]\n", [1, 1]);
  await assertInvalid(".vscode/mcp.json", '\ufeff{"servers": {}}', [1, 1]);
  await assertValid(".codex/config.toml", "[mcp_servers]\n");
  // Each refused input differs from a valid one only in its defect.
  await assertValid(
    ".mcp.json",
    `${valid}${" ".repeat(MAX_CONFIG_BYTES - valid.length)}`,
  );
  await assertValid(".mcp.json", valid);
});

Deno.test("validateConfig reports JSON syntax errors with their line and column", async () => {
  const cases: [string, [number, number]][] = [
    ["  \n", [2, 1]], // Only whitespace: a value is expected at the end.
    ['{"mcpServers": {}', [1, 18]],
    ['{"mcpServers": {"a": tru}}', [1, 22]],
    ['{"mcpServers": {"a": 1 "b": 2}}', [1, 24]],
    ['{"mcpServers": {"a": "b}}', [1, 22]],
    ['{"mcpServers": {"a": "\t"}}', [1, 22]], // A raw tab inside a string.
    ['{"mcpServers": {"a": "\\x"}}', [1, 22]],
    ['{"mcpServers": {}} x', [1, 20]],
    ["{mcpServers: {}}", [1, 2]],
    ["{'mcpServers': {}}", [1, 2]],
    ['{"mcpServers": {"n": 01}}', [1, 23]],
    ['{"mcpServers": {"n": .5}}', [1, 22]],
    ['{"mcpServers": {"n": NaN}}', [1, 22]],
    // Non-JSON whitespace: U+00A0 and a byte-order mark after the start.
    ['{"mcpServers":\u00a0{}}', [1, 15]],
    ['{"mcpServers": {}}\n\ufeff', [2, 1]],
    // Columns count characters, not UTF-16 units or bytes.
    ['{"😀é": 1, "mcpServers": {} x}', [1, 28]],
  ];
  for (const [text, at] of cases) await assertInvalid(".mcp.json", text, at);
});

Deno.test("validateConfig refuses comments and trailing commas in JSON but not in JSONC", async () => {
  const cases: [string, [number, number]][] = [
    ['{"mcpServers": {}} // note', [1, 20]],
    ['{\n  /* note */ "mcpServers": {}}', [2, 3]],
    ['{"mcpServers": {},\n}', [1, 18]],
    ['{"mcpServers": {"a": {"args": ["x",]}}}', [1, 35]],
    ['{"mcpServers": {"a": {},}}', [1, 24]],
  ];
  for (const [text, at] of cases) {
    await assertInvalid(".mcp.json", text, at);
    await assertInvalid(".cursor/mcp.json", text, at);
    await assertValid(
      ".vscode/mcp.json",
      text.replace("mcpServers", "servers"),
    );
    await assertValid(".gemini/settings.json", text);
    await assertValid(
      ".zed/settings.json",
      text.replace("mcpServers", "context_servers"),
    );
  }
});

Deno.test("validateConfig refuses JSONC that readers could split differently", async () => {
  const cases: [string, [number, number]][] = [
    ['{"servers": {}} /* open', [1, 17]],
    // A lone CR ends the comment for VS Code but not for every reader.
    ['{"servers": {} // note\r, "x": 1}', [1, 23]],
    ['{"servers": {},, "x": 1}', [1, 16]],
    ['{"servers": {} # note\n}', [1, 16]],
  ];
  for (const [text, at] of cases) {
    await assertInvalid(".vscode/mcp.json", text, at);
  }
  await assertValid(".vscode/mcp.json", '{"servers": {} // note\r\n, "x": 1}');
  await assertValid(".vscode/mcp.json", '{"servers": {} // note\n, "x": 1}');
});

Deno.test("validateConfig refuses duplicate keys at any depth", async () => {
  const cases: {
    path: string;
    text: string;
    at: [number, number];
    firstLine: number;
  }[] = [
    {
      path: ".mcp.json",
      text: '{"mcpServers": {}, "mcpServers": {}}',
      at: [1, 20],
      firstLine: 1,
    },
    {
      path: ".mcp.json",
      text: '{\n  "mcpServers": {\n    "a": {"env": {"X": 1,\n      "X": 2}}}}',
      at: [4, 7],
      firstLine: 3,
    },
    // The same key spelled with an escape is still the same key.
    {
      path: ".mcp.json",
      text: '{"mcpServers": {"a": 1, "\\u0061": 2}}',
      at: [1, 25],
      firstLine: 1,
    },
    {
      path: ".vscode/mcp.json",
      text:
        '{\r\n  "servers": {},\r\n  // again\r\n  "servers": {"evil": {}}\r\n}',
      at: [4, 3],
      firstLine: 2,
    },
    // Lone CRs end lines too (old Mac line endings).
    {
      path: ".mcp.json",
      text: '{\r"mcpServers": {},\r  "mcpServers": {}\r}',
      at: [3, 3],
      firstLine: 2,
    },
    {
      path: ".mcp.json",
      text: '{"mcpServers": {}, "x": [{"k": 1}, {"k": 1, "k": 2}]}',
      at: [1, 45],
      firstLine: 1,
    },
  ];
  for (const { path, text, at, firstLine } of cases) {
    const error = await assertInvalid(path, text, at);
    assert(error.problem.includes(`line ${firstLine}`), error.message);
  }
});

Deno.test("validateConfig requires a top-level object with the client's server table", async () => {
  const cases: [string, string, [number, number] | undefined][] = [
    [".mcp.json", "[]", [1, 1]],
    [".mcp.json", '\n  "mcpServers"', [2, 3]],
    [".mcp.json", "null", [1, 1]],
    [".mcp.json", "{}", undefined],
    // Claude Code reads "mcpServers", Visual Studio "servers": never both.
    [".mcp.json", '{"mcpServers": {}, "servers": {}}', [1, 20]],
    [".mcp.json", '{"servers": {}, "x": 1, "mcpServers": {}}', [1, 25]],
    [".mcp.json", '{"mcpservers": {}}', undefined],
    [".mcp.json", '{"servers": []}', [1, 2]],
    // A settings file's MCP section has the client's shape.
    [".vscode/settings.json", '{"mcp": []}', [1, 2]],
    ["opencode.json", '{"mcp": "on"}', [1, 2]],
    [".claude/settings.json", '{"mcpServers": true}', [1, 2]],
    // Continue's blocks list their servers; a file holds one block.
    [".continue/mcpServers/a.yaml", "name: x\n", undefined],
    [".continue/mcpServers/a.yaml", "mcpServers: 1\n", [1, 1]],
    [".continue/mcpServers/a.json", '{"mcpServers": "x"}', [1, 2]],
    [".vscode/mcp.json", '{"mcpServers": {}}', undefined],
    [".zed/settings.json", '{"mcpServers": {}}', undefined],
    [".mcp.json", '{\n  "mcpServers": []\n}', [2, 3]],
    [".mcp.json", '{"x": 1, "mcpServers": null}', [1, 10]],
    [".vscode/mcp.json", '{"servers": "none"}', [1, 2]],
    [".codex/config.toml", 'model = "o4-mini"\n', undefined],
    [".codex/config.toml", "mcp_servers = 1\n", undefined],
    [".codex/config.toml", '[[mcp_servers]]\ncommand = "x"\n', undefined],
    // The key must be at the top level, not nested.
    [".mcp.json", '{"x": {"mcpServers": {}}}', undefined],
    [".codex/config.toml", "[x.mcp_servers]\n", undefined],
  ];
  for (const [path, text, at] of cases) await assertInvalid(path, text, at);
});

Deno.test("validateConfig reports TOML errors, duplicate keys and tables with their position", async () => {
  const cases: [string, [number, number]][] = [
    ['[mcp_servers.a]\ncommand = "x"\ncommand = "y"\n', [3, 1]],
    ['[mcp_servers.a]\ncommand = "x"\n\n[mcp_servers.a]\n', [4, 2]],
    ["[mcp_servers]\na = {}\n[mcp_servers.a]\n", [3, 2]],
    ['[mcp_servers.a]\ncommand = "x\n', [2, 13]], // At the line end.
    ['[mcp_servers.a]\nargs = ["é", ] x\n', [2, 16]],
    ['[mcp_servers.a]\r\ncommand = = "x"\r\n', [2, 11]],
  ];
  for (const [text, at] of cases) {
    await assertInvalid(".codex/config.toml", text, at);
  }
  await assertValid(
    ".codex/config.toml",
    '[mcp_servers.a]\ncommand = "x"\n[mcp_servers.b]\n',
  );
});

Deno.test("validateConfig refuses deep nesting with a position, never a crash", async () => {
  const limit = MAX_CONFIG_DEPTH;
  const cases: [string, string, [number, number]][] = [
    [".mcp.json", "[".repeat(limit + 1) + "]".repeat(limit + 1), [
      1,
      limit + 1,
    ]],
    [".mcp.json", "[".repeat(MAX_CONFIG_BYTES), [1, limit + 1]],
    [".vscode/mcp.json", '{"a":'.repeat(200_000), [1, 5 * limit + 1]],
    [".codex/config.toml", "a = " + "[".repeat(limit + 1), [1, 4 + limit + 1]],
    [".codex/config.toml", "a = " + "{b = ".repeat(100_000), [
      1,
      4 + 5 * limit + 1,
    ]],
  ];
  for (const [path, text, at] of cases) await assertInvalid(path, text, at);
});

Deno.test("parseConfig returns the top-level object and uses the given label", async () => {
  assertEquals(
    await parseConfig(
      "a.json",
      encode('{"version": 1, "configs": [{"x": null}]}'),
      {
        format: "json",
      },
    ),
    { version: 1, configs: [{ x: null }] },
  );
  assertEquals(
    await parseConfig("a.jsonc", encode('{"a": [1, 2,], /* b */}'), {
      format: "jsonc",
    }),
    { a: [1, 2] },
  );
  const toml = await parseConfig("a.toml", encode("[t]\nx = 1\n"), {
    format: "toml",
  });
  assertEquals({ ...toml, t: { ...(toml.t as object) } }, { t: { x: 1 } });
  try {
    await parseConfig("cfg.json", encode("[]"), {
      format: "json",
      label: "Invalid settings",
    });
    assert(false, "should throw");
  } catch (error) {
    assert(error instanceof ConfigError);
    assert(
      error.message.startsWith(
        'Invalid settings "cfg.json": line 1, column 1: ',
      ),
      error.message,
    );
  }
});

Deno.test("ConfigError messages name the path and escape invisible characters", async () => {
  const error = new ConfigError("a\u202e.json", "bad", { line: 3, column: 7 });
  strictEqual(
    error.message,
    'Invalid MCP config "a\\u{202e}.json": line 3, column 7: bad',
  );
  strictEqual(error.name, "ConfigError");
  // A raw C1 control (CSI) in a key, then the same key escaped.
  const dup = await assertInvalid(
    ".mcp.json",
    '{"mcpServers": {}, "\u009b": 1, "\\u009b": 2}',
    [1, 28],
  );
  assert(!dup.message.includes("\u009b"), dup.message);
});
