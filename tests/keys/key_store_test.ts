/**
 * The key store in one process: concurrent `--regenerate` runs lose no key,
 * and `loadSigningKey` checks the very file it reads (type, mode, size)
 * before using it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { constants as fsConstants, promises as fs } from "node:fs";
import { join } from "node:path";
import { MAX_METADATA_BYTES } from "../../src/constants.ts";
import { initKey, loadSigningKey, showKey } from "../../src/keys/key_store.ts";
import { withTempDir } from "../support/repo.ts";
import { assertToolError } from "../support/errors.ts";

const POSIX = Deno.build.os !== "windows";

async function retiredFiles(home: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(home, "keys", "retired"))) {
    names.push(entry.name);
  }
  return names.sort();
}

Deno.test({
  name: "concurrent keys init --regenerate runs keep every retired key",
  ignore: !POSIX,
  async fn() {
    await withTempDir(async (home) => {
      const signingKey = join(home, "keys", "signing.key");
      const first = await initKey({ home });
      const firstBytes = await Deno.readFile(signingKey);
      // In one process every run reaches the retiring step before any
      // finishes it, all within the same second: the same retired name is
      // wanted by all of them.
      const runs = await Promise.allSettled(
        Array.from({ length: 8 }, () => initKey({ home, regenerate: true })),
      );
      const created: string[] = [];
      for (const run of runs) {
        if (run.status === "rejected") throw run.reason;
        created.push(run.value.created.keyId);
      }

      const names = await retiredFiles(home);
      const keyNames = names.filter((name) => name.endsWith(".key"));
      assert.equal(keyNames.length, runs.length, names.join(" "));
      const retiredIds: string[] = [];
      let firstFound = 0;
      for (const name of keyNames) {
        const path = join(home, "keys", "retired", name);
        const info = await showKey({ keyPath: path });
        retiredIds.push(info.keyId);
        // Each retired key keeps its own public key beside it.
        assert.equal(
          await Deno.readTextFile(path.replace(/\.key$/, ".pub")),
          info.publicKeyLine + "\n",
          name,
        );
        if (info.keyId === first.created.keyId) {
          firstFound++;
          assert.deepEqual(await Deno.readFile(path), firstBytes);
        }
      }
      assert.equal(firstFound, 1);
      const current = await showKey({ home });
      assert.deepEqual(
        [...retiredIds, current.keyId].sort(),
        [first.created.keyId, ...created].sort(),
      );
      assert.equal(
        await Deno.readTextFile(join(home, "keys", "signing.pub")),
        current.publicKeyLine + "\n",
      );
      // No lock or temporary file is left behind.
      const left = [];
      for await (const entry of Deno.readDir(join(home, "keys"))) {
        left.push(entry.name);
      }
      assert.deepEqual(left.sort(), ["retired", "signing.key", "signing.pub"]);
    });
  },
});

Deno.test({
  name:
    "loadSigningKey refuses a missing, open, non-file or oversized key file",
  ignore: !POSIX,
  async fn(t) {
    await withTempDir(async (home) => {
      await initKey({ home });
      const good = join(home, "keys", "signing.key");
      const goodBytes = await Deno.readFile(good);

      await t.step("no key: says how to create one", async () => {
        const empty = join(home, "empty");
        await Deno.mkdir(empty);
        await assertToolError(
          loadSigningKey({ home: empty }),
          "KEY_NOT_FOUND",
          join(empty, "keys", "signing.key"),
          '"mcp-orchestration keys init"',
        );
      });

      await t.step("readable by group: says how to fix it", async () => {
        const path = join(home, "open.key");
        await Deno.writeFile(path, goodBytes, { mode: 0o600 });
        await Deno.chmod(path, 0o640);
        await assertToolError(
          loadSigningKey({ keyPath: path }),
          "KEY_PERMISSIONS",
          "0640",
          `chmod 600 "${path}"`,
        );
      });

      await t.step("a folder, even a private one", async () => {
        const path = join(home, "folder.key");
        await Deno.mkdir(path, { mode: 0o700 });
        await assertToolError(
          loadSigningKey({ keyPath: path }),
          "BAD_PATH",
          "not a regular file",
        );
      });

      await t.step("a FIFO is refused at once, not waited on", async () => {
        const path = join(home, "fifo.key");
        const made = await new Deno.Command("mkfifo", {
          args: ["-m", "600", path],
        }).output();
        assert.ok(made.success, new TextDecoder().decode(made.stderr));
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("loadSigningKey waited on a FIFO")),
            5_000,
          );
        });
        const load = loadSigningKey({ keyPath: path });
        try {
          await assertToolError(
            Promise.race([load, timeout]),
            "BAD_PATH",
            "not a regular file",
          );
        } finally {
          clearTimeout(timer);
          // Releases an open() blocked on the FIFO, so a failure ends.
          const writer = await fs.open(
            path,
            fsConstants.O_WRONLY | (fsConstants.O_NONBLOCK ?? 0),
          ).catch(() => undefined);
          await writer?.close();
          await load.catch(() => {});
        }
      });

      await t.step("over the size limit", async () => {
        const path = join(home, "big.key");
        const big = new Uint8Array(MAX_METADATA_BYTES + 1).fill(0x41);
        await Deno.writeFile(path, big, { mode: 0o600 });
        await assertToolError(
          loadSigningKey({ keyPath: path }),
          "INVALID_FORMAT",
          String(MAX_METADATA_BYTES),
        );
      });

      await t.step("the private one loads", async () => {
        const loaded = await loadSigningKey({ keyPath: good });
        assert.equal(loaded.keyId, (await showKey({ home })).keyId);
      });
    });
  },
});
