/**
 * `install` and `uninstall`, end to end, in real temporary repositories
 * (whose paths contain a space) with real `git commit` and `git push`:
 * foreign hooks are chained and restored byte for byte, pre-push input
 * reaches both hooks, `core.hooksPath` of another manager is refused with
 * instructions, linked worktrees share the hooks, a missing tool fails
 * closed, and `MCP_ORCHESTRATION_SKIP=1` skips loudly.
 *
 * Most tests install a recording script as "the tool" (through the library,
 * `installHooks`), so they test the stubs and the installer alone. The last
 * test runs the real `hook pre-commit` and `hook pre-push` commands.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { findRepository } from "../../src/git/repository.ts";
import {
  installHooks,
  type InstallReport,
  uninstallHooks,
} from "../../src/hooks/install.ts";
import {
  formatShellCommand,
  LAZY_IMPORTS_FLAG,
} from "../../src/hooks/launch.ts";
import { AGENT_SOCKET_SHELL_WORD } from "../../src/permissions.ts";
import {
  CHAINED_SUFFIX,
  CHECKOUT_HOOKS,
  type HookName,
  hookStub,
  isOurHook,
} from "../../src/hooks/stubs.ts";
import {
  type CliResult,
  denoEnv,
  MOD_PATH,
  PERMISSION_FLAGS,
  runCli,
  TEST_BIN_ENV,
} from "../support/cli.ts";
import { assertCliError, assertToolError } from "../support/errors.ts";
import { createTempRepo, gitEnv, type TempRepo } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const ZERO = "0".repeat(40);
const decoder = new TextDecoder();

// --- helpers ------------------------------------------------------------------

function cli(
  repo: TempRepo,
  args: string[],
  options: { cwd?: string } = {},
): Promise<CliResult> {
  return runCli(args, { cwd: options.cwd ?? repo.root, home: repo.home });
}

async function cliJson(
  repo: TempRepo,
  args: string[],
  options: { cwd?: string } = {},
): Promise<InstallReport & { command?: string[] }> {
  const result = await cli(repo, [...args, "--json"], options);
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** The command `install` writes into the stubs when run by `runCli`. */
async function expectedCommand(): Promise<string[]> {
  const bin = Deno.env.get(TEST_BIN_ENV);
  if (bin) return [await Deno.realPath(resolve(bin))];
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    LAZY_IMPORTS_FLAG,
    ...PERMISSION_FLAGS,
    AGENT_SOCKET_SHELL_WORD,
    MOD_PATH,
  ];
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git as a user would, so hooks run: isolated env, any exit code. */
async function gitRun(
  repo: TempRepo,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  const out = await new Deno.Command("git", {
    args,
    cwd: options.cwd ?? repo.root,
    clearEnv: true,
    env: { ...gitEnv(repo.home), ...(await denoEnv()), ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

async function commit(
  repo: TempRepo,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  const cwd = options.cwd ?? repo.root;
  // A config's name inside the name: the pre-commit stub's fast path then
  // starts the tool, as these tests want to see it run (it is not a config,
  // so nothing is signed).
  const name = `notes-${crypto.randomUUID()}.mcp.json.txt`;
  await Deno.writeTextFile(join(cwd, name), "x\n");
  const add = await gitRun(repo, ["add", name], { cwd });
  assert.equal(add.code, 0, add.stderr);
  return await gitRun(repo, ["commit", "-q", "-m", `add ${name}`], options);
}

async function head(repo: TempRepo, cwd = repo.root): Promise<string> {
  const out = await gitRun(repo, ["rev-parse", "-q", "--verify", "HEAD"], {
    cwd,
  });
  return out.stdout.trim();
}

async function writeExecutable(path: string, text: string | Uint8Array) {
  await Deno.mkdir(dirname(path), { recursive: true });
  if (typeof text === "string") await Deno.writeTextFile(path, text);
  else await Deno.writeFile(path, text);
  await Deno.chmod(path, 0o755);
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Every entry of a folder (not recursive): kind, mode, mtime, content. */
async function folderState(dir: string): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return state;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const info = await Deno.lstat(path);
    const mode = ((info.mode ?? 0) & 0o7777).toString(8);
    const content = info.isSymlink
      ? `-> ${await Deno.readLink(path)}`
      : info.isFile
      ? Array.from(await Deno.readFile(path)).join(",")
      : "dir";
    state.set(entry.name, `${mode} ${info.mtime?.getTime()} ${content}`);
  }
  return state;
}

function actions(report: InstallReport): string[] {
  return report.hooks.map((line) => `${line.hook} ${line.action}`);
}

// The checkout hooks, which these tests leave to git alone: one action
// line each, after pre-commit's and pre-push's.
function checkoutHooks(action: string): string[] {
  return CHECKOUT_HOOKS.map((hook) => `${hook} ${action}`);
}

// A recording "tool" or foreign hook: writes its arguments and standard
// input next to itself ("<path>.args", "<path>.stdin"), then exits with
// the number in "<path>.exit" if there is one.
const RECORDER = `#!/bin/sh
printf '%s\\n' "$@" >"$0.args"
cat >"$0.stdin"
if [ -f "$0.exit" ]; then exit "$(cat "$0.exit")"; fi
exit 0
`;

/** A recording tool in a folder whose name has a space and a quote. */
async function recordingTool(repo: TempRepo): Promise<string> {
  const tool = join(repo.home, "tool's dir", "the tool");
  await writeExecutable(tool, RECORDER);
  return tool;
}

async function repoWithRemote(): Promise<
  { repo: TempRepo; remote: TempRepo; cleanup(): Promise<void> }
> {
  const repo = await createTempRepo();
  const remote = await createTempRepo({ bare: true });
  await repo.git("remote", "add", "origin", remote.root);
  return {
    repo,
    remote,
    async cleanup() {
      await repo.cleanup();
      await remote.cleanup();
    },
  };
}

function hooksDir(repo: TempRepo): string {
  return join(repo.root, ".git", "hooks");
}

// --- install / uninstall round trip -------------------------------------------

Deno.test({
  name: "install chains foreign hooks; uninstall restores them byte for byte",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    const hooks = hooksDir(repo);
    // A foreign pre-commit with odd bytes and mode, a pre-push that is a
    // symbolic link, and an unrelated hook.
    await writeExecutable(
      join(hooks, "pre-commit"),
      new Uint8Array([...new TextEncoder().encode("#!/bin/sh\r\n"), 0xff, 10]),
    );
    await Deno.chmod(join(hooks, "pre-commit"), 0o750);
    const target = join(repo.home, "shared hooks", "pre-push");
    await writeExecutable(target, "#!/bin/sh\nexit 0\n");
    await Deno.symlink(target, join(hooks, "pre-push"));
    await writeExecutable(join(hooks, "commit-msg"), "#!/bin/sh\nexit 0\n");
    const before = await folderState(hooks);

    const installed = await cliJson(repo, ["install"]);
    const command = await expectedCommand();
    assert.deepEqual(installed.command, command);
    assert.equal(installed.hooksFolder, hooks);
    assert.equal(installed.hooksPath, undefined);
    assert.deepEqual(installed.warnings, []);
    assert.deepEqual(installed.hooks, [
      {
        hook: "pre-commit",
        action: "chained",
        path: join(hooks, "pre-commit"),
        chained: join(hooks, "pre-commit" + CHAINED_SUFFIX),
      },
      {
        hook: "pre-push",
        action: "chained",
        path: join(hooks, "pre-push"),
        chained: join(hooks, "pre-push" + CHAINED_SUFFIX),
      },
      ...CHECKOUT_HOOKS.map((hook) => ({
        hook,
        action: "installed",
        path: join(hooks, hook),
      })),
    ]);
    for (const hook of ["pre-commit", "pre-push"] as const) {
      const path = join(hooks, hook);
      assert.equal(await Deno.readTextFile(path), hookStub(hook, command));
      assert.equal((await Deno.lstat(path)).mode! & 0o777, 0o755);
      // Moved, not copied: same bytes, mode, link target and mtime.
      assert.equal(
        (await folderState(hooks)).get(hook + CHAINED_SUFFIX),
        before.get(hook),
      );
    }
    assert.equal(
      (await folderState(hooks)).get("commit-msg"),
      before.get("commit-msg"),
    );

    const removed = await cliJson(repo, ["uninstall"]);
    assert.deepEqual(actions(removed), [
      "pre-commit restored",
      "pre-push restored",
      ...checkoutHooks("removed"),
    ]);
    assert.deepEqual(await folderState(hooks), before);

    const again = await cliJson(repo, ["uninstall"]);
    assert.deepEqual(actions(again), [
      "pre-commit absent",
      "pre-push absent",
      ...checkoutHooks("absent"),
    ]);
    assert.deepEqual(await folderState(hooks), before);
  },
});

Deno.test({
  name: "installing twice changes nothing; another command updates our stubs",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    const hooks = hooksDir(repo);
    await writeExecutable(join(hooks, "pre-push"), "#!/bin/sh\nexit 0\n");
    const first = await cliJson(repo, ["install"]);
    assert.deepEqual(actions(first), [
      "pre-commit installed",
      "pre-push chained",
      ...checkoutHooks("installed"),
    ]);
    const state = await folderState(hooks);

    const second = await cliJson(repo, ["install"]);
    assert.deepEqual(actions(second), [
      "pre-commit unchanged",
      "pre-push unchanged",
      ...checkoutHooks("unchanged"),
    ]);
    assert.equal(
      second.hooks[1]?.chained,
      join(hooks, "pre-push" + CHAINED_SUFFIX),
    );
    // Not even rewritten: same bytes, modes and modification times.
    assert.deepEqual(await folderState(hooks), state);

    const other = await installHooks(await findRepository(repo.root), {
      command: ["/opt/other tool"],
    });
    assert.deepEqual(actions(other), [
      "pre-commit updated",
      "pre-push updated",
      ...checkoutHooks("updated"),
    ]);
    assert.equal(
      await Deno.readTextFile(join(hooks, "pre-push")),
      hookStub("pre-push", ["/opt/other tool"]),
    );
    // The chained hook is still the original one, not our old stub.
    assert.equal(
      await Deno.readTextFile(join(hooks, "pre-push" + CHAINED_SUFFIX)),
      "#!/bin/sh\nexit 0\n",
    );

    const back = await cliJson(repo, ["install"]);
    assert.deepEqual(actions(back), [
      "pre-commit updated",
      "pre-push updated",
      ...checkoutHooks("updated"),
    ]);

    // A stub that lost its execute bits is repaired, not "unchanged".
    await Deno.chmod(join(hooks, "pre-commit"), 0o644);
    const repaired = await cliJson(repo, ["install"]);
    assert.deepEqual(actions(repaired), [
      "pre-commit updated",
      "pre-push unchanged",
      ...checkoutHooks("unchanged"),
    ]);
    const after = await folderState(hooks);
    for (
      const name of ["pre-commit", "pre-push", "pre-push" + CHAINED_SUFFIX]
    ) {
      // Same content and mode as the first install (times may differ).
      assert.equal(
        after.get(name)?.replace(/ \d+ /, " "),
        state.get(name)?.replace(/ \d+ /, " "),
        name,
      );
    }
  },
});

Deno.test({
  name: "uninstall leaves alone a hook that replaced ours, with a warning",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    const hooks = hooksDir(repo);
    await writeExecutable(join(hooks, "pre-commit"), "#!/bin/sh\necho old\n");
    await cliJson(repo, ["install"]);
    // Another tool takes the hook over since.
    await writeExecutable(join(hooks, "pre-commit"), "#!/bin/sh\necho new\n");

    const report = await cliJson(repo, ["uninstall"]);
    assert.deepEqual(actions(report), [
      "pre-commit kept-foreign",
      "pre-push removed",
      ...checkoutHooks("removed"),
    ]);
    assert.equal(report.warnings.length, 1);
    assert.match(
      report.warnings[0]!,
      /Left ".*pre-commit" alone: it is not ours/,
    );
    assert.equal(
      await Deno.readTextFile(join(hooks, "pre-commit")),
      "#!/bin/sh\necho new\n",
    );
    assert.equal(
      await Deno.readTextFile(join(hooks, "pre-commit" + CHAINED_SUFFIX)),
      "#!/bin/sh\necho old\n",
    );
    assert.equal(await readOrNull(join(hooks, "pre-push")), null);

    // install now refuses rather than lose one of the two foreign hooks.
    const state = await folderState(hooks);
    const refused = await cli(repo, ["install"]);
    assertCliError(
      refused,
      "HOOKS",
      "already holds a hook moved aside earlier",
    );
    assert.deepEqual(await folderState(hooks), state);
    await assertToolError(
      installHooks(await findRepository(repo.root), { command: ["/x"] }),
      "HOOKS",
    );
  },
});

// --- the stubs under real git ---------------------------------------------------

Deno.test({
  name:
    "foreign pre-commit and pre-push run first; both pre-push hooks get git's exact input",
  ignore: ON_WINDOWS,
  async fn() {
    const { repo, remote, cleanup } = await repoWithRemote();
    try {
      const hooks = hooksDir(repo);
      await writeExecutable(join(hooks, "pre-commit"), RECORDER);
      await writeExecutable(join(hooks, "pre-push"), RECORDER);
      const tool = await recordingTool(repo);
      const report = await installHooks(await findRepository(repo.root), {
        command: [tool],
      });
      assert.deepEqual(actions(report), [
        "pre-commit chained",
        "pre-push chained",
        ...checkoutHooks("installed"),
      ]);

      const committed = await commit(repo);
      assert.equal(committed.code, 0, committed.stderr);
      const foreignCommit = join(hooks, "pre-commit" + CHAINED_SUFFIX);
      assert.equal(await readOrNull(foreignCommit + ".args"), "\n");
      assert.equal(await readOrNull(tool + ".args"), "hook\npre-commit\n");

      const pushed = await gitRun(repo, ["push", "-q", "origin", "main"]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const sha = await head(repo);
      const input = `refs/heads/main ${sha} refs/heads/main ${ZERO}\n`;
      const foreignPush = join(hooks, "pre-push" + CHAINED_SUFFIX);
      assert.equal(
        await readOrNull(foreignPush + ".args"),
        `origin\n${remote.root}\n`,
      );
      assert.equal(await readOrNull(foreignPush + ".stdin"), input);
      assert.equal(
        await readOrNull(tool + ".args"),
        `hook\npre-push\norigin\n${remote.root}\n`,
      );
      assert.equal(await readOrNull(tool + ".stdin"), input);
      assert.equal(
        (await remote.git("rev-parse", "refs/heads/main")).trim(),
        sha,
      );
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name:
    "a failing foreign hook stops the commit and the push; ours does not run",
  ignore: ON_WINDOWS,
  async fn() {
    const { repo, remote, cleanup } = await repoWithRemote();
    try {
      const hooks = hooksDir(repo);
      await writeExecutable(join(hooks, "pre-commit"), RECORDER);
      await writeExecutable(join(hooks, "pre-push"), RECORDER);
      const tool = await recordingTool(repo);
      await installHooks(await findRepository(repo.root), { command: [tool] });

      const foreignCommit = join(hooks, "pre-commit" + CHAINED_SUFFIX);
      await Deno.writeTextFile(foreignCommit + ".exit", "7");
      const refused = await commit(repo);
      assert.notEqual(refused.code, 0);
      assert.equal(await head(repo), "");
      assert.equal(await readOrNull(tool + ".args"), null);

      await Deno.remove(foreignCommit + ".exit");
      assert.equal((await commit(repo)).code, 0);
      await Deno.remove(tool + ".args");
      const foreignPush = join(hooks, "pre-push" + CHAINED_SUFFIX);
      await Deno.writeTextFile(foreignPush + ".exit", "1");
      const push = await gitRun(repo, ["push", "-q", "origin", "main"]);
      assert.notEqual(push.code, 0);
      assert.equal(await readOrNull(tool + ".args"), null);
      await assert.rejects(remote.git("rev-parse", "--verify", "-q", "main"));
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name:
    "MCP_ORCHESTRATION_SKIP=1 warns loudly and lets the commit and push through; the foreign hook still runs",
  ignore: ON_WINDOWS,
  async fn() {
    const { repo, remote, cleanup } = await repoWithRemote();
    try {
      const hooks = hooksDir(repo);
      await writeExecutable(join(hooks, "pre-commit"), RECORDER);
      await cliJson(repo, ["install"]);
      const skip = { env: { MCP_ORCHESTRATION_SKIP: "1" } };

      const committed = await commit(repo, skip);
      assert.equal(committed.code, 0, committed.stderr);
      assert.match(
        committed.stderr,
        /^mcp-orchestration: WARNING: MCP_ORCHESTRATION_SKIP=1, so the pre-commit hook did NOT run: the MCP configs in this commit are NOT signed$/m,
      );
      assert.notEqual(
        await readOrNull(join(hooks, "pre-commit" + CHAINED_SUFFIX + ".args")),
        null,
      );

      const pushed = await gitRun(repo, ["push", "-q", "origin", "main"], skip);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(pushed.stderr, /WARNING: .*pre-push hook did NOT run/);
      assert.equal(
        (await remote.git("rev-parse", "main")).trim(),
        await head(repo),
      );
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name: "a hook whose tool is gone fails closed and says how to reinstall",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    const repository = await findRepository(repo.root);
    // A compiled tool that was deleted, then deno with a deleted module.
    const tool = await recordingTool(repo);
    const module = join(repo.home, "old checkout", "mod.ts");
    await writeExecutable(module, "");
    const cases: { command: string[]; remove: string }[] = [
      { command: [tool], remove: tool },
      {
        command: [Deno.execPath(), "run", ...PERMISSION_FLAGS, module],
        remove: module,
      },
    ];
    for (const { command, remove } of cases) {
      await installHooks(repository, { command });
      await Deno.remove(remove);
      const refused = await commit(repo);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /^mcp-orchestration: cannot run the pre-commit hook: the tool is gone/m,
      );
      assert.ok(refused.stderr.includes(`  ${formatShellCommand(command)}\n`));
      assert.match(
        refused.stderr,
        /run "mcp-orchestration install" in this repository again/,
      );
      assert.equal(await head(repo), "");
    }
  },
});

// --- where the hooks go -------------------------------------------------------

interface ManagerCase {
  name: string;
  hooksPath: string;
  files: Record<string, string>;
  expect: (tool: string, root: string) => string[];
  chained: HookName[];
  warns: boolean;
}

const MANAGERS: ManagerCase[] = [
  {
    name: "husky",
    hooksPath: ".husky/_",
    files: {
      ".husky/_/h": "#!/usr/bin/env sh\n# husky's runner\n",
      ".husky/_/pre-commit": '#!/usr/bin/env sh\n. "${0%/*}/h"',
      ".husky/_/pre-push": '#!/usr/bin/env sh\n. "${0%/*}/h"',
      ".husky/_/.gitignore": "*",
      ".husky/pre-commit": "npm test\n",
    },
    expect: (tool, root) => [
      `\n  ${tool} hook pre-commit\nto "${root}/.husky/pre-commit"`,
      `\n  ${tool} hook pre-push "$@"\nto "${root}/.husky/pre-push"`,
    ],
    chained: ["pre-commit", "pre-push"],
    warns: true,
  },
  {
    name: "lefthook",
    hooksPath: ".lefthook-hooks",
    files: {
      ".lefthook-hooks/pre-commit":
        '#!/bin/sh\n\nif [ "$LEFTHOOK" = "0" ]; then\n  exit 0\nfi\ncall_lefthook "run pre-commit $@"\n',
    },
    expect: (tool) => [
      "add to lefthook.yml\npre-commit:\n  commands:\n    mcp-orchestration:\n",
      `      run: '${
        tool.replaceAll("'", "''")
      } hook pre-push {1} {2}'\n      use_stdin: true\n`,
    ],
    chained: ["pre-commit"],
    warns: true,
  },
  {
    name: "the pre-commit framework",
    hooksPath: ".hooks",
    files: {
      ".hooks/pre-commit":
        "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n# ID: 138fd403232d2ddd5efb44317e38bf03\n",
    },
    expect: (tool) => [
      "add to .pre-commit-config.yaml\nrepos:\n  - repo: local\n",
      `        entry: '${
        tool.replaceAll("'", "''")
      } hook pre-commit'\n        language: system\n`,
    ],
    chained: ["pre-commit"],
    warns: true,
  },
  {
    name: "a folder with your own pre-push hook",
    hooksPath: ".githooks",
    files: { ".githooks/pre-push": "#!/bin/sh\nexit 0\n" },
    expect: (tool, root) => [
      `its pre-push hook is not ours`,
      `\n  ${tool} hook pre-push "$@"\nto "${root}/.githooks/pre-push"`,
    ],
    chained: ["pre-push"],
    warns: false,
  },
];

for (const c of MANAGERS) {
  Deno.test({
    name:
      `core.hooksPath of ${c.name}: refused with what to do instead; --force chains`,
    ignore: ON_WINDOWS,
    async fn() {
      await using repo = await createTempRepo();
      for (const [path, text] of Object.entries(c.files)) {
        await writeExecutable(join(repo.root, path), text);
      }
      await repo.git("config", "core.hooksPath", c.hooksPath);
      const folder = join(repo.root, c.hooksPath);
      const before = await folderState(folder);
      const gitHooks = await folderState(hooksDir(repo));

      const refused = await cli(repo, ["install"]);
      const message = assertCliError(refused, "HOOKS");
      assert.ok(
        refused.stderr.startsWith(`error[HOOKS]: ${message}`) &&
          message.startsWith(
            `Not installing into "${folder}": core.hooksPath is "${c.hooksPath}"`,
          ),
        refused.stderr,
      );
      const tool = formatShellCommand(await expectedCommand());
      for (const expected of c.expect(tool, repo.root)) {
        assert.ok(refused.stderr.includes(expected), refused.stderr);
      }
      assert.match(refused.stderr, /run install again with --force/);
      assert.deepEqual(await folderState(folder), before);
      assert.deepEqual(await folderState(hooksDir(repo)), gitHooks);
      await assertToolError(
        installHooks(await findRepository(repo.root), { command: ["/x"] }),
        "HOOKS",
      );

      const forced = await cliJson(repo, ["install", "--force"]);
      assert.equal(forced.hooksFolder, folder);
      assert.equal(forced.hooksPath, c.hooksPath);
      for (const line of forced.hooks) {
        assert.equal(
          line.action,
          c.chained.includes(line.hook) ? "chained" : "installed",
        );
        assert.ok(isOurHook(await Deno.readTextFile(line.path)));
      }
      const managerWarning = forced.warnings.some((w) =>
        /is managed by/.test(w)
      );
      assert.equal(managerWarning, c.warns, forced.warnings.join("\n"));
      assert.deepEqual(await folderState(hooksDir(repo)), gitHooks);

      const removed = await cliJson(repo, ["uninstall"]);
      assert.equal(removed.hooksFolder, folder);
      const after = await folderState(folder);
      assert.deepEqual(
        [...after.keys()].sort(),
        [...before.keys()].sort(),
      );
      for (const [name, state] of before) {
        assert.equal(after.get(name), state, name);
      }
    },
  });
}

Deno.test({
  name:
    "core.hooksPath naming a missing or empty folder: ours to write, installed there",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.git("config", "core.hooksPath", ".githooks");
    const folder = join(repo.root, ".githooks");

    const report = await cliJson(repo, ["install"]);
    assert.equal(report.hooksFolder, folder);
    assert.deepEqual(actions(report), [
      "pre-commit installed",
      "pre-push installed",
      ...checkoutHooks("installed"),
    ]);
    // The folder is in the working tree: a reminder not to commit it.
    assert.equal(report.warnings.length, 1);
    assert.match(report.warnings[0]!, /inside the working tree/);
    assert.equal(await readOrNull(join(hooksDir(repo), "pre-commit")), null);

    // Git runs the stub from there.
    const committed = await commit(repo, {
      env: { MCP_ORCHESTRATION_SKIP: "1" },
    });
    assert.equal(committed.code, 0, committed.stderr);
    assert.match(committed.stderr, /pre-commit hook did NOT run/);

    const removed = await cliJson(repo, ["uninstall"]);
    assert.deepEqual(actions(removed), [
      "pre-commit removed",
      "pre-push removed",
      ...checkoutHooks("removed"),
    ]);
    assert.deepEqual([...(await folderState(folder)).keys()], []);
  },
});

Deno.test({
  name: "a linked worktree installs into, and runs, the shared hooks folder",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.git("commit", "-q", "--allow-empty", "-m", "initial");
    const worktree = join(dirname(repo.root), "linked worktree");
    await repo.git("worktree", "add", "-q", "-b", "side", worktree);

    const report = await cliJson(repo, ["install"], { cwd: worktree });
    assert.equal(report.hooksFolder, hooksDir(repo));
    assert.deepEqual(actions(report), [
      "pre-commit installed",
      "pre-push installed",
      ...checkoutHooks("installed"),
    ]);
    assert.ok(
      isOurHook(await Deno.readTextFile(join(hooksDir(repo), "pre-commit"))),
    );

    const before = await head(repo, worktree);
    const committed = await commit(repo, {
      cwd: worktree,
      env: { MCP_ORCHESTRATION_SKIP: "1" },
    });
    assert.equal(committed.code, 0, committed.stderr);
    assert.match(committed.stderr, /pre-commit hook did NOT run/);
    assert.notEqual(await head(repo, worktree), before);

    const again = await cliJson(repo, ["install"], { cwd: worktree });
    assert.deepEqual(actions(again), [
      "pre-commit unchanged",
      "pre-push unchanged",
      ...checkoutHooks("unchanged"),
    ]);
    const removed = await cliJson(repo, ["uninstall"], { cwd: worktree });
    assert.deepEqual(actions(removed), [
      "pre-commit removed",
      "pre-push removed",
      ...checkoutHooks("removed"),
    ]);
  },
});

Deno.test("install and uninstall outside a repository fail with NOT_A_REPOSITORY's message", async () => {
  await using repo = await createTempRepo();
  for (const command of ["install", "uninstall"]) {
    const result = await cli(repo, [command], { cwd: repo.home });
    assertCliError(
      result,
      "NOT_A_REPOSITORY",
      /^Not inside a Git working tree/,
    );
    assert.match(result.stderr, /^error\[NOT_A_REPOSITORY\]: /);
  }
  const usage = await cli(repo, ["install", "extra"]);
  assertCliError(usage, "USAGE");
  assert.equal(await readOrNull(join(hooksDir(repo), "pre-commit")), null);
});

Deno.test("uninstall without a hooks folder has nothing to do", async () => {
  await using repo = await createTempRepo();
  await Deno.remove(hooksDir(repo), { recursive: true });
  const report = await uninstallHooks(await findRepository(repo.root));
  assert.deepEqual(actions(report), [
    "pre-commit absent",
    "pre-push absent",
    ...checkoutHooks("absent"),
  ]);
  assert.equal(await readOrNull(hooksDir(repo)), null);
  // install creates it.
  const installed = await installHooks(await findRepository(repo.root), {
    command: ["/x"],
  });
  assert.deepEqual(actions(installed), [
    "pre-commit installed",
    "pre-push installed",
    ...checkoutHooks("installed"),
  ]);
});

// --- with the real hook commands -------------------------------------------------

// Needs `hook pre-commit` and `hook pre-push` (src/cli): until they exist
// the stubs' exec fails with "Unknown command".
Deno.test({
  name:
    "the installed hooks run the tool: a commit and a push without MCP configs go through",
  ignore: ON_WINDOWS,
  async fn() {
    const { repo, remote, cleanup } = await repoWithRemote();
    try {
      const hooks = hooksDir(repo);
      await writeExecutable(join(hooks, "pre-push"), RECORDER);
      await cliJson(repo, ["install"]);

      const committed = await commit(repo);
      assert.equal(committed.code, 0, committed.stderr);
      const pushed = await gitRun(repo, ["push", "-q", "origin", "main"]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const sha = await head(repo);
      assert.equal(
        await readOrNull(join(hooks, "pre-push" + CHAINED_SUFFIX + ".stdin")),
        `refs/heads/main ${sha} refs/heads/main ${ZERO}\n`,
      );
      assert.equal((await remote.git("rev-parse", "main")).trim(), sha);
    } finally {
      await cleanup();
    }
  },
});
