/**
 * What a new signature continues from: the versions of a path that the next
 * commit's parents hold (HEAD, and each `MERGE_HEAD` while a merge is being
 * completed), each checked before anything is built on it. History
 * verification compares a commit with its parents, so that is what a new
 * statement must follow: not whatever the working tree's index names, which
 * may be uncommitted, or brought from elsewhere.
 *
 * @module
 */

import { MAX_CONFIG_BYTES, MAX_SEQUENCE } from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import type { GitObjects } from "../source/cat_file.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { loadStatement } from "../verify/load_signed.ts";
import type { Statement } from "../store/statement.ts";
import { artifactPath, readIndex } from "../store/store.ts";
import type { StoreReader } from "../source/store_reader.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import type { CheckedStatement } from "../verify/signed_config.ts";
import { verifyConfig } from "../verify/verify_config.ts";

/** One parent's version of a path. */
export interface ParentVersion {
  /** The parent commit. */
  commit: string;
  /** Its statement id for the path. */
  statementId: string;
  /** The statement. */
  statement: Statement;
  /** Whether the file is there; false for a deleted config (a tombstone). */
  live: boolean;
}

/** The sequence and links of a new version. */
export interface NextVersion {
  /** One more than every version it follows, or 1. */
  sequence: number;
  /** The artifacts it follows, sorted and distinct. */
  previous: string[];
}

interface ParentStore {
  commit: string;
  reader: StoreReader;
  index: StoreIndex;
  trust: AllowedSigners | undefined;
}

/**
 * The parents of the next commit, and their signed versions.
 *
 * @example
 * ```ts ignore
 * const parents = await ParentVersions.read(objects, mergeHeads);
 * const versions = await parents.of(".mcp.json");
 * const next = nextVersion(".mcp.json", versions);
 * ```
 */
export class ParentVersions {
  readonly #parents: ParentStore[];
  readonly #amended: ParentStore | undefined;

  private constructor(parents: ParentStore[], amended?: ParentStore) {
    this.#parents = parents;
    this.#amended = amended;
  }

  /**
   * Reads the store of HEAD, of each extra parent, and of HEAD's first
   * parent (see {@linkcode ParentVersions.ofAmended}).
   *
   * @param objects The repository's objects.
   * @param mergeHeads The other parents of a merge being completed (the
   * lines of `MERGE_HEAD`), or none.
   * @returns The parents; none before the first commit.
   * @throws {ToolError} `INVALID_FORMAT` when a parent's index cannot be read.
   */
  static async read(
    objects: GitObjects,
    mergeHeads: readonly string[] = [],
  ): Promise<ParentVersions> {
    const head = await objects.read("HEAD^{commit}", MAX_CONFIG_BYTES)
      .catch(() => undefined);
    const commits = [
      ...(head ? [head.oid] : []),
      ...mergeHeads.filter((id) => id !== head?.oid),
    ];
    const parents: ParentStore[] = [];
    for (const commit of commits) {
      parents.push(await readStore(objects, commit));
    }
    // "git commit --amend" replaces HEAD: the new commit's parent is then
    // HEAD's first parent, which a hook cannot tell from a plain commit.
    const first = head
      ? await objects.read(`${head.oid}^1^{commit}`, MAX_CONFIG_BYTES)
        .catch(() => undefined)
      : undefined;
    const amended = first
      ? await readStore(objects, first.oid).catch(() => undefined)
      : undefined;
    return new ParentVersions(parents, amended);
  }

  /** The parent commits, HEAD first. */
  get commits(): string[] {
    return this.#parents.map((parent) => parent.commit);
  }

  /**
   * Whether every parent's index names this very statement for a path (so a
   * config the commit leaves alone is still the parents' version, with no
   * statement to read or check).
   *
   * @param path The config's path.
   * @param statementId The statement id the next commit names.
   * @returns True when each parent names it (and there is a parent).
   */
  allName(path: string, statementId: string): boolean {
    return this.#parents.length > 0 &&
      this.#parents.every((parent) => parent.index.get(path) === statementId);
  }

  /**
   * Each parent's version of a path, checked: its statement is intact
   * (stored under its hash, strictly parsed), validly signed, for this path
   * and for the repository that parent names, and, when the file is there,
   * signed by a key that parent's trust list trusted at the signing time (a
   * revoked teammate's config is re-signed while HEAD still lists her), or
   * by the key about to sign. A
   * deleted config's version (a tombstone) may be signed by a key trusted
   * no more: it was checked when it was made, and it is only followed.
   *
   * @param path The config's path.
   * @param options `signer`: the key id about to sign, whose own earlier
   * versions may be followed although no trust list named it then (signed
   * before `trust add`).
   * @returns One entry per parent that has a version of the path.
   * @throws {ToolError} `INVALID_FORMAT` for a version that fails a check.
   */
  async of(
    path: string,
    options: { signer?: string } = {},
  ): Promise<ParentVersion[]> {
    const versions: ParentVersion[] = [];
    for (const parent of this.#parents) {
      const version = await checkedVersion(parent, path, options.signer);
      if (version) versions.push(version);
    }
    return versions;
  }

  /**
   * The version of a path that HEAD's first parent holds: the parent of a
   * commit that amends HEAD. A new version follows it too (besides HEAD's),
   * so that it fits whether the commit amends HEAD or not; it is only ever
   * an extra link, never required.
   *
   * @param path The config's path.
   * @returns The version, or undefined when there is none or it does not
   * pass the checks of {@linkcode ParentVersions.of}.
   */
  async ofAmended(
    path: string,
    options: { signer?: string } = {},
  ): Promise<ParentVersion | undefined> {
    if (!this.#amended) return undefined;
    return await checkedVersion(this.#amended, path, options.signer).catch(
      () => undefined,
    );
  }
}

async function readStore(
  objects: GitObjects,
  commit: string,
): Promise<ParentStore> {
  const reader = commitReader(objects, commit);
  let index: StoreIndex;
  try {
    index = await readIndex(reader);
  } catch (error) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot sign: the signature index of commit ${
        commit.slice(0, 12)
      } cannot be read (${
        errorMessage(error)
      }), so no new version can be shown to follow it`,
      { cause: error },
    );
  }
  const trust = await readTrust(reader).catch(() => undefined);
  return { commit, reader, index, trust };
}

async function checkedVersion(
  parent: ParentStore,
  path: string,
  signer?: string,
): Promise<ParentVersion | undefined> {
  const id = parent.index.get(path);
  if (!id) return undefined;
  const short = parent.commit.slice(0, 12);
  const unusable = (problem: string): never => {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot sign "${path}": its version in commit ${short} (statement "${id}") ${problem}, ` +
        "so a new version cannot follow it; restore that commit's store, or ask for help " +
        `(docs/SECURITY.md, "Rollback")`,
    );
  };
  let stored: CheckedStatement | undefined;
  try {
    stored = await loadStatement(parent.reader, id);
  } catch (error) {
    return unusable(`cannot be read (${errorMessage(error)})`);
  }
  if (!stored) return unusable("is missing");
  const statement = stored.statement;
  const live = await parent.reader.read(path, MAX_CONFIG_BYTES).then(
    (file) => file !== undefined,
    () => true, // There, but not a readable file: not a tombstone.
  );
  // The stored artifact stands for the file, so a tombstone is checked
  // like any other version.
  const bytes = await parent.reader.read(
    artifactPath(statement.artifact),
    MAX_CONFIG_BYTES,
  ).catch(() => undefined);
  const result = await verifyConfig(
    {
      reader: parent.reader,
      index: parent.index,
      trust: parent.trust,
      now: statement.signedAt,
    },
    path,
    bytes ?? new Uint8Array(),
  );
  const trustOnly = result.code === "UNTRUSTED_SIGNER" ||
    result.code === "EXPIRED_KEY" || result.code === "REVOKED_KEY" ||
    result.code === "RETIRED_KEY";
  // An untrusted key's live version is followed only by that same key
  // (signed before it was trusted): anyone else would carry on a chain
  // whose sequence its author chose, perhaps at the limit.
  const tolerated = trustOnly && (!live || statement.signer === signer);
  if (!result.ok && !tolerated) {
    unusable(`does not verify there (${result.code}: ${result.reason})`);
  }
  return { commit: parent.commit, statementId: id, statement, live };
}

/**
 * The sequence and links of a version that follows `versions`.
 *
 * @param path The config's path, for errors.
 * @param versions The parents' versions (see {@linkcode ParentVersions.of}).
 * @returns Sequence 1 and no links when there are none; else one more than
 * the highest sequence, following every distinct artifact.
 * @throws {ToolError} `INVALID_FORMAT` past {@linkcode MAX_SEQUENCE}.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { nextVersion } from "./parent_versions.ts";
 * deepEqual(nextVersion(".mcp.json", []), { sequence: 1, previous: [] });
 * ```
 */
export function nextVersion(
  path: string,
  versions: readonly ParentVersion[],
): NextVersion {
  if (versions.length === 0) return { sequence: 1, previous: [] };
  const highest = Math.max(...versions.map((v) => v.statement.sequence));
  if (highest >= MAX_SEQUENCE) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot sign "${path}": its sequence number ${highest} is at the limit of ${MAX_SEQUENCE}`,
    );
  }
  return {
    sequence: highest + 1,
    previous: [...new Set(versions.map((v) => v.statement.artifact))].sort(),
  };
}

/**
 * Whether a statement already follows every parent's version: it is one of
 * them (a live one: a deleted config that comes back needs a new version),
 * or links to each and comes after it.
 *
 * @param statementId The statement's id.
 * @param statement The statement.
 * @param versions The parents' versions.
 * @returns True when history verification would accept it against them.
 *
 * @example
 * ```ts ignore
 * if (!followsAll(id, statement, await parents.of(path))) resign();
 * ```
 */
export function followsAll(
  statementId: string,
  statement: Statement,
  versions: readonly ParentVersion[],
): boolean {
  // A tombstone's statement is not the version of a file that is back: that
  // needs a new version which follows it.
  return versions.every((version) =>
    (version.statementId === statementId && version.live) ||
    (statement.previous.includes(version.statement.artifact) &&
      statement.sequence > version.statement.sequence)
  );
}

function commitReader(objects: GitObjects, commit: string): StoreReader {
  return {
    read: async (path, maxBytes) => {
      const object = await objects.read(`${commit}:${path}`, maxBytes);
      if (!object) return undefined;
      if (object.type !== "blob") {
        throw new ToolError(
          "BAD_PATH",
          `Refusing "${path}" in commit ${commit.slice(0, 12)}: not a file`,
        );
      }
      return object.bytes;
    },
  };
}
