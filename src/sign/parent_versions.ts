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
import type { GitObjects } from "../git/cat_file.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { parseStatement, type Statement } from "../store/statement.ts";
import {
  artifactPath,
  readIndex,
  readStatement,
  type StoreReader,
} from "../store/store.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import { verifyConfig } from "../verify/verify_config.ts";

/** One parent's version of a path. */
export interface ParentVersion {
  /** The parent commit. */
  commit: string;
  /** Its statement id for the path. */
  statementId: string;
  /** The statement. */
  statement: Statement;
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
 * const next = nextVersion(versions);
 * ```
 */
export class ParentVersions {
  readonly #parents: ParentStore[];

  private constructor(parents: ParentStore[]) {
    this.#parents = parents;
  }

  /**
   * Reads the store of HEAD and of each extra parent.
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
      const reader = commitReader(objects, commit);
      let index: StoreIndex;
      try {
        index = await readIndex(reader);
      } catch (error) {
        throw new ToolError(
          "INVALID_FORMAT",
          `Cannot sign: the index of commit ${
            commit.slice(0, 12)
          } cannot be read (${
            errorMessage(error)
          }), so no new version can be shown to follow it`,
          { cause: error },
        );
      }
      const trust = await readTrust(reader).catch(() => undefined);
      parents.push({ commit, reader, index, trust });
    }
    return new ParentVersions(parents);
  }

  /** The parent commits, HEAD first. */
  get commits(): string[] {
    return this.#parents.map((parent) => parent.commit);
  }

  /**
   * Each parent's version of a path, checked: its statement is intact
   * (stored under its hash, strictly parsed), validly signed, for this path
   * and for the repository that parent names. Its signer may have lost the
   * parent's trust since (a revoked teammate's version is re-signed by
   * someone else, continuing its chain): a later version must follow it,
   * and following it gives it no power (see docs/SECURITY.md).
   *
   * @param path The config's path.
   * @returns One entry per parent that has a version of the path.
   * @throws {ToolError} `INVALID_FORMAT` for a version that fails a check.
   */
  async of(path: string): Promise<ParentVersion[]> {
    const versions: ParentVersion[] = [];
    for (const parent of this.#parents) {
      const id = parent.index.get(path);
      if (!id) continue;
      const short = parent.commit.slice(0, 12);
      const unusable = (problem: string): never => {
        throw new ToolError(
          "INVALID_FORMAT",
          `Cannot sign "${path}": its version in commit ${short} (statement "${id}") ${problem}, ` +
            "so a new version cannot follow it; restore that commit's store, or ask for help " +
            `(docs/SECURITY.md, "Rollback")`,
        );
      };
      const stored = await readStatement(parent.reader, id).catch(() =>
        undefined
      );
      if (!stored) unusable("is missing or unreadable");
      let statement: Statement;
      try {
        statement = parseStatement(stored!.bytes, id);
      } catch (error) {
        return unusable(`cannot be parsed (${errorMessage(error)})`);
      }
      // The stored artifact stands for the file: a deleted config's
      // version (a tombstone) is followed like any other.
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
        result.code === "EXPIRED_KEY";
      if (!result.ok && !trustOnly) {
        unusable(`does not verify (${result.code}: ${result.reason})`);
      }
      versions.push({ commit: parent.commit, statementId: id, statement });
    }
    return versions;
  }
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
 * them, or links to each and comes after it.
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
  return versions.every((version) =>
    version.statementId === statementId ||
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
