import assert from "node:assert/strict";
import {
  BUILTIN_CONFIG_KINDS,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import { parseConfig } from "../../src/configs/validate_config.ts";
import {
  type ServerView,
  serverView,
  serverViews,
} from "../../src/configs/server_view.ts";
import { NEW_CLIENT_FIXTURES } from "../support/client_fixtures.ts";

const encoder = new TextEncoder();

async function views(path: string, text: string): Promise<ServerView[]> {
  const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS);
  assert.ok(kind, `${path} is a config`);
  const root = await parseConfig(path, encoder.encode(text), {
    format: kind.format,
  });
  return serverViews(root, kind);
}

const LOCAL: ServerView = {
  name: "fs",
  transport: "stdio",
  command: "npx",
  args: ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."],
  env: { LOG_LEVEL: "debug" },
  headers: {},
  enabled: true,
  other: {},
};

// One local server, written the way each client's documentation writes it.
const LOCAL_FORMATS: [string, string][] = [
  [
    ".mcp.json",
    `{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."], "env": {"LOG_LEVEL": "debug"}}}}`,
  ],
  [
    ".mcp.json",
    // Unicode escapes in keys and values are the same keys to every reader.
    `{"mcpServers": {"fs": {"\\u0063ommand": "np\\u0078", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."], "e\\u006ev": {"LOG_LEVEL": "debug"}}}}`,
  ],
  [
    ".cursor/mcp.json",
    `{"mcpServers": {"fs": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."], "env": {"LOG_LEVEL": "debug"}}}}`,
  ],
  [
    ".vscode/mcp.json",
    `{
  // comments and trailing commas, as VS Code allows
  "servers": {
    "fs": {
      "type": "stdio",
      "command": "npx", /* the package runner */
      "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", ".",],
      "env": {"LOG_LEVEL": "debug"},
    },
  },
}`,
  ],
  [
    "opencode.json",
    `{"$schema": "https://opencode.ai/config.json", "mcp": {"fs": {"type": "local", "command": ["npx", "-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."], "environment": {"LOG_LEVEL": "debug"}, "enabled": true}}}`,
  ],
  [
    ".zed/settings.json",
    `{"context_servers": {"fs": {"command": {"path": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."], "env": {"LOG_LEVEL": "debug"}}}}}`,
  ],
  [
    ".zed/settings.json",
    `{"context_servers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."], "env": {"LOG_LEVEL": "debug"}}}}`,
  ],
  [
    ".codex/config.toml",
    `[mcp_servers.fs]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."]
env = { LOG_LEVEL = "debug" }
`,
  ],
  [
    ".continue/mcpServers/fs.yaml",
    `name: Filesystem
version: 0.0.1
schema: v1
mcpServers:
  - name: fs
    command: npx
    args:
      - -y
      - "@modelcontextprotocol/server-filesystem@2025.8.21"
      - .
    env:
      LOG_LEVEL: debug
`,
  ],
  [
    "crush.json",
    `{"mcp": {"fs": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."], "env": {"LOG_LEVEL": "debug"}}}}`,
  ],
  [
    ".gemini/settings.json",
    `{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."], "env": {"LOG_LEVEL": "debug"}}}}`,
  ],
];

for (const [path, text] of LOCAL_FORMATS) {
  Deno.test(`server view: a local server in ${path} reads as every other client's`, async () => {
    assert.deepEqual(await views(path, text), [LOCAL]);
  });
}

const REMOTE: ServerView = {
  name: "docs",
  transport: "http",
  url: "https://mcp.example.com/mcp",
  args: [],
  env: {},
  headers: { Authorization: "Bearer ${DOCS_TOKEN}" },
  enabled: true,
  other: {},
};

// A remote server with no command, in each client's spelling.
const REMOTE_FORMATS: [string, string][] = [
  [
    ".mcp.json",
    `{"mcpServers": {"docs": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${DOCS_TOKEN}"}}}}`,
  ],
  [
    ".vscode/mcp.json",
    `{"servers": {"docs": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${DOCS_TOKEN}"}}}}`,
  ],
  [
    "opencode.jsonc",
    `{"mcp": {"docs": {"type": "remote", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${DOCS_TOKEN}"}}}}`,
  ],
  [
    ".codex/config.toml",
    `[mcp_servers.docs]
url = "https://mcp.example.com/mcp"
http_headers = { Authorization = "Bearer \${DOCS_TOKEN}" }
`,
  ],
  [
    ".gemini/settings.json",
    `{"mcpServers": {"docs": {"httpUrl": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${DOCS_TOKEN}"}}}}`,
  ],
  [
    "mcp_config.json",
    `{"mcpServers": {"docs": {"serverUrl": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${DOCS_TOKEN}"}}}}`,
  ],
  [
    ".continue/mcpServers/docs.yaml",
    `name: Docs
version: 0.0.1
schema: v1
mcpServers:
  - name: docs
    type: streamable-http
    url: https://mcp.example.com/mcp
    headers:
      Authorization: Bearer \${DOCS_TOKEN}
`,
  ],
];

for (const [path, text] of REMOTE_FORMATS) {
  Deno.test(`server view: a remote server in ${path} reads as every other client's`, async () => {
    assert.deepEqual(await views(path, text), [REMOTE]);
  });
}

Deno.test("server view: Gemini CLI's url is SSE, its httpUrl streamable HTTP and preferred", async () => {
  const [sse, both] = await views(
    ".gemini/settings.json",
    `{"mcpServers": {"a": {"url": "https://a.example/sse"}, "b": {"url": "https://b.example/sse", "httpUrl": "https://b.example/mcp"}}}`,
  );
  assert.equal(sse?.transport, "sse");
  assert.equal(both?.url, "https://b.example/mcp");
  assert.deepEqual(both?.other, { url: "https://b.example/sse" });
});

Deno.test("server view: fields of another type, unknown types and second spellings stay in other", () => {
  const view = serverView("x", {
    command: "node",
    args: ["a.js", 3],
    env: { A: "1" },
    environment: { B: "2" },
    type: "websocket",
    disabled: "yes",
    alwaysAllow: ["read"],
  });
  assert.equal(view.command, "node");
  assert.deepEqual(view.args, []);
  assert.deepEqual(view.env, { A: "1" });
  assert.equal(view.transport, "unknown");
  assert.equal(view.enabled, true);
  assert.deepEqual(view.other, {
    args: ["a.js", 3],
    environment: { B: "2" },
    type: "websocket",
    disabled: "yes",
    alwaysAllow: ["read"],
  });
});

Deno.test("server view: Zed's command object keeps a top-level env beside it in other", () => {
  const view = serverView("z", {
    command: { path: "srv", env: { A: "1" } },
    env: { A: "2" },
  });
  assert.deepEqual(view.env, { A: "1" });
  assert.deepEqual(view.other, { env: { A: "2" } });
});

Deno.test("server view: Crush reads field names without regard to case, the later spelling winning", async () => {
  const [view] = await views(
    "crush.json",
    `{"MCP": {"x": {"command": "safe", "Command": "evil", "ARGſ": ["--flag"], "\u212aey": "k"}}}`,
  );
  assert.equal(view?.command, "evil");
  assert.deepEqual(view?.args, ["--flag"]);
  assert.deepEqual(view?.other, { command: "safe", "\u212aey": "k" });
  // The same entry in a client that matches exactly.
  const [exact] = await views(
    ".mcp.json",
    `{"mcpServers": {"x": {"command": "safe", "Command": "evil"}}}`,
  );
  assert.equal(exact?.command, "safe");
  assert.deepEqual(exact?.other, { Command: "evil" });
});

Deno.test("server view: disabled and enabled switch a server off", () => {
  assert.equal(
    serverView("a", { command: "x", disabled: true }).enabled,
    false,
  );
  assert.equal(
    serverView("a", { command: "x", enabled: false }).enabled,
    false,
  );
  assert.equal(serverView("a", { command: "x", enabled: true }).enabled, true);
});

Deno.test("server view: a server that is not a table is shown whole", () => {
  assert.deepEqual(serverView("a", "npx x").other, { "": "npx x" });
});

// Every path to a primitive or an object inside a value.
function* places(
  value: unknown,
  path: (string | number)[] = [],
): Generator<(string | number)[]> {
  yield path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* places(item, [...path, i]);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      yield* places(item, [...path, key]);
    }
  }
}

// A copy of `value` with the thing at `path` changed: a primitive altered,
// an object given a new key, a list a new item.
function mutated(value: unknown, path: (string | number)[]): unknown {
  const copy = structuredClone(value);
  if (path.length === 0) return change(copy);
  let parent = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) {
    parent = parent[step] as Record<string | number, unknown>;
  }
  const last = path.at(-1) as string | number;
  parent[last] = change(parent[last]);
  return copy;
}

function change(value: unknown): unknown {
  if (typeof value === "string") return `${value}x`;
  if (typeof value === "number") return value + 1;
  if (typeof value === "boolean") return !value;
  if (value === null) return 0;
  if (Array.isArray(value)) return [...value, "added"];
  return { ...(value as object), zzAdded: "1" };
}

Deno.test("server view: changing any value or adding any key of an entry changes its view", async () => {
  const fixtures: [string, string][] = [
    ...LOCAL_FORMATS,
    ...REMOTE_FORMATS,
    ...NEW_CLIENT_FIXTURES.map((f): [string, string] => [f.path, f.text]),
  ];
  let checked = 0;
  for (const [path, text] of fixtures) {
    const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS)!;
    const root = await parseConfig(path, encoder.encode(text), {
      format: kind.format,
    });
    const before = serverViews(root, kind);
    for (const server of before) {
      const table = before.length === 0
        ? undefined
        : serverViewEntry(root, kind, server.name);
      if (table === undefined) continue;
      for (const place of places(table.entry)) {
        // A list item's name is the server's name: changing it renames it.
        if (place.length === 1 && place[0] === "name") continue;
        const entry = mutated(table.entry, place);
        const after = serverView(server.name, entry, {
          caseless: kind.client === "Crush",
          kind,
        });
        const same = serverView(server.name, table.entry, {
          caseless: kind.client === "Crush",
          kind,
        });
        assert.notDeepEqual(
          after,
          same,
          `${path}: changing ${
            JSON.stringify(place)
          } of "${server.name}" left its view as it was`,
        );
        checked++;
      }
    }
  }
  assert.ok(checked > 200, `only ${checked} changes checked`);
});

function serverViewEntry(
  root: Record<string, unknown>,
  kind: NonNullable<ReturnType<typeof findConfigKind>>,
  name: string,
): { entry: unknown } | undefined {
  // The entry the view was built from, found the way the view finds it.
  const key = [kind.serversKey, ...(kind.otherServersKeys ?? [])].find((k) =>
    Object.hasOwn(root, k)
  );
  if (key === undefined) return undefined;
  let value: unknown = root[key];
  for (const inner of kind.serversPath ?? []) {
    value = (value as Record<string, unknown>)[inner];
  }
  if (Array.isArray(value)) {
    const entry = value.find((item) =>
      (item as { name?: unknown }).name === name
    );
    return entry === undefined ? undefined : { entry };
  }
  const table = value as Record<string, unknown>;
  return Object.hasOwn(table, name) ? { entry: table[name] } : undefined;
}
