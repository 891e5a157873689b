/**
 * The repository's trust list on disk: `.mcp-orchestration/allowed_signers`,
 * read, changed and written atomically under the repository lock. The
 * format itself lives in `allowed_signers.ts`.
 *
 * @module
 */

import { join } from "node:path";
import {
  ALLOWED_SIGNERS_PATH,
  MAX_METADATA_BYTES,
  MAX_TRUST_BYTES,
  REVOKED_KEYS_PATH,
  SIGNATURE_NAMESPACE,
  STORE_DIR,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { readFileLimitedSync, writeFileAtomic } from "../fs/files.ts";
import { assertRealFolders, type Repository } from "../git/repository.ts";
import {
  formatPublicKeyLine,
  keyId,
  parsePublicKeyLine,
} from "../format/public_key.ts";
import { readIndex, readStatement, withLock } from "../store/store.ts";
import { parseStatement } from "../store/statement.ts";
import { parseSshSignature, signatureKeyId } from "../format/sshsig.ts";
import { equalBytes } from "../bytes/equal_bytes.ts";
import { GitObjects } from "../source/cat_file.ts";
import { type StoreReader, workingTreeReader } from "../source/store_reader.ts";
import { toHex } from "../crypto/sha.ts";
import {
  addAllowedSigner,
  addRepositoryLine,
  type AllowedSigner,
  type AllowedSigners,
  formatAllowedSigner,
  formatRetiredLine,
  parseAllowedSigners,
  removeAllowedSigners,
  validatePrincipal,
} from "./allowed_signers.ts";
import {
  addRevokedKey,
  parseRevokedKeys,
  type RevokedKeys,
  validateReason,
} from "./revoked_keys.ts";

/**
 * Reads the repository's trust list; an absent file is an empty list.
 *
 * @param repo The working tree.
 * @returns The parsed list.
 * @throws {ToolError} `INVALID_FORMAT` for a malformed file, `BAD_PATH` for a symlink.
 *
 * @example
 * ```ts ignore
 * const trust = await readTrustList(repo);
 * ```
 */
export async function readTrustList(repo: Repository): Promise<AllowedSigners> {
  return await readTrust(workingTreeReader(repo)) ??
    await parseAllowedSigners("", ALLOWED_SIGNERS_PATH);
}

/**
 * Reads the trust list through a store reader, strictly: the one way every
 * command (sign, verify, inspect, trust) reads it. The revocation list,
 * `revoked_keys`, is read with it and carried as its `revoked` keys, so that
 * whoever asks the list about a key hears "revoked" for a revoked one.
 *
 * @param reader Where to read (a working tree, later a commit).
 * @returns The parsed list, or undefined when the repository has none.
 * @throws {ToolError} `INVALID_FORMAT` for invalid UTF-8 or a malformed line,
 * `BAD_PATH` for a symbolic link.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTrust } from "./trust_store.ts";
 * assert.equal(await readTrust({ read: () => Promise.resolve(undefined) }), undefined);
 * ```
 */
export async function readTrust(
  reader: StoreReader,
): Promise<AllowedSigners | undefined> {
  const bytes = await reader.read(ALLOWED_SIGNERS_PATH, MAX_TRUST_BYTES);
  if (!bytes) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid allowed_signers "${ALLOWED_SIGNERS_PATH}": not valid UTF-8`,
    );
  }
  const list = await parseAllowedSigners(text, ALLOWED_SIGNERS_PATH);
  const revoked = await readRevokedKeys(reader);
  return revoked && revoked.entries.length > 0
    ? { ...list, revoked: revoked.entries }
    : list;
}

/**
 * Reads the revocation list through a store reader, strictly.
 *
 * @param reader Where to read.
 * @returns The parsed list, or undefined when the repository has none.
 * @throws {ToolError} `INVALID_FORMAT` for invalid UTF-8 or a malformed
 * line, `BAD_PATH` for a symbolic link.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRevokedKeys } from "./trust_store.ts";
 * assert.equal(await readRevokedKeys({ read: () => Promise.resolve(undefined) }), undefined);
 * ```
 */
export async function readRevokedKeys(
  reader: StoreReader,
): Promise<RevokedKeys | undefined> {
  const bytes = await reader.read(REVOKED_KEYS_PATH, MAX_TRUST_BYTES);
  if (!bytes) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid revoked_keys "${REVOKED_KEYS_PATH}": not valid UTF-8`,
    );
  }
  return await parseRevokedKeys(text, REVOKED_KEYS_PATH);
}

/** Options for {@linkcode addTrustedKey}. */
export interface AddTrustOptions {
  /** Who the key belongs to (e.g. an email address). */
  principal: string;
  /** The key is trusted from this time on. */
  validAfter?: Date;
  /** The key is trusted until this time. */
  validBefore?: Date;
}

/**
 * Adds a public key to the trust list.
 *
 * @param repo The working tree.
 * @param publicKey A public key line (`ssh-ed25519 AAAA…`) or the path of a `.pub` file.
 * @param options Principal and validity window.
 * @returns The new entry's key id and line, and the repository id when
 * this gave the list its first one.
 * @throws {ToolError} `TRUST` when the key is already listed, `USAGE` for a bad principal, `INVALID_FORMAT` for a bad key.
 *
 * @example
 * ```ts ignore
 * await addTrustedKey(repo, "ssh-ed25519 AAAA…", { principal: "alice@example.com" });
 * ```
 */
export async function addTrustedKey(
  repo: Repository,
  publicKey: string,
  options: AddTrustOptions,
): Promise<{ keyId: string; line: string; repository?: string }> {
  validatePrincipal(options.principal);
  if (
    options.validAfter && options.validBefore &&
    options.validAfter >= options.validBefore
  ) {
    throw new ToolError(
      "USAGE",
      "The validity window is empty: --valid-after must be before --valid-before",
    );
  }
  const { key, source } = readPublicKeyArgument(publicKey);
  const id = await keyId(key);
  return await withLock(repo, async () => {
    const trust = await readTrustList(repo);
    const revoked = (await readRevokedKeys(workingTreeReader(repo)))?.entries
      .find((entry) => entry.keyId === id);
    if (revoked) {
      // Under any principal: a revoked key must not come back as someone new.
      throw new ToolError(
        "TRUST",
        `The key ${id} from "${source}" is revoked (line ${revoked.line} of "${REVOKED_KEYS_PATH}"): ` +
          `a revoked key is never trusted again, under any principal; use a new key`,
      );
    }
    const existing = trust.entries.find((entry) =>
      entry.keyId === id && coversNamespace(entry)
    );
    if (existing) {
      throw new ToolError(
        "TRUST",
        `The key ${id} from "${source}" is already trusted as "${
          existing.principals.join(",")
        }" (line ${existing.line} of "${ALLOWED_SIGNERS_PATH}")`,
      );
    }
    const line = formatAllowedSigner(key, {
      principal: options.principal,
      ...(options.validAfter ? { validAfter: options.validAfter } : {}),
      ...(options.validBefore ? { validBefore: options.validBefore } : {}),
    });
    const { text, repository } = withRepositoryId(
      trust,
      addAllowedSigner(trust.text, line),
    );
    await writeTrustText(repo, text);
    return { keyId: id, line, ...(repository ? { repository } : {}) };
  });
}

/**
 * Gives the repository an id in its trust list, when it has none yet (a
 * list from before repositories had ids): statements signed from then on
 * name it, so they do not verify in another repository.
 *
 * @param repo The working tree.
 * @param options `create`: only when there is no list yet (it is then
 * created, with only that line); an existing list is left as it is.
 * @returns The id added, or undefined when the list already had one (or
 * there is no list and `create` is not set).
 * @throws {ToolError} `INVALID_FORMAT` for a malformed list, `LOCKED`.
 *
 * @example
 * ```ts ignore
 * const added = await ensureRepositoryId(repo);
 * ```
 */
export async function ensureRepositoryId(
  repo: Repository,
  options: { create?: boolean } = {},
): Promise<string | undefined> {
  return await withLock(repo, async () => {
    const existing = await readTrust(workingTreeReader(repo));
    // With `create`, only a missing list is made: an existing one without
    // an id is upgraded by init and trust add/remove, which say so.
    if (options.create && existing) return undefined;
    const trust = existing ??
      (options.create
        ? await parseAllowedSigners("", ALLOWED_SIGNERS_PATH)
        : undefined);
    if (!trust || trust.repository !== undefined) return undefined;
    const { text, repository } = withRepositoryId(trust, trust.text);
    await writeTrustText(repo, text);
    return repository;
  });
}

/**
 * A new, random repository id: 128 bits as 32 lowercase hex digits.
 *
 * @returns The id.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { newRepositoryId } from "./trust_store.ts";
 * match(newRepositoryId(), /^[0-9a-f]{32}$/);
 * ```
 */
export function newRepositoryId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

// The new text of a list that had `trust`'s text: with a repository id line
// when the list had none (returned, so callers can say so).
function withRepositoryId(
  trust: AllowedSigners,
  text: string,
): { text: string; repository?: string } {
  if (trust.repository !== undefined) return { text };
  const repository = newRepositoryId();
  return { text: addRepositoryLine(text, repository), repository };
}

/**
 * Removes every trust entry for a key id or an exact principal.
 *
 * @param repo The working tree.
 * @param selector A key id (`SHA256:…`) or a principal.
 * @returns The removed entries.
 * @throws {ToolError} `TRUST` when nothing matches.
 *
 * @example
 * ```ts ignore
 * await removeTrustedKeys(repo, "alice@example.com");
 * ```
 */
export async function removeTrustedKeys(
  repo: Repository,
  selector: string,
): Promise<AllowedSigner[]> {
  return await withLock(repo, async () => {
    const trust = await readTrustList(repo);
    const { text, removed } = removeAllowedSigners(trust, selector);
    if (removed.length === 0) {
      throw new ToolError(
        "TRUST",
        `No entry in "${ALLOWED_SIGNERS_PATH}" has the key id or principal "${selector}"`,
      );
    }
    await writeTrustText(repo, withRepositoryId(trust, text).text);
    return removed;
  });
}

/** What {@linkcode revokeKey} did. */
export interface Revocation {
  /** The revoked key's id. */
  keyId: string;
  /** The trust-list lines removed (none when the key was only a signer). */
  removed: AllowedSigner[];
  /** The configs whose current statement (working tree or HEAD) it signed. */
  signed: string[];
}

/**
 * Revokes a key: records it in `revoked_keys` (with the time and reason)
 * and removes its lines from `allowed_signers`, in one locked step; nothing
 * is written on error.
 *
 * @param repo The working tree.
 * @param selector A key id (`SHA256:…`), a public key line or a `.pub` path.
 * @param options The reason (one line) and the time.
 * @returns The key id, the removed lines and the configs it signed.
 * @throws {ToolError} `USAGE` for an empty reason; `TRUST` for a key neither
 * the trust list nor any statement (working tree, HEAD) knows, or one that
 * is revoked already.
 *
 * @example
 * ```ts ignore
 * await revokeKey(repo, "SHA256:…", { reason: "laptop stolen", now: new Date() });
 * ```
 */
export async function revokeKey(
  repo: Repository,
  selector: string,
  options: { reason: string; now: Date },
): Promise<Revocation> {
  validateReason(options.reason);
  const given = /^SHA256:/.test(selector.trim())
    ? undefined
    : readPublicKeyArgument(selector);
  const id = given ? await keyId(given.key) : selector.trim();
  return await withLock(repo, async () => {
    const reader = workingTreeReader(repo);
    const trust = await readTrustList(repo);
    const revoked = await readRevokedKeys(reader);
    const already = revoked?.entries.find((entry) => entry.keyId === id);
    if (already) {
      throw new ToolError(
        "TRUST",
        `The key ${id} is already revoked (line ${already.line} of "${REVOKED_KEYS_PATH}")`,
      );
    }
    const signers = await statementSigners(repo, reader);
    const lines = trust.entries.filter((entry) => entry.keyId === id);
    const key = given?.key ??
      lines.find((entry) => entry.key !== undefined)?.key ??
      signers.get(id)?.key;
    if (!key || (lines.length === 0 && !signers.has(id))) {
      // Most likely a typo or the wrong file: revoking it would protect
      // nothing here, and hide the key that was meant.
      throw new ToolError(
        "TRUST",
        `Cannot revoke ${id}: a revocation of an unknown key. It is not in "${ALLOWED_SIGNERS_PATH}" ` +
          `and signed no statement in the working tree or HEAD; check the key id (trust list shows the keys)`,
      );
    }
    const principals = [
      ...new Set(lines.flatMap((entry) => entry.principals)),
    ];
    const revokedText = addRevokedKey(revoked?.text ?? "", key, {
      reason: options.reason,
      at: options.now,
      ...(principals.length > 0 ? { comment: principals.join(",") } : {}),
    });
    // Check what is about to be written parses, before writing anything.
    await parseRevokedKeys(revokedText, REVOKED_KEYS_PATH);
    const { text, removed } = removeAllowedSigners(trust, id);
    // The list is written only when the key had lines there.
    const trustText = removed.length === 0 ? trust.text : removeRetiredLine(
      withRepositoryId(trust, text).text,
      id,
    );
    await parseAllowedSigners(trustText, ALLOWED_SIGNERS_PATH);
    await assertRealFolders(repo, REVOKED_KEYS_PATH);
    await fs.mkdir(join(repo.root, STORE_DIR), { recursive: true });
    await writeFileAtomic(join(repo.root, REVOKED_KEYS_PATH), revokedText);
    if (trustText !== trust.text) await writeTrustText(repo, trustText);
    return {
      keyId: id,
      removed,
      signed: [...(signers.get(id)?.paths ?? [])].sort(),
    };
  });
}

/**
 * Writes the trust-list change of a key rotation: a line for the new key
 * beside each of the old key's lines (same principals, namespaces and
 * validity), and a line retiring the old key. Unsigned: the caller signs
 * the new list with the old key, which the list trusted before.
 *
 * @param repo The working tree.
 * @param oldKey The key being retired.
 * @param newKey The key replacing it.
 * @param options `principal`: one line for the new key with this principal
 * (and no validity window) instead of a copy of each old line.
 * @returns The principals the new key got; undefined (nothing written) when
 * the list does not trust the old key.
 * @throws {ToolError} `TRUST` when the old key is retired or revoked
 * already, or the new key is listed; `LOCKED`.
 *
 * @example
 * ```ts ignore
 * await rotateTrustedKey(repo, oldKey, newKey);
 * ```
 */
export async function rotateTrustedKey(
  repo: Repository,
  oldKey: Uint8Array,
  newKey: Uint8Array,
  options: { principal?: string } = {},
): Promise<{ principals: string[] } | undefined> {
  if (options.principal !== undefined) validatePrincipal(options.principal);
  const oldId = await keyId(oldKey);
  const newId = await keyId(newKey);
  return await withLock(repo, async () => {
    const trust = await readTrust(workingTreeReader(repo));
    if (!trust) return undefined;
    const lines = trust.entries.filter((entry) =>
      entry.key !== undefined && equalBytes(entry.key, oldKey) &&
      coversNamespace(entry)
    );
    if (lines.length === 0) return undefined;
    if (trust.revoked?.some((entry) => entry.keyId === oldId)) {
      throw new ToolError(
        "TRUST",
        `The key ${oldId} is revoked in this repository: rotating it changes nothing here`,
      );
    }
    if (trust.retired?.has(oldId)) {
      throw new ToolError(
        "TRUST",
        `The key ${oldId} is retired in "${ALLOWED_SIGNERS_PATH}" already`,
      );
    }
    if (trust.entries.some((entry) => entry.keyId === newId)) {
      throw new ToolError(
        "TRUST",
        `The new key ${newId} is in "${ALLOWED_SIGNERS_PATH}" already`,
      );
    }
    let text = trust.text;
    if (options.principal !== undefined) {
      text = addAllowedSigner(
        text,
        formatAllowedSigner(newKey, { principal: options.principal }),
      );
    }
    for (const entry of options.principal === undefined ? lines : []) {
      const old = lineText(trust.text, entry.line);
      const [type = "", base64 = ""] = formatPublicKeyLine(oldKey).split(" ");
      const at = old.indexOf(`${type} ${base64}`);
      if (at < 0) {
        throw new ToolError(
          "INVALID_FORMAT",
          `Cannot rotate: line ${entry.line} of "${ALLOWED_SIGNERS_PATH}" does not spell the key as "${type} BASE64" ` +
            `with one space; write it so, then rotate again`,
        );
      }
      const fresh = formatPublicKeyLine(newKey).split(" ");
      text = addAllowedSigner(
        text,
        old.slice(0, at) + `${fresh[0]} ${fresh[1]}` +
          old.slice(at + type.length + 1 + base64.length),
      );
    }
    text = addComment(text, formatRetiredLine(oldId));
    text = withRepositoryId(trust, text).text;
    await parseAllowedSigners(text, ALLOWED_SIGNERS_PATH);
    await writeTrustText(repo, text);
    return {
      principals: options.principal !== undefined
        ? [options.principal]
        : [...new Set(lines.flatMap((entry) => entry.principals))],
    };
  });
}

// The signers of the statements the index names, in the working tree and
// in HEAD: each key with the configs it signed. Unreadable ones are skipped
// (verification reports them).
async function statementSigners(
  repo: Repository,
  reader: StoreReader,
): Promise<Map<string, { key: Uint8Array; paths: Set<string> }>> {
  const signers = new Map<string, { key: Uint8Array; paths: Set<string> }>();
  const objects = GitObjects.open(repo);
  try {
    const head: StoreReader = {
      read: async (path, maxBytes) =>
        (await objects.read(`HEAD:${path}`, maxBytes).catch(() => undefined))
          ?.bytes,
    };
    for (const source of [reader, head]) {
      const index = await readIndex(source).catch(() => new Map());
      for (const [path, id] of index) {
        try {
          const stored = await readStatement(source, id);
          if (!stored?.signature) continue;
          const statement = parseStatement(stored.bytes, id);
          const signature = parseSshSignature(stored.signature, id);
          if (await signatureKeyId(signature) !== statement.signer) continue;
          const known = signers.get(statement.signer) ??
            { key: signature.publicKey, paths: new Set<string>() };
          known.paths.add(path);
          signers.set(statement.signer, known);
        } catch {
          continue;
        }
      }
    }
  } finally {
    await objects.close();
  }
  return signers;
}

// The text of a 1-based line, without its line ending.
function lineText(text: string, line: number): string {
  return (text.split("\n")[line - 1] ?? "").replace(/\r$/, "");
}

// Appends a comment line, with the file's line ending.
function addComment(text: string, line: string): string {
  const firstBreak = text.indexOf("\n");
  const eol = firstBreak > 0 && text[firstBreak - 1] === "\r" ? "\r\n" : "\n";
  const prefix = text === "" || text.endsWith("\n") ? text : text + eol;
  return prefix + line + eol;
}

// Drops the line retiring a key (a revoked key's lines are gone, and a
// retired line must name a listed key).
function removeRetiredLine(text: string, id: string): string {
  const pieces = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const line = formatRetiredLine(id);
  return pieces.filter((piece) => piece.replace(/\r?\n$/, "") !== line).join(
    "",
  );
}

function readPublicKeyArgument(
  argument: string,
): { key: Uint8Array; source: string } {
  if (/^ssh-[a-z0-9-]+ /.test(argument.trim())) {
    return {
      key: parsePublicKeyLine(argument.trim(), "the command line").key,
      source: "the command line",
    };
  }
  const bytes = readFileLimitedSync(argument, MAX_METADATA_BYTES);
  if (!bytes) {
    throw new ToolError(
      "BAD_PATH",
      `No public key file "${argument}" (give a .pub file or a key line)`,
    );
  }
  const text = new TextDecoder().decode(bytes);
  if (text.includes("PRIVATE KEY-----")) {
    throw new ToolError(
      "USAGE",
      `"${argument}" is a private key: give its public key (the .pub file) instead`,
    );
  }
  const line = text.split("\n").map((l) => l.trim()).find((l) =>
    l !== "" && !l.startsWith("#")
  );
  if (!line) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid public key "${argument}": the file is empty`,
    );
  }
  return { key: parsePublicKeyLine(line, argument).key, source: argument };
}

function coversNamespace(entry: AllowedSigner): boolean {
  return entry.namespaces === undefined ||
    entry.namespaces.includes(SIGNATURE_NAMESPACE);
}

async function writeTrustText(repo: Repository, text: string): Promise<void> {
  await assertRealFolders(repo, ALLOWED_SIGNERS_PATH);
  await fs.mkdir(join(repo.root, STORE_DIR), { recursive: true });
  await writeFileAtomic(join(repo.root, ALLOWED_SIGNERS_PATH), text);
}
