/**
 * The rule for which repository files a config's servers run
 * (src/configs/server_files.ts, docs/FORMAT.md "Server files"), table-driven:
 * each case is one server entry and the paths it must name.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BUILTIN_CONFIG_KINDS,
  type ConfigKind,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import {
  bareCommands,
  envFiles,
  namedPaths,
  serverFiles,
} from "../../src/configs/server_files.ts";
import { assertToolError } from "../support/errors.ts";

function kindOf(path: string): ConfigKind {
  const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS);
  assert.ok(kind, path);
  return kind;
}

function filesOf(entry: unknown, configPath = ".mcp.json"): string[] {
  const kind = kindOf(configPath);
  return serverFiles(configPath, { [kind.serversKey]: { s: entry } }, kind)
    .map((file) => `${file.path}${file.folder ? "/" : ""}`);
}

const CASES: [string, unknown, string[]][] = [
  ["a bare command (PATH)", { command: "my-server" }, []],
  ["an absolute command", { command: "/usr/bin/server" }, []],
  ["./ command", { command: "./scripts/server.sh" }, ["scripts/server.sh"]],
  ["a relative command with a slash", { command: "bin/server" }, [
    "bin/server",
  ]],
  ["node script", { command: "node", args: ["tools/mcp.js"] }, [
    "tools/mcp.js",
  ]],
  [
    "node options, then the script",
    {
      command: "node",
      args: ["--no-warnings", "-r", "x", "srv/index.mjs", "--port", "1"],
    },
    ["srv/index.mjs"],
  ],
  [
    "node preloads from local paths, not packages",
    {
      command: "node",
      args: [
        "-r",
        "./env.js",
        "--import=./hooks.mjs",
        "-r",
        "dotenv/config",
        "s.js",
      ],
    },
    ["env.js", "hooks.mjs", "s.js"],
  ],
  ["node -e (inline code)", { command: "node", args: ["-e", "x.js"] }, []],
  ["python3 script", { command: "python3", args: ["-u", "server.py"] }, [
    "server.py",
  ]],
  ["python -m (a module, out of scope)", {
    command: "python",
    args: ["-m", "srv"],
  }, []],
  ["python3.12 script", { command: "python3.12", args: ["a/b.py"] }, [
    "a/b.py",
  ]],
  ["bash script", { command: "bash", args: ["./run.sh"] }, ["run.sh"]],
  ["sh -c (inline)", { command: "sh", args: ["-c", "./run.sh"] }, []],
  ["ruby, perl, php", { command: "perl", args: ["-w", "s.pl"] }, ["s.pl"]],
  ["deno run", {
    command: "deno",
    args: ["run", "-A", "--config", "deno.json", "main.ts"],
  }, ["main.ts"]],
  // Spelled in two parts: tests/deps_test.ts flags any npm: literal.
  [
    "deno run npm:",
    { command: "deno", args: ["run", "-A", "npm" + ":srv"] },
    [],
  ],
  ["deno run a URL", {
    command: "deno",
    args: ["run", "https://x.example/s.ts"],
  }, []],
  ["bun x (a package)", { command: ["bun", "x", "my-mcp-command"] }, []],
  ["bunx ./local", { command: "bunx", args: ["./pkg"] }, ["pkg"]],
  ["bun run a file", { command: "bun", args: ["run", "src/s.ts"] }, [
    "src/s.ts",
  ]],
  ["deno (not run)", { command: "deno", args: ["task", "serve"] }, []],
  ["npx package", { command: "npx", args: ["-y", "@scope/server", "."] }, []],
  ["npx local path", { command: "npx", args: ["-y", "./packages/srv"] }, [
    "packages/srv",
  ]],
  ["npx tsx script", { command: "npx", args: ["-y", "tsx", "src/server.ts"] }, [
    "src/server.ts",
  ]],
  ["uvx package", { command: "uvx", args: ["mcp-server-git"] }, []],
  ["uvx --from local", { command: "uvx", args: ["--from", "./srv", "srv"] }, [
    "srv/",
  ]],
  [
    "uv run --directory",
    { command: "uv", args: ["run", "--directory", "./srv", "server.py"] },
    ["srv/", "srv/server.py"],
  ],
  [
    "uv run --directory=, python",
    { command: "uv", args: ["run", "--directory=srv", "python", "main.py"] },
    ["srv/", "srv/main.py"],
  ],
  ["Zed's {path, args}", { command: { path: "node", args: ["z.js"] } }, [
    "z.js",
  ]],
  ["opencode's command list", { command: ["bun", "x.ts"] }, ["x.ts"]],
  ["a relative cwd", { command: "node", args: ["x.js"], cwd: "tools" }, [
    "tools/x.js",
  ]],
  ["an absolute cwd", { command: "./x.sh", cwd: "/opt" }, []],
  [
    "${workspaceFolder}",
    { command: "node", args: ["${workspaceFolder}/s.js"] },
    ["s.js"],
  ],
  ["another variable", { command: "node", args: ["${env:HOME}/s.js"] }, []],
  ["a URL server", { url: "https://x.example/mcp" }, []],
];

for (const [name, entry, expected] of CASES) {
  Deno.test(`serverFiles: ${name}`, () => {
    assert.deepEqual(filesOf(entry), expected);
  });
}

Deno.test("serverFiles: paths start in the config's project folder", () => {
  assert.deepEqual(
    filesOf({ command: "./run.sh" }, "app/.cursor/mcp.json"),
    ["app/run.sh"],
  );
  assert.deepEqual(
    filesOf({ command: "../run.sh" }, "app/.cursor/mcp.json"),
    ["run.sh"],
  );
});

Deno.test("serverFiles: several servers, one file named once, sorted", () => {
  const kind = kindOf(".mcp.json");
  const files = serverFiles(".mcp.json", {
    mcpServers: {
      b: { command: "./z.sh" },
      a: { command: "bash", args: ["z.sh"] },
      c: { command: "node", args: ["a.js"] },
    },
  }, kind);
  assert.deepEqual(files.map((f) => f.path), ["a.js", "z.sh"]);
});

Deno.test("serverFiles: Continue's list and VS Code settings' mcp.servers", () => {
  const continueKind = kindOf(".continue/mcpServers/a.yaml");
  assert.deepEqual(
    serverFiles(".continue/mcpServers/a.yaml", {
      mcpServers: [{ name: "x", command: "node", args: ["s.js"] }],
    }, continueKind).map((f) => f.path),
    ["s.js"],
  );
  const vscode = kindOf(".vscode/settings.json");
  assert.deepEqual(
    serverFiles(".vscode/settings.json", {
      mcp: { servers: { x: { command: "./s.sh" } } },
    }, vscode).map((f) => f.path),
    ["s.sh"],
  );
});

for (
  const [name, entry] of [
    ["a command above the root", { command: "../outside/server.sh" }],
    ["a script above the root", { command: "node", args: ["../../x.js"] }],
    ["a cwd above the root", { command: "./x.sh", cwd: "../elsewhere" }],
    ["a cwd with a variable", { command: "./x.sh", cwd: "${env:X}" }],
  ] as const
) {
  Deno.test(`serverFiles: refuses ${name}`, () => {
    assertToolError(() => filesOf(entry), "BAD_PATH");
  });
}

Deno.test("serverFiles: an extension's ${extensionPath} is its manifest's folder, and only in an extension manifest", () => {
  const entry = {
    command: "node",
    args: ["${extensionPath}${/}dist${/}server.js"],
    cwd: "${extensionPath}",
  };
  for (
    const manifest of [
      ".qwen/extensions/tools/qwen-extension.json",
      ".qwen/extensions/tools/gemini-extension.json",
      ".gemini/extensions/tools/gemini-extension.json",
    ]
  ) {
    const folder = manifest.slice(0, manifest.lastIndexOf("/"));
    assert.deepEqual(filesOf(entry, manifest), [`${folder}/dist/server.js`]);
    assert.deepEqual(
      filesOf(
        { command: "${extensionPath}${pathSeparator}run.sh" },
        manifest,
      ),
      [`${folder}/run.sh`],
    );
    assert.deepEqual(
      filesOf({ command: "node", args: ["${workspacePath}/x.js"] }, manifest),
      ["x.js"],
    );
  }
  // Elsewhere a client does not expand it: a word with a variable names no
  // repository file, and a cwd with one cannot be resolved.
  assert.deepEqual(
    filesOf({ command: "node", args: ["${extensionPath}/s.js"] }),
    [],
  );
  assertToolError(
    () => filesOf({ command: "node", args: ["s.js"], cwd: "${extensionPath}" }),
    "BAD_PATH",
  );
});

// --- Failing closed: what the command line and env name that exists --------

const REPOSITORY = [
  "loader.mjs",
  "server.js",
  "scripts/preload.js",
  "scripts/env.sh",
  "scripts/server.cmd",
  "tools/mcp/index.js",
  "tools/mcp/package.json",
  "data/a.txt",
];

function scanned(entry: unknown, configPath = ".mcp.json"): string[] {
  const kind = kindOf(configPath);
  return serverFiles(configPath, { [kind.serversKey]: { s: entry } }, kind, {
    paths: REPOSITORY,
  }).map((file) => `${file.path}${file.folder ? "/" : ""}`);
}

const SCANNED: [string, unknown, string[]][] = [
  ["an unknown valued option", {
    command: "node",
    args: ["--unknown-flag", "./loader.mjs", "./server.js"],
  }, ["loader.mjs", "server.js"]],
  ["an --opt=value", { command: "x", args: ["--require=./server.js"] }, [
    "server.js",
  ]],
  ["env values split on whitespace and =", {
    command: "node",
    args: ["./server.js"],
    env: {
      NODE_OPTIONS: "--require ./scripts/preload.js",
      B: "X=scripts/env.sh",
    },
  }, ["scripts/env.sh", "scripts/preload.js", "server.js"]],
  ["backslashes", { command: ".\\scripts\\server.cmd" }, [
    "scripts/server.cmd",
  ]],
  ["a folder", { command: "npx", args: ["-y", "-p", "./tools/mcp", "bin"] }, [
    "tools/mcp/",
  ]],
  ["not the server's own folder", {
    command: "npx",
    args: ["-y", "@x/server-filesystem", ".", "./data"],
  }, ["data/"]],
  ["a shell string's tokens, quotes removed", {
    command: "bash",
    args: ["-c", "exec node './server.js' <in|tee out; x"],
  }, ["server.js"]],
  ["a shell string's tokens beneath a folder it names (cd)", {
    command: "sh",
    args: ["-c", "cd tools/mcp && node index.js"],
  }, ["tools/mcp/", "tools/mcp/index.js"]],
  ["KEY=value words that are no option", {
    command: "php",
    args: ["-d", "auto_prepend_file=./server.js", "x.php"],
  }, ["server.js", "x.php"]],
  ["path lists and values after a colon", {
    command: "java",
    args: ["-javaagent:./loader.mjs", "-cp", "server.js;data/a.txt", "Main"],
  }, ["data/a.txt", "loader.mjs", "server.js"]],
  ["a short option's attached value, a response file", {
    command: "ruby",
    args: ["-r./scripts/preload.js", "-e", "1", "@scripts/env.sh"],
  }, ["scripts/env.sh", "scripts/preload.js"]],
  ["globs match repository files", {
    command: "java",
    args: ["-cp", "tools/*/*", "-Dx=scripts/*.{sh,cmd}", "**/a.txt"],
  }, [
    "data/a.txt",
    "scripts/env.sh",
    // A brace group is read as `*`: generous, never short.
    "scripts/preload.js",
    "scripts/server.cmd",
    "tools/mcp/index.js",
    "tools/mcp/package.json",
  ]],
  ["an env path list", {
    command: "python",
    args: ["-m", "x"],
    env: { PYTHONPATH: "./tools/mcp:./data", CLASSPATH: "scripts/*" },
  }, [
    "data/",
    "scripts/env.sh",
    "scripts/preload.js",
    "scripts/server.cmd",
    "tools/mcp/",
  ]],
  ["every string of the entry, whatever its field", {
    command: { path: "npx", args: ["x"], env: { A: "./server.js" } },
    environment: { NODE_OPTIONS: "--require ./scripts/preload.js" },
    future: [{ file: "scripts/env.sh" }],
  }, ["scripts/env.sh", "scripts/preload.js", "server.js"]],
  ["words that name nothing, or leave the repository", {
    command: "tool",
    args: ["missing.js", "../../etc/passwd", "https://x.example"],
  }, []],
];

for (const [name, entry, expected] of SCANNED) {
  Deno.test(`serverFiles with paths: ${name}`, () => {
    assert.deepEqual(scanned(entry), expected);
  });
}

Deno.test("bareCommands: the command, and cmd /c's, with the server's folder", () => {
  const kind = kindOf("app/.cursor/mcp.json");
  assert.deepEqual(
    bareCommands("app/.cursor/mcp.json", {
      mcpServers: {
        a: { command: "cmd", args: ["/c", "npx", "-y", "pkg"] },
        b: { command: "node.exe", args: ["x.js"], cwd: "tools" },
        c: { command: "./run.sh" },
        d: { command: "uvx", args: ["x"], cwd: "/opt" },
      },
    }, kind),
    [
      { name: "cmd", folder: "app", server: "a" },
      { name: "npx", folder: "app", server: "a" },
      { name: "node", folder: "app/tools", server: "b" },
      // A relative command: only its Windows program look-alikes count.
      { name: "run.sh", folder: "app", server: "c", extensionsOnly: true },
    ],
  );
});

Deno.test("serverFiles: a bare word that names a folder is no server file; one written as a path is", () => {
  const kind = kindOf(".mcp.json");
  const paths = ["a/.mcp.json", "tools/mcp/index.js", "server.py"];
  const of = (entry: unknown) =>
    serverFiles(".mcp.json", { mcpServers: { s: entry } }, kind, { paths })
      .map((file) => `${file.path}${file.folder ? "/" : ""}`);
  assert.deepEqual(of({ command: "a" }), []);
  assert.deepEqual(of({ command: "srv", args: ["a"] }), []);
  assert.deepEqual(
    of({ command: "npx", args: ["-y", "-p", "./tools/mcp", "x"] }),
    [
      "tools/mcp/",
    ],
  );
  assert.deepEqual(of({ command: "py", args: ["-3", "server.py"] }), [
    "server.py",
  ]);
});

Deno.test("serverFiles and envFiles: a server's envFile", () => {
  const kind = kindOf("app/.vscode/mcp.json");
  const root = {
    servers: {
      a: {
        command: "npx",
        args: ["-y", "x"],
        envFile: "${workspaceFolder}/.env",
      },
      b: { command: "npx", env_file: "cfg/mcp.env", cwd: "tools" },
      c: { command: "npx", envFile: "/home/me/.env" },
      d: { command: "npx", envFile: "${env:HOME}/.env" },
    },
  };
  assert.deepEqual(
    envFiles("app/.vscode/mcp.json", root, kind),
    [{ path: "app/.env", server: "a" }, {
      path: "app/tools/cfg/mcp.env",
      server: "b",
    }],
  );
  assert.deepEqual(
    serverFiles("app/.vscode/mcp.json", root, kind, {
      paths: ["app/.env", "app/tools/cfg/mcp.env.example"],
    }).map((file) => file.path),
    ["app/.env"],
  );
});

Deno.test("serverFiles: ${workspaceFolder} is the project folder, not the root", () => {
  assert.deepEqual(
    filesOf(
      { command: "node", args: ["${workspaceFolder}/dist/index.js"] },
      "app/.vscode/mcp.json",
    ),
    ["app/dist/index.js"],
  );
  assert.deepEqual(
    filesOf(
      { command: "node", args: ["s.js"], cwd: "${workspaceFolder}/srv" },
      "app/.cursor/mcp.json",
    ),
    ["app/srv/s.js"],
  );
  assert.deepEqual(
    filesOf(
      { command: "node", args: ["${workspacePath}/s.js"] },
      "app/.gemini/extensions/x/gemini-extension.json",
    ),
    ["app/s.js"],
  );
  assert.deepEqual(
    filesOf(
      { command: "node", args: ["${extensionPath}/s.js"] },
      "app/.gemini/extensions/x/gemini-extension.json",
    ),
    ["app/.gemini/extensions/x/s.js"],
  );
});

Deno.test("namedPaths: every path the words could name, whatever exists", () => {
  const kind = kindOf("app/.cursor/mcp.json");
  const names = namedPaths("app/.cursor/mcp.json", {
    mcpServers: {
      a: {
        command: "sh",
        args: ["-c", "cd srv && java -cp 'lib/*' -jar build/x.jar"],
        tools: ["*"],
      },
    },
  }, kind);
  const byPath = new Map(names.map((n) => [n.path, n]));
  assert.equal(byPath.get("app/build/x.jar")?.folder, true);
  assert.equal(byPath.get("app/srv/build/x.jar")?.server, "a");
  assert.equal(byPath.get("app/lib/*")?.glob, true);
  assert.equal(byPath.get("app/*")?.glob, false);
  assert.ok(!byPath.has("app"), "the server's own folder");
});

Deno.test("serverFiles: keys in another case (Crush reads them) are scanned too", () => {
  const kind = kindOf(".crush.json");
  const paths = ["server.js", "tools/x.js"];
  assert.deepEqual(
    serverFiles(
      ".crush.json",
      {
        mcp: { a: { Command: "node", Args: ["./server.js"] } },
        MCP: { b: { command: "node", args: ["tools/x.js"] } },
      },
      kind,
      { paths },
    ).map((file) => file.path),
    ["server.js", "tools/x.js"],
  );
});

Deno.test("bareCommands: a relative command counts for its PATHEXT look-alikes", () => {
  const kind = kindOf("app/.cursor/mcp.json");
  assert.deepEqual(
    bareCommands("app/.cursor/mcp.json", {
      mcpServers: {
        a: { command: "./scripts/server" },
        b: { command: "bin\\run.sh", cwd: "tools" },
        c: { command: "./x.cmd" },
      },
    }, kind),
    [
      {
        name: "server",
        folder: "app/scripts",
        server: "a",
        extensionsOnly: true,
      },
      {
        name: "run.sh",
        folder: "app/tools/bin",
        server: "b",
        extensionsOnly: true,
      },
    ],
  );
});
