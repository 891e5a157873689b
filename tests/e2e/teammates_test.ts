/**
 * A teammate joins an adopted repository, end to end, with two real clones
 * of one bare remote, two tool homes and the real hooks: the newcomer's
 * `init` creates a key and installs the hooks but never trusts that key
 * (the trust list stays as committed, also when the working tree's copy is
 * gone); it and `status` print the exact `trust add` line, which a trusted
 * signer runs as printed; `trust add` then says how to commit, and that
 * commit, signed by the hook, verifies; after a pull the newcomer signs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { isOurHook } from "../../src/hooks/stubs.ts";
import { type CliResult, denoEnv, runCli } from "../support/cli.ts";
import { runShell } from "../support/readme.ts";
import { cliOk, createFlow, type Flow } from "../support/flow.ts";
import { gitEnv } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const TRUST = ".mcp-orchestration/allowed_signers";
const CONFIG = '{"mcpServers":{"files":{"command":"npx","args":["server"]}}}\n';
const decoder = new TextDecoder();

/** A second person: their own clone of the flow's remote, and their own home. */
interface Teammate {
  root: string;
  home: string;
  /** Runs the CLI in their clone, with their home. */
  cli(args: string[]): Promise<CliResult>;
  /** Runs git in their clone as they would: their hooks, their key. */
  git(args: string[]): Promise<CliResult>;
}

async function run(
  program: string,
  args: string[],
  cwd: string,
  home: string,
): Promise<CliResult> {
  const out = await new Deno.Command(program, {
    args,
    cwd,
    clearEnv: true,
    env: {
      ...gitEnv(home),
      ...(await denoEnv()),
      MCP_ORCHESTRATION_HOME: home,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

async function clone(
  flow: Flow,
  email: string | undefined,
): Promise<Teammate> {
  const base = join(flow.repo.home, "..", "bob's side");
  const home = join(base, "home");
  const root = join(base, "clone");
  await Deno.mkdir(home, { recursive: true });
  await Deno.writeTextFile(join(home, "gitconfig"), "");
  const cloned = await run(
    "git",
    ["clone", "-q", flow.remote.root, root],
    base,
    home,
  );
  assert.equal(cloned.code, 0, cloned.stderr);
  const teammate: Teammate = {
    root,
    home,
    cli: (args) => runCli(args, { cwd: root, home }),
    git: (args) => run("git", args, root, home),
  };
  await teammate.git(["config", "user.name", "Bob"]);
  if (email) await teammate.git(["config", "user.email", email]);
  return teammate;
}

/** Runs a line as a user types it, with `mcp-orchestration` the real CLI. */
function shell(line: string, cwd: string, home: string): Promise<CliResult> {
  return runShell(line, { cwd, home });
}

/** Alice adopts the repository: init, commit through the hook, push. */
async function adopted(flow: Flow): Promise<void> {
  await flow.repo.write(".mcp.json", CONFIG);
  await cliOk(flow, ["init", "--principal", "alice@example.com"]);
  await flow.ok(["add", "."]);
  await flow.ok(["commit", "-q", "-m", "Sign MCP configs"]);
  await flow.ok(["push", "-q", "origin", "main"]);
}

async function hookIsOurs(root: string, hook: string): Promise<boolean> {
  const text = await Deno.readTextFile(join(root, ".git", "hooks", hook))
    .catch(() => "");
  return isOurHook(text);
}

/** The key id, and the public key line without its comment. */
async function showKey(
  cli: (args: string[]) => Promise<CliResult>,
): Promise<{ keyId: string; publicKey: string }> {
  const shown = await cli(["keys", "show", "--json"]);
  assert.equal(shown.code, 0, shown.stderr);
  const value = JSON.parse(shown.stdout);
  return {
    keyId: value.keyId,
    publicKey: value.publicKeyLine.split(" ").slice(0, 2).join(" "),
  };
}

function requestLine(text: string): string {
  const line = text.split("\n").find((l) =>
    l.trimStart().startsWith("mcp-orchestration trust add ")
  );
  assert.ok(line, `no trust add line in:\n${text}`);
  return line.trim();
}

Deno.test({
  name:
    "a teammate's init in an adopted clone trusts nothing, prints the exact trust add line; the signer runs it, commits, and the teammate then signs",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await adopted(flow);
    const bob = await clone(flow, "bob@example.com");
    const committedList = await Deno.readFile(join(bob.root, TRUST));

    // Bob's init: a key, the hooks, and no trust entry, no signature.
    const init = await bob.cli(["init"]);
    assert.equal(init.code, 0, init.stderr);
    const shown = await showKey(bob.cli);
    const expected =
      `mcp-orchestration trust add "${shown.publicKey}" --principal bob@example.com`;
    assert.equal(requestLine(init.stdout), expected);
    assert.ok(init.stdout.includes(shown.keyId), init.stdout);
    assert.match(init.stdout, /alice@example\.com/);
    assert.doesNotMatch(init.stdout, /Next, commit the result/);
    assert.deepEqual(await Deno.readFile(join(bob.root, TRUST)), committedList);
    assert.equal((await bob.git(["status", "--porcelain"])).stdout, "");
    assert.ok(await hookIsOurs(bob.root, "pre-commit"));
    assert.ok(await hookIsOurs(bob.root, "pre-push"));

    // The same in JSON, and again (nothing changes).
    const report = JSON.parse((await bob.cli(["init", "--json"])).stdout);
    assert.deepEqual(
      report.steps.map((s: { status: string }) => s.status),
      ["existing", "not-trusted", "unchanged", "skipped"],
    );
    assert.equal(report.next, null);
    assert.deepEqual(report.request, {
      keyId: shown.keyId,
      publicKey: shown.publicKey,
      principal: "bob@example.com",
      command: expected,
      signers: ["alice@example.com"],
    });

    // status says the same, not "init adds it".
    const status = await bob.cli(["status"]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(requestLine(status.stdout), expected);
    assert.ok(status.stdout.includes(shown.keyId));
    assert.doesNotMatch(status.stdout, /init adds it/);
    const statusJson = JSON.parse((await bob.cli(["status", "--json"])).stdout);
    assert.deepEqual(statusJson.key.request, report.request);

    // Until then, the hook refuses Bob's config changes, as init said.
    assert.match(init.stdout, /pre-commit hook refuses your commits/);
    await Deno.writeTextFile(
      join(bob.root, ".mcp.json"),
      CONFIG.replace("server", "early"),
    );
    assert.equal((await bob.git(["add", ".mcp.json"])).code, 0);
    const early = await bob.git(["commit", "-q", "-m", "Too early"]);
    assert.equal(early.code, 1, early.stderr);
    assert.match(early.stderr, /is not trusted by this repository/);
    assert.equal((await bob.git(["reset", "-q", "--hard"])).code, 0);

    // Alice runs the line as printed; trust add says how to commit.
    const added = await shell(expected, flow.repo.root, flow.repo.home);
    assert.equal(added.code, 0, added.stderr);
    const next = added.stdout.split("\n").find((l) =>
      l.startsWith("  git add")
    );
    assert.equal(
      next,
      "  git add .mcp-orchestration && git commit -m 'Trust bob@example.com to sign MCP configs'",
    );
    assert.match(added.stdout, /pre-commit hook signs the trust-list change/);
    const committed = await shell(next!.trim(), flow.repo.root, flow.repo.home);
    assert.equal(committed.code, 0, committed.stderr);
    const verified = await flow.cli(["verify", "--rev", "HEAD"]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    await flow.ok(["push", "-q", "origin", "main"]);

    // Bob pulls: trusted now; his next config change is signed and verifies.
    assert.equal((await bob.git(["pull", "-q"])).code, 0);
    const trusted = JSON.parse((await bob.cli(["status", "--json"])).stdout);
    assert.deepEqual(
      [trusted.key.trusted, trusted.key.principals, trusted.key.request],
      [true, ["bob@example.com"], null],
    );
    await Deno.writeTextFile(
      join(bob.root, ".mcp.json"),
      CONFIG.replace("server", "server2"),
    );
    assert.equal((await bob.git(["add", ".mcp.json"])).code, 0);
    const change = await bob.git(["commit", "-q", "-m", "Bob's change"]);
    assert.equal(change.code, 0, change.stderr);
    const range = await bob.cli(["verify", "--range", "origin/main..HEAD"]);
    assert.equal(range.code, 0, range.stdout + range.stderr);
  },
});

Deno.test({
  name:
    "init in an adopted clone adds no key when the working tree's trust list is gone, nor without any principal",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await adopted(flow);
    // No user.email: the line says NAME instead of refusing.
    const bob = await clone(flow, undefined);
    await Deno.remove(join(bob.root, TRUST));
    const init = await bob.cli(["init"]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(
      requestLine(init.stdout),
      /^mcp-orchestration trust add "ssh-ed25519 [A-Za-z0-9+/=]+" --principal NAME$/,
    );
    assert.match(init.stdout, /replace NAME/);
    // HEAD's list is in force: no new one in the working tree.
    await assert.rejects(
      Deno.stat(join(bob.root, TRUST)),
      Deno.errors.NotFound,
    );
    assert.equal(
      (await bob.git(["status", "--porcelain"])).stdout,
      ` D ${TRUST}\n`,
    );
    // A principal given is used in the line.
    const named = await bob.cli(["init", "--principal", "bob@example.com"]);
    assert.equal(named.code, 0, named.stderr);
    assert.match(requestLine(named.stdout), / --principal bob@example\.com$/);
    // An invalid one is refused before anything.
    const bad = await bob.cli(["init", "--principal", "bob smith"]);
    assert.equal(bad.code, 2, bad.stderr);
  },
});

Deno.test({
  name:
    "trust add in a new repository also says what to do next, from a subfolder",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await Deno.mkdir(join(flow.repo.root, "sub"));
    await cliOk(flow, ["keys", "init"]);
    const shown = await showKey(flow.cli);
    const added = await runCli(
      ["trust", "add", shown.publicKey, "--principal", "alice@example.com"],
      { cwd: join(flow.repo.root, "sub"), home: flow.repo.home },
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      /^ {2}git add \.\.\/\.mcp-orchestration && git commit -m 'Trust alice@example\.com to sign MCP configs'$/m,
    );
  },
});
