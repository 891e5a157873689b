/**
 * Red team 8: team trust (issue 13) attacked by an insider who holds one
 * trusted key, end to end with real git, a bare remote, the real hooks and
 * ssh-keygen keys. Each test asserts the secure behaviour.
 *
 * 1. **A retired key signs on a branch forked before the rotation.** The
 *    retired-key rule let a signature count when a parent had the same
 *    signature file; a branch forked before `keys rotate` still trusts the
 *    old key as current, so its holder (a thief with the old laptop's
 *    backup) signed a new config there and merged the branch after the
 *    rotation: the merge carried a parent's signature, and `verify --range`,
 *    `verify --rev` and pre-push to main all passed. Now a
 *    retired key's signature counts only when a parent whose list already
 *    retires the key has it (when any parent retires it): RETIRED_KEY.
 * 2. **A pending change reaches main through a review branch.** The
 *    pre-push hook verifies only the commits the remote has on no branch;
 *    a trust change waiting for approval may go to a review branch (with a
 *    note), after which pushing the same commit, or one built on it, to the
 *    default branch (or tagging it) verified nothing of it and passed. Now
 *    a push to the default branch verifies every commit that branch does not
 *    have yet, wherever else the remote holds it, and so does a new tag:
 *    PENDING_APPROVAL.
 * 3. **The same through a merge that adds a trust file.** A `revoked_keys`
 *    added on a review branch by one admin of the two the policy needs is
 *    pending there; a merge of that branch into main was judged only
 *    against main, where "added on another side of the merge" passed it:
 *    refused now as in 2.
 * 4. **A retired key approves on a branch forked before the rotation.**
 *    As 1, with an approval: bob, who got hold of alice's retired key, signs
 *    `.mcp.json` (which needs alice and bob) on a branch forked before
 *    alice's rotation and approves it with her old key there; the merge
 *    after the rotation counted alice. Now RETIRED_KEY, as in 1.
 * 5. **A trust change on top of a pending one, itself pending.** "Nothing
 *    may change a trust file on top of a pending change" was reported as
 *    UNTRUSTED_TRUST_CHANGE only when the second change was not pending
 *    itself: a PENDING_APPROVAL for the same path hid it, and the first
 *    change was no longer tracked. Alice alone added a second key of hers
 *    as bob (pending), then changed the policy (pending against that list),
 *    then approved the policy change with the new "bob" key: the range and
 *    pre-push to main passed, and one admin held two admin principals.
 *    Now a hard failure outranks a pending one for the same path.
 * 6. **A rollback hidden by a pending threshold.** A config rolled back to
 *    an older statement (ROLLED_BACK) that is short of its threshold in the
 *    same commit was reported only as PENDING_APPROVAL, which passes inside
 *    a range; a later commit restored the old approval file from history,
 *    and the tip, which keeps the statement, passed: one lead rolled
 *    `.mcp.json` back to a version two had approved long ago. Now the
 *    history failure is reported.
 * 7. **A retired key's new signature, pending first.** The retired-key
 *    rule looked only at passing results: a new statement by a retired key
 *    short of its threshold was PENDING_APPROVAL (passing inside a range),
 *    and once approved in a later commit its signature was "already there in
 *    a parent". Bob, with alice's retired key, signed `.mcp.json` (which
 *    needs alice and bob) as alice, then approved it himself: the range
 *    passed. Now a pending result is held to the rule too: RETIRED_KEY.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  assertCommitFails,
  assertPushRefused,
  config,
  INDEX,
  indexId,
  setIndexLine,
  V1,
  V2,
} from "../support/attacks.ts";
import { join } from "node:path";
import { sshSign } from "../support/ssh_keygen.ts";
import { loadSigningKey } from "../../src/keys/key_store.ts";
import { formatStatement, parseStatement } from "../../src/store/statement.ts";
import { createSshSignature } from "../../src/format/sshsig.ts";
import { sha256Hex } from "../../src/crypto/sha.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  head,
  push,
  sharedFlow,
  verifyHistory,
  write,
} from "../support/flow.ts";

const CURSOR = ".cursor/mcp.json";
const POLICY = ".mcp-orchestration/policy.json";
const REVOKED = ".mcp-orchestration/revoked_keys";
const ON_WINDOWS = Deno.build.os === "windows";

function policy(version: number, threshold: number): string {
  return JSON.stringify(
    {
      format: "mcp-orchestration-policy v1",
      version,
      groups: {
        admins: ["alice@example.com", "bob@example.com"],
        leads: ["alice@example.com"],
        security: ["bob@example.com"],
      },
      trust: { groups: ["admins"], threshold: 2 },
      rules: [{
        pattern: ".mcp.json",
        groups: ["leads", "security"],
        threshold,
      }],
    },
    null,
    2,
  ) + "\n";
}

// Alice and bob are trusted; the trust files need both of them; the
// policy is on main, which origin/HEAD names.
async function team() {
  // Made once per file and copied: no test checks how it was made.
  const keys = ["bob", "mallory"] as const;
  return await sharedFlow("team", async () => {
    const flow = await createFlow({ keys });
    await write(flow, { "README.md": "team\n" });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await cliOk(flow, ["install"]);
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await commit(flow, "trust the team");
    await commit(flow, "the policy", { [POLICY]: policy(1, 2) });
    await push(flow, "HEAD:refs/heads/main");
    await flow.ok(["remote", "set-head", "origin", "main"]);
    return flow;
  }, { keys });
}

// Ends a merge whose only conflict is the signature index: main's index,
// with the other side's line for `path` (as an attacker resolves it).
async function mergeTakingLine(
  flow: Flow,
  branch: string,
  path: string,
): Promise<string> {
  const merged = await flow.git(["merge", "-q", "--no-edit", branch]);
  if (merged.code !== 0) {
    const ours = (await flow.ok(["show", `HEAD:${INDEX}`])).split("\n");
    const theirs = (await flow.ok(["show", `${branch}:${INDEX}`])).split("\n");
    const line = theirs.find((l) => l.endsWith(` ${path}`));
    assert.ok(line, `no index line for ${path} on ${branch}`);
    await write(flow, {
      [INDEX]: ours.map((l) => l.endsWith(` ${path}`) ? line : l).join("\n"),
    });
    await flow.ok(["add", "-A"]);
    await flow.ok(["commit", "-q", "--no-verify", "--no-edit"]);
  }
  return await head(flow);
}

Deno.test({
  name:
    "attack 1: a retired key signs on a branch forked before the rotation, merged after it: RETIRED_KEY",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await write(flow, { ".mcp.json": V1, [CURSOR]: V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    const adopt = await commit(flow, "adopt");
    await cliOk(flow, ["install"]);
    await push(flow, "main");
    await flow.ok(["remote", "set-head", "origin", "main"]);
    const rotated = JSON.parse(
      (await cliOk(flow, ["keys", "rotate", "--json"])).stdout,
    );
    const retiredKey = rotated.retired.privateKeyPath as string;
    await commit(flow, "rotate alice's key");
    await push(flow, "main");

    // The thief has only the retired key, and branches from before the
    // rotation, where that key is still current.
    await flow.ok(["checkout", "-q", "-b", "side", adopt]);
    await commit(flow, "innocent", { [CURSOR]: config("curl-evil") }, {
      MCP_ORCHESTRATION_KEY: retiredKey,
    });
    await flow.ok(["checkout", "-q", "main"]);
    const merge = await mergeTakingLine(flow, "side", CURSOR);

    assertCommitFails(
      await verifyHistory(flow, ["--range", "origin/main..HEAD"]),
      merge,
      CURSOR,
      ["RETIRED_KEY"],
    );
    assertCommitFails(
      await verifyHistory(flow, ["--rev", "HEAD"]),
      merge,
      CURSOR,
      ["RETIRED_KEY"],
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: CURSOR, codes: ["RETIRED_KEY"] },
    ]);
    // The untouched config, signed before the rotation, still passes.
    const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.ok(
      rev.report.commits[0]!.results.some((r) =>
        r.path === ".mcp.json" && r.ok
      ),
      rev.text,
    );
  },
});

Deno.test("attack 2: a pending trust change pushed to a review branch, then to main: refused", async () => {
  await using flow = await team();
  // Alice alone lowers the rule (the trust files need alice and bob).
  const pending = await commit(flow, "alice lowers the rule", {
    [POLICY]: policy(2, 1),
  });
  await assertPushRefused(flow, ["origin", "HEAD:refs/heads/main"], "main", [
    { path: POLICY, codes: ["PENDING_APPROVAL"] },
  ]);
  // A branch waiting for review may hold it.
  await push(flow, "HEAD:refs/heads/review");
  // The very commit, now on the remote, to main.
  await assertPushRefused(
    flow,
    ["origin", `${pending}:refs/heads/main`],
    "main",
    [
      { path: POLICY, codes: ["PENDING_APPROVAL"] },
    ],
  );
  // A tag (which may not be pending either) on it.
  const tag = await flow.git([
    "push",
    "-q",
    "origin",
    `${pending}:refs/tags/v1`,
  ]);
  assert.notEqual(tag.code, 0, "a pending commit was tagged on the remote");
  assert.match(tag.stderr, /PENDING_APPROVAL/);
  // A commit on top of it, signed under the lowered rule.
  await commit(flow, "alice adds .mcp.json", { ".mcp.json": V1 });
  await push(flow, "HEAD:refs/heads/review");
  await assertPushRefused(flow, ["origin", "HEAD:refs/heads/main"], "main", [
    { path: POLICY, codes: ["PENDING_APPROVAL"] },
  ]);
  // The gate agrees.
  const range = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assert.equal(range.code, 1, range.text);
});

Deno.test("attack 3: a trust file added on a review branch by one admin, merged into main: refused", async () => {
  await using flow = await team();
  await flow.ok(["checkout", "-q", "-b", "review"]);
  // Alice alone revokes mallory's key (a trust file the policy's "trust"
  // rule covers): pending on the review branch.
  await write(flow, {
    [REVOKED]: `# revoked: test\n${
      (await Deno.readTextFile(flow.mallory.publicPath)).trim()
    }\n`,
  });
  await commit(flow, "alice revokes a key");
  const alone = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assertCommitFails(alone, await head(flow), REVOKED, ["PENDING_APPROVAL"]);
  await push(flow, "HEAD:refs/heads/review");
  await flow.ok(["checkout", "-q", "main"]);
  await commit(flow, "main moves on", { "NOTES.md": "notes\n" });
  const merged = await flow.git(["merge", "-q", "--no-edit", "review"]);
  assert.equal(merged.code, 0, merged.stderr);
  await assertPushRefused(flow, ["origin", "main"], "main", [
    { path: REVOKED, codes: ["PENDING_APPROVAL"] },
  ]);
  const range = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assert.equal(range.code, 1, range.text);
});

Deno.test({
  name:
    "attack 4: a retired key approves on a branch forked before the rotation, merged after it: RETIRED_KEY",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow({ keys: ["bob"] as const });
    await write(flow, { "README.md": "team\n" });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await cliOk(flow, ["install"]);
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await commit(flow, "trust the team");
    // .mcp.json needs alice and bob; a trust change needs one admin.
    const rules = JSON.parse(policy(1, 2));
    rules.trust.threshold = 1;
    const fork = await commit(flow, "the policy", {
      [POLICY]: JSON.stringify(rules, null, 2) + "\n",
    });
    await push(flow, "HEAD:refs/heads/main");
    await flow.ok(["remote", "set-head", "origin", "main"]);
    const rotated = JSON.parse(
      (await cliOk(flow, ["keys", "rotate", "--json"])).stdout,
    );
    const retired = rotated.retired as {
      privateKeyPath: string;
      keyId: string;
    };
    await commit(flow, "rotate alice's key");
    await push(flow, "main");

    // bob, with alice's retired key, branches from before the rotation.
    await flow.ok(["checkout", "-q", "-b", "side", fork]);
    await commit(flow, "bob adds .mcp.json", { ".mcp.json": V1 }, {
      MCP_ORCHESTRATION_KEY: flow.bob.privatePath,
    });
    const id = (await flow.ok(["show", `HEAD:${INDEX}`])).split("\n")
      .find((l) => l.endsWith(" .mcp.json"))!.split(" ")[0]!;
    const copy = join(flow.repo.home, "statement");
    await Deno.copyFile(
      join(flow.repo.root, ".mcp-orchestration/statements", id),
      copy,
    );
    const signature = await sshSign({
      keyPath: retired.privateKeyPath,
      namespace: "mcp-orchestration",
      messagePath: copy,
    });
    const digest = atob(retired.keyId.slice("SHA256:".length) + "=");
    const hex = [...digest].map((c) =>
      c.charCodeAt(0).toString(16).padStart(2, "0")
    ).join("");
    await Deno.mkdir(
      join(flow.repo.root, ".mcp-orchestration/approvals", id),
      { recursive: true },
    );
    await Deno.copyFile(
      signature,
      join(flow.repo.root, ".mcp-orchestration/approvals", id, `${hex}.sig`),
    );
    await commit(flow, "alice approves");
    await assertVerifiesRange(flow, fork);
    await flow.ok(["checkout", "-q", "main"]);
    const merge = await mergeTakingLine(flow, "side", ".mcp.json");

    assertCommitFails(
      await verifyHistory(flow, ["--range", "origin/main..HEAD"]),
      merge,
      ".mcp.json",
      ["RETIRED_KEY"],
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: ".mcp.json", codes: ["RETIRED_KEY"] },
    ]);
  },
});

// The side branch alone passes: alice's old key is current there.
async function assertVerifiesRange(flow: Flow, base: string): Promise<void> {
  const side = await verifyHistory(flow, ["--range", `${base}..HEAD`]);
  assert.equal(side.code, 0, side.text);
}

// An approval of the statement `id` by `key`, written as `approve` would.
async function approveAs(
  flow: Flow,
  key: { privatePath: string; fingerprint: string },
  id: string,
): Promise<string> {
  const copy = join(flow.repo.home, `statement-${crypto.randomUUID()}`);
  await Deno.copyFile(
    join(flow.repo.root, ".mcp-orchestration/statements", id),
    copy,
  );
  const signature = await sshSign({
    keyPath: key.privatePath,
    namespace: "mcp-orchestration",
    messagePath: copy,
  });
  const digest = atob(key.fingerprint.slice("SHA256:".length) + "=");
  const hex = [...digest].map((c) =>
    c.charCodeAt(0).toString(16).padStart(2, "0")
  ).join("");
  const where = `.mcp-orchestration/approvals/${id}/${hex}.sig`;
  await Deno.mkdir(
    join(flow.repo.root, ".mcp-orchestration/approvals", id),
    { recursive: true },
  );
  await Deno.copyFile(signature, join(flow.repo.root, where));
  return where;
}

Deno.test("attack 5: a pending trust change on top of a pending one, approved by a key the first added: refused", async () => {
  await using flow = await team();
  // Alice alone trusts a second key of hers (mallory's file) as bob.
  await cliOk(flow, [
    "trust",
    "add",
    flow.mallory.publicPath,
    "--principal",
    "bob@example.com",
  ]);
  const first = await commit(flow, "alice adds a key as bob");
  // Then changes the policy, signed by her alone: pending against that list.
  const second = await commit(flow, "policy v2", { [POLICY]: policy(2, 2) });
  // And approves it with the new "bob" key.
  await approveAs(
    flow,
    flow.mallory,
    await indexId(flow, "HEAD", POLICY),
  );
  await commit(flow, "bob approves");
  const range = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assertCommitFails(range, second, POLICY, ["UNTRUSTED_TRUST_CHANGE"]);
  assert.ok(
    range.report.commits.find((c) => c.commit === first)?.ok,
    range.text,
  );
  await assertPushRefused(flow, ["origin", "HEAD:refs/heads/main"], "main", [
    { path: POLICY, codes: ["UNTRUSTED_TRUST_CHANGE"] },
  ]);
});

Deno.test("attack 6: a rollback that is pending in its commit, approved later from history: ROLLED_BACK", async () => {
  await using flow = await team();
  // .mcp.json needs alice and bob: V1, then V2, each approved by bob.
  await commit(flow, "V1", { ".mcp.json": V1 });
  const old = await indexId(flow, "HEAD", ".mcp.json");
  const approval = await approveAs(flow, flow.bob, old);
  const approved = await commit(flow, "bob approves V1");
  await commit(flow, "V2", { ".mcp.json": V2 });
  await approveAs(flow, flow.bob, await indexId(flow, "HEAD", ".mcp.json"));
  await commit(flow, "bob approves V2");
  await push(flow, "HEAD:refs/heads/main");
  // Alice alone puts V1 back: its old statement and signature from
  // history, without bob's approval…
  await flow.ok([
    "checkout",
    approved,
    "--",
    `.mcp-orchestration/statements/${old}`,
    `.mcp-orchestration/statements/${old}.sig`,
    ".mcp-orchestration/artifacts",
  ]);
  await write(flow, { ".mcp.json": V1 });
  await setIndexLine(flow, ".mcp.json", old);
  const rollback = await forceCommit(flow, "tidy");
  // …then restores bob's old approval of it.
  await flow.ok(["checkout", approved, "--", approval]);
  await forceCommit(flow, "restore");
  const range = await verifyHistory(flow, ["--range", "origin/main..HEAD"]);
  assertCommitFails(range, rollback, ".mcp.json", ["ROLLED_BACK"]);
  await assertPushRefused(flow, ["origin", "HEAD:refs/heads/main"], "main", [
    { path: ".mcp.json", codes: ["ROLLED_BACK"] },
  ]);
});

// A new version of `path` signed by the key at `keyPath`, written past the
// tool (which refuses a retired key), as a thief would.
async function forgeVersion(
  flow: Flow,
  path: string,
  text: string,
  keyPath: string,
): Promise<string> {
  const key = await loadSigningKey({ keyPath });
  const current = parseStatement(
    await flow.repo.read(
      `.mcp-orchestration/statements/${await indexId(flow, "HEAD", path)}`,
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
    signedAt: new Date(),
    sequence: current.sequence + 1,
    previous: [current.artifact],
  });
  const id = await sha256Hex(statement);
  const signature = await createSshSignature(statement, key.key, {
    namespace: "mcp-orchestration",
  });
  await write(flow, {
    [path]: text,
    [`.mcp-orchestration/artifacts/${artifact}`]: text,
    [`.mcp-orchestration/statements/${id}`]: new TextDecoder().decode(
      statement,
    ),
    [`.mcp-orchestration/statements/${id}.sig`]: signature,
  });
  await setIndexLine(flow, path, id);
  return id;
}

Deno.test({
  name:
    "attack 7: a retired key's new statement, pending in its commit and approved in the next: RETIRED_KEY",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow({ keys: ["bob"] as const });
    await write(flow, { "README.md": "team\n" });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await cliOk(flow, ["install"]);
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await commit(flow, "trust the team");
    // .mcp.json needs alice and bob; a trust change needs one admin.
    const rules = JSON.parse(policy(1, 2));
    rules.trust.threshold = 1;
    await commit(flow, "the policy", {
      [POLICY]: JSON.stringify(rules, null, 2) + "\n",
    });
    await commit(flow, "V1", { ".mcp.json": V1 });
    await approveAs(flow, flow.bob, await indexId(flow, "HEAD", ".mcp.json"));
    await commit(flow, "bob approves");
    await push(flow, "HEAD:refs/heads/main");
    await flow.ok(["remote", "set-head", "origin", "main"]);
    const rotated = JSON.parse(
      (await cliOk(flow, ["keys", "rotate", "--json"])).stdout,
    );
    await commit(flow, "rotate alice's key");
    await push(flow, "main");

    // Bob, with alice's retired key, signs a new version as alice…
    const id = await forgeVersion(
      flow,
      ".mcp.json",
      config("curl-evil"),
      rotated.retired.privateKeyPath as string,
    );
    const forged = await forceCommit(flow, "tidy");
    // …and approves it himself in the next commit.
    await approveAs(flow, flow.bob, id);
    await forceCommit(flow, "bob approves");
    assertCommitFails(
      await verifyHistory(flow, ["--range", "origin/main..HEAD"]),
      forged,
      ".mcp.json",
      ["RETIRED_KEY"],
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: ".mcp.json", codes: ["RETIRED_KEY"] },
    ]);
  },
});
