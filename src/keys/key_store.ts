/**
 * The user's signing key on disk: where it lives, how it is created (never
 * over an existing one), retired, and loaded (refusing a file that group or
 * others can read, as ssh does).
 *
 * @module
 */

import { promises as fs } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import {
  HOME_DIR_NAME,
  HOME_ENV,
  KEY_ENV,
  KEYS_DIR_NAME,
  MAX_METADATA_BYTES,
  PRIVATE_KEY_NAME,
  PUBLIC_KEY_NAME,
  RETIRED_KEYS_DIR_NAME,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import {
  describeErrno,
  isErrno,
  readFileLimited,
  writeFileAtomic,
} from "../fs/files.ts";
import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
import {
  formatPrivateKey,
  parsePrivateKey,
  type PrivateKey,
} from "./private_key.ts";
import { formatPublicKeyLine, keyId } from "./public_key.ts";

/** A key pair's files and identity. */
export interface KeyInfo {
  /** OpenSSH fingerprint, `SHA256:…`. */
  keyId: string;
  /** The public key as an OpenSSH line (`ssh-ed25519 AAAA… comment`). */
  publicKeyLine: string;
  /** Path of the private key file. */
  privateKeyPath: string;
  /** Path of the public key file. */
  publicKeyPath: string;
}

/** A loaded private key, ready to sign. */
export interface SigningKey {
  /** The key. */
  key: PrivateKey;
  /** Its key id. */
  keyId: string;
  /** The file it came from. */
  path: string;
}

/** Where to find keys: explicit values win over the environment. */
export interface KeyOptions {
  /** The tool's home folder (default `$MCP_ORCHESTRATION_HOME`, else `~/.mcp-orchestration`). */
  home?: string;
  /** A private key file to use instead of the home's (default `$MCP_ORCHESTRATION_KEY`). */
  keyPath?: string;
}

/**
 * The tool's home folder.
 *
 * @param options An explicit home, if any.
 * @returns `options.home`, `$MCP_ORCHESTRATION_HOME`, or `$HOME/.mcp-orchestration`.
 * @throws {ToolError} `KEY_NOT_FOUND` when none can be determined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toolHome } from "./key_store.ts";
 * assert.ok(toolHome({ home: "/tmp/h" }) === "/tmp/h");
 * ```
 */
export function toolHome(options: KeyOptions = {}): string {
  if (options.home) return resolve(options.home);
  const fromEnv = readEnv(HOME_ENV);
  if (fromEnv) return resolve(fromEnv);
  const home = readEnv("HOME") ?? readEnv("USERPROFILE");
  if (!home) {
    throw new ToolError(
      "KEY_NOT_FOUND",
      `Cannot find the home folder: set ${HOME_ENV} or HOME`,
    );
  }
  return join(home, HOME_DIR_NAME);
}

/**
 * Creates a new signing key pair in the home's key folder: the private key
 * (openssh-key-v1, mode 0600, in a 0700 folder) and its public key line.
 *
 * @param options Home folder; `regenerate` retires an existing key first
 * (moved to `keys/retired/`, never deleted).
 * @returns The new key, and the retired one when there was one.
 * @throws {ToolError} `KEY_EXISTS` when a key exists and `regenerate` is not set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initKey } from "./key_store.ts";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const home = await mkdtemp(join(tmpdir(), "doc-"));
 * const { created } = await initKey({ home });
 * assert.ok(created.keyId.startsWith("SHA256:"));
 * await rm(home, { recursive: true });
 * ```
 */
export async function initKey(
  options: { home?: string; regenerate?: boolean; comment?: string } = {},
): Promise<{ created: KeyInfo; retired?: KeyInfo }> {
  const dir = join(toolHome(options), KEYS_DIR_NAME);
  const privateKeyPath = join(dir, PRIVATE_KEY_NAME);
  const publicKeyPath = join(dir, PUBLIC_KEY_NAME);
  await makePrivateDir(dir);
  const exists = await fs.lstat(privateKeyPath).then(() => true, () => false);
  if (exists && !options.regenerate) {
    const id = await describeExistingKey(privateKeyPath);
    throw new ToolError(
      "KEY_EXISTS",
      `A signing key already exists at "${privateKeyPath}"${id}; it was not changed. ` +
        `To replace it, run "${TOOL_NAME} keys init --regenerate" (the old key is kept in "${
          join(dir, RETIRED_KEYS_DIR_NAME)
        }")`,
    );
  }
  const seed = generateSeed();
  const key: PrivateKey = {
    seed,
    publicKey: await publicKeyFromSeed(seed),
    comment: options.comment ?? TOOL_NAME,
  };
  const retired = exists
    ? await retireKey(dir, privateKeyPath, publicKeyPath)
    : undefined;
  try {
    await writeFileAtomic(privateKeyPath, formatPrivateKey(key), {
      mode: 0o600,
      noReplace: true,
    });
  } catch (error) {
    if (retired) await restoreKey(retired, privateKeyPath, publicKeyPath);
    if (isErrno(error, "EEXIST")) {
      throw new ToolError(
        "KEY_EXISTS",
        `A signing key appeared at "${privateKeyPath}" meanwhile; it was not changed`,
      );
    }
    throw error;
  }
  const publicKeyLine = formatPublicKeyLine(key.publicKey, key.comment);
  await writeFileAtomic(publicKeyPath, publicKeyLine + "\n", { mode: 0o644 });
  const created = {
    keyId: await keyId(key.publicKey),
    publicKeyLine,
    privateKeyPath,
    publicKeyPath,
  };
  return retired ? { created, retired } : { created };
}

/**
 * Loads the private key to sign with: `options.keyPath`, else
 * `$MCP_ORCHESTRATION_KEY`, else the home's `keys/signing.key`.
 *
 * @param options Home folder and explicit key path.
 * @returns The key, its id and its path.
 * @throws {ToolError} `KEY_NOT_FOUND` (with the command that creates one),
 * `KEY_PERMISSIONS` (with the chmod that fixes it), `INVALID_KEY` or
 * `INVALID_FORMAT` for an unusable file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initKey, loadSigningKey } from "./key_store.ts";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const home = await mkdtemp(join(tmpdir(), "doc-"));
 * const { created } = await initKey({ home });
 * assert.ok((await loadSigningKey({ home })).keyId === created.keyId);
 * await rm(home, { recursive: true });
 * ```
 */
export async function loadSigningKey(
  options: KeyOptions = {},
): Promise<SigningKey> {
  const explicit = options.keyPath ?? readEnv(KEY_ENV);
  const path = explicit
    ? resolve(explicit)
    : join(toolHome(options), KEYS_DIR_NAME, PRIVATE_KEY_NAME);
  let mode: number;
  try {
    mode = (await fs.stat(path)).mode;
  } catch (error) {
    if (isErrno(error, "ENOENT")) {
      throw new ToolError(
        "KEY_NOT_FOUND",
        explicit
          ? `No private key at "${path}"`
          : `No signing key at "${path}": create one with "${TOOL_NAME} keys init", or use --key PATH`,
      );
    }
    throw new ToolError(
      "IO",
      `Cannot read the key "${path}": ${describeErrno(error)}`,
      { cause: error },
    );
  }
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    throw new ToolError(
      "KEY_PERMISSIONS",
      `Permissions ${octal} for "${path}" are too open: a private key must not be accessible by group or others; ` +
        `fix it with: chmod 600 "${path}"`,
    );
  }
  const bytes = await readFileLimited(path, MAX_METADATA_BYTES);
  if (!bytes) {
    throw new ToolError("KEY_NOT_FOUND", `No private key at "${path}"`);
  }
  const key = await parsePrivateKey(new TextDecoder().decode(bytes), path);
  return { key, keyId: await keyId(key.publicKey), path };
}

/**
 * Describes the signing key without using it: id and public key line.
 *
 * @param options Home folder and explicit key path.
 * @returns The key's id, public key line and paths.
 * @throws {ToolError} As {@linkcode loadSigningKey}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initKey, showKey } from "./key_store.ts";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const home = await mkdtemp(join(tmpdir(), "doc-"));
 * await initKey({ home });
 * assert.ok((await showKey({ home })).publicKeyLine.startsWith("ssh-ed25519 "));
 * await rm(home, { recursive: true });
 * ```
 */
export async function showKey(options: KeyOptions = {}): Promise<KeyInfo> {
  const { key, keyId, path } = await loadSigningKey(options);
  return {
    keyId,
    publicKeyLine: formatPublicKeyLine(key.publicKey, key.comment),
    privateKeyPath: path,
    publicKeyPath: path.endsWith(".key")
      ? path.slice(0, -4) + ".pub"
      : path + ".pub",
  };
}

function readEnv(name: string): string | undefined {
  try {
    const value = process.env[name];
    return value === "" ? undefined : value;
  } catch {
    // Deno without --allow-env for this variable: treat it as unset.
    return undefined;
  }
}

async function makePrivateDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ToolError(
      "IO",
      `Cannot create the key folder "${dir}": ${describeErrno(error)}`,
      { cause: error },
    );
  }
}

async function describeExistingKey(path: string): Promise<string> {
  try {
    const bytes = await readFileLimited(path, MAX_METADATA_BYTES);
    const key = bytes
      ? await parsePrivateKey(new TextDecoder().decode(bytes), path)
      : undefined;
    return key ? ` (${await keyId(key.publicKey)})` : "";
  } catch {
    return "";
  }
}

async function retireKey(
  dir: string,
  privateKeyPath: string,
  publicKeyPath: string,
): Promise<KeyInfo> {
  const retiredDir = join(dir, RETIRED_KEYS_DIR_NAME);
  await makePrivateDir(retiredDir);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(
    /\.\d{3}Z$/,
    "Z",
  );
  let base = join(retiredDir, `signing-${stamp}`);
  for (
    let n = 2;
    await fs.lstat(`${base}.key`).then(() => true, () => false);
    n++
  ) {
    base = join(retiredDir, `signing-${stamp}-${n}`);
  }
  const info: KeyInfo = {
    keyId: (await describeExistingKey(privateKeyPath)).replace(
      /^ \((.*)\)$/,
      "$1",
    ) || "(unreadable key)",
    publicKeyLine: "",
    privateKeyPath: `${base}.key`,
    publicKeyPath: `${base}.pub`,
  };
  try {
    await fs.rename(privateKeyPath, info.privateKeyPath);
    await fs.rename(publicKeyPath, info.publicKeyPath).catch((error) => {
      if (!isErrno(error, "ENOENT")) throw error;
    });
  } catch (error) {
    throw new ToolError(
      "IO",
      `Cannot retire the key "${privateKeyPath}": ${describeErrno(error)}`,
      { cause: error },
    );
  }
  const publicBytes = await readFileLimited(
    info.publicKeyPath,
    MAX_METADATA_BYTES,
  ).catch(() => undefined);
  info.publicKeyLine = publicBytes
    ? new TextDecoder().decode(publicBytes).trim()
    : "";
  return info;
}

async function restoreKey(
  retired: KeyInfo,
  privateKeyPath: string,
  publicKeyPath: string,
): Promise<void> {
  await fs.rename(retired.privateKeyPath, privateKeyPath).catch(() => {});
  await fs.rename(retired.publicKeyPath, publicKeyPath).catch(() => {});
}
