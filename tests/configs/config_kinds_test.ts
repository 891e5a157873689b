import {
  deepStrictEqual as assertEquals,
  ok as assert,
  strictEqual,
  throws,
} from "node:assert/strict";
import { STORE_DIR } from "../../src/constants.ts";
import { ToolError } from "../../src/errors.ts";
import {
  BUILTIN_CONFIG_KINDS,
  configBeneath,
  type ConfigKind,
  findConfigKind,
  mayBeConfigName,
} from "../../src/configs/config_kinds.ts";
import { PatternAutomaton } from "../../src/configs/path_glob.ts";
import { assertToolError } from "../support/errors.ts";

// --- Built-in kinds ---

Deno.test("the built-in kinds are the documented clients, files and server keys", () => {
  assertEquals(
    BUILTIN_CONFIG_KINDS.map((
      k,
    ) => [k.client, k.pattern, k.format, k.serversKey]),
    [
      ["Claude Code", "**/.mcp.json", "json", "mcpServers"],
      ["Cursor", "**/.cursor/mcp.json", "json", "mcpServers"],
      ["VS Code", "**/.vscode/mcp.json", "jsonc", "servers"],
      ["Claude Desktop", "**/claude_desktop_config.json", "json", "mcpServers"],
      ["Gemini CLI", "**/.gemini/settings.json", "jsonc", "mcpServers"],
      ["Zed", "**/.zed/settings.json", "jsonc", "context_servers"],
      ["Codex", "**/.codex/config.toml", "toml", "mcp_servers"],
      ["Windsurf", "**/mcp_config.json", "json", "mcpServers"],
      ["Cline", "**/cline_mcp_settings.json", "json", "mcpServers"],
      ["Roo Code", "**/.roo/mcp.json", "json", "mcpServers"],
      ["Kiro", "**/.kiro/settings/mcp.json", "json", "mcpServers"],
      ["Kiro", "**/.kiro/agents/*.json", "json", "mcpServers"],
      ["Amazon Q Developer", "**/.amazonq/mcp.json", "json", "mcpServers"],
      [
        "Amazon Q Developer",
        "**/.amazonq/cli-agents/*.json",
        "json",
        "mcpServers",
      ],
      ["JetBrains Junie", "**/.junie/mcp/mcp.json", "json", "mcpServers"],
      ["opencode", "**/opencode.json", "jsonc", "mcp"],
      ["opencode", "**/opencode.jsonc", "jsonc", "mcp"],
      ["Continue", "**/.continue/mcpServers/*.yaml", "yaml", "mcpServers"],
      ["Continue", "**/.continue/mcpServers/*.yml", "yaml", "mcpServers"],
      ["Continue", "**/.continue/mcpServers/*.json", "json", "mcpServers"],
      ["Claude Code", "**/.claude/settings.json", "json", "mcpServers"],
      ["Claude Code", "**/.claude/settings.local.json", "json", "mcpServers"],
      ["VS Code", "**/.vscode/settings.json", "jsonc", "mcp"],
      ["Copilot CLI", "**/.github/mcp.json", "json", "mcpServers"],
      ["Qwen Code", "**/.qwen/settings.json", "json", "mcpServers"],
      ["Qwen Code", "**/.qwen/settings.local.json", "json", "mcpServers"],
      [
        "Qwen Code",
        "**/.qwen/extensions/*/qwen-extension.json",
        "json",
        "mcpServers",
      ],
      [
        "Qwen Code",
        "**/.qwen/extensions/*/gemini-extension.json",
        "json",
        "mcpServers",
      ],
      [
        "Gemini CLI",
        "**/.gemini/extensions/*/gemini-extension.json",
        "json",
        "mcpServers",
      ],
      ["Claude Code", "**/.claude-plugin/plugin.json", "json", "mcpServers"],
      [
        "Claude Code",
        "**/.claude-plugin/marketplace.json",
        "json",
        "mcpServers",
      ],
      [
        "VS Code",
        "**/.devcontainer/devcontainer.json",
        "jsonc",
        "customizations",
      ],
      [
        "VS Code",
        "**/.devcontainer/*/devcontainer.json",
        "jsonc",
        "customizations",
      ],
      ["VS Code", "**/.devcontainer.json", "jsonc", "customizations"],
      ["Continue", "**/.continue/assistants/*.yaml", "yaml", "mcpServers"],
      ["Continue", "**/.continue/assistants/*.yml", "yaml", "mcpServers"],
      ["Continue", "**/.continue/agents/*.yaml", "yaml", "mcpServers"],
      ["Continue", "**/.continue/agents/*.yml", "yaml", "mcpServers"],
      ["Amazon Q Developer", "**/.amazonq/default.json", "json", "mcpServers"],
      ["Amazon Q Developer", "**/.amazonq/agents/*.json", "json", "mcpServers"],
      ["Kilo Code", "**/.kilocode/mcp.json", "json", "mcpServers"],
      ["Kilo Code", "**/kilo.json", "jsonc", "mcp"],
      ["Kilo Code", "**/kilo.jsonc", "jsonc", "mcp"],
      ["Crush", "**/.crush.json", "json", "mcp"],
      ["Crush", "**/crush.json", "json", "mcp"],
      ["Visual Studio", "**/.vs/mcp.json", "json", "servers"],
      ["Amp", "**/.amp/settings.json", "jsonc", "amp.mcpServers"],
    ],
  );
  // The other keys of a table, list tables and settings files.
  assertEquals(
    BUILTIN_CONFIG_KINDS.filter((k) => k.otherServersKeys).map((k) => [
      k.pattern,
      k.otherServersKeys,
    ]),
    [
      ["**/.mcp.json", ["servers"]],
      ["**/.github/mcp.json", ["servers"]],
      ["**/.vs/mcp.json", ["mcpServers"]],
    ],
  );
  assertEquals(
    BUILTIN_CONFIG_KINDS.filter((k) => k.serversList).map((k) => k.pattern),
    [
      "**/.continue/mcpServers/*.yaml",
      "**/.continue/mcpServers/*.yml",
      "**/.continue/mcpServers/*.json",
      "**/.continue/assistants/*.yaml",
      "**/.continue/assistants/*.yml",
      "**/.continue/agents/*.yaml",
      "**/.continue/agents/*.yml",
    ],
  );
  assertEquals(
    BUILTIN_CONFIG_KINDS.filter((k) => k.settings).map((k) => k.pattern),
    [
      "**/.kiro/agents/*.json",
      "**/.amazonq/cli-agents/*.json",
      "**/opencode.json",
      "**/opencode.jsonc",
      "**/.claude/settings.json",
      "**/.claude/settings.local.json",
      "**/.vscode/settings.json",
      "**/.qwen/settings.json",
      "**/.qwen/settings.local.json",
      "**/.qwen/extensions/*/qwen-extension.json",
      "**/.qwen/extensions/*/gemini-extension.json",
      "**/.gemini/extensions/*/gemini-extension.json",
      "**/.claude-plugin/plugin.json",
      "**/.claude-plugin/marketplace.json",
      "**/.devcontainer/devcontainer.json",
      "**/.devcontainer/*/devcontainer.json",
      "**/.devcontainer.json",
      "**/.continue/assistants/*.yaml",
      "**/.continue/assistants/*.yml",
      "**/.continue/agents/*.yaml",
      "**/.continue/agents/*.yml",
      "**/.amazonq/default.json",
      "**/.amazonq/agents/*.json",
      "**/kilo.json",
      "**/kilo.jsonc",
      "**/.crush.json",
      "**/crush.json",
      "**/.amp/settings.json",
    ],
  );
  // Keys that make a settings file a config without naming MCP.
  assertEquals(
    BUILTIN_CONFIG_KINDS.filter((k) => k.mcpKeys).map((k) => [
      k.pattern,
      k.mcpKeys,
    ]),
    [
      ["**/.claude/settings.json", [
        "enabledPlugins",
        "extraKnownMarketplaces",
      ]],
      ["**/.claude/settings.local.json", [
        "enabledPlugins",
        "extraKnownMarketplaces",
      ]],
    ],
  );
});

Deno.test("the built-in kinds cannot be changed at run time", () => {
  assert(Object.isFrozen(BUILTIN_CONFIG_KINDS));
  throws(() => {
    (BUILTIN_CONFIG_KINDS as ConfigKind[]).pop();
  }, TypeError);
  throws(() => {
    (BUILTIN_CONFIG_KINDS[0] as ConfigKind).pattern = "nothing";
  }, TypeError);
  throws(() => {
    (BUILTIN_CONFIG_KINDS[0]!.otherServersKeys as string[]).push("x");
  }, TypeError);
  const claude = BUILTIN_CONFIG_KINDS.find((k) => k.mcpKeys)!;
  throws(() => {
    (claude.mcpKeys as string[]).push("x");
  }, TypeError);
  strictEqual(BUILTIN_CONFIG_KINDS.length, 47);
});

Deno.test("findConfigKind recognises every built-in file at the root and at any depth", () => {
  const cases: [string, string][] = [
    [".mcp.json", "Claude Code"],
    [".cursor/mcp.json", "Cursor"],
    [".vscode/mcp.json", "VS Code"],
    ["claude_desktop_config.json", "Claude Desktop"],
    [".gemini/settings.json", "Gemini CLI"],
    [".zed/settings.json", "Zed"],
    [".codex/config.toml", "Codex"],
    ["mcp_config.json", "Windsurf"],
    ["cline_mcp_settings.json", "Cline"],
    [".roo/mcp.json", "Roo Code"],
    [".kiro/settings/mcp.json", "Kiro"],
    [".kiro/agents/reviewer.json", "Kiro"],
    [".amazonq/mcp.json", "Amazon Q Developer"],
    [".amazonq/cli-agents/dev.json", "Amazon Q Developer"],
    [".junie/mcp/mcp.json", "JetBrains Junie"],
    ["opencode.json", "opencode"],
    [".opencode/opencode.jsonc", "opencode"],
    [".continue/mcpServers/db.yaml", "Continue"],
    [".continue/mcpServers/db.yml", "Continue"],
    [".continue/mcpServers/db.json", "Continue"],
    [".claude/settings.json", "Claude Code"],
    [".claude/settings.local.json", "Claude Code"],
    [".vscode/settings.json", "VS Code"],
    [".github/mcp.json", "Copilot CLI"],
    [".qwen/settings.json", "Qwen Code"],
    [".qwen/settings.local.json", "Qwen Code"],
    [".kilocode/mcp.json", "Kilo Code"],
    ["kilo.json", "Kilo Code"],
    ["kilo.jsonc", "Kilo Code"],
    [".kilo/kilo.json", "Kilo Code"],
    [".kilo/kilo.jsonc", "Kilo Code"],
    [".crush.json", "Crush"],
    ["crush.json", "Crush"],
    [".crush/crush.json", "Crush"],
    [".vs/mcp.json", "Visual Studio"],
    [".amp/settings.json", "Amp"],
  ];
  for (const [path, client] of cases) {
    for (const prefix of ["", "packages/api/", "a/b/c/d/"]) {
      strictEqual(
        findConfigKind(prefix + path, BUILTIN_CONFIG_KINDS)?.client,
        client,
        prefix + path,
      );
    }
  }
});

Deno.test("findConfigKind ignores other files, the store and .git folders", () => {
  const paths = [
    "mcp.json",
    "x.mcp.json",
    ".mcp.json.bak",
    ".mcp.jsonc",
    ".mcp.json/x",
    ".cursor/mcp.json5",
    ".cursor/x/mcp.json",
    ".vscode/extensions.json",
    ".claude/commands.json",
    ".kiro/agents/x/y.json",
    ".kiro/agents.json",
    ".continue/mcpServers/notes.md",
    ".continue/config.yaml",
    "vscode/mcp.json",
    ".codex/config.json",
    "settings.json",
    `${STORE_DIR}/.mcp.json`,
    `${STORE_DIR}/artifacts/.vscode/mcp.json`,
    ".git/.mcp.json",
    "vendor/lib/.git/.cursor/mcp.json",
  ];
  for (const path of paths) {
    strictEqual(findConfigKind(path, BUILTIN_CONFIG_KINDS), undefined, path);
  }
  // Only the store at the root is special: a nested folder of that name is not.
  strictEqual(
    findConfigKind(`sub/${STORE_DIR}/.mcp.json`, BUILTIN_CONFIG_KINDS)?.client,
    "Claude Code",
  );
});

Deno.test("findConfigKind matches names that case-insensitive file systems open as a config", () => {
  const paths = [
    ".MCP.JSON",
    ".Cursor/MCP.json",
    "Packages/.VSCODE/Mcp.Json",
    ".mcp.json.", // Windows drops trailing dots and spaces.
    ".mcp.json ",
    ".mcp\u200c.json", // HFS+ ignores zero-width joiners.
    ".mcp.j\u017fon", // Long s upper-cases to S.
    "\u0043laude_desktop_config.json",
    ".codex/config.TOML",
  ];
  for (const path of paths) {
    assert(findConfigKind(path, BUILTIN_CONFIG_KINDS), path);
  }
});

Deno.test("findConfigKind throws on paths that are not repository-relative", () => {
  for (
    const path of [
      "",
      "/.mcp.json",
      "./.mcp.json",
      "a/../.mcp.json",
      "a//.mcp.json",
      "a/",
      ".",
    ]
  ) {
    assertToolError(
      () => findConfigKind(path, BUILTIN_CONFIG_KINDS),
      "BAD_PATH",
      `"${path}"`,
    );
  }
});

Deno.test("findConfigKind globs: *, ? and ** match as documented", () => {
  const cases: [pattern: string, matches: string[], misses: string[]][] = [
    ["tools/*/mcp.json", ["tools/a/mcp.json", "tools/.hidden/mcp.json"], [
      "tools/mcp.json",
      "tools/a/b/mcp.json",
      "x/tools/a/mcp.json",
    ]],
    ["**/x.json", ["x.json", "a/x.json", "a/b/c/x.json"], [
      "ax.json",
      "a/x.json/b",
    ]],
    ["a/**/b.json", ["a/b.json", "a/x/b.json", "a/x/y/b.json"], [
      "b.json",
      "x/a/b.json",
      "a/bb.json",
    ]],
    ["a/**", ["a/x", "a/x/y"], ["b/x"]],
    ["*.mcp.json", ["dev.mcp.json", ".mcp.json"], [
      "a/dev.mcp.json",
      "dev.mcp.jsonc",
    ]],
    ["config-?.json", ["config-1.json", "config-é.json"], [
      "config-.json",
      "config-12.json",
    ]],
    ["mcp.json", ["mcp.json"], ["a/mcp.json"]],
    ["**/**/deep/**/**/x", ["deep/x", "a/deep/b/x"], ["deep", "a/x"]],
  ];
  for (const [pattern, matches, misses] of cases) {
    const kinds = [{
      client: "T",
      pattern,
      format: "json" as const,
      serversKey: "s",
    }];
    for (const path of matches) {
      strictEqual(
        findConfigKind(path, kinds),
        kinds[0],
        `${pattern} ~ ${path}`,
      );
    }
    for (const path of misses) {
      strictEqual(
        findConfigKind(path, kinds),
        undefined,
        `${pattern} !~ ${path}`,
      );
    }
  }
});

Deno.test("findConfigKind stays fast on patterns that make backtracking matchers explode", () => {
  const kinds: ConfigKind[] = [
    {
      client: "T",
      pattern: `${"*a".repeat(40)}b`,
      format: "json",
      serversKey: "s",
    },
    {
      client: "T",
      pattern: `${"**/".repeat(60)}*a*a*a*a*a*b`,
      format: "json",
      serversKey: "s",
    },
  ];
  const path = `${"a/".repeat(60)}${"a".repeat(200)}`;
  const start = performance.now();
  strictEqual(findConfigKind(path, kinds), undefined);
  strictEqual(findConfigKind("a".repeat(200), kinds), undefined);
  assert(performance.now() - start < 2000, "matching took too long");
});

Deno.test("findConfigKind: the first matching kind wins, so built-ins cannot be overridden", () => {
  const repo: ConfigKind = {
    client: "Fake",
    pattern: "**/.mcp.json",
    format: "toml",
    serversKey: "x",
  };
  const extra: ConfigKind = {
    client: "Ours",
    pattern: "tools/*.json",
    format: "json",
    serversKey: "mcpServers",
  };
  const kinds = [...BUILTIN_CONFIG_KINDS, repo, extra];
  strictEqual(findConfigKind("a/.mcp.json", kinds)?.client, "Claude Code");
  strictEqual(findConfigKind("tools/x.json", kinds), extra);
});

// --- What can be a config beneath a folder, or through a link ---

function kind(pattern: string): ConfigKind {
  return { client: "T", pattern, format: "json", serversKey: "s" };
}

Deno.test("configBeneath: whether any pattern can match beneath a folder, with an example", () => {
  const cases: [
    pattern: string,
    folder: string,
    example: string | undefined,
  ][] = [
    // "**/" patterns match beneath any folder.
    ["**/.mcp.json", "vendor/lib", "vendor/lib/.mcp.json"],
    ["**/.cursor/mcp.json", "vendor/lib", "vendor/lib/.cursor/mcp.json"],
    ["**/.cursor/mcp.json", "a/.cursor", "a/.cursor/mcp.json"],
    ["**/.cursor/mcp.json", "a/.CURSOR.", "a/.CURSOR./mcp.json"],
    // Anchored patterns only beneath their own folders.
    ["tools/*/mcp.json", "docs", undefined],
    ["tools/*/mcp.json", "tools", "tools/x/mcp.json"],
    ["tools/*/mcp.json", "Tools", "Tools/x/mcp.json"],
    ["tools/*/mcp.json", "tools/search", "tools/search/mcp.json"],
    ["tools/*/mcp.json", "tools/search/deep", undefined],
    ["tools/*/mcp.json", "docs/tools", undefined],
    ["tools/mcp.json", "tools", "tools/mcp.json"],
    ["tools/mcp.json", "tools/mcp.json", undefined],
    ["?/x.json", "a", "a/x.json"],
    ["?/x.json", "ab", undefined],
    ["a/**/b.json", "a/x/y", "a/x/y/b.json"],
    ["a/**", "a", "a/mcp.json"],
    ["a/**", "b", undefined],
    ["a/*.json", "a", "a/.json"],
    ["a/.*", "a", "a/.x"],
    ["a/.git*", "a", "a/.gitx"],
    // Never a config beneath the store or a .git folder.
    ["**/.mcp.json", ".mcp-orchestration/x", undefined],
    ["**/.mcp.json", "a/.git", undefined],
  ];
  for (const [pattern, folder, example] of cases) {
    const kinds = [kind(pattern)];
    const found = configBeneath(folder, kinds);
    strictEqual(found?.path, example, `${pattern} beneath ${folder}`);
    if (found) strictEqual(findConfigKind(found.path, kinds), kinds[0]);
  }
  strictEqual(
    configBeneath("vendor/lib", BUILTIN_CONFIG_KINDS)?.kind.client,
    "Claude Code",
  );
  throws(() => configBeneath("a//b", BUILTIN_CONFIG_KINDS), ToolError);
});

Deno.test("configBeneath agrees with findConfigKind on every path tried beneath a folder", () => {
  // Patterns and folders built from a few names; every path of up to three
  // more names beneath the folder is tried. An example must match, and
  // "nothing beneath" must mean no path tried matches.
  const names = ["a", "b", "x.json", "mcp.json", ".cursor", "A.", "ab"];
  const segments = ["a", "b", "*", "?", "**", "x.json", "*.json", ".cursor"];
  let random = 7;
  const pick = <T>(list: readonly T[]): T => {
    random = (random * 1103515245 + 12345) % 2147483648;
    return list[random % list.length]!;
  };
  for (let round = 0; round < 300; round++) {
    const length = 1 + (round % 4);
    const parts = Array.from({ length }, () => pick(segments));
    if (parts.at(-1) === "**") parts.push(pick(["x.json", "*"]));
    const kinds = [kind(parts.join("/"))];
    const folder = Array.from({ length: 1 + (round % 3) }, () => pick(names))
      .join("/");
    const found = configBeneath(folder, kinds);
    let any: string | undefined;
    const tails = [[""]];
    for (let depth = 0; depth < 3; depth++) {
      for (const tail of [...tails]) {
        for (const name of names) tails.push([...tail, name]);
      }
    }
    for (const tail of tails) {
      const path = [folder, ...tail.filter((n) => n !== "")].join("/");
      if (path !== folder && findConfigKind(path, kinds)) {
        any = path;
        break;
      }
    }
    const what = `${kinds[0]!.pattern} beneath ${folder}`;
    if (found) {
      assert(found.path.startsWith(`${folder}/`), what);
      strictEqual(findConfigKind(found.path, kinds), kinds[0], what);
    } else {
      strictEqual(any, undefined, what);
    }
    if (any) assert(found, `${what}: ${any} matches`);
  }
});

Deno.test("mayBeConfigName: the names a config path can end in", () => {
  for (
    const name of [".mcp.json", "MCP.json", "settings.json", "config.toml"]
  ) {
    assert(mayBeConfigName(name, BUILTIN_CONFIG_KINDS), name);
  }
  // Folders of configs (".kiro/agents/*.json", ".continue/mcpServers/*.yaml")
  // make any JSON or YAML name a possible config name.
  for (const name of ["x.json", "x.YAML", "x.yml"]) {
    assert(mayBeConfigName(name, BUILTIN_CONFIG_KINDS), name);
  }
  for (const name of ["README.md", "mcp.jsonc", "x.toml", "x.json5"]) {
    assert(!mayBeConfigName(name, BUILTIN_CONFIG_KINDS), name);
  }
  assert(mayBeConfigName("x.json", [kind("tools/*.json")]));
  assert(mayBeConfigName("anything", [kind("tools/**")]));
});

Deno.test("PatternAutomaton: states through a folder are those of findConfigKind on the whole path", () => {
  // For a link L to a folder holding rel, L + rel matches exactly when a
  // state after L is among those rel's names lead back from.
  const kinds = [...BUILTIN_CONFIG_KINDS, kind("tools/*/mcp.json")];
  const automaton = new PatternAutomaton(kinds);
  const statesOf = (rel: string[]) => {
    let states = automaton.endingIn(rel.at(-1)!);
    for (const name of rel.slice(0, -1).reverse()) {
      states = automaton.before(name, states);
    }
    return states;
  };
  const links = [".cursor", "a", "tools", "tools/x", "a/.cursor", "docs"];
  const rels = [
    ["mcp.json"],
    [".mcp.json"],
    ["x", "mcp.json"],
    [".cursor", "mcp.json"],
    ["search", "mcp.json"],
    ["a", "b", "settings.json"],
    [".zed", "settings.json"],
    ["README.md"],
  ];
  for (const link of links) {
    for (const rel of rels) {
      const after = new Set(automaton.statesAfter(link));
      const meets = statesOf(rel).some((state) => after.has(state));
      const path = `${link}/${rel.join("/")}`;
      strictEqual(meets, findConfigKind(path, kinds) !== undefined, path);
    }
  }
  // Through a link or submodule named like a client folder, anything.
  const after = new Set(automaton.statesAfter("docs"));
  assert(automaton.through("x").some((state) => after.has(state)));
  strictEqual(automaton.statesAfter(".mcp-orchestration/x").length, 0);
});
