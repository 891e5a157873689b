/**
 * Signing through a real OpenSSH `ssh-agent` (`--agent`,
 * `MCP_ORCHESTRATION_AGENT=1`, `git config user.signingkey`), end to end:
 * the signatures `ssh-keygen -Y verify` accepts, the pre-commit hook, and
 * the bad cases (agent gone, refusing, holding only RSA or ECDSA keys,
 * returning a signature over other data).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  PERMISSION_FLAGS,
  runCli,
  TEST_BIN_ENV,
} from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import { createFlow } from "../support/flow.ts";
import { createTempRepo, type TempRepo } from "../support/repo.ts";
import {
  startAgent,
  startTamperingAgent,
  type TestAgent,
} from "../support/ssh_agent.ts";
import { generateKey, sshVerify } from "../support/ssh_keygen.ts";
import { agentSocketFlag } from "../../src/permissions.ts";

const PRINCIPAL = "alice@example.com";
const CONFIG = '{"mcpServers":{"files":{"command":"server"}}}\n';

function cli(
  repo: TempRepo,
  args: string[],
  socket: string,
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return runCli(args, {
    cwd: repo.root,
    home: repo.home,
    env: { SSH_AUTH_SOCK: socket, ...env },
    permissions: [...PERMISSION_FLAGS, agentSocketFlag(socket)],
  });
}

async function ok(run: Promise<CliResult>): Promise<CliResult> {
  const result = await run;
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result;
}

async function keyDir(repo: TempRepo): Promise<string> {
  const dir = join(repo.home, "ssh");
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

async function newKey(repo: TempRepo, name: string) {
  return await generateKey(await keyDir(repo), name);
}

// An RSA or ECDSA key pair made by ssh-keygen.
async function otherKey(repo: TempRepo, name: string, type: string) {
  const path = join(await keyDir(repo), name);
  const made = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", type, "-N", "", "-C", name, "-f", path],
    stdin: "null",
  }).output();
  assert.ok(made.success);
  return { privatePath: path };
}

async function added(agent: TestAgent, ...args: string[]): Promise<void> {
  const result = await agent.add(...args);
  assert.ok(result.ok, result.output);
}

// A repository with a config, the key trusted, and the signature checked
// with ssh-keygen against the repository's allowed_signers.
async function assertSshKeygenAccepts(
  repo: TempRepo,
  report: { results: { statementId: string }[] },
): Promise<void> {
  const statement = `.mcp-orchestration/statements/${
    report.results[0]!.statementId
  }`;
  const check = await sshVerify({
    allowedSigners: join(repo.root, ".mcp-orchestration/allowed_signers"),
    principal: PRINCIPAL,
    namespace: "mcp-orchestration",
    signaturePath: join(repo.root, `${statement}.sig`),
    message: await repo.read(statement),
  });
  assert.ok(check.ok, check.output);
}

Deno.test("agent: sign --agent makes signatures ssh-keygen accepts, with the agent's key", async () => {
  await using repo = await createTempRepo();
  await using agent = await startAgent();
  const alice = await newKey(repo, "alice");
  await added(agent, alice.privatePath);
  await repo.write(".mcp.json", CONFIG);
  await ok(
    cli(
      repo,
      ["trust", "add", alice.publicPath, "--principal", PRINCIPAL],
      agent.socket,
    ),
  );
  // No key file anywhere: the private key is only in the agent.
  await Deno.remove(alice.privatePath);

  const signed = JSON.parse(
    (await ok(cli(repo, ["sign", "--agent", "--json"], agent.socket))).stdout,
  );
  assert.equal(signed.signer, alice.fingerprint);
  await assertSshKeygenAccepts(repo, signed);
  await ok(cli(repo, ["verify"], agent.socket));

  // MCP_ORCHESTRATION_AGENT=1 is --agent.
  await repo.write(".mcp.json", CONFIG.replace("server", "server2"));
  const byEnv = JSON.parse(
    (await ok(
      cli(repo, ["sign", "--json"], agent.socket, {
        MCP_ORCHESTRATION_AGENT: "1",
      }),
    )).stdout,
  );
  assert.equal(byEnv.signer, alice.fingerprint);
  await assertSshKeygenAccepts(repo, byEnv);
});

Deno.test("agent: sign-file --agent signs a release file that ssh-keygen verifies", async () => {
  await using repo = await createTempRepo();
  await using agent = await startAgent();
  const alice = await newKey(repo, "alice");
  await added(agent, alice.privatePath);
  await repo.write("SHA256SUMS", "abc  file\n");
  await ok(cli(repo, ["sign-file", "--agent", "SHA256SUMS"], agent.socket));
  await Deno.writeTextFile(
    join(repo.home, "release_signers"),
    `release@example.com ${alice.publicLine}\n`,
  );
  const check = await sshVerify({
    allowedSigners: join(repo.home, "release_signers"),
    principal: "release@example.com",
    namespace: "mcp-orchestration-release",
    signaturePath: join(repo.root, "SHA256SUMS.sig"),
    message: "abc  file\n",
  });
  assert.ok(check.ok, check.output);
});

Deno.test("agent: keys show --agent lists Ed25519 keys with their ids and names the others", async () => {
  await using repo = await createTempRepo();
  await using agent = await startAgent();
  const alice = await newKey(repo, "alice");
  const rsa = await otherKey(repo, "rsa-key", "rsa");
  await added(agent, alice.privatePath, rsa.privatePath);
  const shown = JSON.parse(
    (await ok(cli(repo, ["keys", "show", "--agent", "--json"], agent.socket)))
      .stdout,
  );
  assert.deepEqual(shown.keys, [{
    keyId: alice.fingerprint,
    publicKeyLine: alice.publicLine,
  }]);
  assert.deepEqual(shown.unusable, [{ type: "ssh-rsa", comment: "rsa-key" }]);
  const text = (await ok(cli(repo, ["keys", "show", "--agent"], agent.socket)))
    .stdout;
  assert.match(text, /not usable \(Ed25519 only\): ssh-rsa rsa-key/);
});

Deno.test("agent: keys show --agent leaves off a comment with a line break, which would fake another key", async () => {
  await using repo = await createTempRepo();
  await using agent = await startAgent();
  const dir = await keyDir(repo);
  const path = join(dir, "evil");
  const made = await new Deno.Command("ssh-keygen", {
    args: [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "x\nssh-ed25519 AAAAfake",
      "-f",
      path,
    ],
    stdin: "null",
  }).output();
  assert.ok(made.success);
  await added(agent, path);
  const text = (await ok(cli(repo, ["keys", "show", "--agent"], agent.socket)))
    .stdout;
  assert.equal(
    text.split("\n").filter((line) => line.startsWith("ssh-")).length,
    1,
    text,
  );
  assert.doesNotMatch(text, /AAAAfake/);
});

Deno.test("agent: --agent --key names which of several agent keys signs; user.signingkey too", async () => {
  await using repo = await createTempRepo();
  await using agent = await startAgent();
  const alice = await newKey(repo, "alice");
  const bob = await newKey(repo, "bob");
  await added(agent, alice.privatePath, bob.privatePath);
  await repo.write(".mcp.json", CONFIG);
  await ok(
    cli(
      repo,
      ["trust", "add", bob.publicPath, "--principal", PRINCIPAL],
      agent.socket,
    ),
  );

  const several = await cli(repo, ["sign", "--agent"], agent.socket);
  assertCliError(
    several,
    "INVALID_KEY",
    "2 Ed25519 keys",
    alice.fingerprint,
    "keys show --agent",
  );

  const named = JSON.parse(
    (await ok(
      cli(
        repo,
        ["sign", "--agent", "--key", bob.publicPath, "--json"],
        agent.socket,
      ),
    )).stdout,
  );
  assert.equal(named.signer, bob.fingerprint);

  // The repository's user.signingkey, held by the agent, signs without
  // --agent (no key file in the home), and through the pre-commit hook below.
  await repo.git("config", "gpg.format", "ssh");
  await repo.git("config", "user.signingkey", `key::${bob.publicLine}`);
  await repo.write(".mcp.json", CONFIG.replace("server", "server2"));
  const fromGit = JSON.parse(
    (await ok(cli(repo, ["sign", "--json"], agent.socket))).stdout,
  );
  assert.equal(fromGit.signer, bob.fingerprint);
  await assertSshKeygenAccepts(repo, fromGit);
  await repo.git("config", "user.signingkey", alice.publicPath);
  const fromPath = JSON.parse(
    (await ok(cli(repo, ["sign", "--agent", "--json"], agent.socket)))
      .stdout,
  );
  assert.equal(fromPath.signer, alice.fingerprint);
});

Deno.test("agent: the tool's own key keeps signing when git's signing key is in the agent", async () => {
  await using repo = await createTempRepo();
  await using agent = await startAgent();
  const bob = await newKey(repo, "bob");
  await added(agent, bob.privatePath);
  await repo.git("config", "user.signingkey", bob.publicPath);
  await ok(cli(repo, ["keys", "init"], agent.socket));
  const own = JSON.parse(
    (await ok(cli(repo, ["keys", "show", "--json"], agent.socket))).stdout,
  );
  await repo.write(".mcp.json", CONFIG);
  const signed = JSON.parse(
    (await ok(cli(repo, ["sign", "--json"], agent.socket))).stdout,
  );
  assert.equal(signed.signer, own.keyId);
  // Asked for, the agent's key signs.
  const byAgent = JSON.parse(
    (await ok(cli(repo, ["sign", "--agent", "--json"], agent.socket))).stdout,
  );
  assert.equal(byAgent.signer, bob.fingerprint);
});

Deno.test("agent: the pre-commit hook signs through the agent", async () => {
  await using flow = await createFlow();
  await using agent = await startAgent();
  const alice = await newKey(flow.repo, "alice");
  await added(agent, alice.privatePath);
  await ok(
    cli(
      flow.repo,
      ["trust", "add", alice.publicPath, "--principal", PRINCIPAL],
      agent.socket,
    ),
  );
  await ok(cli(flow.repo, ["install"], agent.socket));
  await flow.repo.git("config", "user.signingkey", alice.publicPath);
  await Deno.remove(alice.privatePath);
  await flow.repo.write(".mcp.json", CONFIG);
  await flow.ok(["add", "-A"]);
  const committed = await flow.git(["commit", "-q", "-m", "config"], {
    env: { SSH_AUTH_SOCK: agent.socket },
  });
  assert.equal(committed.code, 0, committed.stderr);
  assert.match(committed.stderr, /signed \.mcp\.json/);
  const verified = JSON.parse(
    (await ok(cli(flow.repo, ["verify", "--json"], agent.socket))).stdout,
  );
  assert.equal(verified.results[0].signer, alice.fingerprint);

  // Without the agent, the hook has no key and refuses the commit.
  await flow.repo.write(".mcp.json", CONFIG.replace("server", "server2"));
  await flow.ok(["add", "-A"]);
  const refused = await flow.git(["commit", "-q", "-m", "again"], {
    env: { SSH_AUTH_SOCK: join(flow.repo.home, "no-agent.sock") },
  });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /KEY_NOT_FOUND/);
});

Deno.test("agent: bad input: agent gone, no key, refusing, RSA and ECDSA only", async () => {
  await using repo = await createTempRepo();
  await repo.write(".mcp.json", CONFIG);
  const alice = await newKey(repo, "alice");
  await ok(
    runCli(["trust", "add", alice.publicPath, "--principal", PRINCIPAL], {
      cwd: repo.root,
      home: repo.home,
    }),
  );
  const before = await repo.snapshot();

  // No SSH_AUTH_SOCK at all.
  assertCliError(
    await runCli(["sign", "--agent"], { cwd: repo.root, home: repo.home }),
    "KEY_NOT_FOUND",
    "SSH_AUTH_SOCK is not set",
  );
  // A socket that is not there: the agent is gone.
  const gone = join(repo.home, "gone.sock");
  assertCliError(
    await cli(repo, ["sign", "--agent"], gone),
    "KEY_NOT_FOUND",
    `Cannot reach the SSH agent at "${gone}"`,
    "ssh-add",
  );
  // Deno without the socket's permission says which flag it needs (a built
  // executable, run by tests/dist against this file, has no permissions).
  if (!Deno.env.get(TEST_BIN_ENV)) {
    assertCliError(
      await runCli(["sign", "--agent"], {
        cwd: repo.root,
        home: repo.home,
        env: { SSH_AUTH_SOCK: gone },
      }),
      "IO",
      `--allow-net=unix:${gone}`,
    );
  }

  await using agent = await startAgent();
  // An empty agent.
  assertCliError(
    await cli(repo, ["sign", "--agent"], agent.socket),
    "KEY_NOT_FOUND",
    "holds no keys",
  );
  // RSA and ECDSA keys only: Ed25519 only.
  const rsa = await otherKey(repo, "rsa-key", "rsa");
  const ecdsa = await otherKey(repo, "ecdsa-key", "ecdsa");
  await added(agent, rsa.privatePath, ecdsa.privatePath);
  assertCliError(
    await cli(repo, ["sign", "--agent"], agent.socket),
    "INVALID_KEY",
    "Ed25519 only",
    "ssh-rsa (rsa-key)",
    "ecdsa-sha2-nistp256 (ecdsa-key)",
  );
  // The key asked for is not in the agent.
  assertCliError(
    await cli(
      repo,
      ["sign", "--agent", "--key", alice.publicPath],
      agent.socket,
    ),
    "KEY_NOT_FOUND",
    `does not hold the key ${alice.fingerprint}`,
    "ssh-add",
  );
  // A key added with confirmation (ssh-add -c) cannot be confirmed without
  // ssh-askpass: the agent refuses to sign.
  await added(agent, "-c", alice.privatePath);
  assertCliError(
    await cli(
      repo,
      ["sign", "--agent", "--key", alice.publicPath],
      agent.socket,
    ),
    "INVALID_KEY",
    "refused to sign",
    "ssh-add -c",
  );
  assert.deepEqual(await repo.snapshot(), before, "nothing was written");
});

Deno.test("agent: a signature over other data is caught before anything is written", async () => {
  await using repo = await createTempRepo();
  await using agent = await startAgent();
  const alice = await newKey(repo, "alice");
  await added(agent, alice.privatePath);
  await repo.write(".mcp.json", CONFIG);
  await ok(
    cli(
      repo,
      ["trust", "add", alice.publicPath, "--principal", PRINCIPAL],
      agent.socket,
    ),
  );
  const before = await repo.snapshot();
  await using tampering = await startTamperingAgent(agent.socket);
  const result = await runCli(["sign", "--agent"], {
    cwd: repo.root,
    home: repo.home,
    env: { SSH_AUTH_SOCK: tampering.socket },
    permissions: [...PERMISSION_FLAGS, agentSocketFlag(tampering.socket)],
  });
  assertCliError(
    result,
    "INVALID_KEY",
    "does not verify",
    "nothing was written",
  );
  assert.deepEqual(await repo.snapshot(), before);
});
