import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { join } from "node:path";
import {
  generateSeed,
  publicKeyFromSeed,
  signEd25519,
  verifyEd25519,
} from "../../src/crypto/ed25519.ts";
import { toHex } from "../../src/crypto/sha.ts";
import { encodeBase64 } from "../../src/format/base64.ts";
import { runProcess } from "../../src/_runtime/process.ts";
import {
  ed25519GetPublicKey,
  ed25519SignRaw,
  ed25519VerifyRaw,
} from "../../src/deps.ts";
import { fc } from "../support/deps.ts";
import { assertToolError } from "../support/errors.ts";

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The order of the Ed25519 base point. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** Replaces S by S + L: the same point equation, a non-canonical scalar. */
function addL(signature: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
  s += L; // S < L < 2^253, so S + L < 2^254 still fits in 32 bytes.
  const out = signature.slice();
  for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  return out;
}

// RFC 8032 §7.1, TEST 1 to 3.
const RFC_8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey:
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey:
      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    publicKey:
      "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

RFC_8032.forEach((vector, i) => {
  Deno.test(`Ed25519 RFC 8032 TEST ${i + 1}`, async () => {
    const seed = hex(vector.seed);
    const message = hex(vector.message);
    assertEquals(toHex(await publicKeyFromSeed(seed)), vector.publicKey);
    const signature = await signEd25519(seed, message);
    assertEquals(toHex(signature), vector.signature);
    assert(await verifyEd25519(signature, message, hex(vector.publicKey)));
  });
});

Deno.test("generateSeed returns 32 fresh random bytes", () => {
  const a = generateSeed();
  const b = generateSeed();
  assertEquals(a.length, 32);
  assert(toHex(a) !== toHex(b));
});

Deno.test("seeds of the wrong length are refused with INVALID_KEY", async () => {
  for (const length of [0, 31, 33, 64]) {
    const seed = new Uint8Array(length);
    for (
      const fn of [() => publicKeyFromSeed(seed), () => signEd25519(seed, seed)]
    ) {
      await assertToolError(fn, "INVALID_KEY");
    }
  }
});

Deno.test("verifyEd25519 returns false, never throws, on bad input", async () => {
  const seed = generateSeed();
  const publicKey = await publicKeyFromSeed(seed);
  const message = new TextEncoder().encode("message");
  const signature = await signEd25519(seed, message);
  const flipped = (bytes: Uint8Array, at: number) => {
    const out = bytes.slice();
    out[at]! ^= 1;
    return out;
  };
  const junk = "not bytes" as unknown as Uint8Array;
  const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [
    ["tampered message", signature, flipped(message, 0), publicKey],
    ["tampered R", flipped(signature, 0), message, publicKey],
    ["tampered S", flipped(signature, 40), message, publicKey],
    ["other key", signature, message, await publicKeyFromSeed(generateSeed())],
    ["63-byte signature", signature.subarray(0, 63), message, publicKey],
    [
      "65-byte signature",
      concat(signature, new Uint8Array(1)),
      message,
      publicKey,
    ],
    ["31-byte key", signature, message, publicKey.subarray(0, 31)],
    ["33-byte key", signature, message, concat(publicKey, new Uint8Array(1))],
    ["key not on the curve", signature, message, hex("02".padEnd(64, "0"))],
    ["all-zero signature", new Uint8Array(64), message, publicKey],
    [
      "S = 2^256 - 1",
      concat(signature.subarray(0, 32), new Uint8Array(32).fill(255)),
      message,
      publicKey,
    ],
    ["signature not bytes", junk, message, publicKey],
    ["message not bytes", signature, junk, publicKey],
    ["key not bytes", signature, message, junk],
  ];
  assert(await verifyEd25519(signature, message, publicKey));
  for (const [name, sig, msg, key] of cases) {
    assertEquals(await verifyEd25519(sig, msg, key), false, name);
  }
});

Deno.test("a signature whose S is replaced by S + L is rejected (strict RFC 8032)", async () => {
  // RFC 8032 §5.1.7 requires 0 <= S < L; ZIP-215 and OpenSSH 9.2 skip that
  // check (see tests/format/sshsig_test.ts for ssh-keygen accepting it).
  const seed = generateSeed();
  const message = new TextEncoder().encode("malleable?");
  const signature = await signEd25519(seed, message);
  const publicKey = await publicKeyFromSeed(seed);
  assert(await verifyEd25519(signature, message, publicKey));
  assertEquals(await verifyEd25519(addL(signature), message, publicKey), false);
});

/**
 * The 12 vectors of "Taming the many EdDSAs" (Chalkias, Garillot,
 * Nikolaenko, SSR 2020), from novifinancial/ed25519-speccheck (Apache-2.0;
 * source and licence in the JSON file). Our rule is @noble/ed25519 with
 * `zip215: false`: canonical encodings of A and R (y < p, no "negative
 * zero"), 0 <= S < L, public keys of small order refused, and the
 * cofactored equation [8](R + kA - SB) = 0 without pre-reducing k.
 */
const SPECCHECK_EXPECTED: [boolean, string][] = [
  [false, "0: small-order A and R, S = 0: refused because A has small order"],
  [false, "1: small-order A, mixed-order R: refused because A has small order"],
  [true, "2: small-order R only: A is fine and the equation holds"],
  [true, "3: mixed-order A and R: holds cofactored and cofactorless"],
  [true, "4: mixed-order A and R: holds only cofactored, which we use"],
  [
    true,
    "5: holds cofactored unless 8k is pre-reduced mod L; we do not pre-reduce",
  ],
  [false, "6: S > L: refused, S must be below L (malleability)"],
  [false, "7: S >> L: refused, S must be below L"],
  [
    false,
    "8: non-canonical R (y >= p), reduced for the hash: refused encoding",
  ],
  [false, "9: non-canonical R, not reduced for the hash: refused encoding"],
  [
    false,
    "10: non-canonical, small-order A, reduced for the hash: refused encoding",
  ],
  [
    false,
    "11: non-canonical, small-order A, not reduced for the hash: refused encoding",
  ],
];

const speccheck: {
  cases: { message: string; pub_key: string; signature: string }[];
} = JSON.parse(
  await Deno.readTextFile(
    new URL("../vectors/ed25519_speccheck.json", import.meta.url),
  ),
);

Deno.test("the speccheck file holds the 12 published vectors", () => {
  assertEquals(speccheck.cases.length, SPECCHECK_EXPECTED.length);
});

speccheck.cases.forEach((vector, i) => {
  const [expected, why] = SPECCHECK_EXPECTED[i]!;
  Deno.test(`Ed25519 speccheck vector ${why}`, async () => {
    const ok = await verifyEd25519(
      hex(vector.signature),
      hex(vector.message),
      hex(vector.pub_key),
    );
    assertEquals(ok, expected);
  });
});

// --- the native fast path against noble, the definition ---

async function nobleStrict(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  try {
    return await ed25519VerifyRaw(signature, message, publicKey, {
      zip215: false,
    });
  } catch {
    return false;
  }
}

speccheck.cases.forEach((vector, i) => {
  const [, why] = SPECCHECK_EXPECTED[i]!;
  Deno.test(`speccheck vector ${why}: the same verdict as noble's strict verify`, async () => {
    const args = [
      hex(vector.signature),
      hex(vector.message),
      hex(vector.pub_key),
    ] as const;
    assertEquals(await verifyEd25519(...args), await nobleStrict(...args));
  });
});

Deno.test("native signing and key derivation give noble's bytes; any change to a signature gets noble's verdict", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.nat({ max: 63 }),
      fc.integer({ min: 1, max: 255 }),
      async (seed, message, offset, delta) => {
        const publicKey = await publicKeyFromSeed(seed);
        assertEquals(publicKey, await ed25519GetPublicKey(seed));
        const signature = await signEd25519(seed, message);
        assertEquals(signature, await ed25519SignRaw(message, seed));
        assert(await verifyEd25519(signature, message, publicKey));
        const changed = signature.slice();
        changed[offset] = (changed[offset]! + delta) % 256;
        assertEquals(
          await verifyEd25519(changed, message, publicKey),
          await nobleStrict(changed, message, publicKey),
        );
        assertEquals(await verifyEd25519(changed, message, publicKey), false);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("a signature with S + L is refused, by the native path and by noble alike", async () => {
  const seed = generateSeed();
  const message = new TextEncoder().encode("strict");
  const publicKey = await publicKeyFromSeed(seed);
  const signature = await signEd25519(seed, message);
  assertEquals(await verifyEd25519(addL(signature), message, publicKey), false);
  assertEquals(await nobleStrict(addL(signature), message, publicKey), false);
});

// --- OpenSSL as an independent implementation ---

const PKCS8_ED25519_PREFIX = hex("302e020100300506032b657004220420");
const SPKI_ED25519_PREFIX = hex("302a300506032b6570032100");

function pem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${
    encodeBase64(der)
  }\n-----END ${label}-----\n`;
}

async function openssl(
  args: string[],
): Promise<{ code: number; stderr: string }> {
  const out = await runProcess("openssl", args);
  return { code: out.code, stderr: out.stderr };
}

Deno.test("signatures agree byte for byte with OpenSSL, and verify both ways", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ed25519_test_" });
  try {
    // OpenSSL 3.0's pkeyutl cannot sign an empty file; RFC 8032 TEST 1 covers it.
    for (const length of [1, 64, 1000]) {
      const seed = generateSeed();
      const publicKey = await publicKeyFromSeed(seed);
      const message = crypto.getRandomValues(new Uint8Array(length));
      const keyPath = join(dir, "key.pem");
      const pubPath = join(dir, "pub.pem");
      const msgPath = join(dir, "msg");
      const sigPath = join(dir, "sig");
      await Deno.writeTextFile(
        keyPath,
        pem("PRIVATE KEY", concat(PKCS8_ED25519_PREFIX, seed)),
        { mode: 0o600 },
      );
      await Deno.writeTextFile(
        pubPath,
        pem("PUBLIC KEY", concat(SPKI_ED25519_PREFIX, publicKey)),
      );
      await Deno.writeFile(msgPath, message);
      const signed = await openssl([
        "pkeyutl",
        "-sign",
        "-inkey",
        keyPath,
        "-rawin",
        "-in",
        msgPath,
        "-out",
        sigPath,
      ]);
      assertEquals(signed.code, 0, signed.stderr);
      const theirs = await Deno.readFile(sigPath);
      const ours = await signEd25519(seed, message);
      assertEquals(toHex(ours), toHex(theirs));
      assert(await verifyEd25519(theirs, message, publicKey));

      const verifyArgs = [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pubPath,
        "-rawin",
        "-in",
        msgPath,
        "-sigfile",
        sigPath,
      ];
      await Deno.writeFile(sigPath, ours);
      assertEquals((await openssl(verifyArgs)).code, 0);
      // OpenSSL 3 also refuses S + L, so both independent checkers agree with us.
      await Deno.writeFile(sigPath, addL(ours));
      assert((await openssl(verifyArgs)).code !== 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
