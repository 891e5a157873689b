/**
 * `sk-ssh-ed25519@openssh.com` (FIDO token) SSHSIG signatures: what the
 * tool makes from a token's answer is what `ssh-keygen -Y verify` accepts;
 * the verifier recomputes the token's signed data (PROTOCOL.u2f), requires
 * the user-presence flag, and refuses any changed field; allowed_signers
 * lines of that type are matched by key and application.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { sha512 } from "../../src/crypto/sha.ts";
import { ToolError } from "../../src/errors.ts";
import { armor, dearmor } from "../../src/format/armor.ts";
import { SSHSIG_BEGIN, SSHSIG_END } from "../../src/constants.ts";
import {
  createSshSignatureOfDigest,
  parseSshSignature,
  signatureKeyId,
  type SshSignature,
  verifySshSignature,
} from "../../src/format/sshsig.ts";
import {
  findSigner,
  parseAllowedSigners,
} from "../../src/trust/allowed_signers.ts";
import { createFidoToken, type FidoToken } from "../support/fido_token.ts";
import { sshVerify } from "../support/ssh_keygen.ts";
import { withTempDir } from "../support/repo.ts";

const NAMESPACE = "mcp-orchestration";
const MESSAGE = new TextEncoder().encode('{"mcpServers":{}}\n');

async function sign(token: FidoToken, message = MESSAGE): Promise<string> {
  const key = token.signingKey().key;
  return await createSshSignatureOfDigest(await sha512(message), key);
}

Deno.test("a FIDO signature verifies here and with ssh-keygen -Y verify, with ssh-keygen's key id", async () => {
  const token = await createFidoToken();
  const armored = await sign(token);
  const sig = parseSshSignature(armored, "x.sig");
  assert.deepEqual(sig.sk, { application: "ssh:", flags: 1, counter: 1 });
  assert.ok(await verifySshSignature(sig, MESSAGE, NAMESPACE));
  assert.ok(!await verifySshSignature(sig, MESSAGE, "git"));
  assert.ok(
    !await verifySshSignature(sig, new TextEncoder().encode("{}"), NAMESPACE),
  );
  assert.equal(await signatureKeyId(sig), token.keyId);
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "m"), new TextDecoder().decode(MESSAGE));
    await Deno.writeTextFile(join(dir, "m.sig"), armored);
    await Deno.writeTextFile(
      join(dir, "allowed_signers"),
      `bob@example.com ${token.publicLine}\n`,
    );
    const check = await sshVerify({
      allowedSigners: join(dir, "allowed_signers"),
      principal: "bob@example.com",
      namespace: NAMESPACE,
      signaturePath: join(dir, "m.sig"),
      message: MESSAGE,
    });
    assert.ok(check.ok, check.output);
    assert.ok(check.output.includes(token.keyId), check.output);
    // Another application: not this key for ssh-keygen either.
    const other = await createFidoToken("ssh:other");
    const otherSig = parseSshSignature(await sign(other), "o.sig");
    assert.ok(await verifySshSignature(otherSig, MESSAGE, NAMESPACE));
    assert.notEqual(
      await signatureKeyId(otherSig),
      other.keyId.replace("A", "B"),
    );
  });
});

Deno.test("a FIDO signature without user presence is refused (ssh-keygen 9.2 accepts it), and so is one refused at signing", async () => {
  const token = await createFidoToken();
  token.flags = 0x04; // user verified, but not present
  await assert.rejects(sign(token), /without user presence/);
  // Made by hand as a token without touch would: parsed, but not valid.
  token.flags = 0x01;
  const armored = await sign(token);
  const blob = dearmor(armored, SSHSIG_BEGIN, SSHSIG_END, "x");
  const untouched = blob.slice();
  untouched[untouched.length - 5] = 0x00; // the flags byte
  const sig = parseSshSignature(
    armor(untouched, SSHSIG_BEGIN, SSHSIG_END),
    "x.sig",
  );
  assert.equal(sig.sk?.flags, 0);
  assert.ok(!await verifySshSignature(sig, MESSAGE, NAMESPACE));
});

Deno.test("changing a FIDO signature's flags, counter or application breaks it", async () => {
  const token = await createFidoToken();
  const sig = parseSshSignature(await sign(token), "x.sig");
  const { sk: _sk, ...plain } = sig; // read as a plain Ed25519 signature
  const changed: SshSignature[] = [
    { ...sig, sk: { ...sig.sk!, flags: 0x05 } },
    { ...sig, sk: { ...sig.sk!, counter: 2 } },
    { ...sig, sk: { ...sig.sk!, application: "ssh:x" } },
    plain,
  ];
  for (const each of changed) {
    assert.ok(!await verifySshSignature(each, MESSAGE, NAMESPACE));
  }
  assert.ok(await verifySshSignature(sig, MESSAGE, NAMESPACE));
});

Deno.test("a FIDO signature's blob is parsed strictly", async () => {
  const token = await createFidoToken();
  const blob = dearmor(await sign(token), SSHSIG_BEGIN, SSHSIG_END, "x");
  // Without its counter, or with a byte after it.
  for (const bad of [blob.slice(0, -4), new Uint8Array([...blob, 0])]) {
    assert.throws(
      () => parseSshSignature(armor(bad, SSHSIG_BEGIN, SSHSIG_END), "x.sig"),
      (error: unknown) =>
        error instanceof ToolError && error.code === "INVALID_FORMAT",
    );
  }
});

Deno.test("allowed_signers: a FIDO line trusts its key for its application only, and revocation by key id holds", async () => {
  const token = await createFidoToken();
  const file = await parseAllowedSigners(
    `bob@example.com namespaces="${NAMESPACE}" ${token.publicLine}\n`,
    "allowed_signers",
  );
  const entry = file.entries[0]!;
  assert.equal(entry.keyId, token.keyId);
  assert.deepEqual(entry.sk, {
    key: token.publicKey,
    application: "ssh:",
  });
  const at = new Date();
  const sk = { application: "ssh:", keyId: token.keyId };
  assert.equal(
    findSigner(file, token.publicKey, { namespace: NAMESPACE, at, sk }).status,
    "trusted",
  );
  // The same 32 bytes as a plain Ed25519 key: another key, not trusted.
  assert.equal(
    findSigner(file, token.publicKey, { namespace: NAMESPACE, at }).status,
    "untrusted",
  );
  assert.equal(
    findSigner(file, token.publicKey, {
      namespace: NAMESPACE,
      at,
      sk: { ...sk, application: "ssh:other" },
    }).status,
    "untrusted",
  );
  assert.equal(
    findSigner(file, token.publicKey, { namespace: "git", at, sk }).status,
    "untrusted",
  );
  const revoked = {
    ...file,
    revoked: [{ keyId: token.keyId, line: 1 }],
  };
  assert.equal(
    findSigner(revoked, token.publicKey, { namespace: NAMESPACE, at, sk })
      .status,
    "revoked",
  );
});
