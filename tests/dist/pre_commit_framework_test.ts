/**
 * The hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit framework
 * (https://pre-commit.com): a repository's `.pre-commit-config.yaml` names a
 * committed snapshot of this checkout (repo: its path, rev: its commit), so
 * the framework clones it and runs `hooks/pre-commit-framework` from its
 * clone, exactly as it would from GitHub. It checks that a commit gets
 * signed (the framework accepts the files our hook stages, and does not
 * report them as "files were modified by this hook"), also with unstaged
 * changes the framework stashes; that an untrusted key stops the commit; and
 * that the pre-push hook lets the first push through and refuses a tampered
 * commit, on an existing branch and on a new one, and run by hand on a range;
 * and that a repository carrying its own "deno" (a `package.json`,
 * `node_modules/deno`, `node_modules/.bin` on PATH, an `.npmrc`) never gets
 * it run: without another deno on PATH, Deno 2.9.6 is installed from
 * `runtime/package-lock.json` into the framework's clone.
 *
 * Needs the `pre-commit` program (Debian and Ubuntu: `apt-get install -y
 * pre-commit`). Without it these tests are skipped with a message, except
 * when the environment variable CI is set: there they fail.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initKey } from "../../mod.ts";
import {
  AGENT_SOCKET_SHELL_WORD,
  PERMISSION_FLAGS,
} from "../../src/permissions.ts";
import { denoEnv } from "../support/cli.ts";
import {
  HOSTILE_OUTPUT,
  npmRunEnv,
  pathWithoutDeno,
  plantHostileRuntime,
  shareNpmCache,
} from "../support/hostile_runtime.ts";
import { runIsolated } from "../support/process.ts";
import {
  cliOk,
  createFlow,
  type Flow,
  forceCommit,
  head,
  type OpenFlow,
  readText,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { createTempRepo, gitEnv } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const CHECKOUT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = join(CHECKOUT, "hooks", "pre-commit-framework");
const INSTALL = "apt-get install -y pre-commit";
const IN_CI = (Deno.env.get("CI") ?? "") !== "";
const PRE_COMMIT = ON_WINDOWS ? undefined : await preCommitVersion();
const MISSING =
  `the pre-commit framework is not installed (no "pre-commit" on PATH): install it with "${INSTALL}" (Debian, Ubuntu) or "pipx install pre-commit"`;
const SKIPPED = PRE_COMMIT === undefined && !IN_CI;
if (SKIPPED && !ON_WINDOWS) {
  console.warn(`pre_commit_framework_test: skipped, as ${MISSING}`);
}

async function preCommitVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("pre-commit", {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return out.success
      ? new TextDecoder().decode(out.stdout).trim()
      : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function config(command: string): string {
  return JSON.stringify({ mcpServers: { files: { command, args: ["."] } } }) +
    "\n";
}

/** A repository whose hooks the pre-commit framework installed from this checkout. */
interface FrameworkFlow {
  flow: OpenFlow<"mallory">;
  /** Runs git with the framework's hooks; `deno` and `pre-commit` on PATH. */
  git(
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ code: number; output: string }>;
  /** Runs the `pre-commit` program itself, in the same environment. */
  framework(args: string[]): Promise<{ code: number; output: string }>;
}

/**
 * Commits a snapshot of this checkout (tracked files and new ones, as they
 * are now) to a repository of its own: what the framework will clone.
 */
async function snapshotCheckout(
  into: { root: string; git(...args: string[]): Promise<string> },
  home: string,
): Promise<string> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: CHECKOUT,
    clearEnv: true,
    env: gitEnv(home),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(
    listed.success,
    `Cannot list the checkout's files: ${
      new TextDecoder().decode(listed.stderr)
    }`,
  );
  const files = new TextDecoder().decode(listed.stdout).split("\0");
  for (const file of files) {
    if (file === "") continue;
    const from = join(CHECKOUT, file);
    try {
      if (!(await Deno.lstat(from)).isFile) continue;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // deleted, not staged
      throw error;
    }
    await Deno.mkdir(dirname(join(into.root, file)), { recursive: true });
    await Deno.copyFile(from, join(into.root, file));
  }
  await into.git("add", "-A");
  await into.git("commit", "-q", "-m", "snapshot of the checkout");
  return (await into.git("rev-parse", "HEAD")).trim();
}

async function withFramework(
  fn: (f: FrameworkFlow) => Promise<void>,
): Promise<void> {
  if (PRE_COMMIT === undefined) assert.fail(`CI is set, but ${MISSING}`);
  await using hooksRepo = await createTempRepo();
  await using flow = await createFlow({ keys: ["mallory"] });
  const rev = await snapshotCheckout(hooksRepo, hooksRepo.home);

  // The first signer's key, trusted, and the trust list signed: by the tool,
  // before any hook exists.
  const { created } = await initKey({ home: flow.repo.home });
  await cliOk(flow, [
    "trust",
    "add",
    created.publicKeyPath,
    "--principal",
    "alice@example.com",
  ]);
  await cliOk(flow, ["sign"]);
  await write(flow, {
    ".pre-commit-config.yaml": [
      "repos:",
      `  - repo: ${JSON.stringify(hooksRepo.root)}`,
      `    rev: ${rev}`,
      "    hooks:",
      "      - id: mcp-orchestration",
      "      - id: mcp-orchestration-pre-push",
      "",
    ].join("\n"),
  });
  await flow.ok(["add", "-A"]);
  await flow.ok(["commit", "-q", "-m", "trust alice"]);

  const bin = join(flow.repo.home, "bin");
  await Deno.mkdir(bin);
  await Deno.symlink(Deno.execPath(), join(bin, "deno"));
  const env = async (extra: Record<string, string> = {}) => ({
    ...gitEnv(flow.repo.home),
    ...(await denoEnv()),
    MCP_ORCHESTRATION_HOME: flow.repo.home,
    PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
    ...extra,
  });
  const run = async (
    command: string,
    args: string[],
    extra?: Record<string, string>,
  ) => {
    const out = await runIsolated(command, args, {
      cwd: flow.repo.root,
      env: await env(extra),
    });
    return { code: out.code, output: out.stdout + out.stderr };
  };
  const installed = await run("pre-commit", [
    "install",
    "--hook-type",
    "pre-commit",
    "--hook-type",
    "pre-push",
  ]);
  assert.equal(installed.code, 0, installed.output);
  await fn({
    flow,
    git: (args, extra) => run("git", args, extra),
    framework: (args) => run("pre-commit", args),
  });
}

async function assertCommitSigned(flow: Flow, message: string): Promise<void> {
  const { code, report, text } = await verifyHistory(flow, ["--rev", "HEAD"]);
  assert.equal(code, 0, text);
  assert.equal(report.commits[0]?.subject, message);
  assert.ok(
    report.commits[0]?.results.some((r) => r.path === ".mcp.json" && r.ok),
    text,
  );
}

Deno.test({
  name: `pre-commit framework${
    PRE_COMMIT ? ` (${PRE_COMMIT})` : ""
  }: a commit gets signed through .pre-commit-hooks.yaml, also with unstaged changes; an untrusted key is refused`,
  ignore: ON_WINDOWS || SKIPPED,
  async fn() {
    await withFramework(async ({ flow, git }) => {
      await write(flow, { ".mcp.json": config("server-v1"), "notes": "a\n" });
      await flow.ok(["add", "-A"]);
      const first = await git(["commit", "-m", "add config"]);
      assert.equal(first.code, 0, first.output);
      assert.match(
        first.output,
        /sign MCP configs \(mcp-orchestration\)\.+Passed/,
      );
      assert.doesNotMatch(first.output, /files were modified by this hook/);
      await assertCommitSigned(flow, "add config");
      // The hook's files are in the commit, nothing is left behind.
      assert.equal(await flow.ok(["status", "--porcelain"]), "");
      assert.match(
        await flow.ok(["show", "--name-only", "--format=", "HEAD"]),
        /^\.mcp-orchestration\/index$/m,
      );

      // Unstaged changes: the framework stashes them, our hook signs what is
      // staged, and the framework puts them back.
      await write(flow, { ".mcp.json": config("server-v2") });
      await flow.ok(["add", ".mcp.json"]);
      await write(flow, {
        "notes": "a\nb\n",
        ".mcp.json": config("server-v3"),
      });
      const second = await git(["commit", "-m", "v2"]);
      assert.equal(second.code, 0, second.output);
      assert.match(second.output, /Stashing unstaged files/);
      assert.doesNotMatch(second.output, /files were modified by this hook/);
      await assertCommitSigned(flow, "v2");
      assert.equal(
        await flow.ok(["show", "HEAD:.mcp.json"]),
        config("server-v2"),
      );
      assert.equal(await readText(flow, ".mcp.json"), config("server-v3"));
      assert.equal(
        await flow.ok(["status", "--porcelain"]),
        " M .mcp.json\n M notes\n",
      );

      // Someone whose key the repository does not trust: refused.
      const before = await head(flow);
      await flow.ok(["add", ".mcp.json"]);
      const refused = await git(["commit", "-m", "v3 by mallory"], {
        MCP_ORCHESTRATION_KEY: flow.mallory.privatePath,
      });
      assert.notEqual(refused.code, 0, refused.output);
      assert.match(
        refused.output,
        /sign MCP configs \(mcp-orchestration\)\.+Failed/,
      );
      assert.match(refused.output, /trust add/);
      assert.equal(await head(flow), before);
    });
  },
});

Deno.test({
  name:
    "pre-commit framework: its pre-push hook lets the first push through and refuses tampered commits, on a branch and a new one",
  ignore: ON_WINDOWS || SKIPPED,
  async fn() {
    await withFramework(async ({ flow, git, framework }) => {
      await write(flow, { ".mcp.json": config("server-v1") });
      await flow.ok(["add", "-A"]);
      assert.equal((await git(["commit", "-q", "-m", "v1"])).code, 0);
      // The whole history, root commit included, to an empty remote.
      const first = await git(["push", "-q", "origin", "main"]);
      assert.equal(first.code, 0, first.output);
      assert.match(
        first.output,
        /verify MCP configs of pushed commits.*Passed/,
      );
      const pushed = await head(flow);

      await write(flow, { ".mcp.json": config("curl-evil") });
      const tampered = await forceCommit(flow, "tamper");
      for (const refspec of ["main", "main:refs/heads/feature"]) {
        const push = await git(["push", "-q", "origin", refspec]);
        assert.notEqual(push.code, 0, `${refspec}: ${push.output}`);
        assert.match(push.output, /- hook id: mcp-orchestration-pre-push/);
        assert.match(
          push.output,
          new RegExp(`FAIL +${tampered.slice(0, 12)} tamper`),
        );
        assert.match(push.output, /FAIL +\.mcp\.json +TAMPERED:/);
      }
      assert.equal(
        (await flow.remote.git(
          "for-each-ref",
          "--format=%(refname) %(objectname)",
        ))
          .trim(),
        `refs/heads/main ${pushed}`,
      );

      // Run by hand (or in CI) on a range: verify --range.
      const run = (from: string, to: string) =>
        framework([
          "run",
          "mcp-orchestration-pre-push",
          "--hook-stage",
          "push",
          "--from-ref",
          from,
          "--to-ref",
          to,
        ]);
      const bad = await run(pushed, tampered);
      assert.notEqual(bad.code, 0, bad.output);
      assert.match(bad.output, /FAIL +\.mcp\.json +TAMPERED:/);
      assert.match(bad.output, /1 commit: 0 verified, 1 failed/);
      const good = await run(`${pushed}~1`, pushed);
      assert.equal(good.code, 0, good.output);
    });
  },
});

/** The Deno installs under the framework's clones of this repository. */
async function installedRuntimes(home: string): Promise<string[]> {
  const cache = join(home, ".cache", "pre-commit");
  const found = [];
  for await (const clone of Deno.readDir(cache)) {
    if (!clone.isDirectory) continue; // its database and lock file
    const runtime = join(cache, clone.name, "runtime");
    try {
      for await (const entry of Deno.readDir(runtime)) {
        if (entry.isDirectory) {
          found.push(join(clone.name, "runtime", entry.name));
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return found;
}

Deno.test({
  name:
    "pre-commit framework: a checkout's package.json, node_modules/deno, .npmrc and node_modules/.bin on PATH never stand in for Deno, which is installed into the framework's clone",
  ignore: ON_WINDOWS || SKIPPED,
  async fn() {
    await withFramework(async ({ flow, git }) => {
      // Committed, as a pull request the developer checked out would bring them.
      const hostile = await plantHostileRuntime(
        flow.repo.root,
        join(flow.repo.home, "marker"),
      );
      await shareNpmCache(flow.repo.home);
      const noDeno = await pathWithoutDeno(join(flow.repo.home, "path"));
      const assertNotRun = async (output: string) => {
        assert.doesNotMatch(output, new RegExp(HOSTILE_OUTPUT));
        await assert.rejects(Deno.stat(hostile.marker), Deno.errors.NotFound);
      };

      // No deno on PATH, and git started by `npm run` in the checkout.
      await write(flow, { ".mcp.json": config("server-v1") });
      await flow.ok(["add", "-A"]);
      const first = await git(["commit", "-m", "add config"], {
        PATH: noDeno,
        ...npmRunEnv(flow.repo.root),
      });
      await assertNotRun(first.output);
      assert.equal(first.code, 0, first.output);
      await assertCommitSigned(flow, "add config");
      assert.deepEqual(
        (await installedRuntimes(flow.repo.home)).map((p) =>
          p.replace(/^[^/]+/, "<clone>")
        ),
        ["<clone>/runtime/deno-2.9.6"],
      );
      assert.equal(await flow.ok(["status", "--porcelain", "--ignored"]), "");

      // The checkout's bin folder on PATH, relative and absolute: skipped,
      // and Deno is not installed again.
      const path = `node_modules/.bin:${hostile.binDir}:${noDeno}`;
      await write(flow, { ".mcp.json": config("server-v2") });
      await flow.ok(["add", "-A"]);
      const second = await git(["commit", "-m", "v2"], { PATH: path });
      await assertNotRun(second.output);
      assert.equal(second.code, 0, second.output);
      await assertCommitSigned(flow, "v2");

      // A tampered commit is still refused at push.
      await write(flow, { ".mcp.json": config("curl-evil") });
      const tampered = await forceCommit(flow, "tamper");
      const push = await git(["push", "-q", "origin", "main"], { PATH: path });
      await assertNotRun(push.output);
      assert.notEqual(push.code, 0, push.output);
      assert.match(
        push.output,
        new RegExp(`FAIL +${tampered.slice(0, 12)} tamper`),
      );
      assert.match(push.output, /FAIL +\.mcp\.json +TAMPERED:/);
    });
  },
});

Deno.test("hooks/pre-commit-framework runs the tool with exactly the permission flags of src/permissions.ts", async () => {
  const script = (await Deno.readTextFile(ENTRY)).replaceAll("\\\n", " ")
    .replace(/ +/g, " ");
  assert.ok(
    script.includes(
      `"$mcp_deno" run --quiet ${
        PERMISSION_FLAGS.join(" ")
      } ${AGENT_SOCKET_SHELL_WORD} "$root/main.ts" "$@"`,
    ),
    script,
  );
  // Deno comes from runtime/deno.sh, never from npx in the checkout.
  assert.doesNotMatch(script, /npx/);
  assert.match(script, /^\. "\$root\/runtime\/deno\.sh"$/m);
  if (!ON_WINDOWS) {
    assert.ok(((await Deno.stat(ENTRY)).mode ?? 0) & 0o111, "not executable");
  }
  const manifest = await Deno.readTextFile(
    join(CHECKOUT, ".pre-commit-hooks.yaml"),
  );
  const entries = [...manifest.matchAll(/^ {2}entry: (\S+) (\S+)$/gm)].map((
    m,
  ) => `${m[1]} ${m[2]}`);
  assert.deepEqual(entries, [
    "hooks/pre-commit-framework pre-commit",
    "hooks/pre-commit-framework pre-push",
  ]);
});
