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
    ["npm-pack", "quick-start", "run-from-url"],
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
