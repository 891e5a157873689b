/**
 * `readFileLimitedSync` and `withFileLock` on what the file-system adapter
 * changes: links refused, FIFOs refused without waiting for a writer, a
 * link swapped in mid-read refused, locks exclusive.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  exists,
  openRegularFile,
  readFileLimitedSync,
  readToLimit,
  writeFileAtomic,
} from "../../src/fs/files.ts";
import { withFileLock } from "../../src/fs/lock.ts";
import { withTempDir } from "../support/repo.ts";
import { assertToolError } from "../support/errors.ts";

const POSIX = Deno.build.os !== "windows";

Deno.test("readFileLimitedSync reads a file, and refuses one over the limit", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.json");
    await writeFileAtomic(path, "{}\n", { mode: 0o600 });
    assert.deepEqual(
      readFileLimitedSync(path, 3, { refuseSymlink: true }),
      new TextEncoder().encode("{}\n"),
    );
    assert.equal(readFileLimitedSync(join(dir, "missing"), 3), undefined);
    assert.equal(
      readFileLimitedSync(join(path, "under"), 3, { refuseSymlink: true }),
      undefined,
    );
    assertToolError(
      () => readFileLimitedSync(path, 2, { displayName: "a.json" }),
      "INVALID_FORMAT",
      /^Cannot read "a\.json": 3 bytes is over/,
    );
    assertToolError(
      () => readFileLimitedSync(dir, 2, { displayName: "dir" }),
      "BAD_PATH",
      /^Cannot read "dir": not a regular file$/,
    );
  });
});

Deno.test({
  name:
    "readFileLimitedSync refuses a link when asked, and a FIFO without waiting",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const target = join(dir, "target");
      await Deno.writeTextFile(target, "x");
      await Deno.symlink(target, join(dir, "link"));
      assert.deepEqual(
        readFileLimitedSync(join(dir, "link"), 9),
        new Uint8Array([120]),
      );
      assertToolError(
        () =>
          readFileLimitedSync(join(dir, "link"), 9, {
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
        assertToolError(
          () =>
            readFileLimitedSync(fifo, 9, {
              refuseSymlink,
              displayName: "fifo",
            }),
          "BAD_PATH",
          /^Cannot read "fifo": not a regular file$/,
        );
      }
    });
  },
});

Deno.test({
  name: "readFileLimitedSync refuses a file replaced by a link after its lstat",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "config.json");
      const secret = join(dir, "secret");
      await Deno.writeTextFile(path, "{}");
      await Deno.writeTextFile(secret, "key");
      // readFileLimitedSync reads through synchronous calls: swap the file for a
      // link between the adapter's lstat and its open.
      const realOpen = Deno.openSync;
      Deno.openSync = (...args: Parameters<typeof Deno.openSync>) => {
        Deno.removeSync(path);
        Deno.symlinkSync(secret, path);
        return realOpen(...args);
      };
      try {
        assertToolError(
          () =>
            readFileLimitedSync(path, 9, {
              refuseSymlink: true,
              displayName: "c",
            }),
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

Deno.test("openRegularFile: one way to open a file to read, checked on its handle", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a");
    await Deno.writeTextFile(path, "abc");
    const opened = openRegularFile(path);
    assert.ok(opened);
    assert.equal(opened.stats.size, 3);
    assert.deepEqual(
      readToLimit(opened.handle, 3, "a", 0), // a buffer grown as it reads
      new TextEncoder().encode("abc"),
    );
    opened.handle.close();
    assert.equal(openRegularFile(join(dir, "missing")), undefined);
    assert.equal(openRegularFile(join(path, "under")), undefined);
    assertToolError(
      () => openRegularFile(dir, { label: 'the key "k"' }),
      "BAD_PATH",
      /^Cannot read the key "k": not a regular file$/,
    );
    if (POSIX) {
      await Deno.symlink(path, join(dir, "link"));
      assertToolError(
        () => openRegularFile(join(dir, "link"), { refuseSymlink: true }),
        "BAD_PATH",
        /it is a symbolic link/,
      );
      const followed = openRegularFile(join(dir, "link"));
      assert.ok(followed);
      followed.handle.close();
    }
  });
});

Deno.test("readToLimit refuses a file that grew past the limit after its size was taken", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a");
    await Deno.writeTextFile(path, "ab");
    const opened = openRegularFile(path);
    assert.ok(opened);
    await Deno.writeTextFile(path, "abcdef"); // grows after the fstat
    assertToolError(
      () => readToLimit(opened.handle, 4, "a", opened.stats.size),
      "INVALID_FORMAT",
      /^Cannot read "a": over the limit of 4 bytes$/,
    );
    opened.handle.close();
    assert.deepEqual(
      readFileLimitedSync(path, 6),
      new TextEncoder().encode("abcdef"),
    );
  });
});

Deno.test("exists: links count, missing is false, other failures are thrown", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await exists(dir), true);
    assert.equal(await exists(join(dir, "missing")), false);
    await Deno.writeTextFile(join(dir, "file"), "");
    assert.equal(await exists(join(dir, "file", "under")), false);
    if (POSIX) {
      await Deno.symlink(join(dir, "nowhere"), join(dir, "dangling"));
      assert.equal(await exists(join(dir, "dangling")), true);
      // A name too long for any file system: neither there nor missing.
      await assertToolError(
        exists(join(dir, "x".repeat(300))),
        "IO",
        /^Cannot read ".*x{300}": /,
      );
    }
  });
});
