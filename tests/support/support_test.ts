// Tests of the test harness itself: if these helpers were wrong, every
// end-to-end test built on them could pass for the wrong reason.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { DIST_TESTS, steps, TEST_FLAGS } from "../../scripts/test.ts";
import { VERSION } from "../../src/constants.ts";
import { LAZY_IMPORTS_FLAG } from "../../src/hooks/launch.ts";
import {
  type CliResult,
  MOD_PATH,
  PERMISSION_FLAGS,
  runCli,
  TEST_BIN_ENV,
} from "./cli.ts";
import { createFlow, readText, sharedFlow } from "./flow.ts";
import {
  createTempRepo,
  SNAPSHOT_INDEX_KEY,
  SNAPSHOT_REFS_KEY,
  SNAPSHOT_STATUS_KEY,
  snapshotDiff,
  TEST_USER_EMAIL,
  TEST_USER_NAME,
  withTempDir,
} from "./repo.ts";
import { generateKey, sshSign, sshVerify } from "./ssh_keygen.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const CI_SCRIPT = fileURLToPath(new URL("../../.ci/run", import.meta.url));
const DENO_JSON = fileURLToPath(new URL("../../deno.json", import.meta.url));

/**
 * Runs TypeScript in a child Deno whose environment is ours plus `env`
 * (`undefined` unsets), and returns what it printed, parsed as JSON. Tests
 * that need a changed environment run there: under `deno test --parallel`
 * all test files share one process, so `Deno.env.set` would leak into them.
 */
async function inChildDeno(
  code: string,
  env: Record<string, string | undefined>,
): Promise<unknown> {
  const childEnv = Deno.env.toObject();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const imports = ["cli.ts", "repo.ts"].map((file) =>
    `import * as ${file.slice(0, -3)} from ${
      JSON.stringify(new URL(`./${file}`, import.meta.url).href)
    };`
  ).join("\n");
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", `${imports}\n${code}`],
    cwd: dirname(DENO_JSON),
    clearEnv: true,
    env: childEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  return JSON.parse(decoder.decode(output.stdout));
}

/** A repository with one committed file, `a.json`. */
async function committedRepo() {
  const repo = await createTempRepo();
  await repo.write("a.json", '{"a":1}\n');
  await repo.git("add", "a.json");
  await repo.git("commit", "-q", "-m", "first");
  return repo;
}

// --- createTempRepo -----------------------------------------------------------

Deno.test("createTempRepo makes a main-branch repo in a path with a space", async () => {
  const repo = await createTempRepo();
  try {
    assert.match(repo.root, / /);
    assert.notEqual(repo.home, repo.root);
    assert.equal(
      (await repo.git("symbolic-ref", "HEAD")).trim(),
      "refs/heads/main",
    );
    assert.equal(
      (await repo.git("config", "--local", "user.name")).trim(),
      TEST_USER_NAME,
    );
    assert.equal(
      (await repo.git("config", "--local", "user.email")).trim(),
      TEST_USER_EMAIL,
    );
    assert.equal(
      (await repo.git("config", "--local", "commit.gpgsign")).trim(),
      "false",
    );
    assert.equal(
      (await repo.git("rev-parse", "--show-toplevel")).trim(),
      repo.root.replaceAll("\\", "/"),
    );
  } finally {
    await repo.cleanup();
  }
  assert.equal(existsSync(repo.root), false);
  assert.equal(existsSync(repo.home), false);
});

Deno.test("createTempRepo can make a bare repository, removed by await using", async () => {
  let root = "";
  {
    await using repo = await createTempRepo({ bare: true });
    root = repo.root;
    assert.equal(
      (await repo.git("rev-parse", "--is-bare-repository")).trim(),
      "true",
    );
    const snapshot = await repo.snapshot();
    assert.equal(snapshot.has("HEAD"), true);
    assert.equal(snapshot.has(SNAPSHOT_STATUS_KEY), false);
  }
  assert.equal(existsSync(root), false);
});

Deno.test("TempRepo git() throws on a non-zero exit, even without stderr", async () => {
  await using repo = await createTempRepo();
  await assert.rejects(
    repo.git("rev-parse", "--verify", "-q", "HEAD"),
    /^Error: Cannot run "git rev-parse --verify -q HEAD": exit 1: $/,
  );
  await assert.rejects(
    repo.git("no-such-command"),
    /Cannot run "git no-such-command": exit 1: git: 'no-such-command' is not/,
  );
});

Deno.test("TempRepo write, read and exists work on root-relative paths", async () => {
  await using repo = await createTempRepo();
  await repo.write("deep/er/x.bin", new Uint8Array([0, 255]));
  assert.deepEqual(await repo.read("deep/er/x.bin"), new Uint8Array([0, 255]));
  assert.equal(await repo.exists("deep/er/x.bin"), true);
  assert.equal(await repo.exists("deep/missing"), false);
  await assert.rejects(
    repo.write(join(repo.root, "abs"), "x"),
    /root-relative/,
  );
});

Deno.test("withTempDir removes its folder even when the function throws", async () => {
  let kept = "";
  await assert.rejects(
    withTempDir(async (dir) => {
      kept = dir;
      await Deno.writeTextFile(join(dir, "f"), "x");
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.notEqual(kept, "");
  assert.equal(existsSync(kept), false);
});

// --- snapshot -------------------------------------------------------------------

Deno.test("snapshot is stable when nothing changes, and skips .git", async () => {
  await using repo = await committedRepo();
  const before = await repo.snapshot();
  await repo.git("status");
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
  assert.equal([...before.keys()].some((key) => key.startsWith(".git")), false);
  assert.match(before.get(SNAPSHOT_INDEX_KEY) ?? "", /\ta\.json\n$/);
});

Deno.test("snapshot detects a changed file of the same size", async () => {
  await using repo = await committedRepo();
  const before = await repo.snapshot();
  await repo.write("a.json", '{"a":2}\n');
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), [
    `~ ${SNAPSHOT_STATUS_KEY}`,
    "~ a.json",
  ]);
});

Deno.test("snapshot detects a new file in a new folder", async () => {
  await using repo = await committedRepo();
  const before = await repo.snapshot();
  await repo.write("dir/new.json", "{}");
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), [
    `~ ${SNAPSHOT_STATUS_KEY}`,
    "+ dir",
    "+ dir/new.json",
  ]);
});

Deno.test({
  name: "snapshot detects a mode change",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await committedRepo();
    const before = await repo.snapshot();
    await Deno.chmod(join(repo.root, "a.json"), 0o755);
    const after = await repo.snapshot();
    assert.deepEqual(snapshotDiff(before, after), [
      `~ ${SNAPSHOT_STATUS_KEY}`,
      "~ a.json",
    ]);
    assert.match(after.get("a.json") ?? "", /^file 755 /);
  },
});

Deno.test("snapshot detects a staged change whose file is unchanged", async () => {
  await using repo = await committedRepo();
  await repo.write("a.json", '{"a":2}\n');
  const before = await repo.snapshot();
  await repo.git("add", "a.json");
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), [
    `~ ${SNAPSHOT_INDEX_KEY}`,
    `~ ${SNAPSHOT_STATUS_KEY}`,
  ]);
});

Deno.test("snapshot detects a new commit", async () => {
  await using repo = await committedRepo();
  const before = await repo.snapshot();
  await repo.git("commit", "-q", "--allow-empty", "-m", "second");
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), [
    `~ ${SNAPSHOT_REFS_KEY}`,
  ]);
});

// --- gitEnv isolation -------------------------------------------------------------

Deno.test("gitEnv keeps the developer's git config and GIT_* variables out", async () => {
  await withTempDir(async (dir) => {
    // Stand-ins for the developer's machine: a global config, an unrelated
    // repository in GIT_DIR, and config passed through the environment.
    const developerConfig = join(dir, "developer.gitconfig");
    await Deno.writeTextFile(
      developerConfig,
      "[user]\n\tname = Leaked Developer\n[leak]\n\tmarker = global\n",
    );
    const leaked = {
      GIT_CONFIG_GLOBAL: developerConfig,
      GIT_DIR: join(dir, "elsewhere.git"),
      GIT_INDEX_FILE: join(dir, "elsewhere.index"),
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "leak.count",
      GIT_CONFIG_VALUE_0: "yes",
      MCP_ORCHESTRATION_KEY: join(dir, "developer.key"),
    };

    // Control: without isolation, a git child does see the leak.
    const plain = await new Deno.Command("git", {
      args: ["config", "--get", "leak.marker"],
      cwd: dir,
      env: leaked,
      stdout: "piped",
      stderr: "null",
    }).output();
    assert.equal(new TextDecoder().decode(plain.stdout).trim(), "global");

    const seen = await inChildDeno(
      `
      await using r = await repo.createTempRepo();
      console.log(JSON.stringify({
        env: repo.gitEnv(r.home),
        root: r.root,
        userName: (await r.git("config", "user.name")).trim(),
        config: await r.git("config", "--list", "--show-origin"),
        gitDir: (await r.git("rev-parse", "--absolute-git-dir")).trim(),
      }));
      `,
      leaked,
    ) as {
      env: Record<string, string>;
      root: string;
      userName: string;
      config: string;
      gitDir: string;
    };
    for (const [name, value] of Object.entries(leaked)) {
      assert.notEqual(seen.env[name], value, `${name} leaked into gitEnv`);
    }
    assert.equal("GIT_DIR" in seen.env, false);
    assert.equal("GIT_INDEX_FILE" in seen.env, false);
    assert.equal(seen.userName, TEST_USER_NAME);
    assert.doesNotMatch(seen.config, /leak/i);
    assert.equal(seen.gitDir, join(seen.root, ".git").replaceAll("\\", "/"));
  });
});

// --- runCli ------------------------------------------------------------------------

Deno.test("PERMISSION_FLAGS match the deno.json cli task", async () => {
  assert.deepEqual(PERMISSION_FLAGS, [
    "--allow-read",
    "--allow-write",
    "--allow-run=git",
    "--allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY,MCP_ORCHESTRATION_AGENT,MCP_ORCHESTRATION_PASSPHRASE_FILE,SSH_AUTH_SOCK",
  ]);
  const config = JSON.parse(await Deno.readTextFile(DENO_JSON));
  assert.equal(
    config.tasks.cli,
    ["deno", "run", ...PERMISSION_FLAGS, "main.ts"].join(" "),
  );
});

Deno.test("cliInvocation runs deno run main.ts, or MCP_ORCHESTRATION_TEST_BIN", async () => {
  assert.equal(MOD_PATH, join(dirname(DENO_JSON), "main.ts"));
  const code =
    'console.log(JSON.stringify(cli.cliInvocation(["sign", "a b"])));';
  assert.deepEqual(
    await inChildDeno(code, { [TEST_BIN_ENV]: undefined }),
    {
      command: Deno.execPath(),
      args: [
        "run",
        LAZY_IMPORTS_FLAG,
        ...PERMISSION_FLAGS,
        MOD_PATH,
        "sign",
        "a b",
      ],
    },
  );
  assert.deepEqual(
    await inChildDeno(code, { [TEST_BIN_ENV]: "/opt/tool dir/tool" }),
    { command: "/opt/tool dir/tool", args: ["sign", "a b"] },
  );
  // Relative to where the tests started (the child runs in deno.json's folder).
  assert.deepEqual(
    await inChildDeno(code, { [TEST_BIN_ENV]: "dist/tool" }),
    {
      command: join(dirname(DENO_JSON), "dist", "tool"),
      args: ["sign", "a b"],
    },
  );
});

Deno.test({
  name: "runCli passes args, cwd, stdin and a clean environment to the binary",
  ignore: ON_WINDOWS,
  async fn() {
    await withTempDir(async (dir) => {
      const bin = join(dir, "fake tool");
      await Deno.writeTextFile(
        bin,
        [
          "#!/bin/sh",
          'echo "cwd=$(pwd -P)"',
          'for a in "$@"; do echo "arg=$a"; done',
          "env | sort",
          'echo "stdin=$(cat)"',
          "echo oops >&2",
          "exit 3",
          "",
        ].join("\n"),
      );
      await Deno.chmod(bin, 0o755);
      const seen = await inChildDeno(
        `
        await using r = await repo.createTempRepo();
        const options = { cwd: r.root, home: r.home };
        console.log(JSON.stringify({
          root: r.root,
          home: r.home,
          result: await cli.runCli(["verify", "a b.json"], {
            ...options,
            env: { EXTRA: "1" },
            stdin: "hello",
          }),
          unset: await cli.runCli([], {
            ...options,
            env: { MCP_ORCHESTRATION_HOME: undefined },
          }),
        }));
        `,
        {
          [TEST_BIN_ENV]: bin,
          GIT_DIR: "/leaked",
          GIT_INDEX_FILE: "/leaked",
          MCP_ORCHESTRATION_KEY: "/leaked",
        },
      ) as { root: string; home: string; result: CliResult; unset: CliResult };
      const { root, home, result, unset } = seen;
      assert.equal(result.code, 3);
      assert.equal(result.stderr, "oops\n");
      const lines = result.stdout.split("\n");
      assert.equal(lines[0], `cwd=${root}`);
      assert.deepEqual(lines.slice(1, 3), ["arg=verify", "arg=a b.json"]);
      for (
        const expected of [
          `MCP_ORCHESTRATION_HOME=${home}`,
          `HOME=${home}`,
          "NO_COLOR=1",
          "GIT_CONFIG_NOSYSTEM=1",
          `GIT_CONFIG_GLOBAL=${join(home, "gitconfig")}`,
          "EXTRA=1",
          "stdin=hello",
        ]
      ) assert.ok(lines.includes(expected), `missing "${expected}"`);
      assert.doesNotMatch(result.stdout, /leaked|DENO_DIR/);
      assert.doesNotMatch(unset.stdout, /MCP_ORCHESTRATION_HOME/);
      assert.match(unset.stdout, /^stdin=$/m);
    });
  },
});

Deno.test({
  name: "runCli runs the real tool (deno run main.ts, or the test binary)",
  // Until main.ts exists there is nothing to run.
  ignore: !existsSync(MOD_PATH),
  async fn() {
    await using repo = await createTempRepo();
    const result = await runCli(["--version"], {
      cwd: repo.root,
      home: repo.home,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(VERSION.replaceAll(".", "\\.")));
  },
});

Deno.test({
  name:
    "keepShared, run with the test task's permissions (no --allow-all), removes only the originals of ended test processes",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // Listed by a process that still runs, and by one that has ended.
    const sleeper = new Deno.Command("sleep", {
      args: ["120"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const done = new Deno.Command("true", { stdin: "null" }).spawn();
    await done.status;
    await using live = await createTempRepo();
    // Not "await using": keepShared is to remove it.
    const ended = await createTempRepo();
    try {
      const lists = join(tmpdir(), "mcp-orchestration-test-shared-flows");
      await Deno.mkdir(lists, { recursive: true });
      for (
        const [pid, repo] of [[sleeper.pid, live], [done.pid, ended]] as const
      ) {
        const list = await Deno.makeTempFile({ dir: lists, suffix: ".json" });
        await Deno.writeTextFile(
          list,
          JSON.stringify({ pid, folders: [dirname(repo.root)] }),
        );
      }
      await withTempDir(async (dir) => {
        const script = join(dir, "keep.ts");
        await Deno.writeTextFile(
          script,
          `import { keepShared } from ${
            JSON.stringify(new URL("./repo.ts", import.meta.url).href)
          };\nawait keepShared([]);\n`,
        );
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", ...TEST_FLAGS, script],
          cwd: dirname(DENO_JSON),
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      });
      assert.ok(
        existsSync(live.root),
        "the original of a running process was removed",
      );
      assert.ok(
        !existsSync(ended.root),
        "the original of an ended process was kept",
      );
    } finally {
      sleeper.kill();
      await sleeper.status;
      await Deno.remove(dirname(ended.root), { recursive: true }).catch(
        () => {},
      );
    }
  },
});

// --- ssh-keygen ------------------------------------------------------------------------

Deno.test("ssh helpers sign and verify a real file, and reject a modified one", async () => {
  await withTempDir(async (dir) => {
    const key = await generateKey(dir, "alice");
    assert.match(key.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.match(key.publicLine, /^ssh-ed25519 AAAA\S+ alice$/);
    const allowedSigners = join(dir, "allowed_signers");
    await Deno.writeTextFile(
      allowedSigners,
      `alice@example.com ${key.publicLine}\n`,
    );
    const messagePath = join(dir, ".mcp.json");
    const message = '{"mcpServers":{}}\n';
    await Deno.writeTextFile(messagePath, message);

    const signaturePath = await sshSign({
      keyPath: key.privatePath,
      namespace: "mcp-orchestration",
      messagePath,
    });
    assert.equal(signaturePath, `${messagePath}.sig`);
    const verify = {
      allowedSigners,
      principal: "alice@example.com",
      namespace: "mcp-orchestration",
      signaturePath,
      message,
    };
    const good = await sshVerify(verify);
    assert.equal(good.ok, true, good.output);
    assert.match(good.output, /Good "mcp-orchestration" signature/);

    const modified = await sshVerify({ ...verify, message: message + " " });
    assert.equal(modified.ok, false);
    const wrongNamespace = await sshVerify({ ...verify, namespace: "git" });
    assert.equal(wrongNamespace.ok, false);
    const wrongPrincipal = await sshVerify({ ...verify, principal: "mallory" });
    assert.equal(wrongPrincipal.ok, false);

    // Re-signing replaces the old signature instead of silently keeping it.
    const before = await Deno.readTextFile(signaturePath);
    await Deno.writeTextFile(messagePath, "changed\n");
    await sshSign({
      keyPath: key.privatePath,
      namespace: "mcp-orchestration",
      messagePath,
    });
    assert.notEqual(await Deno.readTextFile(signaturePath), before);
    assert.equal(
      (await sshVerify({ ...verify, message: "changed\n" })).ok,
      true,
    );
  });
});

Deno.test("generateKey refuses to overwrite a key", async () => {
  await withTempDir(async (dir) => {
    await generateKey(dir, "k");
    await assert.rejects(generateKey(dir, "k"), /ssh-keygen/);
  });
});

// --- .ci/run ---------------------------------------------------------------------------

async function ciReport(
  log: string,
  status: number,
): Promise<{ code: number; stdout: string }> {
  return await withTempDir(async (dir) => {
    const logPath = join(dir, "test.log");
    await Deno.writeTextFile(logPath, log);
    const output = await new Deno.Command("bash", {
      args: [
        "-c",
        'source "$1"; report "$2" "$3"',
        "-",
        CI_SCRIPT,
        logPath,
        String(status),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return {
      code: output.code,
      stdout: new TextDecoder().decode(output.stdout),
    };
  });
}

const ciCases: {
  name: string;
  log: string;
  status: number;
  code: number;
  line: string;
}[] = [
  {
    name: "passing run with steps and colours",
    log:
      "a ... ok\n\n\x1b[0m\x1b[32mok\x1b[0m | 12 passed (3 steps) | 0 failed \x1b[0m\x1b[38;5;245m(1s)\x1b[0m\n",
    status: 0,
    code: 0,
    line: "12 passed, 0 failed",
  },
  {
    name: "failing run",
    log:
      "FAILURES\n\nFAILED | 3 passed | 1 failed (2 steps) | 1 ignored (5ms)\r\n\nerror: Test failed\n",
    status: 1,
    code: 1,
    line: "3 passed, 1 failed",
  },
  {
    name: "summaries of several runs add up, indented ones are test output",
    log:
      "ok | 99 passed | 0 failed (1ms)\n  FAILED | 0 passed | 7 failed\nFAILED | 5 passed (2 steps) | 2 failed (1ms)\n",
    status: 1,
    code: 1,
    line: "104 passed, 2 failed",
  },
  {
    name: "the three runs of deno task test add up",
    log: "ok | 700 passed (9 steps) | 0 failed (1m)\n" +
      "FAILED | 20 passed | 1 failed (30s)\n" +
      "ok | 300 passed | 0 failed (40s)\n",
    status: 1,
    code: 1,
    line: "1020 passed, 1 failed",
  },
  {
    name: "no summary line",
    log: "error: Import 'file:///x_test.ts' failed, not found.\n",
    status: 1,
    code: 1,
    line: "0 passed, 0 failed",
  },
  {
    name: "no summary line but exit 0",
    log: "Task test deno test\n",
    status: 0,
    code: 1,
    line: "0 passed, 0 failed",
  },
  {
    name: "zero tests is not a success",
    log: "ok | 0 passed | 0 failed | 5 filtered out (1ms)\n",
    status: 0,
    code: 1,
    line: "0 passed, 0 failed",
  },
  {
    name: "failures with exit 0 still fail",
    log: "FAILED | 2 passed | 1 failed (1ms)\n",
    status: 0,
    code: 1,
    line: "2 passed, 1 failed",
  },
];

for (const c of ciCases) {
  Deno.test({
    name: `.ci/run report: ${c.name}`,
    ignore: ON_WINDOWS,
    async fn() {
      const { code, stdout } = await ciReport(c.log, c.status);
      assert.equal(stdout, `${c.line}\n`);
      assert.equal(code, c.code);
    },
  });
}

Deno.test({
  name: ".ci/run runs the README's test command, verbatim",
  ignore: ON_WINDOWS,
  async fn() {
    const output = await new Deno.Command("bash", {
      args: [
        "-c",
        'source "$1"; printf "%s\n" "${TEST_COMMAND[*]}"',
        "-",
        CI_SCRIPT,
      ],
      stdin: "null",
      stdout: "piped",
    }).output();
    const command = new TextDecoder().decode(output.stdout).trim();
    assert.equal(command, "npx -y deno@2.9.6 task test");
    const readme = await Deno.readTextFile(
      join(dirname(DENO_JSON), "README.md"),
    );
    assert.ok(readme.includes(`\n${command} `), "README's quick start");
  },
});

Deno.test("deno task test runs every test folder, tests/dist too; test:fast all but tests/dist", async () => {
  const config = JSON.parse(await Deno.readTextFile(DENO_JSON));
  assert.match(config.tasks.test, / scripts\/test\.ts$/);
  assert.match(config.tasks["test:fast"], / scripts\/test\.ts --fast$/);
  assert.match(config.tasks["test:dist"], / scripts\/test\.ts --dist$/);

  const fast = steps("fast");
  assert.equal(fast.length, 1);
  assert.ok(fast[0]!.args.includes("--doc"));
  // The built files too: on the command line, --ignore replaces deno.json's
  // "exclude", and a bundle in dist/npm has doc comments of its own.
  assert.ok(fast[0]!.args.includes(`--ignore=${DIST_TESTS},dist`));
  // No path: deno test finds every test file but those ignored.
  assert.ok(!fast[0]!.args.some((arg) => arg.startsWith("tests")));

  const dist = steps("dist");
  assert.deepEqual(dist[0]!.args.at(-1), DIST_TESTS);
  const binary = dist.find((step) => step.env?.MCP_ORCHESTRATION_TEST_BIN);
  assert.ok(binary?.needsBuild);
  assert.equal(binary.args.at(-1), "tests/e2e");

  // After the fast step has type-checked tests/e2e, the binary's step does
  // not check it again; run alone, it does.
  assert.ok(!binary.args.includes("--no-check"));
  const all = steps("all");
  assert.deepEqual(all.slice(0, -1), [...fast, ...dist.slice(0, -1)]);
  const allBinary = all.at(-1)!;
  assert.ok(allBinary.args.includes("--no-check"));
  assert.deepEqual(
    { ...allBinary, args: allBinary.args.filter((a) => a !== "--no-check") },
    binary,
  );
  assert.ok(existsSync(join(dirname(DENO_JSON), DIST_TESTS)));
});

Deno.test({
  name:
    "sharedFlow builds once and hands out independent copies: own files, own remote, own keys",
  ignore: ON_WINDOWS,
  async fn() {
    let builds = 0;
    const build = async () => {
      builds++;
      const flow = await createFlow({ keys: ["mallory"] });
      await flow.repo.write("README.md", "hello\n");
      await flow.ok(["add", "-A"]);
      await flow.ok(["commit", "-q", "-m", "first"]);
      await flow.ok(["push", "-q", "origin", "main"]);
      return flow;
    };
    const name = `support test ${crypto.randomUUID()}`;
    await using one = await sharedFlow(name, build, { keys: ["mallory"] });
    await using two = await sharedFlow(name, build, { keys: ["mallory"] });
    assert.equal(builds, 1);
    assert.notEqual(one.repo.root, two.repo.root);
    assert.equal(await one.repo.git("log", "--format=%s"), "first\n");
    assert.equal(
      await one.repo.git("rev-parse", "HEAD"),
      await two.repo.git("rev-parse", "HEAD"),
    );
    // Each copy pushes to its own remote.
    assert.equal(
      (await one.ok(["remote", "get-url", "origin"])).trim(),
      one.remote.root,
    );
    await one.repo.write("README.md", "changed\n");
    assert.equal(await readText(two, "README.md"), "hello\n");
    await one.ok(["commit", "-q", "-am", "second"]);
    await one.ok(["push", "-q", "origin", "main"]);
    assert.equal(
      await one.remote.git("rev-parse", "main"),
      await one.repo.git("rev-parse", "HEAD"),
    );
    assert.equal(
      await two.remote.git("rev-parse", "main"),
      await two.repo.git("rev-parse", "HEAD"),
    );
    // The keys were moved with their home.
    for (const flow of [one, two]) {
      assert.ok(flow.mallory.privatePath.startsWith(dirname(flow.repo.root)));
      assert.ok(flow.mallory.publicPath.startsWith(dirname(flow.repo.root)));
      assert.ok(existsSync(flow.mallory.privatePath));
      assert.ok(
        (await Deno.readTextFile(flow.mallory.publicPath)).startsWith(
          flow.mallory.publicLine,
        ),
      );
    }
  },
});
