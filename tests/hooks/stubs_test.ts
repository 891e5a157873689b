/**
 * The hook stubs and the command they run: shell quoting checked by a real
 * shell, the launch command per runtime, the shipped `hooks/` files against
 * `hookStub()`, the stubs' syntax under dash, and their behaviour run
 * directly (chaining, standard input, skip, fail closed), without git.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  AGENT_SOCKET_SHELL_WORD,
  PERMISSION_FLAGS,
} from "../../src/permissions.ts";
import {
  formatShellCommand,
  launchCommand,
  LAZY_IMPORTS_FLAG,
  shellQuote,
} from "../../src/hooks/launch.ts";
import type { Launch } from "../../src/_runtime/launch.ts";
import {
  CHAINED_SUFFIX,
  HOOK_NAMES,
  type HookName,
  hookStub,
  isOurHook,
  PRE_COMMIT_FAST_PATH,
  SERVER_HOOK_NAMES,
  SKIP_ENV,
} from "../../src/hooks/stubs.ts";
import {
  SHIPPED_COMMAND,
  shippedStubFiles,
} from "../../scripts/generate_hooks.ts";
import { withTempDir } from "../support/repo.ts";
import { writeExecutable, writeStdin } from "../support/process.ts";
import {
  ALLOWED_SIGNERS_PATH,
  REPO_CONFIG_PATH,
  STORE_DIR,
} from "../../src/constants.ts";
import { BUILTIN_CONFIG_KINDS } from "../../src/configs/config_kinds.ts";
import { assertToolError } from "../support/errors.ts";

const ON_WINDOWS = Deno.build.os === "windows";
// The client hooks and the server's pre-receive: every stub the tool writes.
const ALL_HOOKS: readonly HookName[] = [...HOOK_NAMES, ...SERVER_HOOK_NAMES];
const decoder = new TextDecoder();

// dash is the strictest common /bin/sh; fall back to sh where it is absent.
const SHELL = await findShell();

async function findShell(): Promise<string> {
  for (const candidate of ["/usr/bin/dash", "/bin/dash"]) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch { /* not here */ }
  }
  return "sh";
}

async function run(
  command: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) await writeStdin(child, options.stdin);
  const out = await child.output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

// --- quoting ------------------------------------------------------------------

const QUOTING: { word: string; quoted: string }[] = [
  { word: "plain", quoted: "plain" },
  { word: "/usr/local/bin/deno", quoted: "/usr/local/bin/deno" },
  { word: "--allow-env=HOME,X", quoted: "--allow-env=HOME,X" },
  { word: "", quoted: "''" },
  { word: "with space", quoted: "'with space'" },
  { word: "it's", quoted: `'it'\\''s'` },
  { word: "''", quoted: `''\\'''\\'''` },
  { word: 'say "hi"', quoted: `'say "hi"'` },
  { word: "$HOME", quoted: "'$HOME'" },
  { word: "`id`", quoted: "'`id`'" },
  { word: "$(id)", quoted: "'$(id)'" },
  { word: "back\\slash", quoted: "'back\\slash'" },
  { word: "new\nline", quoted: "'new\nline'" },
  { word: "tab\there", quoted: "'tab\there'" },
  { word: "*.json", quoted: "'*.json'" },
  { word: "a?b[c]", quoted: "'a?b[c]'" },
  { word: "~/x", quoted: "'~/x'" },
  { word: "#comment", quoted: "'#comment'" },
  { word: "a;b|c&d", quoted: "'a;b|c&d'" },
  { word: "<in>out", quoted: "'<in>out'" },
  { word: "{a,b}", quoted: "'{a,b}'" },
  { word: "!event", quoted: "'!event'" },
  { word: "é ü 日本", quoted: "'é ü 日本'" },
];

for (const { word, quoted } of QUOTING) {
  Deno.test(`shellQuote ${JSON.stringify(word)}`, () => {
    assert.equal(shellQuote(word), quoted);
  });
}

Deno.test("shellQuote quotes = in a command's first word only", () => {
  // FOO=bar as a first word would be a variable assignment, not a program.
  assert.equal(shellQuote("a=b", true), "'a=b'");
  assert.equal(shellQuote("a=b"), "a=b");
  assert.equal(formatShellCommand(["a=b", "c=d"]), "'a=b' c=d");
});

Deno.test({
  name: "formatShellCommand: the shell reads back exactly the words",
  ignore: ON_WINDOWS,
  async fn() {
    const words = [
      "a=b",
      ...QUOTING.map((entry) => entry.word),
      "x'\"$`\\\n",
    ];
    // printf prints each word between markers; the shell does the parsing.
    const script = `printf '<%s>' ${formatShellCommand(words)}`;
    const out = await run(SHELL, ["-c", script]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, words.map((word) => `<${word}>`).join(""));
  },
});

// --- launch command ---------------------------------------------------------

Deno.test("the agent socket's shell word is one argument when SSH_AUTH_SOCK is set, none when not", async () => {
  const words = ["/usr/bin/deno", "run", AGENT_SOCKET_SHELL_WORD, "/m.ts"];
  const script = `printf '<%s>' ${formatShellCommand(words)}`;
  for (
    const [socket, expected] of [
      [undefined, "</usr/bin/deno><run></m.ts>"],
      ["", "</usr/bin/deno><run></m.ts>"],
      [
        "/tmp/my dir/a$b'c.sock",
        "</usr/bin/deno><run><--allow-net=unix:/tmp/my dir/a$b'c.sock></m.ts>",
      ],
    ] as const
  ) {
    const out = await new Deno.Command(SHELL, {
      args: ["-c", script],
      clearEnv: true,
      env: socket === undefined ? {} : { SSH_AUTH_SOCK: socket },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(out.stdout), expected);
  }
});

const LAUNCHES: { name: string; launch: Launch; command: string[] }[] = [
  {
    name: "a deno compile executable runs itself",
    launch: { kind: "compiled", execPath: "/opt/tools/mcp-orchestration" },
    command: ["/opt/tools/mcp-orchestration"],
  },
  {
    name: "deno run of a file: the module's path, decoded",
    launch: {
      kind: "deno",
      execPath: "/home/me/.deno/bin/deno",
      mainModule: "file:///src/my%20tool/it's/mod.ts",
      version: "2.3.0",
    },
    command: [
      "/home/me/.deno/bin/deno",
      "run",
      "--quiet",
      LAZY_IMPORTS_FLAG,
      ...PERMISSION_FLAGS,
      AGENT_SOCKET_SHELL_WORD,
      "/src/my tool/it's/mod.ts",
    ],
  },
  {
    name: "deno run of a URL: the URL itself",
    launch: {
      kind: "deno",
      execPath: "/usr/bin/deno",
      mainModule: "https://example.com/mcp-orchestration@0.1.0/mod.ts",
      version: "2.9.6",
    },
    command: [
      "/usr/bin/deno",
      "run",
      "--quiet",
      LAZY_IMPORTS_FLAG,
      ...PERMISSION_FLAGS,
      AGENT_SOCKET_SHELL_WORD,
      "https://example.com/mcp-orchestration@0.1.0/mod.ts",
    ],
  },
  {
    // Deno 2.0 to 2.2.0 refuse the flag as an unknown argument.
    name: "deno run under a Deno older than 2.3: no lazy-imports flag",
    launch: {
      kind: "deno",
      execPath: "/usr/bin/deno",
      mainModule: "file:///opt/tool/main.ts",
      version: "2.2.0",
    },
    command: [
      "/usr/bin/deno",
      "run",
      "--quiet",
      ...PERMISSION_FLAGS,
      AGENT_SOCKET_SHELL_WORD,
      "/opt/tool/main.ts",
    ],
  },
  {
    name: "deno run of an unknown Deno version: no lazy-imports flag",
    launch: {
      kind: "deno",
      execPath: "/usr/bin/deno",
      mainModule: "file:///opt/tool/main.ts",
    },
    command: [
      "/usr/bin/deno",
      "run",
      "--quiet",
      ...PERMISSION_FLAGS,
      AGENT_SOCKET_SHELL_WORD,
      "/opt/tool/main.ts",
    ],
  },
  {
    name: "node runs its script",
    launch: {
      kind: "node",
      execPath: "/usr/bin/node",
      script: "/usr/lib/node_modules/mcp-orchestration/cli.js",
    },
    command: [
      "/usr/bin/node",
      "/usr/lib/node_modules/mcp-orchestration/cli.js",
    ],
  },
];

for (const { name, launch, command } of LAUNCHES) {
  Deno.test(`launchCommand: ${name}`, () => {
    assert.deepEqual(launchCommand(launch), command);
  });
}

Deno.test("launchCommand refuses a runtime path that is not absolute", () => {
  assertToolError(
    () => launchCommand({ kind: "compiled", execPath: "mcp-orchestration" }),
    "IO",
  );
});

Deno.test("launchCommand resolves a relative node script", () => {
  const [, script] = launchCommand({
    kind: "node",
    execPath: "/usr/bin/node",
    script: "dist/cli.js",
  });
  assert.equal(script, join(Deno.cwd(), "dist", "cli.js"));
});

// --- stub text ----------------------------------------------------------------

for (const hook of ALL_HOOKS) {
  Deno.test(`hooks/${hook} is hookStub("${hook}", ["mcp-orchestration"]), byte for byte`, async () => {
    const file = shippedStubFiles().get(hook);
    assert.ok(file);
    const shipped = await Deno.readFile(file);
    const expected = new TextEncoder().encode(hookStub(hook, SHIPPED_COMMAND));
    assert.deepEqual(
      shipped,
      expected,
      `hooks/${hook} is out of date: run "deno run --allow-write=hooks scripts/generate_hooks.ts"`,
    );
    assert.deepEqual(SHIPPED_COMMAND, ["mcp-orchestration"]);
    if (!ON_WINDOWS) {
      assert.equal(((await Deno.stat(file)).mode ?? 0) & 0o111, 0o111);
    }
  });
}

Deno.test("the pre-commit stub, in full", () => {
  assert.equal(
    hookStub("pre-commit", ["/opt/my tools/mcp-orchestration"]),
    `#!/bin/sh
# mcp-orchestration hook v2 (pre-commit): installed by "mcp-orchestration install"; "mcp-orchestration uninstall" restores what was here
chained="\${0%/*}/pre-commit.mcp-orchestration-chained"
if [ -x "$chained" ]; then
  "$chained" "$@" || exit $?
fi
if [ "\${MCP_ORCHESTRATION_SKIP-}" = 1 ]; then
  printf >&2 '%s\\n' \\
    'mcp-orchestration: WARNING: MCP_ORCHESTRATION_SKIP=1, so the pre-commit hook did NOT run: the MCP configs in this commit are NOT signed'
  exit 0
fi
if [ ! -x '/opt/my tools/mcp-orchestration' ]; then
  printf >&2 '%s\\n' \\
    'mcp-orchestration: cannot run the pre-commit hook: the tool is gone (moved, upgraded or uninstalled); the hook runs:' \\
    '  '\\''/opt/my tools/mcp-orchestration'\\''' \\
    'Reinstall mcp-orchestration, then run "mcp-orchestration install" in this repository again (or "mcp-orchestration uninstall" to remove its hooks).' \\
    'To skip the hook this once: MCP_ORCHESTRATION_SKIP=1 git commit'
  exit 1
fi
if [ ! -e .mcp-orchestration/config.json ] &&
  ! grep -qs '^mcp-orchestration-statement v3' .mcp-orchestration/statements/* 2>/dev/null &&
  staged=$(git -c core.quotePath=true diff --cached --raw --no-renames --no-abbrev) &&
  printf '%s\\n' "$staged" | LC_ALL=C awk -F '\\t' '
    { split($1, mode, " "); path = tolower($2) }
    $0 != "" && NF != 2 { found = 1 }
    mode[1] ~ /^:(120000|160000)$/ || mode[2] ~ /^(120000|160000)$/ { found = 1 }
    path ~ /^"|^\\.mcp-orchestration\\/|mcp\\.json|claude_desktop_config\\.json|settings\\.json|config\\.toml|mcp_config\\.json|agents|opencode\\.json|mcpservers|settings\\.local\\.json|qwen-extension\\.json|gemini-extension\\.json|\\.claude-plugin|devcontainer\\.json|assistants|\\.amazonq|kilo\\.json|crush\\.json|\\.gitattributes/ { found = 1 }
    END { exit found }'; then
  exit 0
fi
exec '/opt/my tools/mcp-orchestration' hook pre-commit "$@"
`,
  );
});

Deno.test("stubs check every absolute path of the command, and look a bare name up on PATH", () => {
  const deno = hookStub("pre-push", [
    "/usr/bin/deno",
    "run",
    "--allow-read",
    "/src/mod.ts",
  ]);
  assert.match(
    deno,
    /^if \[ ! -x \/usr\/bin\/deno \] \|\| \[ ! -e \/src\/mod\.ts \]; then$/m,
  );
  const bare = hookStub("pre-commit", ["mcp-orchestration"]);
  assert.match(
    bare,
    /^if ! command -v mcp-orchestration >\/dev\/null 2>&1; then$/m,
  );
  const url = hookStub("pre-commit", [
    "/usr/bin/deno",
    "run",
    "https://example.com/mod.ts",
  ]);
  assert.match(url, /^if \[ ! -x \/usr\/bin\/deno \]; then$/m);
});

Deno.test("isOurHook knows our marker of any version, and nobody else's hooks", () => {
  for (const hook of ALL_HOOKS) {
    assert.equal(isOurHook(hookStub(hook, ["/x"])), true);
  }
  assert.equal(
    isOurHook("#!/bin/sh\n# mcp-orchestration hook v7 (pre-push): future\n"),
    true,
  );
  const others = [
    "",
    "#!/bin/sh\n",
    '#!/usr/bin/env sh\n. "${0%/*}/h"',
    '#!/bin/sh\n\nif [ "$LEFTHOOK" = "0" ]; then\n  exit 0\nfi\n',
    "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n# ID: 138fd403232d2ddd5efb44317e38bf03\n",
    // The marker anywhere but line 2 is someone quoting us, not our file.
    "#!/bin/sh\necho hi\n# mcp-orchestration hook v1 (pre-commit): x\n",
    "# mcp-orchestration hook v1 (pre-commit): x\n",
  ];
  for (const text of others) assert.equal(isOurHook(text), false, text);
});

Deno.test("stubs hold no other manager's fingerprint (which would make it delete ours)", () => {
  for (const hook of ALL_HOOKS) {
    const text = hookStub(hook, ["/usr/bin/deno", "run", "/x/mod.ts"]);
    assert.doesNotMatch(text, /LEFTHOOK|File generated by pre-commit|husky/);
    assert.doesNotMatch(text, /\r/);
    assert.ok(text.endsWith("\n"));
  }
});

// --- stub syntax and behaviour ---------------------------------------------

const NASTY_COMMAND = [
  '/opt/it\'s a "tool"/$HOME/`id`/bin',
  "run",
  "--allow-env=A,B",
  "/src/back\\slash/new\nline/mod.ts",
];

for (const hook of ALL_HOOKS) {
  for (const command of [SHIPPED_COMMAND, NASTY_COMMAND]) {
    Deno.test({
      name: `${hook} stub passes "${SHELL} -n" with ${
        JSON.stringify(command[0])
      }`,
      ignore: ON_WINDOWS,
      async fn() {
        const out = await run(SHELL, ["-n", "-c", hookStub(hook, command)]);
        assert.equal(out.code, 0, out.stderr);
        // And a broken script does fail the check.
        const broken = await run(SHELL, ["-n", "-c", "if true; then"]);
        assert.notEqual(broken.code, 0);
      },
    });
  }
}

/** A hooks folder with a recording tool and, optionally, a chained hook. */
interface StubBench {
  hooksDir: string;
  /** A git repository with `.mcp.json` staged, where pre-commit must start the tool. */
  repo: string;
  /** Where the recorder writes its arguments, stdin and a run counter. */
  log: string;
  tool: string;
}

// The "tool": records its arguments and standard input, one file each, and
// exits with $TOOL_EXIT (default 0).
const RECORDER = `#!/bin/sh
log="$(dirname "$0")/log"
printf '%s\\n' "$@" >"$log.$(basename "$0").args"
cat >"$log.$(basename "$0").stdin"
exit "\${TOOL_EXIT:-0}"
`;

async function bench(
  dir: string,
  hook: HookName,
  chained: string | undefined,
): Promise<StubBench> {
  // Spaces and a quote in every path, as in real home folders.
  const hooksDir = join(dir, "hooks dir");
  const toolDir = join(dir, "tool's dir");
  await Deno.mkdir(hooksDir);
  await Deno.mkdir(toolDir);
  const tool = join(toolDir, "tool");
  await writeExecutable(tool, RECORDER);
  await writeExecutable(join(hooksDir, hook), hookStub(hook, [tool]));
  if (chained !== undefined) {
    await writeExecutable(join(hooksDir, hook + CHAINED_SUFFIX), chained);
  }
  const repo = join(dir, "repo");
  await git(dir, ["init", "--quiet", repo]);
  await Deno.writeTextFile(join(repo, ".mcp.json"), "{}\n");
  await git(repo, ["add", ".mcp.json"]);
  return { hooksDir, log: join(toolDir, "log"), tool, repo };
}

async function git(cwd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: "1",
    },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

// A chained hook that records what it got next to itself, then exits
// with $CHAINED_EXIT.
const CHAINED_RECORDER = `#!/bin/sh
printf '%s\\n' "$0" "$@" >"$0.args"
cat >"$0.stdin"
exit "\${CHAINED_EXIT:-0}"
`;

const PUSH_INPUT =
  "refs/heads/main 1111111111111111111111111111111111111111 refs/heads/main 0000000000000000000000000000000000000000\n" +
  "refs/heads/x y 2222222222222222222222222222222222222222 refs/heads/x 3333333333333333333333333333333333333333\n";

Deno.test({
  name:
    "pre-push stub: the chained hook and the tool both get git's arguments and the exact input",
  ignore: ON_WINDOWS,
  async fn() {
    await withTempDir(async (dir) => {
      const b = await bench(dir, "pre-push", CHAINED_RECORDER);
      const hook = join(b.hooksDir, "pre-push");
      const out = await run(hook, ["origin", "/srv/a b.git"], {
        stdin: PUSH_INPUT,
        env: { TMPDIR: dir },
      });
      assert.equal(out.code, 0, out.stderr);
      const chained = hook + CHAINED_SUFFIX;
      assert.equal(
        await Deno.readTextFile(chained + ".args"),
        `${chained}\norigin\n/srv/a b.git\n`,
      );
      assert.equal(await Deno.readTextFile(chained + ".stdin"), PUSH_INPUT);
      assert.equal(
        await Deno.readTextFile(b.log + ".tool.args"),
        "hook\npre-push\norigin\n/srv/a b.git\n",
      );
      assert.equal(await Deno.readTextFile(b.log + ".tool.stdin"), PUSH_INPUT);
      // The copy of the input is gone.
      const left = [];
      for await (const entry of Deno.readDir(dir)) left.push(entry.name);
      assert.deepEqual(left.sort(), ["hooks dir", "repo", "tool's dir"]);
    });
  },
});

const RECEIVE_INPUT =
  "0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 refs/heads/main\n" +
  "2222222222222222222222222222222222222222 3333333333333333333333333333333333333333 refs/tags/v 1\n";

Deno.test({
  name:
    "pre-receive stub: the chained hook runs first with git's input, then the tool; MCP_ORCHESTRATION_SKIP does not skip it",
  ignore: ON_WINDOWS,
  async fn() {
    await withTempDir(async (dir) => {
      const b = await bench(dir, "pre-receive", CHAINED_RECORDER);
      const hook = join(b.hooksDir, "pre-receive");
      const out = await run(hook, [], {
        stdin: RECEIVE_INPUT,
        env: { TMPDIR: dir, [SKIP_ENV]: "1" },
      });
      assert.equal(out.code, 0, out.stderr);
      assert.doesNotMatch(out.stderr, /WARNING/);
      const chained = hook + CHAINED_SUFFIX;
      assert.equal(await Deno.readTextFile(chained + ".stdin"), RECEIVE_INPUT);
      assert.equal(
        await Deno.readTextFile(b.log + ".tool.args"),
        "hook\npre-receive\n",
      );
      assert.equal(
        await Deno.readTextFile(b.log + ".tool.stdin"),
        RECEIVE_INPUT,
      );
      // A failing chained hook refuses the push before the tool runs.
      await Deno.remove(b.log + ".tool.args");
      const refused = await run(hook, [], {
        stdin: RECEIVE_INPUT,
        env: { TMPDIR: dir, CHAINED_EXIT: "3" },
      });
      assert.equal(refused.code, 3);
      assert.equal(await readOrNull(b.log + ".tool.args"), null);
      // And the tool's own refusal is the hook's.
      const failed = await run(hook, [], {
        stdin: RECEIVE_INPUT,
        env: { TMPDIR: dir, TOOL_EXIT: "1" },
      });
      assert.equal(failed.code, 1);
      assert.doesNotMatch(
        hookStub("pre-receive", ["/x"]),
        new RegExp(SKIP_ENV),
      );
    });
  },
});

Deno.test({
  name:
    "pre-push stub without a chained hook hands git's input straight to the tool",
  ignore: ON_WINDOWS,
  async fn() {
    await withTempDir(async (dir) => {
      const b = await bench(dir, "pre-push", undefined);
      const out = await run(join(b.hooksDir, "pre-push"), ["o", "u"], {
        stdin: PUSH_INPUT,
      });
      assert.equal(out.code, 0, out.stderr);
      assert.equal(await Deno.readTextFile(b.log + ".tool.stdin"), PUSH_INPUT);
    });
  },
});

const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);

const OUTCOMES: {
  name: string;
  hook: HookName;
  /** The hook's arguments (default ["a1"]). */
  args?: string[];
  chained?: string;
  env?: Record<string, string>;
  code: number;
  toolRuns: boolean;
  stderr?: RegExp;
}[] = [
  {
    name: "a failing chained pre-commit stops with its exit code",
    hook: "pre-commit",
    chained: CHAINED_RECORDER,
    env: { CHAINED_EXIT: "3" },
    code: 3,
    toolRuns: false,
  },
  {
    name: "a failing chained pre-push stops with its exit code",
    hook: "pre-push",
    chained: CHAINED_RECORDER,
    env: { CHAINED_EXIT: "5" },
    code: 5,
    toolRuns: false,
  },
  {
    name:
      "a chained hook that is not executable does not run, as git would not run it",
    hook: "pre-commit",
    chained: "#!/bin/sh\nexit 9\n",
    code: 0,
    toolRuns: true,
  },
  {
    name: "the tool's exit code is the hook's",
    hook: "pre-commit",
    env: { TOOL_EXIT: "4" },
    code: 4,
    toolRuns: true,
  },
  {
    name:
      "MCP_ORCHESTRATION_SKIP=1 skips the tool loudly but still runs the chained hook",
    hook: "pre-commit",
    chained: CHAINED_RECORDER,
    env: { MCP_ORCHESTRATION_SKIP: "1" },
    code: 0,
    toolRuns: false,
    stderr:
      /WARNING: MCP_ORCHESTRATION_SKIP=1, so the pre-commit hook did NOT run/,
  },
  {
    name: "MCP_ORCHESTRATION_SKIP=1 in pre-push",
    hook: "pre-push",
    env: { MCP_ORCHESTRATION_SKIP: "1" },
    code: 0,
    toolRuns: false,
    stderr: /WARNING: .*pre-push hook did NOT run: the pushed MCP configs/,
  },
  {
    name: "MCP_ORCHESTRATION_SKIP=1 does not skip a failing chained hook",
    hook: "pre-commit",
    chained: CHAINED_RECORDER,
    env: { MCP_ORCHESTRATION_SKIP: "1", CHAINED_EXIT: "6" },
    code: 6,
    toolRuns: false,
  },
  {
    name: "MCP_ORCHESTRATION_SKIP=0 does not skip",
    hook: "pre-commit",
    env: { MCP_ORCHESTRATION_SKIP: "0" },
    code: 0,
    toolRuns: true,
  },
  {
    name:
      "post-checkout to the same commit changed no file: the tool does not start",
    hook: "post-checkout",
    args: [SHA_A, SHA_A, "1"],
    code: 0,
    toolRuns: false,
  },
  {
    name: "post-checkout to another commit starts the tool",
    hook: "post-checkout",
    args: [SHA_A, SHA_B, "1"],
    code: 0,
    toolRuns: true,
  },
  {
    name: "a file checkout (flag 0) starts the tool, even on the same commit",
    hook: "post-checkout",
    args: [SHA_A, SHA_A, "0"],
    code: 0,
    toolRuns: true,
  },
  {
    name:
      "post-rewrite after an amend changed no file: the tool does not start",
    hook: "post-rewrite",
    args: ["amend"],
    code: 0,
    toolRuns: false,
  },
  {
    name: "post-rewrite after a rebase starts the tool",
    hook: "post-rewrite",
    args: ["rebase"],
    code: 0,
    toolRuns: true,
  },
  {
    name:
      "a failing chained checkout hook does not stop ours, and its status is kept",
    hook: "post-merge",
    args: ["0"],
    chained: CHAINED_RECORDER,
    env: { CHAINED_EXIT: "5" },
    code: 5,
    toolRuns: true,
  },
  {
    name: "after a failing chained checkout hook, our failure is the status",
    hook: "post-checkout",
    args: [SHA_A, SHA_B, "1"],
    chained: CHAINED_RECORDER,
    env: { CHAINED_EXIT: "5", TOOL_EXIT: "1" },
    code: 1,
    toolRuns: true,
  },
  {
    name: "a checkout hook's own failure is its status",
    hook: "post-merge",
    args: ["0"],
    env: { TOOL_EXIT: "1" },
    code: 1,
    toolRuns: true,
  },
  {
    name: "MCP_ORCHESTRATION_SKIP=1 in post-merge keeps the chained status",
    hook: "post-merge",
    args: ["0"],
    chained: CHAINED_RECORDER,
    env: { MCP_ORCHESTRATION_SKIP: "1", CHAINED_EXIT: "4" },
    code: 4,
    toolRuns: false,
    stderr:
      /WARNING: .*post-merge hook did NOT run: the merged MCP configs are NOT verified/,
  },
];

for (const c of OUTCOMES) {
  Deno.test({
    name: `stub: ${c.name}`,
    ignore: ON_WINDOWS,
    async fn() {
      await withTempDir(async (dir) => {
        const b = await bench(dir, c.hook, c.chained);
        if (c.chained === "#!/bin/sh\nexit 9\n") {
          await Deno.chmod(join(b.hooksDir, c.hook + CHAINED_SUFFIX), 0o644);
        }
        const out = await run(join(b.hooksDir, c.hook), c.args ?? ["a1"], {
          stdin: PUSH_INPUT,
          cwd: b.repo,
          ...(c.env ? { env: c.env } : {}),
        });
        assert.equal(out.code, c.code, out.stderr);
        assert.equal(
          (await readOrNull(b.log + ".tool.args")) !== null,
          c.toolRuns,
        );
        if (c.chained === CHAINED_RECORDER) {
          const chained = join(b.hooksDir, c.hook + CHAINED_SUFFIX);
          assert.notEqual(await readOrNull(chained + ".args"), null);
        }
        if (c.stderr) assert.match(out.stderr, c.stderr);
      });
    },
  });
}

for (const hook of ALL_HOOKS) {
  Deno.test({
    name:
      `${hook} stub fails closed with the reinstall message when the tool or its module is gone`,
    ignore: ON_WINDOWS,
    async fn() {
      await withTempDir(async (dir) => {
        const b = await bench(dir, hook, undefined);
        const stub = join(b.hooksDir, hook);
        assert.equal((await run(stub, [], { stdin: "" })).code, 0);

        await Deno.remove(b.tool);
        const gone = await run(stub, [], { stdin: "" });
        assert.equal(gone.code, 1);
        assert.match(
          gone.stderr,
          new RegExp(
            `^mcp-orchestration: cannot run the ${hook} hook: the tool is gone`,
          ),
        );
        assert.match(
          gone.stderr,
          /run "mcp-orchestration install( --server)?"/,
        );
        assert.ok(
          gone.stderr.includes(`\n  ${formatShellCommand([b.tool])}\n`),
          gone.stderr,
        );

        // A program that is there but not executable is as good as gone.
        await Deno.writeTextFile(b.tool, RECORDER);
        await Deno.chmod(b.tool, 0o644);
        assert.equal((await run(stub, [], { stdin: "" })).code, 1);

        // deno still there, its module deleted (a moved checkout).
        await Deno.chmod(b.tool, 0o755);
        const module = join(dir, "gone mod.ts");
        await Deno.writeTextFile(stub, hookStub(hook, [b.tool, "run", module]));
        const moduleGone = await run(stub, [], { stdin: "" });
        assert.equal(moduleGone.code, 1);
        assert.match(moduleGone.stderr, /the tool is gone/);
        await Deno.writeTextFile(module, "");
        assert.equal((await run(stub, [], { stdin: "" })).code, 0);
      });
    },
  });
}

// --- the pre-commit fast path ------------------------------------------------------

Deno.test("the fast path's words are in every built-in config name and every store path", () => {
  const names = [
    ...BUILTIN_CONFIG_KINDS.map((kind) => kind.pattern.replace("**/", "")),
    `${STORE_DIR}/index`,
    ALLOWED_SIGNERS_PATH,
    REPO_CONFIG_PATH,
  ];
  for (const name of names) {
    assert.match(name.toLowerCase(), PRE_COMMIT_FAST_PATH, name);
  }
});

const FAST_PATH: {
  name: string;
  /** Files written and staged (a value of null: a symbolic link to "x"). */
  staged: Record<string, string | null>;
  /** Written, not staged. */
  unstaged?: Record<string, string>;
  toolRuns: boolean;
}[] = [
  { name: "nothing staged", staged: {}, toolRuns: false },
  {
    name: "only unrelated files",
    staged: { "README.md": "x", "src/main.ts": "x" },
    toolRuns: false,
  },
  {
    name: "a config in another case, with a trailing dot",
    staged: { "a/.CURSOR/MCP.JSON.": "{}" },
    toolRuns: true,
  },
  {
    name: "a file that only might be one (settings)",
    staged: { "docs/Settings.json": "{}" },
    toolRuns: true,
  },
  {
    name: "a store file",
    staged: { ".mcp-orchestration/index": "x" },
    toolRuns: true,
  },
  {
    name: "a symbolic link, whatever its name",
    staged: { "link": null },
    toolRuns: true,
  },
  {
    name: "a non-ASCII name (git quotes it)",
    staged: { "é.txt": "x" },
    toolRuns: true,
  },
  {
    name: "a name with a tab (git quotes it)",
    staged: { "a\tb.txt": "x" },
    toolRuns: true,
  },
  {
    name: "an unrelated file while config.json may add any name",
    staged: { "README.md": "x" },
    unstaged: { ".mcp-orchestration/config.json": "{}" },
    toolRuns: true,
  },
];

for (const c of FAST_PATH) {
  Deno.test({
    name: `pre-commit fast path: ${c.name}: the tool ${
      c.toolRuns ? "runs" : "does not start"
    }`,
    ignore: ON_WINDOWS,
    async fn() {
      await withTempDir(async (dir) => {
        const b = await bench(dir, "pre-commit", undefined);
        await git(b.repo, ["rm", "--cached", "--quiet", ".mcp.json"]);
        await Deno.remove(join(b.repo, ".mcp.json"));
        for (const [path, text] of Object.entries(c.unstaged ?? {})) {
          await Deno.mkdir(join(b.repo, path, ".."), { recursive: true });
          await Deno.writeTextFile(join(b.repo, path), text);
        }
        for (const [path, text] of Object.entries(c.staged)) {
          await Deno.mkdir(join(b.repo, path, ".."), { recursive: true });
          if (text === null) await Deno.symlink("x", join(b.repo, path));
          else await Deno.writeTextFile(join(b.repo, path), text);
          await git(b.repo, ["add", "--", path]);
        }
        const out = await run(join(b.hooksDir, "pre-commit"), [], {
          cwd: b.repo,
        });
        assert.equal(out.code, 0, out.stderr);
        assert.equal(
          (await readOrNull(b.log + ".tool.args")) !== null,
          c.toolRuns,
        );
      });
    },
  });
}

Deno.test({
  name:
    "pre-commit fast path: outside a repository git fails, and the tool runs",
  ignore: ON_WINDOWS,
  async fn() {
    await withTempDir(async (dir) => {
      const b = await bench(dir, "pre-commit", undefined);
      const out = await run(join(b.hooksDir, "pre-commit"), [], { cwd: dir });
      assert.equal(out.code, 0, out.stderr);
      assert.notEqual(await readOrNull(b.log + ".tool.args"), null);
    });
  },
});
