/**
 * The last step of signing: the store's changes written (new files, then
 * the index in one rename, then what is no longer named removed) and, for
 * the pre-commit hook, staged into the commit.
 *
 * @module
 */

import { INDEX_PATH } from "../constants.ts";
import { approvalFolder } from "../store/approvals.ts";
import { ToolError } from "../errors.ts";
import { git, type Repository } from "../git/repository.ts";
import { loadStatement } from "../verify/load_signed.ts";
import {
  applyChanges,
  artifactPath,
  signaturePath,
  statementPath,
  type StoreChanges,
} from "../store/store.ts";
import type { StoreReader } from "../source/store_reader.ts";

/**
 * Writes a signing run's changes to the store: drops what nothing names any
 * more, writes the new files and then the index, and, for pre-commit,
 * stages exactly the store's changes. Nothing is written when nothing new
 * was signed.
 *
 * @param repo The working tree.
 * @param reader Where the store is read (to see which artifacts are still named).
 * @param changes The new files, the new index and what they replace.
 * @param options `stage` (pre-commit), the `indexFile` the commit is made
 * from, and the `signed` paths (named when a temporary index is refused).
 * @throws {ToolError} `HOOKS` for a temporary index, `IO` when a write fails.
 *
 * @example
 * ```ts ignore
 * await writeChanges(repo, source.reader, changes, { stage: false, signed: [".mcp.json"] });
 * ```
 */
export async function writeChanges(
  repo: Repository,
  reader: StoreReader,
  changes: StoreChanges,
  options: { stage: boolean; indexFile?: string; signed: readonly string[] },
): Promise<void> {
  await pruneStillReferenced(reader, changes);
  if (changes.statements.size === 0) return;
  if (options.stage) refuseTemporaryIndex(options.indexFile, options.signed);
  await applyChanges(repo, changes);
  if (options.stage) await stageChanges(repo, changes);
}

async function pruneStillReferenced(
  reader: StoreReader,
  changes: StoreChanges,
): Promise<void> {
  // An artifact may be shared by several paths with identical bytes: keep
  // every artifact that a statement in the new index still names.
  if (
    changes.obsoleteArtifacts.length === 0 &&
    changes.obsoleteStatements.length === 0
  ) return;
  // Each new statement's artifact is among the new artifacts.
  const referenced = new Set<string>(changes.artifacts.keys());
  for (const id of changes.index.values()) {
    if (changes.statements.has(id)) continue;
    // An unreadable statement cannot keep anything alive.
    const artifact = await artifactNamedBy(reader, id);
    if (artifact) referenced.add(artifact);
  }
  // A statement that goes takes its artifact along (for a dropped config it
  // was the last reference), unless a statement in the new index names it.
  for (const id of changes.obsoleteStatements) {
    // An unreadable statement names no artifact we could trust.
    const artifact = await artifactNamedBy(reader, id);
    if (artifact) changes.obsoleteArtifacts.push(artifact);
  }
  changes.obsoleteArtifacts = [...new Set(changes.obsoleteArtifacts)].filter((
    id,
  ) => !referenced.has(id));
  const live = new Set(changes.index.values());
  changes.obsoleteStatements = [...new Set(changes.obsoleteStatements)].filter((
    id,
  ) => !live.has(id));
}

async function artifactNamedBy(
  reader: StoreReader,
  id: string,
): Promise<string | undefined> {
  const loaded = await loadStatement(reader, id).catch(() => undefined);
  return loaded?.statement.artifact;
}

async function stageChanges(
  repo: Repository,
  changes: StoreChanges,
): Promise<void> {
  // Stage exactly the store's files (as just written), nothing else the user
  // has in the working tree; removed ones leave the index too.
  const added = [
    INDEX_PATH,
    ...[...changes.artifacts.keys()].map(artifactPath),
    ...[...changes.statements.keys()].flatMap((
      id,
    ) => [statementPath(id), signaturePath(id)]),
  ];
  const removed = [
    ...changes.obsoleteStatements.flatMap((
      id,
    ) => [statementPath(id), signaturePath(id)]),
    ...changes.obsoleteArtifacts.map(artifactPath),
    ...await stagedApprovals(repo, changes.obsoleteStatements),
  ];
  // One git process: update-index applies each option to the paths after
  // it. Every path is under the store folder, so none can pass for an
  // option.
  await git(repo, [
    "update-index",
    "--add",
    ...added,
    ...(removed.length > 0 ? ["--force-remove", ...removed] : []),
  ]);
}

// The approval files of replaced statements that Git's index holds: they
// leave the commit with their statement (the working tree's copies are
// removed by applyChanges already).
async function stagedApprovals(
  repo: Repository,
  statements: readonly string[],
): Promise<string[]> {
  if (statements.length === 0) return [];
  const listed = new TextDecoder().decode(
    await git(repo, [
      "--literal-pathspecs",
      "ls-files",
      "--cached",
      "-z",
      "--",
      ...statements.map((id) => `${approvalFolder(id)}/`),
    ]),
  );
  return listed.split("\0").filter((path) => path !== "");
}

function refuseTemporaryIndex(
  indexFile: string | undefined,
  signedPaths: readonly string[],
): void {
  // "git commit PATHS" commits from a temporary index ("next-index-*.lock")
  // and then updates the real index with PATHS only: signatures staged here
  // would be in the commit but not in the real index, and the next commit
  // would quietly revert them.
  if (!/(^|[\\/])next-index-[^\\/]*\.lock$/.test(indexFile ?? "")) return;
  const signed = signedPaths.map((path) => `"${path}"`).join(", ");
  throw new ToolError(
    "HOOKS",
    `Commit refused: "git commit PATHS" commits from a temporary index, so the new signatures of ${signed} ` +
      `would not reach your index; stage the files with "git add" and run "git commit" without paths ` +
      `(or "git commit -i PATHS")`,
  );
}
