/**
 * `diff`, end to end with real git and the real hooks: a repository whose
 * commits change `.mcp.json`, `.vscode/mcp.json` and `opencode.json`
 * through the pre-commit hook, which prints one line per server it signs.
 * `diff HEAD~1 HEAD`, against the working tree and the index, by artifact
 * id (current and re-signed ones), `--json` field by field, a config that
 * no longer parses, hostile server names, `--exit-code`, and the errors of
 * a malformed revision, a bad or unknown artifact id and a path that is no
 * config.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { hasInvisible } from "../../src/format/quote.ts";
import {
  commit,
  createFlow,
  installHooks,
  sha256,
  write,
} from "../support/flow.ts";
import { assertCliError } from "../support/errors.ts";

const MCP_V1 = JSON.stringify(
  {
    mcpServers: {
      fs: {
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "."],
        env: { LOG_LEVEL: "debug" },
      },
      old: { type: "http", url: "https://old.example.com/mcp" },
    },
  },
  null,
  2,
);

const MCP_V2 = JSON.stringify(
  {
    mcpServers: {
      fs: {
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-filesystem@2025.9.1", "."],
        env: { LOG_LEVEL: "info" },
      },
      github: {
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-github@1.2.3"],
        env: { GITHUB_TOKEN: "ghp_secretvalue" },
      },
    },
  },
  null,
  2,
);

const VSCODE_V1 = `{
  // the docs server
  "servers": {
    "docs": {"type": "http", "url": "https://docs.example.com/mcp"}
  }
}
`;
// Only formatting and a comment change.
const VSCODE_V2 = `{
  // the documentation server, reformatted
  "servers": {"docs": {"url": "https://docs.example.com/mcp", "type": "http",},},
}
`;

const OPENCODE_V1 = JSON.stringify({
  $schema: "https://opencode.ai/config.json",
  mcp: { local: { type: "local", command: ["node", "server.js"] } },
});
const OPENCODE_V2 = JSON.stringify({
  $schema: "https://opencode.ai/config.json",
  mcp: {
    local: { type: "local", command: ["node", "server.js"], enabled: false },
  },
});

async function setUp() {
  const flow = await createFlow();
  try {
    await installHooks(flow, "alice@example.com");
    await commit(flow, "First configs", {
      ".mcp.json": MCP_V1,
      ".vscode/mcp.json": VSCODE_V1,
      "opencode.json": OPENCODE_V1,
      // The file opencode's server runs (signed with it).
      "server.js": "console.log('mcp');\n",
    });
    return flow;
  } catch (error) {
    await flow.cleanup();
    throw error;
  }
}

Deno.test("diff: the pre-commit hook prints what it signs, and diff shows a commit server by server", async () => {
  await using flow = await setUp();
  await write(flow, {
    ".mcp.json": MCP_V2,
    ".vscode/mcp.json": VSCODE_V2,
    "opencode.json": OPENCODE_V2,
  });
  await flow.ok(["add", "-A"]);
  const committed = await flow.git(["commit", "-q", "-m", "Second configs"]);
  assert.equal(committed.code, 0, committed.stderr);
  const summary = committed.stderr.split("\n")
    .filter((line) => line.startsWith("mcp-orchestration:   "));
  assert.deepEqual(summary, [
    "mcp-orchestration:   .mcp.json: ~ fs: args, env.LOG_LEVEL",
    "mcp-orchestration:   .mcp.json: + github (stdio: npx -y @modelcontextprotocol/server-github@1.2.3)",
    "mcp-orchestration:   .mcp.json: - old (http: https://old.example.com/mcp)",
    "mcp-orchestration:   .vscode/mcp.json: no server changed",
    "mcp-orchestration:   opencode.json: ~ local: enabled",
  ]);
  assert.ok(!committed.stderr.includes("ghp_secretvalue"), committed.stderr);

  const text = await flow.cli(["diff", "HEAD~1", "HEAD"]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.split("\n");
  assert.match(
    lines[0]!,
    /^MCP configs: HEAD~1 \([0-9a-f]{12}\) → HEAD \([0-9a-f]{12}\)$/,
  );
  assert.deepEqual(lines.slice(1), [
    ".mcp.json (Claude Code): modified",
    "  ~ fs",
    "      args: -y [-@modelcontextprotocol/server-filesystem@2025.8.21-]{+@modelcontextprotocol/server-filesystem@2025.9.1+} .",
    "      env LOG_LEVEL: value changed (value hidden: --show-values)",
    "  + github (stdio: npx -y @modelcontextprotocol/server-github@1.2.3)",
    "      env GITHUB_TOKEN: added (value hidden: --show-values)",
    "  - old (http: https://old.example.com/mcp)",
    ".vscode/mcp.json (VS Code): modified",
    "  no server changed (only formatting)",
    "opencode.json (opencode): modified",
    "  ~ local",
    "      enabled: true → false",
    "",
  ]);
  assert.ok(!text.stdout.includes("ghp_secretvalue"));

  const json = await flow.cli([
    "diff",
    "HEAD~1..HEAD",
    "--json",
    "--",
    ".mcp.json",
  ]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), [{
    path: ".mcp.json",
    client: "Claude Code",
    change: "modified",
    servers: [
      {
        name: "fs",
        change: "modified",
        fields: [
          {
            field: "args",
            change: "modified",
            before: [
              "-y",
              "@modelcontextprotocol/server-filesystem@2025.8.21",
              ".",
            ],
            after: [
              "-y",
              "@modelcontextprotocol/server-filesystem@2025.9.1",
              ".",
            ],
          },
          { field: "env", key: "LOG_LEVEL", change: "modified", hidden: true },
        ],
      },
      {
        name: "github",
        change: "added",
        fields: [
          { field: "transport", change: "added", after: "stdio" },
          { field: "command", change: "added", after: "npx" },
          {
            field: "args",
            change: "added",
            after: ["-y", "@modelcontextprotocol/server-github@1.2.3"],
          },
          { field: "env", key: "GITHUB_TOKEN", change: "added", hidden: true },
        ],
      },
      {
        name: "old",
        change: "removed",
        fields: [
          { field: "transport", change: "removed", before: "http" },
          {
            field: "url",
            change: "removed",
            before: "https://old.example.com/mcp",
          },
        ],
      },
    ],
  }]);
  const values = await flow.cli([
    "diff",
    "HEAD~1",
    "HEAD",
    "--show-values",
    "--json",
    "--",
    ".mcp.json",
  ]);
  assert.ok(
    values.stdout.includes('"after": "ghp_secretvalue"'),
    values.stdout,
  );

  // By artifact id: HEAD~1's version (re-signed since: its bytes are in
  // history only) against the working tree, and the current one.
  const old = await flow.ok(["show", "HEAD~1:.mcp.json"]);
  const byOld = await flow.cli(["diff", sha256(old)]);
  assert.equal(byOld.code, 0, byOld.stderr);
  assert.match(
    byOld.stdout,
    /^MCP configs: artifact [0-9a-f]{12}… \(from commit [0-9a-f]{12}\) → working tree\n\.mcp\.json \(Claude Code\): modified\n {2}~ fs\n/,
  );
  // Only the artifact's config is compared.
  assert.ok(!byOld.stdout.includes("opencode.json"), byOld.stdout);
  const current = sha256(await flow.ok(["show", "HEAD:.mcp.json"]));
  const byBoth = await flow.cli(["diff", sha256(old), current, "--json"]);
  assert.equal(byBoth.code, 0, byBoth.stderr);
  assert.deepEqual(
    JSON.parse(byBoth.stdout)[0].servers.map((
      s: { name: string; change: string },
    ) => [s.name, s.change]),
    [["fs", "modified"], ["github", "added"], ["old", "removed"]],
  );
  const same = await flow.cli(["diff", current]);
  assert.equal(
    same.stdout,
    `No MCP config differs (artifact ${
      current.slice(0, 12)
    }… → working tree)\n`,
  );
});

Deno.test("diff: the working tree and the index against HEAD, a config that no longer parses, --exit-code", async () => {
  await using flow = await setUp();
  const clean = await flow.cli(["diff", "--exit-code"]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(
    clean.stdout,
    /^No MCP config differs \(HEAD \([0-9a-f]{12}\) → working tree\)\n$/,
  );

  await write(flow, { ".mcp.json": MCP_V2 });
  await flow.ok(["add", ".mcp.json"]);
  // Then broken in the working tree only: the index keeps MCP_V2.
  await write(flow, {
    ".mcp.json": '{"mcpServers": {\n  "fs": {"command": "npx",,}}}',
  });
  const staged = await flow.cli(["diff", "--staged", "--json"]);
  assert.equal(staged.code, 0, staged.stderr);
  assert.deepEqual(
    JSON.parse(staged.stdout).map((
      c: { path: string; servers: { name: string }[] },
    ) => [c.path, c.servers.map((s) => s.name)]),
    [[".mcp.json", ["fs", "github", "old"]]],
  );
  const cached = await flow.cli(["diff", "--cached", "HEAD"]);
  assert.match(cached.stdout, /^MCP configs: HEAD \([0-9a-f]{12}\) → index\n/);

  const broken = await flow.cli(["diff", "--exit-code"]);
  assert.equal(broken.code, 1, broken.stderr);
  assert.equal(broken.stderr, "");
  assert.deepEqual(broken.stdout.split("\n").slice(1), [
    ".mcp.json (Claude Code): modified",
    '  ! the newer version cannot be read: Invalid MCP config ".mcp.json": line 2, column 27: expected a key in double quotes',
    "  (its servers are not compared)",
    "",
  ]);
  const brokenJson = await flow.cli(["diff", "--json"]);
  assert.equal(brokenJson.code, 0);
  assert.deepEqual(JSON.parse(brokenJson.stdout), [{
    path: ".mcp.json",
    client: "Claude Code",
    change: "modified",
    error: {
      after:
        'Invalid MCP config ".mcp.json": line 2, column 27: expected a key in double quotes',
    },
    servers: [],
  }]);

  // A config added and one removed in the working tree.
  await write(flow, { ".mcp.json": MCP_V1, ".cursor/mcp.json": MCP_V1 });
  await Deno.remove(`${flow.repo.root}/opencode.json`);
  const json = await flow.cli(["diff", "--json"]);
  assert.deepEqual(
    JSON.parse(json.stdout).map((
      c: {
        path: string;
        change: string;
        servers: { name: string; change: string }[];
      },
    ) => [
      c.path,
      c.change,
      c.servers.map((s) => `${s.change} ${s.name}`),
    ]),
    [
      [".cursor/mcp.json", "added", ["added fs", "added old"]],
      ["opencode.json", "removed", ["removed local"]],
    ],
  );
});

Deno.test("diff: a hostile server name cannot forge lines of the report", async () => {
  await using flow = await setUp();
  const hostile =
    "x\n.mcp.json (Claude Code): modified\n  - fs\u001b[2K\u009b31m\u202e";
  await write(flow, {
    ".mcp.json": JSON.stringify({
      mcpServers: {
        [hostile]: { command: "npx\n  + ok", args: ["a\u001b]0;t\u0007"] },
      },
    }),
  });
  const result = await flow.cli(["diff", "--", ".mcp.json"]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split("\n");
  // The heading, the config, the server added, the two removed: nothing more.
  assert.equal(lines.length, 5, result.stdout);
  for (const line of lines) {
    assert.ok(!hasInvisible(line), line);
  }
  const added = lines.find((line) => line.startsWith("  + "));
  assert.match(
    added ?? "",
    /^ {2}\+ "x\\n\.mcp\.json \(Claude Code\): modified\\n {2}- fs\\u001b\[2K/,
  );
  const json = await flow.cli(["diff", "--json"]);
  // JSON keeps the name as it is, escaped by JSON itself.
  const servers = JSON.parse(json.stdout)[0].servers;
  assert.deepEqual(
    servers.map((s: { name: string; change: string }) => [s.name, s.change]),
    [["fs", "removed"], ["old", "removed"], [hostile, "added"]],
  );
});

Deno.test("diff: a malformed revision, a bad or unknown artifact id and a path that is no config are refused by name", async () => {
  await using flow = await setUp();
  assertCliError(
    await flow.cli(["diff", "nosuchref"]),
    "USAGE",
    '"nosuchref" is neither a revision nor an artifact id',
  );
  assertCliError(
    await flow.cli(["diff", "abc"]),
    "USAGE",
    '"abc" is neither a revision nor an artifact id (64 lowercase hex digits)',
  );
  assertCliError(await flow.cli(["diff", "HEAD...HEAD"]), "USAGE", '"A...B"');
  // Paths follow the revisions without "--", as in git diff; a word that
  // names both a revision and a file is refused until "--" says which.
  const plain = await flow.cli(["diff", "HEAD", ".mcp.json"]);
  assert.equal(plain.code, 0, plain.stderr);
  const separated = await flow.cli(["diff", "HEAD", "--", ".mcp.json"]);
  assert.equal(plain.stdout, separated.stdout);
  await flow.repo.write("HEAD", "a file named like a revision\n");
  assertCliError(
    await flow.cli(["diff", "HEAD"]),
    "USAGE",
    '"HEAD" is both a revision and a file',
  );
  assert.equal((await flow.cli(["diff", "HEAD", "--"])).code, 0);
  await Deno.remove(join(flow.repo.root, "HEAD"));
  assertCliError(
    await flow.cli(["diff", "HEAD", "HEAD", "HEAD"]),
    "USAGE",
    'put paths after "--"',
  );
  assertCliError(
    await flow.cli(["diff", "--staged", "HEAD", "HEAD"]),
    "USAGE",
    "--staged",
  );
  assertCliError(
    await flow.cli(["diff", "--rev", "HEAD"]),
    "USAGE",
    'Unknown option "--rev"',
  );
  const unknown = "f".repeat(64);
  assertCliError(
    await flow.cli(["diff", unknown]),
    "BAD_PATH",
    `No signed config has the artifact id "${unknown}"`,
  );
  assertCliError(
    await flow.cli(["diff", "--", "README.md"]),
    "BAD_PATH",
    'Cannot diff "README.md": it is not a recognised MCP config',
  );
  assertCliError(
    await flow.cli(["diff", "HEAD", "--", "../outside.json"]),
    "BAD_PATH",
    "outside the repository",
  );
  // A name that git would read as an option is never passed to it as one.
  const dashed = await flow.cli(["diff", "--", "--output=x"]);
  assertCliError(dashed, "BAD_PATH", '"--output=x"');
  // --help after "--" is a path, not a request for help.
  assertCliError(
    await flow.cli(["diff", "--", "--help"]),
    "BAD_PATH",
    '"--help"',
  );
});
