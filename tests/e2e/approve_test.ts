/**
 * `approve`, end to end with real git, the real hooks and the real
 * ssh-keygen: Alice signs a config through the pre-commit hook, Bob approves
 * its statement with his own key; the approval is a file that stock
 * `ssh-keygen -Y verify` accepts over the statement's exact bytes. Refused:
 * a key not in the list, a tampered, unsigned or unknown path, and with one
 * bad path nothing at all is written. Own statement and a second approval
 * write nothing and exit 0. The approval commits through the pre-commit hook
 * unchanged, `verify` does not object to it, and a commit that signs a new
 * version takes the old statement's approvals away.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { cliOk, commit, createFlow, installHooks } from "../support/flow.ts";
import { assertCliError } from "../support/errors.ts";
import { runCli } from "../support/cli.ts";
import { sshVerify } from "../support/ssh_keygen.ts";
import { config } from "../support/attacks.ts";

const STORE = ".mcp-orchestration";
const TRUST = `${STORE}/allowed_signers`;
const ONE = config("server-v1");
const TWO = config("server-v2");

type TestFlow = Awaited<ReturnType<typeof setUp>>;

/** Alice (the home's key) and Bob trusted, `.mcp.json` signed by Alice and committed. */
async function setUp() {
  const flow = await createFlow({ keys: ["bob", "mallory"] });
  try {
    await installHooks(flow, "alice@example.com");
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await commit(flow, "Signed configs", {
      ".mcp.json": ONE,
      ".cursor/mcp.json": TWO,
    });
    return flow;
  } catch (error) {
    await flow.cleanup();
    throw error;
  }
}

async function statementId(flow: TestFlow, path: string): Promise<string> {
  const index = await Deno.readTextFile(join(flow.repo.root, STORE, "index"));
  const line = index.split("\n").find((entry) => entry.slice(65) === path);
  assert.ok(line, `no index line for ${path}:\n${index}`);
  return line.slice(0, 64);
}

/** Every file under approvals/, relative to the store. */
async function approvalFiles(flow: TestFlow): Promise<string[]> {
  const found: string[] = [];
  const root = join(flow.repo.root, STORE, "approvals");
  try {
    for await (const folder of Deno.readDir(root)) {
      for await (const file of Deno.readDir(join(root, folder.name))) {
        found.push(`approvals/${folder.name}/${file.name}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort();
}

function asBob(flow: TestFlow, args: string[]) {
  return flow.cli([...args, "--key", flow.bob.privatePath]);
}

Deno.test("approve writes an approval that ssh-keygen -Y verify accepts over the statement's bytes", async () => {
  await using flow = await setUp();
  const id = await statementId(flow, ".mcp.json");
  const approved = await asBob(flow, ["approve", ".mcp.json", "--json"]);
  assert.equal(approved.code, 0, approved.stderr);
  const report = JSON.parse(approved.stdout);
  assert.equal(report.approver, flow.bob.fingerprint);
  assert.deepEqual(report.principals, ["bob@example.com"]);
  const [result] = report.results;
  assert.equal(result.status, "approved");
  assert.equal(result.statementId, id);
  assert.deepEqual(result.signer.principals, ["alice@example.com"]);
  assert.deepEqual(result.approvals, [{
    keyId: flow.bob.fingerprint,
    principals: ["bob@example.com"],
    valid: true,
  }]);
  const files = await approvalFiles(flow);
  assert.equal(files.length, 1);
  assert.match(files[0]!, new RegExp(`^approvals/${id}/[0-9a-f]{64}\\.sig$`));
  const statement = await Deno.readFile(
    join(flow.repo.root, STORE, "statements", id),
  );
  const verified = await sshVerify({
    allowedSigners: join(flow.repo.root, TRUST),
    principal: "bob@example.com",
    namespace: "mcp-orchestration",
    signaturePath: join(flow.repo.root, STORE, files[0]!),
    message: statement,
  });
  assert.ok(verified.ok, verified.output);
  // Not over any other bytes, nor as Alice.
  const other = await sshVerify({
    allowedSigners: join(flow.repo.root, TRUST),
    principal: "alice@example.com",
    namespace: "mcp-orchestration",
    signaturePath: join(flow.repo.root, STORE, files[0]!),
    message: statement,
  });
  assert.ok(!other.ok, other.output);
  // The text report names the statement, the signer and who approved.
  const again = await asBob(flow, ["approve", ".mcp.json"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already approved \.mcp\.json/);
  assert.match(again.stdout, new RegExp(`statement ${id}`));
  assert.match(again.stdout, /signed by +SHA256:\S+ \(alice@example\.com\)/);
  assert.match(
    again.stdout,
    new RegExp(
      `approved by +${escape(flow.bob.fingerprint)} \\(bob@example\\.com\\)`,
    ),
  );
  assert.deepEqual(await approvalFiles(flow), files);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

Deno.test("approving your own statement writes nothing and exits 0", async () => {
  await using flow = await setUp();
  const own = await flow.cli(["approve", ".mcp.json"]);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /own statement +\.mcp\.json/);
  assert.deepEqual(await approvalFiles(flow), []);
});

Deno.test("approve refuses a key not in the list, and writes nothing", async () => {
  await using flow = await setUp();
  const refused = await flow.cli([
    "approve",
    ".mcp.json",
    "--key",
    flow.mallory.privatePath,
  ]);
  assertCliError(
    refused,
    "TRUST",
    "an approval by a key not in the list",
    flow.mallory.fingerprint,
  );
  assert.deepEqual(await approvalFiles(flow), []);
});

Deno.test("approve refuses a tampered, an unsigned and an unknown path", async () => {
  await using flow = await setUp();
  await flow.repo.write(".mcp.json", TWO);
  assertCliError(
    await asBob(flow, ["approve", ".mcp.json"]),
    "TRUST",
    'Cannot approve ".mcp.json"',
    "TAMPERED",
  );
  await flow.repo.write(".vscode/mcp.json", ONE);
  assertCliError(
    await asBob(flow, ["approve", ".vscode/mcp.json"]),
    "TRUST",
    'Cannot approve ".vscode/mcp.json"',
    "UNSIGNED",
  );
  assertCliError(
    await asBob(flow, ["approve", "nowhere/.mcp.json"]),
    "BAD_PATH",
    'Cannot approve "nowhere/.mcp.json"',
  );
  assertCliError(await asBob(flow, ["approve"]), "USAGE", "PATH");
  assert.deepEqual(await approvalFiles(flow), []);
});

Deno.test("approve is all or nothing: one bad path and no path is approved", async () => {
  await using flow = await setUp();
  await flow.repo.write(".vscode/mcp.json", ONE);
  assertCliError(
    await asBob(flow, [
      "approve",
      ".mcp.json",
      ".cursor/mcp.json",
      ".vscode/mcp.json",
    ]),
    "TRUST",
    '".vscode/mcp.json"',
  );
  assert.deepEqual(await approvalFiles(flow), []);
  const both = await asBob(flow, ["approve", ".mcp.json", ".cursor/mcp.json"]);
  assert.equal(both.code, 0, both.stderr);
  assert.equal((await approvalFiles(flow)).length, 2);
});

Deno.test("an approval commits through the pre-commit hook unchanged, verifies, and goes with its statement", async () => {
  await using flow = await setUp();
  const old = await statementId(flow, ".mcp.json");
  const approved = await asBob(flow, ["approve", ".mcp.json"]);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, /git add \.mcp-orchestration && git commit/);
  const [file] = await approvalFiles(flow);
  await flow.ok(["add", STORE]);
  const committed = await flow.git(["commit", "-q", "-m", "Approve"]);
  assert.equal(committed.code, 0, committed.stderr);
  // The commit holds the approval and nothing else.
  const changed = await flow.ok([
    "show",
    "--name-only",
    "--format=",
    "HEAD",
  ]);
  assert.deepEqual(changed.trim().split("\n"), [`${STORE}/${file}`]);
  const verified = await flow.cli(["verify"]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const history = await flow.cli(["verify", "--rev", "HEAD"]);
  assert.equal(history.code, 0, history.stdout + history.stderr);
  // Sign by hand does not touch a config whose statement verifies.
  await cliOk(flow, ["sign"]);
  assert.deepEqual(await approvalFiles(flow), [file]);
  // A new version: the hook signs it, and the old approvals leave the
  // working tree and the commit.
  await commit(flow, "New version", { ".mcp.json": TWO });
  assert.notEqual(await statementId(flow, ".mcp.json"), old);
  assert.deepEqual(await approvalFiles(flow), []);
  const tracked = await flow.ok(["ls-files", `${STORE}/approvals`]);
  assert.equal(tracked, "");
  const status = await flow.ok(["status", "--porcelain"]);
  assert.equal(status, "");
});

Deno.test("sign run by hand prunes the approvals of the statement it replaces", async () => {
  await using flow = await setUp();
  const approved = await asBob(flow, ["approve", ".mcp.json"]);
  assert.equal(approved.code, 0, approved.stderr);
  await flow.repo.write(".mcp.json", TWO);
  await cliOk(flow, ["sign", ".mcp.json"]);
  assert.deepEqual(await approvalFiles(flow), []);
  await assert.rejects(
    Deno.lstat(join(flow.repo.root, STORE, "approvals")),
    Deno.errors.NotFound,
  );
});

Deno.test("approve takes the trust list's statement too, and the commit passes the hook", async () => {
  await using flow = await setUp();
  const id = await statementId(flow, TRUST);
  const approved = await asBob(flow, ["approve", TRUST, "--json"]);
  assert.equal(approved.code, 0, approved.stderr);
  const [result] = JSON.parse(approved.stdout).results;
  assert.equal(result.status, "approved");
  assert.equal(result.statementId, id);
  assert.equal((await approvalFiles(flow)).length, 1);
  await flow.ok(["add", STORE]);
  const committed = await flow.git(["commit", "-q", "-m", "Approve the list"]);
  assert.equal(committed.code, 0, committed.stderr);
  const history = await flow.cli(["verify", "--rev", "HEAD"]);
  assert.equal(history.code, 0, history.stdout + history.stderr);
});

Deno.test("approve from a subfolder takes paths relative to it", async () => {
  await using flow = await setUp();
  const approved = await runCli(
    ["approve", "mcp.json", "--key", flow.bob.privatePath],
    { cwd: join(flow.repo.root, ".cursor"), home: flow.repo.home },
  );
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, /approved +\.cursor\/mcp\.json/);
});
