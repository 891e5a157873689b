/**
 * Attacks from an outside review (red team 1), end to end: an attacker who
 * can push commits (and open pull requests) but holds no key the
 * repository trusts. Each test first shows the attack is real (the state
 * an MCP client would end up with), then asserts the safe outcome: the
 * attack is refused by `verify --range` (the CI gate), `verify --rev`, the
 * pre-push hook or the pre-commit hook of a trusted teammate.
 *
 * 1. A `.gitattributes` rule spelled in another case (`.MCP.JSON
 *    eol=crlf`): Git on a case-sensitive machine (CI) does not apply it to
 *    `.mcp.json`, but every clone with `core.ignorecase=true` (what Git sets
 *    on macOS and Windows) does, and checks out other bytes than the signed
 *    ones.
 * 2. A deleted config restored byte for byte: its tombstone is the very
 *    statement the restored file needs, so the deletion is undone with no
 *    signature at all.
 * 3. `git cherry-pick -n` of someone else's unsigned config: Git leaves no
 *    `CHERRY_PICK_HEAD`, so the teammate's pre-commit hook takes it for the
 *    teammate's own change and signs it.
 * 4. An octopus merge that takes v1 from two sides that never changed it,
 *    against main's v2: "kept" is asked of each side with every carrier,
 *    and no merge base holds main's version, so it is ROLLED_BACK (the
 *    honest octopus, which takes main's v2, passes).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertCommitFails,
  assertPushRefused,
  assertVerifies,
  EVIL,
  INDEX,
  indexId,
  V2,
  withSignedHistory,
} from "../support/attacks.ts";
import {
  commit,
  forceCommit,
  head,
  push,
  readText,
  verifyHistory,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";

// --- 1: attributes that only a case-insensitive clone applies ----------------------

Deno.test({
  name:
    "red team 1: a .gitattributes rule in another case (.MCP.JSON eol=crlf) that core.ignorecase clones apply is UNSAFE_ATTRIBUTES",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const base = await head(flow);
      await write(flow, { ".gitattributes": ".MCP.JSON eol=crlf\n" });
      const attack = await forceCommit(flow, "attributes for JSON files");

      // The attack is real: the blob is the signed one, a case-sensitive
      // clone reads it as it is, and a clone made as on macOS or Windows
      // (core.ignorecase=true) checks out a CR before every LF.
      assert.equal(
        await flow.ok(["cat-file", "blob", `${attack}:.mcp.json`]),
        V2,
      );
      const plain = join(flow.repo.home, "clone-case-sensitive");
      await flow.ok(["clone", "-q", "--no-local", flow.repo.root, plain]);
      assert.equal(await Deno.readTextFile(join(plain, ".mcp.json")), V2);
      const folding = join(flow.repo.home, "clone-ignorecase");
      await flow.ok([
        "clone",
        "-q",
        "--no-local",
        "-c",
        "core.ignorecase=true",
        flow.repo.root,
        folding,
      ]);
      const read = await Deno.readTextFile(join(folding, ".mcp.json"));
      assert.equal(read, V2.replaceAll("\n", "\r\n"));

      // The safe outcome: the rule is refused wherever attributes are.
      assertCommitFails(
        await verifyHistory(flow, ["--range", `${base}..HEAD`]),
        attack,
        ".mcp.json",
        ["UNSAFE_ATTRIBUTES"],
      );
      assertCommitFails(
        await verifyHistory(flow, ["--rev", "HEAD"]),
        attack,
        ".mcp.json",
        ["UNSAFE_ATTRIBUTES"],
      );
      await assertPushRefused(flow, ["origin", "main"], "main", [
        { path: ".mcp.json", codes: ["UNSAFE_ATTRIBUTES"] },
      ]);
    });
  },
});

Deno.test({
  name:
    "red team 1b: a .gitattributes in a folder that only differs in case from a config's (.Cursor beside .cursor) is UNSAFE_ATTRIBUTES",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await commit(flow, "cursor config", { ".cursor/mcp.json": V2 });
      const base = await head(flow);
      // Git on Linux sees two folders and ignores this file for
      // ".cursor/mcp.json"; on macOS or Windows they are one folder.
      await write(flow, { ".Cursor/.gitattributes": "mcp.json ident\n" });
      const attack = await forceCommit(flow, "attributes");
      assertCommitFails(
        await verifyHistory(flow, ["--range", `${base}..HEAD`]),
        attack,
        ".Cursor/.gitattributes",
        ["UNSAFE_ATTRIBUTES"],
      );
      const verified = await flow.cli(["verify", "--json"]);
      assert.equal(verified.code, 1, verified.stdout);
      assert.ok(verified.stdout.includes('"UNSAFE_ATTRIBUTES"'));
    });
  },
});

// --- 2: a deleted config restored as it was ----------------------------------------

Deno.test({
  name:
    "red team 2: a config alice deleted, restored byte for byte by an attacker (its tombstone reused as its statement), is refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // Alice deletes the config (say its server turned out to be
      // malicious): its line stays as a tombstone, so that "the old version
      // cannot be brought back unnoticed" (docs/SECURITY.md).
      const v2Statement = await indexId(flow, "HEAD", ".mcp.json");
      await flow.ok(["rm", "-q", ".mcp.json"]);
      await commit(flow, "remove the MCP config");
      assert.equal(await indexId(flow, "HEAD", ".mcp.json"), v2Statement);
      await push(flow, "main");
      const base = await head(flow);

      // The attack: the deleted file's bytes come back, nothing else. The
      // store already holds its statement and artifact.
      await flow.ok(["checkout", "v2", "--", ".mcp.json"]);
      assert.equal(await readText(flow, ".mcp.json"), V2);
      const restored = await forceCommit(flow, "restore the config");
      assert.equal(
        await flow.ok(["diff", "--name-only", base, restored]),
        ".mcp.json\n",
        "the attack touches the config only",
      );

      // The safe outcome: bringing a deleted config back needs a new
      // signature, as any other version after the deletion does.
      const range = await verifyHistory(flow, ["--range", `${base}..HEAD`]);
      assertCommitFails(range, restored, ".mcp.json");
      await assertPushRefused(flow, ["origin", "main"], "main", [
        { path: ".mcp.json", codes: ["ROLLED_BACK", "UNSIGNED"] },
      ]);

      // Honest: alice brings it back through the hook, which signs it anew.
      await flow.ok(["reset", "-q", "--hard", base]);
      await commit(flow, "alice restores the config", { ".mcp.json": V2 });
      await assertVerifies(flow, ["--range", `${base}..HEAD`]);
    });
  },
});

// --- 3: the pre-commit hook and git cherry-pick -n --------------------------------

Deno.test({
  name:
    "red team 3: after git cherry-pick -n of mallory's unsigned config, alice's pre-commit hook does not sign it",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // Mallory's branch: an unsigned config, past the hooks.
      await flow.ok(["checkout", "-q", "-b", "mallory"]);
      await write(flow, { ".mcp.json": EVIL });
      const evil = await forceCommit(flow, "a useful fix");
      const unsigned = await verifyHistory(flow, ["--rev", evil]);
      assertCommitFails(unsigned, evil, ".mcp.json", ["TAMPERED"]);
      await flow.ok(["checkout", "-q", "main"]);
      const base = await head(flow);

      // Alice takes the change without committing it, as a cherry-pick
      // with --no-commit does. Git leaves no CHERRY_PICK_HEAD then (it
      // does for a plain cherry-pick, and REVERT_HEAD for revert -n).
      await flow.ok(["cherry-pick", "-n", "mallory"]);
      assert.equal(await readText(flow, ".mcp.json"), EVIL);
      const gitDir = (await flow.ok(["rev-parse", "--absolute-git-dir"]))
        .trim();
      await assert.rejects(Deno.stat(join(gitDir, "CHERRY_PICK_HEAD")));

      // The safe outcome: her hook refuses to sign someone else's config
      // ("the hook does not sign someone else's changes for you").
      const result = await flow.git(["commit", "-q", "-m", "take the fix"]);
      if (result.code === 0) {
        // What got through: mallory's bytes under alice's signature, which
        // every gate then accepts.
        const signed = await verifyHistory(flow, ["--range", `${base}..HEAD`]);
        const index = await flow.ok(["show", `HEAD:${INDEX}`]);
        assert.fail(
          `alice's hook signed mallory's config (verify --range exit ${signed.code}):\n` +
            `${index}\n${result.stderr}`,
        );
      }
      assert.equal(await head(flow), base);
    });
  },
});

// --- 4: octopus merges ---------------------------------------------------------------

Deno.test({
  name:
    "red team 4: an octopus merge taking v1 from two untouched sides over main's v2 is ROLLED_BACK; the honest octopus passes",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const base = await head(flow);
      for (const side of ["docs", "tests"]) {
        await flow.ok(["checkout", "-q", "-b", side, "v1"]);
        await commit(flow, side, { [`${side}.md`]: `${side}\n` });
      }
      await flow.ok(["checkout", "-q", "-b", "attack", "main"]);
      await flow.ok(["merge", "-q", "--no-ff", "--no-commit", "docs", "tests"]);
      // Resolved as the two other sides have it: v1 and its store.
      await flow.ok([
        "checkout",
        "v1",
        "--",
        ".mcp.json",
        ".mcp-orchestration",
      ]);
      const octopus = await forceCommit(flow, "octopus");
      const parents =
        (await flow.ok(["rev-list", "--parents", "-n", "1", octopus]))
          .trim().split(" ");
      assert.equal(parents.length, 4, "not an octopus merge");
      assert.equal(
        await readText(flow, ".mcp.json"),
        await flow.ok(["show", "v1:.mcp.json"]),
      );

      assertCommitFails(
        await verifyHistory(flow, ["--range", `${base}..attack`]),
        octopus,
        ".mcp.json",
        ["ROLLED_BACK"],
      );
      await assertPushRefused(flow, ["origin", "attack:main"], "main", [
        { path: ".mcp.json", codes: ["ROLLED_BACK"] },
      ]);

      // Honest: Git's own octopus keeps main's v2, which the other sides
      // never changed.
      await flow.ok(["checkout", "-q", "main"]);
      await flow.ok([
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "octopus",
        "docs",
        "tests",
      ]);
      assert.equal(await readText(flow, ".mcp.json"), V2);
      await assertVerifies(flow, ["--range", `${base}..main`]);
      await push(flow, "main");
    });
  },
});
