/**
 * `readFileLimited` and `withFileLock` on what the file-system adapter
 * changes: links refused, FIFOs refused without waiting for a writer, a
 * link swapped in mid-read refused, locks exclusive.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileLimited, writeFileAtomic } from "../../src/fs/files.ts";
import { withFileLock } from "../../src/fs/lock.ts";
import { withTempDir } from "../support/repo.ts";
import { assertToolError } from "../support/errors.ts";

const POSIX = Deno.build.os !== "windows";

Deno.test("readFileLimited reads a file, and refuses one over the limit", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.json");
    await writeFileAtomic(path, "{}\n", { mode: 0o600 });
    assert.deepEqual(
      await readFileLimited(path, 3, { refuseSymlink: true }),
      new TextEncoder().encode("{}\n"),
    );
    assert.equal(await readFileLimited(join(dir, "missing"), 3), undefined);
    assert.equal(
      await readFileLimited(join(path, "under"), 3, { refuseSymlink: true }),
      undefined,
    );
    await assertToolError(
      readFileLimited(path, 2, { displayName: "a.json" }),
      "INVALID_FORMAT",
      /^Cannot read "a\.json": 3 bytes is over/,
    );
    await assertToolError(
      readFileLimited(dir, 2, { displayName: "dir" }),
      "BAD_PATH",
      /^Cannot read "dir": not a regular file$/,
    );
  });
});

Deno.test({
  name: "readFileLimited refuses a link when asked, and a FIFO without waiting",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const target = join(dir, "target");
      await Deno.writeTextFile(target, "x");
      await Deno.symlink(target, join(dir, "link"));
      assert.deepEqual(
        await readFileLimited(join(dir, "link"), 9),
        new Uint8Array([120]),
      );
      await assertToolError(
        readFileLimited(join(dir, "link"), 9, {
          refuseSymlink: true,
          displayName: "link",
        }),
        "BAD_PATH",
        /^Refusing "link": it is a symbolic link$/,
      );
      const fifo = join(dir, "fifo");
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.ok(made.success);
      for (const refuseSymlink of [false, true]) {
        await assertToolError(
          readFileLimited(fifo, 9, { refuseSymlink, displayName: "fifo" }),
          "BAD_PATH",
          /^Cannot read "fifo": not a regular file$/,
        );
      }
    });
  },
});

Deno.test({
  name: "readFileLimited refuses a file replaced by a link after its lstat",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "config.json");
      const secret = join(dir, "secret");
      await Deno.writeTextFile(path, "{}");
      await Deno.writeTextFile(secret, "key");
      // readFileLimited reads through synchronous calls: swap the file for a
      // link between the adapter's lstat and its open.
      const realOpen = Deno.openSync;
      Deno.openSync = (...args: Parameters<typeof Deno.openSync>) => {
        Deno.removeSync(path);
        Deno.symlinkSync(secret, path);
        return realOpen(...args);
      };
      try {
        await assertToolError(
          readFileLimited(path, 9, { refuseSymlink: true, displayName: "c" }),
          "BAD_PATH",
          /^Refusing "c": it /,
        );
      } finally {
        Deno.openSync = realOpen;
      }
    });
  },
});

Deno.test("withFileLock holds the lock exclusively and removes it", async () => {
  await withTempDir(async (dir) => {
    const lock = join(dir, "lock");
    const order: string[] = [];
    await Promise.all(["a", "b"].map((name) =>
      withFileLock(lock, async () => {
        order.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        order.push(`${name} out`);
      })
    ));
    assert.deepEqual(order.map((step) => step.slice(2)), [
      "in",
      "out",
      "in",
      "out",
    ]);
    await assert.rejects(Deno.lstat(lock), Deno.errors.NotFound);
    await Deno.writeTextFile(lock, "stale");
    await assertToolError(
      withFileLock(lock, () => Promise.resolve(), { timeoutMs: 50 }),
      "LOCKED",
      /delete that file$/,
    );
  });
});
