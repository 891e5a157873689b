/**
 * Reading a hook file to tell whose it is: the one reader that `install`,
 * `uninstall` and `status` share, so that they never disagree about a hook.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { describeErrno, isErrno } from "../fs/files.ts";
import { isOurHook } from "./stubs.ts";

/** Hooks larger than this are not ours, and are not read. */
export const MAX_HOOK_BYTES = 64 * 1024;

/** Whose a hook file is: none there, someone else's, or our stub. */
export type HookFile =
  | { state: "missing" }
  | { state: "foreign" }
  | {
    state: "ours";
    /** The stub's text. */
    text: string;
    /** Its type and permission bits. */
    mode: number;
  };

/**
 * Reads the hook file at a path without following a link: missing, ours
 * (a small regular file with our marker), or foreign (anything else: a
 * link, a large file, another tool's hook).
 *
 * @param path The hook's path.
 * @returns What is there.
 * @throws {ToolError} `IO` when the path cannot be read (not when it is
 *   missing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readHookFile } from "./hook_file.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/pre-commit`, "#!/bin/sh\nexit 0\n");
 * assert.deepEqual(await readHookFile(`${dir}/pre-commit`), { state: "foreign" });
 * assert.deepEqual(await readHookFile(`${dir}/pre-push`), { state: "missing" });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readHookFile(path: string): Promise<HookFile> {
  try {
    const info = await fs.lstat(path).catch((error) => {
      if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) {
        return undefined;
      }
      throw error;
    });
    if (!info) return { state: "missing" };
    // A link or a large file is someone else's: we only ever write small files.
    if (!info.isFile() || info.size > MAX_HOOK_BYTES) {
      return { state: "foreign" };
    }
    const text = await fs.readFile(path, "utf8");
    return isOurHook(text)
      ? { state: "ours", text, mode: info.mode }
      : { state: "foreign" };
  } catch (error) {
    throw new ToolError(
      "IO",
      `Cannot read "${path}": ${describeErrno(error)}`,
      { cause: error },
    );
  }
}
