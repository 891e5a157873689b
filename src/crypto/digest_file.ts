/**
 * SHA-256 and SHA-512 of a whole file in one pass, read in fixed-size chunks,
 * so that signing or checksumming a 100 MB release binary never holds it in
 * memory. WebCrypto (see `sha.ts`) has no incremental digest; `node:crypto`'s
 * `createHash`, which Deno and Node both provide, has.
 *
 * @module
 */

import { nodeBuiltin } from "../_runtime/runtime.ts";
import { ToolError } from "../errors.ts";
import type { Stats, SyncReadHandle } from "../_runtime/file_system.ts";
import { describeErrno, openRegularFile } from "../fs/files.ts";

// Large enough that the per-read overhead vanishes, small enough to be noise.
const CHUNK_BYTES = 1024 * 1024;

/** What {@linkcode digestFile} computed. */
export interface FileDigest {
  /** The file's length in bytes. */
  size: number;
  /** The 32-byte SHA-256 digest (what `sha256sum` prints, in hex). */
  sha256: Uint8Array;
  /** The 64-byte SHA-512 digest (what SSHSIG signs). */
  sha512: Uint8Array;
}

/** Options for {@linkcode digestFile}. */
export interface DigestFileOptions {
  /** Name shown in errors instead of the path. */
  displayName?: string;
}

/**
 * Hashes a regular file as a stream, with synchronous reads (see
 * `fs/files.ts`). A file that changes size or
 * modification time while it is read is refused, so a digest never mixes
 * two versions of a file that is still being written.
 *
 * @param path The file.
 * @param options The name used in errors.
 * @returns Its size, SHA-256 and SHA-512.
 * @throws {ToolError} `BAD_PATH` when the file is missing or not a regular
 * file; `IO` when it cannot be read or changes while being read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { digestFile } from "./digest_file.ts";
 * import { toHex } from "./sha.ts";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await writeFile(join(dir, "a"), "abc");
 * const digest = digestFile(join(dir, "a"));
 * assert.equal(digest.size, 3);
 * assert.ok(toHex(digest.sha256).startsWith("ba7816bf"));
 * await rm(dir, { recursive: true });
 * ```
 */
export function digestFile(
  path: string,
  options: DigestFileOptions = {},
): FileDigest {
  const name = options.displayName ?? path;
  const opened = openRegularFile(path, { displayName: name });
  if (opened === undefined) {
    throw new ToolError("BAD_PATH", `Cannot read "${name}": no such file`);
  }
  try {
    return digestOpenFile(opened.handle, opened.stats, name);
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw new ToolError(
      "IO",
      `Cannot read "${name}": ${describeErrno(error)}`,
      { cause: error },
    );
  } finally {
    opened.handle.close();
  }
}

function digestOpenFile(
  handle: SyncReadHandle,
  before: Stats,
  name: string,
): FileDigest {
  // Loaded here, not at start-up: under Deno, importing node:crypto starts
  // its Node compatibility layer, which every hook run would pay.
  const { createHash } = nodeBuiltin<typeof import("node:crypto")>(
    "node:crypto",
  );
  const sha256 = createHash("sha256");
  const sha512 = createHash("sha512");
  const buffer = new Uint8Array(CHUNK_BYTES);
  let size = 0;
  while (true) {
    const bytesRead = handle.read(buffer, 0, buffer.length);
    if (bytesRead === 0) break;
    // update() consumes the bytes before it returns, so the buffer is reused.
    const chunk = buffer.subarray(0, bytesRead);
    sha256.update(chunk);
    sha512.update(chunk);
    size += bytesRead;
  }
  const after = handle.stat();
  if (
    size !== before.size || after.size !== before.size ||
    after.mtimeMs !== before.mtimeMs
  ) {
    throw new ToolError(
      "IO",
      `Cannot read "${name}": it changed while being read; try again once nothing writes to it`,
    );
  }
  return {
    size,
    sha256: new Uint8Array(sha256.digest()),
    sha512: new Uint8Array(sha512.digest()),
  };
}
