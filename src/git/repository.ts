/**
 * The Git working tree the tool operates on, and the mapping from what a user
 * types to a repository-relative path. Git is started directly (see
 * `runtime.ts`), never through a shell.
 *
 * @module
 */

import { promises as fs } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { ToolError } from "../errors.ts";
import { runProcess } from "../runtime.ts";

/** A Git working tree. */
export interface Repository {
  /** Absolute, symlink-free path of the working tree's top folder. */
  root: string;
  /** Absolute path of this working tree's git folder (per worktree). */
  gitDir: string;
}

/**
 * Finds the Git working tree that contains `cwd`.
 *
 * @param cwd A folder inside the working tree.
 * @returns The working tree's root and git folder.
 * @throws {ToolError} `NOT_A_REPOSITORY` outside a working tree (or in a bare one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findRepository } from "./repository.ts";
 * try {
 *   await findRepository("/");
 * } catch (error) {
 *   assert.ok((error as { code?: string }).code === "NOT_A_REPOSITORY");
 * }
 * ```
 */
export async function findRepository(cwd: string): Promise<Repository> {
  const out = await runProcess("git", [
    "rev-parse",
    "--show-toplevel",
    "--absolute-git-dir",
  ], { cwd });
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  if (out.code !== 0 || !lines[0] || !lines[1]) {
    throw new ToolError(
      "NOT_A_REPOSITORY",
      `Not inside a Git working tree: "${cwd}" (run the command from your repository, or "git init" first)`,
    );
  }
  return { root: await fs.realpath(lines[0]), gitDir: lines[1] };
}

/**
 * Runs git in the repository and returns its standard output.
 *
 * @param repo The working tree.
 * @param args Git's arguments.
 * @returns Standard output bytes.
 * @throws {ToolError} `IO` when git exits non-zero, with git's message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { git } from "./repository.ts";
 * const out = await git({ root: "/", gitDir: "/" }, ["--version"]);
 * assert.ok(new TextDecoder().decode(out).startsWith("git version"));
 * ```
 */
export async function git(
  repo: Repository,
  args: string[],
): Promise<Uint8Array> {
  const out = await runProcess("git", args, { cwd: repo.root });
  if (out.code !== 0) {
    throw new ToolError(
      "IO",
      `git ${args[0]} failed: ${out.stderr.trim() || `exit code ${out.code}`}`,
    );
  }
  return out.stdout;
}

/**
 * Lists the files of the working tree that Git tracks or would track (tracked
 * and untracked-but-not-ignored), as repository-relative paths, sorted.
 *
 * @param repo The working tree.
 * @returns Paths such as `.cursor/mcp.json`.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * import { findRepository, listWorkingTreeFiles } from "./repository.ts";
 * const files = await listWorkingTreeFiles(await findRepository("."));
 * ```
 */
export async function listWorkingTreeFiles(
  repo: Repository,
): Promise<string[]> {
  const out = await git(repo, [
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
  ]);
  const paths = new TextDecoder().decode(out).split("\0").filter((path) =>
    path !== ""
  );
  return [...new Set(paths)].sort(comparePaths);
}

/**
 * Turns a path as the user typed it into a repository-relative,
 * "/"-separated path, refusing anything outside the working tree, including
 * through a symlinked folder.
 *
 * @param repo The working tree.
 * @param cwd The folder the path is relative to.
 * @param userPath The path as typed.
 * @returns The repository-relative path.
 * @throws {ToolError} `BAD_PATH` when the path is outside the repository.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toRepoPath } from "./repository.ts";
 * const repo = { root: "/tmp", gitDir: "/tmp/.git" };
 * assert.ok((await toRepoPath(repo, "/tmp", "x/.mcp.json")) === "x/.mcp.json");
 * ```
 */
export async function toRepoPath(
  repo: Repository,
  cwd: string,
  userPath: string,
): Promise<string> {
  const absolute = resolve(cwd, userPath);
  const lexical = relative(repo.root, absolute);
  if (lexical === "" || lexical.startsWith("..") || isAbsolute(lexical)) {
    throw new ToolError(
      "BAD_PATH",
      `Refusing "${userPath}": it is outside the repository "${repo.root}"`,
    );
  }
  // The folder holding the file must really be inside the tree: a symlinked
  // folder could otherwise lead a path that looks inside to a file outside.
  const parent = resolve(absolute, "..");
  const realParent = await fs.realpath(parent).catch(() => parent);
  const real = relative(repo.root, realParent);
  if (real.startsWith("..") || isAbsolute(real)) {
    throw new ToolError(
      "BAD_PATH",
      `Refusing "${userPath}": its folder leads outside the repository through a symbolic link`,
    );
  }
  return lexical.split(sep).join("/");
}

/**
 * Orders paths by UTF-16 code units, the one order every file uses.
 *
 * @param a A path.
 * @param b Another path.
 * @returns Negative, zero or positive, as for `Array.prototype.sort`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { comparePaths } from "./repository.ts";
 * assert.ok(["b", "a"].sort(comparePaths)[0] === "a");
 * ```
 */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
