import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { join } from "node:path";
import { SSHSIG_BEGIN, SSHSIG_END } from "../../src/constants.ts";
import { generateSeed, publicKeyFromSeed } from "../../src/crypto/ed25519.ts";
import { ToolError } from "../../src/errors.ts";
import { armor, dearmor } from "../../src/format/armor.ts";
import { SshWriter } from "../../src/format/ssh_wire.ts";
import {
  parsePrivateKey,
  type PrivateKey,
} from "../../src/format/private_key.ts";
import {
  encodePublicKeyBlob,
  formatPublicKeyLine,
} from "../../src/format/public_key.ts";
import { runProcess } from "../../src/_runtime/process.ts";
import {
  createSshSignature,
  parseSshSignature,
  type SshSignature,
  verifySshSignature,
} from "../../src/format/sshsig.ts";
import { generateKey, sshSign, sshVerify } from "../support/ssh_keygen.ts";
import { assertToolError } from "../support/errors.ts";

const NAMESPACE = "mcp-orchestration";
const MESSAGE = new TextEncoder().encode(
  '{"mcpServers":{"x":{"command":"npx"}}}\n',
);

async function newKey(): Promise<PrivateKey> {
  const seed = generateSeed();
  return { seed, publicKey: await publicKeyFromSeed(seed), comment: "" };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sshsig_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes an allowed_signers file trusting `key` as "signer" for our namespace. */
async function allowedSigners(dir: string, key: Uint8Array): Promise<string> {
  const path = join(dir, "allowed_signers");
  await Deno.writeTextFile(
    path,
    `signer namespaces="${NAMESPACE}" ${formatPublicKeyLine(key)}\n`,
  );
  return path;
}

/** Every field of an SSHSIG blob, so a test can break exactly one. */
interface SigLayout {
  magic: string;
  version: number;
  publicBlob: Uint8Array;
  namespace: string;
  reserved: Uint8Array;
  hash: string;
  sigType: string;
  sig: Uint8Array;
  afterSig: Uint8Array;
  afterBlob: Uint8Array;
}

function layoutOf(sig: SshSignature): SigLayout {
  return {
    magic: "SSHSIG",
    version: 1,
    publicBlob: encodePublicKeyBlob(sig.publicKey),
    namespace: sig.namespace,
    reserved: new Uint8Array(),
    hash: sig.hashAlgorithm,
    sigType: "ssh-ed25519",
    sig: sig.signature,
    afterSig: new Uint8Array(),
    afterBlob: new Uint8Array(),
  };
}

function build(layout: SigLayout): string {
  const blob = new SshWriter()
    .raw(new TextEncoder().encode(layout.magic))
    .uint32(layout.version)
    .bytes(layout.publicBlob)
    .text(layout.namespace)
    .bytes(layout.reserved)
    .text(layout.hash)
    .bytes(
      new SshWriter().text(layout.sigType).bytes(layout.sig).raw(
        layout.afterSig,
      ).finish(),
    )
    .raw(layout.afterBlob)
    .finish();
  return armor(blob, SSHSIG_BEGIN, SSHSIG_END);
}

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function addL(signature: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
  s += L;
  const out = signature.slice();
  for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  return out;
}

Deno.test("createSshSignature, parseSshSignature and verifySshSignature round-trip", async () => {
  const key = await newKey();
  const armored = await createSshSignature(MESSAGE, key);
  const sig = parseSshSignature(armored, "x.sig");
  assertEquals(sig.publicKey, key.publicKey);
  assertEquals(sig.namespace, NAMESPACE);
  assertEquals(sig.hashAlgorithm, "sha512");
  assertEquals(sig.signature.length, 64);
  assert(await verifySshSignature(sig, MESSAGE, NAMESPACE));
  assert(armored.endsWith(`${SSHSIG_END}\n`));
  assertEquals(build(layoutOf(sig)), armored, "the test builder matches");
});

Deno.test("verifySshSignature rejects another message, namespace or key", async () => {
  const key = await newKey();
  const sig = parseSshSignature(
    await createSshSignature(MESSAGE, key),
    "x.sig",
  );
  const changed = MESSAGE.slice();
  changed[0]! ^= 1;
  assertEquals(await verifySshSignature(sig, changed, NAMESPACE), false);
  assertEquals(
    await verifySshSignature(sig, new Uint8Array(), NAMESPACE),
    false,
  );
  assertEquals(await verifySshSignature(sig, MESSAGE, "git"), false);
  assertEquals(await verifySshSignature(sig, MESSAGE, ""), false);
  const otherKey = (await newKey()).publicKey;
  assertEquals(
    await verifySshSignature(
      { ...sig, publicKey: otherKey },
      MESSAGE,
      NAMESPACE,
    ),
    false,
  );
  // The namespace is signed, not only compared: relabelling it breaks the signature.
  assertEquals(
    await verifySshSignature({ ...sig, namespace: "git" }, MESSAGE, "git"),
    false,
  );
  // So is the hash algorithm.
  assertEquals(
    await verifySshSignature(
      { ...sig, hashAlgorithm: "sha256" },
      MESSAGE,
      NAMESPACE,
    ),
    false,
  );
});

Deno.test("createSshSignature signs in the namespace given", async () => {
  const key = await newKey();
  const sig = parseSshSignature(
    await createSshSignature(MESSAGE, key, { namespace: "file" }),
    "x.sig",
  );
  assertEquals(sig.namespace, "file");
  assert(await verifySshSignature(sig, MESSAGE, "file"));
  assertEquals(await verifySshSignature(sig, MESSAGE, NAMESPACE), false);
});

Deno.test("createSshSignature refuses an empty namespace and an inconsistent key", async () => {
  const key = await newKey();
  await assertToolError(
    createSshSignature(MESSAGE, key, { namespace: "" }),
    "INVALID_FORMAT",
  );
  const mismatched = { ...key, publicKey: (await newKey()).publicKey };
  await assertToolError(createSshSignature(MESSAGE, mismatched), "INVALID_KEY");
});

Deno.test("verifySshSignature never throws", async () => {
  const junk = [
    {
      publicKey: new Uint8Array(3),
      namespace: NAMESPACE,
      hashAlgorithm: "sha512",
      signature: new Uint8Array(64),
    },
    {
      publicKey: new Uint8Array(32),
      namespace: NAMESPACE,
      hashAlgorithm: "md5",
      signature: new Uint8Array(64),
    },
    {
      publicKey: null,
      namespace: NAMESPACE,
      hashAlgorithm: "sha512",
      signature: null,
    },
    { namespace: NAMESPACE },
  ] as unknown as SshSignature[];
  for (const sig of junk) {
    assertEquals(await verifySshSignature(sig, MESSAGE, NAMESPACE), false);
  }
  assertEquals(
    await verifySshSignature(
      junk[0]!,
      null as unknown as Uint8Array,
      NAMESPACE,
    ),
    false,
  );
});

Deno.test("our signature is byte-identical to ssh-keygen -Y sign's, and ssh-keygen verifies it", async () => {
  await withTempDir(async (dir) => {
    const generated = await generateKey(dir, "signer");
    const key = await parsePrivateKey(
      await Deno.readTextFile(generated.privatePath),
      generated.privatePath,
    );
    const messagePath = join(dir, "config.json");
    await Deno.writeFile(messagePath, MESSAGE);
    const ours = await createSshSignature(MESSAGE, key);
    // Ed25519 and SSHSIG are deterministic, so the same key and message give the same file.
    const theirsPath = await sshSign({
      keyPath: generated.privatePath,
      namespace: NAMESPACE,
      messagePath,
    });
    assertEquals(ours, await Deno.readTextFile(theirsPath));

    const signaturePath = join(dir, "ours.sig");
    await Deno.writeTextFile(signaturePath, ours);
    const trust = await allowedSigners(dir, key.publicKey);
    const verify = (namespace: string, message: Uint8Array) =>
      sshVerify({
        allowedSigners: trust,
        principal: "signer",
        namespace,
        signaturePath,
        message,
      });
    const accepted = await verify(NAMESPACE, MESSAGE);
    assert(accepted.ok, accepted.output);
    assertEquals(
      (await verify(NAMESPACE, new TextEncoder().encode("other"))).ok,
      false,
    );
    assertEquals((await verify("git", MESSAGE)).ok, false);
  });
});

Deno.test("ssh-keygen verifies signatures of fresh keys we generate", async () => {
  await withTempDir(async (dir) => {
    const key = await newKey();
    const signaturePath = join(dir, "config.json.sig");
    await Deno.writeTextFile(
      signaturePath,
      await createSshSignature(MESSAGE, key),
    );
    const result = await sshVerify({
      allowedSigners: await allowedSigners(dir, key.publicKey),
      principal: "signer",
      namespace: NAMESPACE,
      signaturePath,
      message: MESSAGE,
    });
    assert(result.ok, result.output);
  });
});

for (const hash of ["sha512", "sha256"] as const) {
  Deno.test(`a ${hash} signature made by ssh-keygen verifies with ours`, async () => {
    await withTempDir(async (dir) => {
      const generated = await generateKey(dir, "signer");
      const messagePath = join(dir, "config.json");
      await Deno.writeFile(messagePath, MESSAGE);
      const out = await runProcess("ssh-keygen", [
        "-Y",
        "sign",
        "-f",
        generated.privatePath,
        "-n",
        NAMESPACE,
        "-O",
        `hashalg=${hash}`,
        messagePath,
      ]);
      assertEquals(out.code, 0, out.stderr);
      const sig = parseSshSignature(
        await Deno.readTextFile(`${messagePath}.sig`),
        `${messagePath}.sig`,
      );
      assertEquals(sig.hashAlgorithm, hash);
      assertEquals(
        formatPublicKeyLine(sig.publicKey, "signer"),
        generated.publicLine,
      );
      assert(await verifySshSignature(sig, MESSAGE, NAMESPACE));
      const changed = MESSAGE.slice(0, -1);
      assertEquals(await verifySshSignature(sig, changed, NAMESPACE), false);
    });
  });
}

Deno.test('a git commit signature (namespace "git") is rejected by ours', async () => {
  await withTempDir(async (dir) => {
    const generated = await generateKey(dir, "signer");
    const messagePath = join(dir, "commit");
    await Deno.writeFile(messagePath, MESSAGE);
    const path = await sshSign({
      keyPath: generated.privatePath,
      namespace: "git",
      messagePath,
    });
    const sig = parseSshSignature(await Deno.readTextFile(path), path);
    assertEquals(sig.namespace, "git");
    assertEquals(await verifySshSignature(sig, MESSAGE, NAMESPACE), false);
    // It is a valid signature, only for another purpose.
    assert(await verifySshSignature(sig, MESSAGE, "git"));
  });
});

Deno.test("S replaced by S + L: ssh-keygen 9.2 accepts it, we reject it", async () => {
  // OpenSSH's Ed25519 verifier (from SUPERCOP ref10) does not check S < L,
  // so the malleated signature passes `ssh-keygen -Y verify`. Strict RFC 8032
  // (§5.1.7) requires 0 <= S < L, which is our one rule. A stock ssh-keygen
  // accepting a signature therefore does not make it valid for us.
  await withTempDir(async (dir) => {
    const key = await newKey();
    const sig = parseSshSignature(
      await createSshSignature(MESSAGE, key),
      "x.sig",
    );
    const malleated = build({ ...layoutOf(sig), sig: addL(sig.signature) });
    const parsed = parseSshSignature(malleated, "malleated.sig");
    assertEquals(await verifySshSignature(parsed, MESSAGE, NAMESPACE), false);

    const signaturePath = join(dir, "malleated.sig");
    await Deno.writeTextFile(signaturePath, malleated);
    const result = await sshVerify({
      allowedSigners: await allowedSigners(dir, key.publicKey),
      principal: "signer",
      namespace: NAMESPACE,
      signaturePath,
      message: MESSAGE,
    });
    assert(result.ok, `ssh-keygen now rejects S + L: ${result.output}`);
  });
});

Deno.test("an RSA signature made by ssh-keygen is refused, naming the type", async () => {
  await withTempDir(async (dir) => {
    const keyPath = join(dir, "rsa");
    const made = await runProcess("ssh-keygen", [
      "-q",
      "-t",
      "rsa",
      "-b",
      "1024",
      "-N",
      "",
      "-f",
      keyPath,
    ]);
    assertEquals(made.code, 0, made.stderr);
    const messagePath = join(dir, "config.json");
    await Deno.writeFile(messagePath, MESSAGE);
    const path = await sshSign({ keyPath, namespace: NAMESPACE, messagePath });
    assertToolError(
      () => parseSshSignature(Deno.readTextFileSync(path), path),
      "INVALID_FORMAT",
      '"ssh-rsa"',
      path,
    );
  });
});

const rsaBlob = new SshWriter().text("ssh-rsa").bytes(new Uint8Array([1, 0, 1]))
  .bytes(new Uint8Array(128)).finish();
const BROKEN: {
  name: string;
  change: (l: SigLayout) => void;
  fragment: string;
}[] = [
  {
    name: "wrong magic",
    change: (l) => l.magic = "SSHSIH",
    fragment: '"SSHSIG"',
  },
  {
    name: "version 2",
    change: (l) => l.version = 2,
    fragment: "version is 2, expected 1",
  },
  { name: "version 0", change: (l) => l.version = 0, fragment: "version is 0" },
  {
    name: "an RSA public key",
    change: (l) => l.publicBlob = rsaBlob,
    fragment: '"ssh-rsa"',
  },
  {
    name: "a truncated public key",
    change: (l) => l.publicBlob = l.publicBlob.subarray(0, 50),
    fragment: "truncated",
  },
  {
    name: "an empty namespace",
    change: (l) => l.namespace = "",
    fragment: "namespace is empty",
  },
  {
    name: "a non-empty reserved field",
    change: (l) => l.reserved = new Uint8Array([0]),
    fragment: "reserved",
  },
  {
    name: "hash sha1",
    change: (l) => l.hash = "sha1",
    fragment: 'hash algorithm is "sha1"',
  },
  {
    name: "hash SHA512 (case)",
    change: (l) => l.hash = "SHA512",
    fragment: '"SHA512"',
  },
  {
    name: "an RSA signature type",
    change: (l) => l.sigType = "rsa-sha2-512",
    fragment: '"rsa-sha2-512"',
  },
  {
    name: "a 63-byte signature",
    change: (l) => l.sig = l.sig.subarray(0, 63),
    fragment: "63 bytes, expected 64",
  },
  {
    name: "a 65-byte signature",
    change: (l) => l.sig = new Uint8Array(65),
    fragment: "65 bytes, expected 64",
  },
  {
    name: "bytes after the signature in its blob",
    change: (l) => l.afterSig = new Uint8Array(1),
    fragment: "1 unexpected bytes",
  },
  {
    name: "bytes after the signature blob",
    change: (l) => l.afterBlob = new Uint8Array(4),
    fragment: "4 unexpected bytes",
  },
];

for (const { name, change, fragment } of BROKEN) {
  Deno.test(`parseSshSignature rejects ${name}`, async () => {
    const sig = parseSshSignature(
      await createSshSignature(MESSAGE, await newKey()),
      "x.sig",
    );
    const layout = layoutOf(sig);
    change(layout);
    assertToolError(
      () =>
        parseSshSignature(build(layout), ".mcp-orchestration/statements/x.sig"),
      "INVALID_FORMAT",
      '".mcp-orchestration/statements/x.sig"',
      fragment,
    );
  });
}

Deno.test("parseSshSignature rejects truncation at every byte and a wrong armor", async () => {
  const armored = await createSshSignature(MESSAGE, await newKey());
  const blob = dearmor(armored, SSHSIG_BEGIN, SSHSIG_END, "x.sig");
  for (let length = 0; length < blob.length; length++) {
    assertThrows(
      () =>
        parseSshSignature(
          armor(blob.subarray(0, length), SSHSIG_BEGIN, SSHSIG_END),
          "x.sig",
        ),
      ToolError,
    );
  }
  assertThrows(
    () => parseSshSignature(armored.replaceAll("\n", "\r\n"), "x.sig"),
    ToolError,
  );
  assertThrows(
    () =>
      parseSshSignature(
        armored.replace("SSH SIGNATURE", "PGP SIGNATURE"),
        "x.sig",
      ),
    ToolError,
  );
});
