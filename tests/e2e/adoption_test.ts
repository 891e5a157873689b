/**
 * Adopting the tool in a repository whose history already holds configs
 * (issue 11, section 2), end to end with real git, a bare remote and the
 * hooks `init` installs. Commits before the first trust list in their
 * history ("before adoption") are reported as such, so that `init` and the
 * first push succeed; the attacks that rule must not open each fail closed
 * in `verify --range … --json` and at the real pre-push hook:
 *
 * 1. an orphan branch without a trust list, pushed next to an adopted one;
 * 2. a commit that deletes the trust list;
 * 3. a merge of a branch from before adoption that brings an unsigned config;
 * 4. a branch from before adoption pushed where the default branch is
 *    adopted (new commits, or a ref set to an old commit).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ALLOWED_SIGNERS,
  assertCommitFails,
  assertPushRefused,
  assertVerifies,
  config,
  EVIL,
  remoteRef,
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
  push,
  verifyHistory,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";

/**
 * Two commits made before anyone used the tool (no hooks, no trust list),
 * each with a `.mcp.json`; then `init` and the adoption commit, through the
 * hooks. Returns the commits.
 */
async function adoptedHistory(
  flow: Flow,
  options: { pushFirst?: boolean } = {},
): Promise<{ h1: string; h2: string; adopt: string }> {
  await write(flow, { "README.md": "old project\n", ".mcp.json": V1 });
  const h1 = await forceCommit(flow, "h1: a config, before adoption");
  await flow.ok(["tag", "v0"]);
  if (options.pushFirst) await push(flow, "main");
  await write(flow, { ".mcp.json": V2 });
  const h2 = await forceCommit(flow, "h2: a change, before adoption");
  await cliOk(flow, ["init", "--principal", "alice@example.com"]);
  const adopt = await commit(flow, "adopt mcp-orchestration");
  return { h1, h2, adopt };
}

/**
 * Checks out a new branch at a commit from before adoption. The checkout
 * hooks report its unsigned configs loudly and exit 1 (they cannot undo a
 * checkout); the checkout itself is done.
 */
async function checkoutOld(flow: Flow, branch: string, at: string) {
  const result = await flow.git(["checkout", "-q", "-b", branch, at]);
  assert.match(result.stderr + `exit ${result.code}`, /UNSIGNED|exit 0/);
  assert.equal(
    (await flow.ok(["rev-parse", "--abbrev-ref", "HEAD"])).trim(),
    branch,
  );
}

Deno.test({
  name:
    "adoption: init on a history with configs, then the first push to an empty remote; old commits are reported before adoption",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    const { h1, h2, adopt } = await adoptedHistory(flow);
    await push(flow, "main");
    assert.equal(await remoteRef(flow, "main"), adopt);

    const one = await verifyHistory(flow, ["--rev", h1]);
    assert.equal(one.code, 0, one.text);
    assert.equal(one.report.commits[0]?.commit, h1);
    assert.equal(
      (one.report.commits[0] as { beforeAdoption?: boolean }).beforeAdoption,
      true,
      one.text,
    );
    const range = await verifyHistory(flow, ["--range", `${h1}..main`]);
    assert.equal(range.code, 0, range.text);
    const byId = new Map(range.report.commits.map((c) => [c.commit, c]));
    assert.equal(
      (byId.get(h2) as { beforeAdoption?: boolean }).beforeAdoption,
      true,
    );
    assert.equal(
      (byId.get(adopt) as { beforeAdoption?: boolean }).beforeAdoption,
      undefined,
    );
    const text = await flow.cli(["verify", "--range", `${h1}..main`]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /before adoption/);
    // The tag of an old release is part of the adopted history.
    await push(flow, "v0");
  },
});

Deno.test({
  name:
    "adoption: the first push after init to a remote that holds the old history",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    const { adopt } = await adoptedHistory(flow, { pushFirst: true });
    await push(flow, "main");
    assert.equal(await remoteRef(flow, "main"), adopt);
    await assertVerifies(flow, ["--range", "v0..main"]);
  },
});

Deno.test({
  name:
    "adoption attack: an orphan branch without a trust list, pushed next to an adopted branch, is refused",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await adoptedHistory(flow);
    await flow.ok(["checkout", "-q", "--orphan", "orphan"]);
    await flow.ok(["rm", "-rq", "--cached", "."]);
    await flow.ok(["clean", "-fdxq"]);
    await write(flow, { ".mcp.json": EVIL });
    const orphan = await forceCommit(flow, "orphan: no trust list");
    // Together with the adoption, to an empty remote: neither lands.
    await assertPushRefused(flow, ["origin", "main", "orphan"], "orphan", [
      { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
      { path: ".mcp.json", codes: ["UNSIGNED"] },
    ]);
    assert.equal(await remoteRef(flow, "main"), undefined);
    // Next to the adopted branch on the remote.
    await push(flow, "main");
    await assertPushRefused(flow, ["origin", "orphan"], "orphan", [
      { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);
    const range = await verifyHistory(flow, ["--range", "main..orphan"]);
    assertCommitFails(range, orphan, ALLOWED_SIGNERS, [
      "UNTRUSTED_TRUST_CHANGE",
    ]);
  },
});

Deno.test({
  name:
    "adoption attack: a commit that deletes the trust list, and one built on it, are refused",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await adoptedHistory(flow);
    await push(flow, "main");
    await flow.ok(["rm", "-q", ALLOWED_SIGNERS]);
    const removed = await forceCommit(flow, "remove the trust list");
    await write(flow, { ".mcp.json": EVIL });
    const after = await forceCommit(flow, "now anything goes");
    const range = await verifyHistory(flow, ["--range", "origin/main..main"]);
    assertCommitFails(range, removed, ALLOWED_SIGNERS, [
      "UNTRUSTED_TRUST_CHANGE",
    ]);
    assertCommitFails(range, after, undefined, []);
    assert.ok(
      !range.report.commits.some((c) =>
        (c as { beforeAdoption?: boolean }).beforeAdoption
      ),
      range.text,
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);
  },
});

Deno.test({
  name:
    "adoption attack: merging a branch from before adoption that brings an unsigned config fails the merge",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    const { h1 } = await adoptedHistory(flow);
    await push(flow, "main");
    await checkoutOld(flow, "side", h1);
    await write(flow, { ".cursor/mcp.json": config("curl-evil") });
    const side = await forceCommit(flow, "side: an unsigned config");
    await flow.ok(["checkout", "-q", "main"]);
    await flow.ok(["merge", "-q", "--no-edit", "--no-verify", "side"]);
    const merge = await head(flow);
    const range = await verifyHistory(flow, ["--range", "origin/main..main"]);
    assertCommitFails(range, merge, ".cursor/mcp.json", ["UNSIGNED"]);
    const sideReport = range.report.commits.find((c) => c.commit === side);
    assert.equal(
      (sideReport as { beforeAdoption?: boolean }).beforeAdoption,
      true,
      range.text,
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: ".cursor/mcp.json", codes: ["UNSIGNED"] },
    ]);
    // Pushed with the side branch as well: still refused, both of them.
    await assertPushRefused(flow, ["origin", "main", "side"], "side", [
      { path: ".cursor/mcp.json", codes: ["UNSIGNED"] },
    ]);
    assert.equal(await remoteRef(flow, "side"), undefined);
  },
});

Deno.test({
  name:
    "adoption attack: a branch from before adoption, pushed where the default branch is adopted, is refused",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    const { h1, h2 } = await adoptedHistory(flow);
    await push(flow, "main");
    await flow.ok(["remote", "set-head", "origin", "main"]);
    await checkoutOld(flow, "old", h1);
    await write(flow, { ".mcp.json": EVIL });
    const old = await forceCommit(
      flow,
      "old: a change on a branch from before",
    );
    await assertPushRefused(flow, ["origin", "old"], "old", [
      { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
      { path: ".mcp.json", codes: ["UNSIGNED"] },
    ]);
    const range = await verifyHistory(flow, ["--range", `${h1}..old`]);
    assertCommitFails(range, old, ALLOWED_SIGNERS, ["UNTRUSTED_TRUST_CHANGE"]);
    const rev = await verifyHistory(flow, ["--rev", old]);
    assertCommitFails(rev, old, ALLOWED_SIGNERS, ["UNTRUSTED_TRUST_CHANGE"]);
    // A branch set to an old commit the remote already holds, and a tag on a
    // new commit from before adoption: refused too.
    await assertPushRefused(flow, ["origin", `${h2}:refs/heads/old2`], "old2", [
      { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);
    await flow.ok(["tag", "evil-tag", old]);
    await assertPushRefused(flow, ["origin", "evil-tag"], "evil-tag", [
      { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);
    // A new commit from before adoption that an adopted commit merged
    // without its content ("merge -s ours"): its tag is refused, and so is
    // verify --rev of it, while the merge itself passes.
    await flow.ok(["checkout", "-q", "main"]);
    await flow.ok(["merge", "-q", "-s", "ours", "--no-edit", old]);
    await flow.ok(["tag", "evil-merged", old]);
    await assertPushRefused(
      flow,
      ["origin", "main", "evil-merged"],
      "evil-merged",
      [{ path: ".mcp.json", codes: ["UNSIGNED"] }],
    );
    assertCommitFails(
      await verifyHistory(flow, ["--rev", old]),
      old,
      ALLOWED_SIGNERS,
      ["UNTRUSTED_TRUST_CHANGE"],
    );
    await push(flow, "main");
    // An old commit of the adopted history passes as such.
    const h1Rev = await verifyHistory(flow, ["--rev", h1]);
    assert.equal(h1Rev.code, 0, h1Rev.text);
  },
});

Deno.test({
  name:
    "adoption: after init, a commit that stages a config but not the trust list is refused, naming the file and the command that fixes it",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await write(flow, { "README.md": "old project\n" });
    await forceCommit(flow, "before adoption");
    await write(flow, { ".mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await flow.ok(["add", ".mcp.json"]);
    const staged = await flow.ok(["ls-files", "-s"]);
    const before = await head(flow);
    const refused = await flow.git(["commit", "-q", "-m", "config only"]);
    assert.notEqual(refused.code, 0, refused.stderr);
    assert.match(
      refused.stderr,
      /is trusted in "\.mcp-orchestration\/allowed_signers", but that file is not staged/,
    );
    assert.match(refused.stderr, /git add \.mcp-orchestration$/m);
    assert.doesNotMatch(refused.stderr, /trust add/);
    // Nothing changed: no commit, the index as it was.
    assert.equal(await head(flow), before);
    assert.equal(await flow.ok(["ls-files", "-s"]), staged);
    // The command it names fixes it.
    await flow.ok(["add", ".mcp-orchestration"]);
    await flow.ok(["commit", "-q", "-m", "adopt"]);
    await assertVerifies(flow, ["--rev", "HEAD"]);
  },
});

Deno.test({
  name:
    "adoption: a key trusted nowhere still gets the trust add advice when the index has no trust list",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow({ keys: ["mallory"] });
    await write(flow, { "README.md": "old project\n" });
    await forceCommit(flow, "before adoption");
    await write(flow, { ".mcp.json": V1 });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await flow.ok(["add", ".mcp.json"]);
    const refused = await flow.git(["commit", "-q", "-m", "config only"], {
      env: { MCP_ORCHESTRATION_KEY: flow.mallory.privatePath },
    });
    assert.notEqual(refused.code, 0, refused.stderr);
    assert.match(refused.stderr, /is not trusted by this repository/);
    assert.match(refused.stderr, /trust add/);
  },
});
