/**
 * `init` uses the key git already signs commits with (`gpg.format=ssh`,
 * `user.signingkey`) when it is Ed25519, through the SSH agent when the
 * agent holds it, else from its file, instead of creating a second key;
 * and the pre-commit hook then signs with that same key.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, PERMISSION_FLAGS, runCli } from "../support/cli.ts";
import { createFlow } from "../support/flow.ts";
import type { TempRepo } from "../support/repo.ts";
import { startAgent } from "../support/ssh_agent.ts";
import { generateKey } from "../support/ssh_keygen.ts";
import { agentSocketFlag } from "../../src/permissions.ts";

const CONFIG = '{"mcpServers":{"files":{"command":"server"}}}\n';

interface KeyStep {
  step: "key";
  status: string;
  summary: string;
  keyId: string;
  path: string;
}

function cli(
  repo: TempRepo,
  args: string[],
  socket?: string,
): Promise<CliResult> {
  return runCli(args, {
    cwd: repo.root,
    home: repo.home,
    ...(socket
      ? {
        env: { SSH_AUTH_SOCK: socket },
        permissions: [...PERMISSION_FLAGS, agentSocketFlag(socket)],
      }
      : {}),
  });
}

async function initKeyStep(repo: TempRepo, socket?: string): Promise<KeyStep> {
  const result = await cli(repo, ["init", "--json"], socket);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { steps: { step: string }[] };
  return report.steps.find((step) => step.step === "key") as KeyStep;
}

const homeKeyExists = (repo: TempRepo) =>
  Deno.lstat(join(repo.home, "keys", "signing.key")).then(
    () => true,
    () => false,
  );

Deno.test("init uses git's SSH signing key from its file, and the hook signs with it", async () => {
  await using flow = await createFlow();
  const dir = join(flow.repo.home, "ssh");
  await Deno.mkdir(dir, { mode: 0o700 });
  const alice = await generateKey(dir, "id_ed25519");
  await flow.repo.git("config", "gpg.format", "ssh");
  await flow.repo.git("config", "user.signingkey", alice.publicPath);
  await flow.repo.write(".mcp.json", CONFIG);

  const step = await initKeyStep(flow.repo);
  assert.equal(step.status, "git");
  assert.equal(step.keyId, alice.fingerprint);
  assert.equal(step.path, alice.privatePath);
  assert.match(step.summary, /git signs your commits with/);
  assert.equal(await homeKeyExists(flow.repo), false, "no second key");

  // The hook finds the same key (no key in the tool's home).
  await flow.ok(["add", "-A"]);
  await flow.ok(["commit", "-q", "-m", "init"]);
  await flow.repo.write(".mcp.json", CONFIG.replace("server", "server2"));
  await flow.ok(["add", "-A"]);
  const committed = await flow.git(["commit", "-q", "-m", "change"]);
  assert.equal(committed.code, 0, committed.stderr);
  assert.match(committed.stderr, /signed \.mcp\.json/);
  const verified = JSON.parse(
    (await cli(flow.repo, ["verify", "--json"])).stdout,
  );
  assert.equal(verified.results[0].signer, alice.fingerprint);
});

Deno.test("init uses git's SSH signing key through the agent when the agent holds it", async () => {
  await using flow = await createFlow();
  await using agent = await startAgent();
  const dir = join(flow.repo.home, "ssh");
  await Deno.mkdir(dir, { mode: 0o700 });
  const alice = await generateKey(dir, "id_ed25519");
  const added = await agent.add(alice.privatePath);
  assert.ok(added.ok, added.output);
  await Deno.remove(alice.privatePath);
  await flow.repo.git("config", "gpg.format", "ssh");
  await flow.repo.git("config", "user.signingkey", `key::${alice.publicLine}`);
  await flow.repo.write(".mcp.json", CONFIG);

  const step = await initKeyStep(flow.repo, agent.socket);
  assert.equal(step.status, "git");
  assert.equal(step.keyId, alice.fingerprint);
  assert.equal(step.path, `ssh-agent:${agent.socket}`);
  assert.match(step.summary, /through the SSH agent/);
  assert.equal(await homeKeyExists(flow.repo), false);
  const verified = JSON.parse(
    (await cli(flow.repo, ["verify", "--json"])).stdout,
  );
  assert.equal(verified.results[0].signer, alice.fingerprint);
});

Deno.test("init creates its own key when git signs with GPG, or with a key that is not Ed25519", async () => {
  for (const setup of ["gpg", "rsa"] as const) {
    await using flow = await createFlow();
    const dir = join(flow.repo.home, "ssh");
    await Deno.mkdir(dir, { mode: 0o700 });
    if (setup === "gpg") {
      const alice = await generateKey(dir, "id_ed25519");
      // gpg.format unset: user.signingkey is a GPG key id, whatever it says.
      await flow.repo.git("config", "user.signingkey", alice.publicPath);
    } else {
      const path = join(dir, "id_rsa");
      const made = await new Deno.Command("ssh-keygen", {
        args: ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", path],
        stdin: "null",
      }).output();
      assert.ok(made.success);
      await flow.repo.git("config", "gpg.format", "ssh");
      await flow.repo.git("config", "user.signingkey", `${path}.pub`);
    }
    const step = await initKeyStep(flow.repo);
    assert.equal(step.status, "created", setup);
    assert.equal(await homeKeyExists(flow.repo), true, setup);
  }
});
