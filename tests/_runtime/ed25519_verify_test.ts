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
  publicKeyFromSeed,
  signEd25519,
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
