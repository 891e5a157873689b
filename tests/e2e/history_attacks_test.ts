/**
 * Attacks on history verification found in review, end to end, each as a
 * regression test: the honest state first passes (exit 0), then the attack
 * must fail closed, in `verify --rev` / `verify --range … --json` (exit 1,
 * with its code) and, where it would reach the remote, at the real pre-push
 * hook.
 *
 * 1. A broken chain link for a config: an index line pointing at no
 *    statement, then v1 restored with its old signature.
 * 2. The same for the trust list: a removed signer's list restored with its
 *    old (validly signed) statement, then a config signed by her.
 * 3. Removing the pattern that made a file a config, and tampering with it.
 * 4. A symlinked client folder whose target Git does not store (an ignored
 *    or absent folder, or another symlink that leads outside), a submodule,
 *    and a link that leaves the repository.
 * 5. A conflicted merge whose commit (pre-commit) would sign, with the
 *    user's key, a trust-list or config change that came from the other
 *    branch.
 * 6. `git replace`, making an evil commit read as a clean one.
 * 7. An orphan branch bringing its own root of trust.
 * 8. A force push back to an older, validly signed version.
 *
 * Real git, a bare remote, the hooks that `init` installs; repository paths
 * contain a space. The flow helpers are shared with history_test.ts and
 * hooks_flow_test.ts (tests/support/flow.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import {
  ALLOWED_SIGNERS,
  assertCommitFails,
  assertPushRefused,
  assertVerifies,
  EVIL,
  INDEX,
  indexId,
  remoteRef,
  setIndexLine,
  STORE,
  V1,
  withSignedHistory as withFlow,
} from "../support/attacks.ts";
import {
  cliOk,
  commit,
  type Flow,
  forceCommit,
  head,
  push,
  readText,
  revParse,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { assertCliError } from "../support/errors.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const REPO_CONFIG = `${STORE}/config.json`;
const NO_STATEMENT = "f".repeat(64);

// --- 1, 2: broken links in a chain ---------------------------------------------------

Deno.test({
  name:
    "a config's chain broken by an index line to no statement, then v1 restored with its old signature: fails, push refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      await assertVerifies(flow, ["--rev", "v1"]);
      await assertVerifies(flow, ["--range", "v1..main"]);
      const base = await head(flow);

      await flow.ok(["checkout", "-q", "-b", "attack"]);
      await flow.ok(["rm", "-q", ".mcp.json"]);
      await setIndexLine(flow, ".mcp.json", NO_STATEMENT);
      const broken = await forceCommit(flow, "break the link");
      // v1's config and store, validly signed back then: the index line
      // points at v1's statement again.
      await flow.ok(["checkout", "v1", "--", ".mcp.json", STORE]);
      const restored = await forceCommit(flow, "restore v1");
      assert.equal(await readText(flow, ".mcp.json"), V1);
      assert.equal(
        await indexId(flow, "HEAD", ".mcp.json"),
        await indexId(flow, "v1", ".mcp.json"),
      );

      const range = await verifyHistory(flow, ["--range", `${base}..attack`]);
      assertCommitFails(range, broken, ".mcp.json", [
        "MALFORMED",
        "ROLLED_BACK",
      ]);
      assertCommitFails(range, restored, ".mcp.json", ["ROLLED_BACK"]);
      await assertPushRefused(flow, ["origin", "attack:main"], "main", [
        { path: ".mcp.json", codes: ["ROLLED_BACK"] },
      ]);
    });
  },
});

Deno.test({
  name:
    "the trust list's chain broken, then a removed signer's list restored with its old statement, then her config: fails, push refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      // Alice adds mallory, then removes her: both legitimate and pushed.
      await cliOk(flow, [
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      const added = await commit(flow, "trust mallory");
      await cliOk(flow, ["trust", "remove", "mallory@example.com"]);
      await commit(flow, "untrust mallory");
      await push(flow, "main");
      await assertVerifies(flow, ["--range", "v1..main"]);
      const base = await head(flow);
      const withMallory = await indexId(flow, added, ALLOWED_SIGNERS);
      assert.notEqual(
        await indexId(flow, base, ALLOWED_SIGNERS),
        withMallory,
      );

      await flow.ok(["checkout", "-q", "-b", "attack"]);
      // C1: the list's bytes are unchanged; only its index line moves.
      await setIndexLine(flow, ALLOWED_SIGNERS, NO_STATEMENT);
      const broken = await forceCommit(flow, "break the trust link");
      // C2: the list with mallory, and alice's statement (and artifact) for
      // it back then.
      await flow.ok([
        "checkout",
        added,
        "--",
        ALLOWED_SIGNERS,
        `${STORE}/statements`,
        `${STORE}/artifacts`,
      ]);
      await setIndexLine(flow, ALLOWED_SIGNERS, withMallory);
      const restored = await forceCommit(flow, "restore mallory");
      assert.ok(
        (await readText(flow, ALLOWED_SIGNERS)).includes("mallory@example.com"),
      );
      // C3: mallory signs a config of her own.
      await write(flow, { ".mcp.json": EVIL });
      await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
      const evil = await forceCommit(flow, "evil by mallory");

      const range = await verifyHistory(flow, ["--range", `${base}..attack`]);
      assertCommitFails(range, broken, ALLOWED_SIGNERS);
      assertCommitFails(range, restored, ALLOWED_SIGNERS, [
        "ROLLED_BACK",
        "UNTRUSTED_TRUST_CHANGE",
      ]);
      assertCommitFails(range, evil, undefined);
      await assertPushRefused(flow, ["origin", "attack:main"], "main", [
        {
          path: ALLOWED_SIGNERS,
          codes: ["ROLLED_BACK", "UNTRUSTED_TRUST_CHANGE"],
        },
      ]);
    });
  },
});

// --- 3: patterns ------------------------------------------------------------------

Deno.test({
  name:
    "a config.json pattern removed while its file is tampered with: the indexed path is still verified, TAMPERED",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const repoConfig = (configs: unknown[]) =>
        JSON.stringify({ version: 1, configs }, null, 2) + "\n";
      await commit(flow, "tools config", {
        [REPO_CONFIG]: repoConfig([{
          pattern: "tools/*/mcp.json",
          format: "json",
          servers: "mcpServers",
        }]),
        "tools/x/mcp.json": V1,
      });
      await indexId(flow, "HEAD", "tools/x/mcp.json");
      const honest = await verifyHistory(flow, ["--rev", "HEAD"]);
      assert.equal(honest.code, 0, honest.text);
      assert.ok(
        honest.report.commits[0]!.results.some((r) =>
          r.path === "tools/x/mcp.json" && r.ok
        ),
        honest.text,
      );
      await push(flow, "main");

      await write(flow, {
        [REPO_CONFIG]: repoConfig([]),
        "tools/x/mcp.json": EVIL,
      });
      const tampered = await forceCommit(flow, "drop the pattern");
      assert.equal(
        await indexId(flow, "HEAD", "tools/x/mcp.json"),
        await indexId(flow, "HEAD~1", "tools/x/mcp.json"),
      );
      const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
      assertCommitFails(rev, tampered, "tools/x/mcp.json", ["TAMPERED"]);
      const range = await verifyHistory(flow, [
        "--range",
        "origin/main..HEAD",
      ]);
      assertCommitFails(range, tampered, "tools/x/mcp.json", ["TAMPERED"]);
      await assertPushRefused(flow, ["origin", "main"], "main", [
        { path: "tools/x/mcp.json", codes: ["TAMPERED"] },
      ]);
    });
  },
});

// --- 4: symlinks ------------------------------------------------------------------

Deno.test({
  name:
    "a client folder symlinked to an untracked in-repo folder, or to a symlink that leads outside: .cursor itself UNSIGNED",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      await assertVerifies(flow, ["--rev", "HEAD"]);
      const outside = join(flow.repo.home, "outside");
      await Deno.mkdir(outside);
      await Deno.writeTextFile(join(outside, "mcp.json"), EVIL);
      const link = (target: string, path: string) =>
        Deno.symlink(target, join(flow.repo.root, path));

      // Git stores none of what is beneath ".cursor" here: the whole folder
      // is unverifiable (reported as ".cursor"), not one guessed file.
      const cases: [string, () => Promise<void>][] = [
        ["to an ignored folder", async () => {
          await write(flow, {
            ".gitignore": "node_modules/\n",
            "node_modules/evilpkg/mcp.json": EVIL,
          });
          await link("node_modules/evilpkg", ".cursor");
        }],
        ["to an absent folder", async () => {
          await link("vendor/evilpkg", ".cursor");
        }],
        ["to a symlink that leads outside", async () => {
          await link(outside, "x");
          await link("x", ".cursor");
        }],
        ["to a relative symlink that leads outside", async () => {
          await link("../../home dir/outside", "x");
          await link("x", ".cursor");
        }],
      ];
      const passed: string[] = [];
      for (const [name, attack] of cases) {
        await flow.ok(["reset", "-q", "--hard", "origin/main"]);
        await flow.ok(["clean", "-q", "-f", "-d", "-x"]);
        await attack();
        const linked = await forceCommit(flow, `.cursor ${name}`);
        assert.equal(
          (await flow.ok(["ls-tree", "HEAD", ".cursor"])).slice(0, 6),
          "120000",
          name,
        );
        const rev = await verifyHistory(flow, ["--rev", "HEAD"]);
        try {
          assertCommitFails(rev, linked, ".cursor", ["UNSIGNED"]);
        } catch (error) {
          passed.push(`.cursor ${name}: ${(error as Error).message}`);
        }
      }
      assert.deepEqual(passed, [], passed.join("\n\n"));
    });
  },
});

/**
 * Asserts that `path`, which the last commit made a submodule or a link
 * whose content Git does not store, fails everywhere it is checked: the
 * working tree's `verify`, `verify --rev HEAD`, and the pre-push hook.
 */
async function assertHiddenEverywhere(
  flow: Flow,
  commit: string,
  path: string,
): Promise<void> {
  const tree = await flow.cli(["verify", "--json"]);
  assert.equal(tree.code, 1, tree.stdout + tree.stderr);
  const results = (JSON.parse(tree.stdout) as {
    results: { path: string; code?: string; reason?: string }[];
  }).results;
  const found = results.find((r) => r.path === path);
  assert.equal(found?.code, "UNSIGNED", tree.stdout);
  assert.match(found?.reason ?? "", new RegExp(`"${path}/[^"]*"`));
  assertCommitFails(
    await verifyHistory(flow, ["--rev", "HEAD"]),
    commit,
    path,
    ["UNSIGNED"],
  );
  await assertPushRefused(flow, ["origin", "main"], "main", [
    { path, codes: ["UNSIGNED"] },
  ]);
}

Deno.test({
  name:
    "a submodule at vendor/lib: verify, verify --rev HEAD and pre-push fail on it, and pre-commit refuses it",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      // Another repository, whose .mcp.json a client opens as
      // vendor/lib/.mcp.json once it is a submodule here.
      const lib = join(dirname(flow.repo.root), "lib repo");
      await Deno.mkdir(lib);
      await flow.ok(["init", "-q", "--initial-branch=main"], { cwd: lib });
      await Deno.writeTextFile(join(lib, ".mcp.json"), EVIL);
      await flow.ok(["add", ".mcp.json"], { cwd: lib });
      await flow.ok(["commit", "-q", "-m", "lib"], { cwd: lib });
      await flow.ok([
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        lib,
        "vendor/lib",
      ]);
      assert.equal(
        (await flow.ok(["ls-files", "-s", "vendor/lib"])).slice(0, 6),
        "160000",
      );
      const refused = await flow.git(["commit", "-q", "-m", "vendor lib"]);
      assert.notEqual(refused.code, 0, "pre-commit let the submodule in");
      assertCliError(refused, "BAD_PATH", /"vendor\/lib" is a submodule/);
      const added = await forceCommit(flow, "vendor lib");
      await assertHiddenEverywhere(flow, added, "vendor/lib");
    });
  },
});

Deno.test({
  name:
    "a link leaving the repository (tools -> ../elsewhere): verify, verify --rev HEAD and pre-push fail on it, and pre-commit refuses it",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const elsewhere = join(dirname(flow.repo.root), "elsewhere");
      await Deno.mkdir(join(elsewhere, "search"), { recursive: true });
      await Deno.writeTextFile(join(elsewhere, "search", ".mcp.json"), EVIL);
      await Deno.symlink("../elsewhere", join(flow.repo.root, "tools"));
      await flow.ok(["add", "tools"]);
      const refused = await flow.git(["commit", "-q", "-m", "tools"]);
      assert.notEqual(refused.code, 0, "pre-commit let the link in");
      assert.match(
        refused.stderr,
        /"tools" is a symbolic link to "\.\.\/elsewhere", outside the repository/,
      );
      const added = await forceCommit(flow, "tools");
      await assertHiddenEverywhere(flow, added, "tools");
    });
  },
});

// --- 5: merges --------------------------------------------------------------------

Deno.test({
  name:
    "a conflicted merge does not sign what the other branch brings: an unsigned trust-list or config change is refused by pre-commit",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      // Honest: a README conflict, resolved and committed through the hooks.
      await flow.ok(["checkout", "-q", "-b", "docs"]);
      await commit(flow, "docs readme", { "README.md": "docs\n" });
      await flow.ok(["checkout", "-q", "main"]);
      await commit(flow, "alice readme", { "README.md": "alice\n" });
      assert.notEqual((await flow.git(["merge", "-q", "docs"])).code, 0);
      await write(flow, { "README.md": "alice and docs\n" });
      await flow.ok(["add", "README.md"]);
      const merged = await flow.git(["commit", "-q", "--no-edit"]);
      assert.equal(merged.code, 0, merged.stderr);
      await assertVerifies(flow, ["--range", "origin/main..main"]);
      await push(flow, "main");
      const base = await head(flow);

      // Mallory's branches: each edits README, and brings an unsigned
      // change (no hooks): her own trust line, or a config.
      await flow.ok(["checkout", "-q", "-b", "mallory-trust"]);
      await cliOk(flow, [
        "trust",
        "add",
        flow.mallory.publicPath,
        "--principal",
        "mallory@example.com",
      ]);
      await write(flow, { "README.md": "mallory\n" });
      await forceCommit(flow, "readme typo");
      await flow.ok(["checkout", "-q", "-b", "mallory-config", base]);
      await write(flow, { ".mcp.json": EVIL, "README.md": "mallory 2\n" });
      await forceCommit(flow, "readme typo 2");
      await flow.ok(["checkout", "-q", "main"]);
      const before = await commit(flow, "alice readme 2", {
        "README.md": "alice 2\n",
      });

      const cases: [string, string][] = [
        ["mallory-trust", ALLOWED_SIGNERS],
        ["mallory-config", ".mcp.json"],
      ];
      for (const [branch, path] of cases) {
        const merge = await flow.git(["merge", "-q", branch]);
        assert.notEqual(merge.code, 0, `${branch}: ${merge.stdout}`);
        // Only README conflicts; the other file merged cleanly.
        assert.equal(
          await flow.ok(["diff", "--name-only", "--diff-filter=U"]),
          "README.md\n",
        );
        await write(flow, { "README.md": "alice 2 and mallory\n" });
        await flow.ok(["add", "README.md"]);
        const refused = await flow.git(["commit", "-q", "--no-edit"]);
        assert.notEqual(refused.code, 0, `${branch}: merge commit made`);
        assertCliError(refused, "TRUST", path, /review/i, /\bsign/i);
        assert.equal(await head(flow), before);
        // Nothing was signed: the store's index and statements are HEAD's.
        assert.equal(
          await flow.ok([
            "diff",
            "HEAD",
            "--name-only",
            "--",
            INDEX,
            `${STORE}/statements`,
          ]),
          "",
          branch,
        );
        await flow.ok(["merge", "--abort"]);
      }
    });
  },
});

// --- 6: replace refs ----------------------------------------------------------------

Deno.test({
  name:
    "git replace: an evil commit replaced by a clean one is verified as what it really holds",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const base = await head(flow);
      await flow.ok(["checkout", "-q", "-b", "clean"]);
      const clean = await commit(flow, "clean", { "README.md": "clean\n" });
      await assertVerifies(flow, ["--rev", clean]);

      await flow.ok(["checkout", "-q", "-b", "evil", base]);
      await write(flow, { ".mcp.json": EVIL });
      const evil = await forceCommit(flow, "evil");
      assertCommitFails(
        await verifyHistory(flow, ["--rev", evil]),
        evil,
        ".mcp.json",
        ["TAMPERED"],
      );

      await flow.ok(["replace", evil, clean]);
      // Git itself now shows the clean commit under the evil one's name.
      assert.equal(
        (await flow.ok(["show", "-s", "--format=%s", evil])).trim(),
        "clean",
      );
      assertCommitFails(
        await verifyHistory(flow, ["--rev", evil]),
        evil,
        ".mcp.json",
        ["TAMPERED"],
      );
      assertCommitFails(
        await verifyHistory(flow, ["--range", `${base}..evil`]),
        evil,
        ".mcp.json",
        ["TAMPERED"],
      );
      await assertPushRefused(flow, ["origin", "evil:main"], "main", [
        { path: ".mcp.json", codes: ["TAMPERED"] },
      ]);
    });
  },
});

// --- 7, 8: new roots and rewinds -------------------------------------------------

Deno.test({
  name:
    "an orphan branch with mallory's own trust list and config: UNTRUSTED_TRUST_CHANGE in the range, push refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      await assertVerifies(flow, ["--range", "v1..main"]);
      await flow.ok(["checkout", "-q", "--orphan", "orph"]);
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
      const root = await forceCommit(flow, "new root");
      assert.equal(
        (await flow.ok(["rev-list", "--parents", "orph"])).trim(),
        root,
      );
      assert.ok(!(await readText(flow, ALLOWED_SIGNERS)).includes("alice"));

      const range = await verifyHistory(flow, [
        "--range",
        "origin/main..orph",
      ]);
      assertCommitFails(range, root, ALLOWED_SIGNERS, [
        "UNTRUSTED_TRUST_CHANGE",
      ]);
      await assertPushRefused(flow, ["origin", "orph"], "orph", [
        { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
      ]);
    });
  },
});

Deno.test({
  name:
    "a force push back to v1 over v2 is refused by pre-push as a rollback; one that rolls nothing back goes through",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      await assertVerifies(flow, ["--range", "v1..main"]);
      // main~1 is v1: validly signed, but the remote holds v2 after it.
      assert.equal(await revParse(flow, "main~1"), await revParse(flow, "v1"));
      const stderr = await assertPushRefused(
        flow,
        ["-f", "origin", "main~1:main"],
        "main",
      );
      assert.match(stderr, /ROLLED_BACK/);
      assert.ok(stderr.includes(".mcp.json"), stderr);

      // A force push that rolls nothing back (a reworded README commit)
      // still goes through.
      await commit(flow, "readme", { "README.md": "draft\n" });
      await push(flow, "main");
      await flow.ok(["commit", "-q", "--amend", "-m", "readme, reworded"]);
      const forced = await flow.git(["push", "-q", "-f", "origin", "main"]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(await remoteRef(flow, "main"), await head(flow));
    });
  },
});

// --- results remembered across commits -------------------------------------------------

Deno.test({
  name:
    "a range verifies each commit afresh: a config left alone while its signature or the trust list changes under it fails there",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      // The same config, index line and trust list in every commit, until
      // the signature file changes under them (the config is untouched).
      await commit(flow, "docs", { "README.md": "more\n" });
      await commit(flow, "docs again", { "README.md": "more still\n" });
      const id = await indexId(flow, "HEAD", ".mcp.json");
      const sig = `${STORE}/statements/${id}.sig`;
      const original = await readText(flow, sig);
      await write(flow, {
        [sig]: original.replace(
          /[A-Za-z](?=[^\n]*\n-----END)/,
          (c) => c === "A" ? "B" : "A",
        ),
      });
      const tampered = await forceCommit(flow, "tamper with the signature");
      const first = await verifyHistory(flow, ["--range", "v1..HEAD"]);
      assertCommitFails(first, tampered, ".mcp.json", []);

      // Put back, then a trust list that drops alice: the same config and
      // statement now fail against the new list, in that commit only.
      await write(flow, { [sig]: original });
      await forceCommit(flow, "restore the signature");
      await write(flow, {
        [ALLOWED_SIGNERS]: `# nobody\n`,
      });
      const untrusted = await forceCommit(flow, "trust nobody");
      const second = await verifyHistory(flow, ["--range", "v1..HEAD"]);
      assertCommitFails(second, untrusted, ".mcp.json", []);
      const restored = second.report.commits.find((c) =>
        c.subject === "restore the signature"
      );
      assert.ok(restored?.ok, second.text);
    });
  },
});
