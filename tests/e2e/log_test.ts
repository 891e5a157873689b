/**
 * `log`, end to end with real git, the real hooks and real keys: Alice
 * signs v1, Bob is trusted and signs v2, Bob approves Alice's other config,
 * Carol is trusted then revoked, a config is deleted, and a statement is
 * tampered with in a commit made with --no-verify. The log shows each
 * version with the principal the trust list of its own commit gives, each
 * trust change between, and the tampered version as failing; `--json` is
 * checked field by field; PATH filters, `--rev` starts elsewhere, and a bad
 * revision or a path that is no config is a clear error.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cliOk,
  commit,
  createFlow,
  forceCommit,
  installHooks,
  revParse,
} from "../support/flow.ts";
import { config } from "../support/attacks.ts";
import { runCli } from "../support/cli.ts";
import { createTempRepo } from "../support/repo.ts";

const STORE = ".mcp-orchestration";
const ONE = config("server-v1");
const TWO = config("server-v2");

interface Event {
  type: string;
  commit: { id: string; date: string; subject: string };
  verification: { status: string; code: string | null; reason: string };
  [field: string]: unknown;
}

async function logJson(
  flow: {
    cli(
      args: string[],
    ): Promise<{ code: number; stdout: string; stderr: string }>;
  },
  args: string[] = [],
): Promise<Event[]> {
  const result = await flow.cli(["log", ...args, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Event[];
}

async function statementId(root: string, path: string): Promise<string> {
  const index = await Deno.readTextFile(join(root, STORE, "index"));
  const line = index.split("\n").find((entry) => entry.slice(65) === path);
  assert.ok(line, `no index line for ${path}:\n${index}`);
  return line.slice(0, 64);
}

Deno.test("log: the audit trail of signed versions, approvals and trust changes along history", async (t) => {
  await using flow = await createFlow({ keys: ["bob", "carol"] });
  await installHooks(flow, "alice@example.com");
  const bobKey = { MCP_ORCHESTRATION_KEY: flow.bob.privatePath };

  const v1 = await commit(flow, "Alice signs v1", {
    ".mcp.json": ONE,
    ".cursor/mcp.json": ONE,
  });
  const aliceKey = (await cliOk(flow, ["keys", "show", "--json"])).stdout;
  const alice = JSON.parse(aliceKey).keyId as string;
  const v1Id = await statementId(flow.repo.root, ".mcp.json");
  await cliOk(flow, [
    "trust",
    "add",
    flow.bob.publicPath,
    "--principal",
    "bob@example.com",
  ]);
  const trustBob = await commit(flow, "Trust Bob");
  const v2 = await commit(flow, "Bob signs v2", { ".mcp.json": TWO }, bobKey);
  const v2Id = await statementId(flow.repo.root, ".mcp.json");
  const cursorId = await statementId(flow.repo.root, ".cursor/mcp.json");
  await cliOk(flow, [
    "approve",
    ".cursor/mcp.json",
    "--key",
    flow.bob.privatePath,
  ]);
  const approved = await commit(flow, "Bob approves the cursor config");
  await cliOk(flow, [
    "trust",
    "add",
    flow.carol.publicPath,
    "--principal",
    "carol@example.com",
  ]);
  await commit(flow, "Trust Carol");
  await cliOk(flow, [
    "trust",
    "revoke",
    flow.carol.fingerprint,
    "--reason",
    "laptop stolen",
  ]);
  const revoked = await commit(flow, "Revoke Carol");
  await Deno.remove(join(flow.repo.root, ".cursor/mcp.json"));
  const deleted = await commit(flow, "Drop the cursor config");
  // Tampered: the statement's bytes changed in place (signed-at moved),
  // committed past the hooks.
  const statementFile = join(flow.repo.root, STORE, "statements", v2Id);
  const original = await Deno.readTextFile(statementFile);
  await Deno.writeTextFile(
    statementFile,
    original.replace(
      /signed-at (\d{4})/,
      (_, year) => `signed-at ${Number(year) - 1}`,
    ),
  );
  const tampered = await forceCommit(flow, "Backdate Bob's statement");

  await t.step(
    "--json: every event, newest first, field by field",
    async () => {
      const events = await logJson(flow);
      const types = events.map((event) =>
        `${event.type} ${event.path ?? event.keyId ?? ""}`
      );
      assert.deepEqual(types, [
        "failing .mcp.json",
        "deleted .cursor/mcp.json",
        `revoked ${flow.carol.fingerprint}`,
        // Revoking takes the key off the trust list too.
        `trust-removed ${flow.carol.fingerprint}`,
        `trust-added ${flow.carol.fingerprint}`,
        "approved .cursor/mcp.json",
        "signed .mcp.json",
        `trust-added ${flow.bob.fingerprint}`,
        // The first commit: the trust list (Alice) and both configs.
        "signed .mcp.json",
        "signed .cursor/mcp.json",
        `trust-added ${alice}`,
      ]);

      const [
        failing,
        gone,
        revocation,
        ,
        ,
        approval,
        bobSigned,
        ,
        aliceSigned,
      ] = events;
      assert.deepEqual(failing!.commit.id, tampered);
      assert.equal(failing!.commit.subject, "Backdate Bob's statement");
      assert.equal(failing!.statementId, v2Id);
      assert.equal(failing!.verification.status, "failed");
      assert.equal(failing!.verification.code, "MALFORMED");
      assert.match(failing!.verification.reason, /does not hash to its name/);

      assert.equal(gone!.commit.id, deleted);
      assert.equal(gone!.statementId, cursorId);
      assert.equal(gone!.verification.status, "verified");

      assert.equal(revocation!.commit.id, revoked);
      assert.deepEqual(
        revocation!.recorded && typeof revocation!.recorded,
        "object",
      );
      assert.equal(
        (revocation!.recorded as { reason: string }).reason,
        "laptop stolen",
      );
      assert.match(revocation!.comment as string, /carol@example\.com/);
      assert.deepEqual(revocation!.signedBy, {
        keyId: alice,
        principals: ["alice@example.com"],
      });
      assert.equal(revocation!.verification.status, "verified");

      assert.equal(approval!.commit.id, approved);
      assert.equal(approval!.statementId, cursorId);
      assert.equal(approval!.keyId, flow.bob.fingerprint);
      assert.deepEqual(approval!.principals, ["bob@example.com"]);
      assert.equal(approval!.verification.status, "verified");

      assert.deepEqual(
        { ...bobSigned, commit: bobSigned!.commit.id },
        {
          type: "signed",
          commit: v2,
          path: ".mcp.json",
          statementId: v2Id,
          artifact: bobSigned!.artifact,
          signer: flow.bob.fingerprint,
          principals: ["bob@example.com"],
          signedAt: bobSigned!.signedAt,
          sequence: 2,
          previous: [aliceSigned!.artifact],
          verification: bobSigned!.verification,
        },
      );
      assert.match(bobSigned!.artifact as string, /^[0-9a-f]{64}$/);
      assert.match(
        bobSigned!.signedAt as string,
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
      assert.equal(bobSigned!.verification.status, "verified");
      assert.equal(bobSigned!.verification.code, null);
      assert.match(bobSigned!.commit.date, /^\d{4}-\d\d-\d\dT/);

      assert.equal(aliceSigned!.commit.id, v1);
      assert.equal(aliceSigned!.statementId, v1Id);
      assert.equal(aliceSigned!.signer, alice);
      assert.deepEqual(aliceSigned!.principals, ["alice@example.com"]);
      assert.equal(aliceSigned!.sequence, 1);
      assert.deepEqual(aliceSigned!.previous, []);

      const bobTrusted = events.find((event) =>
        event.type === "trust-added" && event.keyId === flow.bob.fingerprint
      )!;
      assert.equal(bobTrusted.commit.id, trustBob);
      assert.deepEqual(bobTrusted.principals, ["bob@example.com"]);
      assert.deepEqual(bobTrusted.signedBy, {
        keyId: alice,
        principals: ["alice@example.com"],
      });
    },
  );

  await t.step("--reverse: the same events, oldest first", async () => {
    const newest = await logJson(flow);
    const oldest = await logJson(flow, ["--reverse"]);
    assert.deepEqual(
      oldest.map((e) => `${e.commit.id} ${e.type}`),
      newest.map((e) => `${e.commit.id} ${e.type}`).reverse(),
    );
  });

  await t.step(
    "text: one block per event, the tampered version FAILED",
    async () => {
      const result = await cliOk(flow, ["log"]);
      const blocks = result.stdout.split("\n\n");
      assert.equal(blocks.length, 11, result.stdout);
      assert.ok(blocks[0]!.startsWith("failing  .mcp.json\n"), blocks[0]);
      assert.match(blocks[0]!, /status {4}FAILED MALFORMED: .*does not hash/);
      assert.match(
        result.stdout,
        new RegExp(
          `signed   \\.mcp\\.json  \\(sequence 2\\)\\n  artifact  [0-9a-f]{64}\\n  signer    ${
            flow.bob.fingerprint.replace(/[+/]/g, "\\$&")
          }  bob@example\\.com\\n`,
        ),
      );
      assert.match(result.stdout, /reason {4}laptop stolen \(at \S+Z\)/);
      assert.match(
        result.stdout,
        /commit {4}[0-9a-f]{12} {2}\S+ {2}Trust Bob\n/,
      );
    },
  );

  await t.step(
    "PATH: only that config's events, and the trust changes",
    async () => {
      const events = await logJson(flow, [".cursor/mcp.json"]);
      assert.deepEqual(
        events.filter((e) => "path" in e).map((e) => `${e.type} ${e.path}`),
        [
          "deleted .cursor/mcp.json",
          "approved .cursor/mcp.json",
          "signed .cursor/mcp.json",
        ],
      );
      assert.ok(events.some((e) => e.type === "revoked"));
      // Relative to the working folder, as other commands take paths.
      const folder = join(flow.repo.root, ".cursor");
      await Deno.mkdir(folder, { recursive: true });
      const sub = await runCli(["log", "mcp.json", "--json"], {
        cwd: folder,
        home: flow.repo.home,
      });
      assert.equal(sub.code, 0, sub.stderr);
      assert.deepEqual(
        (JSON.parse(sub.stdout) as Event[]).filter((e) => "path" in e).map((
          e,
        ) => e.path),
        [".cursor/mcp.json", ".cursor/mcp.json", ".cursor/mcp.json"],
      );
    },
  );

  await t.step("--rev: the history of another commit", async () => {
    const events = await logJson(flow, ["--rev", "HEAD~1"]);
    assert.ok(!events.some((e) => e.type === "failing"));
    assert.equal(events[0]!.type, "deleted");
    const early = await logJson(flow, ["--rev", v2]);
    assert.equal(early[0]!.commit.id, v2);
    assert.equal(early.length, 5);
    assert.equal(await revParse(flow, "HEAD"), tampered);
  });

  await t.step(
    "a bad revision and a path that is no config are clear errors",
    async () => {
      const bad = await flow.cli(["log", "--rev", "no-such-branch"]);
      assert.equal(bad.code, 2);
      assert.match(
        bad.stderr,
        /error\[USAGE\]: Invalid revision "no-such-branch"/,
      );
      const option = await flow.cli(["log", "--rev", "--all"]);
      assert.equal(option.code, 2);
      const json = await flow.cli(["log", "--rev", "nope", "--json"]);
      assert.equal(JSON.parse(json.stderr).code, "USAGE");
      const notConfig = await flow.cli(["log", "README.md"]);
      assert.equal(notConfig.code, 1);
      assert.match(
        notConfig.stderr,
        /error\[BAD_PATH\]: Cannot log "README\.md": no commit in the history of "HEAD" signed a config at that path/,
      );
      const trustFile = await flow.cli(["log", `${STORE}/allowed_signers`]);
      assert.match(trustFile.stderr, /is a trust file, not an MCP config/);
      const outside = await flow.cli(["log", "../x.json"]);
      assert.match(outside.stderr, /outside the repository/);
    },
  );
});

Deno.test("log: a trust change no trusted key approved gives its keys no principal", async () => {
  await using flow = await createFlow({ keys: ["mallory"] });
  await installHooks(flow, "alice@example.com");
  await commit(flow, "Alice signs v1", { ".mcp.json": ONE });
  // Mallory adds herself and signs with her own key, past the hooks.
  await cliOk(flow, [
    "trust",
    "add",
    flow.mallory.publicPath,
    "--principal",
    "alice@example.com",
  ]);
  await flow.repo.write(".mcp.json", TWO);
  await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
  const forged = await forceCommit(flow, "Mallory trusts herself");

  const events = await logJson(flow);
  const mine = events.filter((event) => event.commit.id === forged);
  const added = mine.find((event) => event.type === "trust-added")!;
  assert.equal(added.keyId, flow.mallory.fingerprint);
  assert.equal(added.verification.status, "failed");
  assert.equal(added.verification.code, "UNTRUSTED_TRUST_CHANGE");
  assert.deepEqual(added.signedBy, {
    keyId: flow.mallory.fingerprint,
    principals: [],
  });
  const signed = mine.find((event) => event.type === "signed")!;
  assert.equal(signed.signer, flow.mallory.fingerprint);
  // The forged list maps her key to "alice@example.com": never shown.
  assert.deepEqual(signed.principals, []);
  assert.equal(signed.verification.status, "failed");
  assert.equal(signed.verification.code, "UNTRUSTED_TRUST_CHANGE");
  const text = (await cliOk(flow, ["log", "--rev", forged])).stdout;
  assert.match(
    text,
    new RegExp(
      `signer {4}${
        flow.mallory.fingerprint.replace(/[+/]/g, "\\$&")
      } {2}\\(claimed; not verified here\\)`,
    ),
  );
});

Deno.test("log: a merge shows only what none of its parents had", async () => {
  await using flow = await createFlow({ keys: ["bob"] });
  await installHooks(flow, "alice@example.com");
  await commit(flow, "Alice signs v1", {
    ".mcp.json": ONE,
    "tools/.mcp.json": ONE,
  });
  await flow.ok(["switch", "-q", "-c", "feature"]);
  const side = await commit(flow, "Tools v2", { "tools/.mcp.json": TWO });
  await flow.ok(["switch", "-q", "main"]);
  await cliOk(flow, [
    "trust",
    "add",
    flow.bob.publicPath,
    "--principal",
    "bob@example.com",
  ]);
  await commit(flow, "Trust Bob");
  await flow.ok(["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"]);
  const merge = await revParse(flow, "HEAD");

  const events = await logJson(flow);
  assert.deepEqual(events.filter((e) => e.commit.id === merge), []);
  const tools = events.filter((e) =>
    e.type === "signed" && e.path === "tools/.mcp.json"
  );
  assert.deepEqual(
    tools.map((e) => [e.commit.id === side, e.sequence]),
    [[true, 2], [false, 1]],
  );
  assert.equal(
    events.filter((e) => e.type === "trust-added").length,
    2, // Alice, then Bob: the merge adds neither again.
  );
  assert.ok(events.every((e) => e.verification.status === "verified"));

  // A commit that drops a config's index line (past the hooks) shows it.
  const index = join(flow.repo.root, STORE, "index");
  const lines = (await Deno.readTextFile(index)).split("\n");
  await Deno.writeTextFile(
    index,
    lines.filter((line) => !line.endsWith(" tools/.mcp.json")).join("\n"),
  );
  const dropped = await forceCommit(flow, "Drop the tools line");
  const [last] = await logJson(flow);
  assert.equal(last!.commit.id, dropped);
  assert.equal(last!.type, "failing");
  assert.equal(last!.path, "tools/.mcp.json");
  assert.equal(last!.statementId, tools[0]!.statementId);
  // What verify --rev says of it: the config is there, unsigned.
  assert.equal(last!.verification.status, "failed");
  assert.equal(last!.verification.code, "UNSIGNED");

  // A line naming a statement whose bytes do not hash to its name: shown
  // as tampered, none of its claims repeated.
  const real = await statementId(flow.repo.root, ".mcp.json");
  const fake = "f".repeat(64);
  const statements = join(flow.repo.root, STORE, "statements");
  await Deno.copyFile(join(statements, real), join(statements, fake));
  await Deno.copyFile(
    join(statements, `${real}.sig`),
    join(statements, `${fake}.sig`),
  );
  await Deno.writeTextFile(
    index,
    (await Deno.readTextFile(index)).replace(real, fake),
  );
  const forged = await forceCommit(flow, "Point at a forged statement");
  const [tamperedEvent] = await logJson(flow, [".mcp.json"]);
  assert.deepEqual(tamperedEvent, {
    type: "tampered",
    commit: tamperedEvent!.commit,
    path: ".mcp.json",
    statementId: fake,
    verification: tamperedEvent!.verification,
  });
  assert.equal(tamperedEvent!.commit.id, forged);
  assert.equal(tamperedEvent!.verification.code, "MALFORMED");
  assert.match(tamperedEvent!.verification.reason, /does not hash to its name/);
});

Deno.test("log: a key rotation shows the new key trusted and the old one retired", async () => {
  await using flow = await createFlow();
  await installHooks(flow, "alice@example.com");
  await commit(flow, "Alice signs v1", { ".mcp.json": ONE });
  const old = JSON.parse((await cliOk(flow, ["keys", "show", "--json"])).stdout)
    .keyId as string;
  const rotated = JSON.parse(
    (await cliOk(flow, ["keys", "rotate", "--json"])).stdout,
  );
  const rotation = await commit(flow, "Rotate Alice's key");
  const events = (await logJson(flow)).filter((e) => e.commit.id === rotation);
  assert.deepEqual(
    events.map((e) => [e.type, e.keyId, e.principals]),
    [
      ["retired", old, ["alice@example.com"]],
      ["trust-added", rotated.created.keyId, ["alice@example.com"]],
    ],
  );
  for (const event of events) {
    assert.equal(event.verification.status, "verified");
    // Signed by the old key, which the list before it trusted.
    assert.deepEqual(event.signedBy, {
      keyId: old,
      principals: ["alice@example.com"],
    });
  }
});

Deno.test("log: a repository without commits has an empty log; --rev HEAD there is an error", async () => {
  await using repo = await createTempRepo();
  const at = { cwd: repo.root, home: repo.home };
  const empty = await runCli(["log", "--json"], at);
  assert.equal(empty.code, 0, empty.stderr);
  assert.deepEqual(JSON.parse(empty.stdout), []);
  const text = await runCli(["log"], at);
  assert.equal(
    text.stdout,
    "No signed configs or trust changes in this history\n",
  );
  const head = await runCli(["log", "--rev", "HEAD"], at);
  assert.equal(head.code, 2);
  assert.match(head.stderr, /Invalid revision "HEAD"/);
});
