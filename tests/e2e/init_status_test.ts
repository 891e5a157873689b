/**
 * `init` and `status`, end to end, through the real CLI in real temporary
 * repositories: init creates (or reuses) the key, trusts it under
 * `git config user.email` or `--principal`, installs the hooks and signs
 * what is there, after which a real `git commit` runs the hook and
 * `verify --rev HEAD` passes; a second init changes nothing; a failed step
 * says what was done and a rerun completes it. `status` reports configs,
 * trust list, tombstones, hooks and key before and after init, after
 * tampering and after a deletion, in a stable JSON shape.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { isOurHook } from "../../src/hooks/stubs.ts";
import { type CliResult, denoEnv, runCli } from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import {
  createTempRepo,
  gitEnv,
  snapshotDiff,
  type TempRepo,
  TEST_USER_EMAIL,
} from "../support/repo.ts";
import { generateKey } from "../support/ssh_keygen.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const STORE = ".mcp-orchestration";
const TRUST = `${STORE}/allowed_signers`;
const KEY_ID = /^SHA256:[A-Za-z0-9+/]{43}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const CONFIG = '{"mcpServers":{"files":{"command":"npx","args":["server"]}}}\n';
const decoder = new TextDecoder();

// --- shapes, as documented in src/cli/init_command.ts and status_command.ts ---

interface InitJson {
  ok: boolean;
  root: string;
  steps: {
    step: string;
    status: string;
    changed: boolean;
    summary: string;
    keyId?: string;
    path?: string;
    principals?: string[];
    hooksFolder?: string;
    hooks?: { hook: string; action: string; path: string }[];
    warnings?: string[];
    results?: { path: string; status: string; sequence: number }[];
  }[];
  failed: { step: string | null; code: string; message: string } | null;
  next: string | null;
  command: string[];
}

interface SignatureJson {
  path: string;
  signed: boolean;
  ok: boolean;
  code: string | null;
  reason: string;
  signer: string | null;
  principals: string[];
  trusted: boolean;
  signedAt: string | null;
  sequence: number | null;
}

interface StatusJson {
  root: string;
  configs: (SignatureJson & { client: string })[];
  trustList: SignatureJson & {
    present: boolean;
    keys: number;
    problem: string | null;
  };
  tombstones: {
    path: string;
    statementId: string;
    signer: string | null;
    signedAt: string | null;
    sequence: number | null;
  }[];
  resign: { path: string; signer: string | null; why: string }[];
  hooks: {
    folder: string;
    hooksPath: string | null;
    installed: boolean;
    hooks: { hook: string; path: string; state: string }[];
  };
  key: {
    keyId: string | null;
    path: string | null;
    trusted: boolean;
    principals: string[];
    problem: string | null;
    request: { command: string; keyId: string } | null;
  };
  problems: string[];
}

// --- helpers ------------------------------------------------------------------

function cli(
  repo: TempRepo,
  args: string[],
  env?: Record<string, string | undefined>,
): Promise<CliResult> {
  return runCli(args, { cwd: repo.root, home: repo.home, env: env ?? {} });
}

async function json<T>(
  repo: TempRepo,
  args: string[],
  env?: Record<string, string | undefined>,
): Promise<T> {
  const result = await cli(repo, [...args, "--json"], env);
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function init(
  repo: TempRepo,
  args: string[] = [],
  env?: Record<string, string | undefined>,
): Promise<InitJson> {
  const report = await json<InitJson>(repo, ["init", ...args], env);
  assert.equal(report.ok, true);
  assert.equal(report.failed, null);
  return report;
}

function step(report: InitJson, name: string): InitJson["steps"][number] {
  const found = report.steps.find((s) => s.step === name);
  assert.ok(found, `no "${name}" step in ${JSON.stringify(report.steps)}`);
  return found;
}

function status(repo: TempRepo): Promise<StatusJson> {
  return json<StatusJson>(repo, ["status"]);
}

async function readText(repo: TempRepo, path: string): Promise<string> {
  return decoder.decode(await repo.read(path));
}

/** The trust list's key lines. */
async function trustLines(repo: TempRepo): Promise<string[]> {
  return (await readText(repo, TRUST)).split("\n").filter((line) =>
    line.trim() !== "" && !line.startsWith("#")
  );
}

async function hooksFolder(repo: TempRepo): Promise<string> {
  return (await repo.git(
    "rev-parse",
    "--path-format=absolute",
    "--git-path",
    "hooks",
  )).trim();
}

/** Runs git as a user would, so that the hooks run. */
async function gitRun(
  repo: TempRepo,
  args: string[],
): Promise<CliResult> {
  const out = await new Deno.Command("git", {
    args,
    cwd: repo.root,
    clearEnv: true,
    env: {
      ...gitEnv(repo.home),
      ...(await denoEnv()),
      MCP_ORCHESTRATION_HOME: repo.home,
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

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function listDir(path: string): Promise<string[] | null> {
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    return names.sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

// --- init ---------------------------------------------------------------------

Deno.test({
  name:
    "init in a fresh repository creates the key, trusts it as user.email, installs the hooks and signs; the commit then verifies",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    const report = await init(repo);

    // 1. The key: created in the tool's home, the one "keys show" shows.
    const key = step(report, "key");
    assert.equal(key.status, "created");
    assert.equal(key.changed, true);
    assert.match(key.keyId ?? "", KEY_ID);
    assert.equal(key.path, join(repo.home, "keys", "signing.key"));
    const shown = await json<{ keyId: string }>(repo, ["keys", "show"]);
    assert.equal(shown.keyId, key.keyId);

    // 2. The trust entry: this key, as git's user.email.
    const trust = step(report, "trust");
    assert.equal(trust.status, "added");
    assert.deepEqual(trust.principals, [TEST_USER_EMAIL]);
    const listed = await json<{ keyId: string; principals: string[] }[]>(
      repo,
      ["trust", "list"],
    );
    assert.deepEqual(
      listed.map((e) => [e.keyId, e.principals]),
      [[key.keyId, [TEST_USER_EMAIL]]],
    );

    // 3. The hooks: our stubs where git runs hooks.
    const hooks = step(report, "hooks");
    assert.equal(hooks.status, "installed");
    const folder = await hooksFolder(repo);
    assert.equal(hooks.hooksFolder, folder);
    for (const name of ["pre-commit", "pre-push"]) {
      const text = await readOrNull(join(folder, name));
      assert.ok(text !== null && isOurHook(text), `${name} is not ours`);
      assert.equal((await Deno.stat(join(folder, name))).mode! & 0o111, 0o111);
    }

    // 4. The config and the trust list are signed, and verify.
    const sign = step(report, "sign");
    assert.equal(sign.status, "signed");
    assert.deepEqual(
      sign.results?.map((r) => [r.path, r.status, r.sequence]),
      [[".mcp.json", "signed", 1], [TRUST, "signed", 1]],
    );
    assert.equal((await cli(repo, ["verify"])).code, 0);

    // 5. The next step, and it works: the hook runs, the commit verifies.
    assert.equal(
      report.next,
      "git add .mcp-orchestration .mcp.json && git commit -m 'Set up mcp-orchestration: sign MCP configs'",
    );
    assert.equal((await gitRun(repo, ["add", "."])).code, 0);
    const committed = await gitRun(repo, ["commit", "-q", "-m", "Set up"]);
    assert.equal(committed.code, 0, committed.stderr);
    const verified = await cli(repo, ["verify", "--rev", "HEAD"]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /ok +\.mcp\.json/);

    // From then on the pre-commit hook signs what is committed.
    await repo.write(".mcp.json", CONFIG.replace("server", "server2"));
    assert.equal((await gitRun(repo, ["add", ".mcp.json"])).code, 0);
    const second = await gitRun(repo, ["commit", "-q", "-m", "Change"]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /signed \.mcp\.json \(sequence 2\)/);
    const again = await cli(repo, ["verify", "--rev", "HEAD"]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(
      (await repo.git("status", "--porcelain")).trim(),
      "",
      "the hook left something unstaged",
    );
  },
});

Deno.test({
  name:
    "init twice changes nothing: key kept, no second trust entry, hooks and signatures unchanged",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    await repo.write(".cursor/mcp.json", CONFIG);
    const first = await init(repo);
    const keyFiles = await listDir(join(repo.home, "keys"));
    const privateKey = await Deno.readFile(join(repo.home, "keys/signing.key"));
    const before = await repo.snapshot();

    const second = await init(repo);
    assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
    assert.deepEqual(
      second.steps.map((s) => [s.step, s.status, s.changed]),
      [
        ["key", "existing", false],
        ["trust", "already-trusted", false],
        ["hooks", "unchanged", false],
        ["sign", "unchanged", false],
      ],
    );
    assert.equal(step(second, "key").keyId, step(first, "key").keyId);
    assert.deepEqual(await listDir(join(repo.home, "keys")), keyFiles);
    assert.deepEqual(
      await Deno.readFile(join(repo.home, "keys/signing.key")),
      privateKey,
    );
    assert.equal((await trustLines(repo)).length, 1);

    // The human output says so, and still shows what is left to commit.
    const text = await cli(repo, ["init"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /already trusted as "test@example\.com"/);
    assert.match(text.stdout, /already installed/);
    assert.match(text.stdout, /3 files already signed, unchanged/);
    assert.match(
      text.stdout,
      /git add \.mcp-orchestration \.cursor\/mcp\.json \.mcp\.json/,
    );
    assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);

    // Once committed, there is nothing left to do.
    await repo.git("add", ".");
    await repo.git("commit", "-q", "--no-verify", "-m", "Set up");
    const done = await init(repo);
    assert.equal(done.next, null);
    assert.match(
      (await cli(repo, ["init"])).stdout,
      /Nothing to commit/,
    );
  },
});

Deno.test({
  name: "init uses an existing key and never creates another",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    const made = await json<{ created: { keyId: string } }>(repo, [
      "keys",
      "init",
    ]);
    const keyFiles = await listDir(join(repo.home, "keys"));
    const report = await init(repo);
    assert.equal(step(report, "key").status, "existing");
    assert.equal(step(report, "key").changed, false);
    assert.equal(step(report, "key").keyId, made.created.keyId);
    assert.deepEqual(await listDir(join(repo.home, "keys")), keyFiles);
    assert.ok(!keyFiles?.includes("retired"));
    assert.match((await trustLines(repo))[0] ?? "", /^test@example\.com /);
  },
});

Deno.test({
  name:
    "init with MCP_ORCHESTRATION_KEY or --key uses that key and creates none; a missing one is an error",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    const keysDir = await Deno.makeTempDir({ dir: repo.home });
    const mine = await generateKey(keysDir, "mine");
    const homeKeys = join(repo.home, "keys");

    const viaEnv = await init(repo, [], {
      MCP_ORCHESTRATION_KEY: mine.privatePath,
    });
    assert.equal(step(viaEnv, "key").status, "given");
    assert.equal(step(viaEnv, "key").keyId, mine.fingerprint);
    assert.equal(step(viaEnv, "key").path, mine.privatePath);
    assert.equal(await listDir(homeKeys), null, "a key was created");
    const listed = await json<{ keyId: string }[]>(repo, ["trust", "list"]);
    assert.deepEqual(listed.map((e) => e.keyId), [mine.fingerprint]);

    const viaFlag = await init(repo, ["--key", mine.privatePath]);
    assert.equal(step(viaFlag, "key").status, "given");
    assert.equal(step(viaFlag, "trust").status, "already-trusted");
    assert.equal(await listDir(homeKeys), null, "a key was created");

    const before = await repo.snapshot();
    const missing = await cli(repo, [
      "init",
      "--key",
      join(keysDir, "nonexistent"),
    ]);
    assertCliError(
      missing,
      "KEY_NOT_FOUND",
      /No private key at ".*nonexistent"/,
    );
    assert.equal(await listDir(homeKeys), null, "a key was created");
    assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
  },
});

Deno.test({
  name:
    "init without user.email and without --principal is a usage error that changes nothing",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    await repo.git("config", "--unset", "user.email");
    const before = await repo.snapshot();
    const result = await cli(repo, ["init"]);
    assertCliError(
      result,
      "USAGE",
      /--principal NAME/,
      /git config user\.email/,
    );
    assert.equal(result.stdout, "");
    assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
    assert.equal(await listDir(join(repo.home, "keys")), null);

    const report = await cli(repo, ["init", "--json"]);
    assert.equal(report.code, 2);
    const parsed = JSON.parse(report.stdout) as InitJson;
    assert.equal(parsed.ok, false);
    assert.deepEqual(parsed.steps, []);
    assert.equal(parsed.failed?.step, null);
    assert.equal(parsed.failed?.code, "USAGE");
  },
});

Deno.test({
  name: "init --principal names the trust entry, whatever user.email says",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    const report = await init(repo, ["--principal", "alice@corp.example"]);
    assert.deepEqual(step(report, "trust").principals, ["alice@corp.example"]);
    const lines = await trustLines(repo);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /^alice@corp\.example /);
    assert.doesNotMatch(lines[0] ?? "", /test@example\.com/);
    const verified = await json<{ results: { principals?: string[] }[] }>(
      repo,
      ["verify"],
    );
    assert.deepEqual(verified.results[0]?.principals, ["alice@corp.example"]);

    const bad = await cli(repo, ["init", "--principal", "alice smith"]);
    // The key is trusted already: the new principal is not needed, and is said to be ignored.
    assert.equal(bad.code, 0, bad.stderr);
    assert.match(bad.stdout, /--principal "alice smith" was not applied/);
    assert.equal((await trustLines(repo)).length, 1);
  },
});

Deno.test({
  name:
    "a failed init step stops, names the steps already done, and a rerun completes the rest",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    // husky owns core.hooksPath: install refuses without --force.
    await repo.git("config", "core.hooksPath", ".husky/_");
    await repo.write(".husky/_/h", "#!/bin/sh\n");
    const result = await cli(repo, ["init"]);
    assertCliError(result, "HOOKS");
    assert.match(result.stdout, /^1\. key +created SHA256:/m);
    assert.match(result.stdout, /^2\. trust +added SHA256:/m);
    assert.doesNotMatch(result.stdout, /^3\./m);
    assert.match(result.stderr, /init stopped at step 3 of 4 \(hooks\)/);
    assert.match(result.stderr, /husky/);
    assert.match(
      result.stderr,
      /Already done: 1\. key: created .*; 2\. trust: added /,
    );
    assert.match(result.stderr, /"init --force"/);
    assert.equal(await repo.exists(`${STORE}/index`), false, "it signed");

    const failed = await cli(repo, ["init", "--json"]);
    assert.equal(failed.code, 1);
    const parsed = JSON.parse(failed.stdout) as InitJson;
    assert.equal(parsed.ok, false);
    assert.deepEqual(parsed.steps.map((s) => [s.step, s.status]), [
      ["key", "existing"],
      ["trust", "already-trusted"],
    ]);
    assert.deepEqual(
      [parsed.failed?.step, parsed.failed?.code],
      ["hooks", "HOOKS"],
    );

    const forced = await init(repo, ["--force"]);
    assert.deepEqual(forced.steps.map((s) => [s.step, s.status]), [
      ["key", "existing"],
      ["trust", "already-trusted"],
      ["hooks", "installed"],
      ["sign", "signed"],
    ]);
    const text = await readOrNull(join(repo.root, ".husky/_/pre-commit"));
    assert.ok(text !== null && isOurHook(text));
    assert.equal((await trustLines(repo)).length, 1);
  },
});

Deno.test({
  name: "init refuses a config that does not validate, after the steps before",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", '{"mcpServers": {"a": 1,}}\n');
    const result = await cli(repo, ["init"]);
    assertCliError(
      result,
      "INVALID_CONFIG",
      /init stopped at step 4 of 4 \(sign\): .*\.mcp\.json/,
    );
    assert.match(result.stderr, /3\. hooks: installed/);
    assert.equal(await repo.exists(`${STORE}/index`), false);
  },
});

// --- status -------------------------------------------------------------------

Deno.test({
  name:
    "status before and after init, after tampering and after a deletion; exit 0 throughout",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    await repo.write("pkg/.vscode/mcp.json", '{"servers":{}}\n');

    // Before: unsigned, no trust list, no hooks, no key.
    const before = await status(repo);
    assert.equal(before.root, repo.root);
    assert.deepEqual(
      before.configs.map((c) => [c.path, c.client, c.signed, c.ok, c.code]),
      [
        [".mcp.json", "Claude Code", false, false, "UNSIGNED"],
        ["pkg/.vscode/mcp.json", "VS Code", false, false, "UNSIGNED"],
      ],
    );
    assert.equal(before.trustList.present, false);
    assert.equal(before.trustList.keys, 0);
    assert.equal(before.hooks.installed, false);
    assert.deepEqual(before.hooks.hooks.map((h) => [h.hook, h.state]), [
      ["pre-commit", "missing"],
      ["pre-push", "missing"],
      ["post-checkout", "missing"],
      ["post-merge", "missing"],
      ["post-rewrite", "missing"],
    ]);
    assert.equal(before.key.keyId, null);
    assert.match(before.key.problem ?? "", /keys init/);
    assert.deepEqual(before.tombstones, []);
    const beforeText = await cli(repo, ["status"]);
    assert.equal(beforeText.code, 0);
    assert.match(beforeText.stdout, /\.mcp\.json +Claude Code +UNSIGNED/);
    assert.match(beforeText.stdout, /Hooks: +NOT installed/);

    // After init: all signed by the new key, trusted, hooks installed.
    const keyId = step(await init(repo), "key").keyId;
    const after = await status(repo);
    for (const config of after.configs) {
      assert.deepEqual(
        [config.signed, config.ok, config.code, config.signer, config.trusted],
        [true, true, null, keyId, true],
        config.path,
      );
      assert.deepEqual(config.principals, [TEST_USER_EMAIL]);
      assert.match(config.signedAt ?? "", TIME);
      assert.equal(config.sequence, 1);
    }
    assert.deepEqual(
      [
        after.trustList.present,
        after.trustList.keys,
        after.trustList.ok,
        after.trustList.signer,
        after.trustList.principals,
      ],
      [true, 1, true, keyId, [TEST_USER_EMAIL]],
    );
    assert.equal(after.hooks.installed, true);
    assert.deepEqual(
      [after.key.keyId, after.key.trusted, after.key.principals],
      [keyId, true, [TEST_USER_EMAIL]],
    );
    const afterText = await cli(repo, ["status"]);
    assert.match(
      afterText.stdout,
      /\.mcp\.json +Claude Code +ok +test@example\.com/,
    );
    assert.match(afterText.stdout, /Hooks: +installed/);
    assert.match(
      afterText.stdout,
      /Trust list: +1 key, signed by test@example\.com/,
    );

    // Tampered: reported, still trusted signer, and status still exits 0.
    await repo.write(".mcp.json", CONFIG.replace("npx", "evil"));
    const tampered = await status(repo);
    const config = tampered.configs.find((c) => c.path === ".mcp.json");
    assert.deepEqual(
      [
        config?.signed,
        config?.ok,
        config?.code,
        config?.signer,
        config?.trusted,
      ],
      [true, false, "TAMPERED", keyId, true],
    );
    assert.deepEqual(config?.principals, [TEST_USER_EMAIL]);
    const tamperedText = await cli(repo, ["status"]);
    assert.equal(tamperedText.code, 0);
    assert.match(tamperedText.stdout, /\.mcp\.json +Claude Code +TAMPERED/);
    assert.match(tamperedText.stdout, /Failures:\n {2}\.mcp\.json: TAMPERED: /);

    // Deleted: a tombstone with its last signature.
    await Deno.remove(join(repo.root, "pkg/.vscode/mcp.json"));
    const deleted = await status(repo);
    assert.deepEqual(deleted.configs.map((c) => c.path), [".mcp.json"]);
    assert.equal(deleted.tombstones.length, 1);
    const tomb = deleted.tombstones[0]!;
    assert.equal(tomb.path, "pkg/.vscode/mcp.json");
    assert.equal(tomb.signer, keyId);
    assert.equal(tomb.sequence, 1);
    assert.match(tomb.signedAt ?? "", TIME);
    assert.match(tomb.statementId, /^[0-9a-f]{64}$/);
    const deletedText = await cli(repo, ["status"]);
    assert.equal(deletedText.code, 0);
    assert.match(
      deletedText.stdout,
      /pkg\/\.vscode\/mcp\.json +deleted, last signed \d{4}-\S+Z by SHA256:\S+ \(sequence 1\)/,
    );
  },
});

Deno.test({
  name: "status --json has a stable shape: every documented field, no other",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    await repo.write("old/.mcp.json", CONFIG);
    await init(repo);
    await Deno.remove(join(repo.root, "old/.mcp.json"));
    const result = await cli(repo, ["status", "--json"]);
    assert.equal(result.code, 0);
    const value = JSON.parse(result.stdout) as StatusJson;
    const keys = (o: object) => Object.keys(o).sort();
    const signature = [
      "approval",
      "code",
      "ok",
      "path",
      "principals",
      "reason",
      "sequence",
      "signed",
      "signedAt",
      "signer",
      "trusted",
    ];
    assert.deepEqual(keys(value), [
      "configs",
      "hooks",
      "key",
      "problems",
      "resign",
      "root",
      "tombstones",
      "trustList",
    ]);
    assert.deepEqual(value.resign, []);
    assert.equal(value.configs.length, 1);
    assert.deepEqual(keys(value.configs[0]!), [...signature, "client"].sort());
    assert.deepEqual(
      keys(value.trustList),
      [...signature, "keys", "present", "problem"].sort(),
    );
    assert.equal(value.tombstones.length, 1);
    assert.deepEqual(keys(value.tombstones[0]!), [
      "path",
      "sequence",
      "signedAt",
      "signer",
      "statementId",
    ]);
    assert.deepEqual(keys(value.hooks), [
      "folder",
      "hooks",
      "hooksPath",
      "installed",
    ]);
    assert.deepEqual(keys(value.hooks.hooks[0]!), ["hook", "path", "state"]);
    assert.deepEqual(keys(value.key), [
      "keyId",
      "path",
      "principals",
      "problem",
      "request",
      "trusted",
    ]);
    assert.deepEqual(value.problems, []);
  },
});

Deno.test({
  name:
    "status reports a foreign hook, an untrusted key and an untrusted signer, and changes nothing",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await repo.write(".mcp.json", CONFIG);
    await init(repo, ["--principal", "first@example.com"]);
    // Another user: their own key, not in the list; a hook of their own.
    const other = join(repo.home, "other");
    await Deno.mkdir(other);
    const theirs = await generateKey(other, "theirs");
    await repo.write(".cursor/mcp.json", CONFIG);
    const signed = await cli(repo, ["sign", "--key", theirs.privatePath]);
    assert.equal(signed.code, 0, signed.stderr);
    const folder = await hooksFolder(repo);
    await Deno.writeTextFile(join(folder, "pre-push"), "#!/bin/sh\nexit 0\n");
    const before = await repo.snapshot();
    const result = await cli(repo, ["status", "--json"], {
      MCP_ORCHESTRATION_KEY: theirs.privatePath,
    });
    assert.equal(result.code, 0, result.stderr);
    const value = JSON.parse(result.stdout) as StatusJson;
    assert.deepEqual(
      [value.key.keyId, value.key.trusted, value.key.principals],
      [theirs.fingerprint, false, []],
    );
    assert.equal(value.hooks.installed, false);
    assert.deepEqual(value.hooks.hooks.map((h) => h.state), [
      "ours",
      "foreign",
      "ours",
      "ours",
      "ours",
    ]);
    assert.deepEqual(
      value.configs.map((
        c,
      ) => [c.path, c.code, c.signer, c.trusted, c.principals]),
      [
        [".cursor/mcp.json", "UNTRUSTED_SIGNER", theirs.fingerprint, false, []],
        [".mcp.json", null, value.trustList.signer, true, [
          "first@example.com",
        ]],
      ],
    );
    const text = await cli(repo, ["status"], {
      MCP_ORCHESTRATION_KEY: theirs.privatePath,
    });
    assert.match(text.stdout, /Your key: +SHA256:\S+ \(NOT trusted here/);
    // The list exists: a trusted signer adds the key, not init.
    assert.doesNotMatch(text.stdout, /init adds it/);
    assert.match(
      text.stdout,
      /^ +mcp-orchestration trust add "ssh-ed25519 [A-Za-z0-9+/=]+" --principal test@example\.com$/m,
    );
    assert.equal(value.key.request?.keyId, theirs.fingerprint);
    assert.match(text.stdout, /pre-push foreign/);
    assert.match(
      text.stdout,
      /\.cursor\/mcp\.json +Cursor +UNTRUSTED_SIGNER +SHA256:\S+ +NO /,
    );
    assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
  },
});

Deno.test("status outside a repository exits 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await runCli(["status"], { cwd: dir, home: dir });
    assertCliError(result, "NOT_A_REPOSITORY", /Not inside a Git working tree/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
