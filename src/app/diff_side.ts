/**
 * The two sides of `diff`: what an operand names (a commit, an artifact
 * id, the working tree or the index), and the configs each side holds.
 *
 * An operand of 64 lowercase hex digits is an artifact id first: the
 * SHA-256 of a signed config's bytes, whose bytes are the store's
 * `artifacts/<id>` in the working tree or, once re-signed, in the newest
 * commit that added it; the bytes must hash to the id. Any other operand is
 * a revision, as `git rev-parse --verify REV^{commit}` reads it.
 *
 * @module
 */

import { MAX_CONFIG_BYTES, TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { quote } from "../format/quote.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { commitId, git, type Repository } from "../git/repository.ts";
import { type ConfigKind, findConfigKind } from "../configs/config_kinds.ts";
import type { ConfigVersion } from "../configs/config_diff.ts";
import type { GitObjects } from "../source/cat_file.ts";
import {
  type ConfigSource,
  snapshotSource,
  workingTreeSource,
} from "../source/config_source.ts";
import { findConfigs, readConfigBytes } from "../source/find_configs.ts";
import {
  commitSnapshot,
  indexSnapshot,
  readCommit,
  type Snapshot,
} from "../source/snapshot.ts";
import type { StoreReader } from "../source/store_reader.ts";
import { artifactPath, readIndex } from "../store/store.ts";
import { loadStatement } from "../verify/load_signed.ts";

/** What a side of a diff is, as reports name it. */
export type SideLabel =
  | { type: "worktree" }
  | { type: "index" }
  | { type: "commit"; rev: string; commit: string }
  | { type: "empty"; rev: string }
  | { type: "artifact"; artifact: string; commit?: string };

/** One side of a diff. */
export interface DiffSide {
  /** What it is. */
  label: SideLabel;
  /** The configs it holds, by path (a full side: tree, index, commit). */
  source?: ConfigSource;
  /** A commit's or the index's entries, to pass over unchanged blobs. */
  snapshot?: Snapshot;
  /** An artifact's bytes and the paths it is signed at. */
  artifact?: { bytes: Uint8Array; paths: Map<string, ConfigKind> };
}

const ARTIFACT_ID = /^[0-9a-f]{64}$/;

/**
 * Resolves an operand of `diff`.
 *
 * @param repo The working tree.
 * @param objects The repository's objects.
 * @param operand A revision or an artifact id; `undefined` for the
 * working tree, `":index"` for the index (what `--staged` compares).
 * @returns The side.
 * @throws {ToolError} `USAGE` for an operand that starts with "-", or names
 * neither a commit nor an artifact id; `BAD_PATH` for an artifact id that
 * no signed config has; `INVALID_FORMAT` for an artifact whose bytes do not
 * hash to its id.
 *
 * @example
 * ```ts ignore
 * const side = await resolveSide(repo, objects, "HEAD~1");
 * ```
 */
export async function resolveSide(
  repo: Repository,
  objects: GitObjects,
  operand: string | undefined,
): Promise<DiffSide> {
  if (operand === undefined) {
    return { label: { type: "worktree" }, source: workingTreeSource(repo) };
  }
  if (operand === ":index") {
    const snapshot = await indexSnapshot(repo, objects);
    return {
      label: { type: "index" },
      source: snapshotSource(snapshot, objects, "index"),
      snapshot,
    };
  }
  if (operand === "" || operand.startsWith("-") || /[\n\r]/.test(operand)) {
    throw new ToolError(
      "USAGE",
      `"${operand}" is neither a revision nor an artifact id: a revision may not be empty, start with "-" or hold a line break`,
    );
  }
  if (ARTIFACT_ID.test(operand)) {
    const found = await findArtifact(repo, objects, operand);
    if (found) return found;
  }
  const commit = await commitId(repo, operand);
  if (commit === undefined) {
    if (ARTIFACT_ID.test(operand)) {
      throw new ToolError(
        "BAD_PATH",
        `No signed config has the artifact id "${operand}" (in the working tree or in any commit), and no commit has that id`,
      );
    }
    throw new ToolError(
      "USAGE",
      `"${operand}" is neither a revision nor an artifact id (64 lowercase hex digits): no branch, tag or commit has that name here`,
    );
  }
  return await commitSide(objects, operand, commit);
}

/**
 * The side of a commit already resolved.
 *
 * @param objects The repository's objects.
 * @param rev The revision as the user named it.
 * @param commit Its full id.
 * @returns The side.
 * @throws {ToolError} `IO` for a missing or malformed commit or tree.
 *
 * @example
 * ```ts ignore
 * const head = await commitSide(objects, "HEAD", id);
 * ```
 */
export async function commitSide(
  objects: GitObjects,
  rev: string,
  commit: string,
): Promise<DiffSide> {
  const info = await readCommit(objects, commit);
  const snapshot = await commitSnapshot(objects, info);
  return {
    label: { type: "commit", rev, commit },
    source: snapshotSource(snapshot, objects, commit),
    snapshot,
  };
}

/**
 * The side of a revision that names no commit yet: `HEAD` before the first
 * commit, which holds nothing.
 *
 * @param rev The revision.
 * @returns A side without configs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptySide } from "./diff_side.ts";
 * assert.deepEqual(emptySide("HEAD").label, { type: "empty", rev: "HEAD" });
 * ```
 */
export function emptySide(rev: string): DiffSide {
  return { label: { type: "empty", rev } };
}

/**
 * The kinds of config a side recognises, and the configs it holds: every
 * one, or only those of `paths`.
 *
 * @param side The side.
 * @returns Path → kind (and, for one a link or submodule hides, why it
 * cannot be read).
 * @throws {ToolError} As {@linkcode findConfigs}.
 *
 * @example
 * ```ts ignore
 * const configs = await sideConfigs(side);
 * ```
 */
export async function sideConfigs(
  side: DiffSide,
): Promise<Map<string, { kind: ConfigKind; hidden?: string }>> {
  const found = new Map<string, { kind: ConfigKind; hidden?: string }>();
  if (side.artifact) {
    for (const [path, kind] of side.artifact.paths) found.set(path, { kind });
  }
  if (!side.source) return found;
  const kinds = await side.source.kinds();
  for (const target of await findConfigs(side.source, { kinds })) {
    found.set(target.path, {
      kind: target.kind,
      ...(target.hidden ? { hidden: target.hidden.reason } : {}),
    });
  }
  return found;
}

/**
 * The kind a side reads a path as, if it is a config there.
 *
 * @param side The side.
 * @param path Repository-relative path.
 * @returns Its kind, or undefined.
 * @throws {ToolError} When the side's repository patterns cannot be read.
 *
 * @example
 * ```ts ignore
 * const kind = await sideKind(side, ".mcp.json");
 * ```
 */
export async function sideKind(
  side: DiffSide,
  path: string,
): Promise<ConfigKind | undefined> {
  const own = side.artifact?.paths.get(path);
  if (own) return own;
  if (!side.source) return undefined;
  return findConfigKind(path, await side.source.kinds());
}

/**
 * One config's version on a side: its bytes, absent, or why it cannot be
 * read.
 *
 * @param side The side.
 * @param path Repository-relative path.
 * @param kind The kind to read it as.
 * @returns The version (no bytes and no error: absent).
 * @throws {Error} Only on a bug.
 *
 * @example
 * ```ts ignore
 * const version = await sideVersion(side, ".mcp.json", kind);
 * ```
 */
export async function sideVersion(
  side: DiffSide,
  path: string,
  kind: ConfigKind,
): Promise<ConfigVersion> {
  if (side.artifact) {
    return side.artifact.paths.has(path)
      ? { path, kind, bytes: side.artifact.bytes }
      : { path, kind };
  }
  if (!side.source) return { path, kind };
  try {
    const bytes = await readConfigBytes(side.source, path);
    return bytes === undefined ? { path, kind } : { path, kind, bytes };
  } catch (error) {
    if (error instanceof ToolError) {
      return { path, kind, error: error.message };
    }
    throw error;
  }
}

// An artifact's bytes and the paths signed with it: the working tree's
// store first, then the newest commit that added the artifact.
async function findArtifact(
  repo: Repository,
  objects: GitObjects,
  id: string,
): Promise<DiffSide | undefined> {
  const tree = workingTreeSource(repo);
  const here = await artifactIn(tree.reader, tree, id);
  if (here) {
    return { label: { type: "artifact", artifact: id }, artifact: here };
  }
  const out = await git(repo, [
    "log",
    "--all",
    "--format=%H",
    "-n",
    "1",
    "--diff-filter=A",
    "--",
    artifactPath(id),
  ]).catch(() => undefined);
  const commit = out && new TextDecoder().decode(out).trim();
  if (!commit) return undefined;
  const snapshot = await commitSnapshot(
    objects,
    await readCommit(objects, commit),
  );
  const source = snapshotSource(snapshot, objects, commit);
  const found = await artifactIn(snapshot, source, id);
  return found
    ? { label: { type: "artifact", artifact: id, commit }, artifact: found }
    : undefined;
}

// The artifact in one store: its bytes (which must hash to the id) and the
// paths whose current statement names it.
async function artifactIn(
  reader: StoreReader,
  source: ConfigSource,
  id: string,
): Promise<{ bytes: Uint8Array; paths: Map<string, ConfigKind> } | undefined> {
  const file = artifactPath(id);
  const bytes = await reader.read(file, MAX_CONFIG_BYTES).catch(() =>
    undefined
  );
  if (!bytes) {
    // A statement that names the artifact while its bytes are gone: say
    // so, rather than that no signed config has the id.
    const signed = await signedPaths(reader, source, id);
    if (signed.size === 0) return undefined;
    throw new ToolError(
      "BAD_PATH",
      `The artifact "${file}" (${source.label}) is missing, though the signed statement of ${
        [...signed.keys()].map(quote).join(", ")
      } names it: restore it from Git, or sign the config again`,
    );
  }
  if (await sha256Hex(bytes) !== id) {
    throw new ToolError(
      "INVALID_FORMAT",
      `The artifact "${file}" (${source.label}) does not hash to its name: it was changed by hand`,
    );
  }
  const paths = await signedPaths(reader, source, id);
  return paths.size > 0 ? { bytes, paths } : undefined;
}

// The paths whose current statement names the artifact, with their kinds.
async function signedPaths(
  reader: StoreReader,
  source: ConfigSource,
  id: string,
): Promise<Map<string, ConfigKind>> {
  const index = await readIndex(reader).catch(() => new Map<string, string>());
  const kinds = await source.kinds();
  const paths = new Map<string, ConfigKind>();
  for (const [path, statementId] of index) {
    const loaded = await loadStatement(reader, statementId).catch(() =>
      undefined
    );
    if (loaded?.statement.artifact !== id) continue;
    const kind = findConfigKind(path, kinds);
    if (!kind) {
      throw new ToolError(
        "BAD_PATH",
        `The artifact "${id}" is signed for "${path}", which is not a recognised MCP config any more: see "${TOOL_NAME} sign --help"`,
      );
    }
    paths.set(path, kind);
  }
  return paths;
}
