/**
 * The installed hooks at work, end to end: real `git commit` and `git push`
 * in temporary repositories (whose paths contain a space) with a bare
 * remote, running the real `hook pre-commit` and `hook pre-push` through the
 * stubs that `install` writes. What a commit signs (the staged blob, after
 * line-ending conversion), what a commit without configs costs, renames and
 * deletions, a missing key, a linked worktree, and which commits a push
 * verifies.
 *
 * Attacks on history (tampering, rollback, substitution, untrusted keys and
 * trust lists, merges) are in history_test.ts. A hook that runs while the
 * tool is gone (a deleted binary, or `deno` with a deleted module) is tested
 * in install_test.ts ("a hook whose tool is gone fails closed …").
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import {
  cliOk,
  createFlow,
  type Flow,
  type GitResult,
  installHooks,
  revParse,
  sha256,
  verifyHistory,
} from "../support/flow.ts";
import { assertCliError } from "../support/errors.ts";
import { generateKey } from "../support/ssh_keygen.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const STORE = ".mcp-orchestration";
const INDEX = `${STORE}/index`;
const ALLOWED_SIGNERS = `${STORE}/allowed_signers`;
const PRINCIPAL = "alice@example.com";
const decoder = new TextDecoder();

function config(command: string): string {
  return JSON.stringify({ mcpServers: { files: { command, args: ["."] } } }) +
    "\n";
}
const V1 = config("server-v1");
const V2 = config("server-v2");
const V3 = config("server-v3");

// --- helpers ------------------------------------------------------------------

/** Sets up a flow (tests/support/flow.ts) with the real hooks installed and alice trusted. */
async function withFlow(fn: (flow: Flow) => Promise<void>): Promise<void> {
  await using flow = await createFlow();
  await installHooks(flow, PRINCIPAL);
  await fn(flow);
}

/** Writes files, stages everything and commits with the hooks; returns git's result. */
async function commitFiles(
  flow: Flow,
  message: string,
  files: Record<string, string | Uint8Array>,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  const cwd = options.cwd ?? flow.repo.root;
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(cwd, path)), { recursive: true });
    await Deno.writeFile(
      join(cwd, path),
      typeof text === "string" ? new TextEncoder().encode(text) : text,
    );
  }
  await flow.ok(["add", "-A"], { cwd });
  return await flow.git(["commit", "-q", "-m", message], options);
}

/** The exact bytes git stores for `rev:path`. */
async function blob(
  flow: Flow,
  rev: string,
  path: string,
): Promise<Uint8Array> {
  const result = await flow.git(["cat-file", "blob", `${rev}:${path}`]);
  assert.equal(result.code, 0, result.stderr);
  return result.bytes;
}

/** The store's index in a commit: path → statement id. */
async function indexAt(flow: Flow, rev: string): Promise<Map<string, string>> {
  const lines = decoder.decode(await blob(flow, rev, INDEX)).split("\n");
  assert.equal(lines[0], "mcp-orchestration-index v1");
  return new Map(
    lines.slice(1).filter((line) => line !== "").map((
      line,
    ) => [line.slice(65), line.slice(0, 64)]),
  );
}

/** The fields of the statement that a commit's index names for a path. */
async function statementAt(
  flow: Flow,
  rev: string,
  path: string,
): Promise<Record<string, string>> {
  const id = (await indexAt(flow, rev)).get(path);
  assert.ok(id, `no index line for "${path}" in ${rev}`);
  const text = decoder.decode(
    await blob(flow, rev, `${STORE}/statements/${id}`),
  );
  assert.equal(sha256(text), id);
  const fields: Record<string, string> = {};
  for (const line of text.split("\n").slice(1, -1)) {
    const space = line.indexOf(" ");
    fields[line.slice(0, space)] = line.slice(space + 1);
  }
  return fields;
}

async function filesAt(flow: Flow, rev: string): Promise<string[]> {
  return (await flow.ok(["ls-tree", "-r", "--name-only", rev])).split("\n")
    .filter((line) => line !== "");
}

/** Asserts that `verify --rev REV` passes, listing the configs it verified. */
async function assertRevVerifies(
  flow: Flow,
  rev: string,
  configs: string[],
): Promise<void> {
  const { code, report } = await verifyHistory(flow, ["--rev", rev]);
  assert.equal(code, 0, JSON.stringify(report, null, 2));
  assert.equal(report.commits.length, 1);
  assert.deepEqual(
    report.commits[0]!.results.map((r) => `${r.path} ${r.ok}`).sort(),
    configs.map((path) => `${path} true`).sort(),
  );
}

// --- commits ----------------------------------------------------------------------

Deno.test({
  name:
    "the initial commit of a config is signed by the hook; a commit without configs prints nothing and touches no store file",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      // Every repository of these tests lives in a folder named "repo dir".
      assert.ok(flow.repo.root.includes(" "), flow.repo.root);

      const committed = await commitFiles(flow, "add config", {
        ".mcp.json": V1,
      });
      assert.equal(committed.code, 0, committed.stderr);
      // The initial commit: no parent.
      assert.equal(
        (await flow.ok(["rev-list", "--parents", "HEAD"])).trim(),
        await revParse(flow, "HEAD"),
      );
      const index = await indexAt(flow, "HEAD");
      assert.deepEqual([...index.keys()], [ALLOWED_SIGNERS, ".mcp.json"]);
      const statement = await statementAt(flow, "HEAD", ".mcp.json");
      assert.equal(statement.path, ".mcp.json");
      assert.equal(statement.artifact, sha256(V1));
      assert.equal(statement.sequence, "1");
      assert.equal(statement.previous, "none");
      const files = await filesAt(flow, "HEAD");
      const id = index.get(".mcp.json")!;
      for (
        const path of [
          INDEX,
          `${STORE}/statements/${id}`,
          `${STORE}/statements/${id}.sig`,
          `${STORE}/artifacts/${sha256(V1)}`,
        ]
      ) {
        assert.ok(files.includes(path), `${path} not in ${files.join(", ")}`);
      }
      // The hook staged what it wrote: nothing is left over.
      assert.equal(await flow.ok(["status", "--porcelain"]), "");
      await assertRevVerifies(flow, "HEAD", [".mcp.json"]);

      const storeBefore = await flow.ok(["ls-files", "-s", STORE]);
      const plain = await commitFiles(flow, "docs", { "README.md": "hi\n" });
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(plain.stderr, "");
      assert.equal(
        await flow.ok(["diff", "--name-only", "HEAD~1", "HEAD"]),
        "README.md\n",
      );
      assert.equal(await flow.ok(["ls-files", "-s", STORE]), storeBefore);
      assert.equal(await flow.ok(["status", "--porcelain"]), "");
    });
  },
});

Deno.test({
  name:
    "partial staging: the staged version is signed, not the working-tree file",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      assert.equal(
        (await commitFiles(flow, "v1", { ".mcp.json": V1 })).code,
        0,
      );
      // What `git add -p` leaves: one version staged, another in the file.
      await flow.repo.write(".mcp.json", V2);
      await flow.ok(["add", ".mcp.json"]);
      await flow.repo.write(".mcp.json", V3);
      const committed = await flow.git(["commit", "-q", "-m", "v2"]);
      assert.equal(committed.code, 0, committed.stderr);

      assert.equal(sha256(await blob(flow, "HEAD", ".mcp.json")), sha256(V2));
      const statement = await statementAt(flow, "HEAD", ".mcp.json");
      assert.equal(statement.artifact, sha256(V2));
      assert.equal(statement.sequence, "2");
      assert.equal(statement.previous, sha256(V1));
      assert.equal(
        decoder.decode(
          await blob(flow, "HEAD", `${STORE}/artifacts/${sha256(V2)}`),
        ),
        V2,
      );
      // The working file is left alone, still unstaged; the store is clean.
      assert.equal(decoder.decode(await flow.repo.read(".mcp.json")), V3);
      assert.equal(await flow.ok(["status", "--porcelain"]), " M .mcp.json\n");
      await assertRevVerifies(flow, "HEAD", [".mcp.json"]);
      // The working tree holds what was not signed.
      const tree = await flow.cli(["verify", "--json"]);
      assert.equal(tree.code, 1);
      assert.deepEqual(
        JSON.parse(tree.stdout).results.map((r: { code?: string }) => r.code),
        ["TAMPERED"],
      );
    });
  },
});

Deno.test({
  name:
    "line endings: with core.autocrlf or eol=lf the signed artifact is the blob git stores; eol=crlf is refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      await flow.ok(["config", "core.autocrlf", "true"]);
      const crlf = V1.replace("\n", "\r\n");
      const crlf2 = V2.replace("\n", "\r\n");
      // An attribute that makes Git check out other bytes than the blob (a
      // CR added before each LF) is the repository's own doing: refused.
      const refused = await commitFiles(flow, "crlf attribute", {
        ".gitattributes": "sub/.mcp.json text eol=crlf\n",
        ".mcp.json": crlf,
        "sub/.mcp.json": crlf2,
      });
      assert.notEqual(refused.code, 0, "eol=crlf was committed");
      assertCliError(
        refused,
        "TRUST",
        /sub\/\.mcp\.json.*"eol" set to "crlf"/,
      );
      const committed = await commitFiles(flow, "crlf", {
        ".gitattributes": "sub/.mcp.json text eol=lf\n",
        ".mcp.json": crlf,
        "sub/.mcp.json": crlf2,
      });
      assert.equal(committed.code, 0, committed.stderr);
      const cases: [string, string][] = [
        [".mcp.json", crlf],
        ["sub/.mcp.json", crlf2],
      ];
      for (const [path, working] of cases) {
        const stored = await blob(flow, "HEAD", path);
        assert.ok(!decoder.decode(stored).includes("\r"), path);
        assert.equal(
          decoder.decode(await flow.repo.read(path)),
          working,
          "the working file keeps its CRLF",
        );
        const statement = await statementAt(flow, "HEAD", path);
        assert.equal(statement.artifact, sha256(stored), path);
        assert.notEqual(statement.artifact, sha256(working), path);
        assert.equal(Number(statement.size), stored.length, path);
        assert.deepEqual(
          await blob(flow, "HEAD", `${STORE}/artifacts/${sha256(stored)}`),
          stored,
        );
      }
      await assertRevVerifies(flow, "HEAD", [".mcp.json", "sub/.mcp.json"]);
    });
  },
});

Deno.test({
  name:
    "git commit PATHS (a temporary index) is refused when it signs, leaving the index and store as they were",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      assert.equal(
        (await commitFiles(flow, "v1", { ".mcp.json": V1 })).code,
        0,
      );
      // `git commit -m … .mcp.json` commits from a temporary index; what the
      // hook stages there never reaches the real index, which would then
      // hold the old signatures and silently revert them in the next commit.
      await flow.repo.write(".mcp.json", V2);
      const head = await revParse(flow, "HEAD");
      const before = await flow.repo.snapshot();
      const refused = await flow.git(["commit", "-q", "-m", "v2", ".mcp.json"]);
      assertCliError(refused, "HOOKS", /git add/);
      assert.equal(await revParse(flow, "HEAD"), head);
      assert.deepEqual(await flow.repo.snapshot(), before);

      // The way that works: stage, then commit without paths (or -i, or -a).
      const committed = await flow.git(["commit", "-q", "-a", "-m", "v2"]);
      assert.equal(committed.code, 0, committed.stderr);
      assert.equal(await flow.ok(["status", "--porcelain"]), "");
      assert.equal(
        (await statementAt(flow, "HEAD", ".mcp.json")).artifact,
        sha256(V2),
      );
      await assertRevVerifies(flow, "HEAD", [".mcp.json"]);
      // A partial commit of files that are not configs needs no signature.
      await flow.repo.write("notes.txt", "n\n");
      await flow.ok(["add", "notes.txt"]);
      const other = await flow.git([
        "commit",
        "-q",
        "-m",
        "notes",
        "notes.txt",
      ]);
      assert.equal(other.code, 0, other.stderr);
    });
  },
});

Deno.test({
  name:
    "rename and delete: the new path is signed, the old one stays in the index as a tombstone",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      assert.equal(
        (await commitFiles(flow, "v1", { ".mcp.json": V1 })).code,
        0,
      );
      const oldId = (await indexAt(flow, "HEAD")).get(".mcp.json");

      await Deno.mkdir(join(flow.repo.root, "sub"));
      await flow.ok(["mv", ".mcp.json", "sub/.mcp.json"]);
      const renamed = await flow.git(["commit", "-q", "-m", "rename"]);
      assert.equal(renamed.code, 0, renamed.stderr);
      const index = await indexAt(flow, "HEAD");
      assert.equal(index.get(".mcp.json"), oldId, "tombstone");
      const moved = await statementAt(flow, "HEAD", "sub/.mcp.json");
      assert.equal(moved.path, "sub/.mcp.json");
      assert.equal(moved.artifact, sha256(V1));
      assert.ok(
        (await filesAt(flow, "HEAD")).includes(`${STORE}/statements/${oldId}`),
      );
      assert.equal(await flow.ok(["status", "--porcelain"]), "");
      await assertRevVerifies(flow, "HEAD", ["sub/.mcp.json"]);

      await flow.ok(["rm", "-q", "sub/.mcp.json"]);
      const deleted = await flow.git(["commit", "-q", "-m", "delete"]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(
        await flow.ok(["diff", "--name-only", "HEAD~1", "HEAD"]),
        "sub/.mcp.json\n",
      );
      assert.deepEqual(await indexAt(flow, "HEAD"), index);
      await assertRevVerifies(flow, "HEAD", []);
      const range = await verifyHistory(flow, ["--range", "HEAD~2..HEAD"]);
      assert.equal(range.code, 0, JSON.stringify(range.report, null, 2));
      assert.equal(range.report.commits.length, 2);
    });
  },
});

Deno.test({
  name:
    "no signing key: the commit is refused with the command that creates one",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const empty = join(flow.repo.home, "empty home");
      await Deno.mkdir(empty);
      const head = await flow.git(["rev-parse", "-q", "--verify", "HEAD"]);
      const refused = await commitFiles(flow, "v1", { ".mcp.json": V1 }, {
        env: { MCP_ORCHESTRATION_HOME: empty },
      });
      assertCliError(refused, "KEY_NOT_FOUND", /keys init/);
      assert.equal(
        (await flow.git(["rev-parse", "-q", "--verify", "HEAD"])).stdout,
        head.stdout,
      );
      assert.equal(await flow.repo.exists(INDEX), false);
    });
  },
});

Deno.test({
  name: "a linked worktree: a commit there is signed by the hooks",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      assert.equal(
        (await commitFiles(flow, "v1", { ".mcp.json": V1 })).code,
        0,
      );
      const worktree = join(dirname(flow.repo.root), "linked worktree");
      await flow.ok(["worktree", "add", "-q", "-b", "side", worktree]);
      const committed = await commitFiles(flow, "v2 in worktree", {
        ".mcp.json": V2,
      }, { cwd: worktree });
      assert.equal(committed.code, 0, committed.stderr);

      const statement = await statementAt(flow, "side", ".mcp.json");
      assert.equal(statement.artifact, sha256(V2));
      assert.equal(statement.sequence, "2");
      assert.equal(
        await flow.ok(["status", "--porcelain"], { cwd: worktree }),
        "",
      );
      await assertRevVerifies(flow, "side", [".mcp.json"]);
      // The main worktree is untouched.
      assert.equal(decoder.decode(await flow.repo.read(".mcp.json")), V1);
      assert.equal(await flow.ok(["status", "--porcelain"]), "");
    });
  },
});

// --- pushes -----------------------------------------------------------------------

Deno.test({
  name:
    "push: a new branch verifies only the commits the remote lacks; deleting a branch verifies nothing",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      assert.equal(
        (await commitFiles(flow, "v1", { ".mcp.json": V1 })).code,
        0,
      );
      const first = await flow.git(["push", "-q", "origin", "main"]);
      assert.equal(first.code, 0, first.stderr);

      // A tampered commit that reached the remote without our hooks.
      await flow.repo.write(".mcp.json", V2);
      await flow.ok(["commit", "-q", "-a", "--no-verify", "-m", "tampered"]);
      const tampered = await revParse(flow, "HEAD");
      const forced = await flow.git([
        "push",
        "-q",
        "--no-verify",
        "origin",
        "main",
      ]);
      assert.equal(forced.code, 0, forced.stderr);

      // A new branch that repairs it: only its own commit is checked.
      await flow.ok(["checkout", "-q", "-b", "fix"]);
      await flow.repo.write(".mcp.json", V1);
      await flow.ok(["add", ".mcp.json"]);
      assert.equal((await flow.git(["commit", "-q", "-m", "fix"])).code, 0);
      const fix = await flow.git(["push", "-q", "origin", "fix"]);
      assert.equal(fix.code, 0, fix.stderr);
      assert.equal(
        (await flow.remote.git("rev-parse", "fix")).trim(),
        await revParse(flow, "fix"),
      );

      // A new branch with a bad commit of its own is refused, naming that
      // commit and not the one the remote already has.
      // main holds the tampered config: the post-checkout hook says so (and
      // cannot undo the checkout).
      const toBad = await flow.git(["checkout", "-q", "-b", "bad", "main"]);
      assert.equal(toBad.code, 1);
      assert.match(toBad.stderr, /FAIL {2}\.mcp\.json {2}TAMPERED/);
      assert.equal(await revParse(flow, "bad"), tampered);
      await flow.repo.write(".mcp.json", V3);
      await flow.ok(["commit", "-q", "-a", "--no-verify", "-m", "bad"]);
      const bad = await revParse(flow, "HEAD");
      const refused = await flow.git(["push", "-q", "origin", "bad"]);
      assert.notEqual(refused.code, 0);
      assert.ok(refused.stderr.includes(bad.slice(0, 12)), refused.stderr);
      assert.ok(
        !refused.stderr.includes(tampered.slice(0, 12)),
        refused.stderr,
      );
      assert.match(refused.stderr, /TAMPERED/);
      await assert.rejects(
        flow.remote.git("rev-parse", "-q", "--verify", "bad"),
      );

      const deleted = await flow.git([
        "push",
        "-q",
        "origin",
        "--delete",
        "fix",
      ]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(deleted.stderr, "");
      await assert.rejects(
        flow.remote.git("rev-parse", "-q", "--verify", "fix"),
      );
    });
  },
});

Deno.test({
  name:
    "hooks with a key given by MCP_ORCHESTRATION_KEY sign as that key (trusted)",
  ignore: ON_WINDOWS,
  async fn() {
    await withFlow(async (flow) => {
      const carol = await generateKey(flow.repo.home, "carol");
      await cliOk(flow, [
        "trust",
        "add",
        carol.publicPath,
        "--principal",
        "carol@example.com",
      ]);
      const committed = await commitFiles(flow, "v1", { ".mcp.json": V1 }, {
        env: { MCP_ORCHESTRATION_KEY: carol.privatePath },
      });
      assert.equal(committed.code, 0, committed.stderr);
      assert.equal(
        (await statementAt(flow, "HEAD", ".mcp.json")).signer,
        carol.fingerprint,
      );
      await assertRevVerifies(flow, "HEAD", [".mcp.json"]);
    });
  },
});
