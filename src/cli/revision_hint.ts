/**
 * Says which revision of `verify --rev` or `--range` does not exist, and,
 * when it names a remote-tracking branch (`origin/main`), that the clone
 * has not fetched it: the usual cause in CI, where a shallow or single-branch
 * checkout lacks the base branch.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import { commitId, git, type Repository } from "../git/repository.ts";

/**
 * The revisions a `--rev` value or a `--range` value names: `A..B` and
 * `A...B` name `A` and `B` (an empty side is HEAD, which git reports).
 *
 * @param what The `--rev` or `--range` value.
 * @returns The revisions, without empty ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namedRevisions } from "./revision_hint.ts";
 * assert.deepEqual(namedRevisions({ range: "origin/main...HEAD" }), ["origin/main", "HEAD"]);
 * assert.deepEqual(namedRevisions({ rev: "v1" }), ["v1"]);
 * ```
 */
export function namedRevisions(
  what: { rev: string } | { range: string },
): string[] {
  if ("rev" in what) return [what.rev];
  return what.range.split(/\.{2,3}/).filter((rev) => rev !== "");
}

/**
 * Rewrites the error of a history verification that failed because a
 * revision does not exist: it names the revision, and for a
 * remote-tracking one says to run `git fetch REMOTE`. Any other error comes
 * back as it was. Runs git only on this error path.
 *
 * @param repo The repository.
 * @param what The `--rev` or `--range` value.
 * @param error What the verification threw.
 * @returns The error to report.
 *
 * @example
 * ```ts ignore
 * throw await explainMissingRevision(repo, { range: "origin/main..HEAD" }, error);
 * ```
 */
export async function explainMissingRevision(
  repo: Repository,
  what: { rev: string } | { range: string },
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof ToolError)) return error;
  const missing: string[] = [];
  for (const rev of namedRevisions(what)) {
    // Only a revision shaped like one: the option's value is not checked
    // here, and git must not read it as an option.
    if (rev.startsWith("-")) continue;
    const found = await commitId(repo, rev) !== undefined;
    if (!found) missing.push(rev);
  }
  const [rev] = missing;
  if (rev === undefined) return error;
  const remote = await remoteOf(repo, rev);
  const given = "rev" in what ? `--rev ${what.rev}` : `--range ${what.range}`;
  const detail = remote
    ? `it names a branch of the remote "${remote}" that this clone has not fetched: ` +
      `run "git fetch ${remote}" first (in CI, check out with the whole history, e.g. fetch-depth: 0)`
    : "no branch, tag or commit has that name here";
  return new ToolError(
    error.code,
    `Cannot verify "${given}": the revision "${rev}" does not exist; ${detail}`,
    { cause: error },
  );
}

// The remote a revision names a branch of (`origin/x`, `remotes/origin/x`,
// `refs/remotes/origin/x`, with any `~N`, `^N` or `@{…}` after it).
async function remoteOf(
  repo: Repository,
  rev: string,
): Promise<string | undefined> {
  const name = rev.replace(/[~^@:].*$/, "").replace(/^(refs\/)?remotes\//, "");
  const remotes = await git(repo, ["remote"]).then(
    (out) => new TextDecoder().decode(out).split("\n").filter(Boolean),
    () => [],
  );
  // The longest match: a remote may be called "origin/mirror".
  return remotes.filter((remote) => name.startsWith(`${remote}/`))
    .sort((a, b) => b.length - a.length)[0];
}
