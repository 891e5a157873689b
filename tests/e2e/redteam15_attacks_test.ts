/**
 * Red team on issue 17's history read-ahead (a range's objects read in one
 * `git rev-list --objects` / `git cat-file --batch --buffer` stream, parents
 * and statements taken from caches), end to end: each attack passes nothing.
 *
 * 1. `git replace` of a tampered commit's tree and config blob (not the
 *    commit) by the signed ones: git shows the signed config under the
 *    tampered commit, `verify --range`, `--rev` and pre-push still read the
 *    objects themselves.
 * 2. The same replace refs pushed to a server with `install --server` (refs
 *    outside the checked ones pass), then the tampered commit: the server's
 *    pre-receive hook, whose range is read ahead, refuses it.
 * 3. A range ending at an annotated tag (and a tag of that tag) of a
 *    tampered commit: rev-list lists the tag objects too; the commit is
 *    still checked.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  assertCommitFails,
  assertPushRefused,
  assertVerifies,
  EVIL,
  withSignedHistory as withFlow,
} from "../support/attacks.ts";
import {
  type Flow,
  forceCommit,
  head,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { runCli } from "../support/cli.ts";

const ON_WINDOWS = Deno.build.os === "windows";

// Replaces (`git replace`) a commit's tree and config blob by another's.
async function replaceWithSigned(
  flow: Flow,
  evil: string,
  base: string,
): Promise<void> {
  const rev = async (name: string) =>
    (await flow.ok(["rev-parse", name])).trim();
  // Named before any replacement (git would name them through it).
  const pairs = [
    [await rev(`${evil}^{tree}`), await rev(`${base}^{tree}`)],
    [await rev(`${evil}:.mcp.json`), await rev(`${base}:.mcp.json`)],
  ];
  for (const [from, to] of pairs) await flow.ok(["replace", from!, to!]);
}

Deno.test({
  name:
    "red team 17: a tampered commit whose tree and config blob are replaced by the signed ones fails in a range, a revision and at push",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const base = await head(flow);
      await flow.ok(["checkout", "-q", "-b", "evil"]);
      await write(flow, { ".mcp.json": EVIL });
      const evil = await forceCommit(flow, "evil");
      await replaceWithSigned(flow, evil, base);
      // Git itself now shows the signed config in the tampered commit.
      assert.equal(
        await flow.ok(["show", `${evil}:.mcp.json`]),
        await flow.ok(["show", `${base}:.mcp.json`]),
      );
      for (const args of [["--range", `${base}..evil`], ["--rev", evil]]) {
        assertCommitFails(await verifyHistory(flow, args), evil, ".mcp.json", [
          "TAMPERED",
        ]);
      }
      await assertPushRefused(flow, ["origin", "evil:main"], "main", [
        { path: ".mcp.json", codes: ["TAMPERED"] },
      ]);
    });
  },
});

Deno.test({
  name:
    "red team 17: replace refs pushed to the server first do not let a tampered commit through its pre-receive hook",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const installed = await runCli(["install", "--server"], {
        cwd: flow.remote.root,
        home: flow.repo.home,
      });
      assert.equal(installed.code, 0, installed.stderr);
      const base = await head(flow);
      await flow.ok(["checkout", "-q", "-b", "evil"]);
      await write(flow, { ".mcp.json": EVIL });
      const evil = await forceCommit(flow, "evil");
      await replaceWithSigned(flow, evil, base);
      await flow.ok([
        "push",
        "-q",
        "--no-verify",
        "origin",
        "refs/replace/*:refs/replace/*",
      ]);
      // The server holds them (refs outside the checked ones pass).
      assert.equal(
        (await flow.remote.git("for-each-ref", "refs/replace")).trim()
          .split("\n").length,
        2,
      );
      const before = await flow.remote.git("rev-parse", "main");
      const result = await flow.git([
        "push",
        "--no-verify",
        "origin",
        "evil:main",
      ]);
      assert.notEqual(result.code, 0, `push went through:\n${result.stderr}`);
      assert.match(result.stderr, /FAIL {2}\.mcp\.json {2}TAMPERED:/);
      assert.equal(await flow.remote.git("rev-parse", "main"), before);
    });
  },
});

Deno.test({
  name:
    "red team 17: a range ending at an annotated tag, or a tag of a tag, of a tampered commit fails",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const base = await head(flow);
      await assertVerifies(flow, ["--range", "v1..main"]);
      await flow.ok(["checkout", "-q", "-b", "evil"]);
      await write(flow, { ".mcp.json": EVIL });
      const evil = await forceCommit(flow, "evil");
      await flow.ok(["tag", "-a", "-m", "release", "rel", evil]);
      await flow.ok(["tag", "-a", "-m", "again", "rel2", "rel"]);
      for (const end of ["rel", "rel2"]) {
        assertCommitFails(
          await verifyHistory(flow, ["--range", `${base}..${end}`]),
          evil,
          ".mcp.json",
          ["TAMPERED"],
        );
      }
    });
  },
});
