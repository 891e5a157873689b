/**
 * What the pre-commit hook signs (review item 6): only the configs whose
 * staged blob the commit changes. A config someone else left unsigned or
 * invalid in the index is never signed with the committer's key, whatever
 * else the commit changes (a trust-list change above all): the commit is
 * refused, naming it, and nothing is written.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  EVIL,
  INDEX,
  STORE,
  V1,
  withSignedHistory,
} from "../support/attacks.ts";
import {
  cliOk,
  commit,
  forceCommit,
  head,
  readText,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { assertCliError } from "../support/errors.ts";
import { generateKey } from "../support/ssh_keygen.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const PLANTED = ".cursor/mcp.json";

Deno.test({
  name:
    "an unsigned config committed past the hooks is not signed by the next trust change: the commit is refused, naming it",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      // Mallory's config, committed with --no-verify: unsigned.
      await write(flow, { [PLANTED]: EVIL });
      await forceCommit(flow, "add cursor config");
      const before = await head(flow);
      const index = await readText(flow, INDEX);
      assert.ok(!index.includes(PLANTED));

      // Alice trusts bob, through the hook.
      const bob = await generateKey(join(flow.repo.home, "other keys"), "bob");
      await cliOk(flow, [
        "trust",
        "add",
        bob.publicPath,
        "--principal",
        "bob@example.com",
      ]);
      await flow.ok(["add", "-A"]);
      const refused = await flow.git(["commit", "-q", "-m", "trust bob"]);
      assert.notEqual(refused.code, 0, "the trust change was committed");
      assertCliError(
        refused,
        "TRUST",
        `"${PLANTED}" (UNSIGNED`,
        /signs only the configs a commit changes/,
        `mcp-orchestration sign "${PLANTED}"`,
      );
      assert.equal(await head(flow), before);
      assert.ok(!(await readText(flow, INDEX)).includes(PLANTED));
      assert.equal(
        await flow.ok(["diff", "--cached", "--name-only", "--", INDEX]),
        "",
        "the hook staged a new index",
      );

      // An ordinary config change is refused the same way while it is there.
      await flow.ok(["reset", "-q", "--hard", before]);
      await write(flow, { ".mcp.json": V1.replace("v1", "v3") });
      await flow.ok(["add", "-A"]);
      const edit = await flow.git(["commit", "-q", "-m", "v3"]);
      assert.notEqual(edit.code, 0, "the edit was committed");
      assertCliError(edit, "TRUST", `"${PLANTED}" (UNSIGNED`);

      // Once it is gone (or signed by someone who reviewed it), both pass.
      await flow.ok(["rm", "-q", PLANTED]);
      await commit(flow, "v3, without the planted config");
      await cliOk(flow, [
        "trust",
        "add",
        bob.publicPath,
        "--principal",
        "bob@example.com",
      ]);
      await commit(flow, "trust bob");
      assert.ok(
        (await readText(flow, `${STORE}/allowed_signers`)).includes("bob@"),
      );
    });
  },
});

Deno.test({
  name:
    "git commit --amend of a config change keeps the chain: the amended commit verifies against its real parent",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const base = await head(flow);
      await commit(flow, "v3", { ".mcp.json": V1.replace("v1", "v3") });
      // Amended twice: once changing the config again, once only the message.
      await write(flow, { ".mcp.json": V1.replace("v1", "v3b") });
      await flow.ok(["add", "-A"]);
      const amended = await flow.git(["commit", "-q", "--amend", "--no-edit"]);
      assert.equal(amended.code, 0, amended.stderr);
      const reworded = await flow.git([
        "commit",
        "-q",
        "--amend",
        "-m",
        "v3, reworded",
      ]);
      assert.equal(reworded.code, 0, reworded.stderr);
      const range = await verifyHistory(flow, ["--range", `${base}..HEAD`]);
      assert.equal(range.code, 0, range.text);
      assert.equal(range.report.commits.length, 1, range.text);
    });
  },
});
