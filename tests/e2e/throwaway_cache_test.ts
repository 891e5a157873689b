/**
 * `install` and `init` run from a package manager's throwaway cache, end to
 * end: the real tool, copied into a folder laid out as `npx` leaves it
 * (`~/.npm/_npx/<hash>/node_modules/…`), refuses to install hooks that
 * would break once that cache is cleaned, says what installs it durably,
 * and changes nothing (no hook, no key, no trust list); `--force` installs
 * anyway, with a warning.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { isOurHook } from "../../src/hooks/stubs.ts";
import { PERMISSION_FLAGS } from "../../src/permissions.ts";
import {
  type CliResult,
  denoEnv,
  MOD_PATH,
  TEST_BIN_ENV,
} from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import { createTempRepo, gitEnv, type TempRepo } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const decoder = new TextDecoder();

/**
 * Copies the tool into `<home>/.npm/_npx/<hash>/node_modules/…`, as `npx`
 * would: this checkout's main.ts and src/ (run with `deno run`), or the
 * executable under test. Returns the command that starts the copy.
 */
async function toolInNpxCache(home: string): Promise<string[]> {
  const cache = join(home, ".npm", "_npx", "9f1b2c3d4e5f6a7b");
  const bin = Deno.env.get(TEST_BIN_ENV);
  if (bin) {
    const copy = join(cache, "node_modules", ".bin", "mcp-orchestration");
    await Deno.mkdir(join(copy, ".."), { recursive: true });
    await Deno.copyFile(bin, copy);
    await Deno.chmod(copy, 0o755);
    return [copy];
  }
  const pkg = join(cache, "node_modules", "mcp-orchestration");
  await Deno.mkdir(pkg, { recursive: true });
  const checkout = join(MOD_PATH, "..");
  const copied = await new Deno.Command("cp", {
    args: ["-R", join(checkout, "main.ts"), join(checkout, "src"), pkg],
  }).output();
  assert.ok(copied.success, decoder.decode(copied.stderr));
  return [Deno.execPath(), "run", ...PERMISSION_FLAGS, join(pkg, "main.ts")];
}

async function run(
  tool: string[],
  repo: TempRepo,
  args: string[],
): Promise<CliResult> {
  const [program, ...rest] = tool;
  const out = await new Deno.Command(program!, {
    args: [...rest, ...args],
    cwd: repo.root,
    clearEnv: true,
    env: {
      ...gitEnv(repo.home),
      ...(await denoEnv()),
      MCP_ORCHESTRATION_HOME: repo.home,
      NO_COLOR: "1",
    },
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

async function ourHooks(repo: TempRepo): Promise<string[]> {
  const folder = join(repo.root, ".git", "hooks");
  const ours: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const text = await Deno.readTextFile(join(folder, entry.name));
    if (isOurHook(text)) ours.push(entry.name);
  }
  return ours.sort();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test({
  name:
    "install and init run from npx's cache refuse with the durable install, change nothing, and --force installs with a warning",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    const tool = await toolInNpxCache(repo.home);
    const cached = tool[tool.length - 1]!;

    const install = await run(tool, repo, ["install"]);
    const message = assertCliError(
      install,
      "HOOKS",
      `"${cached}"`,
      "throwaway cache of npx",
      /\n {2}.*install\n/,
      "--force",
    );
    if (!Deno.env.get(TEST_BIN_ENV)) {
      // Deno itself is not in the cache: the module is, so a pinned URL.
      assert.match(message, /raw\.githubusercontent\.com/);
    }
    assert.deepEqual(await ourHooks(repo), []);

    const init = await run(tool, repo, ["init"]);
    assertCliError(init, "HOOKS", "throwaway cache of npx");
    assert.doesNotMatch(init.stdout, /1\. key/);
    assert.deepEqual(await ourHooks(repo), []);
    assert.equal(await exists(join(repo.home, "keys")), false);
    assert.equal(await exists(join(repo.root, ".mcp-orchestration")), false);
    assert.equal(await repo.git("status", "--porcelain"), "");

    const forced = await run(tool, repo, ["install", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(
      forced.stderr,
      /warning: the hooks run ".*_npx.*", in the throwaway cache of npx/,
    );
    assert.deepEqual(await ourHooks(repo), [
      "post-checkout",
      "post-merge",
      "post-rewrite",
      "pre-commit",
      "pre-push",
    ]);
  },
});
