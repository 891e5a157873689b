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
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  type HistoryReport,
  push,
  revParse,
  verifyHistory,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const ALLOWED_SIGNERS = ".mcp-orchestration/allowed_signers";
const IDENT = "Mallory <mallory@example.com> 1700000000 +0000";

function config(command: string): string {
  return JSON.stringify({ mcpServers: { files: { command, args: ["."] } } }) +
    "\n";
}

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

/**
 * Asserts that verification fails (exit 1) with a failure for `path` and
 * one of `codes` in the commit's report.
 */
function assertCommitFails(
  result: { code: number; report: HistoryReport; text: string },
  commit: string,
  path: string,
  codes: string[],
): void {
  assert.equal(result.code, 1, result.text);
  const report = result.report.commits.find((c) => c.commit === commit);
  assert.ok(report, `no report for ${commit}:\n${result.text}`);
  assert.ok(
    report.results.some((r) =>
      !r.ok && r.path === path && codes.includes(r.code ?? "")
    ),
    `no failure ${path} ${codes.join("|")} for ${
      commit.slice(0, 12)
    }:\n${result.text}`,
  );
}

/**
 * Asserts that `git push origin REFSPEC` is refused by pre-push, with a
 * failure for `path` and `code`, and that the remote's branch did not move.
 */
async function assertPushRefused(
  flow: Flow,
  refspec: string,
  branch: string,
  path: string,
  code: string,
): Promise<void> {
  const remoteRef = () =>
    flow.remote.git("rev-parse", "-q", "--verify", branch).catch(() => "");
  const before = await remoteRef();
  const result = await flow.git(["push", "-q", "origin", refspec]);
  assert.notEqual(result.code, 0, `push went through:\n${result.stderr}`);
  assert.equal(await remoteRef(), before, "the remote moved");
  assert.ok(
    result.stderr.includes(`FAIL  ${path}  ${code}:`),
    `no "${path} ${code}" in:\n${result.stderr}`,
  );
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
    await assertPushRefused(
      flow,
      "attack",
      "attack",
      ALLOWED_SIGNERS,
      "UNTRUSTED_TRUST_CHANGE",
    );
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
    const tip = await commit(flow, "v2", { ".mcp.json": config("v2") });
    await push(flow, "main");
    // A stale branch from v1, signed through the hooks: sequences 2 and 3,
    // a chain that does not continue main's v2.
    await flow.ok(["checkout", "-q", "-b", "stale", v1]);
    const stale2 = await commit(flow, "stale 2", {
      ".mcp.json": config("stale-2"),
    });
    const stale3 = await commit(flow, "stale 3", {
      ".mcp.json": config("stale-3"),
    });
    const tree = await revParse(flow, `${stale3}^{tree}`);

    // The control: a real merge of main and the stale branch may pick the
    // stale side; the same tree on main's tip alone is a rollback.
    const merge = (await flow.ok([
      "commit-tree",
      tree,
      "-p",
      tip,
      "-p",
      stale2,
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
      lateParent: stale2,
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
    await assertPushRefused(
      flow,
      "attack:main",
      "main",
      ".mcp.json",
      "ROLLED_BACK",
    );
  },
});
