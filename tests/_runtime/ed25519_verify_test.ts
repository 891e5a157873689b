/**
 * The synchronous Ed25519 verifier of the Node builds
 * (src/_runtime/ed25519_verify.ts), given Deno's `node:crypto` so that it
 * runs here: it says "valid" for a valid signature only, and false (never
 * an exception) for a key the runtime refuses. The Node builds run it with
 * Node's own module; their end-to-end tests verify with it.
 */

import assert from "node:assert/strict";
import nodeCrypto from "node:crypto";
import { syncEd25519Verifier } from "../../src/_runtime/ed25519_verify.ts";
import {
  generateSeed,
  oneSignatureAtATime,
  publicKeyFromSeed,
  signEd25519,
  useSyncEd25519Verify,
  verifyEd25519,
} from "../../src/crypto/ed25519.ts";
import { fc } from "../support/deps.ts";

Deno.test("sync Ed25519: none under Deno unless node:crypto is given", () => {
  assert.equal(syncEd25519Verifier(), undefined);
  assert.equal(typeof syncEd25519Verifier(nodeCrypto), "function");
});

Deno.test("sync Ed25519: valid signatures verify; any changed bit of signature, message or key does not", async () => {
  const verify = syncEd25519Verifier(nodeCrypto)!;
  const seed = generateSeed();
  const publicKey = await publicKeyFromSeed(seed);
  const otherKey = await publicKeyFromSeed(generateSeed());
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      fc.nat(),
      async (message, bit) => {
        const signature = await signEd25519(seed, message);
        assert.equal(verify(signature, message, publicKey), true);
        assert.equal(verify(signature, message, otherKey), false);
        const flip = (bytes: Uint8Array) => {
          const copy = bytes.slice();
          const at = bit % (copy.length * 8);
          copy[at >> 3]! ^= 1 << (at & 7);
          return copy;
        };
        assert.equal(verify(flip(signature), message, publicKey), false);
        assert.equal(verify(signature, message, flip(publicKey)), false);
        if (message.length > 0) {
          assert.equal(verify(signature, flip(message), publicKey), false);
        }
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("sync Ed25519: a key or signature the runtime refuses is false, not an exception", async () => {
  const verify = syncEd25519Verifier(nodeCrypto)!;
  const seed = generateSeed();
  const message = new TextEncoder().encode("hello");
  const signature = await signEd25519(seed, message);
  const publicKey = await publicKeyFromSeed(seed);
  for (
    const key of [
      new Uint8Array(0),
      new Uint8Array(31),
      publicKey.subarray(0, 31),
      new Uint8Array(33),
    ]
  ) {
    assert.equal(verify(signature, message, key), false);
  }
  assert.equal(verify(signature.subarray(0, 63), message, publicKey), false);
  assert.equal(verify(new Uint8Array(0), message, publicKey), false);
  // The cache keeps a refused key refused, and a good one good.
  assert.equal(verify(signature, message, new Uint8Array(31)), false);
  assert.equal(verify(signature, message, publicKey), true);
});

Deno.test("red team 16: a native verifier's 'valid' does not pass a small-order key, S >= L or a non-canonical R (Node's OpenSSL accepts small-order keys)", async () => {
  const seed = generateSeed();
  const message = new TextEncoder().encode("hello");
  const good = await signEd25519(seed, message);
  const publicKey = await publicKeyFromSeed(seed);
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const littleEndian = (value: bigint) =>
    Uint8Array.from(
      { length: 32 },
      (_, at) => Number((value >> BigInt(8 * at)) & 0xffn),
    );
  const numberOf = (bytes: Uint8Array) =>
    bytes.reduceRight((value, byte) => (value << 8n) | BigInt(byte), 0n);
  // The identity (order 1) and a point of order 8, as keys: R = the
  // identity, S = 0 is what OpenSSL's cofactorless check accepts for them.
  const identity = littleEndian(1n);
  const order8 = Uint8Array.from(
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"
      .match(/../g)!.map((hex) => parseInt(hex, 16)),
  );
  const smallOrderSignature = new Uint8Array(64);
  smallOrderSignature.set(identity);
  // S + L: the same point equation, a non-canonical scalar.
  const unreduced = good.slice();
  unreduced.set(littleEndian(numberOf(good.subarray(32)) + L), 32);
  // R with y + p in place of y (when it fits), or y = p outright.
  const nonCanonicalR = good.slice();
  nonCanonicalR.set(littleEndian(2n ** 255n - 19n), 0);
  const cases: [string, Uint8Array, Uint8Array][] = [
    ["the identity as key", smallOrderSignature, identity],
    ["a point of order 8 as key", smallOrderSignature, order8],
    ["S + L", unreduced, publicKey],
    ["R with y = p", nonCanonicalR, publicKey],
  ];
  // A native verifier that says "valid" to everything, as OpenSSL does to
  // the small-order keys here.
  // The native verifier is used one signature at a time (history's way).
  let asked = 0;
  useSyncEd25519Verify(() => (asked++, true));
  try {
    await oneSignatureAtATime(async () => {
      assert.equal(await verifyEd25519(good, message, publicKey), true);
      assert.equal(asked, 1);
      for (const [name, signature, key] of cases) {
        assert.equal(await verifyEd25519(signature, message, key), false, name);
      }
    });
  } finally {
    useSyncEd25519Verify(undefined);
  }
  // Noble alone says the same.
  for (const [name, signature, key] of cases) {
    assert.equal(await verifyEd25519(signature, message, key), false, name);
  }
});
