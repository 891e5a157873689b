/**
 * Attacks from a second outside review (red team 2), end to end: an
 * attacker who can push commits (and open pull requests) but holds no key
 * the repository trusts. Each test asserts the safe outcome: the attack is
 * refused by `verify --range` (the CI gate), `verify --rev`, the pre-push
 * hook, or working-tree `verify`.
 *
 * 1. A symbolic link whose target a case-insensitive file system (macOS,
 *    Windows) resolves to a folder Git lists under another spelling:
 *    `.cursor -> cfg` beside `cfg/README.md` and `CFG/mcp.json`. Git on
 *    such a machine checks `CFG/` and `cfg/` out as one folder, so a
 *    client reads `CFG/mcp.json` as `.cursor/mcp.json`; the tool follows
 *    the link through the exact name only and finds no config beneath.
 * 2. A submodule made by hand (`git update-index --cacheinfo 160000,…`),
 *    with no `.gitmodules` and a commit id this repository does not have,
 *    at a case variant of a client folder (`.CURSOR`): refused as a
 *    submodule, without reading the missing commit.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertCommitFails,
  assertPushRefused,
  EVIL,
  withSignedHistory,
} from "../support/attacks.ts";
import {
  type Flow,
  forceCommit,
  verifyHistory,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";

/** Makes `path` a symbolic link to `target` in the working tree. */
async function link(flow: Flow, target: string, path: string): Promise<void> {
  await Deno.symlink(target, join(flow.repo.root, path));
}

/**
 * Which of `verify --range BASE..HEAD`, `verify --rev HEAD` and working-tree
 * `verify` let `commit` (HEAD) through without an `UNSIGNED` failure: one
 * line per check that did, none when all refused it.
 */
async function whatGotThrough(
  flow: Flow,
  base: string,
  commit: string,
): Promise<string[]> {
  const through: string[] = [];
  for (
    const args of [["--range", `${base}..HEAD`], ["--rev", "HEAD"]]
  ) {
    const result = await verifyHistory(flow, args);
    try {
      assertCommitFails(result, commit, undefined, ["UNSIGNED"]);
    } catch {
      through.push(`verify ${args.join(" ")} passed (exit ${result.code})`);
    }
  }
  const tree = await flow.cli(["verify", "--json"]);
  if (tree.code !== 1 || !tree.stdout.includes('"UNSIGNED"')) {
    through.push(`working-tree verify passed (exit ${tree.code})`);
  }
  return through;
}

// --- 1: a link into a folder that a case-insensitive clone merges with another ---

Deno.test({
  name:
    "red team 2, 1: a link to a folder spelled like another one in another case or normalisation (.cursor -> cfg beside CFG/mcp.json) is UNSIGNED",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const base = (await flow.ok(["rev-parse", "HEAD"])).trim();

      // Control: a link to the evil folder by its exact name is caught, so
      // what follows tests only the spelling.
      await write(flow, { "CFG/mcp.json": EVIL });
      await link(flow, "CFG", ".cursor");
      const exact = await forceCommit(flow, ".cursor -> CFG");
      assert.deepEqual(await whatGotThrough(flow, base, exact), []);

      // Each case: files Git lists under two spellings of one folder (as a
      // macOS or Windows checkout holds them: one folder), and a link that
      // names the harmless spelling. A client opening the link's
      // ".cursor/mcp.json" reads EVIL.
      const cases: [string, () => Promise<void>][] = [
        ["the target folder in another case", async () => {
          await write(flow, {
            "cfg/README.md": "docs\n",
            "CFG/mcp.json": EVIL,
          });
          await link(flow, "cfg", ".cursor");
        }],
        ["the link's own folder in another case", async () => {
          await write(flow, {
            "pkg/cfg/README.md": "docs\n",
            "PKG/cfg/mcp.json": EVIL,
          });
          await link(flow, "cfg", "pkg/.cursor");
        }],
        ["the target a file, beside a folder in another case", async () => {
          // Checked out after the file "Cfg", "cfg/mcp.json" replaces it
          // with a folder (Git removes what stands in a folder's way).
          await write(flow, { "Cfg": "not a folder\n", "cfg/mcp.json": EVIL });
          await link(flow, "Cfg", ".cursor");
        }],
        ["the target folder in another Unicode normalisation", async () => {
          // "café" as NFC and as NFD: one name on APFS and HFS+.
          await write(flow, {
            "caf\u00e9/README.md": "docs\n",
            "cafe\u0301/mcp.json": EVIL,
          });
          await link(flow, "caf\u00e9", ".cursor");
        }],
      ];
      const through: string[] = [];
      for (const [name, attack] of cases) {
        await flow.ok(["reset", "-q", "--hard", base]);
        await flow.ok(["clean", "-q", "-f", "-d", "-x"]);
        await attack();
        const commit = await forceCommit(flow, name);
        for (const problem of await whatGotThrough(flow, base, commit)) {
          through.push(`${name}: ${problem}`);
        }
      }
      assert.deepEqual(through, [], through.join("\n\n"));
    });
  },
});

// --- 2: a hand-made submodule, no .gitmodules, a commit that is not here ----------

Deno.test({
  name:
    "red team 2, 2: a gitlink added with update-index --cacheinfo (no .gitmodules, a missing commit) at .CURSOR is UNSIGNED everywhere",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const base = (await flow.ok(["rev-parse", "HEAD"])).trim();
      // A commit id nobody has: Git records it as it is.
      const missing = "0123456789abcdef0123456789abcdef01234567";
      await flow.ok([
        "update-index",
        "--add",
        "--cacheinfo",
        `160000,${missing},.CURSOR`,
      ]);
      await flow.ok(["commit", "-q", "--no-verify", "-m", "vendor cursor"]);
      const commit = (await flow.ok(["rev-parse", "HEAD"])).trim();
      assert.equal(
        (await flow.ok(["ls-tree", "HEAD", ".CURSOR"])).slice(0, 54),
        `160000 commit ${missing}`,
      );
      assert.equal(
        (await flow.git(["cat-file", "-e", missing])).code === 0,
        false,
      );
      for (const args of [["--range", `${base}..HEAD`], ["--rev", "HEAD"]]) {
        assertCommitFails(
          await verifyHistory(flow, args),
          commit,
          ".CURSOR",
          ["UNSIGNED"],
        );
      }
      await assertPushRefused(flow, ["origin", "main"], "main", [
        { path: ".CURSOR", codes: ["UNSIGNED"] },
      ]);
    });
  },
});
