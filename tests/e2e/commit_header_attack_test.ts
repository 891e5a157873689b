/**
 * A commit's parents are the `parent` lines right after its `tree` line, as
 * Git reads them; a `parent` header further down (after `committer`, which
 * `git fsck --strict` and `receive.fsckObjects` accept) is no parent. If the
 * verifier took it for one, a commit could borrow an old commit's signed
 * state as its parent while Git, and everyone who clones, sees another
 * history. End to end, each attack written with `git hash-object
 * --literally`:
 *
 * 1. A root commit (for Git) that names a stale, validly signed commit in a
 *    late `parent` header and carries its tree: a trust list that still
 *    trusts a removed signer. It must be a new root in a range, and pre-push
 *    must refuse it.
 * 2. A commit whose Git parent is main's tip and whose late `parent` header
 *    names a stale branch's commit that its config continues: it must be
 *    judged against main's tip alone, like the same commit without that
 *    header.
 *
 * Real git, a bare remote, the hooks that `init` installs; repository paths
 * contain a space.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ALLOWED_SIGNERS,
  assertCommitFails,
  assertPushRefused,
  config,
} from "../support/attacks.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  push,
  revParse,
  verifyHistory,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const IDENT = "Mallory <mallory@example.com> 1700000000 +0000";

/**
 * Writes a commit object as given (`git hash-object --literally`), with a
 * `parent` header after `committer`; returns its id.
 */
async function commitWithLateParent(
  flow: Flow,
  options: { tree: string; parents: string[]; lateParent: string },
): Promise<string> {
  const body = [
    `tree ${options.tree}`,
    ...options.parents.map((parent) => `parent ${parent}`),
    `author ${IDENT}`,
    `committer ${IDENT}`,
    `parent ${options.lateParent}`,
    "",
    "an ordinary commit",
    "",
  ].join("\n");
  const file = join(flow.repo.home, "commit object");
  await Deno.writeTextFile(file, body);
  const id = (await flow.ok([
    "hash-object",
    "-t",
    "commit",
    "-w",
    "--literally",
    file,
  ])).trim();
  // Git itself accepts the object, and sees only the early parents.
  await flow.ok(["fsck", "--strict", "--no-dangling"]);
  assert.equal(
    (await flow.ok(["rev-list", "--parents", "-n", "1", id])).trim(),
    [id, ...options.parents].join(" "),
  );
  return id;
}

Deno.test({
  name:
    "a root commit naming a stale signed commit in a late parent header: a new root in the range (UNTRUSTED_TRUST_CHANGE), push refused",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow({ keys: ["mallory"] });
    await write(flow, { "README.md": "hello\n", ".mcp.json": config("v1") });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "v1");
    // Alice trusts mallory for a while, then removes her: both pushed.
    await cliOk(flow, [
      "trust",
      "add",
      flow.mallory.publicPath,
      "--principal",
      "mallory@example.com",
    ]);
    const stale = await commit(flow, "trust mallory");
    await cliOk(flow, ["trust", "remove", "mallory@example.com"]);
    await commit(flow, "untrust mallory");
    await push(flow, "main");

    // The stale commit's tree (mallory trusted), as a root for Git.
    const root = await commitWithLateParent(flow, {
      tree: await revParse(flow, `${stale}^{tree}`),
      parents: [],
      lateParent: stale,
    });
    await flow.ok(["checkout", "-q", "-b", "attack", root]);
    await write(flow, { ".mcp.json": config("curl-evil") });
    await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
    const evil = await forceCommit(flow, "mallory's config");

    const range = await verifyHistory(flow, [
      "--range",
      "origin/main..attack",
    ]);
    assertCommitFails(range, root, ALLOWED_SIGNERS, ["UNTRUSTED_TRUST_CHANGE"]);
    assertCommitFails(range, evil, ALLOWED_SIGNERS, ["UNTRUSTED_TRUST_CHANGE"]);
    await assertPushRefused(flow, ["origin", "attack"], "attack", [
      { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
    ]);
  },
});

Deno.test({
  name:
    "a commit on main's tip naming a stale branch's commit in a late parent header: judged against main's tip alone (ROLLED_BACK), push refused",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await write(flow, { "README.md": "hello\n", ".mcp.json": config("v1") });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    const v1 = await commit(flow, "v1");
    // Main leaves the config alone from here on.
    const tip = await commit(flow, "docs", { "README.md": "more\n" });
    await push(flow, "main");
    // A stale branch from v1, signed through the hooks: sequences 2 to 4.
    await flow.ok(["checkout", "-q", "-b", "stale", v1]);
    await commit(flow, "stale 2", { ".mcp.json": config("stale-2") });
    const stale3 = await commit(flow, "stale 3", {
      ".mcp.json": config("stale-3"),
    });
    // Version 4 follows versions 3 and 2 (the second link is for amends),
    // not main's v1: on main's tip alone it is not a version that follows.
    const stale4 = await commit(flow, "stale 4", {
      ".mcp.json": config("stale-4"),
    });
    const tree = await revParse(flow, `${stale4}^{tree}`);

    // The control: a real merge of main and the stale branch may take the
    // stale side's change (main kept v1 since they forked); the same tree on
    // main's tip alone is not a version that follows main's: a rollback.
    const merge = (await flow.ok([
      "commit-tree",
      tree,
      "-p",
      tip,
      "-p",
      stale3,
      "-m",
      "merge",
    ])).trim();
    const merged = await verifyHistory(flow, ["--rev", merge]);
    assert.equal(merged.code, 0, merged.text);
    const single = (await flow.ok(["commit-tree", tree, "-p", tip, "-m", "x"]))
      .trim();
    assertCommitFails(
      await verifyHistory(flow, ["--rev", single]),
      single,
      ".mcp.json",
      ["ROLLED_BACK"],
    );

    const attack = await commitWithLateParent(flow, {
      tree,
      parents: [tip],
      lateParent: stale3,
    });
    await flow.ok(["branch", "attack", attack]);
    assertCommitFails(
      await verifyHistory(flow, ["--rev", attack]),
      attack,
      ".mcp.json",
      ["ROLLED_BACK"],
    );
    assertCommitFails(
      await verifyHistory(flow, ["--range", "origin/main..attack"]),
      attack,
      ".mcp.json",
      ["ROLLED_BACK"],
    );
    await assertPushRefused(flow, ["origin", "attack:main"], "main", [
      { path: ".mcp.json", codes: ["ROLLED_BACK"] },
    ]);
  },
});
