/**
 * Attacks from the second review (issue 9), end to end: each is run as an
 * attacker with push rights but no trusted key would run it, against real
 * git, a bare remote and the hooks `init` installs. Each fails closed in
 * `verify --range … --json` (exit 1, with its code) and at the real
 * pre-push hook; the honest counterpart of each passes.
 *
 * 1. A stale branch whose trust-list history is longer brings back a key
 *    that main revoked (review item 1).
 * 2. A stale branch whose config chain is longer undoes main's fix (item 1).
 * 3. A branch from before the repository adopted the tool brings its own
 *    root of trust (item 3).
 * 4. A config and statement that a trusted signer signed in another
 *    repository, copied here (item 4); and `sign` continuing a chain from
 *    a statement nobody verified (item 4).
 * 5. `git push URL` of an orphan branch with its own trust list (item 10).
 * 6. A tombstone signed by an untrusted key, with the largest sequence
 *    number (item 11).
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
  EVIL,
  INDEX,
  indexId,
  statementText,
  STORE,
  V1,
  withSignedHistory,
} from "../support/attacks.ts";
import { runCli } from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  head,
  push,
  readText,
  sha256,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { createTempRepo } from "../support/repo.ts";
import { generateKey, sshSign } from "../support/ssh_keygen.ts";

const ON_WINDOWS = Deno.build.os === "windows";

/** Makes the working tree's `.mcp-orchestration` exactly `rev`'s. */
async function takeStoreOf(flow: Flow, rev: string): Promise<void> {
  await flow.ok(["rm", "-q", "-r", "--cached", "--ignore-unmatch", STORE]);
  await Deno.remove(join(flow.repo.root, STORE), { recursive: true });
  await flow.ok(["checkout", rev, "--", STORE]);
}

/**
 * Starts a merge of `branch` into the current branch without committing it,
 * then takes `paths` (and the whole store) from `branch`, as an attacker
 * resolving the merge in the other side's favour would.
 */
async function mergeTakingTheirs(
  flow: Flow,
  branch: string,
  paths: string[] = [],
): Promise<string> {
  await flow.git(["merge", "-q", "--no-ff", "--no-commit", branch]);
  for (const path of paths) await flow.ok(["checkout", branch, "--", path]);
  await takeStoreOf(flow, branch);
  const merge = await forceCommit(flow, `merge ${branch}`);
  const parents = (await flow.ok(["rev-list", "--parents", "-n", "1", merge]))
    .trim().split(" ");
  assert.equal(parents.length, 3, "not a merge commit");
  return merge;
}

async function trustAdd(flow: Flow, key: string, principal: string) {
  await cliOk(flow, ["trust", "add", key, "--principal", principal]);
}

// --- 1, 2: merges of stale branches ------------------------------------------------

Deno.test({
  name:
    "a stale branch with a longer trust-list history brings back a revoked key through a merge: UNTRUSTED_TRUST_CHANGE, push refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await trustAdd(flow, flow.mallory.publicPath, "mallory@example.com");
      await commit(flow, "trust mallory");
      await push(flow, "main");
      // A long-lived branch keeps changing the list (legitimately, by alice).
      await flow.ok(["checkout", "-q", "-b", "stale"]);
      const keys = join(flow.repo.home, "other keys");
      for (const name of ["bob", "carol"]) {
        const key = await generateKey(keys, name);
        await trustAdd(flow, key.publicPath, `${name}@example.com`);
        await commit(flow, `stale: trust ${name}`);
      }
      await push(flow, "stale");
      // Main revokes mallory.
      await flow.ok(["checkout", "-q", "main"]);
      await cliOk(flow, ["trust", "remove", "mallory@example.com"]);
      await commit(flow, "revoke mallory");
      await push(flow, "main");
      const base = await head(flow);
      assert.match(
        await statementText(flow, "stale", ALLOWED_SIGNERS),
        /^sequence [3-9]$/m,
      );

      // Mallory merges the stale branch, keeping its trust list, and signs.
      await flow.ok(["checkout", "-q", "-b", "attack"]);
      const merge = await mergeTakingTheirs(flow, "stale");
      assert.ok(
        (await readText(flow, ALLOWED_SIGNERS)).includes("mallory@example.com"),
      );
      await write(flow, { ".mcp.json": EVIL });
      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      const evil = await forceCommit(flow, "evil by mallory");

      const range = await verifyHistory(flow, ["--range", `${base}..attack`]);
      assertCommitFails(range, merge, ALLOWED_SIGNERS, [
        "UNTRUSTED_TRUST_CHANGE",
      ]);
      assertCommitFails(range, evil, undefined);
      await assertPushRefused(flow, ["origin", "attack:main"], "main", [
        { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
      ]);
    });
  },
});

Deno.test({
  name:
    "a stale branch with a longer config chain undoes main's fix through a merge: ROLLED_BACK; merges that follow both sides pass",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // main: v1 -> v2 (the fix). stale, from v1: two more versions.
      await flow.ok(["checkout", "-q", "-b", "stale", "v1"]);
      await commit(flow, "stale 2", { ".mcp.json": config("stale-2") });
      await commit(flow, "stale 3", { ".mcp.json": config("stale-3") });
      assert.match(
        await statementText(flow, "stale", ".mcp.json"),
        /^sequence 3$/m,
      );
      await push(flow, "stale");
      await flow.ok(["checkout", "-q", "main"]);
      const base = await head(flow);

      await flow.ok(["checkout", "-q", "-b", "attack"]);
      const merge = await mergeTakingTheirs(flow, "stale", [".mcp.json"]);
      assert.equal(await readText(flow, ".mcp.json"), config("stale-3"));
      const range = await verifyHistory(flow, ["--range", `${base}..attack`]);
      assertCommitFails(range, merge, ".mcp.json", ["ROLLED_BACK"]);
      await assertPushRefused(flow, ["origin", "attack:main"], "main", [
        { path: ".mcp.json", codes: ["ROLLED_BACK"] },
      ]);

      // Honest: the merge is completed with a version signed after both
      // sides (sign while the merge is in progress), which names both.
      await flow.ok(["checkout", "-q", "main"]);
      await flow.ok(["branch", "-q", "-D", "attack"]);
      assert.notEqual((await flow.git(["merge", "-q", "stale"])).code, 0);
      await write(flow, { ".mcp.json": config("merged") });
      await flow.ok(["checkout", "--ours", "--", INDEX]);
      await cliOk(flow, ["sign", ".mcp.json"]);
      await commit(flow, "merge stale");
      const statement = await statementText(flow, "HEAD", ".mcp.json");
      assert.match(statement, /^sequence 4$/m);
      const both = [sha256(config("server-v2")), sha256(config("stale-3"))]
        .sort().join(" ");
      assert.ok(statement.includes(`previous ${both}\n`), statement);
      await assertVerifies(flow, ["--range", `${base}..main`]);

      // Honest: one side changed the config twice, the other not at all;
      // the merge takes the changed side as it is.
      await flow.ok(["checkout", "-q", "-b", "feature"]);
      await commit(flow, "feature a", { ".mcp.json": config("feature-a") });
      await commit(flow, "feature b", { ".mcp.json": config("feature-b") });
      await flow.ok(["checkout", "-q", "main"]);
      await commit(flow, "main docs", { "README.md": "docs\n" });
      await flow.ok([
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge feature",
        "feature",
      ]);
      await assertVerifies(flow, ["--range", `${base}..main`]);
      await push(flow, "main");
    });
  },
});

// --- 3: a second root of trust ------------------------------------------------------

Deno.test({
  name:
    "a branch from before adoption brings its own self-signed trust list: UNTRUSTED_TRUST_CHANGE once the base has one, push refused",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow({ keys: ["mallory"] });
    await write(flow, { "README.md": "before adoption\n" });
    await flow.ok(["add", "-A"]);
    await flow.ok(["commit", "-q", "-m", "before adoption"]);
    const before = await head(flow);
    await push(flow, "main");
    // The adoption itself, pushed onto a remote without a trust list, passes.
    await write(flow, { ".mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "adopt");
    await assertVerifies(flow, ["--range", `${before}..main`]);
    await push(flow, "main");

    // Mallory's branch from the old commit: her own list, her own config.
    await flow.ok(["checkout", "-q", "-b", "evil", before]);
    await trustAdd(flow, flow.mallory.publicPath, "mallory@example.com");
    await write(flow, { ".mcp.json": EVIL });
    await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
    const evil = await forceCommit(flow, "mallory's root");
    assert.equal(
      (await flow.ok(["rev-list", "--parents", "-n", "1", evil])).trim(),
      `${evil} ${before}`,
    );
    const range = await verifyHistory(flow, ["--range", "origin/main..evil"]);
    assertCommitFails(range, evil, ALLOWED_SIGNERS, ["UNTRUSTED_TRUST_CHANGE"]);
    await assertPushRefused(flow, ["origin", "evil"], "evil", [
      { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);
    await assertPushRefused(flow, ["origin", "evil:main"], "main");
  },
});

// --- 4: replay from another repository, unverified chains ---------------------------

Deno.test({
  name:
    "a config alice signed in another repository, copied here with its statement: SUBSTITUTED in verify, verify --rev and pre-push",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // Alice's own playground: the same key, the same path, other content.
      await using other = await createTempRepo();
      const run = (args: string[]) =>
        runCli(args, { cwd: other.root, home: flow.repo.home });
      await other.write(".mcp.json", EVIL);
      const init = await run(["init", "--principal", "alice@example.com"]);
      assert.equal(init.code, 0, init.stderr);
      const theirIndex = new TextDecoder().decode(
        await other.read(`${STORE}/index`),
      );
      const id = theirIndex.split("\n").find((l) => l.endsWith(" .mcp.json"))!
        .slice(0, 64);

      // Mallory copies config, artifact, statement and signature here.
      await write(flow, { ".mcp.json": EVIL });
      for (
        const path of [
          `${STORE}/statements/${id}`,
          `${STORE}/statements/${id}.sig`,
          `${STORE}/artifacts/${sha256(EVIL)}`,
        ]
      ) {
        await flow.repo.write(path, await other.read(path));
      }
      const lines = (await readText(flow, INDEX)).split("\n").map((l) =>
        l.endsWith(" .mcp.json") ? `${id} .mcp.json` : l
      );
      await write(flow, { [INDEX]: lines.join("\n") });
      const replayed = await forceCommit(flow, "replay");

      const verify = await flow.cli(["verify", "--json"]);
      assert.equal(verify.code, 1, verify.stdout);
      const results = JSON.parse(verify.stdout).results as {
        path: string;
        code?: string;
      }[];
      assert.equal(
        results.find((r) => r.path === ".mcp.json")?.code,
        "SUBSTITUTED",
        verify.stdout,
      );
      assertCommitFails(
        await verifyHistory(flow, ["--rev", "HEAD"]),
        replayed,
        ".mcp.json",
        ["SUBSTITUTED"],
      );
      await assertPushRefused(flow, ["origin", "main"], "main", [
        { path: ".mcp.json", codes: ["SUBSTITUTED"] },
      ]);
    });
  },
});

Deno.test({
  name:
    "sign does not continue a chain from a statement that does not verify (an attacker's huge sequence number)",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // Mallory rewrites the statement's sequence (the signature no longer
      // verifies) and commits it past the hooks.
      const id = await indexId(flow, "HEAD", ".mcp.json");
      const text = (await statementText(flow, "HEAD", ".mcp.json"))
        .replace(/^sequence \d+$/m, "sequence 2147483640");
      const forged = sha256(text);
      await write(flow, {
        [`${STORE}/statements/${forged}`]: text,
        [`${STORE}/statements/${forged}.sig`]: await readText(
          flow,
          `${STORE}/statements/${id}.sig`,
        ),
        [INDEX]: (await readText(flow, INDEX)).replace(id, forged),
      });
      await forceCommit(flow, "forged sequence");

      // Alice edits the config and signs: the tool refuses to build on the
      // forged version instead of signing sequence 2147483641.
      await write(flow, { ".mcp.json": config("alice-v3") });
      const signed = await flow.cli(["sign"]);
      assert.notEqual(signed.code, 0, signed.stdout);
      assertCliError(
        signed,
        "INVALID_FORMAT",
        /\.mcp\.json/,
        /does not verify/,
      );
      assert.equal(await indexId(flow, "HEAD", ".mcp.json"), forged);
      assert.ok((await readText(flow, INDEX)).includes(forged));
    });
  },
});

// --- 5: push to a URL ---------------------------------------------------------------

Deno.test({
  name:
    "git push URL of an orphan branch with mallory's own trust list is refused: the remote is asked what it holds",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await flow.ok(["checkout", "-q", "--orphan", "orph"]);
      await flow.ok(["rm", "-q", "-r", "-f", "."]);
      await trustAdd(flow, flow.mallory.publicPath, "mallory@example.com");
      await write(flow, { ".mcp.json": EVIL });
      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      await forceCommit(flow, "new root");
      const url = `file://${flow.remote.root}`;
      await assertPushRefused(flow, [url, "orph"], "orph", [
        { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
      ]);
      await assertPushRefused(flow, [flow.remote.root, "orph"], "orph");
    });
  },
});

// --- 6: tombstones ------------------------------------------------------------------

Deno.test({
  name:
    "a tombstone signed by an untrusted key with the largest sequence number: fails, push refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const base = await head(flow);
      const path = ".cursor/mcp.json";
      const list = await readText(flow, ALLOWED_SIGNERS);
      const repository = /^# mcp-orchestration-repository ([0-9a-f]{32})$/m
        .exec(list)?.[1];
      const fingerprint = (await new Deno.Command("ssh-keygen", {
        args: ["-lf", flow.mallory.publicPath],
        stdout: "piped",
      }).output()).stdout;
      const signer = new TextDecoder().decode(fingerprint).split(" ")[1]!;
      const text = [
        repository
          ? `mcp-orchestration-statement v2\nrepository ${repository}`
          : "mcp-orchestration-statement v1",
        `path ${path}`,
        `artifact ${sha256(EVIL)}`,
        `size ${new TextEncoder().encode(EVIL).length}`,
        `signer ${signer}`,
        `signed-at 2026-01-01T00:00:00Z`,
        `sequence 2147483647`,
        `previous ${"e".repeat(64)}`,
        "",
      ].join("\n");
      const id = sha256(text);
      const statementFile = `${STORE}/statements/${id}`;
      await write(flow, {
        [statementFile]: text,
        [`${STORE}/artifacts/${sha256(EVIL)}`]: EVIL,
      });
      await sshSign({
        keyPath: flow.mallory.privatePath,
        namespace: "mcp-orchestration",
        messagePath: join(flow.repo.root, statementFile),
      });
      const lines = (await readText(flow, INDEX)).trimEnd().split("\n");
      lines.push(`${id} ${path}`);
      const header = lines.shift()!;
      lines.sort((a, b) => a.slice(65) < b.slice(65) ? -1 : 1);
      await write(flow, { [INDEX]: [header, ...lines, ""].join("\n") });
      const planted = await forceCommit(flow, "plant a tombstone");

      const range = await verifyHistory(flow, ["--range", `${base}..HEAD`]);
      assertCommitFails(range, planted, path, ["UNTRUSTED_SIGNER"]);
      await assertPushRefused(flow, ["origin", "main"], "main", [
        { path, codes: ["UNTRUSTED_SIGNER"] },
      ]);
    });
  },
});

// --- repository ids ----------------------------------------------------------------

Deno.test({
  name:
    "a new repository gets an id in its trust list, its statements name it, and init again changes nothing",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const list = await readText(flow, ALLOWED_SIGNERS);
      assert.match(list, /^# mcp-orchestration-repository [0-9a-f]{32}\n/);
      assert.match(
        await statementText(flow, "HEAD", ".mcp.json"),
        /^mcp-orchestration-statement v2\nrepository [0-9a-f]{32}\n/,
      );
      const again = await flow.cli(["init"]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await readText(flow, ALLOWED_SIGNERS), list);
    });
  },
});

Deno.test({
  name:
    "a repository signed before repository ids: v1 statements verify until init gives it one and re-signs, and history stays valid",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await write(flow, { "README.md": "hello\n", ".mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    // Make it a list from before ids: drop the id line, sign again (format
    // version 1, as earlier releases wrote), commit.
    const list = await readText(flow, ALLOWED_SIGNERS);
    await write(flow, {
      [ALLOWED_SIGNERS]: list.replace(
        /^# mcp-orchestration-repository .*\n/,
        "",
      ),
    });
    await cliOk(flow, ["sign"]);
    assert.match(
      await readText(
        flow,
        `${STORE}/statements/${
          (await readText(flow, INDEX)).match(
            /^([0-9a-f]{64}) \.mcp\.json$/m,
          )![1]
        }`,
      ),
      /^mcp-orchestration-statement v1\n/,
    );
    const legacy = await commit(flow, "signed before repository ids");
    await assertVerifies(flow, ["--rev", legacy]);
    await push(flow, "main");

    // The upgrade: init gives the list an id and re-signs what it signs.
    const upgraded = await flow.cli(["init"]);
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.match(upgraded.stdout, /gave this repository the id [0-9a-f]{32}/);
    assert.match(
      await readText(flow, ALLOWED_SIGNERS),
      /^# mcp-orchestration-repository [0-9a-f]{32}\n/,
    );
    await commit(flow, "give the repository an id");
    assert.match(
      await statementText(flow, "HEAD", ".mcp.json"),
      /^mcp-orchestration-statement v2\nrepository [0-9a-f]{32}\n/,
    );
    await assertVerifies(flow, ["--range", `${legacy}..HEAD`]);
    await push(flow, "main");
  },
});

// --- 7: trust-list size -------------------------------------------------------------

Deno.test({
  name:
    "a trust list over 1 MiB is refused by verify, trust add and history, and cannot turn into a new root of trust",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const base = await head(flow);
      const list = await readText(flow, ALLOWED_SIGNERS);
      await write(flow, {
        [ALLOWED_SIGNERS]: list + `# ${"x".repeat(1000)}\n`.repeat(1100),
      });
      const verify = await flow.cli(["verify"]);
      assert.notEqual(verify.code, 0);
      assertCliError(
        verify,
        "INVALID_FORMAT",
        /allowed_signers.*over the limit of 1048576/,
      );
      const added = await flow.cli([
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      assert.notEqual(added.code, 0);
      assertCliError(added, "INVALID_FORMAT", /over the limit of 1048576/);
      const huge = await forceCommit(flow, "a huge trust list");
      // The next commit swaps in mallory's own list and config, self-signed
      // (made on an orphan branch, where nothing came before).
      await flow.ok(["checkout", "-q", "--orphan", "mallory"]);
      await flow.ok(["rm", "-q", "-r", "-f", "."]);
      await cliOk(flow, [
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      await write(flow, { ".mcp.json": EVIL });
      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      await forceCommit(flow, "mallory's own");
      // The post-checkout hook says so, loudly, at each step (it cannot
      // stop either checkout).
      const toMain = await flow.git(["checkout", "-q", "main"]);
      assert.equal(toMain.code, 1);
      assert.match(toMain.stderr, /could NOT be verified/);
      assertCliError(toMain, "INVALID_FORMAT", /over the limit of 1048576/);
      const taken = await flow.git([
        "checkout",
        "mallory",
        "--",
        STORE,
        ".mcp.json",
      ]);
      // Mallory's list and config agree with each other: the working tree
      // alone cannot tell whose list it is, history can (below).
      assert.equal(taken.code, 0, taken.stderr);
      const swapped = await forceCommit(flow, "mallory's list");
      const range = await verifyHistory(flow, ["--range", `${base}..HEAD`]);
      assertCommitFails(range, huge, ALLOWED_SIGNERS, [
        "UNTRUSTED_TRUST_CHANGE",
      ]);
      assertCommitFails(range, swapped, ALLOWED_SIGNERS, [
        "UNTRUSTED_TRUST_CHANGE",
      ]);
      const alone = await verifyHistory(flow, ["--range", `${huge}..HEAD`]);
      assertCommitFails(alone, swapped, ALLOWED_SIGNERS, [
        "UNTRUSTED_TRUST_CHANGE",
      ]);
    });
  },
});

Deno.test({
  name:
    "sign during a merge does not follow a version the other side's trust list does not trust (a sequence near the limit would freeze the path)",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // Mallory's branch: her own signature on a new version (valid, but by
      // a key nobody trusts), committed past the hooks.
      await flow.ok(["checkout", "-q", "-b", "mallory"]);
      await write(flow, { ".mcp.json": config("mallory") });
      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      await forceCommit(flow, "mallory's version");
      await flow.ok(["checkout", "-q", "main"]);
      await commit(flow, "alice's version", { ".mcp.json": config("alice") });
      assert.notEqual((await flow.git(["merge", "-q", "mallory"])).code, 0);
      await write(flow, { ".mcp.json": config("merged") });
      await flow.ok(["checkout", "--ours", "--", INDEX]);
      const signed = await flow.cli(["sign", ".mcp.json"]);
      assert.notEqual(signed.code, 0, signed.stdout);
      assertCliError(
        signed,
        "INVALID_FORMAT",
        /does not verify there \(UNTRUSTED_SIGNER/,
      );
      await flow.ok(["merge", "--abort"]);
    });
  },
});
