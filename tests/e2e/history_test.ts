/**
 * Attacks on history, end to end: commits made with `git commit --no-verify`
 * (so the pre-commit hook cannot stop them) must be refused by the real
 * pre-push hook and fail `verify --range` as CI runs it, each with its code:
 * TAMPERED, ROLLED_BACK (also after a delete, and when the tombstone is
 * dropped first), SUBSTITUTED, UNTRUSTED_SIGNER and UNTRUSTED_TRUST_CHANGE
 * (a self-signed addition, and a removed trust list). Legitimate history
 * passes: a trust change by a trusted key, the new signer's commits, and a
 * merge of branches that changed different configs.
 *
 * Real git, a bare remote, and the hooks that `install` writes; repository
 * paths contain a space.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  type FlowWithKeys,
  forceCommit,
  head,
  type HistoryReport,
  installHooks,
  push,
  readText,
  sha256,
  sharedFlow,
  write,
} from "../support/flow.ts";
import { assertCliError } from "../support/errors.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const STORE = ".mcp-orchestration";
const INDEX = `${STORE}/index`;
const ALLOWED_SIGNERS = `${STORE}/allowed_signers`;

function config(command: string): string {
  return JSON.stringify({ mcpServers: { files: { command, args: ["."] } } }) +
    "\n";
}
const V1 = config("server-v1");
const V2 = config("server-v2");
const EVIL = config("curl-evil");

// --- helpers ------------------------------------------------------------------

/**
 * A flow (tests/support/flow.ts) in which alice (the default key in the
 * tool's home) is the first trusted signer; bob and mallory are keys made by
 * ssh-keygen that nobody trusts yet.
 */
type HistoryFlow = FlowWithKeys<"bob" | "mallory">;

/**
 * Runs `fn` in a flow whose first commit ("v1", signed by the hook) is
 * pushed. Made once per file and copied: no test checks how it was made.
 */
async function withFlow(
  fn: (flow: HistoryFlow) => Promise<void>,
): Promise<void> {
  await using flow = await sharedFlow("v1 pushed", async () => {
    const flow = await createFlow({ keys: ["bob", "mallory"] });
    try {
      await installHooks(flow, "alice@example.com");
      await commit(flow, "v1", { ".mcp.json": V1 });
      await flow.ok(["tag", "v1"]);
      await push(flow, "main");
      return flow;
    } catch (error) {
      await flow.cleanup();
      throw error;
    }
  }, { keys: ["bob", "mallory"] });
  await fn(flow);
}

async function remoteRef(flow: Flow, branch: string): Promise<string> {
  return (await flow.remote.git("rev-parse", branch)).trim();
}

/**
 * Asserts that pushing main is refused by the pre-push hook, leaves the
 * remote as it was, and reports each expected commit, file and code.
 */
async function assertPushRefused(
  flow: Flow,
  expected: { commit: string; path: string; code: string }[],
): Promise<void> {
  const before = await remoteRef(flow, "main");
  const result = await flow.git(["push", "-q", "origin", "main"]);
  assert.notEqual(result.code, 0, "push went through");
  assert.equal(await remoteRef(flow, "main"), before);
  for (const { commit, path, code } of expected) {
    const line = result.stderr.split("\n").find((l) =>
      l.includes(`FAIL  ${path}  ${code}:`)
    );
    assert.ok(line, `no "${path} ${code}" in:\n${result.stderr}`);
    assert.ok(result.stderr.includes(commit.slice(0, 12)), result.stderr);
  }
}

/** `verify --range RANGE --json`: its exit code, and every failure as "subject: path CODE". */
async function verifyRange(
  flow: Flow,
  range: string,
): Promise<{ code: number; failures: string[]; report: HistoryReport }> {
  const result = await flow.cli(["verify", "--range", range, "--json"]);
  let report: HistoryReport;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    return assert.fail(
      `verify --range printed no JSON (exit ${result.code}): ${result.stderr}`,
    );
  }
  const failures = report.commits.flatMap((c) =>
    c.results.filter((r) => !r.ok).map((r) =>
      `${c.subject}: ${r.path} ${r.code}`
    )
  );
  assert.equal(report.ok, failures.length === 0);
  return { code: result.code, failures, report };
}

// --- attacks ------------------------------------------------------------------------

Deno.test({
  name:
    "a tampered config committed with --no-verify: pre-push refuses it, verify --range reports TAMPERED",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      await write(flow, { ".mcp.json": EVIL });
      const tampered = await forceCommit(flow, "tamper");
      await assertPushRefused(flow, [
        { commit: tampered, path: ".mcp.json", code: "TAMPERED" },
      ]);
      const range = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(range.code, 1);
      assert.deepEqual(range.failures, ["tamper: .mcp.json TAMPERED"]);
      assert.equal(range.report.commits[0]!.commit, tampered);
    });
  },
});

Deno.test({
  name:
    "rollback: re-committing v1 with its old signature over v2 is ROLLED_BACK in verify --range and at push",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      await commit(flow, "v2", { ".mcp.json": V2 });
      await push(flow, "main");
      // v1's config and store, validly signed back then.
      await flow.ok(["checkout", "v1", "--", ".mcp.json", STORE]);
      const rollback = await forceCommit(flow, "rollback");
      assert.equal(await readText(flow, ".mcp.json"), V1);

      const range = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(range.code, 1);
      assert.deepEqual(range.failures, ["rollback: .mcp.json ROLLED_BACK"]);
      await assertPushRefused(flow, [
        { commit: rollback, path: ".mcp.json", code: "ROLLED_BACK" },
      ]);
      // Working-tree verification cannot see it: that is what history is for.
      assert.equal((await flow.cli(["verify"])).code, 0);
    });
  },
});

Deno.test({
  name:
    "rollback after a delete: the tombstone catches v1 coming back; dropping the tombstone first is caught too",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      await commit(flow, "v2", { ".mcp.json": V2 });
      const v2Id = (await readText(flow, INDEX)).split("\n").find((line) =>
        line.endsWith(" .mcp.json")
      )?.slice(0, 64);
      await flow.ok(["rm", "-q", ".mcp.json"]);
      await commit(flow, "delete");
      // The deleted config keeps its line: the tombstone.
      assert.ok(
        (await readText(flow, INDEX)).includes(`${v2Id} .mcp.json\n`),
      );
      await push(flow, "main");

      await flow.ok(["checkout", "v1", "--", ".mcp.json", STORE]);
      const readded = await forceCommit(flow, "re-add v1");
      const range = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(range.code, 1);
      assert.deepEqual(range.failures, ["re-add v1: .mcp.json ROLLED_BACK"]);
      await assertPushRefused(flow, [
        { commit: readded, path: ".mcp.json", code: "ROLLED_BACK" },
      ]);

      // In two steps: first drop the tombstone, then re-add v1 as if new.
      await flow.ok(["reset", "-q", "--hard", "origin/main"]);
      const index = await readText(flow, INDEX);
      await write(flow, {
        [INDEX]: index.replace(`${v2Id} .mcp.json\n`, ""),
      });
      const dropped = await forceCommit(flow, "drop tombstone");
      await flow.ok(["checkout", "v1", "--", ".mcp.json", STORE]);
      await forceCommit(flow, "re-add v1 as new");
      const twoSteps = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(twoSteps.code, 1);
      assert.deepEqual(twoSteps.failures, [
        "drop tombstone: .mcp.json ROLLED_BACK",
      ]);
      await assertPushRefused(flow, [
        { commit: dropped, path: ".mcp.json", code: "ROLLED_BACK" },
      ]);
    });
  },
});

Deno.test({
  name:
    "a signed config copied with its index line to another path: SUBSTITUTED",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const index = await readText(flow, INDEX);
      const line = index.split("\n").find((l) => l.endsWith(" .mcp.json"))!;
      await write(flow, {
        "sub/.mcp.json": V1,
        // "sub/…" sorts last.
        [INDEX]: `${index}${line.slice(0, 64)} sub/.mcp.json\n`,
      });
      const copied = await forceCommit(flow, "copy");
      const range = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(range.code, 1);
      assert.deepEqual(range.failures, ["copy: sub/.mcp.json SUBSTITUTED"]);
      await assertPushRefused(flow, [
        { commit: copied, path: "sub/.mcp.json", code: "SUBSTITUTED" },
      ]);
    });
  },
});

Deno.test({
  name:
    "an untrusted key: pre-commit refuses with the trust add hint; forced with sign --key, verify --range reports UNTRUSTED_SIGNER",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const asMallory = { MCP_ORCHESTRATION_KEY: flow.mallory.privatePath };
      await write(flow, { ".mcp.json": EVIL });
      await flow.ok(["add", "-A"]);
      const before = await flow.repo.snapshot();
      const refused = await flow.git(["commit", "-q", "-m", "evil"], {
        env: asMallory,
      });
      assertCliError(
        refused,
        "TRUST",
        `trust add "${flow.mallory.publicPath}"`,
      );
      assert.deepEqual(await flow.repo.snapshot(), before);

      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      const forced = await forceCommit(flow, "evil");
      const range = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(range.code, 1);
      assert.deepEqual(range.failures, ["evil: .mcp.json UNTRUSTED_SIGNER"]);
      await assertPushRefused(flow, [
        { commit: forced, path: ".mcp.json", code: "UNTRUSTED_SIGNER" },
      ]);
    });
  },
});

Deno.test({
  name:
    "trust tampering: mallory adding herself is refused by pre-commit and, forced, is UNTRUSTED_TRUST_CHANGE; alice adding bob passes, then bob's commits verify",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const asMallory = { MCP_ORCHESTRATION_KEY: flow.mallory.privatePath };
      await cliOk(flow, [
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      await flow.ok(["add", "-A"]);
      const refused = await flow.git(["commit", "-q", "-m", "trust mallory"], {
        env: asMallory,
      });
      assert.equal(refused.code, 1, refused.stderr);
      assert.equal(await head(flow), await remoteRef(flow, "main"));

      // Forced: the list signed by mallory, whom only the new list trusts,
      // then a config signed by mallory on top.
      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      const selfSigned = await forceCommit(flow, "trust mallory");
      await write(flow, { ".mcp.json": EVIL });
      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      await forceCommit(flow, "evil by mallory");
      const range = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(range.code, 1);
      // The commit built on that list fails too: trust does not carry over.
      assert.deepEqual(range.failures, [
        `trust mallory: ${ALLOWED_SIGNERS} UNTRUSTED_TRUST_CHANGE`,
        `evil by mallory: ${ALLOWED_SIGNERS} UNTRUSTED_TRUST_CHANGE`,
      ]);
      await assertPushRefused(flow, [
        {
          commit: selfSigned,
          path: ALLOWED_SIGNERS,
          code: "UNTRUSTED_TRUST_CHANGE",
        },
      ]);

      // The legitimate way: alice (trusted) adds bob; then bob signs.
      await flow.ok(["reset", "-q", "--hard", "origin/main"]);
      await cliOk(flow, [
        "trust",
        "add",
        flow.bob.publicPath,
        "--principal",
        "bob@example.com",
      ]);
      await commit(flow, "trust bob");
      await commit(flow, "v2 by bob", { ".mcp.json": V2 }, {
        MCP_ORCHESTRATION_KEY: flow.bob.privatePath,
      });
      const good = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(good.code, 0, good.failures.join("\n"));
      assert.equal(good.report.commits.length, 2);
      await push(flow, "main");
      assert.equal(await remoteRef(flow, "main"), await head(flow));
    });
  },
});

Deno.test({
  name:
    "a removed trust list is UNTRUSTED_TRUST_CHANGE: the next one cannot become a new root of trust",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      // Step 1: remove the config and the trust list (the config's index
      // line stays as a tombstone). Step 2: mallory brings her own list and
      // a config, signed with her key (sign continues the chain).
      await flow.ok(["rm", "-q", ".mcp.json", ALLOWED_SIGNERS]);
      const removed = await forceCommit(flow, "remove trust");
      await write(flow, { ".mcp.json": EVIL });
      await cliOk(flow, [
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      await forceCommit(flow, "new root");
      const range = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(range.code, 1);
      assert.deepEqual(range.failures, [
        `remove trust: ${ALLOWED_SIGNERS} UNTRUSTED_TRUST_CHANGE`,
        `new root: ${ALLOWED_SIGNERS} UNTRUSTED_TRUST_CHANGE`,
      ]);
      await assertPushRefused(flow, [
        {
          commit: removed,
          path: ALLOWED_SIGNERS,
          code: "UNTRUSTED_TRUST_CHANGE",
        },
      ]);
    });
  },
});

// --- merges -------------------------------------------------------------------------

Deno.test({
  name:
    "merges: different configs verify; for one config both sides changed, keeping one side is MALFORMED or ROLLED_BACK, re-signing passes",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      // ".cursor/mcp.json" < allowed_signers < ".mcp.json" in the index:
      // their lines are not adjacent, so Git merges the index without a
      // conflict. (Two configs whose lines are adjacent make the index
      // conflict, as any two edits of neighbouring lines do; resolve it by
      // keeping both lines.)
      await commit(flow, "cursor v1", { ".cursor/mcp.json": V1 });
      const base = await head(flow);
      await flow.ok(["checkout", "-q", "-b", "side"]);
      await commit(flow, "cursor v2", { ".cursor/mcp.json": V2 });
      await flow.ok(["checkout", "-q", "main"]);
      await commit(flow, "mcp v2", { ".mcp.json": V2 });
      // A merge without conflict runs pre-merge-commit, not pre-commit:
      // nothing needs signing, both sides' statements are taken as they are.
      await flow.ok(["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
      const merged = await verifyRange(flow, `${base}..HEAD`);
      assert.equal(merged.code, 0, merged.failures.join("\n"));
      assert.deepEqual(
        merged.report.commits.map((c) => c.subject).sort(),
        ["cursor v2", "mcp v2", "merge side"],
      );
      await push(flow, "main");

      // Both branches change the same config, each signing sequence 3
      // after v2. Git conflicts on ".mcp.json" and the index, and, as each
      // side deleted v2's statement and added its own, it takes the two new
      // signature files for a rename/rename of the old one: both get the
      // two sides' lines inside conflict markers. What happens then (the
      // current behaviour, asserted below):
      // - keep one side (`checkout --ours`) and `git add -A`: the merge
      //   brings damaged signature files; the hook does not sign someone
      //   else's changes during a merge, so it refuses and names the file;
      //   after an explicit `sign` the hook accepts, and the kept version,
      //   re-signed as sequence 4 following both sides, verifies;
      // - the same with each branch's signature files restored: two
      //   different statements with sequence 3, and ROLLED_BACK against the
      //   other parent (nothing re-signs a version that already verifies);
      // - resolve with new content: refused by the hook too, then signed
      //   explicitly as sequence 4, following both sides' versions.
      await flow.ok(["checkout", "-q", "-b", "other"]);
      await commit(flow, "other v3", { ".mcp.json": config("other") });
      await flow.ok(["checkout", "-q", "main"]);
      await commit(flow, "main v3", { ".mcp.json": config("main") });
      const mainV3 = await head(flow);
      async function mergeOtherKeepingOurs(): Promise<void> {
        await flow.ok(["reset", "-q", "--hard", mainV3]);
        assert.notEqual((await flow.git(["merge", "-q", "other"])).code, 0);
        const unmerged = (await flow.ok(["diff", "--name-only"])).split("\n");
        assert.ok(unmerged.includes(".mcp.json"), unmerged.join("\n"));
        assert.ok(unmerged.includes(INDEX), unmerged.join("\n"));
        const damaged: string[] = [];
        for (const path of unmerged.filter((p) => p.endsWith(".sig"))) {
          if (!await flow.repo.exists(path)) continue;
          if ((await readText(flow, path)).includes("<<<<<<<")) {
            damaged.push(path);
          }
        }
        assert.ok(damaged.length > 0, unmerged.join("\n"));
        await flow.ok(["checkout", "--ours", "--", ".mcp.json", INDEX]);
      }

      async function commitMergeSigningExplicitly(
        message: string,
        files: Record<string, string> = {},
      ): Promise<void> {
        await write(flow, files);
        await flow.ok(["add", "-A"]);
        const refused = await flow.git(["commit", "-q", "-m", message]);
        assert.notEqual(
          refused.code,
          0,
          "the hook must not sign a merge's changes by itself",
        );
        assertCliError(refused, "TRUST", /merge brings "\.mcp\.json"/);
        const signed = await flow.cli(["sign", ".mcp.json"]);
        assert.equal(signed.code, 0, signed.stderr);
        await commit(flow, message);
      }

      await mergeOtherKeepingOurs();
      await commitMergeSigningExplicitly("keep main");
      const kept = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(kept.code, 0, kept.failures.join("\n"));
      const keptId = (await readText(flow, INDEX)).split("\n").find((l) =>
        l.endsWith(" .mcp.json")
      )!.slice(0, 64);
      assert.match(
        await readText(flow, `${STORE}/statements/${keptId}`),
        /^sequence 4$/m,
      );

      await mergeOtherKeepingOurs();
      await flow.ok(["checkout", mainV3, "--", `${STORE}/statements`]);
      await flow.ok(["checkout", "other", "--", `${STORE}/statements`]);
      await commit(flow, "keep main, signatures restored");
      const restored = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(restored.code, 1);
      assert.deepEqual(restored.failures, [
        "keep main, signatures restored: .mcp.json ROLLED_BACK",
      ]);

      await mergeOtherKeepingOurs();
      await commitMergeSigningExplicitly("merge both", {
        ".mcp.json": config("both"),
      });
      const statementId = (await readText(flow, INDEX)).split("\n").find((l) =>
        l.endsWith(" .mcp.json")
      )!.slice(0, 64);
      const statement = await readText(
        flow,
        `${STORE}/statements/${statementId}`,
      );
      assert.match(statement, /^sequence 4$/m);
      // It follows both sides: their artifacts, sorted, in "previous".
      const sides = [sha256(config("main")), sha256(config("other"))].sort();
      assert.ok(statement.includes(`previous ${sides.join(" ")}\n`), statement);
      const resolved = await verifyRange(flow, "origin/main..HEAD");
      assert.equal(resolved.code, 0, resolved.failures.join("\n"));
      await push(flow, "main");
    });
  },
});
