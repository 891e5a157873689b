/**
 * Plain `verify` judges the working tree against HEAD, as history
 * verification judges a commit against its parent: with real git, real
 * keys and the real CLI.
 *
 * - A trust-list change signed only by the key it adds fails
 *   (`UNTRUSTED_TRUST_CHANGE`), and so does `verify` of a single config,
 *   since the list decides every config's verdict.
 * - An older signed version of a config restored with its old statement
 *   fails (`ROLLED_BACK`), and so does a removed signature-index line.
 * - An honest uncommitted change, signed by a key HEAD trusts, passes; so
 *   does a repository without commits.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import {
  ALLOWED_SIGNERS,
  config,
  EVIL,
  INDEX,
  STORE,
  V1,
  withSignedHistory,
} from "../support/attacks.ts";
import {
  cliOk,
  createFlow,
  type Flow,
  readText,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";

interface Report {
  ok: boolean;
  results: { path: string; ok: boolean; code?: string; reason: string }[];
}

// Runs plain `verify --json` (with paths, if any) and parses its report.
async function verifyWorkingTree(
  flow: Flow,
  paths: string[] = [],
): Promise<{ code: number; report: Report; text: string }> {
  const result = await flow.cli(["verify", ...paths, "--json"]);
  const text = `exit ${result.code}\n${result.stdout}\n${result.stderr}`;
  let report: Report;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    return assert.fail(`verify printed no JSON: ${text}`);
  }
  return { code: result.code, report, text };
}

function assertFails(
  run: { code: number; report: Report; text: string },
  path: string,
  code: string,
): void {
  assert.equal(run.code, 1, run.text);
  assert.equal(run.report.ok, false, run.text);
  const result = run.report.results.find((r) => r.path === path);
  assert.equal(result?.code, code, run.text);
}

function assertPasses(
  run: { code: number; report: Report; text: string },
): void {
  assert.equal(run.code, 0, run.text);
  assert.ok(run.report.ok, run.text);
  assert.ok(run.report.results.every((r) => r.ok), run.text);
}

// Runs the CLI in the flow's repository with mallory's key as the signing
// key, as mallory on her own machine would.
async function asMallory(
  flow: Flow & { mallory: { privatePath: string } },
  args: string[],
): Promise<void> {
  const result = await runCli(args, {
    cwd: flow.repo.root,
    home: flow.repo.home,
    env: { MCP_ORCHESTRATION_KEY: flow.mallory.privatePath },
  });
  assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
}

Deno.test({
  name:
    "verify: a self-signed trust-list change in the working tree fails, for every config",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await asMallory(flow, [
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      assert.match(await readText(flow, ALLOWED_SIGNERS), /mallory@example/);
      // Mallory signs the list (and her config) with her own key: on its
      // own, the working tree verifies, since the list she signed trusts her.
      await write(flow, { ".mcp.json": EVIL });
      await asMallory(flow, ["sign"]);
      assertFails(
        await verifyWorkingTree(flow),
        ALLOWED_SIGNERS,
        "UNTRUSTED_TRUST_CHANGE",
      );
      const one = await verifyWorkingTree(flow, [".mcp.json"]);
      assertFails(one, ALLOWED_SIGNERS, "UNTRUSTED_TRUST_CHANGE");
      // The text report says so too, with the commit it was judged against.
      const text = await flow.cli(["verify"]);
      assert.equal(text.code, 1, text.stdout);
      assert.match(
        text.stdout,
        /FAIL {2}\.mcp-orchestration\/allowed_signers {2}UNTRUSTED_TRUST_CHANGE: it changed since [0-9a-f]{12} without a signature by a key trusted there/,
      );
    });
  },
});

Deno.test({
  name:
    "verify: a trust-list change not signed yet trusts no one new: configs are verified against HEAD's list",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // Mallory adds her key (trust add does not sign the list) and signs
      // only her config: the working tree's list trusts her, HEAD's does not.
      await asMallory(flow, [
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      await write(flow, { ".mcp.json": EVIL });
      await asMallory(flow, ["sign", ".mcp.json"]);
      const run = await verifyWorkingTree(flow);
      assertFails(run, ".mcp.json", "UNTRUSTED_SIGNER");
      const list = run.report.results.find((r) => r.path === ALLOWED_SIGNERS);
      assert.ok(list?.ok, run.text);
      assert.match(list.reason, /not signed yet/, run.text);
      assertFails(
        await verifyWorkingTree(flow, [".mcp.json"]),
        ".mcp.json",
        "UNTRUSTED_SIGNER",
      );
    });
  },
});

Deno.test({
  name:
    "verify: an older signed config restored with its statement fails as ROLLED_BACK",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // v1's bytes and signature-index line, validly signed by alice back
      // then: on its own, the working tree verifies.
      await flow.ok(["checkout", "v1", "--", ".mcp.json", STORE]);
      assert.equal(await readText(flow, ".mcp.json"), V1);
      const run = await verifyWorkingTree(flow);
      assertFails(run, ".mcp.json", "ROLLED_BACK");
      assertFails(
        await verifyWorkingTree(flow, [".mcp.json"]),
        ".mcp.json",
        "ROLLED_BACK",
      );
    });
  },
});

Deno.test({
  name: "verify: a removed signature-index line fails as ROLLED_BACK",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await Deno.remove(`${flow.repo.root}/.mcp.json`);
      const lines = (await readText(flow, INDEX)).split("\n");
      await write(flow, {
        [INDEX]: lines.filter((l) => !l.endsWith(" .mcp.json")).join("\n"),
      });
      assertFails(await verifyWorkingTree(flow), ".mcp.json", "ROLLED_BACK");
    });
  },
});

Deno.test({
  name:
    "verify: honest uncommitted changes signed by a trusted key pass (a config, the trust list)",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await write(flow, { ".mcp.json": config("server-v3") });
      await cliOk(flow, ["sign"]);
      assertPasses(await verifyWorkingTree(flow));
      // Alice, trusted in HEAD, adds mallory: waiting for its signature,
      // then signed by alice, approved.
      await cliOk(flow, [
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      assertPasses(await verifyWorkingTree(flow));
      await cliOk(flow, ["sign"]);
      const signed = await verifyWorkingTree(flow);
      assertPasses(signed);
      assert.ok(
        !signed.report.results.some((r) => /not signed yet/.test(r.reason)),
        signed.text,
      );
      // A new config.json, signed by alice.
      await write(flow, {
        [`${STORE}/config.json`]: JSON.stringify({
          version: 1,
          configs: [{
            pattern: "tools/*/mcp.json",
            format: "json",
            servers: "mcpServers",
          }],
        }) + "\n",
      });
      await cliOk(flow, ["sign"]);
      assertPasses(await verifyWorkingTree(flow));
    });
  },
});

Deno.test({
  name:
    "verify: without commits (an unborn HEAD) the working tree alone is verified",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await write(flow, { ".mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    assertPasses(await verifyWorkingTree(flow));
  },
});
