/**
 * `.mcp-orchestration/config.json` (a repository's own config patterns) is
 * signed like the trust list (issue 11): `sign`, `init` and the pre-commit
 * hook sign it; working-tree `verify` reports it unsigned or tampered; and
 * along history and at pre-push, a change to it (adding, editing, removing)
 * must be signed by a key trusted before the change.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ALLOWED_SIGNERS,
  assertCommitFails,
  assertPushRefused,
  assertVerifies,
  INDEX,
  V1,
} from "../support/attacks.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  head,
  type OpenFlow,
  push,
  readText,
  sharedFlow,
  verifyHistory,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const CONFIG_JSON = ".mcp-orchestration/config.json";

function patterns(...globs: string[]): string {
  return JSON.stringify({
    version: 1,
    configs: globs.map((pattern) => ({
      pattern,
      format: "json",
      servers: "mcpServers",
    })),
  }) + "\n";
}

/**
 * Alice ran init with a config.json and pushed it; Bob has a key nobody
 * trusts. Made once per file and copied: no test checks how it was made.
 */
async function signedPatternsFlow(): Promise<OpenFlow<"bob">> {
  return await sharedFlow("signed patterns", async () => {
    const flow = await createFlow({ keys: ["bob"] });
    await write(flow, {
      ".mcp.json": V1,
      [CONFIG_JSON]: patterns("tools/*/mcp.json"),
      "tools/a/mcp.json": V1,
    });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "adopt, with patterns");
    await push(flow, "main");
    return flow;
  }, { keys: ["bob"] });
}

/**
 * Alice ran init without a config.json and committed (not pushed). Made
 * once per file and copied: no test checks how it was made.
 */
async function adoptedFlow(): Promise<OpenFlow<never>> {
  return await sharedFlow("adopted", async () => {
    const flow = await createFlow();
    await write(flow, { ".mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "adopt");
    return flow;
  });
}

async function workingTreeVerify(flow: Flow) {
  const result = await flow.cli(["verify", "--json"]);
  const report = JSON.parse(result.stdout) as {
    results: { path: string; ok: boolean; code?: string }[];
  };
  return { code: result.code, results: report.results, text: result.stdout };
}

Deno.test({
  name:
    "config.json: init signs it, the hook signs an edit by a trusted key, history and push pass",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await signedPatternsFlow();
    assert.match(
      await readText(flow, INDEX),
      /\.mcp-orchestration\/config\.json$/m,
    );
    const verified = await workingTreeVerify(flow);
    assert.equal(verified.code, 0, verified.text);
    assert.ok(
      verified.results.some((r) => r.path === CONFIG_JSON && r.ok),
      verified.text,
    );
    await commit(flow, "more patterns", {
      [CONFIG_JSON]: patterns("tools/*/mcp.json", "extra/mcp.json"),
    });
    await assertVerifies(flow, ["--range", "origin/main..main"]);
    await push(flow, "main");
  },
});

Deno.test({
  name:
    "config.json: working-tree verify reports an unsigned and a tampered config.json",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    await write(flow, { [CONFIG_JSON]: patterns("tools/*/mcp.json") });
    const unsigned = await workingTreeVerify(flow);
    assert.equal(unsigned.code, 1, unsigned.text);
    assert.ok(
      unsigned.results.some((r) =>
        r.path === CONFIG_JSON && r.code === "UNSIGNED"
      ),
      unsigned.text,
    );
    await cliOk(flow, ["sign"]);
    assert.equal((await workingTreeVerify(flow)).code, 0);
    await write(flow, { [CONFIG_JSON]: patterns("other/*/mcp.json") });
    const tampered = await workingTreeVerify(flow);
    assert.equal(tampered.code, 1, tampered.text);
    assert.ok(
      tampered.results.some((r) =>
        r.path === CONFIG_JSON && r.code === "TAMPERED"
      ),
      tampered.text,
    );
  },
});

Deno.test({
  name:
    "config.json attack: an unsigned edit, an unsigned addition and a removal, committed past the hook, are refused",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await signedPatternsFlow();
    // An edit nobody signed.
    await write(flow, { [CONFIG_JSON]: patterns("nothing/*.json") });
    const edit = await forceCommit(flow, "drop the pattern");
    const edited = await verifyHistory(flow, ["--range", "origin/main..main"]);
    assertCommitFails(edited, edit, CONFIG_JSON, [
      "UNTRUSTED_TRUST_CHANGE",
      "TAMPERED",
    ]);
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: CONFIG_JSON, codes: ["UNTRUSTED_TRUST_CHANGE", "TAMPERED"] },
    ]);
    await flow.ok(["reset", "-q", "--hard", "origin/main"]);
    // A removal: refused by the hook, and along history.
    await flow.ok(["rm", "-q", CONFIG_JSON]);
    const refused = await flow.git(["commit", "-q", "-m", "no patterns"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /deletes "\.mcp-orchestration\/config\.json"/);
    const removal = await forceCommit(flow, "no patterns");
    assertCommitFails(
      await verifyHistory(flow, ["--range", "origin/main..main"]),
      removal,
      CONFIG_JSON,
      ["UNTRUSTED_TRUST_CHANGE"],
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: CONFIG_JSON, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);
  },
});

Deno.test({
  name:
    "config.json attack: added unsigned where there was none is refused at push",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    await push(flow, "main");
    await write(flow, { [CONFIG_JSON]: patterns("tools/*/mcp.json") });
    const added = await forceCommit(flow, "patterns, unsigned");
    assertCommitFails(
      await verifyHistory(flow, ["--range", "origin/main..main"]),
      added,
      CONFIG_JSON,
      ["UNSIGNED", "UNTRUSTED_TRUST_CHANGE"],
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: CONFIG_JSON, codes: ["UNSIGNED", "UNTRUSTED_TRUST_CHANGE"] },
    ]);
  },
});

Deno.test({
  name:
    "config.json attack: a key added in the same commit cannot approve a change to config.json",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await signedPatternsFlow();
    // Alice adds Bob (an approved trust change); Bob signs new patterns in
    // the same commit: his key was not trusted before the change.
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await cliOk(flow, ["sign", ALLOWED_SIGNERS]);
    await write(flow, { [CONFIG_JSON]: patterns("nothing/*.json") });
    await cliOk(flow, ["sign", CONFIG_JSON, "--key", flow.bob.privatePath]);
    const both = await forceCommit(flow, "add bob; bob edits patterns");
    const range = await verifyHistory(flow, ["--range", "origin/main..main"]);
    assertCommitFails(range, both, CONFIG_JSON, ["UNTRUSTED_TRUST_CHANGE"]);
    const report = range.report.commits.find((c) => c.commit === both);
    // The trust change itself was approved: only config.json fails.
    assert.ok(
      !report?.results.some((r) => r.path === ALLOWED_SIGNERS && !r.ok),
      range.text,
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: CONFIG_JSON, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);
    // The same change made by Alice, who was trusted before it, through
    // the hook: passes.
    await flow.ok(["reset", "-q", "--hard", "origin/main"]);
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await commit(flow, "add bob; alice edits patterns", {
      [CONFIG_JSON]: patterns("nothing/*.json"),
    });
    await assertVerifies(flow, ["--range", "origin/main..main"]);
    assert.notEqual(await head(flow), both);
  },
});

Deno.test({
  name:
    "config.json: a merge that takes one side's signed change (an edit, or an addition) passes",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    await push(flow, "main");
    // The side branch adds config.json; main changes something else.
    await flow.ok(["checkout", "-q", "-b", "patterns"]);
    await commit(flow, "add patterns", {
      [CONFIG_JSON]: patterns("tools/*/mcp.json"),
    });
    await flow.ok(["checkout", "-q", "main"]);
    await commit(flow, "docs", { "README.md": "docs\n" });
    await flow.ok(["merge", "-q", "--no-edit", "patterns"]);
    await assertVerifies(flow, ["--range", "origin/main..main"]);
    await push(flow, "main");
    // And again with an edit on the side branch.
    await flow.ok(["checkout", "-q", "patterns"]);
    await flow.ok(["merge", "-q", "--no-edit", "main"]);
    await commit(flow, "edit patterns", {
      [CONFIG_JSON]: patterns("tools/*/mcp.json", "more/mcp.json"),
    });
    await flow.ok(["checkout", "-q", "main"]);
    await commit(flow, "more docs", { "README.md": "more docs\n" });
    await flow.ok(["merge", "-q", "--no-edit", "patterns"]);
    await assertVerifies(flow, ["--range", "origin/main..main"]);
    await push(flow, "main");
  },
});
