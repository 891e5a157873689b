/**
 * `fileSystem` under Deno (built on `Deno.*`) against `node:fs/promises`,
 * the reference it replaces: the same error codes, the same `Stats`, the
 * same listing order; and the emulated `O_NOFOLLOW` and `O_NONBLOCK`,
 * including a link swapped in between the check and the open.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as nodeSync from "node:fs";
import * as nodeFs from "node:fs/promises";
import { join } from "node:path";
import {
  fileSystem,
  type SyncReadHandle,
} from "../../src/_runtime/file_system.ts";
import { withTempDir } from "../support/repo.ts";

const POSIX = Deno.build.os !== "windows";

// The `code` a promise rejects with, or "ok".
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
}

// The `code` a call throws, or "ok".
function outcomeSync(call: () => unknown): string {
  try {
    call();
    return "ok";
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
}

// A promise for a synchronous open, so the cases below read alike.
function openRead(path: string, flags: number): Promise<SyncReadHandle> {
  try {
    return Promise.resolve(fileSystem.openReadSync(path, flags));
  } catch (error) {
    return Promise.reject(error);
  }
}

async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(made.success, "mkfifo");
}

Deno.test("fileSystem fails with node:fs's error codes", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "file");
    const folder = join(dir, "folder");
    const dangling = join(dir, "dangling");
    await Deno.writeTextFile(file, "x");
    await Deno.mkdir(join(folder, "inner"), { recursive: true });
    if (POSIX) await Deno.symlink(join(dir, "nowhere"), dangling);
    const missing = join(dir, "missing");
    const underFile = join(file, "x");
    // The expected code, where given, is Node's (20, Linux), from which
    // Deno's node:fs departs; otherwise node:fs under Deno is the reference.
    const cases: [
      string,
      (fs: typeof nodeFs) => Promise<unknown>,
      string?,
    ][] = [
      ["lstat missing", (fs) => fs.lstat(missing)],
      ["lstat under a file", (fs) => fs.lstat(underFile)],
      ["stat missing", (fs) => fs.stat(missing)],
      ["open wx existing", (fs) => fs.open(file, "wx", 0o600)],
      ["open wx folder", (fs) => fs.open(folder, "wx", 0o600)],
      ["readFile missing", (fs) => fs.readFile(missing, "utf8")],
      ["readFile folder", (fs) => fs.readFile(folder, "utf8")],
      ["mkdir over a file", (fs) => fs.mkdir(file, { recursive: true })],
      ["mkdir under a file", (fs) => fs.mkdir(underFile, { recursive: true })],
      ["mkdir existing", (fs) => fs.mkdir(folder, { recursive: true })],
      ["rename missing", (fs) => fs.rename(missing, join(dir, "to"))],
      ["rename over non-empty", (fs) => fs.rename(join(dir, "e"), folder)],
      ["link onto existing", (fs) => fs.link(file, file)],
      ["link missing", (fs) => fs.link(missing, join(dir, "to"))],
      ["unlink missing", (fs) => fs.unlink(missing)],
      ["unlink folder", (fs) => fs.unlink(join(folder, "inner")), "EISDIR"],
      ["rm missing", (fs) => fs.rm(missing)],
      ["rm missing, force", (fs) => fs.rm(missing, { force: true })],
      ["rm folder", (fs) => fs.rm(join(folder, "inner"))],
      [
        "rm folder, force",
        (fs) => fs.rm(join(folder, "inner"), { force: true }),
      ],
      ["rmdir missing", (fs) => fs.rmdir(missing)],
      ["rmdir a file", (fs) => fs.rmdir(file)],
      ["rmdir non-empty", (fs) => fs.rmdir(folder)],
      ["realpath missing", (fs) => fs.realpath(missing)],
      ["readdir missing", (fs) => fs.readdir(missing)],
      ["readdir a file", (fs) => fs.readdir(file)],
      ["chmod missing", (fs) => fs.chmod(missing, 0o755)],
    ];
    if (POSIX) {
      cases.push(
        ["open wx dangling link", (fs) => fs.open(dangling, "wx", 0o600)],
        ["stat dangling link", (fs) => fs.stat(dangling)],
        ["lstat dangling link", (fs) => fs.lstat(dangling)],
      );
    }
    await Deno.mkdir(join(dir, "e"));
    for (const [name, run, node] of cases) {
      const expected = node ?? await outcome(run(nodeFs));
      const actual = await outcome(
        run(fileSystem as unknown as typeof nodeFs),
      );
      assert.equal(actual, expected, name);
    }
    // Reading opens are synchronous: against node:fs's openSync.
    for (
      const [name, path] of [
        ["missing", missing],
        ["under a file", underFile],
      ] as const
    ) {
      assert.equal(
        outcomeSync(() => fileSystem.openReadSync(path, 0).close()),
        outcomeSync(() => nodeSync.closeSync(nodeSync.openSync(path, 0))),
        `openReadSync ${name}`,
      );
    }
    // Nothing above was created or removed by either.
    assert.deepEqual(await fileSystem.readdir(dir), [
      ...(POSIX ? ["dangling"] : []),
      "e",
      "file",
      "folder",
    ]);
    assert.ok(await fileSystem.lstat(join(folder, "inner")));
  });
});

Deno.test("fileSystem's Stats equal node:fs's", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "file");
    await Deno.writeTextFile(file, "hello");
    await Deno.chmod(file, 0o640);
    const paths = [file, dir];
    if (POSIX) {
      await Deno.symlink(file, join(dir, "link"));
      paths.push(join(dir, "link"));
    }
    for (const path of paths) {
      for (const call of ["lstat", "stat"] as const) {
        const expected = await nodeFs[call](path);
        const actual = await fileSystem[call](path);
        const label = `${call} ${path}`;
        assert.equal(actual.isFile(), expected.isFile(), label);
        assert.equal(actual.isDirectory(), expected.isDirectory(), label);
        assert.equal(actual.isSymbolicLink(), expected.isSymbolicLink(), label);
        assert.equal(actual.dev, expected.dev, label);
        assert.equal(actual.ino, expected.ino, label);
        assert.equal(actual.mode, expected.mode, label);
        assert.equal(actual.size, expected.size, label);
        assert.equal(Math.floor(actual.mtimeMs), Math.floor(expected.mtimeMs));
      }
    }
    const handle = fileSystem.openReadSync(file, fileSystem.constants.O_RDONLY);
    const opened = handle.stat();
    const seen = await fileSystem.lstat(file);
    assert.deepEqual([opened.dev, opened.ino], [seen.dev, seen.ino]);
    assert.equal(opened.mode & 0o777, 0o640);
    handle.close();
    handle.close(); // A second close is harmless.
  });
});

Deno.test("fileSystem writes, reads and lists as node:fs does", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "new");
    const handle = await fileSystem.open(path, "wx", 0o600);
    await handle.writeFile("\uFEFFé\n");
    await handle.sync();
    await handle.close();
    await handle.close(); // A second close is harmless, as under Node.
    if (POSIX) assert.equal((await fileSystem.stat(path)).mode & 0o777, 0o600);
    // Node keeps the byte order mark.
    assert.equal(await fileSystem.readFile(path, "utf8"), "\uFEFFé\n");
    const reader = fileSystem.openReadSync(path, fileSystem.constants.O_RDONLY);
    const buffer = new Uint8Array(16);
    assert.equal(reader.read(buffer, 2, 3), 3);
    assert.deepEqual([...buffer.subarray(0, 5)], [0, 0, 0xef, 0xbb, 0xbf]);
    assert.equal(reader.read(buffer, 0, 16), 3);
    assert.equal(reader.read(buffer, 0, 16), 0);
    reader.close();

    const names = [
      "zeta",
      "Alpha",
      "beta",
      "_x",
      "10",
      "9",
      "é",
      "e",
      "😀",
      "\uFFFD",
    ];
    const listed = join(dir, "listed");
    await Deno.mkdir(listed);
    for (const name of names) await Deno.writeTextFile(join(listed, name), "");
    assert.deepEqual(
      await fileSystem.readdir(listed),
      await nodeFs.readdir(listed),
    );

    await fileSystem.link(path, join(dir, "hard"));
    await fileSystem.rename(join(dir, "hard"), join(dir, "moved"));
    await fileSystem.chmod(join(dir, "moved"), 0o644);
    await fileSystem.unlink(join(dir, "moved"));
    await fileSystem.rm(path);
    assert.equal(fileSystem.existsSync(path), false);
    assert.equal(fileSystem.existsSync(dir), true);
    assert.equal(await fileSystem.realpath(dir), await nodeFs.realpath(dir));
    await fileSystem.mkdir(join(dir, "a", "b"), {
      recursive: true,
      mode: 0o700,
    });
    if (POSIX) {
      assert.equal((await fileSystem.stat(join(dir, "a"))).mode & 0o777, 0o700);
    }
  });
});

Deno.test({
  name:
    "fileSystem's O_NOFOLLOW refuses a link, and one swapped in after lstat",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fileSystem.constants;
      const target = join(dir, "target");
      const path = join(dir, "config");
      await Deno.writeTextFile(target, "other");
      await Deno.writeTextFile(path, "mine");
      await Deno.symlink(target, join(dir, "link"));
      for (const flags of [O_NOFOLLOW, O_NOFOLLOW | O_NONBLOCK]) {
        assert.equal(
          await outcome(openRead(join(dir, "link"), O_RDONLY | flags)),
          "ELOOP",
        );
      }
      // Without the flag, the link is followed.
      const followed = await openRead(join(dir, "link"), O_RDONLY);
      followed.close();

      // The race: the path becomes a link between the lstat and the open.
      // (The checked open is made of synchronous calls.)
      const realOpen = Deno.openSync;
      Deno.openSync = (...args: Parameters<typeof Deno.openSync>) => {
        Deno.removeSync(path);
        Deno.symlinkSync(target, path);
        return realOpen(...args);
      };
      try {
        await assert.rejects(
          openRead(path, O_RDONLY | O_NOFOLLOW),
          (error: Error & { code?: string }) =>
            error.code === "ELOOP" && /changed while being opened/.test(
              error.message,
            ),
        );
      } finally {
        Deno.openSync = realOpen;
      }
    });
  },
});

Deno.test({
  name: "fileSystem's O_NONBLOCK does not wait for a FIFO's writer",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fileSystem.constants;
      const fifo = join(dir, "fifo");
      await mkfifo(fifo);
      await Deno.symlink(fifo, join(dir, "link"));
      for (
        const [path, flags] of [
          [fifo, O_NONBLOCK],
          [fifo, O_NONBLOCK | O_NOFOLLOW],
          [join(dir, "link"), O_NONBLOCK],
        ] as const
      ) {
        const handle = await openRead(path, O_RDONLY | flags);
        const stats = handle.stat();
        const expected = await nodeFs.stat(fifo);
        assert.equal(stats.isFile(), false);
        assert.deepEqual([stats.dev, stats.ino], [expected.dev, expected.ino]);
        const buffer = new Uint8Array(4);
        assert.equal(handle.read(buffer, 0, 4), 0);
        handle.close();
      }
      // A character device is not opened either; a folder is.
      const device = await openRead("/dev/null", O_RDONLY | O_NONBLOCK);
      assert.equal(device.stat().isFile(), false);
      device.close();
      const folder = await openRead(dir, O_RDONLY | O_NONBLOCK);
      assert.equal(folder.stat().isDirectory(), true);
      folder.close();
    });
  },
});

Deno.test("fileSystem refuses open flags it does not emulate", async () => {
  await assert.rejects(
    openRead("/nonexistent", 0o2 /* O_RDWR */),
    TypeError,
  );
});

Deno.test({
  name: "fileSystem's readlinkSync reads a link's target as node:fs does",
  ignore: !POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(join(dir, "file"), "x");
      await Deno.symlink("../elsewhere/x", join(dir, "link"));
      await Deno.symlink("nowhere", join(dir, "dangling"));
      const outcomeSync = (read: () => string) => {
        try {
          return read();
        } catch (error) {
          return `error ${(error as { code?: unknown }).code}`;
        }
      };
      for (const name of ["link", "dangling", "file", "missing", "file/x"]) {
        const path = join(dir, name);
        assert.equal(
          outcomeSync(() => fileSystem.readlinkSync(path)),
          outcomeSync(() => nodeSync.readlinkSync(path, "utf8")),
          name,
        );
      }
      assert.equal(
        fileSystem.readlinkSync(join(dir, "link")),
        "../elsewhere/x",
      );
    });
  },
});
