/**
 * Red team 9: attacks on issue 14 (ssh-agent signing, passphrase keys,
 * git's signing key in `init`, FIDO verification), end to end. Each test
 * asserts the secure behaviour.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { runCli } from "../support/cli.ts";
import { createFlow } from "../support/flow.ts";
import { generateKey } from "../support/ssh_keygen.ts";
import { encodeSkPublicKeyBlob } from "../../src/format/public_key.ts";
import { encodeBase64 } from "../../src/format/base64.ts";

const CONFIG = '{"mcpServers":{"files":{"command":"server"}}}\n';

// Attack 1: git reads "key::<any type> BASE64" as a literal key
// (gpg-interface.c, is_literal_ssh_key); the tool read a literal of a type
// other than "ssh-…" (a FIDO key, an ECDSA key) as a path, relative to the
// repository's work tree, whose content anyone with a commit there chooses.
// A file planted under that name (with its ".pub") then became "git's
// signing key", and init trusted the planter's key as the user's own. A
// checkout under umask 077 gives the planted private key mode 0600.
Deno.test("redteam9 attack 1: a key:: literal of a FIDO key is never read as a path in the work tree", async () => {
  await using flow = await createFlow();
  // The victim signs commits with a FIDO key, named as git documents.
  const fido = `sk-ssh-ed25519@openssh.com ${
    encodeBase64(encodeSkPublicKeyBlob(new Uint8Array(32).fill(9), "ssh:"))
  }`;
  await flow.repo.git("config", "gpg.format", "ssh");
  await flow.repo.git("config", "user.signingkey", `key::${fido}`);

  // Mallory's commit: her key pair, under the name the literal makes.
  const planted = join(flow.repo.root, `key::${fido}`);
  await Deno.mkdir(dirname(planted), { recursive: true });
  const dir = join(flow.repo.home, "mallory");
  await Deno.mkdir(dir, { mode: 0o700 });
  const mallory = await generateKey(dir, "mallory");
  await Deno.copyFile(mallory.privatePath, planted);
  await Deno.chmod(planted, 0o600);
  await Deno.copyFile(mallory.publicPath, `${planted}.pub`);
  await flow.repo.write(".mcp.json", CONFIG);

  const result = await runCli(["init", "--json"], {
    cwd: flow.repo.root,
    home: flow.repo.home,
  });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as {
    steps: { step: string; status?: string; keyId?: string }[];
  };
  const key = report.steps.find((step) => step.step === "key");
  assert.notEqual(key?.keyId, mallory.fingerprint, "init took a planted key");
  assert.equal(key?.status, "created");
  const trusted = await Deno.readTextFile(
    join(flow.repo.root, ".mcp-orchestration", "allowed_signers"),
  );
  assert.ok(
    !trusted.includes(mallory.publicLine.split(" ")[1]!),
    "the planted key is trusted",
  );
});

// Left open by red team 9, closed after: a relative user.signingkey path
// (".ssh/id_ed25519") resolves from the work tree's top folder, as git's
// does; a key pair committed there under that name is the committer's, so
// init must not take it for the user's own. An untracked key there (a
// dotfiles repository) is the user's, and still counts.
Deno.test("redteam9: a user.signingkey path to a key file the repository tracks is not git's signing key", async () => {
  await using flow = await createFlow();
  await flow.repo.git("config", "gpg.format", "ssh");
  await flow.repo.git("config", "user.signingkey", ".ssh/id_ed25519.pub");
  const dir = join(flow.repo.home, "mallory");
  await Deno.mkdir(dir, { mode: 0o700 });
  const mallory = await generateKey(dir, "mallory");
  await Deno.mkdir(join(flow.repo.root, ".ssh"));
  await Deno.copyFile(
    mallory.privatePath,
    join(flow.repo.root, ".ssh/id_ed25519"),
  );
  await Deno.chmod(join(flow.repo.root, ".ssh/id_ed25519"), 0o600);
  await Deno.copyFile(
    mallory.publicPath,
    join(flow.repo.root, ".ssh/id_ed25519.pub"),
  );
  await flow.repo.git("add", ".ssh");
  await flow.repo.git("commit", "-qm", "mallory's key pair");
  await flow.repo.write(".mcp.json", CONFIG);

  const result = await runCli(["init", "--json"], {
    cwd: flow.repo.root,
    home: flow.repo.home,
  });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as {
    steps: { step: string; status?: string; keyId?: string }[];
  };
  const key = report.steps.find((step) => step.step === "key");
  assert.notEqual(key?.keyId, mallory.fingerprint, "init took a tracked key");
  assert.equal(key?.status, "created");
});
