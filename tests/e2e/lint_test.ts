/**
 * `lint` end to end (issue 16), in real repositories with the hooks
 * installed and a bare remote: its report and exit code, warnings that
 * sign and the pre-commit hook print but do not act on, and a policy's
 * `lint.block` refusing `sign`, the commit, `verify` (working tree,
 * `--rev`, `--range`) and the push, each judged by the policy of what is
 * verified.
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
const POLICY = ".mcp-orchestration/policy.json";
// Built by concatenation, so that no scanner takes this file for a leak.
const TOKEN = "ghp_" + "Zx81kQp0Lm2Nb7Vc4Xz9Ws3Ed6Rf5Tg1Yh8U";

// Dangers in three client formats, each server once.
const DANGEROUS = {
  ".mcp.json": `{
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": {"GITHUB_TOKEN": "${TOKEN}", "LOG": "\${env:LOG}"}
    }
  }
}
`,
  "opencode.json": `{
  "mcp": {
    "docs": {"type": "remote", "url": "http://docs.example.com/mcp"}
  }
}
`,
  ".codex/config.toml": `[mcp_servers.box]
command = "docker"
args = ["run", "-i", "--rm", "--privileged", "-v", "/:/host", "ghcr.io/example/box:latest"]
`,
};

interface LintJson {
  configs: string[];
  blocked: string[];
  findings: {
    rule: string;
    path: string;
    server: string;
    field: string;
    line: number | null;
    message: string;
    fix: string;
    blocking: boolean;
  }[];
}

function policy(block?: string[]): string {
  return `${
    JSON.stringify(
      {
        format: "mcp-orchestration-policy v1",
        version: 2,
        groups: { leads: ["alice@example.com"] },
        trust: { groups: ["leads"], threshold: 1 },
        rules: [],
        ...(block ? { lint: { block } } : {}),
      },
      null,
      2,
    )
  }\n`;
}

/**
 * Alice set the repository up and committed it; the hooks are installed.
 * Made once per file and copied: no test checks how it was made.
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

Deno.test({
  name:
    "lint: every config in every format, with line, field and fix; warnings exit 0; a secret is never printed",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    await write(flow, DANGEROUS);
    const text = await cliOk(flow, ["lint"]);
    assert.ok(!text.stdout.includes(TOKEN) && !text.stderr.includes(TOKEN));
    assert.match(
      text.stdout,
      /^\.mcp\.json:6: warning\[secret-literal\] server "github", env\.GITHUB_TOKEN: a GitHub token \(ghp_…\) is written into the config\n {2}fix: revoke the token/m,
    );
    assert.match(
      text.stdout,
      /^opencode\.json:3: warning\[insecure-http\] server "docs", url: /m,
    );
    assert.match(
      text.stdout,
      /6 findings in 3 configs, 0 blocked by the policy\n$/,
    );

    const json = JSON.parse(
      (await cliOk(flow, ["lint", "--json"])).stdout,
    ) as LintJson;
    assert.ok(!JSON.stringify(json).includes(TOKEN));
    assert.deepEqual(json.configs, [
      ".codex/config.toml",
      ".mcp.json",
      "opencode.json",
    ]);
    assert.deepEqual(json.blocked, []);
    assert.deepEqual(
      json.findings.map((f) =>
        `${f.path} ${f.line} ${f.server} ${f.rule} ${f.field}`
      ),
      [
        ".codex/config.toml 3 box unpinned-image args[6]",
        ".codex/config.toml 3 box docker-privileged args[3]",
        ".codex/config.toml 3 box docker-host-mount args[5]",
        ".mcp.json 6 github secret-literal env.GITHUB_TOKEN",
        ".mcp.json 5 github unpinned-package args[1]",
        "opencode.json 3 docs insecure-http url",
      ],
    );
    assert.ok(json.findings.every((f) => f.fix.length > 0 && !f.blocking));

    // Named paths: only those, and a path that is no config is refused.
    const one = JSON.parse(
      (await cliOk(flow, ["lint", "opencode.json", "--json"])).stdout,
    ) as LintJson;
    assert.deepEqual(one.configs, ["opencode.json"]);
    assert.equal(one.findings.length, 1);
    assertCliError(await flow.cli(["lint", "README.md"]), "BAD_PATH");
    // A clean config has nothing to say.
    await write(flow, { ".mcp.json": V1 });
    const clean = await cliOk(flow, ["lint", ".mcp.json"]);
    assert.equal(clean.stdout, "No findings in 1 config\n");
  },
});

Deno.test({
  name:
    "lint warnings do not block: sign and the pre-commit hook print one line each, and sign",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    await write(flow, DANGEROUS);
    const signed = await cliOk(flow, ["sign", "opencode.json"]);
    assert.match(signed.stdout, /^signed +opencode\.json/m);
    assert.match(
      signed.stderr,
      /^opencode\.json:3: warning\[insecure-http\] server "docs", url: connects to "docs\.example\.com" over plain http:\/\/$/m,
    );
    // Signed again unchanged: nothing new to warn of.
    const again = await cliOk(flow, ["sign", "opencode.json"]);
    assert.equal(again.stderr, "");
    const json = JSON.parse(
      (await cliOk(flow, ["sign", ".codex/config.toml", "--json"])).stdout,
    );
    assert.deepEqual(
      json.lint.map((f: { rule: string }) => f.rule),
      ["unpinned-image", "docker-privileged", "docker-host-mount"],
    );
    await flow.ok(["add", "-A"]);
    const committed = await flow.git(["commit", "-q", "-m", "dangers, warned"]);
    assert.equal(committed.code, 0, committed.stderr);
    assert.ok(!committed.stderr.includes(TOKEN), committed.stderr);
    const warnings = committed.stderr.split("\n").filter((line) =>
      line.includes("warning[")
    );
    // The hook warns of what it signs: .mcp.json (the others were signed).
    assert.equal(warnings.length, 2, committed.stderr);
    assert.match(
      committed.stderr,
      /^mcp-orchestration: \.mcp\.json:6: warning\[secret-literal\] server "github", env\.GITHUB_TOKEN: a GitHub token \(ghp_…\)/m,
    );
    const verified = await flow.cli(["verify", "--json"]);
    assert.equal(verified.code, 0, verified.stdout);
  },
});

Deno.test({
  name:
    "a policy's lint.block refuses lint, sign, the commit, verify (tree, --rev, --range) and the push; the policy of each commit decides",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    await push(flow, "main");
    // Signed and pushed while no rule was blocked: a warning then.
    const before = await commit(flow, "a plain-http server", {
      "opencode.json": DANGEROUS["opencode.json"],
    });
    // The team then blocks plain http: the hook refuses a policy that the
    // configs already break, and says why.
    await write(flow, {
      [POLICY]: policy(["insecure-http", "docker-privileged"]),
    });
    await flow.ok(["add", "-A"]);
    const early = await flow.git(["commit", "-q", "-m", "block plain http"]);
    assert.notEqual(early.code, 0);
    assert.match(
      early.stderr,
      /error\[INVALID_CONFIG\]: Commit refused: configs this commit does not change have findings the staged policy blocks/,
    );
    assert.match(
      early.stderr,
      /"opencode\.json": the policy blocks lint rules? "insecure-http".*: line 3, server "docs", url: .*\(fix: use https:\/\/\)/,
    );
    assert.equal(await head(flow), before);
    // Committed past the hook, signed, as another clone could push it.
    await cliOk(flow, ["sign", POLICY]);
    await forceCommit(flow, "block plain http");
    const lint = await flow.cli(["lint", "--json"]);
    assert.equal(lint.code, 1, lint.stderr);
    const report = JSON.parse(lint.stdout) as LintJson;
    assert.deepEqual(report.blocked, ["insecure-http", "docker-privileged"]);
    assert.deepEqual(
      report.findings.map((f) => [f.rule, f.blocking]),
      [["insecure-http", true]],
    );
    assert.match(
      (await flow.cli(["lint"])).stdout,
      /^opencode\.json:3: blocked\[insecure-http\]/m,
    );

    // verify: the working tree, HEAD, and the range the push would send.
    const tree = JSON.parse((await flow.cli(["verify", "--json"])).stdout);
    const row = tree.results.find((r: { path: string }) =>
      r.path === "opencode.json"
    );
    assert.equal(row.code, "LINT_BLOCKED", JSON.stringify(row));
    assert.equal(
      row.reason,
      'the policy blocks lint rule "insecure-http" ("lint.block" of ".mcp-orchestration/policy.json"): line 3, server "docs", url: connects to "docs.example.com" over plain http:// (fix: use https://)',
    );
    assert.equal(
      tree.results.find((r: { path: string }) => r.path === ".mcp.json").ok,
      true,
    );
    const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.equal(rev.code, 1, rev.text);
    assert.match(rev.text, /LINT_BLOCKED/);
    // The commit before holds no policy that blocks: it verifies.
    const older = await verifyHistory(flow, ["--rev", before]);
    assert.equal(older.code, 0, older.text);
    const range = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
    assert.equal(range.code, 1, range.text);
    const failed = range.report.commits.filter((c) => !c.ok);
    assert.deepEqual(failed.map((c) => c.subject), ["block plain http"]);
    const refused = await flow.git(["push", "-q", "origin", "main"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /LINT_BLOCKED/);
    assert.match(refused.stderr, /push refused/);

    // Fixed in a new commit: it verifies, and the push goes through.
    await commit(flow, "https", {
      "opencode.json": DANGEROUS["opencode.json"].replace("http:", "https:"),
    });
    assert.equal((await verifyHistory(flow, ["--rev", "HEAD"])).code, 0);

    // A new blocked finding: sign writes nothing, the commit is refused.
    const index = await readText(flow, INDEX);
    await write(flow, {
      ".codex/config.toml": DANGEROUS[".codex/config.toml"],
    });
    assertCliError(
      await flow.cli(["sign", ".codex/config.toml"]),
      "INVALID_CONFIG",
      'Cannot sign ".codex/config.toml": the policy blocks lint rule "docker-privileged"',
      'blocked[docker-privileged] server "box", args[3]',
      "fix: drop the flag",
    );
    assert.equal(await readText(flow, INDEX), index);
    const tip = await head(flow);
    await flow.ok(["add", ".codex/config.toml"]);
    const commitRefused = await flow.git(["commit", "-q", "-m", "privileged"]);
    assert.notEqual(commitRefused.code, 0);
    assert.match(commitRefused.stderr, /docker-privileged/);
    assert.equal(await head(flow), tip);
    assert.equal(await readText(flow, INDEX), index);
    const staged = await flow.ok(["diff", "--cached", "--name-only"]);
    assert.equal(staged.trim(), ".codex/config.toml");

    // Fixed: the warning that is not blocked stays a warning.
    await write(flow, {
      ".codex/config.toml": DANGEROUS[".codex/config.toml"].replace(
        '"--privileged", ',
        "",
      ),
    });
    await flow.ok(["add", "-A"]);
    const fixed = await flow.git(["commit", "-q", "-m", "unprivileged"]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stderr, /warning\[docker-host-mount\]/);
  },
});

Deno.test({
  name:
    "a policy naming an unknown lint rule is refused with its line and field",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const text = policy(["insecure-http", "secret-in-env"]);
    const line = text.split("\n").findIndex((l) =>
      l.includes("secret-in-env")
    ) + 1;
    await write(flow, { [POLICY]: text });
    assertCliError(
      await flow.cli(["lint"]),
      "INVALID_FORMAT",
      `line ${line}, field "lint.block[1]": unknown lint rule "secret-in-env"`,
    );
    await flow.ok(["add", "-A"]);
    const tip = await head(flow);
    const refused = await flow.git(["commit", "-q", "-m", "bad policy"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /unknown lint rule "secret-in-env"/);
    assert.equal(await head(flow), tip);
  },
});
