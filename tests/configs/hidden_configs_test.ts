/**
 * Configs behind symbolic links and submodules, found in one pass over a
 * listing: what is reported for each kind of link (table), the same answers
 * as a plain walk beneath every link on random listings, a listing of
 * thousands of links to thousands of files, and the limits.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
  strictEqual,
  throws,
} from "node:assert/strict";
import {
  BUILTIN_CONFIG_KINDS,
  configBeneath,
  type ConfigKind,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import {
  findHiddenConfigs,
  type HiddenConfig,
} from "../../src/configs/hidden_configs.ts";
import { MAX_TREE_ENTRIES, MAX_TREE_LINKS } from "../../src/constants.ts";
import { comparePaths, type TreeEntry } from "../../src/git/repository.ts";
import { assertToolError } from "../support/errors.ts";

function kind(pattern: string): ConfigKind {
  return { client: "T", pattern, format: "json", serversKey: "s" };
}

/** A listing from "path" (a file), "path -> target" (a link) and "path @" (a submodule). */
function listing(lines: readonly string[]): {
  entries: TreeEntry[];
  links: Map<string, string | null>;
} {
  const entries: TreeEntry[] = [];
  const links = new Map<string, string | null>();
  for (const line of lines) {
    const [path, target] = line.split(" -> ") as [string, string | undefined];
    if (target !== undefined) {
      entries.push({ path, type: "link" });
      links.set(path, target === "(unreadable)" ? null : target);
    } else if (path.endsWith(" @")) {
      entries.push({ path: path.slice(0, -2), type: "submodule" });
    } else {
      entries.push({ path, type: "file" });
    }
  }
  entries.sort((a, b) => comparePaths(a.path, b.path));
  return { entries, links };
}

function hidden(
  lines: readonly string[],
  kinds: readonly ConfigKind[] = BUILTIN_CONFIG_KINDS,
): HiddenConfig[] {
  return findHiddenConfigs(listing(lines), kinds, { label: "index" });
}

Deno.test("findHiddenConfigs: what each kind of link or submodule reports", () => {
  const tools = [...BUILTIN_CONFIG_KINDS, kind("tools/*/mcp.json")];
  const cases: [
    name: string,
    lines: string[],
    expected: [path: string, via: string, reason: RegExp][],
    kinds?: ConfigKind[],
  ][] = [
    ["a submodule", ["vendor/lib @"], [[
      "vendor/lib",
      "vendor/lib",
      /^"vendor\/lib" is a submodule \(a Git repository of its own\): .*\(such as "vendor\/lib\/\.mcp\.json"\)/,
    ]]],
    ["a submodule in the store, beneath which nothing is a config", [
      ".mcp-orchestration/x @",
    ], []],
    ["a submodule at a config path is that config's to report", [
      "a/.mcp.json @",
    ], []],
    ["an absolute link", ["abs -> /etc"], [[
      "abs",
      "abs",
      /"abs" is a symbolic link to "\/etc", an absolute path/,
    ]]],
    ["a link leaving the repository", ["tools -> ../elsewhere"], [[
      "tools",
      "tools",
      /to "\.\.\/elsewhere", outside the repository.*"tools\/\.mcp\.json"/,
    ]]],
    ["a link leaving and coming back by name", [
      "a/l -> ../../repo/cfg",
      "cfg/x",
    ], [["a/l", "a/l", /outside the repository/]]],
    ["a link to the root", ["x -> .", "cfg/x"], [[
      "x",
      "x",
      /to "\.", the repository's root/,
    ]]],
    ["a link to the root by a detour", ["a/x -> ../a/..", "a/f"], [[
      "a/x",
      "a/x",
      /the repository's root/,
    ]]],
    ["a link to an absent folder", [".cursor -> vendor/evilpkg"], [[
      ".cursor",
      ".cursor",
      /to "vendor\/evilpkg", under which Git has no file here/,
    ]]],
    ["a link to another link", ["x -> /outside", ".cursor -> x"], [
      [".cursor", ".cursor", /to "x", itself a symbolic link/],
      ["x", "x", /an absolute path/],
    ]],
    ["a link through another link", ["x -> cfg", "cfg/sub/f", "y -> x/sub"], [
      ["y", "y", /to "x\/sub", through the symbolic link "x"/],
    ]],
    ["a link into a submodule", ["vendor/lib @", "l -> vendor/lib/cfg"], [
      ["l", "l", /through the submodule "vendor\/lib"/],
      ["vendor/lib", "vendor/lib", /is a submodule/],
    ]],
    ["a link through a file", ["f", "l -> f/x"], [[
      "l",
      "l",
      /under which Git has no file here/,
    ]]],
    ["a link whose target cannot be read", ["l -> (unreadable)"], [[
      "l",
      "l",
      /"l" is a symbolic link whose target cannot be read/,
    ]]],
    [
      "a link to a file",
      ["README.md", "l -> README.md", "m -> ./README.md"],
      [],
    ],
    ["a link at a config path is that config's to report", [
      ".mcp.json -> /etc/passwd",
    ], []],
    ["a client folder linked to a folder holding its config", [
      ".cursor -> cfg",
      "cfg/mcp.json",
      "cfg/other.txt",
    ], [[
      ".cursor/mcp.json",
      ".cursor",
      /^a client reads "cfg\/mcp\.json" as "\.cursor\/mcp\.json" through "\.cursor", a symbolic link to "cfg"/,
    ]]],
    ["the same, with a trailing slash and a detour", [
      "a/.cursor -> ../cfg/./",
      "cfg/mcp.json",
      "a/f",
    ], [["a/.cursor/mcp.json", "a/.cursor", /through "a\/.cursor"/]]],
    ["a link to a folder holding a client folder deeper down", [
      "app -> packages/app",
      "packages/app/src/.vscode/mcp.json",
    ], [["app/src/.vscode/mcp.json", "app", /as "app\/src\/\.vscode/]]],
    // Whether a settings file holds an MCP section is read from its bytes,
    // which a link hides: reported like any config seen through it.
    ["a link to a folder holding a settings file or a folder of configs", [
      ".vscode -> editor",
      "editor/settings.json",
      "agents -> shared/agents",
      ".kiro/agents -> ../agents",
      "shared/agents/reviewer.json",
    ], [
      [".kiro/agents", ".kiro/agents", /itself a symbolic link/],
      [".vscode/settings.json", ".vscode", /as "\.vscode\/settings\.json"/],
    ]],
    ["a link to a folder whose files a client does not read as configs", [
      "app -> packages/app",
      "packages/app/.vscode/extensions.json",
      "packages/app/config.toml",
      "packages/app/mcp.json",
      "docs -> site",
      "site/settings.json",
    ], []],
    ["a link to a folder holding a link", [
      "docs -> site",
      "site/img -> ../assets",
      "assets/a.png",
    ], [[
      "docs",
      "docs",
      /"docs" is a symbolic link to "site", which holds "site\/img", a symbolic link or submodule/,
    ]]],
    ["a link to a folder that holds the link itself", [
      "a/b/loop -> ../..",
      "a/b/f",
    ], [["a/b/loop", "a/b/loop", /the repository's root/]]],
    ["a link to its own folder", ["a/loop -> .", "a/f"], [[
      "a/loop",
      "a/loop",
      /which holds "a\/loop"/,
    ]]],
    [
      "an anchored pattern: a link named as its folder",
      [
        "tools -> lib",
        "lib/search/mcp.json",
      ],
      [["tools/search/mcp.json", "tools", /as "tools\/search\/mcp\.json"/]],
      tools,
    ],
    [
      "an anchored pattern: a link elsewhere",
      [
        "docs -> lib",
        "lib/search/mcp.json",
      ],
      [],
      tools,
    ],
    [
      "an anchored pattern: an opaque link or submodule where it cannot match",
      [
        "docs -> /etc",
        "lib @",
      ],
      [],
      [kind("tools/*/mcp.json")],
    ],
    // "lib/x" alone can hide no "tools/*/mcp.json", but "tools/x" can.
    ["an anchored pattern: an inner link it can match through", [
      "tools -> lib",
      "lib/x -> /elsewhere",
    ], [[
      "tools",
      "tools",
      /which holds "lib\/x".*\(such as "tools\/x\/mcp\.json"\)/,
    ]], [kind("tools/*/mcp.json")]],
  ];
  for (const [name, lines, expected, kinds] of cases) {
    const found = hidden(lines, kinds);
    assertEquals(
      found.map((h) => [h.path, h.via]),
      expected.map(([path, via]) => [path, via]),
      name,
    );
    found.forEach((h, i) => {
      assert(expected[i]![2].test(h.reason), `${name}: ${h.reason}`);
      assert(
        findConfigKind(h.path, kinds ?? BUILTIN_CONFIG_KINDS) ||
          h.path === h.via,
        name,
      );
    });
  }
});

Deno.test("findHiddenConfigs: a link no longer on disk is taken as the file or folder there", () => {
  // A working tree where a staged link became a folder: Git lists what is in it.
  const found = findHiddenConfigs(
    {
      entries: [
        { path: ".cursor", type: "link" },
        { path: ".cursor/mcp.json", type: "file" },
      ],
      links: new Map(),
    },
    BUILTIN_CONFIG_KINDS,
    { label: "working tree" },
  );
  assertEquals(found, []);
});

// An independent oracle: resolve each link with strings, then look at every
// entry beneath its target, as a client walking through it would.
function oracle(
  lines: readonly string[],
  kinds: readonly ConfigKind[],
): Map<string, Set<string>> {
  const { entries, links } = listing(lines);
  const types = new Map(entries.map((e) => [e.path, e.type]));
  const folders = new Set<string>();
  for (const { path } of entries) {
    for (
      let at = path.lastIndexOf("/");
      at > 0;
      at = path.lastIndexOf("/", at - 1)
    ) {
      folders.add(path.slice(0, at));
    }
  }
  const resolve = (link: string): string | "file" | undefined => {
    const target = links.get(link);
    if (target === null || target === undefined || target.startsWith("/")) {
      return undefined;
    }
    const parts = target.split("/");
    const at = link.split("/").slice(0, -1);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (at.length === 0) return undefined;
        at.pop();
        continue;
      }
      at.push(part);
      const here = at.join("/");
      const type = types.get(here);
      if (type === "file") return i === parts.length - 1 ? "file" : undefined;
      if (type !== undefined || !folders.has(here)) return undefined;
    }
    return at.length === 0 ? undefined : at.join("/");
  };
  const expected = new Map<string, Set<string>>();
  for (const { path, type } of entries) {
    if (type === "file" || findConfigKind(path, kinds)) continue;
    const target = type === "link" ? resolve(path) : undefined;
    if (target === "file") continue;
    if (target === undefined) {
      if (configBeneath(path, kinds)) expected.set(path, new Set([path]));
      continue;
    }
    const exact = new Set<string>();
    let through = false;
    for (const inner of entries) {
      if (!inner.path.startsWith(`${target}/`)) continue;
      const seen = `${path}/${inner.path.slice(target.length + 1)}`;
      const leaf = inner.type === "file" ||
        (inner.type === "link" && resolve(inner.path) === "file");
      if (leaf && findConfigKind(seen, kinds)) exact.add(seen);
      if (
        !leaf && (findConfigKind(seen, kinds) || configBeneath(seen, kinds))
      ) {
        through = true;
      }
    }
    // Exact paths found are named; a link or submodule inside is named as
    // the link. Either may stand for both.
    if (exact.size > 0 || through) {
      expected.set(path, new Set([...exact, path]));
    }
  }
  return expected;
}

Deno.test("findHiddenConfigs agrees with a walk beneath every link, on random listings", () => {
  const names = [
    "a",
    "b",
    "cfg",
    ".cursor",
    "mcp.json",
    ".mcp.json",
    "tools",
    "x",
  ];
  const targets = [
    "a",
    "b",
    "..",
    "../a",
    "../..",
    ".",
    "/abs",
    "x/../a",
    "a/.cursor",
    ".cursor",
    "cfg",
    "cfg/",
    "nothere",
    "a/b",
    "../cfg",
    "../../cfg/x",
    "(unreadable)",
    "mcp.json",
    "../mcp.json",
  ];
  let random = 11;
  const pick = <T>(list: readonly T[]): T => {
    random = (random * 1103515245 + 12345) % 2147483648;
    return list[(random >>> 4) % list.length]!;
  };
  const kindSets = [
    BUILTIN_CONFIG_KINDS,
    [kind("tools/*/mcp.json"), kind("a/?/x")],
    [...BUILTIN_CONFIG_KINDS, kind("cfg/**/b")],
  ];
  let reported = 0;
  for (let round = 0; round < 600; round++) {
    const paths = new Map<string, string>();
    for (let i = 0; i < 3 + (round % 12); i++) {
      const depth = 1 + ((random >>> 8) % 3);
      const path = Array.from({ length: depth }, () => pick(names)).join("/");
      // No path both a file and a folder, as in any tree.
      const clash = [...paths.keys()].some((p) =>
        p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`)
      );
      if (clash) continue;
      const roll = (random >>> 12) % 10;
      paths.set(
        path,
        roll < 6
          ? path
          : roll < 9
          ? `${path} -> ${pick(targets)}`
          : `${path} @`,
      );
    }
    const lines = [...paths.values()];
    const kinds = kindSets[round % kindSets.length]!;
    const expected = oracle(lines, kinds);
    const found = hidden(lines, kinds);
    const what = `${JSON.stringify(lines)} with ${
      kinds.map((k) => k.pattern).join(", ")
    }`;
    assertEquals(
      found.map((h) => h.via).sort(),
      [...expected.keys()].sort(),
      what,
    );
    for (const h of found) {
      assert(expected.get(h.via)!.has(h.path), `${what}: ${h.path}`);
    }
    reported += found.length;
  }
  assert(reported > 300, `only ${reported} reports: the listings are too tame`);
});

Deno.test("findHiddenConfigs: 20,000 links to a folder of 20,000 files, in one pass", () => {
  const n = 20_000;
  const lines = ["lib/mcp.json"];
  for (let i = 0; i < n; i++) {
    lines.push(`lib/f${i}.txt`, `p${i}/.cursor -> ../lib`, `q${i} -> lib`);
  }
  const started = performance.now();
  const found = hidden(lines);
  const seconds = (performance.now() - started) / 1000;
  // One report per ".cursor" link; the "q" links show nothing a client
  // reads as a config. (Before, this was 40,000 × 20,001 paths.)
  strictEqual(found.length, n);
  assert(found.every((h) => h.path === `${h.via}/mcp.json`));
  console.log(`  (${seconds.toFixed(2)} s)`);
});

Deno.test("findHiddenConfigs stops past its limits instead of skipping", () => {
  const { entries, links } = listing(["a -> b", "b/c", "d -> /x"]);
  const error = (options: { maxEntries?: number; maxLinks?: number }) =>
    assertToolError(
      () =>
        findHiddenConfigs({ entries, links }, BUILTIN_CONFIG_KINDS, {
          label: "index",
          ...options,
        }),
      "INVALID_FORMAT",
    );
  error({ maxLinks: 1 });
  error({ maxEntries: 2 });
  throws(
    () =>
      findHiddenConfigs({ entries, links }, BUILTIN_CONFIG_KINDS, {
        label: "0123456789abcdef0123456789abcdef01234567",
        maxLinks: 1,
      }),
    /Cannot check commit 0123456789abcdef0123456789abcdef01234567 for configs behind symbolic links and submodules: it has 2 symbolic links, over the limit of 1, so it cannot be verified/,
  );
  // The documented defaults.
  strictEqual(MAX_TREE_ENTRIES, 5_000_000);
  strictEqual(MAX_TREE_LINKS, 100_000);
  strictEqual(hidden(["a -> b", "b/c", "d -> /x"]).length, 1);
});

Deno.test("findHiddenConfigs: folders are one where a case-insensitive checkout makes them one", () => {
  // The folder a link reaches holds, in another spelling, what a macOS or
  // Windows checkout puts in the same folder.
  const cases: [string, string[], string][] = [
    [
      "case",
      [".cursor -> cfg", "cfg/README.md", "CFG/mcp.json"],
      ".cursor/mcp.json",
    ],
    ["the link's own folder", [
      "pkg/.cursor -> cfg",
      "pkg/cfg/README.md",
      "PKG/cfg/mcp.json",
    ], "pkg/.cursor/mcp.json"],
    ["normalisation", [
      ".cursor -> caf\u00e9",
      "caf\u00e9/README.md",
      "cafe\u0301/mcp.json",
    ], ".cursor/mcp.json"],
  ];
  for (const [name, lines, path] of cases) {
    assertEquals(hidden(lines).map((h) => h.path), [path], name);
  }
  // A file and a folder in one place: which survives a checkout depends on
  // its order, so the link is opaque.
  const collided = hidden([".cursor -> Cfg", "Cfg", "cfg/mcp.json"]);
  assertEquals(collided.map((h) => h.path), [".cursor"]);
  assert(/case-insensitive checkout/.test(collided[0]!.reason));
});
