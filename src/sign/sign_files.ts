/**
 * Signs arbitrary files (release binaries, checksum lists) with the user's
 * key: `<file>.sig` next to each file, an armored SSHSIG signature that
 * `ssh-keygen -Y verify -n mcp-orchestration-release` accepts. Files are
 * hashed as streams; every signature is made and checked before the first
 * one is written, and an existing signature is replaced only when asked.
 *
 * @module
 */

import { resolve } from "node:path";
import {
  RELEASE_SIGNATURE_NAMESPACE,
  SIGNATURE_NAMESPACE,
  SIGNATURE_SUFFIX,
} from "../constants.ts";
import { digestFile } from "../crypto/digest_file.ts";
import { toHex } from "../crypto/sha.ts";
import { ToolError } from "../errors.ts";
import { fileSystem } from "../_runtime/file_system.ts";
import { describeErrno, isErrno, writeFileAtomic } from "../fs/files.ts";
import type { SigningKey } from "../keys/key_store.ts";
import {
  createSshSignatureOfDigest,
  parseSshSignature,
} from "../format/sshsig.ts";

// A namespace is written into allowed_signers as namespaces="a,b", so it may
// hold neither a comma, a quote nor a space; nor "*" or "?", which ssh reads
// there as wildcards.
const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

/** Options for {@linkcode signFiles}. */
export interface SignFilesOptions {
  /** The key to sign with. */
  key: SigningKey;
  /** The SSHSIG namespace (default `mcp-orchestration-release`). */
  namespace?: string;
  /** Replace existing `.sig` files. */
  force?: boolean;
  /** Folder that relative paths are resolved against (default: the process's). */
  cwd?: string;
}

/** One signed file. */
export interface SignedFile {
  /** The file, as given. */
  path: string;
  /** Its signature file, `path + ".sig"`. */
  signature: string;
  /** The file's length in bytes. */
  size: number;
  /** SHA-256 of the file in lowercase hex, as `sha256sum` prints it. */
  sha256: string;
}

/** What {@linkcode signFiles} did. */
export interface SignFilesReport {
  /** Key id of the signer, `SHA256:…`. */
  signer: string;
  /** The namespace signed in. */
  namespace: string;
  /** The files, in the order given (duplicates once). */
  files: SignedFile[];
}

interface Target {
  name: string;
  path: string;
  signaturePath: string;
}

/**
 * Signs files: writes `<file>.sig` next to each one, atomically. Nothing is
 * written unless every file could be read and signed.
 *
 * @param paths The files to sign.
 * @param options Key, namespace, `force` and the folder paths are relative to.
 * @returns The signer, namespace, and each file's signature path and SHA-256.
 * @throws {ToolError} `USAGE` for no file, a malformed namespace or the
 * config namespace; `BAD_PATH` for a missing or non-regular file, or a
 * `.sig` that exists (without `force`); `IO` when a read or write fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signFiles } from "./sign_files.ts";
 * import { initKey, loadSigningKey } from "../keys/key_store.ts";
 * import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await initKey({ home: dir });
 * const key = await loadSigningKey({ home: dir });
 * await writeFile(join(dir, "app.tar"), "release");
 * const report = await signFiles(["app.tar"], { key, cwd: dir });
 * assert.equal(report.namespace, "mcp-orchestration-release");
 * assert.ok((await readFile(join(dir, "app.tar.sig"), "utf8")).startsWith("-----BEGIN SSH SIGNATURE-----"));
 * await rm(dir, { recursive: true });
 * ```
 */
export async function signFiles(
  paths: readonly string[],
  options: SignFilesOptions,
): Promise<SignFilesReport> {
  const namespace = checkNamespace(
    options.namespace ?? RELEASE_SIGNATURE_NAMESPACE,
  );
  const targets = toTargets(paths, options.cwd);
  if (!options.force) {
    for (const target of targets) await refuseExisting(target);
  }
  const signed: { target: SignedFile; armored: string; at: string }[] = [];
  for (const target of targets) {
    signed.push(await signOne(target, options.key, namespace));
  }
  for (const [index, { target, armored, at }] of signed.entries()) {
    try {
      await writeFileAtomic(at, armored, {
        mode: 0o644,
        noReplace: !options.force,
      });
    } catch (error) {
      // Created between our check and the write: still never replaced.
      if (isErrno(error, "EEXIST")) {
        throw existsError(target.signature, index === 0);
      }
      throw error;
    }
  }
  return {
    signer: options.key.keyId,
    namespace,
    files: signed.map(({ target }) => target),
  };
}

/**
 * Checks a namespace for `sign-file`: one that `allowed_signers` can name,
 * and never the config namespace, so that no file signed here can pass as a
 * signed config statement.
 *
 * @param namespace The namespace.
 * @returns The namespace, unchanged.
 * @throws {ToolError} `USAGE` when it is malformed or the config namespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkNamespace } from "./sign_files.ts";
 * assert.equal(checkNamespace("mcp-orchestration-release"), "mcp-orchestration-release");
 * assert.throws(() => checkNamespace("mcp-orchestration"));
 * ```
 */
export function checkNamespace(namespace: string): string {
  if (namespace === SIGNATURE_NAMESPACE) {
    throw new ToolError(
      "USAGE",
      `Namespace "${SIGNATURE_NAMESPACE}" is reserved for config statements, which "sign" makes; ` +
        `files are signed in "${RELEASE_SIGNATURE_NAMESPACE}" (the default) or another namespace`,
    );
  }
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new ToolError(
      "USAGE",
      `Invalid namespace ${
        JSON.stringify(namespace)
      }: use 1 to 128 letters, digits and ". _ @ + -", starting with a letter or digit`,
    );
  }
  return namespace;
}

function toTargets(paths: readonly string[], cwd?: string): Target[] {
  if (paths.length === 0) {
    throw new ToolError("USAGE", "Give at least one file to sign");
  }
  const targets = new Map<string, Target>();
  for (const name of paths) {
    if (name === "") throw new ToolError("USAGE", "A file name is empty");
    const path = cwd === undefined ? resolve(name) : resolve(cwd, name);
    if (!targets.has(path)) {
      targets.set(path, { name, path, signaturePath: path + SIGNATURE_SUFFIX });
    }
  }
  // "a" and "a.sig" together would sign the old "a.sig" and then replace it.
  for (const target of targets.values()) {
    const owner = [...targets.values()].find((other) =>
      other.signaturePath === target.path
    );
    if (owner) {
      throw new ToolError(
        "USAGE",
        `Cannot sign "${target.name}" along with "${owner.name}": it is the signature being written`,
      );
    }
  }
  return [...targets.values()];
}

async function refuseExisting(target: Target): Promise<void> {
  try {
    await fileSystem.lstat(target.signaturePath);
  } catch (error) {
    if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return;
    throw new ToolError(
      "IO",
      `Cannot check "${target.name}${SIGNATURE_SUFFIX}": ${
        describeErrno(error)
      }`,
      { cause: error },
    );
  }
  throw existsError(target.name + SIGNATURE_SUFFIX, true);
}

function existsError(signature: string, nothingWritten: boolean): ToolError {
  const written = nothingWritten
    ? "nothing was written"
    : "the signatures before it were written";
  return new ToolError(
    "BAD_PATH",
    `Refusing to overwrite "${signature}": it exists; ${written}. Pass --force to replace it`,
  );
}

async function signOne(
  target: Target,
  key: SigningKey,
  namespace: string,
): Promise<{ target: SignedFile; armored: string; at: string }> {
  const digest = await digestFile(target.path, { displayName: target.name });
  const armored = await createSshSignatureOfDigest(digest.sha512, key.key, {
    namespace,
  });
  // createSshSignatureOfDigest has checked the Ed25519 signature itself;
  // this checks that the strict parser reads back what is about to be
  // written, with our key and namespace.
  const parsed = parseSshSignature(
    armored,
    `new signature for "${target.name}"`,
  );
  if (
    parsed.namespace !== namespace ||
    toHex(parsed.publicKey) !== toHex(key.key.publicKey)
  ) {
    throw new ToolError(
      "INVALID_KEY",
      `The signature just made for "${target.name}" does not read back; nothing was written`,
    );
  }
  return {
    target: {
      path: target.name,
      signature: target.name + SIGNATURE_SUFFIX,
      size: digest.size,
      sha256: toHex(digest.sha256),
    },
    armored,
    at: target.signaturePath,
  };
}
