import assert from "node:assert/strict";
import {
  BUILTIN_CONFIG_KINDS,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import { serverTable } from "../../src/configs/server_entries.ts";
import {
  parseConfig,
  validateConfig,
} from "../../src/configs/validate_config.ts";

// Each kind's servers, read in its client's own shape: what the checkout
// hooks' and exec's report shows as "what would run".
const CASES: {
  path: string;
  text: string;
  servers: [string, unknown][] | undefined;
}[] = [
  {
    path: ".mcp.json",
    text: '{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "fs"]}}}',
    servers: [["fs", { command: "npx", args: ["-y", "fs"] }]],
  },
  {
    // Visual Studio reads "servers" from the same file name.
    path: "tools/.mcp.json",
    text: '{"servers": {"fs": {"command": "sh"}}}',
    servers: [["fs", { command: "sh" }]],
  },
  {
    path: ".continue/mcpServers/files.yaml",
    text:
      "name: Files\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: files\n    command: sh\n  - command: npx\n",
    servers: [["files", { name: "files", command: "sh" }], ["#2", {
      command: "npx",
    }]],
  },
  {
    path: "opencode.json",
    text:
      '{"$schema": "https://opencode.ai/config.json", "mcp": {"fs": {"type": "local", "command": ["bun", "x", "fs"]}}}',
    servers: [["fs", { type: "local", command: ["bun", "x", "fs"] }]],
  },
  {
    path: ".zed/settings.json",
    text:
      '{"context_servers": {"fs": {"command": {"path": "srv", "args": []}}}}',
    servers: [["fs", { command: { path: "srv", args: [] } }]],
  },
  {
    path: ".vscode/settings.json",
    text:
      '{"editor.tabSize": 2, "mcp": {"servers": {"fs": {"type": "http", "url": "https://x.example"}}}}',
    servers: [["fs", { type: "http", url: "https://x.example" }]],
  },
  {
    // Switches only: a config, but no servers to show.
    path: ".claude/settings.json",
    text: '{"enableAllProjectMcpServers": true}',
    servers: undefined,
  },
  {
    path: ".codex/config.toml",
    text: '[mcp_servers.fs]\ncommand = "npx"\n',
    servers: [["fs", { command: "npx" }]],
  },
];

for (const { path, text, servers } of CASES) {
  Deno.test(`serverTable: ${path}`, async () => {
    const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS)!;
    const bytes = new TextEncoder().encode(text);
    await validateConfig(path, bytes, kind);
    const root = await parseConfig(path, bytes, { format: kind.format });
    // As plain JSON: TOML tables are objects without a prototype.
    const found = serverTable(root, kind)?.servers.map((
      s,
    ) => [s.name, s.entry]);
    assert.deepEqual(found && JSON.parse(JSON.stringify(found)), servers);
  });
}

// Validation and the report read servers through one function: whatever
// validation accepts with a server table, serverTable reads; a nested table
// of the wrong shape is refused rather than shown as "no servers".
const NESTED_BAD: [string, string][] = [
  [".vscode/settings.json", '{"mcp": {"servers": []}}'],
  [".vscode/settings.json", '{"mcp": {"servers": "npx evil"}}'],
];

for (const [path, text] of NESTED_BAD) {
  Deno.test(`validateConfig refuses what serverTable cannot read: ${text}`, async () => {
    const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS)!;
    await assert.rejects(
      validateConfig(path, new TextEncoder().encode(text), kind),
      /"mcp"\."servers" is not a table/,
    );
  });
}

Deno.test("every built-in kind: a valid config with a server table is read by serverTable", async () => {
  for (const kind of BUILTIN_CONFIG_KINDS) {
    const key = kind.serversKey;
    const inner = kind.serversPath ?? [];
    let table: unknown = { fs: { command: "npx" } };
    for (const k of [...inner].reverse()) table = { [k]: table };
    const text = kind.format === "toml"
      ? `[${key}.fs]\ncommand = "npx"\n`
      : kind.format === "yaml"
      ? `${key}:\n  fs:\n    command: npx\n`
      : JSON.stringify({ [key]: table });
    const path = kind.pattern.replace("**/", "").replace("*", "x");
    const bytes = new TextEncoder().encode(text);
    await validateConfig(path, bytes, kind);
    const root = await parseConfig(path, bytes, { format: kind.format });
    assert.deepEqual(
      JSON.parse(JSON.stringify(serverTable(root, kind)?.servers ?? null)),
      [{ name: "fs", entry: { command: "npx" } }],
      kind.pattern,
    );
  }
});
