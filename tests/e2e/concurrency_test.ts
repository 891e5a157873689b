/**
 * Several `sign` processes at once on one repository: the repository lock
 * (a file in `.git`) must serialise them so that the store ends up
 * consistent — every config verifies, every index line's statement,
 * signature and artifact exist, nothing is orphaned, no temporary file or
 * lock is left — and a stale lock makes `sign` wait. The runs start while
 * the test holds the lock, so they always overlap.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { type CliResult, runCli } from "../support/cli.ts";
import {
  createTempRepo,
  sharedRepo,
  snapshotDiff,
  type TempRepo,
} from "../support/repo.ts";

const STORE = ".mcp-orchestration";
const LOCK = ".git/mcp-orchestration.lock";
const ID = /^[0-9a-f]{64}$/;

const CONFIGS: Readonly<Record<string, string>> = {
  ".mcp.json": '{"mcpServers":{"root":{"command":"a"}}}\n',
  "a/.mcp.json": '{"mcpServers":{"a":{"command":"a"}}}\n',
  "b/.cursor/mcp.json": '{"mcpServers":{"b":{"command":"b"}}}\n',
  "c/.vscode/mcp.json": '{\n  // c\n  "servers": {"c": {"command": "c"}},\n}\n',
  "d/.codex/config.toml": '[mcp_servers.d]\ncommand = "d"\n',
};

interface SignReport {
  results: {
    path: string;
    status: string;
    statementId: string;
    artifact: string;
    sequence: number;
  }[];
}

function cli(repo: TempRepo, args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: repo.root, home: repo.home });
}

async function ok(run: Promise<CliResult>): Promise<CliResult> {
  const result = await run;
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

// The first sign's report, from the build of the shared repository.
let firstReport: SignReport | undefined;

/**
 * A repository with a trusted key and every config of {@linkcode CONFIGS}
 * signed. Made once per file and copied: no test checks how it was made.
 */
async function signedRepo(): Promise<
  { repo: TempRepo & AsyncDisposable; first: SignReport }
> {
  const repo = await sharedRepo("signed", buildSignedRepo);
  assert.ok(firstReport);
  return { repo, first: firstReport };
}

async function buildSignedRepo(): Promise<TempRepo> {
  const repo = await createTempRepo();
  try {
    await ok(cli(repo, ["keys", "init"]));
    await ok(
      cli(repo, [
        "trust",
        "add",
        join(repo.home, "keys", "signing.pub"),
        "--principal",
        "alice@example.com",
      ]),
    );
    for (const [path, text] of Object.entries(CONFIGS)) {
      await repo.write(path, text);
    }
    const first = JSON.parse(
      (await ok(cli(repo, ["sign", "--json"]))).stdout,
    ) as SignReport;
    // Every config, and the trust list, which is signed like one.
    assert.equal(first.results.length, Object.keys(CONFIGS).length + 1);
    // Committed: a new version follows the one the last commit holds.
    await repo.git("add", "-A");
    await repo.git("commit", "-q", "-m", "signed");
    firstReport = first;
    return repo;
  } catch (error) {
    await repo.cleanup();
    throw error;
  }
}

// How long the test holds the lock while the runs start: long enough for
// every run to reach it (start-up and reading take well under a second).
const HOLD_MS = 3000;

/**
 * Starts all runs while the test itself holds the repository lock, checks
 * that none of them finished or wrote anything while it was held, then
 * releases it: every run is then in flight at once and they contend for the
 * lock, so a missing or broken lock fails here instead of passing because
 * the runs happened not to overlap.
 */
async function together(
  repo: TempRepo,
  runs: string[][],
): Promise<CliResult[]> {
  const before = await repo.snapshot();
  await Deno.writeTextFile(join(repo.root, LOCK), "held by the test\n");
  const settled: boolean[] = runs.map(() => false);
  const running = runs.map((args, i) =>
    cli(repo, args).finally(() => settled[i] = true)
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    assert.deepEqual(
      settled,
      runs.map(() => false),
      "a run finished while another held the lock",
    );
    assert.deepEqual(
      snapshotDiff(before, await repo.snapshot()),
      [],
      "a run wrote while another held the lock",
    );
  } finally {
    await Deno.remove(join(repo.root, LOCK));
    // Settle every run before an assertion failure ends the test.
    await Promise.allSettled(running);
  }
  return await Promise.all(running);
}

async function listFiles(repo: TempRepo, dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(repo.root, dir))) {
    names.push(entry.isDirectory ? `${entry.name}/` : entry.name);
    if (entry.isDirectory) {
      for (const inner of await listFiles(repo, `${dir}/${entry.name}`)) {
        names.push(`${entry.name}/${inner}`);
      }
    }
  }
  return names.sort();
}

/**
 * Checks that the store is whole and minimal: verify passes for exactly
 * `paths`, each index line names a statement that hashes to its name, has a
 * signature and an artifact, and nothing else is in the store.
 */
async function assertConsistent(
  repo: TempRepo,
  paths: string[],
): Promise<Map<string, string>> {
  const verified = await cli(repo, ["verify", "--json"]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const report = JSON.parse(verified.stdout) as {
    ok: boolean;
    results: { path: string; ok: boolean }[];
  };
  assert.equal(report.ok, true);
  assert.deepEqual(report.results.map((r) => r.path), [...paths].sort());

  const lines = new TextDecoder().decode(await repo.read(`${STORE}/index`))
    .split("\n");
  assert.equal(lines.shift(), "mcp-orchestration-index v1");
  assert.equal(lines.pop(), "", "the index ends with a newline");
  const index = new Map<string, string>();
  const expected = new Set([
    "index",
    "allowed_signers",
    "statements/",
    "artifacts/",
  ]);
  for (const line of lines) {
    const id = line.slice(0, 64);
    const path = line.slice(65);
    assert.match(id, ID, line);
    index.set(path, id);
    const statement = await repo.read(`${STORE}/statements/${id}`);
    assert.equal(
      sha256(statement),
      id,
      `statement ${id} does not hash to its name`,
    );
    assert.ok(
      await repo.exists(`${STORE}/statements/${id}.sig`),
      `no signature for ${path}`,
    );
    const artifact = /^artifact ([0-9a-f]{64})$/m.exec(
      new TextDecoder().decode(statement),
    )?.[1];
    assert.ok(artifact, `statement for ${path} names no artifact`);
    assert.equal(
      sha256(await repo.read(`${STORE}/artifacts/${artifact}`)),
      artifact,
    );
    expected.add(`statements/${id}`).add(`statements/${id}.sig`).add(
      `artifacts/${artifact}`,
    );
  }
  // The configs, and the trust list, which is signed like one.
  assert.deepEqual(
    [...index.keys()].sort(),
    [...paths, `${STORE}/allowed_signers`].sort(),
  );
  // Nothing orphaned, and no ".tmp-" file from an interrupted atomic write.
  assert.deepEqual(await listFiles(repo, STORE), [...expected].sort());
  assert.equal(await repo.exists(LOCK), false, "a lock was left in .git");
  return index;
}

function field(statement: Uint8Array, name: string): string | undefined {
  return new RegExp(`^${name} (.*)$`, "m").exec(
    new TextDecoder().decode(statement),
  )?.[1];
}

Deno.test("three sign processes at once on different configs leave a consistent store", async () => {
  const fixture = await signedRepo();
  await using repo = fixture.repo;
  const before = new Map(fixture.first.results.map((r) => [r.path, r]));
  await repo.write("a/.mcp.json", '{"mcpServers":{"a":{"command":"a2"}}}\n');
  await repo.write(
    "b/.cursor/mcp.json",
    '{"mcpServers":{"b":{"command":"b2"}}}\n',
  );
  await repo.write(
    "c/.vscode/mcp.json",
    '{\n  "servers": {"c": {"command": "c2"}},\n}\n',
  );
  await repo.write("e/.mcp.json", '{"mcpServers":{"e":{"command":"e"}}}\n');

  const results = await together(repo, [
    ["sign", "a/.mcp.json"],
    ["sign", "b/.cursor/mcp.json", "e/.mcp.json"],
    ["sign"],
  ]);
  // The lock waits up to 15 s for another run, far longer than one run takes.
  for (const result of results) assert.equal(result.code, 0, result.stderr);

  const paths = [...Object.keys(CONFIGS), "e/.mcp.json"];
  const index = await assertConsistent(repo, paths);
  for (const path of paths) {
    const statement = await repo.read(`${STORE}/statements/${index.get(path)}`);
    const old = before.get(path);
    if (path === "e/.mcp.json") {
      assert.equal(field(statement, "sequence"), "1");
    } else if (
      ["a/.mcp.json", "b/.cursor/mcp.json", "c/.vscode/mcp.json"].includes(path)
    ) {
      // Signed once more by exactly one of the runs: no version was skipped or doubled.
      assert.equal(field(statement, "sequence"), "2", path);
      assert.equal(field(statement, "previous"), old?.artifact, path);
    } else {
      assert.equal(index.get(path), old?.statementId, `${path} was re-signed`);
    }
  }
});

Deno.test("three sign processes at once on the same change sign it exactly once", async () => {
  await using repo = (await signedRepo()).repo;
  await repo.write(
    ".mcp.json",
    '{"mcpServers":{"root":{"command":"changed"}}}\n',
  );

  const results = await together(repo, [["sign", "--json", ".mcp.json"], [
    "sign",
    "--json",
    ".mcp.json",
  ], [
    "sign",
    "--json",
    ".mcp.json",
  ]]);
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const outcomes = results.map((r) =>
    (JSON.parse(r.stdout) as SignReport).results[0]!
  );
  assert.deepEqual(outcomes.map((o) => o.status).sort(), [
    "signed",
    "unchanged",
    "unchanged",
  ]);
  assert.equal(
    new Set(outcomes.map((o) => o.statementId)).size,
    1,
    "all runs report the same statement",
  );
  assert.deepEqual(outcomes.map((o) => o.sequence), [2, 2, 2]);
  await assertConsistent(repo, Object.keys(CONFIGS));

  // With nothing to do, concurrent full runs change nothing at all.
  const snapshot = await repo.snapshot();
  const idle = await together(repo, [["sign", "--json"], ["sign", "--json"], [
    "sign",
    "--json",
  ]]);
  for (const result of idle) {
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as SignReport;
    assert.ok(
      report.results.every((r) => r.status === "unchanged"),
      result.stdout,
    );
  }
  assert.deepEqual(snapshotDiff(snapshot, await repo.snapshot()), []);
  assert.equal(await repo.exists(LOCK), false);
});

Deno.test("a stale lock makes sign wait until it is removed", async () => {
  // That a lock which stays held ends in LOCKED, naming the file and writing
  // nothing, is tested in-process (tests/sign/sign_lock_test.ts) with a short
  // timeout: the CLI has no way to shorten its 15 s, on purpose.
  await using repo = (await signedRepo()).repo;
  const staleText = "locked at 2020-01-01T00:00:00.000Z\n";
  await repo.write(
    ".mcp.json",
    '{"mcpServers":{"root":{"command":"new"}}}\n',
  );
  await Deno.writeTextFile(join(repo.root, LOCK), staleText);
  const before = await repo.snapshot();
  let settled = false;
  const run = cli(repo, ["sign", "--json"]).finally(() => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  // Still waiting, and nothing written, while the lock was there.
  const waited = !settled;
  const untouched = snapshotDiff(before, await repo.snapshot());
  await Deno.remove(join(repo.root, LOCK));
  const result = await ok(run);
  assert.ok(waited, "sign finished while the lock was held");
  assert.deepEqual(untouched, [], "sign wrote while the lock was held");
  const report = JSON.parse(result.stdout) as SignReport;
  assert.equal(
    report.results.find((r) => r.path === ".mcp.json")?.status,
    "signed",
  );
  await assertConsistent(repo, Object.keys(CONFIGS));
});
