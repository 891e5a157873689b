/**
 * A lock file: created exclusively, removed when the work is done. Used for
 * the repository's store and for the key folder, so that two runs never
 * interleave their writes.
 *
 * @module
 */

import { fileSystem as fs } from "../_runtime/file_system.ts";
import { ToolError } from "../errors.ts";
import { describeErrno, isErrno } from "./files.ts";

/** Options for {@linkcode withFileLock}. */
export interface LockOptions {
  /** How long to wait for another holder, in milliseconds (default 15 s). */
  timeoutMs?: number;
  /** Who else could hold it, for the message, e.g. `another "sign" run`. */
  holder?: string;
}

/**
 * Runs `fn` while holding the lock file `path`. A second caller waits for
 * the first, up to `timeoutMs`, then fails naming the file to delete if no
 * other run is going (a crash can leave it behind).
 *
 * @param path The lock file.
 * @param fn The work to do under the lock.
 * @param options Timeout and holder description.
 * @returns What `fn` returns.
 * @throws {ToolError} `LOCKED` when the lock stays held; `IO` when it cannot be created.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withFileLock } from "./lock.ts";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * assert.equal(await withFileLock(join(dir, "lock"), () => Promise.resolve(7)), 7);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    try {
      const handle = await fs.open(path, "wx", 0o600);
      await handle.writeFile(`locked at ${new Date().toISOString()}\n`);
      await handle.close();
      break;
    } catch (error) {
      if (!isErrno(error, "EEXIST")) {
        throw new ToolError(
          "IO",
          `Cannot create the lock "${path}": ${describeErrno(error)}`,
          { cause: error },
        );
      }
      if (Date.now() > deadline) {
        throw new ToolError(
          "LOCKED",
          `${
            options.holder ?? "Another run"
          } holds the lock "${path}"; if none is running, delete that file`,
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, 25 + Math.random() * 50)
      );
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(path, { force: true });
  }
}
