/**
 * The server-level comparison of `diff` and the pre-commit summary, on
 * configs as each client writes them: the same servers in every client
 * format (comments, trailing commas, Unicode escapes in keys, remote
 * servers without a command) compare as no change; each field that does
 * change is named; a config that does not parse is reported with its line
 * and column and never as one without servers; and what is printed cannot
 * be forged by a server's name or values, nor show a secret unasked.
 *
 * @module
 */

import assert from "node:assert/strict";
import { hasInvisible } from "../../src/format/quote.ts";
import {
  BUILTIN_CONFIG_KINDS,
  type ConfigKind,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import {
  type ConfigDiff,
  diffConfig,
  readServers,
} from "../../src/configs/config_diff.ts";
import { diffServers } from "../../src/configs/server_diff.ts";
import { serverView } from "../../src/configs/server_view.ts";
import {
  configDiffJson,
  formatConfigDiff,
  summaryLines,
} from "../../src/cli/diff_report.ts";

const encoder = new TextEncoder();

function kindOf(path: string): ConfigKind {
  const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS);
  assert.ok(kind, `${path} is a config`);
  return kind;
}

function version(path: string, text: string) {
  return { path, kind: kindOf(path), bytes: encoder.encode(text) };
}

// The same two servers, one local and one remote, as each client writes them.
const SAME_SERVERS: [string, string][] = [
  [
    ".mcp.json",
    `{"mcpServers": {
      "fs": {"command": "npx", "args": ["-y", "fs@1.0.0", "."], "env": {"LOG_LEVEL": "debug"}},
      "docs": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${T}"}}
    }}`,
  ],
  [
    ".mcp.json",
    // Unicode escapes in keys and values: the same keys to every reader.
    `{"mcp\\u0053ervers": {
      "f\\u0073": {"\\u0063ommand": "np\\u0078", "args": ["-y", "fs@1.0.0", "."], "e\\u006ev": {"LOG_LEVEL": "debug"}},
      "docs": {"type": "http", "\\u0075rl": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${T}"}}
    }}`,
  ],
  [
    ".vscode/mcp.json",
    `{
  // comments and trailing commas, as VS Code allows
  "servers": {
    "docs": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${T}"},},
    "fs": {"type": "stdio", "command": "npx", /* runner */ "args": ["-y", "fs@1.0.0", ".",], "env": {"LOG_LEVEL": "debug"},},
  },
}`,
  ],
  [
    "opencode.json",
    `{"$schema": "https://opencode.ai/config.json", "mcp": {
      "fs": {"type": "local", "command": ["npx", "-y", "fs@1.0.0", "."], "environment": {"LOG_LEVEL": "debug"}, "enabled": true},
      "docs": {"type": "remote", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${T}"}}
    }}`,
  ],
  [
    ".zed/settings.json",
    `{
  // Zed's older command object
  "context_servers": {
    "fs": {"command": {"path": "npx", "args": ["-y", "fs@1.0.0", "."], "env": {"LOG_LEVEL": "debug"}}},
    "docs": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${T}"}}
  }
}`,
  ],
  [
    ".codex/config.toml",
    `# Codex
[mcp_servers.fs]
command = "npx"
args = ["-y", "fs@1.0.0", "."]
env = { LOG_LEVEL = "debug" }

[mcp_servers.docs]
url = "https://mcp.example.com/mcp"
http_headers = { Authorization = "Bearer \${T}" }
`,
  ],
  [
    ".continue/mcpServers/tools.yaml",
    `# Continue
name: Tools
version: 0.0.1
schema: v1
mcpServers:
  - name: fs
    command: npx
    args: ["-y", "fs@1.0.0", "."]
    env:
      LOG_LEVEL: debug
  - name: docs
    type: streamable-http
    url: https://mcp.example.com/mcp
    headers:
      Authorization: Bearer \${T}
`,
  ],
  [
    ".gemini/settings.json",
    `{"mcpServers": {
      "fs": {"command": "npx", "args": ["-y", "fs@1.0.0", "."], "env": {"LOG_LEVEL": "debug"}},
      "docs": {"httpUrl": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer \${T}"}}
    }}`,
  ],
];

Deno.test("diff: the same servers in any two client formats are no server change", async () => {
  let pairs = 0;
  for (const [pathA, textA] of SAME_SERVERS) {
    const before = version(pathA, textA);
    const read = await readServers(before);
    assert.ok("views" in read && read.views.length === 2, pathA);
    for (const [pathB, textB] of SAME_SERVERS) {
      if (textA === textB) continue;
      const diff = await diffConfig(before, version(pathB, textB));
      assert.ok(diff, `${pathA} → ${pathB}: the bytes differ`);
      assert.equal(diff.error, undefined, JSON.stringify(diff.error));
      assert.deepEqual(diff.servers, [], `${pathA} → ${pathB}`);
      pairs++;
    }
  }
  assert.equal(pairs, SAME_SERVERS.length * (SAME_SERVERS.length - 1));
});

Deno.test("diff: each format's change of a value is seen as that field's change", async () => {
  // The last server's argument, changed in each format's own spelling.
  for (const [path, text] of SAME_SERVERS) {
    const changed = text.replace("fs@1.0.0", "fs@1.1.0");
    assert.notEqual(changed, text, path);
    const diff = await diffConfig(version(path, text), version(path, changed));
    assert.deepEqual(
      diff?.servers.map((
        s,
      ) => [s.name, s.change, s.fields.map((f) => f.field)]),
      [["fs", "modified", ["args"]]],
      path,
    );
  }
});

Deno.test("diff: identical bytes are no change at all", async () => {
  const [path, text] = SAME_SERVERS[0]!;
  assert.equal(
    await diffConfig(version(path, text), version(path, text)),
    undefined,
  );
  assert.equal(await diffConfig(undefined, undefined), undefined);
});

Deno.test("diff: servers added, removed and changed, field by field", () => {
  const before = [
    serverView("fs", {
      command: "npx",
      args: ["-y", "fs@1.0.0"],
      env: { KEEP: "1", GONE: "2", CHANGED: "a" },
      cwd: "/a",
      alwaysAllow: ["read"],
    }),
    serverView("old", { url: "https://old.example/mcp" }),
    serverView("web", { url: "https://a.example/mcp", headers: { X: "1" } }),
  ];
  const after = [
    serverView("fs", {
      command: "uvx",
      args: ["-y", "fs@1.1.0"],
      env: { KEEP: "1", CHANGED: "b", NEW: "3" },
      cwd: "/b",
      alwaysAllow: ["read", "write"],
      disabled: true,
    }),
    serverView("new", { command: "node", args: ["srv.js"], envFile: ".env" }),
    serverView("web", {
      type: "sse",
      url: "https://b.example/sse",
      headers: { X: "2" },
    }),
  ];
  const changes = diffServers(before, after);
  assert.deepEqual(changes.map((c) => [c.name, c.change]), [
    ["fs", "modified"],
    ["new", "added"],
    ["old", "removed"],
    ["web", "modified"],
  ]);
  const [fs, added, removed, web] = changes;
  assert.deepEqual(
    fs!.fields.map((
      { field, key, change, before, after },
    ) => [field, key, change, before, after]),
    [
      ["command", undefined, "modified", "npx", "uvx"],
      ["args", undefined, "modified", ["-y", "fs@1.0.0"], ["-y", "fs@1.1.0"]],
      ["cwd", undefined, "modified", "/a", "/b"],
      ["env", "CHANGED", "modified", "a", "b"],
      ["env", "NEW", "added", undefined, "3"],
      ["env", "GONE", "removed", "2", undefined],
      ["enabled", undefined, "modified", true, false],
      ["other", "alwaysAllow", "modified", ["read"], ["read", "write"]],
    ],
  );
  // A new server shows every field it has; a gone one every field it had.
  assert.deepEqual(added!.fields.map((f) => [f.field, f.after]), [
    ["transport", "stdio"],
    ["command", "node"],
    ["args", ["srv.js"]],
    ["envFile", ".env"],
  ]);
  assert.deepEqual(removed!.fields.map((f) => [f.field, f.before]), [
    ["transport", "http"],
    ["url", "https://old.example/mcp"],
  ]);
  assert.deepEqual(
    web!.fields.map((f) => [f.field, f.key, f.before, f.after]),
    [
      ["transport", undefined, "http", "sse"],
      ["url", undefined, "https://a.example/mcp", "https://b.example/sse"],
      ["headers", "X", "1", "2"],
    ],
  );
});

Deno.test("diff: a server named twice is compared occurrence by occurrence, not merged", () => {
  const one = serverView("a", { command: "x" });
  const two = serverView("a", { command: "y" });
  const changes = diffServers([one], [one, two]);
  assert.deepEqual(changes.map((c) => [c.name, c.change]), [["a", "added"]]);
  assert.equal(changes[0]?.after?.command, "y");
});

Deno.test("diff: a version that does not parse is reported with line and column, not as no servers", async () => {
  const good = version(".mcp.json", `{"mcpServers": {"a": {"command": "x"}}}`);
  const bad = version(
    ".mcp.json",
    `{"mcpServers": {\n  "a": {"command": "x",,}}}`,
  );
  const diff = await diffConfig(good, bad);
  assert.equal(diff?.change, "modified");
  assert.match(diff?.error?.after ?? "", /"\.mcp\.json": line 2, column 24: /);
  assert.equal(diff?.error?.before, undefined);
  // Never shown as every server removed.
  assert.deepEqual(diff?.servers, []);
  const text = formatConfigDiff(diff!);
  assert.match(text, /! the newer version cannot be read: .*line 2, column 24/);
  assert.doesNotMatch(text, /^ {2}- a/m);
  // A config whose server table is of the wrong type is no empty one either.
  const wrong = await diffConfig(
    good,
    version(".mcp.json", `{"mcpServers": "npx evil"}`),
  );
  assert.match(
    wrong?.error?.after ?? "",
    /"mcpServers" is a string, not a table/,
  );
  // And TOML and YAML errors carry their positions too.
  const toml = await diffConfig(
    undefined,
    version(".codex/config.toml", `[mcp_servers.a]\ncommand = \n`),
  );
  assert.match(toml?.error?.after ?? "", /line 2/);
  const yaml = await diffConfig(
    undefined,
    version(
      ".continue/mcpServers/a.yaml",
      `mcpServers:\n  - name: a\n   command: [\n`,
    ),
  );
  assert.match(yaml?.error?.after ?? "", /line \d+, column \d+/);
});

const HOSTILE = "evil\nmcp-orchestration: .mcp.json: - github\u001b[2J\u202e";

Deno.test("diff: a hostile server name, key or value cannot forge a line of output", async () => {
  const diff = await diffConfig(
    version(".mcp.json", `{"mcpServers": {}}`),
    version(
      ".mcp.json",
      JSON.stringify({
        mcpServers: {
          [HOSTILE]: {
            command: "sh\n  + ok",
            args: ["-c", "x\ny"],
            env: { [HOSTILE]: "v" },
            [HOSTILE]: { a: "\u001b]0;title\u0007" },
          },
        },
      }),
    ),
  );
  assert.ok(diff);
  const text = formatConfigDiff(diff, { showValues: true });
  const summary = summaryLines(diff);
  for (const out of [text, summary.join("\n") + "\n"]) {
    // Three lines of text (heading, server, its env and other), one summary.
    for (const line of out.split("\n").filter(Boolean)) {
      assert.ok(!hasInvisible(line), line);
    }
  }
  assert.equal(summary.length, 1);
  assert.equal(text.trimEnd().split("\n").length, 4, text);
  assert.match(
    summary[0]!,
    /^\.mcp\.json: \+ "evil\\nmcp-orchestration: \.mcp\.json: - github\\u001b\[2J\\u\{202e\}" \(stdio/,
  );
  assert.match(
    text,
    /\+ "evil\\n.*\(stdio: "sh\\n {2}\+ ok" -c "x\\ny"\)/,
  );
});

Deno.test("diff: values of env and headers are shown only when asked, in text and JSON", async () => {
  const diff = (await diffConfig(
    version(
      ".mcp.json",
      `{"mcpServers": {"a": {"url": "https://x", "headers": {"Authorization": "Bearer old-secret"}, "env": {"T": "s1"}}}}`,
    ),
    version(
      ".mcp.json",
      `{"mcpServers": {"a": {"url": "https://x", "headers": {"Authorization": "Bearer new-secret"}, "env": {"T": "s2", "U": "s3"}}}}`,
    ),
  )) as ConfigDiff;
  const hidden = [formatConfigDiff(diff), JSON.stringify(configDiffJson(diff))];
  for (const out of hidden) {
    for (const secret of ["old-secret", "new-secret", "s1", "s2", "s3"]) {
      assert.ok(!out.includes(secret), `${secret} shown:\n${out}`);
    }
  }
  assert.match(hidden[0]!, /env T: value changed \(value hidden/);
  assert.match(hidden[0]!, /env U: added \(value hidden/);
  assert.deepEqual(configDiffJson(diff).servers, [{
    name: "a",
    change: "modified",
    fields: [
      { field: "env", key: "T", change: "modified", hidden: true },
      { field: "env", key: "U", change: "added", hidden: true },
      {
        field: "headers",
        key: "Authorization",
        change: "modified",
        hidden: true,
      },
    ],
  }]);
  const shown = formatConfigDiff(diff, { showValues: true });
  assert.match(shown, /env T: s1 → s2/);
  assert.match(
    shown,
    /headers Authorization: "Bearer old-secret" → "Bearer new-secret"/,
  );
  const json = configDiffJson(diff, { showValues: true });
  assert.deepEqual(
    (json.servers[0] as { fields: unknown[] }).fields[0],
    { field: "env", key: "T", change: "modified", before: "s1", after: "s2" },
  );
});

Deno.test("diff: the argument list's change reads word by word", async () => {
  const diff = await diffConfig(
    version(
      ".mcp.json",
      `{"mcpServers": {"a": {"command": "npx", "args": ["-y", "a@1", "--port", "80", "x y"]}}}`,
    ),
    version(
      ".mcp.json",
      `{"mcpServers": {"a": {"command": "npx", "args": ["-y", "a@2", "--port", "80", "--verbose"]}}}`,
    ),
  );
  assert.match(
    formatConfigDiff(diff!),
    /args: -y \[-a@1-\]\{\+a@2\+\} --port 80 \[-"x y"-\]\{\+--verbose\+\}\n/,
  );
  assert.deepEqual(summaryLines(diff!), [".mcp.json: ~ a: args"]);
});

Deno.test("diff: other fields show as JSON, TOML dates and all", async () => {
  const diff = await diffConfig(
    version(
      ".codex/config.toml",
      `[mcp_servers.a]\ncommand = "x"\nstartup_timeout_sec = 10\n`,
    ),
    version(
      ".codex/config.toml",
      `[mcp_servers.a]\ncommand = "x"\nstartup_timeout_sec = 20\nsince = 1979-05-27T07:32:00Z\n`,
    ),
  );
  const text = formatConfigDiff(diff!);
  assert.match(text, /other startup_timeout_sec: 10 → 20/);
  assert.match(text, /other since: added "1979-05-27T07:32:00\.000Z"/);
  const json = JSON.parse(JSON.stringify(configDiffJson(diff!)));
  assert.deepEqual(json.servers[0].fields, [
    {
      field: "other",
      key: "startup_timeout_sec",
      change: "modified",
      before: 10,
      after: 20,
    },
    {
      field: "other",
      key: "since",
      change: "added",
      after: "1979-05-27T07:32:00.000Z",
    },
  ]);
});

Deno.test("diff: the summary says a config changed without a server changing", async () => {
  const diff = await diffConfig(
    version(".mcp.json", `{"mcpServers": {"a": {"command": "x"}}}`),
    version(".mcp.json", `{\n  "mcpServers": {"a": {"command": "x"}}\n}\n`),
  );
  assert.deepEqual(summaryLines(diff!), [".mcp.json: no server changed"]);
  assert.match(formatConfigDiff(diff!), /no server changed/);
});
