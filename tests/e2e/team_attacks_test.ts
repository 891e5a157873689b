/**
 * Attacks on team trust that the threshold tests do not cover, end to end
 * with real git and ssh-keygen keys (issue 13):
 *
 * 1. A revoked key re-added by hand under a new principal: a trusted signer
 *    edits `allowed_signers` past `trust add` (which refuses it) and signs
 *    the change; the revoked key then signs a config. Revocation wins
 *    whatever a line says: `REVOKED_KEY`.
 * 2. An approval by a revoked key: bob approved .mcp.json before his key was
 *    revoked; his approval no longer counts, and the config fails
 *    `REVOKED_KEY` (rather than quietly losing a signature) until it is
 *    signed and approved again.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  cliOk,
  commit,
  createFlow,
  installHooks,
  readText,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { runCli } from "../support/cli.ts";

const CONFIG = '{"mcpServers":{"fs":{"command":"npx","args":["mcp-fs"]}}}\n';
const POLICY = JSON.stringify({
  format: "mcp-orchestration-policy v1",
  version: 1,
  groups: { leads: ["alice@example.com", "bob@example.com"] },
  trust: { groups: ["leads"], threshold: 1 },
  rules: [{ pattern: ".mcp.json", groups: ["leads"], threshold: 2 }],
}) + "\n";

function codeOf(
  report: { results: { path: string; code?: string }[] },
  path: string,
): string | undefined {
  return report.results.find((r) => r.path === path)?.code;
}

Deno.test("a revoked key re-added by hand under a new principal still fails REVOKED_KEY", async () => {
  await using flow = await createFlow({ keys: ["bob"] as const });
  await installHooks(flow, "alice@example.com");
  await cliOk(flow, [
    "trust",
    "add",
    flow.bob.publicPath,
    "--principal",
    "bob@example.com",
  ]);
  await commit(flow, "trust bob", { "README.md": "x\n" });
  await cliOk(flow, ["trust", "revoke", flow.bob.fingerprint, "--reason", "x"]);
  await commit(flow, "revoke bob", {});
  // trust add refuses; alice's hand does not.
  const refused = await flow.cli([
    "trust",
    "add",
    flow.bob.publicPath,
    "--principal",
    "robert@example.com",
  ]);
  assert.notEqual(refused.code, 0);
  const list = await readText(flow, ".mcp-orchestration/allowed_signers");
  const key = flow.bob.publicLine.split(" ").slice(0, 2).join(" ");
  await write(flow, {
    ".mcp-orchestration/allowed_signers":
      `${list}robert@example.com namespaces="mcp-orchestration" ${key}\n`,
  });
  await commit(flow, "alice re-adds the key as robert", {});
  await write(flow, { "sub/.mcp.json": CONFIG });
  await flow.ok(["add", "-A"]);
  const signed = await flow.git(["commit", "-q", "-m", "robert's config"], {
    env: { MCP_ORCHESTRATION_KEY: flow.bob.privatePath },
  });
  // The hook refuses to sign with a revoked key; past it, verify refuses.
  if (signed.code === 0) {
    const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.equal(rev.code, 1, rev.text);
    assert.equal(
      codeOf(rev.report.commits.at(-1)!, "sub/.mcp.json"),
      "REVOKED_KEY",
      rev.text,
    );
  } else {
    assert.match(signed.stderr, /revoked/);
    const byHand = await runCli(["sign", "sub/.mcp.json"], {
      cwd: flow.repo.root,
      home: flow.repo.home,
      env: { MCP_ORCHESTRATION_KEY: flow.bob.privatePath },
    });
    assert.notEqual(byHand.code, 0, "sign used a revoked key");
  }
});

Deno.test("an approval by a key revoked since fails the config REVOKED_KEY", async () => {
  await using flow = await createFlow({ keys: ["bob"] as const });
  await installHooks(flow, "alice@example.com");
  await cliOk(flow, [
    "trust",
    "add",
    flow.bob.publicPath,
    "--principal",
    "bob@example.com",
  ]);
  await commit(flow, "trust bob and the policy", {
    ".mcp-orchestration/policy.json": POLICY,
  });
  await commit(flow, "add .mcp.json", { ".mcp.json": CONFIG });
  const approved = await runCli(["approve", ".mcp.json"], {
    cwd: flow.repo.root,
    home: flow.repo.home,
    env: { MCP_ORCHESTRATION_KEY: flow.bob.privatePath },
  });
  assert.equal(approved.code, 0, approved.stderr);
  await commit(flow, "bob approves", {});
  assert.equal((await flow.cli(["verify"])).code, 0);
  await cliOk(flow, ["trust", "revoke", flow.bob.fingerprint, "--reason", "x"]);
  const verify = await flow.cli(["verify", "--json"]);
  assert.equal(verify.code, 1, verify.stdout);
  const result = JSON.parse(verify.stdout).results.find((
    r: { path: string },
  ) => r.path === ".mcp.json");
  assert.equal(result.code, "REVOKED_KEY", verify.stdout);
  assert.match(result.reason, /approval/);
});
