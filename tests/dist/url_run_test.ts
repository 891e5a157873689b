/**
 * `deno run PERMISSION_FLAGS <URL>/main.ts <command>`, end to end, with no
 * checkout: the test serves this checkout's `.ts` files over loopback HTTP
 * and runs the tool from that URL, in a temporary repository outside the
 * checkout (so our deno.json, its lock and its import map are never found).
 * `init` installs hooks that must call the same URL back, a real
 * `git commit` signs through them, `verify` passes, and fails once the
 * config is tampered with. No `--allow-import` is needed: Deno lets a
 * remote main module import, statically and dynamically, from its own
 * host and port.
 *
 * Each run gets fresh Deno caches, so nothing is served from a remote-module
 * cache left by an earlier run (a cached response keeps its content type
 * and text until `--reload`), and the developer's cache collects no
 * loopback modules. Only the npm folder of the suite's cache is linked in,
 * so npm packages are not downloaded again. The commit runs with a cache of
 * its own: the hook can only work by fetching the URL, which the server
 * sees.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../../mod.ts";
import {
  formatShellCommand,
  LAZY_IMPORTS_FLAG,
} from "../../src/hooks/launch.ts";
import { AGENT_SOCKET_SHELL_WORD } from "../../src/permissions.ts";
import { freshDenoEnv, serveCheckout } from "../support/checkout_server.ts";
import { PERMISSION_FLAGS } from "../support/cli.ts";
import { createTempRepo, gitEnv, type TempRepo } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const STORE = ".mcp-orchestration";
const CONFIG = JSON.stringify({
  mcpServers: { files: { command: "server-v1", args: ["."] } },
}) + "\n";
const decoder = new TextDecoder();

/** What a finished child process left. */
interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

// --- helpers ------------------------------------------------------------------

/** Runs a program in the repository, with an environment built from scratch. */
async function run(
  repo: TempRepo,
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<RunResult> {
  const out = await new Deno.Command(command, {
    args,
    cwd: repo.root,
    clearEnv: true,
    env: {
      ...gitEnv(repo.home),
      MCP_ORCHESTRATION_HOME: repo.home,
      NO_COLOR: "1",
      ...env,
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

/** The arguments of `deno` that run the tool from a URL, as a user types them (an installed hook adds the agent's socket word before the URL). */
function urlArgs(url: string): string[] {
  return ["run", "--quiet", ...PERMISSION_FLAGS, url];
}

/** Runs `deno run --quiet PERMISSION_FLAGS <url>` with the tool's arguments. */
function runFromUrl(
  repo: TempRepo,
  url: string,
  args: string[],
  env: Record<string, string>,
): Promise<RunResult> {
  return run(repo, Deno.execPath(), [...urlArgs(url), ...args], env);
}

function describe(result: RunResult): string {
  return `exit ${result.code}\n${result.stdout}${result.stderr}`;
}

// --- the test -----------------------------------------------------------------

Deno.test({
  name:
    "deno run from a URL: --version, init, a commit signed by a hook that calls the same URL back, verify, and a tampered config fails",
  ignore: ON_WINDOWS,
  async fn() {
    await using server = await serveCheckout();
    await using repo = await createTempRepo();
    const url = `${server.origin}ts/main.ts`;
    const cliEnv = await freshDenoEnv(join(repo.home, "deno cache"));
    const tool = (...args: string[]) => runFromUrl(repo, url, args, cliEnv);

    // --version, from a TypeScript-typed URL and from a GitHub-like one.
    for (const base of [url, `${server.origin}plain/main.ts`]) {
      const version = await runFromUrl(repo, base, ["--version"], cliEnv);
      const [, name, number] = /^(\S+) (\S+)/.exec(version.stdout) ?? [];
      assert.deepEqual(
        [name, number],
        ["mcp-orchestration", VERSION],
        `--version from ${base}: ${describe(version)}`,
      );
    }

    // init: key in the temporary home, trust, hooks that call the URL back.
    const init = await tool("init");
    assert.equal(init.code, 0, `init: ${describe(init)}`);
    assert.ok(await Deno.stat(join(repo.home, "keys", "signing.key")));
    const hooks = join(
      repo.root,
      (await repo.git("rev-parse", "--git-path", "hooks")).trim(),
    );
    const stub = await Deno.readTextFile(join(hooks, "pre-commit"));
    assert.ok(
      stub.includes(
        `\nexec ${
          formatShellCommand([
            Deno.execPath(),
            "run",
            "--quiet",
            LAZY_IMPORTS_FLAG,
            ...PERMISSION_FLAGS,
            AGENT_SOCKET_SHELL_WORD,
            url,
          ])
        } hook pre-commit "$@"\n`,
      ),
      `the pre-commit hook does not call "${url}":\n${stub}`,
    );
    assert.ok(
      (await Deno.readTextFile(join(hooks, "pre-push"))).includes(` ${url} `),
      `the pre-push hook does not call "${url}"`,
    );

    // A real commit of a new config: the hook, with an empty module cache,
    // fetches the URL and signs the config into the commit.
    await repo.write(".mcp.json", CONFIG);
    await repo.git("add", "-A");
    const before = server.log.length;
    const hookEnv = await freshDenoEnv(join(repo.home, "deno cache (hook)"));
    const commit = await run(
      repo,
      "git",
      ["commit", "-q", "-m", "Add an MCP config"],
      hookEnv,
    );
    assert.equal(commit.code, 0, `git commit: ${describe(commit)}`);
    assert.ok(
      server.log.slice(before).includes("200 /ts/main.ts"),
      `the hook did not fetch "${url}": ${server.log.slice(before).join(", ")}`,
    );
    const index = await repo.git("show", `HEAD:${STORE}/index`);
    const id = index.match(/^([0-9a-f]{64}) \.mcp\.json$/m)?.[1];
    assert.ok(id, `no index line for .mcp.json in the commit:\n${index}`);
    const tree = (await repo.git("ls-tree", "-r", "--name-only", "HEAD"))
      .split("\n");
    for (
      const path of [
        `${STORE}/allowed_signers`,
        `${STORE}/statements/${id}`,
        `${STORE}/statements/${id}.sig`,
      ]
    ) {
      assert.ok(tree.includes(path), `"${path}" is not in the commit`);
    }
    assert.equal(await repo.git("status", "--porcelain"), "");

    // verify from the URL: the working tree and the commit pass...
    for (const args of [["verify"], ["verify", "--rev", "HEAD"]]) {
      const result = await tool(...args);
      assert.equal(result.code, 0, `${args.join(" ")}: ${describe(result)}`);
    }
    // ...and a tampered config fails.
    await repo.write(".mcp.json", CONFIG.replace("server-v1", "server-v2"));
    const tampered = await tool("verify");
    assert.equal(tampered.code, 1, `verify: ${describe(tampered)}`);
    assert.match(tampered.stdout + tampered.stderr, /TAMPERED/);

    // The tool never asked for anything the checkout does not serve.
    assert.deepEqual(server.log.filter((line) => !line.startsWith("200 ")), []);

    // The server serves the checkout's .ts files and nothing else.
    for (
      const [path, status] of [
        ["ts/main.ts", 200],
        ["ts/src/..%2fmain.ts", 403],
        ["ts/..%2f..%2fetc%2fpasswd", 403],
        ["ts/.git/HEAD", 403],
        ["ts/deno.json", 404],
        ["json/main.ts", 404],
        ["ts/missing.ts", 404],
        ["ts/main.ts/x.ts", 404],
      ] as const
    ) {
      const response = await fetch(server.origin + path);
      await response.body?.cancel();
      assert.equal(response.status, status, path);
    }
  },
});
