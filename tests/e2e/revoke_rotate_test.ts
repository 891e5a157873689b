/**
 * Revocation and rotation (issue 13), end to end with real git, a bare
 * remote, the real hooks and ssh-keygen keys:
 *
 * - `trust revoke`: what the revoked key signed fails REVOKED_KEY in the
 *   working tree, at `verify --rev` and at pre-push; `status` lists it under
 *   the re-sign heading; `sign --resign` mends it in one go; the key cannot
 *   be trusted again, under another principal either;
 * - `keys rotate`: what the old key signed still verifies without signing
 *   again; a new statement by the retired key (forged past the tool, with a
 *   backdated signing time) fails RETIRED_KEY at `verify --rev` and pre-push;
 * - a revoked_keys change signed by an untrusted key fails history rule 1.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ALLOWED_SIGNERS,
  assertCommitFails,
  assertPushRefused,
  assertVerifies,
  config,
  INDEX,
  indexId,
  STORE,
  V1,
  V2,
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
import { loadSigningKey } from "../../src/keys/key_store.ts";
import { formatStatement, parseStatement } from "../../src/store/statement.ts";
import { createSshSignature } from "../../src/format/sshsig.ts";
import { sha256Hex } from "../../src/crypto/sha.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const REVOKED = `${STORE}/revoked_keys`;
const CURSOR = ".cursor/mcp.json";

async function workingTreeVerify(flow: Flow) {
  const result = await flow.cli(["verify", "--json"]);
  const report = JSON.parse(result.stdout) as {
    results: { path: string; ok: boolean; code?: string; reason: string }[];
  };
  return { code: result.code, results: report.results, text: result.stdout };
}

function codeOf(
  results: { path: string; ok: boolean; code?: string }[],
  path: string,
): string {
  const result = results.find((r) => r.path === path);
  assert.ok(result, `no result for ${path}`);
  return result.ok ? "ok" : result.code ?? "FAILS";
}

/**
 * Alice adopted the tool with two configs and committed (not pushed); Bob
 * has a key nobody trusts yet. Made once per file and copied: no test
 * checks how it was made.
 */
async function adoptedFlow(): Promise<OpenFlow<"bob">> {
  return await sharedFlow("adopted", async () => {
    const flow = await createFlow({ keys: ["bob"] });
    await write(flow, { ".mcp.json": V1, [CURSOR]: V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "adopt");
    return flow;
  }, { keys: ["bob"] });
}

/** Bob is trusted and signs .mcp.json; Alice pushes. */
async function bobSignedConfig(
  flow: Flow & { bob: { publicPath: string; privatePath: string } },
): Promise<void> {
  await cliOk(flow, [
    "trust",
    "add",
    flow.bob.publicPath,
    "--principal",
    "bob@example.com",
  ]);
  await commit(flow, "trust bob");
  await commit(flow, "bob edits", { ".mcp.json": V2 }, {
    MCP_ORCHESTRATION_KEY: flow.bob.privatePath,
  });
  await push(flow, "main");
  await assertVerifies(flow, ["--rev", "HEAD"]);
}

Deno.test({
  name:
    "trust revoke: the revoked key's configs fail everywhere, status lists them, sign --resign mends them, re-adding is refused",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    await bobSignedConfig(flow);
    const bob = flow.bob;

    // Refused: an empty reason, an unknown key. Nothing is written.
    const before = await readText(flow, ALLOWED_SIGNERS);
    const empty = await flow.cli([
      "trust",
      "revoke",
      bob.fingerprint,
      "--reason",
      " ",
    ]);
    assert.notEqual(empty.code, 0);
    assert.match(empty.stderr, /needs a reason/);
    const unknown = await flow.cli([
      "trust",
      "revoke",
      "SHA256:" + "A".repeat(43),
      "--reason",
      "x",
    ]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /a revocation of an unknown key/);
    assert.equal(await readText(flow, ALLOWED_SIGNERS), before);
    await assert.rejects(Deno.stat(join(flow.repo.root, REVOKED)));

    const revoked = await cliOk(flow, [
      "trust",
      "revoke",
      bob.fingerprint,
      "--reason",
      "laptop stolen",
    ]);
    assert.match(revoked.stdout, /Revoked SHA256:/);
    assert.match(revoked.stdout, /^ {2}\.mcp\.json$/m);
    assert.match(revoked.stdout, /sign --resign/);
    const list = await readText(flow, REVOKED);
    assert.match(
      list,
      /^# revoked \S+Z: laptop stolen\nssh-ed25519 \S+ bob@example\.com\n$/,
    );
    assert.ok(!(await readText(flow, ALLOWED_SIGNERS)).includes("bob@"));
    const again = await flow.cli([
      "trust",
      "revoke",
      bob.publicPath,
      "--reason",
      "twice",
    ]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already revoked/);

    // Under any principal: the revoked key does not come back.
    const readd = await flow.cli([
      "trust",
      "add",
      bob.publicPath,
      "--principal",
      "robert@example.com",
    ]);
    assert.notEqual(readd.code, 0);
    assert.match(readd.stderr, /is revoked/);

    // Working tree: REVOKED_KEY; the other config is untouched.
    const tree = await workingTreeVerify(flow);
    assert.equal(tree.code, 1, tree.text);
    assert.equal(codeOf(tree.results, ".mcp.json"), "REVOKED_KEY", tree.text);
    assert.equal(codeOf(tree.results, CURSOR), "ok", tree.text);

    // status: a re-sign heading with the command.
    const status = await cliOk(flow, ["status"]);
    assert.match(
      status.stdout,
      /To re-sign[^\n]*\n {2}\.mcp\.json {2}revoked SHA256:\S+\n {2}\S*mcp-orchestration sign --resign/,
    );
    const json = JSON.parse((await cliOk(flow, ["status", "--json"])).stdout);
    assert.deepEqual(
      json.resign.map((e: { path: string; why: string }) => [e.path, e.why]),
      [[".mcp.json", "revoked"]],
    );

    // Committed (the trust files signed by Alice), the commit fails at
    // verify --rev and pre-push.
    await cliOk(flow, ["sign", ALLOWED_SIGNERS, REVOKED]);
    const revocation = await forceCommit(flow, "revoke bob");
    const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
    assertCommitFails(rev, revocation, ".mcp.json", ["REVOKED_KEY"]);
    assert.ok(
      rev.report.commits[0]!.results.some((r) => r.path === REVOKED && r.ok),
      rev.text,
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: ".mcp.json", codes: ["REVOKED_KEY"] },
    ]);

    // Reviewed, then signed again in one go with Alice's key.
    await flow.ok(["reset", "-q", "--soft", "origin/main"]);
    const resigned = await cliOk(flow, ["sign", "--resign"]);
    assert.match(resigned.stdout, /signed {4}\.mcp\.json/);
    assert.doesNotMatch(resigned.stdout, /cursor/);
    assert.equal((await workingTreeVerify(flow)).code, 0);
    assert.equal(
      (await cliOk(flow, ["sign", "--resign"])).stdout,
      "Nothing to re-sign: no statement fails for its key\n",
    );
    await commit(flow, "revoke bob, re-sign his config");
    await assertVerifies(flow, ["--range", "origin/main..main"]);
    await push(flow, "main");
  },
});

// A statement for `path` that follows the index's current one, signed with
// `keyPath` (bypassing the tool, which refuses a retired key), with the
// artifact stored and the index line pointed at it.
async function forgeStatement(
  flow: Flow,
  path: string,
  text: string,
  keyPath: string,
  signedAt: Date,
): Promise<void> {
  const key = await loadSigningKey({ keyPath });
  const current = parseStatement(
    await flow.repo.read(
      `${STORE}/statements/${await indexId(flow, "HEAD", path)}`,
    ),
    path,
  );
  const bytes = new TextEncoder().encode(text);
  const artifact = await sha256Hex(bytes);
  const statement = formatStatement({
    ...current,
    artifact,
    size: bytes.length,
    signer: key.keyId,
    signedAt,
    sequence: current.sequence + 1,
    previous: [current.artifact],
  });
  const id = await sha256Hex(statement);
  const signature = await createSshSignature(statement, key.key, {
    namespace: "mcp-orchestration",
  });
  await write(flow, {
    [path]: text,
    [`${STORE}/artifacts/${artifact}`]: text,
    [`${STORE}/statements/${id}`]: new TextDecoder().decode(statement),
    [`${STORE}/statements/${id}.sig`]: signature,
  });
  const lines = (await readText(flow, INDEX)).split("\n");
  const at = lines.findIndex((l) => l.slice(65) === path);
  lines[at] = `${id} ${path}`;
  await write(flow, { [INDEX]: lines.join("\n") });
}

Deno.test({
  name:
    "keys rotate: old signatures still verify; a new, backdated statement by the retired key fails RETIRED_KEY at verify --rev and pre-push",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const adopt = await head(flow);
    await push(flow, "main");
    const old = await cliOk(flow, ["keys", "show", "--json"]);
    const oldId = JSON.parse(old.stdout).keyId as string;

    const rotated = JSON.parse(
      (await cliOk(flow, ["keys", "rotate", "--json"])).stdout,
    );
    assert.deepEqual(rotated.repository.principals, ["alice@example.com"]);
    assert.notEqual(rotated.created.keyId, oldId);
    const retiredKey = rotated.retired.privateKeyPath as string;
    const list = await readText(flow, ALLOWED_SIGNERS);
    assert.match(
      list,
      new RegExp(
        `^# mcp-orchestration-retired ${oldId.replace(/[+/]/g, "\\$&")}$`,
        "m",
      ),
    );
    assert.equal((list.match(/alice@example\.com/g) ?? []).length, 2, list);
    // Never over an existing key: the old one is kept, retired.
    assert.ok((await Deno.stat(retiredKey)).isFile);

    // Nothing signed again, and everything verifies: working tree, the
    // rotation's commit (made with the new key), pre-push.
    const tree = await workingTreeVerify(flow);
    assert.equal(tree.code, 0, tree.text);
    await commit(flow, "rotate alice's key");
    assert.equal(
      await indexId(flow, "HEAD", ".mcp.json"),
      await indexId(flow, adopt, ".mcp.json"),
    );
    await assertVerifies(flow, ["--rev", "HEAD"]);
    await push(flow, "main");

    // status points at what the retired key signed.
    const status = JSON.parse((await cliOk(flow, ["status", "--json"])).stdout);
    assert.deepEqual(
      status.resign.map((e: { path: string; why: string }) => [e.path, e.why]),
      [[CURSOR, "retired"], [".mcp.json", "retired"]],
    );

    // The tool does not sign with the retired key.
    await write(flow, { [CURSOR]: V2 });
    const refused = await flow.cli(["sign", "--key", retiredKey, CURSOR]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is retired/);

    // A thief with the retired key forges a new, backdated statement.
    await forgeStatement(
      flow,
      CURSOR,
      config("curl-evil"),
      retiredKey,
      new Date("2020-01-01T00:00:00Z"),
    );
    const forgedTree = await workingTreeVerify(flow);
    assert.equal(
      codeOf(forgedTree.results, CURSOR),
      "RETIRED_KEY",
      forgedTree.text,
    );
    const forged = await forceCommit(flow, "innocent update");
    assertCommitFails(
      await verifyHistory(flow, ["--rev", "HEAD"]),
      forged,
      CURSOR,
      ["RETIRED_KEY"],
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: CURSOR, codes: ["RETIRED_KEY"] },
    ]);
    // An old signature moved onto another commit is still the same file:
    // the untouched config passes in that commit.
    const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.ok(
      rev.report.commits[0]!.results.some((r) =>
        r.path === ".mcp.json" && r.ok
      ),
      rev.text,
    );

    // sign --resign signs both again with the new key.
    await flow.ok(["reset", "-q", "--hard", "origin/main"]);
    const resigned = await cliOk(flow, ["sign", "--resign"]);
    assert.match(resigned.stdout, /signed {4}\.mcp\.json/);
    assert.match(resigned.stdout, /signed {4}\.cursor\/mcp\.json/);
    await commit(flow, "re-sign with the new key");
    await assertVerifies(flow, ["--range", "origin/main..main"]);
    await push(flow, "main");
    assert.equal(
      JSON.parse((await cliOk(flow, ["status", "--json"])).stdout).resign
        .length,
      0,
    );
    assert.ok(await head(flow));
  },
});

Deno.test({
  name:
    "revoked_keys attack: a change signed by an untrusted key, or its removal, fails history rule 1 and pre-push",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow({ keys: ["mallory", "bob"] });
    await write(flow, { ".mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "adopt");
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await commit(flow, "trust bob");
    await cliOk(flow, [
      "trust",
      "revoke",
      flow.bob.fingerprint,
      "--reason",
      "left",
    ]);
    await commit(flow, "revoke bob");
    await assertVerifies(flow, ["--rev", "HEAD"]);
    await push(flow, "main");

    // Mallory takes Bob off the revocation list, trusts herself in the same
    // commit, and signs both with her key: trusted in the commit's own
    // list, never in its parent's.
    await write(flow, { [REVOKED]: "# nothing revoked\n" });
    await cliOk(flow, [
      "trust",
      "add",
      flow.mallory.publicPath,
      "--principal",
      "mallory@example.com",
    ]);
    const signed = await flow.cli([
      "sign",
      "--key",
      flow.mallory.privatePath,
      ALLOWED_SIGNERS,
      REVOKED,
    ]);
    assert.equal(signed.code, 0, signed.stderr);
    const attack = await forceCommit(flow, "tidy up");
    assertCommitFails(
      await verifyHistory(flow, ["--range", "origin/main..main"]),
      attack,
      REVOKED,
      ["UNTRUSTED_TRUST_CHANGE"],
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: REVOKED, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);

    // Removing the file cannot be signed: the hook refuses, history too.
    await flow.ok(["reset", "-q", "--hard", "origin/main"]);
    await flow.ok(["rm", "-q", REVOKED]);
    const refused = await flow.git(["commit", "-q", "-m", "no revocations"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /deletes "\.mcp-orchestration\/revoked_keys"/);
    const removal = await forceCommit(flow, "no revocations");
    assertCommitFails(
      await verifyHistory(flow, ["--range", "origin/main..main"]),
      removal,
      REVOKED,
      ["UNTRUSTED_TRUST_CHANGE"],
    );
  },
});

Deno.test({
  name:
    "keys rotate: where the old key is not trusted, only the key changes; --principal names the new key's line",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await cliOk(flow, ["keys", "init"]);
    const untrusted = await cliOk(flow, ["keys", "rotate"]);
    assert.match(untrusted.stdout, /is not trusted in this repository/);
    await assert.rejects(Deno.stat(join(flow.repo.root, ALLOWED_SIGNERS)));

    await write(flow, { ".mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "adopt");
    const rotated = JSON.parse(
      (await cliOk(flow, [
        "keys",
        "rotate",
        "--principal",
        "alice@laptop.example.com",
        "--json",
      ])).stdout,
    );
    assert.deepEqual(rotated.repository.principals, [
      "alice@laptop.example.com",
    ]);
    const list = await readText(flow, ALLOWED_SIGNERS);
    assert.match(
      list,
      /^alice@laptop\.example\.com namespaces="mcp-orchestration" ssh-ed25519 /m,
    );
    await commit(flow, "rotate");
    await assertVerifies(flow, ["--rev", "HEAD"]);
    // Rotating again retires the new key the same way.
    await cliOk(flow, ["keys", "rotate"]);
    await commit(flow, "rotate again");
    await assertVerifies(flow, ["--range", "HEAD~2..HEAD"]);
  },
});
