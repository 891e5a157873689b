/**
 * Red team 10: attacks on the server's pre-receive hook (issue 15) by a
 * pusher who holds no trusted key, with real pushes (`--no-verify`) into
 * the bare repository that has `install --server`. Each test asserts the
 * secure behaviour: the push is refused and the server's refs are as they
 * were.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ALLOWED_SIGNERS,
  EVIL,
  V1,
  withSignedHistory,
} from "../support/attacks.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  installHooks,
  type OpenFlow,
  push,
  revParse,
  sharedFlow,
  write,
} from "../support/flow.ts";
import { cliInvocation, runCli } from "../support/cli.ts";
import { join } from "node:path";

const ON_WINDOWS = Deno.build.os === "windows";
const decoder = new TextDecoder();

/** Every ref of the bare repository, with what it points at. */
async function serverRefs(bare: string): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-C", bare, "for-each-ref", "--format=%(objectname) %(refname)"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, decoder.decode(out.stderr));
  return decoder.decode(out.stdout);
}

async function installServer(flow: Flow): Promise<void> {
  const result = await runCli(["install", "--server"], {
    cwd: flow.remote.root,
    home: flow.repo.home,
  });
  assert.equal(result.code, 0, result.stderr);
}

async function pushPastClient(flow: Flow, args: string[]) {
  return await flow.git(["push", "--no-verify", ...args]);
}

/** The push is refused by the hook, and no ref of the server moved. */
async function assertServerRefuses(
  flow: Flow,
  args: string[],
  pattern: RegExp,
): Promise<void> {
  const before = await serverRefs(flow.remote.root);
  const result = await pushPastClient(flow, args);
  assert.notEqual(result.code, 0, `push went through:\n${result.stderr}`);
  assert.match(result.stderr, /hook declined/);
  assert.match(result.stderr, pattern);
  assert.equal(await serverRefs(flow.remote.root), before, "the server moved");
}

/**
 * Alice signs a config that the policy wants bob to approve too, and parks
 * it on a review branch of the server. Made once per file and copied (the
 * server's hook with it): no test checks how it was made.
 */
async function pendingFlow(): Promise<OpenFlow<"bob">> {
  return await sharedFlow("pending", buildPending, { keys: ["bob"] });
}

async function buildPending(): Promise<OpenFlow<"bob">> {
  const flow = await createFlow({ keys: ["bob"] });
  await installHooks(flow, "alice@example.com");
  await cliOk(flow, [
    "trust",
    "add",
    flow.bob.publicPath,
    "--principal",
    "bob@example.com",
  ]);
  const policy = {
    format: "mcp-orchestration-policy v1",
    version: 1,
    groups: { leads: ["alice@example.com"], security: ["bob@example.com"] },
    trust: { groups: ["leads"], threshold: 1 },
    rules: [{
      pattern: ".mcp.json",
      groups: ["leads", "security"],
      threshold: 2,
    }],
  };
  await commit(flow, "the policy", {
    ".mcp-orchestration/policy.json": JSON.stringify(policy, null, 2) + "\n",
  });
  await push(flow, "HEAD:refs/heads/main");
  await installServer(flow);
  await commit(flow, "a config bob has not approved", { ".mcp.json": V1 });
  // Waiting for review: allowed on a branch that is not the server's HEAD.
  const review = await pushPastClient(flow, [
    "origin",
    "HEAD:refs/heads/review",
  ]);
  assert.equal(review.code, 0, review.stderr);
  return flow;
}

Deno.test({
  name:
    "redteam10: a pending config parked on a review branch cannot then be pushed to the server's HEAD branch as it is",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await pendingFlow();
    await assertServerRefuses(
      flow,
      ["origin", "HEAD:refs/heads/main"],
      /PENDING_APPROVAL/,
    );
  },
});

Deno.test({
  name:
    "redteam10: a pending config parked on a review branch cannot be tagged",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await pendingFlow();
    await flow.ok(["tag", "-a", "-m", "release", "v9"]);
    await assertServerRefuses(
      flow,
      ["origin", "refs/tags/v9"],
      /PENDING_APPROVAL/,
    );
  },
});

Deno.test({
  name:
    "redteam10: a pending config parked on a review branch cannot reach HEAD's branch under a later commit",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await pendingFlow();
    await commit(flow, "docs", { "README.md": "more\n" });
    await assertServerRefuses(
      flow,
      ["origin", "HEAD:refs/heads/main"],
      /PENDING_APPROVAL/,
    );
  },
});

Deno.test({
  name:
    "redteam10: the update hook: a review branch and HEAD's branch in one push cannot carry a pending config",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await pendingFlow();
    // The server runs only the update hook.
    await Deno.remove(join(flow.remote.root, "hooks", "pre-receive"));
    const { command, args } = cliInvocation(["hook", "update"]);
    await Deno.writeTextFile(
      join(flow.remote.root, "hooks", "update"),
      `#!/bin/sh\nexec ${
        [command, ...args].map((word) => `'${word}'`).join(" ")
      } "$@"\n`,
      { mode: 0o755 },
    );
    await flow.ok(["branch", "-f", "review2"]);
    const before = await serverRefs(flow.remote.root);
    const result = await pushPastClient(flow, [
      "origin",
      "review2:refs/heads/review2",
      "HEAD:refs/heads/main",
    ]);
    assert.match(result.stderr, /PENDING_APPROVAL/);
    const after = await serverRefs(flow.remote.root);
    // review2 may wait for review; main must not have moved.
    const main = (refs: string) =>
      refs.split("\n").find((line) => line.endsWith(" refs/heads/main"));
    assert.equal(main(after), main(before), "main moved");
  },
});

Deno.test({
  name:
    "redteam10: deleting the server's HEAD branch is refused (it would let an older commit or a new root of trust take its place)",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await installServer(flow);
      await commit(flow, "v3", { ".mcp.json": V1.replace("v1", "v3") });
      const honest = await pushPastClient(flow, ["origin", "main"]);
      assert.equal(honest.code, 0, honest.stderr);
      // A server that lets the current branch go (git refuses by default):
      // the hook itself must still keep it, else v2 could come back.
      await flow.remote.git("config", "receive.denyDeleteCurrent", "ignore");
      await assertServerRefuses(flow, ["origin", ":main"], /default branch/);
    });
  },
});

Deno.test({
  name:
    "redteam10: after deleting every checked ref, a push cannot start a new root of trust (server no longer empty)",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await installServer(flow);
      // The server's HEAD names a branch nobody pushed: main is a plain branch.
      await flow.remote.git("symbolic-ref", "HEAD", "refs/heads/trunk");
      await assertServerRefuses(flow, ["origin", ":main"], /last/);
      // And so, mallory's own root stays out.
      await flow.ok(["checkout", "-q", "-f", "--orphan", "orphan"]);
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
      await forceCommit(flow, "a root of mallory's own");
      await assertServerRefuses(
        flow,
        ["origin", "orphan:refs/heads/trunk"],
        new RegExp(`${ALLOWED_SIGNERS.replace(".", "\\.")}`),
      );
      assert.ok(await revParse(flow, "v2"));
    });
  },
});

Deno.test({
  name:
    "redteam10: a tag of a tree does not keep the server from being empty: deleting the last branch with it is refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await installServer(flow);
      await flow.remote.git("symbolic-ref", "HEAD", "refs/heads/trunk");
      const tree = (await flow.ok(["rev-parse", "main^{tree}"])).trim();
      await assertServerRefuses(
        flow,
        ["origin", ":main", `${tree}:refs/tags/tree`],
        /last/,
      );
    });
  },
});

Deno.test({
  name:
    "redteam10: moving the last tag holding a commit to a tree while deleting the last branch is refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await installServer(flow);
      await flow.remote.git("symbolic-ref", "HEAD", "refs/heads/trunk");
      const tagged = await pushPastClient(flow, ["origin", "refs/tags/v2"]);
      assert.equal(tagged.code, 0, tagged.stderr);
      const tree = (await flow.ok(["rev-parse", "main^{tree}"])).trim();
      await assertServerRefuses(
        flow,
        ["origin", ":main", `+${tree}:refs/tags/v2`],
        /last/,
      );
      // Nor in two pushes: the tag first, then the branch.
      const moved = await pushPastClient(flow, [
        "origin",
        `+${tree}:refs/tags/v2`,
      ]);
      assert.equal(moved.code, 0, moved.stderr);
      await assertServerRefuses(flow, ["origin", ":main"], /last/);
    });
  },
});

Deno.test({
  name:
    "redteam10: a push through a server-side symbolic ref to HEAD's branch (master -> main after a rename) cannot carry a pending config",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await pendingFlow();
    await flow.remote.git(
      "symbolic-ref",
      "refs/heads/master",
      "refs/heads/main",
    );
    await commit(flow, "docs", { "README.md": "more\n" });
    await assertServerRefuses(
      flow,
      ["origin", "HEAD:refs/heads/master"],
      /PENDING_APPROVAL/,
    );
  },
});

Deno.test({
  name:
    "redteam10: a push through an unchecked symbolic ref to a checked branch is checked",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await installServer(flow);
      await flow.remote.git(
        "symbolic-ref",
        "refs/alias/main",
        "refs/heads/main",
      );
      await write(flow, { ".mcp.json": EVIL });
      await forceCommit(flow, "tampered");
      await assertServerRefuses(
        flow,
        ["origin", "HEAD:refs/alias/main"],
        /TAMPERED/,
      );
    });
  },
});
