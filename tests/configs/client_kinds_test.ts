/**
 * The client kinds of issue 11: `.mcp.json` with either table, settings
 * files that are configs only with an MCP section (decided on the parsed
 * keys, however they are spelled), and Continue's YAML blocks, read
 * strictly: no anchor, alias, merge key, tag, directive or second document.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  BUILTIN_CONFIG_KINDS,
  type ConfigKind,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import {
  ConfigError,
  holdsMcpSection,
  isMcpConfig,
  validateConfig,
} from "../../src/configs/validate_config.ts";
import { MAX_CONFIG_DEPTH } from "../../src/constants.ts";
import {
  NEW_CLIENT_FIXTURES,
  SETTINGS_WITHOUT_MCP,
  VISUAL_STUDIO_FIXTURE,
} from "../support/client_fixtures.ts";

const encode = (text: string) => new TextEncoder().encode(text);

function kindOf(path: string): ConfigKind {
  const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS);
  if (!kind) throw new Error(`no built-in kind for "${path}"`);
  return kind;
}

async function problemOf(path: string, text: string) {
  try {
    await validateConfig(path, encode(text), kindOf(path));
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    strictEqual(error.code, "INVALID_CONFIG");
    ok(error.message.includes(`"${path}"`), error.message);
    return error;
  }
}

Deno.test("every new client's fixture is recognised as its own kind and validates", async () => {
  // One fixture per kind added for issue 11, none left out.
  deepStrictEqual(
    NEW_CLIENT_FIXTURES.map(({ path }) => kindOf(path)),
    BUILTIN_CONFIG_KINDS.slice(9),
  );
  for (
    const { path, text } of [...NEW_CLIENT_FIXTURES, VISUAL_STUDIO_FIXTURE]
  ) {
    strictEqual(await problemOf(path, text), undefined, path);
    strictEqual(await isMcpConfig(path, encode(text), kindOf(path)), true);
  }
});

Deno.test("a settings file without MCP section is no config; one with it is", async () => {
  for (const { path, text } of SETTINGS_WITHOUT_MCP) {
    const kind = kindOf(path);
    ok(kind.settings, path);
    strictEqual(await isMcpConfig(path, encode(text), kind), false, path);
  }
  // Files that are not settings are configs whatever they hold.
  strictEqual(
    await isMcpConfig(
      ".cursor/mcp.json",
      encode("{}"),
      kindOf(".cursor/mcp.json"),
    ),
    true,
  );
});

Deno.test("an MCP key is found however it is spelled, nested or escaped", async () => {
  const path = ".claude/settings.json";
  const kind = kindOf(path);
  const cases: [string, boolean][] = [
    ['{"mcp\\u0053ervers": {}}', true], // JSON escape: the client reads "mcpServers"
    ['{"\\u006dcp": {}}', true],
    ['{"enableAllProjectMcpServers": true}', true],
    ['{"ENABLEALLPROJECTMCPSERVERS": true}', true],
    ['{"enabledMcpjsonServers": []}', true],
    ['{"disabledMcpjsonServers": ["x"]}', true],
    ['{"env": {"MCP_TIMEOUT": "10000"}}', true], // Nested keys count too.
    ['{"a": [{"b": {"mcpServers": {}}}]}', true],
    ['{"permissions": {"allow": ["mcp__fs__read"]}}', false], // A value, not a key.
    // Refused by the strict parser, so a config (which then fails validation).
    ['{"model": "x", "model": "y"}', true],
    ['{"a": 1,}', true],
    ['{"a": 1} // mcpServers', true],
    ["{", true],
  ];
  for (const [text, expected] of cases) {
    strictEqual(await isMcpConfig(path, encode(text), kind), expected, text);
  }
  // JSONC: a comment is no key (no client reads it), an escape is.
  const vscode = kindOf(".vscode/settings.json");
  const jsonc = (text: string) =>
    isMcpConfig(".vscode/settings.json", encode(text), vscode);
  strictEqual(await jsonc('{"a": 1, // "mcp": {}\n}'), false);
  strictEqual(await jsonc('{"a": 1, /* x */ "m\\u0063p": {}}'), true);
  strictEqual(
    await jsonc('{"[python]": {"chat.mcp.autostart": "never"}}'),
    true,
  );
  // The same decision for a parsed document of any format.
  strictEqual(holdsMcpSection([{ x: [{ Mcp: 1 }] }]), true);
  strictEqual(holdsMcpSection({ x: ["mcp"] }), false);
});

Deno.test("Claude Code's plugin switches make its settings a config, at the top level only", async () => {
  // Red team 4, finding 5: a marketplace added and a plugin enabled start
  // the plugin's servers, though neither key names MCP.
  for (const path of [".claude/settings.json", ".claude/settings.local.json"]) {
    const kind = kindOf(path);
    const cases: [string, boolean][] = [
      ['{"enabledPlugins": {"team-tools@team": true}}', true],
      [
        '{"extraKnownMarketplaces": {"team": {"source": {"source": "directory", "path": "."}}}}',
        true,
      ],
      ['{"enabledPlugins": {}}', true], // Present is enough: it is signed.
      ['{"env": {"enabledPlugins": "x"}}', false], // Not where Claude reads it.
      ['{"EnabledPlugins": {}}', false], // Claude Code's keys are exact.
    ];
    for (const [text, expected] of cases) {
      strictEqual(await isMcpConfig(path, encode(text), kind), expected, text);
    }
    strictEqual(
      await problemOf(path, '{"enabledPlugins": {"a@b": true}}'),
      undefined,
    );
  }
  // Only Claude Code's kinds know these keys.
  strictEqual(
    await isMcpConfig(
      ".vscode/settings.json",
      encode('{"enabledPlugins": {"a@b": true}}'),
      kindOf(".vscode/settings.json"),
    ),
    false,
  );
});

Deno.test("red team 4's kinds: extensions, plugins, dev containers, assistants, IDE agents", () => {
  const cases: [string, string][] = [
    [".qwen/extensions/helper/qwen-extension.json", "Qwen Code"],
    [".qwen/extensions/helper/gemini-extension.json", "Qwen Code"],
    ["pkg/.gemini/extensions/x/gemini-extension.json", "Gemini CLI"],
    [".claude-plugin/plugin.json", "Claude Code"],
    ["plugins/db/.claude-plugin/plugin.json", "Claude Code"],
    [".claude-plugin/marketplace.json", "Claude Code"],
    [".devcontainer/devcontainer.json", "VS Code"],
    [".devcontainer/python/devcontainer.json", "VS Code"],
    [".devcontainer.json", "VS Code"],
    [".continue/assistants/team.yaml", "Continue"],
    [".continue/agents/team.yml", "Continue"],
    [".amazonq/default.json", "Amazon Q Developer"],
    [".amazonq/agents/default.json", "Amazon Q Developer"],
  ];
  for (const [path, client] of cases) strictEqual(kindOf(path).client, client);
  // Not what the clients read: no kind.
  for (
    const path of [
      ".qwen/extensions/qwen-extension.json", // An extension is a folder.
      ".qwen/extensions/a/b/qwen-extension.json",
      ".devcontainer/a/b/devcontainer.json",
      "devcontainer.json",
      ".continue/assistants/team.json",
      ".continue/assistants/sub/team.yaml",
      ".amazonq/rules/default.json",
      "plugin.json",
    ]
  ) {
    strictEqual(findConfigKind(path, BUILTIN_CONFIG_KINDS), undefined, path);
  }
});

Deno.test("a Claude Code plugin that points at another file for its servers is refused", async () => {
  // That file would be no config of ours: its servers would run unsigned.
  for (const value of ['"./servers.json"', '["./a.json"]']) {
    const error = await problemOf(
      ".claude-plugin/plugin.json",
      `{"name": "x", "mcpServers": ${value}}`,
    );
    ok(error?.problem.includes('"mcpServers" is a'), error?.message);
  }
});

Deno.test("an MCP section turns a settings file into a config that must be well-formed", async () => {
  // A duplicate key is where two readers part ways: refused, with its line.
  const duplicate = await problemOf(
    ".claude/settings.json",
    '{\n  "enableAllProjectMcpServers": false,\n  "enableAllProjectMcpServers": true\n}',
  );
  strictEqual(duplicate?.line, 3);
  ok(duplicate?.problem.includes("duplicate key"), duplicate?.message);
  // Settings files need no server table: a switch is enough.
  strictEqual(
    await problemOf(
      ".claude/settings.local.json",
      '{"enabledMcpjsonServers": []}',
    ),
    undefined,
  );
});

Deno.test(".mcp.json: either table, never both, never neither", async () => {
  strictEqual(await problemOf(".mcp.json", '{"mcpServers": {}}'), undefined);
  strictEqual(await problemOf(".mcp.json", '{"servers": {}}'), undefined);
  const both = await problemOf(
    ".mcp.json",
    '{"servers": {},\n"mcpServers": {}}',
  );
  deepStrictEqual([both?.line, both?.column], [2, 1]);
  ok(both?.problem.includes('both a "servers" and a "mcpServers" table'));
  const neither = await problemOf(".mcp.json", '{"inputs": []}');
  ok(neither?.problem.includes('no "mcpServers" or "servers" table'));
  // Only the exact spelling is a table clients read: others are refused.
  ok(await problemOf(".mcp.json", '{"MCPServers": {}}'));
});

Deno.test("Continue YAML: each reader-dependent feature is refused with its line", async () => {
  const path = ".continue/mcpServers/db.yaml";
  const head = "name: db\nversion: 0.0.1\nschema: v1\n";
  const cases: [string, string, number][] = [
    ["mcpServers: []\nmcpServers: []\n", "duplicate key", 5],
    ["x: &a [1]\nmcpServers: *a\n", 'anchor "&a"', 4],
    ["mcpServers:\n  - name: a\n    <<: {command: x}\n", 'merge key "<<"', 6],
    ["mcpServers:\n  - name: !!str a\n", "explicit tag", 5],
    ["mcpServers:\n  - name: !shell a\n", "custom tags are refused", 5],
    ["mcpServers: []\n? [a, b]\n: c\n", "a key that is a mapping or a list", 5],
    [
      "mcpServers: []\n---\nmcpServers: [{name: evil}]\n",
      "more than one YAML document",
      5,
    ],
    ["mcpServers: [\n", "", 5],
  ];
  for (const [body, problem, line] of cases) {
    const error = await problemOf(path, head + body);
    ok(error, body);
    ok(error.problem.includes(problem), error.message);
    strictEqual(error.line, line, error.message);
  }
  const directive = await problemOf(
    path,
    `%YAML 1.1\n---\n${head}mcpServers: []\n`,
  );
  ok(directive?.problem.includes("directive"), directive?.message);
  ok(await problemOf(path, "- name: x\n"), "a list at the top level");
  ok(await problemOf(path, head), "no mcpServers");
  // A block's servers may be a list or (JSON copies) a table.
  strictEqual(await problemOf(path, `${head}mcpServers: {}\n`), undefined);
});

Deno.test("Continue YAML: a bomb is refused before it expands, and deep nesting fails cleanly", async () => {
  const path = ".continue/mcpServers/bomb.yaml";
  // Billion laughs: nine levels of ten aliases each.
  let bomb = 'a0: &a0 ["lol"]\n';
  for (let i = 1; i < 10; i++) {
    bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
  }
  const started = performance.now();
  const error = await problemOf(path, `${bomb}mcpServers: *a9\n`);
  ok(error?.problem.includes("anchor"), error?.message);
  ok(performance.now() - started < 2000, "refused without expanding");
  const nested = (depth: number) =>
    `mcpServers: ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
  strictEqual(await problemOf(path, nested(MAX_CONFIG_DEPTH - 1)), undefined);
  ok(
    (await problemOf(path, nested(MAX_CONFIG_DEPTH)))?.problem.includes(
      "nesting",
    ),
  );
  for (const depth of [5_000, 200_000]) {
    const deep = await problemOf(path, nested(depth));
    ok(deep?.problem.includes("nesting"), deep?.message);
  }
});
