/**
 * `policy init` and `policy check` (issue 13), and policy.json signed like
 * config.json: `sign` and the pre-commit hook sign it, refuse an invalid
 * one, and working-tree `verify` reports it unsigned or tampered.
 *
 * @module
 */

import assert from "node:assert/strict";
import { INDEX, V1 } from "../support/attacks.ts";
import { assertCliError } from "../support/errors.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  type OpenFlow,
  readText,
  sharedFlow,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const POLICY = ".mcp-orchestration/policy.json";

interface CheckReport {
  ok: boolean;
  version: number | null;
  rules: { rule: number; pattern: string; configs: string[] }[];
  problems: string[];
}

/**
 * Alice set the repository up and committed it; the hooks are installed.
 * Made once per file and copied: no test checks how it was made.
 */
async function adoptedFlow(): Promise<OpenFlow<never>> {
  return await sharedFlow("adopted", async () => {
    const flow = await createFlow();
    await write(flow, { ".mcp.json": V1, ".cursor/mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "adopt");
    return flow;
  });
}

function policy(rules: unknown[], extra: Record<string, unknown> = {}) {
  return `${
    JSON.stringify(
      {
        format: "mcp-orchestration-policy v1",
        version: 2,
        groups: { leads: ["alice@example.com"] },
        trust: { groups: ["leads"], threshold: 1 },
        rules,
        ...extra,
      },
      null,
      2,
    )
  }\n`;
}

async function verifyCodes(flow: Flow): Promise<Map<string, string>> {
  const result = await flow.cli(["verify", "--json"]);
  const report = JSON.parse(result.stdout) as {
    results: { path: string; ok: boolean; code?: string }[];
  };
  return new Map(report.results.map((r) => [r.path, r.code ?? "ok"]));
}

Deno.test({
  name:
    "policy init writes today's rule, refuses a second time, and the hook signs it on commit",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const init = await cliOk(flow, ["policy", "init"]);
    assert.match(init.stdout, /Wrote \.mcp-orchestration\/policy\.json/);
    assert.match(init.stdout, /git add \.mcp-orchestration && git commit/);
    const text = await readText(flow, POLICY);
    const written = JSON.parse(text);
    assert.deepEqual(written.groups, { trusted: ["alice@example.com"] });
    assert.deepEqual(written.trust, { groups: ["trusted"], threshold: 1 });
    assert.deepEqual(written.rules, [
      { pattern: "**", groups: ["trusted"], threshold: 1 },
    ]);
    assert.equal(written.version, 1);

    // A second run refuses, and leaves the file as it was.
    await write(flow, {
      [POLICY]: text.replace('"version": 1', '"version": 7'),
    });
    assertCliError(await flow.cli(["policy", "init"]), "USAGE", "--force");
    assert.match(await readText(flow, POLICY), /"version": 7/);
    await cliOk(flow, ["policy", "init", "--force"]);
    assert.equal(await readText(flow, POLICY), text);

    // Not signed yet: verify says so.
    assert.equal((await verifyCodes(flow)).get(POLICY), "UNSIGNED");
    // The hook signs it in the commit, and verify passes.
    await commit(flow, "add the team policy");
    assert.match(
      await readText(flow, INDEX),
      / \.mcp-orchestration\/policy\.json$/m,
    );
    const codes = await verifyCodes(flow);
    assert.equal(codes.get(POLICY), "ok");
    const status = JSON.parse((await cliOk(flow, ["status", "--json"])).stdout);
    const row = status.configs.find((c: { path: string }) => c.path === POLICY);
    assert.equal(row?.client, "(team policy)");
    assert.equal(row?.code ?? "ok", "ok");
    // An edit past the hooks is tampered.
    await write(flow, {
      [POLICY]: text.replace('"version": 1', '"version": 2'),
    });
    assert.equal((await verifyCodes(flow)).get(POLICY), "TAMPERED");
    // The JSON output names the next step.
    const json = await cliOk(flow, ["policy", "init", "--force", "--json"]);
    assert.deepEqual(JSON.parse(json.stdout).principals, ["alice@example.com"]);
  },
});

Deno.test({
  name: "policy init refuses without a trust list, and writes nothing",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    assertCliError(await flow.cli(["policy", "init"]), "TRUST", "trust list");
    assert.equal(await flow.repo.exists(POLICY), false);
  },
});

Deno.test({
  name:
    "policy check: a valid policy exits 0 with a summary; a problem names line and field",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    assertCliError(
      await flow.cli(["policy", "check"]),
      "BAD_PATH",
      "policy init",
    );
    await write(flow, {
      [POLICY]: policy([
        { pattern: ".mcp.json", groups: ["leads"], threshold: 1 },
        { pattern: ".cursor/**", groups: ["leads"], threshold: 1 },
      ]),
    });
    const ok = await cliOk(flow, ["policy", "check"]);
    assert.match(ok.stdout, /version 2:/);
    assert.match(
      ok.stdout,
      /rule 1 "\.mcp\.json" \(line \d+\): 1 of leads \(1 principal\), 1 config/,
    );
    const report = JSON.parse(
      (await cliOk(flow, ["policy", "check", "--json"])).stdout,
    ) as CheckReport;
    assert.equal(report.ok, true);
    assert.deepEqual(report.rules.map((r) => r.configs), [[".mcp.json"], [
      ".cursor/mcp.json",
    ]]);

    // A rule that matches no config, and one shadowed by an earlier rule.
    await write(flow, {
      [POLICY]: policy([
        { pattern: "**/.mcp.json", groups: ["leads"], threshold: 1 },
        { pattern: ".mcp.json", groups: ["leads"], threshold: 1 },
        { pattern: "tools/*.json", groups: ["leads"], threshold: 1 },
      ]),
    });
    const bad = await flow.cli(["policy", "check"]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(
      bad.stderr,
      /field "rules\[1\]\.pattern": "\.mcp\.json" decides nothing: .*rules\[0\]/,
    );
    assert.match(
      bad.stderr,
      /line \d+, field "rules\[2\]\.pattern": "tools\/\*\.json" matches no config file/,
    );

    // An unknown principal: the line and field, exit 1.
    await write(flow, {
      [POLICY]: policy([], { groups: { leads: ["mallory@example.com"] } }),
    });
    const unknown = await flow.cli(["policy", "check", "--json"]);
    assert.equal(unknown.code, 1);
    const problems = (JSON.parse(unknown.stdout) as CheckReport).problems;
    assert.match(
      problems[0]!,
      /line 6, field "groups\.leads\[0\]": unknown principal "mallory@example\.com"/,
    );
  },
});

Deno.test({
  name:
    "sign and the pre-commit hook refuse an invalid policy.json, naming line and field, and write nothing",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const index = await readText(flow, INDEX);
    const bad = policy([
      { pattern: ".mcp.json", groups: ["leads"], threshold: 2 },
    ]);
    await write(flow, { [POLICY]: bad });
    assertCliError(
      await flow.cli(["sign"]),
      "INVALID_FORMAT",
      `Invalid policy "${POLICY}"`,
      'field "rules[0].threshold"',
      "from 1 to 1",
    );
    assert.equal(await readText(flow, INDEX), index);

    await flow.ok(["add", "-A"]);
    const refused = await flow.git(["commit", "-q", "-m", "bad policy"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /line 21, field "rules\[0\]\.threshold"/);
    assert.equal(await readText(flow, INDEX), index);

    // Fixed, the commit goes through, the policy signed in it.
    await commit(flow, "good policy", {
      [POLICY]: bad.replace('"threshold": 2', '"threshold": 1'),
    });
    assert.match(
      await readText(flow, INDEX),
      / \.mcp-orchestration\/policy\.json$/m,
    );

    // Deleting it cannot be signed: the hook refuses.
    await flow.ok(["rm", "-q", POLICY]);
    const deleted = await flow.git(["commit", "-q", "-m", "drop the policy"]);
    assert.notEqual(deleted.code, 0);
    assert.match(deleted.stderr, /deletes "\.mcp-orchestration\/policy\.json"/);
  },
});
