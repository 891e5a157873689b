/**
 * The team policy's thresholds, end to end with real git, a bare remote and
 * real ssh-keygen (docs/FORMAT.md, "Policy"; issue 13): a 2-of-2 rule is
 * pending after one signature and refused at the tip (working tree,
 * `verify --rev`, the pre-push hook to the default branch), passes once the
 * second principal approves, and each way of faking the second signature
 * fails: the same key twice, a second key of the same principal, a key
 * outside the rule's groups, an approval of other bytes copied in; a policy
 * or trust-list change short of the admins' threshold, and an older policy
 * replayed, fail too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  installHooks,
  push,
  readText,
  sharedFlow,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { runCli } from "../support/cli.ts";
import {
  type GeneratedKey,
  sshSign,
  sshVerify,
} from "../support/ssh_keygen.ts";

const POLICY = ".mcp-orchestration/policy.json";
const CONFIG = '{"mcpServers":{"fs":{"command":"npx","args":["mcp-fs"]}}}\n';
const OTHER = '{"mcpServers":{"git":{"command":"uvx","args":["mcp-git"]}}}\n';

function policy(
  version: number,
  rules: { pattern: string; groups: string[]; threshold: number }[],
  trust: { groups: string[]; threshold: number } = {
    groups: ["admins"],
    threshold: 1,
  },
  groups: Record<string, string[]> = {
    admins: ["alice@example.com", "bob@example.com"],
    leads: ["alice@example.com"],
    security: ["bob@example.com"],
    frontend: ["fred@example.com"],
  },
): string {
  return JSON.stringify(
    { format: "mcp-orchestration-policy v1", version, groups, trust, rules },
    null,
    2,
  ) + "\n";
}

const TWO_OF_TWO = [{
  pattern: ".mcp.json",
  groups: ["leads", "security"],
  threshold: 2,
}];

// A repository where alice (the home key) and bob, and fred (frontend) are
// trusted, with the hooks installed and the given policy committed and
// pushed to main; origin/HEAD names main.
async function team(policyText: string) {
  // Made once per policy and copied: no test checks how it was made.
  const keys = ["bob", "fred", "alice2"] as const;
  return await sharedFlow(`team with policy ${policyText}`, async () => {
    const flow = await createFlow({ keys });
    await installHooks(flow, "alice@example.com");
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await cliOk(flow, [
      "trust",
      "add",
      flow.fred.publicPath,
      "--principal",
      "fred@example.com",
    ]);
    await commit(flow, "trust the team", { "README.md": "team\n" });
    await commit(flow, "the policy", { [POLICY]: policyText });
    await push(flow, "HEAD:refs/heads/main");
    await flow.ok(["remote", "set-head", "origin", "main"]);
    return flow;
  }, { keys });
}

function as(key: GeneratedKey): Record<string, string> {
  return { MCP_ORCHESTRATION_KEY: key.privatePath };
}

async function statementOf(flow: Flow, path: string): Promise<string> {
  const index = await readText(flow, ".mcp-orchestration/index");
  const line = index.split("\n").find((l) => l.endsWith(` ${path}`));
  assert.ok(line, `no index line for ${path}:\n${index}`);
  return line.split(" ")[0]!;
}

// An approval file made with stock ssh-keygen, as `approve` would write it:
// approvals/<statement id>/<hex of the key's SHA-256>.sig.
async function forgeApproval(
  flow: Flow,
  key: GeneratedKey,
  statementId: string,
  nameKey: GeneratedKey = key,
): Promise<string> {
  const statement = join(
    flow.repo.root,
    ".mcp-orchestration/statements",
    statementId,
  );
  const copy = join(flow.repo.home, `statement-${crypto.randomUUID()}`);
  await Deno.copyFile(statement, copy);
  const signature = await sshSign({
    keyPath: key.privatePath,
    namespace: "mcp-orchestration",
    messagePath: copy,
  });
  const hex = keyHex(nameKey);
  const where = `.mcp-orchestration/approvals/${statementId}/${hex}.sig`;
  await Deno.mkdir(
    join(flow.repo.root, ".mcp-orchestration/approvals", statementId),
    {
      recursive: true,
    },
  );
  await Deno.copyFile(signature, join(flow.repo.root, where));
  return where;
}

function keyHex(key: GeneratedKey): string {
  const b64 = key.fingerprint.slice("SHA256:".length);
  const bytes = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
  return [...bytes].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0"))
    .join("");
}

function codes(report: { results: { path: string; code?: string }[] }) {
  return Object.fromEntries(
    report.results.filter((r) => r.code).map((r) => [r.path, r.code]),
  );
}

Deno.test("2 of 2: one signature is PENDING_APPROVAL everywhere; bob's approval lets it through", async () => {
  await using flow = await team(policy(1, TWO_OF_TWO));
  await commit(flow, "add .mcp.json", { ".mcp.json": CONFIG });

  const tree = await flow.cli(["verify", "--json"]);
  assert.equal(tree.code, 1, tree.stdout + tree.stderr);
  const treeReport = JSON.parse(tree.stdout);
  const pending = treeReport.results.find((r: { path: string }) =>
    r.path === ".mcp.json"
  );
  assert.equal(pending.code, "PENDING_APPROVAL", tree.stdout);
  assert.deepEqual(pending.approval.mayApprove, ["bob@example.com"]);
  assert.match(pending.reason, /needs 2 distinct principals/);

  const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
  assert.equal(rev.code, 1, rev.text);
  assert.equal(
    codes(rev.report.commits.at(-1)!)[".mcp.json"],
    "PENDING_APPROVAL",
  );

  const refused = await flow.git([
    "push",
    "-q",
    "origin",
    "HEAD:refs/heads/main",
  ]);
  assert.notEqual(refused.code, 0, "a pending config reached main");
  assert.match(refused.stderr, /PENDING_APPROVAL/);

  // A branch waiting for review may be pushed.
  const review = await flow.git([
    "push",
    "-q",
    "origin",
    "HEAD:refs/heads/review",
  ]);
  assert.equal(review.code, 0, review.stderr);

  const byBob = await runAs(flow, flow.bob, ["approve", ".mcp.json"]);
  assert.equal(byBob.code, 0, byBob.stderr);
  await commit(flow, "bob approves", {});
  const status = JSON.parse((await cliOk(flow, ["status", "--json"])).stdout);
  const row = status.configs.find((c: { path: string }) =>
    c.path === ".mcp.json"
  );
  assert.deepEqual(
    row.approval.approvedBy.map((a: { principal: string }) => a.principal)
      .sort(),
    ["alice@example.com", "bob@example.com"],
  );
  assert.match(
    (await cliOk(flow, ["status"])).stdout,
    /2\/2 alice@example\.com,bob@example\.com/,
  );
  const ok = await flow.cli(["verify"]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const range = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assert.equal(range.code, 0, range.text);
  await push(flow, "HEAD:refs/heads/main");
});

async function runAs(flow: Flow, key: GeneratedKey, args: string[]) {
  return await runCli(args, {
    cwd: flow.repo.root,
    home: flow.repo.home,
    env: as(key),
  });
}

Deno.test("a range may hold a pending commit when its tip approves it; a pending tip fails", async () => {
  await using flow = await team(policy(1, TWO_OF_TWO));
  const first = await commit(flow, "add .mcp.json", { ".mcp.json": CONFIG });
  const id = await statementOf(flow, ".mcp.json");
  await forgeApproval(flow, flow.bob, id);
  await commit(flow, "bob approves", {});
  const range = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assert.equal(range.code, 0, range.text);
  const middle = range.report.commits.find((c) => c.commit === first)!;
  assert.equal(middle.ok, true, range.text);
  const tipOnly = await verifyHistory(flow, [
    "--range",
    `origin/main..${first}`,
  ]);
  assert.equal(tipOnly.code, 1, tipOnly.text);
});

Deno.test("the same key twice, or a second key of the same principal, is one approval", async () => {
  await using flow = await team(policy(1, TWO_OF_TWO));
  await cliOk(flow, [
    "trust",
    "add",
    flow.alice2.publicPath,
    "--principal",
    "alice@example.com",
  ]);
  await commit(flow, "alice's second key", {});
  await commit(flow, "add .mcp.json", { ".mcp.json": CONFIG });
  const id = await statementOf(flow, ".mcp.json");
  // alice's home key signed; her own signature again as an approval…
  const home = await Deno.readTextFile(
    join(flow.repo.root, ".mcp-orchestration/statements", `${id}.sig`),
  );
  const aliceLine = (await readText(flow, ".mcp-orchestration/allowed_signers"))
    .split("\n").find((l) => l.startsWith("alice@example.com "))!;
  const aliceHex = await hexOfLine(aliceLine);
  await Deno.mkdir(join(flow.repo.root, ".mcp-orchestration/approvals", id), {
    recursive: true,
  });
  await Deno.writeTextFile(
    join(flow.repo.root, ".mcp-orchestration/approvals", id, `${aliceHex}.sig`),
    home,
  );
  // …and her second key's approval.
  await forgeApproval(flow, flow.alice2, id);
  await forceCommit(flow, "alice approves herself twice");
  const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
  assert.equal(rev.code, 1, rev.text);
  assert.equal(
    codes(rev.report.commits.at(-1)!)[".mcp.json"],
    "PENDING_APPROVAL",
    rev.text,
  );
});

async function hexOfLine(line: string): Promise<string> {
  const fields = line.split(" ");
  const blob = Uint8Array.from(
    atob(fields[fields.indexOf("ssh-ed25519") + 1]!),
    (c) => c.charCodeAt(0),
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", blob));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("a key outside the rule's groups does not count: a frontend key cannot approve .mcp.json", async () => {
  await using flow = await team(policy(1, TWO_OF_TWO));
  await commit(flow, "add .mcp.json", { ".mcp.json": CONFIG });
  const id = await statementOf(flow, ".mcp.json");
  await forgeApproval(flow, flow.fred, id);
  await forceCommit(flow, "fred approves");
  const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
  assert.equal(rev.code, 1, rev.text);
  assert.equal(
    codes(rev.report.commits.at(-1)!)[".mcp.json"],
    "PENDING_APPROVAL",
  );
});

Deno.test("fred signs .mcp.json alone (delegation escape): pending until the rule's principals approve", async () => {
  await using flow = await team(policy(1, TWO_OF_TWO));
  await write(flow, { ".mcp.json": CONFIG });
  await flow.ok(["add", "-A"]);
  const signed = await flow.git(["commit", "-q", "-m", "fred's config"], {
    env: as(flow.fred),
  });
  assert.equal(signed.code, 0, signed.stderr);
  const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
  assert.equal(
    codes(rev.report.commits.at(-1)!)[".mcp.json"],
    "PENDING_APPROVAL",
  );
  const id = await statementOf(flow, ".mcp.json");
  await forgeApproval(flow, flow.bob, id);
  const homeKey = join(flow.repo.home, "keys", "signing.key");
  await Deno.stat(homeKey);
  const byAlice = await runAs(flow, { privatePath: homeKey } as GeneratedKey, [
    "approve",
    ".mcp.json",
  ]);
  assert.equal(byAlice.code, 0, byAlice.stderr);
  await forceCommit(flow, "alice and bob approve");
  const after = await verifyHistory(flow, ["--rev", "HEAD"]);
  assert.equal(after.code, 0, after.text);
});

Deno.test("an approval copied from another statement fails BAD_SIGNATURE, and its file checks with ssh-keygen only over its own", async () => {
  await using flow = await team(policy(1, TWO_OF_TWO));
  await commit(flow, "two configs", {
    ".mcp.json": CONFIG,
    "sub/.mcp.json": OTHER,
  });
  const other = await statementOf(flow, "sub/.mcp.json");
  const mine = await statementOf(flow, ".mcp.json");
  const made = await forgeApproval(flow, flow.bob, other);
  const statementBytes = await Deno.readFile(
    join(flow.repo.root, ".mcp-orchestration/statements", other),
  );
  const allowed = join(flow.repo.root, ".mcp-orchestration/allowed_signers");
  const stock = await sshVerify({
    allowedSigners: allowed,
    principal: "bob@example.com",
    namespace: "mcp-orchestration",
    signaturePath: join(flow.repo.root, made),
    message: statementBytes,
  });
  assert.ok(stock.ok, stock.output);
  await Deno.mkdir(join(flow.repo.root, ".mcp-orchestration/approvals", mine), {
    recursive: true,
  });
  await Deno.copyFile(
    join(flow.repo.root, made),
    join(
      flow.repo.root,
      ".mcp-orchestration/approvals",
      mine,
      `${keyHex(flow.bob)}.sig`,
    ),
  );
  await forceCommit(flow, "copied approval");
  const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
  assert.equal(
    codes(rev.report.commits.at(-1)!)[".mcp.json"],
    "BAD_SIGNATURE",
    rev.text,
  );
});

Deno.test("a policy change signed by one admin where two are needed is pending; the second admin's approval makes it pass", async () => {
  const admins2 = policy(1, TWO_OF_TWO, { groups: ["admins"], threshold: 2 });
  await using flow = await team(admins2);
  // alice lowers the rule to 1 alone.
  await commit(flow, "lower the rule", {
    [POLICY]: policy(2, [{ ...TWO_OF_TWO[0]!, threshold: 1 }], {
      groups: ["admins"],
      threshold: 2,
    }),
  });
  const rev = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assert.equal(rev.code, 1, rev.text);
  assert.equal(
    codes(rev.report.commits.at(-1)!)[POLICY],
    "PENDING_APPROVAL",
    rev.text,
  );
  const refused = await flow.git([
    "push",
    "-q",
    "origin",
    "HEAD:refs/heads/main",
  ]);
  assert.notEqual(refused.code, 0);
  await forgeApproval(flow, flow.bob, await statementOf(flow, POLICY));
  await commit(flow, "bob approves the policy", {});
  const after = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assert.equal(after.code, 0, after.text);
});

Deno.test("a trust-list change that removes the other admin, signed by one admin of two needed, is pending and refused", async () => {
  const admins2 = policy(1, TWO_OF_TWO, { groups: ["admins"], threshold: 2 });
  await using flow = await team(admins2);
  // While the policy names bob, the hook refuses to drop his key…
  await cliOk(flow, ["trust", "remove", "bob@example.com"]);
  const refused = await flow.git(["commit", "-qam", "alice removes bob"]);
  assert.notEqual(refused.code, 0, "the hook let the policy lose a principal");
  assert.match(refused.stderr, /unknown principal "bob@example.com"/);
  // …so alice drops him from the policy too, signed by her alone.
  const alone = policy(
    2,
    [{ ...TWO_OF_TWO[0]!, groups: ["leads"], threshold: 1 }],
    { groups: ["admins"], threshold: 1 },
    {
      admins: ["alice@example.com"],
      leads: ["alice@example.com"],
      frontend: ["fred@example.com"],
    },
  );
  await commit(flow, "alice removes bob", { [POLICY]: alone });
  const rev = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assert.equal(rev.code, 1, rev.text);
  const found = codes(rev.report.commits.at(-1)!);
  assert.equal(
    found[".mcp-orchestration/allowed_signers"],
    "PENDING_APPROVAL",
    rev.text,
  );
  assert.equal(found[POLICY], "PENDING_APPROVAL", rev.text);
  const push = await flow.git(["push", "-q", "origin", "HEAD:refs/heads/main"]);
  assert.notEqual(push.code, 0, "one admin's trust change reached main");
});

Deno.test("an older policy signed again (a replay with a lower version) is ROLLED_BACK", async () => {
  const v1 = policy(1, TWO_OF_TWO);
  await using flow = await team(v1);
  await commit(flow, "policy v2", {
    [POLICY]: policy(2, [{ ...TWO_OF_TWO[0]!, threshold: 1 }]),
  });
  await commit(flow, "back to v1", { [POLICY]: v1 });
  const rev = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assert.equal(rev.code, 1, rev.text);
  assert.equal(
    codes(rev.report.commits.at(-1)!)[POLICY],
    "ROLLED_BACK",
    rev.text,
  );
});
