/**
 * Re-signing must be able to repair what `verify` reports about keys: a
 * statement signed before the key's `valid-after` fails with EXPIRED_KEY, and
 * `sign` with that (now valid) key must replace it rather than call it
 * unchanged.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  findRepository,
  initKey,
  loadSigningKey,
  signConfigs,
} from "../../mod.ts";
import { runCli } from "../support/cli.ts";
import { createTempRepo } from "../support/repo.ts";

Deno.test("a statement signed before the key's valid-after is re-signed, and then verifies", async () => {
  await using repo = await createTempRepo();
  const cli = (...args: string[]) =>
    runCli(args, { cwd: repo.root, home: repo.home });
  await initKey({ home: repo.home });
  await repo.write(".mcp.json", '{"mcpServers":{}}\n');
  const key = await loadSigningKey({ home: repo.home });
  await signConfigs(await findRepository(repo.root), {
    key,
    cwd: repo.root,
    now: new Date("2020-01-01T00:00:00Z"),
  });
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "signed in 2020");
  const trusted = await cli(
    "trust",
    "add",
    `${repo.home}/keys/signing.pub`,
    "--principal",
    "a@example.com",
    "--valid-after",
    "20250101Z",
  );
  assert.equal(trusted.code, 0, trusted.stderr);
  const before = JSON.parse((await cli("verify", "--json")).stdout);
  assert.equal(before.results[0].code, "EXPIRED_KEY");

  const signed = JSON.parse((await cli("sign", "--json")).stdout);
  assert.equal(signed.results[0].status, "signed");
  assert.equal(signed.results[0].sequence, 2);
  assert.equal((await cli("verify")).code, 0);
});

Deno.test("a key that is untrusted now does not re-sign again and again", async () => {
  await using repo = await createTempRepo();
  const cli = (...args: string[]) =>
    runCli(args, { cwd: repo.root, home: repo.home });
  assert.equal((await cli("keys", "init")).code, 0);
  await repo.write(".mcp.json", '{"mcpServers":{}}\n');
  const first = await cli("sign", "--json");
  assert.match(first.stderr, /not trusted by this repository/);
  const second = JSON.parse((await cli("sign", "--json")).stdout);
  assert.equal(second.results[0].status, "unchanged");
});
