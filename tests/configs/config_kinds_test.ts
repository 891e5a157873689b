import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { join } from "node:path";
import {
  MAX_CONFIG_BYTES,
  MAX_REPO_CONFIG_PATTERNS,
  MAX_REPO_CONFIG_STRING,
  REPO_CONFIG_PATH,
  STORE_DIR,
} from "../../src/constants.ts";
import { ToolError } from "../../src/errors.ts";
import {
  BUILTIN_CONFIG_KINDS,
  configBeneath,
  type ConfigKind,
  findConfigKind,
  mayBeConfigName,
  PatternAutomaton,
} from "../../src/configs/config_kinds.ts";
import { loadConfigKinds } from "../../src/configs/repository_patterns.ts";
import { ConfigError } from "../../src/configs/validate_config.ts";

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
  strictEqual(BUILTIN_CONFIG_KINDS.length, 9);
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
    ".vscode/settings.json",
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
    throws(
      () => findConfigKind(path, BUILTIN_CONFIG_KINDS),
      (error) => error instanceof ToolError && error.code === "BAD_PATH",
      JSON.stringify(path),
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

// --- .mcp-orchestration/config.json ---

async function withRepo(
  files: Record<string, string | Uint8Array>,
  body: (root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "config kinds " });
  try {
    for (const [path, content] of Object.entries(files)) {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      if (typeof content === "string") {
        await Deno.writeTextFile(join(root, path), content);
      } else await Deno.writeFile(join(root, path), content);
    }
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const VALID_REPO_CONFIG = {
  version: 1,
  configs: [
    {
      pattern: "tools/*/mcp.json",
      format: "json",
      servers: "mcpServers",
      client: "Our tools",
    },
    { pattern: "**/agents.toml", format: "toml", servers: "mcp_servers" },
  ],
};

async function repoConfigError(
  content: string | Uint8Array,
): Promise<ConfigError> {
  let caught: unknown;
  await withRepo({ [REPO_CONFIG_PATH]: content }, async (root) => {
    await loadConfigKinds(root).catch((error) => caught = error);
  });
  assert(
    caught instanceof ConfigError,
    `expected a ConfigError, got ${caught}`,
  );
  strictEqual(caught.code, "INVALID_CONFIG");
  strictEqual(caught.path, REPO_CONFIG_PATH);
  assert(caught.message.includes(`"${REPO_CONFIG_PATH}"`), caught.message);
  return caught;
}

Deno.test("loadConfigKinds returns only the built-ins when the repository adds none", async () => {
  await withRepo({}, async (root) => {
    assertEquals(await loadConfigKinds(root), [...BUILTIN_CONFIG_KINDS]);
  });
  await withRepo({ [`${STORE_DIR}/allowed_signers`]: "" }, async (root) => {
    assertEquals(await loadConfigKinds(root), [...BUILTIN_CONFIG_KINDS]);
  });
  await withRepo({ [STORE_DIR]: "not a folder" }, async (root) => {
    assertEquals(await loadConfigKinds(root), [...BUILTIN_CONFIG_KINDS]);
  });
});

Deno.test("loadConfigKinds adds the repository's patterns after the built-ins", async () => {
  await withRepo({
    [REPO_CONFIG_PATH]: JSON.stringify(VALID_REPO_CONFIG, null, 2),
  }, async (root) => {
    const kinds = await loadConfigKinds(root);
    assertEquals(kinds.slice(0, BUILTIN_CONFIG_KINDS.length), [
      ...BUILTIN_CONFIG_KINDS,
    ]);
    assertEquals(kinds.slice(BUILTIN_CONFIG_KINDS.length), [
      {
        client: "Our tools",
        pattern: "tools/*/mcp.json",
        format: "json",
        serversKey: "mcpServers",
      },
      {
        client: "MCP client",
        pattern: "**/agents.toml",
        format: "toml",
        serversKey: "mcp_servers",
      },
    ]);
    strictEqual(
      findConfigKind("tools/search/mcp.json", kinds)?.client,
      "Our tools",
    );
    strictEqual(findConfigKind("a/b/agents.toml", kinds)?.format, "toml");
    strictEqual(findConfigKind(".mcp.json", kinds)?.client, "Claude Code");
  });
  // An empty list is allowed.
  await withRepo(
    { [REPO_CONFIG_PATH]: '{"version": 1, "configs": []}' },
    async (root) => {
      strictEqual(
        (await loadConfigKinds(root)).length,
        BUILTIN_CONFIG_KINDS.length,
      );
    },
  );
});

Deno.test("loadConfigKinds refuses every malformed config.json field", async () => {
  const entry = VALID_REPO_CONFIG.configs[0]!;
  const withEntry = (change: Record<string, unknown>, drop?: string) => {
    const changed: Record<string, unknown> = { ...entry, ...change };
    if (drop) delete changed[drop];
    return { version: 1, configs: [changed] };
  };
  const cases: [where: string, config: unknown][] = [
    ["version", { configs: [] }],
    ["version", { version: 2, configs: [] }],
    ["version", { version: "1", configs: [] }],
    ["configs", { version: 1 }],
    ["configs", { version: 1, configs: {} }],
    ["configs", {
      version: 1,
      configs: Array.from(
        { length: MAX_REPO_CONFIG_PATTERNS + 1 },
        (_, i) => ({ ...entry, pattern: `p${i}` }),
      ),
    }],
    ['"extra"', { version: 1, configs: [], extra: true }],
    ["configs[0]", { version: 1, configs: ["tools/*.json"] }],
    ["configs[0]", { version: 1, configs: [null] }],
    ['"patterns"', withEntry({ patterns: "x" })],
    ['"pattern"', withEntry({}, "pattern")],
    ['"format"', withEntry({}, "format")],
    ['"servers"', withEntry({}, "servers")],
    ["configs[0].format", withEntry({ format: "yaml" })],
    ["configs[0].format", withEntry({ format: "JSON" })],
    ["configs[0].pattern", withEntry({ pattern: "" })],
    ["configs[0].pattern", withEntry({ pattern: 7 })],
    ["configs[0].pattern", withEntry({ pattern: "/tools/mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "tools\\mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "../mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "tools/../mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "./mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "tools//mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "tools/" })],
    ["configs[0].pattern", withEntry({ pattern: "tools/a**/mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "tools/[ab]/mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "tools/{a,b}/mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: "!tools/mcp.json" })],
    ["configs[0].pattern", withEntry({ pattern: `${STORE_DIR}/extra.json` })],
    [
      "configs[0].pattern",
      withEntry({ pattern: ".MCP-Orchestration/extra.json" }),
    ],
    ["configs[0].pattern", withEntry({ pattern: "vendor/.git/mcp.json" })],
    [
      "configs[0].pattern",
      withEntry({ pattern: `t/${"x".repeat(MAX_REPO_CONFIG_STRING)}` }),
    ],
    ["configs[0].pattern", withEntry({ pattern: "tools/\u0000.json" })],
    ["configs[1].pattern", {
      version: 1,
      configs: [entry, { ...entry, client: "Again" }],
    }],
    ["configs[0].servers", withEntry({ servers: "" })],
    ["configs[0].servers", withEntry({ servers: "mcp\nServers" })],
    ["configs[0].client", withEntry({ client: "" })],
    ["configs[0].client", withEntry({ client: "Tools\u001b[2J" })],
    ["configs[0].client", withEntry({ client: "Tools\u202e" })],
    ["configs[0].client", withEntry({ client: null })],
  ];
  for (const [where, config] of cases) {
    const error = await repoConfigError(JSON.stringify(config));
    strictEqual(error.line, undefined);
    assert(error.message.includes(where), `${where}: ${error.message}`);
  }
});

Deno.test("loadConfigKinds refuses a config.json that is not strict JSON", async () => {
  const valid = JSON.stringify(VALID_REPO_CONFIG);
  const cases: [
    content: string | Uint8Array,
    at: [number, number] | undefined,
  ][] = [
    ["", undefined],
    [`${valid}${" ".repeat(MAX_CONFIG_BYTES - valid.length + 1)}`, undefined],
    [`\ufeff${valid}`, [1, 1]],
    [new Uint8Array([0x7b, 0xff, 0x7d]), [1, 2]],
    ['{\n  "version": 1,\n  "version": 1,\n  "configs": []\n}', [3, 3]],
    ['{"version": 1, "configs": [],}', [1, 29]],
    ['{"version": 1, // one\n "configs": []}', [1, 16]],
    ["[]", [1, 1]],
  ];
  for (const [content, at] of cases) {
    const error = await repoConfigError(content);
    assertEquals(
      error.line === undefined ? undefined : [error.line, error.column],
      at,
      error.message,
    );
  }
});

Deno.test("loadConfigKinds refuses a symbolic link or a non-file at the config path", async () => {
  const valid = JSON.stringify(VALID_REPO_CONFIG);
  // A link to a valid file: only the link itself is wrong.
  await withRepo({ [`${STORE_DIR}/real.json`]: valid }, async (root) => {
    await Deno.symlink("real.json", join(root, REPO_CONFIG_PATH));
    await rejects(
      loadConfigKinds(root),
      (error) =>
        error instanceof ConfigError && error.path === REPO_CONFIG_PATH,
    );
  });
  // The store folder itself is a link to a folder with a valid config.
  await withRepo({ [`elsewhere/config.json`]: valid }, async (root) => {
    await Deno.symlink("elsewhere", join(root, STORE_DIR));
    await rejects(
      loadConfigKinds(root),
      (error) =>
        error instanceof ConfigError && error.code === "INVALID_CONFIG" &&
        error.path === REPO_CONFIG_PATH,
    );
  });
  // A dangling link is refused too, not taken for an absent file.
  await withRepo({ [`${STORE_DIR}/allowed_signers`]: "" }, async (root) => {
    await Deno.symlink("missing.json", join(root, REPO_CONFIG_PATH));
    await rejects(
      loadConfigKinds(root),
      (error) => error instanceof ConfigError,
    );
  });
  await withRepo({ [`${REPO_CONFIG_PATH}/x`]: "" }, async (root) => {
    await rejects(
      loadConfigKinds(root),
      (error) =>
        error instanceof ConfigError && error.path === REPO_CONFIG_PATH,
    );
  });
  // The same valid file, not behind a link, loads.
  await withRepo({ [REPO_CONFIG_PATH]: valid }, async (root) => {
    strictEqual(
      (await loadConfigKinds(root)).length,
      BUILTIN_CONFIG_KINDS.length + 2,
    );
  });
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
  for (const name of ["README.md", "mcp.jsonc", "x.json"]) {
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
