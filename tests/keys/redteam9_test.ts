/**
 * Red team 9, parser-level findings on issue 14 (FIDO keys and
 * signatures). Each test asserts the secure behaviour: never more lenient
 * than `ssh-keygen -Y verify`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { sha512 } from "../../src/crypto/sha.ts";
import {
  createSshSignatureOfDigest,
  parseSshSignature,
  verifySshSignature,
} from "../../src/format/sshsig.ts";
import { parseAllowedSigners } from "../../src/trust/allowed_signers.ts";
import { createFidoToken } from "../support/fido_token.ts";
import { sshVerify } from "../support/ssh_keygen.ts";
import { withTempDir } from "../support/repo.ts";

const NAMESPACE = "mcp-orchestration";
const MESSAGE = new TextEncoder().encode('{"mcpServers":{}}\n');

// Attack 2: OpenSSH reads a FIDO key's application as a C string
// (sshbuf_get_cstring), which refuses a NUL byte: ssh-keygen -Y verify
// rejects such a key and its signatures ("invalid format"). We accepted
// both, the allowed_signers line and the signature.
Deno.test("redteam9 attack 2: a FIDO application with a NUL byte is refused, as ssh-keygen refuses it", async () => {
  const token = await createFidoToken("ssh:\0evil");
  const armored = await createSshSignatureOfDigest(
    await sha512(MESSAGE),
    token.signingKey().key,
  );
  const line =
    `bob@example.com namespaces="${NAMESPACE}" ${token.publicLine}\n`;
  await withTempDir(async (dir) => {
    const signers = join(dir, "allowed_signers");
    const signature = join(dir, "config.sig");
    await Deno.writeTextFile(signers, line);
    await Deno.writeTextFile(signature, armored);
    const openssh = await sshVerify({
      allowedSigners: signers,
      principal: "bob@example.com",
      namespace: NAMESPACE,
      signaturePath: signature,
      message: MESSAGE,
    });
    assert.equal(openssh.ok, false, "ssh-keygen refuses it");
  });
  let accepted = false;
  try {
    accepted = await verifySshSignature(
      parseSshSignature(armored, "config.sig"),
      MESSAGE,
      NAMESPACE,
    );
  } catch {
    accepted = false;
  }
  assert.equal(accepted, false, "the signature must not verify here either");
  await assert.rejects(
    parseAllowedSigners(line, "allowed_signers"),
    /invalid "sk-ssh-ed25519@openssh\.com" key/,
  );
});
