/**
 * The user's signing key on disk: where it lives, how it is created (never
 * over an existing one), retired, and loaded (refusing a file that group or
 * others can read, as ssh does).
 *
 * @module
 */

import { join, resolve } from "node:path";
import {
  HOME_DIR_NAME,
  HOME_ENV,
  KEY_ENV,
  KEYS_DIR_NAME,
  MAX_METADATA_BYTES,
  PASSPHRASE_FILE_ENV,
  PRIVATE_KEY_NAME,
  PUBLIC_KEY_NAME,
  RETIRED_KEYS_DIR_NAME,
  TOOL_NAME,
} from "../constants.ts";
import { currentProcess, readEnv } from "../_runtime/current_process.ts";
import { readHiddenLine } from "../_runtime/terminal.ts";
import { AGENT_HINT } from "./ssh_agent.ts";
import { ToolError } from "../errors.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import {
  describeErrno,
  isErrno,
  type OpenedFile,
  openRegularFile,
  readFileLimitedSync,
  readToLimit,
  writeFileAtomic,
} from "../fs/files.ts";
import { withFileLock } from "../fs/lock.ts";
import { generateSeed, publicKeyFromSeed } from "../crypto/ed25519.ts";
import {
  formatPrivateKey,
  parsePrivateKey,
  type PrivateKey,
  readPrivateKeyHeader,
} from "../format/private_key.ts";
import { formatPublicKeyLine, keyId } from "../format/public_key.ts";
import type { SignerKey } from "../format/sshsig.ts";

// In the key folder while a run creates a key; see withKeyLock.
const KEY_LOCK_NAME = ".lock";
const KEY_LOCK_TIMEOUT_MS = 15_000;
// More retirements in one second than this means something is wrong.
const MAX_RETIRED_NAMES = 1000;

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

/** A key ready to sign: loaded from a file, or held by an SSH agent. */
export interface SigningKey {
  /** The key, or the agent's signer for it. */
  key: SignerKey;
  /** Its key id. */
  keyId: string;
  /** The file it came from, or `ssh-agent:SOCKET`. */
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
 * Nothing is ever replaced: an existing key, or a public key left without
 * its private key, is moved to `keys/retired/`.
 *
 * @param options Home folder; `regenerate` retires an existing key first
 * (moved to `keys/retired/`, never deleted).
 * @returns The new key, and the retired one when there was one.
 * @throws {ToolError} `KEY_EXISTS` when a key exists and `regenerate` is not
 * set, `KEY_PERMISSIONS` when group or others can write the key folder or
 * its `retired/` folder, `LOCKED` while another run creates a key.
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
  const retiredDir = join(dir, RETIRED_KEYS_DIR_NAME);
  const paths = {
    privateKeyPath: join(dir, PRIVATE_KEY_NAME),
    publicKeyPath: join(dir, PUBLIC_KEY_NAME),
  };
  await makePrivateDir(dir);
  await checkPrivateDir(retiredDir);
  return await withKeyLock(dir, async () => {
    const exists = await pathExists(paths.privateKeyPath);
    if (exists && !options.regenerate) {
      const id = await describeExistingKey(paths.privateKeyPath);
      throw new ToolError(
        "KEY_EXISTS",
        `A signing key already exists at "${paths.privateKeyPath}"${id}; it was not changed. ` +
          `To replace it, run "${TOOL_NAME} keys init --regenerate" (the old key is kept in "${retiredDir}")`,
      );
    }
    const seed = generateSeed();
    const key: PrivateKey = {
      seed,
      publicKey: await publicKeyFromSeed(seed),
      comment: options.comment ?? TOOL_NAME,
    };
    let retired: KeyInfo | undefined;
    if (exists) {
      retired = await retireKey(retiredDir, paths);
    } else if (await pathExists(paths.publicKeyPath)) {
      // A public key without its private key (a crash, a copy): users may
      // have trusted it, so it is kept, not overwritten.
      await retireFiles(retiredDir, [[paths.publicKeyPath, ".pub"]]);
    }
    const publicKeyLine = formatPublicKeyLine(key.publicKey, key.comment);
    await writeKeyPair(key, publicKeyLine, paths, retired);
    const created = {
      keyId: await keyId(key.publicKey),
      publicKeyLine,
      ...paths,
    };
    return retired ? { created, retired } : { created };
  });
}

/**
 * Loads the private key to sign with: `options.keyPath`, else
 * `$MCP_ORCHESTRATION_KEY`, else the home's `keys/signing.key`.
 *
 * @param options Home folder and explicit key path.
 * @returns The key, its id and its path.
 * @throws {ToolError} `KEY_NOT_FOUND` (with the command that creates one),
 * `KEY_PERMISSIONS` (with the chmod that fixes it), `BAD_PATH` for a
 * non-file, `INVALID_KEY` for a public key (before any permission check) or
 * an unusable key, `INVALID_FORMAT` for an unreadable file.
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
  const { text, path } = await readKeyFile(options);
  const key = await parsePrivateKey(text, path, {
    passphrase: () => askPassphrase(path),
  });
  return { key, keyId: await keyId(key.publicKey), path };
}

// The private key file's text, after the checks loadSigningKey documents.
async function readKeyFile(
  options: KeyOptions,
): Promise<{ text: string; path: string }> {
  const explicit = options.keyPath ?? readEnv(KEY_ENV);
  const path = explicit
    ? resolve(explicit)
    : join(toolHome(options), KEYS_DIR_NAME, PRIVATE_KEY_NAME);
  const opened = openRegularFile(path, { label: `the key "${path}"` });
  if (opened === undefined) {
    throw new ToolError(
      "KEY_NOT_FOUND",
      explicit
        ? `No private key at "${path}"`
        : `No signing key at "${path}": create one with "${TOOL_NAME} keys init", or use --key PATH`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = readPrivateKeyFile(opened, path, await privateKeyBeside(path));
  } finally {
    opened.handle.close();
  }
  return { text: new TextDecoder().decode(bytes), path };
}

/**
 * The passphrase of an encrypted key: the contents of the file
 * `$MCP_ORCHESTRATION_PASSPHRASE_FILE` names (one trailing line end
 * dropped), else typed at the terminal without echo.
 *
 * @param path The key file, named in the prompt and errors.
 * @returns The passphrase's bytes.
 * @throws {ToolError} `INVALID_KEY` when there is neither (a Git hook has no
 * terminal), naming the SSH agent route; `KEY_NOT_FOUND` when the file is
 * missing.
 *
 * @example
 * ```ts ignore
 * const passphrase = await askPassphrase("/home/me/.ssh/id_ed25519");
 * ```
 */
export async function askPassphrase(path: string): Promise<Uint8Array> {
  const file = readEnv(PASSPHRASE_FILE_ENV);
  if (file) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = readFileLimitedSync(resolve(file), MAX_METADATA_BYTES);
    } catch (error) {
      throw new ToolError(
        "KEY_NOT_FOUND",
        `Cannot read the passphrase file "${file}" (${PASSPHRASE_FILE_ENV}): ${
          describeErrno(error)
        }`,
        { cause: error },
      );
    }
    if (!bytes) {
      throw new ToolError(
        "KEY_NOT_FOUND",
        `No passphrase file at "${file}" (${PASSPHRASE_FILE_ENV})`,
      );
    }
    // As for the key itself: a secret others may read is no secret.
    const mode = (await fs.stat(resolve(file))).mode ?? 0;
    if (currentProcess.platform !== "win32" && (mode & 0o077) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(4, "0");
      throw new ToolError(
        "KEY_PERMISSIONS",
        `Permissions ${octal} for the passphrase file "${file}" (${PASSPHRASE_FILE_ENV}) are too open: ` +
          `it must not be accessible by group or others; fix it with: chmod 600 "${file}"`,
      );
    }
    let end = bytes.length;
    if (bytes[end - 1] === 0x0a) end--;
    if (bytes[end - 1] === 0x0d) end--;
    return bytes.slice(0, end);
  }
  const typed = await readHiddenLine(`Passphrase for "${path}": `);
  if (typed !== undefined) return typed;
  throw new ToolError(
    "INVALID_KEY",
    `Cannot use private key "${path}": it is protected by a passphrase and there is no terminal to ask for it ` +
      `(a Git hook has none): ${AGENT_HINT}; or set ${PASSPHRASE_FILE_ENV} to a file holding the passphrase`,
  );
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
  const { text, path } = await readKeyFile(options);
  // An encrypted key's public half is in the clear: no passphrase to show
  // it. Its comment is inside the encrypted part: the .pub's is shown.
  const header = readPrivateKeyHeader(text, path);
  const { publicKey, comment } = header.encrypted
    ? { publicKey: header.publicKey, comment: publicComment(path) }
    : await parsePrivateKey(text, path);
  return {
    keyId: await keyId(publicKey),
    publicKeyLine: formatPublicKeyLine(publicKey, comment),
    privateKeyPath: path,
    publicKeyPath: path.endsWith(".key")
      ? path.slice(0, -4) + ".pub"
      : path + ".pub",
  };
}

// The comment of the ".pub" beside a private key, or "".
function publicComment(path: string): string {
  const candidates = path.endsWith(".key")
    ? [`${path.slice(0, -4)}.pub`, `${path}.pub`]
    : [`${path}.pub`];
  for (const candidate of candidates) {
    try {
      const bytes = readFileLimitedSync(candidate, MAX_METADATA_BYTES);
      const line = bytes ? new TextDecoder().decode(bytes).split("\n")[0]! : "";
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 3 && /^(?:ssh|sk)-/.test(fields[0]!)) {
        return fields.slice(2).join(" ");
      }
    } catch {
      // No readable .pub there.
    }
  }
  return "";
}

// Checked on the open handle, never by path: the file whose type, mode and
// size pass is the file that is read (openRegularFile checked the type). A
// public key is refused as one before the permission check, which would
// otherwise ask to "chmod 600" a file that is readable by design.
function readPrivateKeyFile(
  opened: OpenedFile,
  path: string,
  privatePath: string | undefined,
): Uint8Array {
  const { handle, stats } = opened;
  if (stats.size > MAX_METADATA_BYTES) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot read the key "${path}": over the limit of ${MAX_METADATA_BYTES} bytes`,
    );
  }
  const bytes = readToLimit(handle, MAX_METADATA_BYTES, path, stats.size);
  if (isPublicKeyFile(path, bytes)) {
    throw new ToolError(
      "INVALID_KEY",
      `"${path}" is a public key: --key and ${KEY_ENV} take the private key` +
        (privatePath ? ` (probably "${privatePath}")` : ""),
    );
  }
  if (currentProcess.platform !== "win32" && (stats.mode & 0o077) !== 0) {
    const octal = (stats.mode & 0o777).toString(8).padStart(4, "0");
    throw new ToolError(
      "KEY_PERMISSIONS",
      `Permissions ${octal} for "${path}" are too open: a private key must not be accessible by group or others; ` +
        `fix it with: chmod 600 "${path}"`,
    );
  }
  return bytes;
}

// An OpenSSH public key line (any key type), an RFC 4716 or PEM public key,
// or a ".pub" file that is not a private key.
const PUBLIC_KEY_TEXT =
  /^\s*(?:(?:ssh-[a-z0-9]+|ecdsa-sha2-[a-z0-9]+|sk-[a-z0-9@.-]+)\s+[A-Za-z0-9+/]|-----BEGIN (?:SSH2 |RSA )?PUBLIC KEY-----)/;

// The private key beside a ".pub" file: "NAME.key" (this tool's layout) or
// "NAME" (ssh-keygen's), when one is there.
async function privateKeyBeside(path: string): Promise<string | undefined> {
  if (!path.endsWith(".pub")) return undefined;
  const base = path.slice(0, -4);
  for (const candidate of [`${base}.key`, base]) {
    if (await pathExists(candidate)) return candidate;
  }
  return undefined;
}

function isPublicKeyFile(path: string, bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 200));
  if (PUBLIC_KEY_TEXT.test(head)) return true;
  return path.endsWith(".pub") &&
    !/^\s*-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(head);
}

async function pathExists(path: string): Promise<boolean> {
  return await fs.lstat(path).then(() => true, () => false);
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
  await checkPrivateDir(dir);
}

// Whoever can write the key folder can swap the "signing.pub" that users
// hand to "trust add", or a retired key. A folder that does not exist yet
// passes: makePrivateDir creates it 0700.
async function checkPrivateDir(dir: string): Promise<void> {
  if (currentProcess.platform === "win32") return;
  let mode: number;
  try {
    mode = (await fs.stat(dir)).mode;
  } catch (error) {
    if (isErrno(error, "ENOENT")) return;
    throw new ToolError(
      "IO",
      `Cannot check the key folder "${dir}": ${describeErrno(error)}`,
      { cause: error },
    );
  }
  if ((mode & 0o022) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    throw new ToolError(
      "KEY_PERMISSIONS",
      `Permissions ${octal} for the key folder "${dir}" are too open: group or others could replace the keys in it; ` +
        `fix it with: chmod 700 "${dir}"`,
    );
  }
}

// Serialises runs that change the key folder: of two concurrent
// "--regenerate" runs, one must not retire or delete what the other is
// writing. A second run waits for the first.
function withKeyLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(join(dir, KEY_LOCK_NAME), fn, {
    timeoutMs: KEY_LOCK_TIMEOUT_MS,
    holder: `Another "${TOOL_NAME} keys init"`,
  });
}

async function describeExistingKey(path: string): Promise<string> {
  try {
    const bytes = readFileLimitedSync(path, MAX_METADATA_BYTES);
    const key = bytes
      ? await parsePrivateKey(new TextDecoder().decode(bytes), path)
      : undefined;
    return key ? ` (${await keyId(key.publicKey)})` : "";
  } catch {
    return "";
  }
}

async function retireKey(
  retiredDir: string,
  paths: { privateKeyPath: string; publicKeyPath: string },
): Promise<KeyInfo> {
  const id = (await describeExistingKey(paths.privateKeyPath)).replace(
    /^ \((.*)\)$/,
    "$1",
  );
  const hasPublicKey = await pathExists(paths.publicKeyPath);
  const base = await retireFiles(retiredDir, [
    [paths.privateKeyPath, ".key"],
    ...(hasPublicKey ? [[paths.publicKeyPath, ".pub"] as const] : []),
  ]);
  const publicBytes = readOrUndefined(`${base}.pub`);
  return {
    keyId: id || "(unreadable key)",
    publicKeyLine: publicBytes
      ? new TextDecoder().decode(publicBytes).trim()
      : "",
    privateKeyPath: `${base}.key`,
    publicKeyPath: `${base}.pub`,
  };
}

/**
 * Moves files into `retiredDir` under the first free `signing-<time>[-n]`
 * name, the same for all of them, and returns that name without extension.
 * link() fails when the name is taken, where rename() would replace it, so
 * nothing retired is ever lost.
 */
async function retireFiles(
  retiredDir: string,
  files: readonly (readonly [path: string, extension: string])[],
): Promise<string> {
  await makePrivateDir(retiredDir);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(
    /\.\d{3}Z$/,
    "Z",
  );
  const what = files.map(([path]) => `"${path}"`).join(" and ");
  try {
    for (let n = 1; n <= MAX_RETIRED_NAMES; n++) {
      const base = join(
        retiredDir,
        n === 1 ? `signing-${stamp}` : `signing-${stamp}-${n}`,
      );
      if (await linkAll(files, base)) {
        for (const [path] of files) await fs.unlink(path);
        return base;
      }
    }
  } catch (error) {
    throw new ToolError(
      "IO",
      `Cannot retire ${what}: ${describeErrno(error)}`,
      { cause: error },
    );
  }
  throw new ToolError(
    "IO",
    `Cannot retire ${what}: "${retiredDir}" has no free name for "signing-${stamp}"`,
  );
}

// Links every file to `base` + its extension; when a name is taken, removes
// the links it made (ours: the originals still hold the files) and says no.
// Both names of a pair must be free, even for a lone ".pub", so that a
// ".key" and a ".pub" of one name always belong together.
async function linkAll(
  files: readonly (readonly [path: string, extension: string])[],
  base: string,
): Promise<boolean> {
  const made: string[] = [];
  for (const extension of [".key", ".pub"]) {
    const file = files.find(([, ext]) => ext === extension);
    const target = base + extension;
    let free: boolean;
    try {
      if (file) await fs.link(file[0], target);
      free = file ? true : !(await pathExists(target));
    } catch (error) {
      if (!isErrno(error, "EEXIST")) {
        for (const link of made) await fs.unlink(link);
        throw error;
      }
      free = false;
    }
    if (!free) {
      for (const link of made) await fs.unlink(link);
      return false;
    }
    if (file) made.push(target);
  }
  return true;
}

async function writeKeyPair(
  key: PrivateKey,
  publicKeyLine: string,
  paths: { privateKeyPath: string; publicKeyPath: string },
  retired: KeyInfo | undefined,
): Promise<void> {
  const publicText = publicKeyLine + "\n";
  // The public key first: a crash before the private key is written leaves
  // a public key alone, which the next run retires; the other way round it
  // would leave a key that "keys init" refuses to replace.
  try {
    await writeFileAtomic(paths.publicKeyPath, publicText, {
      mode: 0o644,
      noReplace: true,
    });
  } catch (error) {
    throw await writeFailed(error, paths.publicKeyPath, paths, retired);
  }
  try {
    await writeFileAtomic(paths.privateKeyPath, formatPrivateKey(key), {
      mode: 0o600,
      noReplace: true,
    });
  } catch (error) {
    // Our own file, written just now under the lock: checked by content all
    // the same, as it holds a fresh key nobody else could have written.
    const written = readOrUndefined(paths.publicKeyPath);
    if (written && new TextDecoder().decode(written) === publicText) {
      await fs.unlink(paths.publicKeyPath).catch(() => {});
    }
    throw await writeFailed(error, paths.privateKeyPath, paths, retired);
  }
}

// Puts a retired key back when the write failed for want of space or
// rights, and returns the error to throw. When a file appeared meanwhile,
// the previous key stays retired: its place is taken.
async function writeFailed(
  error: unknown,
  path: string,
  paths: { privateKeyPath: string; publicKeyPath: string },
  retired: KeyInfo | undefined,
): Promise<ToolError> {
  const appeared = isErrno(error, "EEXIST");
  const restored = !retired || (!appeared &&
    await moveBack(retired.privateKeyPath, paths.privateKeyPath) &&
    await moveBack(retired.publicKeyPath, paths.publicKeyPath));
  const kept = restored
    ? ""
    : `; the previous key is kept in "${retired?.privateKeyPath}"`;
  if (appeared) {
    return new ToolError(
      "KEY_EXISTS",
      `A key file appeared at "${path}" meanwhile; it was not changed${kept}`,
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ToolError("IO", message + kept, { cause: error });
}

async function moveBack(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
  } catch (error) {
    // Nothing to put back is fine; a taken name is never replaced.
    return isErrno(error, "ENOENT");
  }
  await fs.unlink(from).catch(() => {});
  return true;
}

/** A small file's bytes, or undefined when it is absent or cannot be read. */
function readOrUndefined(path: string): Uint8Array | undefined {
  try {
    return readFileLimitedSync(path, MAX_METADATA_BYTES);
  } catch {
    return undefined;
  }
}
