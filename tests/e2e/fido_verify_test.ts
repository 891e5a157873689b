/**
 * A teammate whose key is on a FIDO token (`sk-ssh-ed25519@openssh.com`,
 * a YubiKey through the agent) is verified like any other: their
 * allowed_signers line, a config they signed, `verify`, and `ssh-keygen -Y
 * verify` on the same statement. The token is a software stand-in
 * (tests/support/fido_token.ts): no test machine has one.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, runCli } from "../support/cli.ts";
import { createTempRepo, type TempRepo } from "../support/repo.ts";
import { generateKey, sshVerify } from "../support/ssh_keygen.ts";
import { createFidoToken } from "../support/fido_token.ts";
import { findRepository } from "../../src/git/repository.ts";
import { signConfigs } from "../../src/sign/sign_configs.ts";
import { SSHSIG_BEGIN, SSHSIG_END } from "../../src/constants.ts";
import { armor, dearmor } from "../../src/format/armor.ts";

const BOB = "bob@example.com";
const SIGNERS = ".mcp-orchestration/allowed_signers";

function cli(repo: TempRepo, args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: repo.root, home: repo.home });
}

async function ok(run: Promise<CliResult>): Promise<CliResult> {
  const result = await run;
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result;
}

Deno.test("a config signed with a FIDO key verifies, here and with ssh-keygen; without user presence it fails", async () => {
  await using repo = await createTempRepo();
  const dir = join(repo.home, "ssh");
  await Deno.mkdir(dir, { mode: 0o700 });
  const alice = await generateKey(dir, "alice");
  const token = await createFidoToken();
  await repo.write(".mcp.json", '{"mcpServers":{"a":{"command":"a"}}}\n');
  await ok(
    cli(repo, [
      "trust",
      "add",
      alice.publicPath,
      "--principal",
      "alice@example.com",
    ]),
  );
  // Bob's line, as he would hand it over: his token's public key line.
  const listed = new TextDecoder().decode(await repo.read(SIGNERS));
  await repo.write(
    SIGNERS,
    `${listed}${BOB} namespaces="mcp-orchestration" ${token.publicLine}\n`,
  );
  await ok(cli(repo, ["sign", "--key", alice.privatePath]));
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "--no-verify", "-m", "trust bob's token");

  // Bob signs a change with his token (through the library: the CLI
  // reaches FIDO keys only through an agent, which needs a real token).
  await repo.write(".mcp.json", '{"mcpServers":{"b":{"command":"b"}}}\n');
  const report = await signConfigs(await findRepository(repo.root), {
    key: token.signingKey(),
    cwd: repo.root,
    paths: [".mcp.json"],
  });
  const statementId = report.results[0]!.statementId;
  const verified = JSON.parse(
    (await ok(cli(repo, ["verify", "--json"]))).stdout,
  );
  assert.equal(verified.results[0].signer, token.keyId);
  assert.deepEqual(verified.results[0].principals, [BOB]);

  const statement = `.mcp-orchestration/statements/${statementId}`;
  const check = await sshVerify({
    allowedSigners: join(repo.root, SIGNERS),
    principal: BOB,
    namespace: "mcp-orchestration",
    signaturePath: join(repo.root, `${statement}.sig`),
    message: await repo.read(statement),
  });
  assert.ok(check.ok, check.output);

  // The same signature with the user-presence flag cleared (a token that
  // signed without a touch): BAD_SIGNATURE.
  const sigPath = `${statement}.sig`;
  const blob = dearmor(
    new TextDecoder().decode(await repo.read(sigPath)),
    SSHSIG_BEGIN,
    SSHSIG_END,
    sigPath,
  );
  blob[blob.length - 5] = 0x00;
  await repo.write(sigPath, armor(blob, SSHSIG_BEGIN, SSHSIG_END));
  const failed = JSON.parse((await cli(repo, ["verify", "--json"])).stdout);
  assert.equal(failed.results[0].code, "BAD_SIGNATURE");
  assert.match(failed.results[0].reason, /without user presence/);
});
