/**
 * The repository lock from the library side: a lock that stays held makes
 * `signConfigs` fail with `LOCKED`, naming the file, and write nothing. The
 * CLI waits 15 s for that, with no flag or variable to shorten it (so the
 * environment of a hook cannot change it); a Repository built in code can
 * carry a shorter `lockTimeoutMs`, which this test sets. That runs wait, and that concurrent runs are
 * serialised, is tested through the CLI in tests/e2e/concurrency_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ToolError } from "../../src/errors.ts";
import { initKey, loadSigningKey } from "../../src/keys/key_store.ts";
import { signConfigs } from "../../src/sign/sign_configs.ts";
import { createTempRepo, snapshotDiff } from "../support/repo.ts";

const LOCK = ".git/mcp-orchestration.lock";

Deno.test("signConfigs: a lock that stays held fails with LOCKED naming the file, and nothing is written", async () => {
  await using repo = await createTempRepo();
  const tree = { root: repo.root, gitDir: join(repo.root, ".git") };
  await initKey({ home: repo.home });
  const key = await loadSigningKey({ home: repo.home });
  await repo.write(".mcp.json", '{"mcpServers":{"root":{"command":"a"}}}\n');
  await signConfigs(tree, { key, cwd: repo.root });
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "signed");

  await repo.write(".mcp.json", '{"mcpServers":{"root":{"command":"new"}}}\n');
  const staleText = "locked at 2020-01-01T00:00:00.000Z\n";
  await Deno.writeTextFile(join(repo.root, LOCK), staleText);
  const before = await repo.snapshot();
  const started = Date.now();
  const error = await signConfigs({ ...tree, lockTimeoutMs: 300 }, {
    key,
    cwd: repo.root,
  }).then(() => undefined, (error: unknown) => error);
  assert.ok(error instanceof ToolError, String(error));
  assert.equal(error.code, "LOCKED");
  // It waited for the holder before giving up.
  assert.ok(Date.now() - started >= 300);
  assert.ok(error.message.includes(join(repo.root, LOCK)), error.message);
  assert.match(error.message, /holds the lock/);
  assert.match(error.message, /delete that file/);
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
  // The lock is not ours: it is left for the user to judge.
  assert.equal(await Deno.readTextFile(join(repo.root, LOCK)), staleText);
});
