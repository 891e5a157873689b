import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { sha256, sha256Hex, sha512, toHex } from "../../src/crypto/sha.ts";
import { runProcess } from "../../src/_runtime/process.ts";
import {
  digestWith,
  NATIVE_FIRST_DIGESTS,
  shaBackend,
  SMALL_INPUT_BYTES,
} from "../../src/crypto/_sha_backends.ts";
import { fc } from "../support/deps.ts";

const text = (s: string) => new TextEncoder().encode(s);

// FIPS 180-2 appendix examples ("abc") and the empty message.
const VECTORS = [
  {
    input: "",
    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    sha512:
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
  },
  {
    input: "abc",
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    sha512:
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  },
];

for (const vector of VECTORS) {
  Deno.test(`SHA-2 of "${vector.input}"`, async () => {
    assertEquals(toHex(await sha256(text(vector.input))), vector.sha256);
    assertEquals(toHex(await sha512(text(vector.input))), vector.sha512);
    assertEquals(await sha256Hex(text(vector.input)), vector.sha256);
  });
}

Deno.test("sha256 hashes only the view, not its whole buffer", async () => {
  const buffer = text("xxabcxx");
  assertEquals(
    await sha256Hex(buffer.subarray(2, 5)),
    VECTORS[1]!.sha256,
  );
});

Deno.test("sha256 accepts a view over a SharedArrayBuffer", async () => {
  const shared = new Uint8Array(new SharedArrayBuffer(3));
  shared.set(text("abc"));
  assertEquals(await sha256Hex(shared), VECTORS[1]!.sha256);
});

Deno.test("toHex writes two lowercase digits per byte", () => {
  assertEquals(toHex(new Uint8Array()), "");
  assertEquals(toHex(new Uint8Array([0, 1, 15, 16, 171, 255])), "00010f10abff");
});

Deno.test("SHA-256 and SHA-512 agree with OpenSSL", async () => {
  const input = crypto.getRandomValues(new Uint8Array(60_000));
  for (
    const [name, fn] of [["-sha256", sha256], ["-sha512", sha512]] as const
  ) {
    const out = await runProcess("openssl", ["dgst", name, "-r"], {
      stdin: input,
    });
    assertEquals(out.code, 0, out.stderr);
    const hex = new TextDecoder().decode(out.stdout).split(" ")[0];
    assertEquals(toHex(await fn(input)), hex);
  }
});

Deno.test("noble (small inputs) and WebCrypto (large ones) give the same digests, around the switch", async () => {
  // Past the first digests, which always go through WebCrypto.
  for (let i = 0; i <= NATIVE_FIRST_DIGESTS; i++) {
    await sha256(new Uint8Array());
  }
  for (
    const size of [
      0,
      1,
      55,
      56,
      64,
      111,
      112,
      128,
      300,
      4096,
      SMALL_INPUT_BYTES - 1,
      SMALL_INPUT_BYTES,
      SMALL_INPUT_BYTES + 1,
    ]
  ) {
    const data = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
    const padded = size > 65536 ? new Uint8Array(size) : data;
    if (size > 65536) padded.set(data);
    for (
      const [ours, name] of [[sha256, "SHA-256"], [sha512, "SHA-512"]] as const
    ) {
      const native = new Uint8Array(await crypto.subtle.digest(name, padded));
      assertEquals(await ours(padded), native, `${name} of ${size} bytes`);
    }
  }
});

// --- the two back ends, held to each other directly -------------------------

Deno.test("the noble and WebCrypto back ends give the same digests over random inputs", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 4096 }),
      fc.nat({ max: 16 }),
      async (data, offset) => {
        // A view that starts inside its buffer, as a parser's subarray does.
        const view = new Uint8Array(offset + data.length);
        view.set(data, offset);
        const input = view.subarray(offset);
        for (const algorithm of ["SHA-256", "SHA-512"] as const) {
          assertEquals(
            await digestWith("noble", algorithm, input),
            await digestWith("native", algorithm, input),
          );
        }
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("the two back ends agree at the padding and switch boundaries, and on shared memory", async () => {
  const sizes = [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129];
  sizes.push(SMALL_INPUT_BYTES - 1, SMALL_INPUT_BYTES, SMALL_INPUT_BYTES + 1);
  for (const size of sizes) {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
    const shared = new Uint8Array(new SharedArrayBuffer(size));
    shared.set(data);
    for (const algorithm of ["SHA-256", "SHA-512"] as const) {
      const native = await digestWith("native", algorithm, data);
      assertEquals(await digestWith("noble", algorithm, data), native);
      assertEquals(await digestWith("noble", algorithm, shared), native);
      assertEquals(await digestWith("native", algorithm, shared), native);
    }
  }
});

Deno.test("shaBackend: WebCrypto for a process's first digests and for large inputs, noble after", () => {
  assertEquals(shaBackend(0, 0), "native");
  assertEquals(shaBackend(300, NATIVE_FIRST_DIGESTS - 1), "native");
  assertEquals(shaBackend(300, NATIVE_FIRST_DIGESTS), "noble");
  assertEquals(shaBackend(SMALL_INPUT_BYTES, NATIVE_FIRST_DIGESTS), "noble");
  assertEquals(shaBackend(SMALL_INPUT_BYTES + 1, 10_000), "native");
});
