import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { join } from "node:path";
import {
  MAX_CONFIG_BYTES,
  MAX_REPO_CONFIG_PATTERNS,
  MAX_REPO_CONFIG_STRING,
  REPO_CONFIG_PATH,
  STORE_DIR,
} from "../../src/constants.ts";
import {
  BUILTIN_CONFIG_KINDS,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import { loadConfigKinds } from "../../src/configs/repository_patterns.ts";
import { ConfigError } from "../../src/configs/validate_config.ts";

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
  // YAML too, read as strictly as Continue's blocks.
  await withRepo({
    [REPO_CONFIG_PATH]: JSON.stringify({
      version: 1,
      configs: [{ pattern: "agents/*.yaml", format: "yaml", servers: "mcp" }],
    }),
  }, async (root) => {
    const kinds = await loadConfigKinds(root);
    strictEqual(findConfigKind("agents/a.yaml", kinds)?.format, "yaml");
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
    ["configs[0].format", withEntry({ format: "yml" })],
    ["configs[0].format", withEntry({ format: "YAML" })],
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
