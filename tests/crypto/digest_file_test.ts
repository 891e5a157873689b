/**
 * `digestFile`: the streamed digests equal the one-shot ones at every chunk
 * boundary, and anything but a regular file is refused.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { digestFile } from "../../src/crypto/digest_file.ts";
import { toHex } from "../../src/crypto/sha.ts";
import { withTempDir } from "../support/repo.ts";
import { assertToolError } from "../support/errors.ts";

const CHUNK = 1024 * 1024;

function bytesOf(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff;
  return bytes;
}

Deno.test("digestFile equals one-shot SHA-256 and SHA-512 around chunk boundaries", async () => {
  await withTempDir(async (dir) => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7]) {
      const bytes = bytesOf(size);
      const path = join(dir, `f${size}`);
      await Deno.writeFile(path, bytes);
      const digest = await digestFile(path);
      assert.equal(digest.size, size);
      assert.equal(
        toHex(digest.sha256),
        createHash("sha256").update(bytes).digest("hex"),
        `sha256 of ${size} bytes`,
      );
      assert.equal(
        toHex(digest.sha512),
        createHash("sha512").update(bytes).digest("hex"),
        `sha512 of ${size} bytes`,
      );
    }
  });
});

Deno.test("digestFile refuses a missing file, a folder and a FIFO, naming them", async () => {
  await withTempDir(async (dir) => {
    await assertToolError(
      digestFile(join(dir, "nope"), { displayName: "dist/nope" }),
      "BAD_PATH",
      /^Cannot read "dist\/nope": no such file$/,
    );
    await assertToolError(
      digestFile(dir, { displayName: "dist" }),
      "BAD_PATH",
      /^Cannot read "dist": not a regular file$/,
    );
    if (Deno.build.os !== "windows") {
      const fifo = join(dir, "fifo");
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.ok(made.success);
      // Without O_NONBLOCK this open would wait for a writer forever.
      await assertToolError(
        digestFile(fifo, { displayName: "fifo" }),
        "BAD_PATH",
        /^Cannot read "fifo": not a regular file$/,
      );
    }
  });
});
