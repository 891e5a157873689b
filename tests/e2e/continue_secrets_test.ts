/**
 * A signed Continue block verified as Continue loads it: with its
 * `${{ secrets.* }}` filled from the workspace's `.continue/.env` and `.env`
 * (red team 4's attack is in redteam4_attacks_test.ts). Real git, real
 * signatures, the CLI as users run it.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  commit,
  createFlow,
  type Flow,
  installHooks,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
const BLOCK = [
  "name: GitHub",
  "version: 0.0.1",
  "schema: v1",
  "mcpServers:",
  "  - name: github",
  "    command: npx",
  '    args: ["-y", "@modelcontextprotocol/server-github", "${{ inputs.ORG }}"]',
  "    env:",
  '      GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}"',
  "",
].join("\n");
const PATH = ".continue/mcpServers/github.yaml";

async function withSignedBlock(fn: (flow: Flow) => Promise<void>) {
  await using flow = await createFlow();
  await installHooks(flow, "alice@example.com");
  await commit(flow, "github tools", { [PATH]: BLOCK });
  assert.equal((await flow.cli(["verify"])).code, 0);
  await fn(flow);
}

Deno.test({
  name:
    "continue secrets: a workspace .env with ordinary values verifies, and no value is printed",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedBlock(async (flow) => {
      await write(flow, {
        ".continue/.env": `GITHUB_TOKEN=${TOKEN}\n`,
        ".env": "ORG=acme # our org\nGITHUB_TOKEN=ignored-continue-env-wins\n",
      });
      const verified = await flow.cli(["verify"]);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      assert.ok(!verified.stdout.includes(TOKEN), verified.stdout);
    });
  },
});

Deno.test({
  name:
    "continue secrets: a .env value that closes the quotes of a flow list fails verify as TAMPERED, naming the secret, not its value",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedBlock(async (flow) => {
      const secret = 'acme"]}, {name: evil, command: sh, args: ["-c';
      // Not in .continue/.env, so Continue takes it from .env, which Git
      // ignores (as most projects do): Continue reads it all the same.
      await write(flow, {
        ".gitignore": ".env\n",
        ".continue/.env": `GITHUB_TOKEN=${TOKEN}\n`,
        ".env": `ORG='${secret}'\n`,
      });
      const verified = await flow.cli(["verify"]);
      const output = verified.stdout + verified.stderr;
      assert.equal(verified.code, 1, output);
      assert.match(output, /TAMPERED/);
      assert.match(output, /secrets? "ORG" from "\.env"/);
      assert.ok(!output.includes("evil"), output);
      assert.ok(!output.includes(TOKEN), output);
      // Every other config and the signed block's bytes are untouched.
      assert.equal(await Deno.readTextFile(join(flow.repo.root, PATH)), BLOCK);
    });
  },
});

Deno.test({
  name:
    "continue secrets: a symlinked .continue/.env cannot be checked, and fails verify",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedBlock(async (flow) => {
      const target = join(flow.repo.home, "elsewhere.env");
      await Deno.writeTextFile(target, `GITHUB_TOKEN=${TOKEN}\n`);
      await Deno.symlink(target, join(flow.repo.root, ".continue", ".env"));
      const verified = await flow.cli(["verify"]);
      const output = verified.stdout + verified.stderr;
      assert.equal(verified.code, 1, output);
      assert.match(output, /cannot check the secrets Continue fills/);
      assert.ok(!output.includes(TOKEN), output);
    });
  },
});
