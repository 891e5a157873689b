/**
 * The Git server's pre-receive hook, end to end: a bare repository with
 * `install --server`, and real pushes into it over `file://` and through
 * `git daemon` on 127.0.0.1. The client's own pre-push hook is skipped
 * (`git push --no-verify`), as an attacker or a hurried user would: the
 * server is the gate that remains. An honest push goes through; every
 * attack is refused, with the server's refs unchanged afterwards
 * (`git for-each-ref` in the bare repository, before and after).
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import {
  ALLOWED_SIGNERS,
  EVIL,
  STORE,
  V1,
  withSignedHistory,
} from "../support/attacks.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  head,
  installHooks,
  push,
  revParse,
  write,
} from "../support/flow.ts";
import { cliInvocation, denoEnv, runCli } from "../support/cli.ts";
import { withTempDir } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const decoder = new TextDecoder();

/** Every file and folder of the bare repository, with its size. */
async function serverFiles(bare: string, under = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(bare, under))) {
    const path = join(under, entry.name);
    const info = await Deno.lstat(join(bare, path));
    found.push(`${path} ${info.isDirectory ? "dir" : info.size}`);
    if (entry.isDirectory) found.push(...await serverFiles(bare, path));
  }
  return found.sort();
}

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
  assert.match(result.stdout, /pre-receive +installed/);
}

/** Pushes past the client's hooks; returns git's result. */
async function pushPastClient(flow: Flow, args: string[]) {
  return await flow.git(["push", "--no-verify", ...args]);
}

/**
 * Asserts that the server refuses `git push --no-verify ARGS`, leaves every
 * ref as it was, and names each expected file with one of its codes.
 */
async function assertServerRefuses(
  flow: Flow,
  args: string[],
  expected: { path: string; codes: string[] }[] = [],
): Promise<string> {
  const before = await serverRefs(flow.remote.root);
  const files = await serverFiles(flow.remote.root);
  const result = await pushPastClient(flow, args);
  assert.notEqual(result.code, 0, `push went through:\n${result.stderr}`);
  assert.match(result.stderr, /remote: mcp-orchestration: push refused/);
  assert.match(result.stderr, /pre-receive hook declined/);
  assert.equal(await serverRefs(flow.remote.root), before, "the server moved");
  // Nothing written: the quarantined objects are gone with the push.
  assert.deepEqual(await serverFiles(flow.remote.root), files);
  for (const { path, codes } of expected) {
    const line = result.stderr.split("\n").find((l) =>
      l.startsWith("remote: ") &&
      codes.some((code) => l.includes(`FAIL  ${path}  ${code}:`))
    );
    assert.ok(line, `no "${path} ${codes.join("|")}" in:\n${result.stderr}`);
  }
  return result.stderr;
}

Deno.test({
  name:
    "server pre-receive over file://: an honest push passes, every attack is refused with the refs unchanged",
  ignore: ON_WINDOWS,
  async fn(t) {
    await withSignedHistory(async (flow) => {
      await installServer(flow);
      const bare = flow.remote.root;

      await t.step("an honest push passes, and is reported", async () => {
        await commit(flow, "v3", { ".mcp.json": V1.replace("v1", "v3") });
        const result = await pushPastClient(flow, ["origin", "main"]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(
          result.stderr,
          /remote: mcp-orchestration: 1 new commit verified/,
        );
        assert.ok(
          (await serverRefs(bare)).includes(
            `${await head(flow)} refs/heads/main`,
          ),
        );
      });
      const main = await head(flow);
      const attack = async (name: string) => {
        await flow.ok(["checkout", "-q", "-f", "-B", name, main]);
      };

      await t.step("a --no-verify tampered commit: TAMPERED", async () => {
        await attack("tampered");
        // Attributes make the verifier build a temporary index: in the
        // server's quarantine too, and it leaves nothing behind.
        await write(flow, {
          ".mcp.json": EVIL,
          ".gitattributes": "*.md text\n",
        });
        await forceCommit(flow, "tampered");
        const expected = [{ path: ".mcp.json", codes: ["TAMPERED"] }];
        const stderr = await assertServerRefuses(
          flow,
          ["origin", "tampered:main"],
          expected,
        );
        assert.match(stderr, /remote: FAIL {2}[0-9a-f]{12} tampered/);
        // Not on a new branch either: only a config waiting for approval
        // may wait there.
        await assertServerRefuses(flow, ["origin", "tampered"], expected);
      });

      await t.step("an unsigned new config: UNSIGNED", async () => {
        await attack("unsigned");
        await write(flow, { ".cursor/mcp.json": EVIL });
        await forceCommit(flow, "unsigned cursor config");
        await assertServerRefuses(flow, ["origin", "unsigned:main"], [
          { path: ".cursor/mcp.json", codes: ["UNSIGNED"] },
        ]);
      });

      await t.step(
        "a rollback to v1's signed config: ROLLED_BACK",
        async () => {
          await attack("rollback");
          await flow.ok(["checkout", "v1", "--", ".mcp.json", STORE]);
          await forceCommit(flow, "back to v1");
          await assertServerRefuses(flow, ["origin", "rollback:main"], [
            { path: ".mcp.json", codes: ["ROLLED_BACK"] },
          ]);
        },
      );

      await t.step(
        "a trust change approved by the key it adds: UNTRUSTED_TRUST_CHANGE",
        async () => {
          await attack("self-approved");
          await cliOk(flow, [
            "trust",
            "add",
            flow.mallory.publicPath,
            "--principal",
            "mallory@example.com",
          ]);
          await write(flow, { ".mcp.json": EVIL });
          await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
          await forceCommit(flow, "mallory trusts herself");
          await assertServerRefuses(flow, ["origin", "self-approved:main"], [
            { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
          ]);
        },
      );

      await t.step("a force push that rewinds to v2: ROLLED_BACK", async () => {
        await attack("main");
        const v2 = await revParse(flow, "v2");
        assert.equal(await revParse(flow, "main~1"), v2);
        const stderr = await assertServerRefuses(flow, [
          "-f",
          "origin",
          `${v2}:refs/heads/main`,
        ]);
        assert.match(stderr, /remote: .*FAIL {2}\.mcp\.json {2}ROLLED_BACK:/);
      });

      await t.step(
        "a new branch with an orphan root and its own trust list: refused",
        async () => {
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
          await assertServerRefuses(flow, ["origin", "orphan"], [
            { path: ALLOWED_SIGNERS, codes: ["UNTRUSTED_TRUST_CHANGE"] },
          ]);
        },
      );

      await t.step("tags pointing at a bad commit: refused", async () => {
        await attack("tagged");
        await write(flow, { ".mcp.json": EVIL });
        const bad = await forceCommit(flow, "bad, tagged");
        await flow.ok(["tag", "light", bad]);
        await flow.ok(["tag", "-a", "-m", "annotated", "annotated", bad]);
        const expected = [{ path: ".mcp.json", codes: ["TAMPERED"] }];
        await assertServerRefuses(
          flow,
          ["origin", "refs/tags/light"],
          expected,
        );
        await assertServerRefuses(
          flow,
          ["origin", "refs/tags/annotated"],
          expected,
        );
      });

      await t.step(
        "a commit parked under a ref outside the checked set is still verified when a branch brings it",
        async () => {
          await attack("parked");
          await write(flow, { ".mcp.json": EVIL });
          const bad = await forceCommit(flow, "parked");
          const parked = await pushPastClient(flow, [
            "origin",
            `${bad}:refs/parked/x`,
          ]);
          assert.equal(parked.code, 0, parked.stderr);
          await assertServerRefuses(flow, ["origin", "parked:main"], [
            { path: ".mcp.json", codes: ["TAMPERED"] },
          ]);
        },
      );

      await t.step(
        "an honest new branch, then its deletion, pass",
        async () => {
          await attack("feature");
          await commit(flow, "docs", { "README.md": "more\n" });
          for (const refspec of ["feature", ":feature"]) {
            const result = await pushPastClient(flow, ["origin", refspec]);
            assert.equal(result.code, 0, result.stderr);
          }
          assert.ok(!(await serverRefs(bare)).includes("refs/heads/feature"));
        },
      );

      await t.step(
        "an unreadable refs setting refuses every push",
        async () => {
          await flow.remote.git("config", "mcp-orchestration.refs", "main");
          await attack("docs");
          await commit(flow, "docs", { "README.md": "again\n" });
          const stderr = await pushPastClient(flow, ["origin", "docs"]);
          assert.notEqual(stderr.code, 0);
          assert.match(stderr.stderr, /Invalid mcp-orchestration\.refs "main"/);
          await flow.remote.git("config", "--unset", "mcp-orchestration.refs");
        },
      );
    });
  },
});

Deno.test({
  name:
    "server update hook (for servers that run only that one): a tampered push is refused, an honest one passes",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const { command, args } = cliInvocation(["hook", "update"]);
      const hook = join(flow.remote.root, "hooks", "update");
      await Deno.writeTextFile(
        hook,
        `#!/bin/sh\nexec ${
          [command, ...args].map((word) => `'${word}'`).join(" ")
        } "$@"\n`,
        { mode: 0o755 },
      );
      await write(flow, { ".mcp.json": EVIL });
      await forceCommit(flow, "tampered");
      const before = await serverRefs(flow.remote.root);
      const refused = await pushPastClient(flow, ["origin", "main"]);
      assert.notEqual(refused.code, 0, refused.stderr);
      assert.match(refused.stderr, /remote: +FAIL {2}\.mcp\.json {2}TAMPERED:/);
      assert.match(refused.stderr, /hook declined to update refs\/heads\/main/);
      assert.equal(await serverRefs(flow.remote.root), before);

      await flow.ok(["reset", "-q", "--hard", "HEAD~1"]);
      await commit(flow, "docs", { "README.md": "more\n" });
      const honest = await pushPastClient(flow, ["origin", "main"]);
      assert.equal(honest.code, 0, honest.stderr);
      assert.match(
        honest.stderr,
        /remote: mcp-orchestration: 1 new commit verified/,
      );
    });
  },
});

/** A TCP port nobody listens on now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test({
  name:
    "server pre-receive through git daemon, with no home: the first honest push passes, a tampered one is refused",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      await withTempDir(async (dir) => {
        const bare = join(dir, "srv", "project.git");
        await Deno.mkdir(dirname(bare));
        await flow.ok(["init", "-q", "--bare", "--initial-branch=main", bare]);
        const installed = await runCli(["install", "--server"], {
          cwd: bare,
          home: flow.repo.home,
        });
        assert.equal(installed.code, 0, installed.stderr);

        const port = freePort();
        // The daemon and every hook it runs: no HOME, no key, no tool home.
        const daemon = new Deno.Command("git", {
          args: [
            "daemon",
            "--export-all",
            "--enable=receive-pack",
            `--base-path=${dirname(bare)}`,
            `--port=${port}`,
            "--listen=127.0.0.1",
            "--reuseaddr",
            "--informative-errors",
          ],
          clearEnv: true,
          env: {
            PATH: Deno.env.get("PATH") ?? "",
            ...(await denoEnv()),
            GIT_CONFIG_NOSYSTEM: "1",
            GIT_CONFIG_GLOBAL: "/dev/null",
            LC_ALL: "C",
          },
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        try {
          const url = `git://127.0.0.1:${port}/project.git`;
          let ready = false;
          for (let i = 0; i < 100 && !ready; i++) {
            ready = (await flow.git(["ls-remote", url])).code === 0;
            if (!ready) await new Promise((r) => setTimeout(r, 100));
          }
          assert.ok(ready, "git daemon did not start");

          const honest = await pushPastClient(flow, [url, "main"]);
          assert.equal(honest.code, 0, honest.stderr);
          assert.match(
            honest.stderr,
            /remote: mcp-orchestration: 2 new commits verified/,
          );
          const before = await serverRefs(bare);
          assert.ok(before.includes(`${await head(flow)} refs/heads/main`));

          await write(flow, { ".mcp.json": EVIL });
          await forceCommit(flow, "tampered");
          const refused = await pushPastClient(flow, [url, "main"]);
          assert.notEqual(refused.code, 0, refused.stderr);
          assert.match(
            refused.stderr,
            /remote: +FAIL {2}\.mcp\.json {2}TAMPERED:/,
          );
          assert.equal(await serverRefs(bare), before);
        } finally {
          daemon.kill();
          await daemon.output();
        }
      });
    });
  },
});

Deno.test({
  name:
    "install --server chains a foreign pre-receive (run first), uninstall puts it back; install without --server says to use it",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const bare = flow.remote.root;
      const hook = join(bare, "hooks", "pre-receive");
      const theirs = '#!/bin/sh\necho "theirs saw: $(cat)" >&2\n';
      await Deno.writeTextFile(hook, theirs, { mode: 0o755 });
      const plain = await runCli(["install"], {
        cwd: bare,
        home: flow.repo.home,
      });
      assert.equal(plain.code, 2, plain.stderr);
      assert.match(plain.stderr, /install --server/);

      const installed = await runCli(["install", "--server"], {
        cwd: bare,
        home: flow.repo.home,
      });
      assert.equal(installed.code, 0, installed.stderr);
      assert.match(installed.stdout, /pre-receive +installed; it first runs/);
      const text = await Deno.readTextFile(hook);
      assert.match(text, /^# mcp-orchestration hook v2 \(pre-receive\)/m);
      assert.equal(
        await Deno.readTextFile(`${hook}.mcp-orchestration-chained`),
        theirs,
      );
      await commit(flow, "docs", { "README.md": "more\n" });
      const result = await pushPastClient(flow, ["origin", "main"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        /remote: theirs saw: [0-9a-f]+ [0-9a-f]+ refs\/heads\/main/,
      );
      assert.match(
        result.stderr,
        /remote: mcp-orchestration: 1 new commit verified/,
      );

      const removed = await runCli(["uninstall"], {
        cwd: bare,
        home: flow.repo.home,
      });
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /pre-receive +removed; put back/);
      assert.equal(await Deno.readTextFile(hook), theirs);
    });
  },
});

Deno.test({
  name:
    "server pre-receive: a config waiting for approval may reach a review branch, never the server's HEAD branch nor a tag",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow({ keys: ["bob"] });
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

    const expected = [{ path: ".mcp.json", codes: ["PENDING_APPROVAL"] }];
    await assertServerRefuses(
      flow,
      ["origin", "HEAD:refs/heads/main"],
      expected,
    );
    await flow.ok(["tag", "pending"]);
    await assertServerRefuses(flow, ["origin", "refs/tags/pending"], expected);
    const review = await pushPastClient(flow, [
      "origin",
      "HEAD:refs/heads/review",
    ]);
    assert.equal(review.code, 0, review.stderr);
    // The server's HEAD decides which branch is the default one.
    await flow.remote.git("symbolic-ref", "HEAD", "refs/heads/review");
    await commit(flow, "docs", { "README.md": "more\n" });
    await assertServerRefuses(
      flow,
      ["origin", "HEAD:refs/heads/review"],
      expected,
    );
  },
});

Deno.test({
  name:
    "install --server refuses a core.hooksPath folder with a foreign pre-receive, as the client install does, and chains it with --force",
  ignore: ON_WINDOWS,
  async fn() {
    await withSignedHistory(async (flow) => {
      const bare = flow.remote.root;
      const shared = join(flow.repo.home, "shared hooks");
      await Deno.mkdir(shared);
      const theirs = "#!/bin/sh\nexit 0\n";
      await Deno.writeTextFile(join(shared, "pre-receive"), theirs, {
        mode: 0o755,
      });
      await flow.remote.git("config", "core.hooksPath", shared);
      const at = { cwd: bare, home: flow.repo.home };
      const refused = await runCli(["install", "--server"], at);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /error\[HOOKS\]/);
      assert.match(refused.stderr, /its pre-receive hook is not ours/);
      assert.equal(
        await Deno.readTextFile(join(shared, "pre-receive")),
        theirs,
      );
      const forced = await runCli(["install", "--server", "--force"], at);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(
        await Deno.readTextFile(
          join(shared, "pre-receive.mcp-orchestration-chained"),
        ),
        theirs,
      );
      await write(flow, { ".mcp.json": EVIL });
      await forceCommit(flow, "tampered");
      await assertServerRefuses(flow, ["origin", "main"], [
        { path: ".mcp.json", codes: ["TAMPERED"] },
      ]);
    });
  },
});
