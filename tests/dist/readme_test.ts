/**
 * The README.md blocks that need a build, npm or a server
 * (tests/support/readme.ts's table assigns them here; tests/docs/readme_test.ts
 * runs the others and checks the table):
 *
 * - `npm-pack` and `quick-start`, in a copy of this checkout made into a
 *   fresh repository (so that nothing is built into the checkout itself,
 *   and the build names the copy's commit): `deno task bundle` then
 *   `npm pack ./dist/npm` make a tarball that runs under Node; the README's
 *   old `npm pack dist/npm` fails (npm reads it as a GitHub repository),
 *   which is what this test exists to catch. Then the quick start's
 *   `npx -y deno@2.9.6 task demo`, with no `deno` on `PATH`, Deno coming
 *   from npm as it would on a machine with only Node.js (npm's cache is
 *   shared, so it is downloaded at most once).
 * - `pre-commit-framework` and `pre-commit-local`: each written as a
 *   `.pre-commit-config.yaml` (the first naming a committed copy of this
 *   checkout and its commit instead of GitHub and a tag), installed with the
 *   README's `pre-commit install …`, and run by the real framework: a new
 *   config is signed into the commit, a tampered commit's push is refused.
 *   Skipped without the `pre-commit` program, except in CI.
 * - `lefthook`: written as `lefthook.yml`, installed with the README's
 *   `lefthook install`, lefthook itself installed by `npm ci` from
 *   tests/support/lefthook/package-lock.json: a new config is signed into
 *   the commit, and the push of a tampered commit is refused (git's
 *   arguments and input reach our pre-push hook through `{1} {2}` and
 *   `use_stdin`).
 * - `run-from-url`: `deno run <flags> <URL>/main.ts init`, the URL this
 *   checkout served over loopback as raw.githubusercontent.com serves it,
 *   with an empty module cache; then `verify` from the same URL passes, and
 *   fails on a tampered config.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { BUNDLE_NAME } from "../../scripts/build.ts";
import { VERSION } from "../../src/constants.ts";
import { freshDenoEnv, serveCheckout } from "../support/checkout_server.ts";
import { pathWithoutDeno, shareNpmCache } from "../support/hostile_runtime.ts";
import {
  CHECKOUT,
  describeRun,
  fillPlaceholders,
  README_BLOCKS,
  readmeBlock,
  runShell,
} from "../support/readme.ts";
import { createTempRepo } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const HERE = "tests/dist/readme_test.ts";
const LEFTHOOK_LOCK = join(CHECKOUT, "tests", "support", "lefthook");
const CONFIG = '{"mcpServers":{"files":{"command":"mcp-fs","args":["."]}}}\n';

/** Lines of a runnable block that a test leaves out, and why. */
const LEFT_OUT: Readonly<Record<string, string>> = {
  "npx -y deno@2.9.6 task test   # the test suite":
    "the whole suite, which holds this test",
};

/** Runs shell code and fails the test unless it exits 0; returns its output. */
async function sh(
  code: string,
  options: { cwd: string; home: string; env?: Record<string, string> },
): Promise<{ stdout: string; all: string }> {
  const result = await runShell(code, options);
  assert.equal(result.code, 0, `${code}\n${describeRun(result)}`);
  return { stdout: result.stdout, all: result.stdout + result.stderr };
}

/** A block without its {@linkcode LEFT_OUT} lines, each checked to be there. */
function withoutLeftOut(code: string, lines: string[]): string {
  const all = code.split("\n");
  for (const line of lines) {
    assert.ok(LEFT_OUT[line], `no reason to leave out "${line}"`);
    assert.ok(all.includes(line), `the block has no line "${line}":\n${code}`);
  }
  return all.filter((line) => !lines.includes(line)).join("\n");
}

/**
 * Copies this checkout's files (tracked, and new ones git does not ignore)
 * into `repo` and commits them: a checkout as a user clones it, with the
 * changes under test.
 */
async function copyCheckout(
  repo: { root: string; git(...args: string[]): Promise<string> },
): Promise<void> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: CHECKOUT,
    stdout: "piped",
  }).output();
  assert.ok(listed.success, "git ls-files failed in the checkout");
  const paths = new TextDecoder().decode(listed.stdout).split("\0")
    .filter((path) => path !== "");
  for (const path of new Set(paths)) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(join(CHECKOUT, path));
    } catch (error) {
      // Deleted in the working tree: not part of the checkout under test.
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const target = join(repo.root, path);
    await Deno.mkdir(dirname(target), { recursive: true });
    if (info.isSymlink) {
      await Deno.symlink(await Deno.readLink(join(CHECKOUT, path)), target);
    } else {
      await Deno.copyFile(join(CHECKOUT, path), target);
    }
  }
  await repo.git("add", "--all");
  await repo.git("commit", "--quiet", "--no-verify", "-m", "The checkout");
}

Deno.test("tests/dist/readme_test.ts runs the blocks README_BLOCKS gives it", () => {
  assert.deepEqual(
    Object.entries(README_BLOCKS)
      .filter(([, plan]) => "runBy" in plan && plan.runBy === HERE)
      .map(([name]) => name)
      .sort(),
    [
      "lefthook",
      "npm-pack",
      "pre-commit-framework",
      "pre-commit-local",
      "quick-start",
      "run-from-url",
    ],
  );
});

Deno.test({
  name:
    "README.md, npm-pack and quick-start: run as written in a copy of the checkout",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await copyCheckout(repo);
    const commit = (await repo.git("rev-parse", "HEAD")).trim();
    const npmEnv = {
      npm_config_cache: join(repo.home, "npm-cache"),
      npm_config_update_notifier: "false",
      npm_config_audit: "false",
      npm_config_fund: "false",
      // The old `npm pack dist/npm` asks git for a GitHub repository over
      // SSH: make that fail at once rather than wait on the network.
      GIT_SSH_COMMAND: "false",
    };
    const at = { cwd: repo.root, home: repo.home, env: npmEnv };

    const pack = fillPlaceholders(await readmeBlock("npm-pack"), []);
    const { all: output } = await sh(pack, at);
    const tarball = `mcp-orchestration-${VERSION}.tgz`;
    assert.ok(output.includes(tarball), output);
    const { stdout: listed } = await sh(`tar -tzf ${tarball}`, at);
    assert.deepEqual(listed.trim().split("\n").sort(), [
      "package/README.md",
      `package/${BUNDLE_NAME}`,
      // The MCP SDK, bundled apart: only `mcp` loads it.
      "package/mcp-orchestration.mcp-sdk.cjs",
      "package/package.json",
    ]);
    const { stdout: version } = await sh(
      `tar -xzf ${tarball} && node package/${BUNDLE_NAME} --version`,
      at,
    );
    assert.ok(
      version.includes(`mcp-orchestration ${VERSION} (commit ${commit}, node `),
      version,
    );

    // What README.md said before: npm takes "dist/npm" for a GitHub
    // repository and fails. This test would have caught it.
    await Deno.remove(join(repo.root, tarball));
    const old = await runShell(
      pack.replace("npm pack ./dist/npm", "npm pack dist/npm"),
      at,
    );
    assert.notEqual(old.code, 0, describeRun(old));
    assert.match(old.stderr, /github\.com/);

    // The quick start, on a machine with Node.js and npm but no Deno.
    await shareNpmCache(repo.home);
    const quick = withoutLeftOut(
      fillPlaceholders(await readmeBlock("quick-start"), []),
      Object.keys(LEFT_OUT),
    );
    const { all: demo } = await sh(quick, {
      cwd: repo.root,
      home: repo.home,
      env: { PATH: await pathWithoutDeno(join(repo.home, "no-deno")) },
    });
    assert.match(demo, /deno@2\.9\.6 task demo/);
    assert.match(demo, /TAMPERED/);
    // The review steps: the attacker's change in MCP terms, and lint on it.
    assert.match(demo, /~ github\n\s+command: npx → sh\n/);
    assert.match(demo, /warning\[pipe-to-shell\] server "github"/);
    assert.match(
      demo,
      /\$ mcp-orchestration log \.cursor\/mcp\.json\n\s+signed/,
    );
  },
});

Deno.test({
  name:
    "README.md, run-from-url: runs as written from a loopback URL, with an empty module cache",
  ignore: ON_WINDOWS,
  async fn() {
    await using server = await serveCheckout();
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    const url = `${server.origin}plain/main.ts`;
    const block = fillPlaceholders(await readmeBlock("run-from-url"), [
      [
        "https://raw.githubusercontent.com/<owner>/<repo>/<tag or commit>/main.ts <command>",
        `"$README_URL" "$README_COMMAND"`,
      ],
    ]);
    const env = {
      ...await freshDenoEnv(join(repo.home, "deno cache")),
      README_URL: url,
    };
    const at = { cwd: repo.root, home: repo.home };
    await sh(block, { ...at, env: { ...env, README_COMMAND: "init" } });
    assert.ok(server.log.includes("200 /plain/main.ts"), server.log.join());
    const hook = await Deno.readTextFile(
      join(repo.root, ".git", "hooks", "pre-commit"),
    );
    assert.ok(hook.includes(` ${url} hook pre-commit`), hook);
    await sh(block, { ...at, env: { ...env, README_COMMAND: "verify" } });

    await repo.write(".mcp.json", CONFIG.replace("mcp-fs", "curl-evil"));
    const tampered = await runShell(block, {
      ...at,
      env: { ...env, README_COMMAND: "verify" },
    });
    assert.equal(tampered.code, 1, describeRun(tampered));
    assert.match(tampered.stdout, /TAMPERED/);
    assert.deepEqual(server.log.filter((line) => !line.startsWith("200 ")), []);
  },
});

// --- the pre-commit framework ---------------------------------------------------

const PRE_COMMIT = ON_WINDOWS ? undefined : await preCommitVersion();
const IN_CI = (Deno.env.get("CI") ?? "") !== "";
const NO_PRE_COMMIT =
  'the pre-commit framework is not installed (no "pre-commit" on PATH): install it with "apt-get install -y pre-commit" (Debian, Ubuntu) or "pipx install pre-commit"';
if (!ON_WINDOWS && PRE_COMMIT === undefined && !IN_CI) {
  console.warn(
    `readme_test: the pre-commit blocks are skipped, as ${NO_PRE_COMMIT}`,
  );
}

async function preCommitVersion(): Promise<number[] | undefined> {
  try {
    const out = await new Deno.Command("pre-commit", {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const match = /(\d+)\.(\d+)/.exec(text);
    return out.success && match
      ? [Number(match[1]), Number(match[2])]
      : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The user's side before any hook: a key, trusted, the trust list signed and committed, and a remote. */
const TRUSTED_REPO = `git remote add origin "$README_REMOTE"
mcp-orchestration keys init
mcp-orchestration trust add "$MCP_ORCHESTRATION_HOME/keys/signing.pub" --principal test@example.com
mcp-orchestration sign
git add -A && git commit -qm "Trust"`;

Deno.test({
  name:
    "README.md, pre-commit-framework and pre-commit-local: the real framework runs them as written",
  ignore: ON_WINDOWS || (PRE_COMMIT === undefined && !IN_CI),
  async fn() {
    if (PRE_COMMIT === undefined) {
      assert.fail(`CI is set, but ${NO_PRE_COMMIT}`);
    }
    // What the framework clones: this checkout, committed, at that commit.
    await using hooksRepo = await createTempRepo();
    await copyCheckout(hooksRepo);
    const rev = (await hooksRepo.git("rev-parse", "HEAD")).trim();

    // The framework's own hooks, from the clone: a new config is signed
    // into the commit, the push goes through, a tampered commit's is refused.
    {
      await using repo = await createTempRepo();
      await using remote = await createTempRepo({ bare: true });
      const at = {
        cwd: repo.root,
        home: repo.home,
        env: { README_REMOTE: remote.root },
      };
      await sh(TRUSTED_REPO, at);
      await repo.write(
        ".pre-commit-config.yaml",
        fillPlaceholders(await readmeBlock("pre-commit-framework"), [
          [
            "https://github.com/<owner>/mcp-orchestration",
            JSON.stringify(hooksRepo.root),
          ],
          ["<tag>", rev],
        ]),
      );
      await sh(
        `git add .pre-commit-config.yaml && git commit -qm "Hooks"
pre-commit install --hook-type pre-commit --hook-type pre-push`,
        at,
      );
      await repo.write(".mcp.json", CONFIG);
      await sh(`git add .mcp.json && git commit -qm "Add a config"`, at);
      await assertSignedAtHead(repo);
      await sh("git push -q origin main", at);
      await repo.write(".mcp.json", CONFIG.replace("mcp-fs", "curl-evil"));
      await sh(`git commit -q --no-verify -am "Tamper"`, at);
      const pushed = await runShell("git push -q origin main", at);
      assert.notEqual(pushed.code, 0, describeRun(pushed));
      assert.match(pushed.stdout + pushed.stderr, /TAMPERED/);
      assert.equal(
        await remote.git("rev-parse", "main"),
        await repo.git("rev-parse", "HEAD~1"),
      );
    }

    // The local hook, with the tool on PATH: a new config is signed into
    // the commit. Before pre-commit 3.2 its stage is named "commit", as the
    // block's own comment says.
    {
      await using repo = await createTempRepo();
      await using remote = await createTempRepo({ bare: true });
      const at = {
        cwd: repo.root,
        home: repo.home,
        env: { README_REMOTE: remote.root },
      };
      await sh(TRUSTED_REPO, at);
      const [major = 0, minor = 0] = PRE_COMMIT;
      const old = major < 3 || (major === 3 && minor < 2);
      let local = fillPlaceholders(await readmeBlock("pre-commit-local"), []);
      const stage = "stages: [pre-commit] # [commit] before pre-commit 3.2";
      assert.ok(local.includes(stage), local);
      if (old) local = local.replace(stage, "stages: [commit]");
      await repo.write(".pre-commit-config.yaml", local);
      await sh(
        `git add .pre-commit-config.yaml && git commit -qm "Hooks"
pre-commit install --hook-type pre-commit`,
        at,
      );
      await repo.write(".mcp.json", CONFIG);
      await sh(`git add .mcp.json && git commit -qm "Add a config"`, at);
      await assertSignedAtHead(repo);
      // The hook refuses a config it cannot sign: the commit does not happen.
      await repo.write(".mcp.json", '{"mcpServers":{"a":{},"a":{}}}\n');
      const refused = await runShell(`git commit -qam "Duplicate keys"`, at);
      assert.notEqual(refused.code, 0, describeRun(refused));
      assert.match(await repo.git("log", "-1", "--format=%s"), /Add a config/);
    }
  },
});

/** Fails unless HEAD carries a signed statement for its .mcp.json, and `verify --rev HEAD` passes. */
async function assertSignedAtHead(
  repo: { root: string; home: string; git(...args: string[]): Promise<string> },
): Promise<void> {
  const index = await repo.git("show", "HEAD:.mcp-orchestration/index");
  const id = /^([0-9a-f]{64}) \.mcp\.json$/m.exec(index)?.[1];
  assert.ok(id, `HEAD has no statement for .mcp.json:\n${index}`);
  const tree = await repo.git("ls-tree", "-r", "--name-only", "HEAD");
  assert.ok(tree.includes(`.mcp-orchestration/statements/${id}.sig\n`), tree);
  await sh("mcp-orchestration verify --rev HEAD", {
    cwd: repo.root,
    home: repo.home,
  });
}

// --- lefthook -----------------------------------------------------------------

Deno.test({
  name:
    "README.md, lefthook: lefthook runs it as written, signing a commit and refusing a tampered push",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await using remote = await createTempRepo({ bare: true });
    // lefthook from npm, its sha512 pinned by the lock; --ignore-scripts,
    // since its install script would install hooks into the checkout.
    const tool = join(repo.home, "lefthook");
    await Deno.mkdir(tool);
    for (const file of ["package.json", "package-lock.json"]) {
      await Deno.copyFile(join(LEFTHOOK_LOCK, file), join(tool, file));
    }
    await shareNpmCache(repo.home);
    const npm = { cwd: tool, home: repo.home };
    await sh(
      "npm ci --ignore-scripts --no-audit --no-fund --loglevel=error",
      npm,
    );
    const at = {
      cwd: repo.root,
      home: repo.home,
      env: {
        README_REMOTE: remote.root,
        PATH: [
          join(repo.home, "bin"),
          join(tool, "node_modules", ".bin"),
          dirname(Deno.execPath()),
          Deno.env.get("PATH") ?? "",
        ].join(":"),
      },
    };
    await sh(TRUSTED_REPO, at);
    await repo.write(
      "lefthook.yml",
      fillPlaceholders(await readmeBlock("lefthook"), []),
    );
    await sh(
      `git add lefthook.yml && git commit -qm "Hooks"\nlefthook install`,
      at,
    );

    await repo.write(".mcp.json", CONFIG);
    await sh(`git add .mcp.json && git commit -qm "Add a config"`, at);
    await assertSignedAtHead(repo);
    await sh("git push -q origin main", at);
    await repo.write(".mcp.json", CONFIG.replace("mcp-fs", "curl-evil"));
    await sh(`git commit -q --no-verify -am "Tamper"`, at);
    const pushed = await runShell("git push -q origin main", at);
    assert.notEqual(pushed.code, 0, describeRun(pushed));
    assert.match(pushed.stdout + pushed.stderr, /TAMPERED/);
    assert.equal(
      await remote.git("rev-parse", "main"),
      await repo.git("rev-parse", "HEAD~1"),
    );
  },
});
