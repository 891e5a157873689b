/**
 * `mcp-orchestration mcp` under `@modelcontextprotocol/inspector`'s CLI
 * mode, the MCP project's own test client, fetched by `npx` from the npm
 * registry: it lists the tools, calls `status`, and gets a refused path
 * back as a tool error. The server is started as a client config names it,
 * `mcp-orchestration mcp`, through a launcher on `PATH` that runs the tool
 * as the end-to-end tests do (deno run, or MCP_ORCHESTRATION_TEST_BIN).
 *
 * npx keeps the inspector in npm's own cache (the developer's, not a
 * temporary one): fetching its 271 packages takes half a minute, once.
 *
 * Skipped, saying why, where `npx` is missing or the registry cannot be
 * reached. The inspector asks for Node 22.7.5 or later in its package.json;
 * its CLI mode runs on Node 20 as well (npm warns).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runIsolated } from "../support/process.ts";
import { writeLauncher } from "../support/readme.ts";
import { denoEnv, TEST_BIN_ENV } from "../support/cli.ts";
import { createTempRepo, gitEnv } from "../support/repo.ts";

const INSPECTOR = "@modelcontextprotocol/inspector@0.22.0";

/** Why the inspector cannot run here, or undefined when it can. */
async function unavailable(): Promise<string | undefined> {
  if (Deno.build.os === "windows") return "the launcher is a shell script";
  const env = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
  };
  try {
    const npx = await runIsolated("npx", ["--version"], { env });
    if (npx.code !== 0) return "npx does not run";
  } catch {
    return "npx is not installed";
  }
  const view = await runIsolated("npm", [
    "view",
    INSPECTOR,
    "version",
    "--fetch-timeout=15000",
    "--fetch-retries=0",
  ], { env });
  return view.code === 0
    ? undefined
    : `the npm registry cannot be reached for ${INSPECTOR}`;
}

/** npm's own cache, so that npx fetches the inspector once, not per run. */
async function npmCache(): Promise<string> {
  const env = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
  };
  return (await runIsolated("npm", ["config", "get", "cache"], { env })).stdout
    .trim();
}

const skip = await unavailable();

Deno.test({
  name: `mcp under ${INSPECTOR} --cli: tools/list, tools/call${
    skip ? ` (skipped: ${skip})` : ""
  }`,
  ignore: skip !== undefined,
  async fn() {
    await using repo = await createTempRepo();
    const bin = join(repo.home, "bin");
    await Deno.mkdir(bin);
    await writeLauncher(bin);
    const base = gitEnv(repo.home);
    const env = {
      ...base,
      ...(Deno.env.get(TEST_BIN_ENV) ? {} : await denoEnv()),
      PATH: [bin, base.PATH ?? ""].join(":"),
      MCP_ORCHESTRATION_HOME: repo.home,
      npm_config_cache: await npmCache(),
      npm_config_update_notifier: "false",
      NO_COLOR: "1",
    };
    const inspect = async (args: string[]) => {
      const out = await runIsolated("npx", [
        "-y",
        INSPECTOR,
        "--cli",
        "mcp-orchestration",
        "mcp",
        ...args,
      ], { cwd: repo.root, env });
      assert.equal(
        out.code,
        0,
        `${args.join(" ")}:\n${out.stderr}${out.stdout}`,
      );
      return JSON.parse(out.stdout);
    };

    const listed = await inspect(["--method", "tools/list"]);
    assert.deepEqual(
      listed.tools.map((tool: { name: string }) => tool.name),
      [
        "initialize_keys",
        "sign",
        "verify",
        "approve",
        "status",
        "inspect",
        "diff",
        "log",
        "lint",
      ],
    );
    const status = await inspect([
      "--method",
      "tools/call",
      "--tool-name",
      "status",
    ]);
    assert.equal(status.isError, false);
    assert.equal(status.structuredContent.ok, true);
    assert.equal(status.structuredContent.result.root, repo.root);
    const refused = await inspect([
      "--method",
      "tools/call",
      "--tool-name",
      "sign",
      "--tool-arg",
      'paths=["/etc/passwd"]',
    ]);
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /"\/etc\/passwd" is absolute/);
  },
});
