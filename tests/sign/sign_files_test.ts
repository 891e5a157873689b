/**
 * `signFiles` in one process: what it signs verifies in the release
 * namespace only, nothing is written when any file fails, an existing
 * signature is replaced only with `force`, and the config namespace is
 * never available to it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  RELEASE_SIGNATURE_NAMESPACE,
  SIGNATURE_NAMESPACE,
} from "../../src/constants.ts";
import { generateSeed, publicKeyFromSeed } from "../../src/crypto/ed25519.ts";
import { exists } from "../../src/fs/files.ts";
import { keyId } from "../../src/format/public_key.ts";
import type { SigningKey } from "../../src/keys/key_store.ts";
import {
  createSshSignatureOfDigest,
  parseSshSignature,
  verifySshSignature,
} from "../../src/format/sshsig.ts";
import { checkNamespace, signFiles } from "../../src/sign/sign_files.ts";
import { withTempDir } from "../support/repo.ts";
import { assertToolError } from "../support/errors.ts";

async function newKey(): Promise<SigningKey> {
  const seed = generateSeed();
  const publicKey = await publicKeyFromSeed(seed);
  return {
    key: { seed, publicKey, comment: "" },
    keyId: await keyId(publicKey),
    path: "(memory)",
  };
}

Deno.test("signFiles signs each file in the release namespace, and only there", async () => {
  await withTempDir(async (dir) => {
    const key = await newKey();
    // Over three read chunks, so the streamed digest is what gets signed.
    const large = new Uint8Array(3 * 1024 * 1024 + 5);
    for (let i = 0; i < large.length; i++) {
      large[i] = (i * 7 + (i >> 13)) & 0xff;
    }
    await Deno.writeFile(join(dir, "app"), large);
    await Deno.writeTextFile(join(dir, "SHA256SUMS"), "sums\n");

    const report = await signFiles(["app", "SHA256SUMS", "./app"], {
      key,
      cwd: dir,
    });
    assert.equal(report.signer, key.keyId);
    assert.equal(report.namespace, RELEASE_SIGNATURE_NAMESPACE);
    assert.deepEqual(report.files.map((f) => [f.path, f.signature, f.size]), [
      ["app", "app.sig", large.length],
      ["SHA256SUMS", "SHA256SUMS.sig", 5],
    ]);
    assert.equal(
      report.files[0]?.sha256,
      createHash("sha256").update(large).digest("hex"),
    );

    const sig = parseSshSignature(
      await Deno.readTextFile(join(dir, "app.sig")),
      "app.sig",
    );
    assert.equal(sig.namespace, RELEASE_SIGNATURE_NAMESPACE);
    assert.ok(
      await verifySshSignature(sig, large, RELEASE_SIGNATURE_NAMESPACE),
    );
    // Not a config signature, and not a signature of other bytes.
    assert.equal(
      await verifySshSignature(sig, large, SIGNATURE_NAMESPACE),
      false,
    );
    const changed = large.slice();
    changed[changed.length - 1]! ^= 1;
    assert.equal(
      await verifySshSignature(sig, changed, RELEASE_SIGNATURE_NAMESPACE),
      false,
    );
    if (Deno.build.os !== "windows") {
      // 0644 less the umask: neither executable nor writable by others.
      const mode = (await Deno.stat(join(dir, "app.sig"))).mode! & 0o777;
      assert.equal(mode & 0o133, 0, mode.toString(8));
    }
  });
});

Deno.test("signFiles writes nothing when one file is missing or not a file", async () => {
  await withTempDir(async (dir) => {
    const key = await newKey();
    await Deno.writeTextFile(join(dir, "a"), "a");
    await Deno.mkdir(join(dir, "folder"));
    await assertToolError(
      signFiles(["a", "missing"], { key, cwd: dir }),
      "BAD_PATH",
      /^Cannot read "missing": no such file$/,
    );
    await assertToolError(
      signFiles(["a", "folder"], { key, cwd: dir }),
      "BAD_PATH",
      /^Cannot read "folder": not a regular file$/,
    );
    assert.equal(await exists(join(dir, "a.sig")), false);
  });
});

Deno.test("signFiles replaces an existing signature only with force", async () => {
  await withTempDir(async (dir) => {
    const [first, second] = [await newKey(), await newKey()];
    await Deno.writeTextFile(join(dir, "a"), "a");
    await Deno.writeTextFile(join(dir, "b"), "b");
    await signFiles(["b"], { key: first, cwd: dir });
    const before = await Deno.readTextFile(join(dir, "b.sig"));
    await assertToolError(
      signFiles(["a", "b"], { key: second, cwd: dir }),
      "BAD_PATH",
      /^Refusing to overwrite "b\.sig": it exists; nothing was written\. Pass --force to replace it$/,
    );
    assert.equal(await exists(join(dir, "a.sig")), false);
    assert.equal(await Deno.readTextFile(join(dir, "b.sig")), before);

    await signFiles(["a", "b"], { key: second, cwd: dir, force: true });
    const after = parseSshSignature(
      await Deno.readTextFile(join(dir, "b.sig")),
      "b.sig",
    );
    assert.deepEqual(after.publicKey, second.key.publicKey);
    assert.ok(await exists(join(dir, "a.sig")));
  });
});

Deno.test("signFiles refuses to sign a file together with the signature it writes", async () => {
  await withTempDir(async (dir) => {
    const key = await newKey();
    await Deno.writeTextFile(join(dir, "a"), "a");
    await Deno.writeTextFile(join(dir, "a.sig"), "old");
    await assertToolError(
      signFiles(["a.sig", "a"], { key, cwd: dir, force: true }),
      "USAGE",
      /^Cannot sign "a\.sig" along with "a"/,
    );
    await assertToolError(signFiles([], { key, cwd: dir }), "USAGE");
    assert.equal(await Deno.readTextFile(join(dir, "a.sig")), "old");
  });
});

Deno.test("checkNamespace keeps the config namespace and unlistable names out", () => {
  const table: [string, boolean][] = [
    [RELEASE_SIGNATURE_NAMESPACE, true],
    ["file", true],
    ["release@example.com", true],
    ["v1.2_rc+3", true],
    [SIGNATURE_NAMESPACE, false],
    ["", false],
    ["-leading-dash", false],
    ["two words", false],
    ["a,b", false],
    ['quote"', false],
    ["wild*", false],
    ["x".repeat(129), false],
  ];
  for (const [namespace, ok] of table) {
    if (ok) assert.equal(checkNamespace(namespace), namespace);
    else assertToolError(() => checkNamespace(namespace), "USAGE");
  }
});

Deno.test("createSshSignatureOfDigest refuses a digest that is not SHA-512", async () => {
  const { key } = await newKey();
  await assertToolError(
    createSshSignatureOfDigest(new Uint8Array(32), key),
    "INVALID_FORMAT",
    /SHA-512 digest is 64 bytes, got 32/,
  );
});
