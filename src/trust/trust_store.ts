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
  SIGNATURE_NAMESPACE,
  STORE_DIR,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { readFileLimitedSync, writeFileAtomic } from "../fs/files.ts";
import { assertRealFolders, type Repository } from "../git/repository.ts";
import { keyId, parsePublicKeyLine } from "../format/public_key.ts";
import { withLock } from "../store/store.ts";
import { type StoreReader, workingTreeReader } from "../source/store_reader.ts";
import { toHex } from "../crypto/sha.ts";
import {
  addAllowedSigner,
  addRepositoryLine,
  type AllowedSigner,
  type AllowedSigners,
  formatAllowedSigner,
  parseAllowedSigners,
  removeAllowedSigners,
  validatePrincipal,
} from "./allowed_signers.ts";

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
 * command (sign, verify, inspect, trust) reads it.
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
  return await parseAllowedSigners(text, ALLOWED_SIGNERS_PATH);
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
