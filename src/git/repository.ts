/**
 * The Git working tree the tool operates on, and the mapping from what a user
 * types to a repository-relative path. Git is started directly (see
 * `runtime.ts`), never through a shell.
 *
 * @module
 */

import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ToolError } from "../errors.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { describeErrno, isErrno } from "../fs/files.ts";
import { runProcess } from "../_runtime/process.ts";

// A repository's own .git/config must not run programs while we inspect it
// (core.fsmonitor names a command that "git ls-files" would start), and
// replace refs must not show us other objects than the ones being checked.
const SAFE_GIT = ["--no-replace-objects", "-c", "core.fsmonitor=false"];

/** A Git working tree. */
export interface Repository {
  /** Absolute, symlink-free path of the working tree's top folder. */
  root: string;
  /** Absolute path of this working tree's git folder (per worktree). */
  gitDir: string;
  /**
   * Absolute paths of {@linkcode GIT_PATHS} as `git rev-parse --git-path`
   * gives them, when found together with the repository (one git process
   * fewer for pre-commit).
   */
  gitPaths?: Readonly<Record<string, string>>;
  /**
   * How long a run waits for another run's repository lock, in milliseconds
   * (default 15 s). Set only by code that builds a Repository itself (tests);
   * no flag or environment variable reaches it.
   */
  lockTimeoutMs?: number;
}

/**
 * The files Git leaves in its folder while it completes an operation that
 * brings in other people's commits, and the operation each stands for.
 */
export const OPERATION_MARKERS: Readonly<Record<string, string>> = Object
  .freeze({
    MERGE_HEAD: "merge",
    CHERRY_PICK_HEAD: "cherry-pick",
    REVERT_HEAD: "revert",
    SQUASH_MSG: "squash merge",
    "rebase-merge": "rebase",
    "rebase-apply": "rebase",
    // Left by a merge, cherry-pick or revert that stopped before committing,
    // "git cherry-pick -n" among them, which leaves no CHERRY_PICK_HEAD.
    MERGE_MSG: "merge, cherry-pick or revert",
  });

/**
 * The files in Git's folder that the tool looks at: the
 * {@linkcode OPERATION_MARKERS}, the index the commit is made from, and
 * `info/attributes`.
 */
export const GIT_PATHS: readonly string[] = Object.freeze([
  ...Object.keys(OPERATION_MARKERS),
  "index",
  // The clone's own attributes, which apply besides the repository's
  // .gitattributes (src/source/checkout_attributes.ts).
  "info/attributes",
]);

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
  const base = [
    ...SAFE_GIT,
    "rev-parse",
    "--show-toplevel",
    "--absolute-git-dir",
  ];
  let out = await runProcess("git", [
    ...base,
    "--path-format=absolute",
    ...GIT_PATHS.flatMap((name) => ["--git-path", name]),
  ], { cwd });
  // Git before 2.31 has no --path-format: ask for the repository alone.
  if (out.code !== 0) out = await runProcess("git", base, { cwd });
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  if (out.code !== 0 || !lines[0] || !lines[1]) {
    throw new ToolError(
      "NOT_A_REPOSITORY",
      `Not inside a Git working tree: "${cwd}" (run the command from your repository, or "git init" first)`,
    );
  }
  const paths = lines.slice(2, 2 + GIT_PATHS.length);
  return {
    root: await fs.realpath(lines[0]),
    gitDir: lines[1],
    ...(paths.length === GIT_PATHS.length && paths.every((path) => path)
      ? {
        gitPaths: Object.fromEntries(
          GIT_PATHS.map((name, i) => [name, paths[i]!]),
        ),
      }
      : {}),
  };
}

/**
 * Finds the Git folder that `cwd` is in or below, with or without a working
 * tree: where a server's hooks run (Git starts them in the repository's Git
 * folder, with `GIT_DIR` set). Only Git objects and refs are read there, so
 * the returned repository's `root` is the Git folder itself.
 *
 * @param cwd The Git folder, or a folder inside the repository.
 * @returns The repository, `root` and `gitDir` both its Git folder.
 * @throws {ToolError} `NOT_A_REPOSITORY` outside a repository.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, realpath, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { runProcess } from "../_runtime/process.ts";
 * import { findGitFolder } from "./repository.ts";
 * const dir = await realpath(await mkdtemp(join(tmpdir(), "doc-")));
 * await runProcess("git", ["init", "-q", "--bare", dir]);
 * assert.deepEqual(await findGitFolder(dir), { root: dir, gitDir: dir });
 * await rm(dir, { recursive: true });
 * ```
 */
export async function findGitFolder(cwd: string): Promise<Repository> {
  const out = await runProcess("git", [
    ...SAFE_GIT,
    "rev-parse",
    "--absolute-git-dir",
  ], { cwd });
  const dir = new TextDecoder().decode(out.stdout).replace(/\n$/, "");
  if (out.code !== 0 || dir === "") {
    throw new ToolError(
      "NOT_A_REPOSITORY",
      `Not inside a Git repository: "${cwd}"`,
    );
  }
  // GIT_DIR may be relative ("." in a server's hooks): git must keep
  // running from the folder it names.
  const real = await fs.realpath(dir);
  return { root: real, gitDir: real };
}

/**
 * Tells whether `cwd` is in a bare repository (one without a working
 * tree, as on a Git server).
 *
 * @param cwd A folder.
 * @returns True for a bare repository; false in a working tree or outside
 *   any repository.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isBareRepository } from "./repository.ts";
 * assert.equal(await isBareRepository("/"), false);
 * ```
 */
export async function isBareRepository(cwd: string): Promise<boolean> {
  const out = await runProcess("git", [
    ...SAFE_GIT,
    "rev-parse",
    "--is-bare-repository",
  ], { cwd });
  return out.code === 0 &&
    new TextDecoder().decode(out.stdout).trim() === "true";
}

/** Options for {@linkcode git}. */
export interface GitOptions {
  /** Bytes for git's standard input (for `--stdin`), which is then closed. */
  stdin?: Uint8Array;
  /**
   * Variables set for git on top of the environment it inherits, such as
   * `GIT_INDEX_FILE` for a temporary index.
   */
  env?: Readonly<Record<string, string>>;
}

/**
 * Runs git in the repository and returns its standard output.
 *
 * @param repo The working tree.
 * @param args Git's arguments.
 * @param options Standard input and extra environment.
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
  options: GitOptions = {},
): Promise<Uint8Array> {
  const out = await runProcess("git", [...SAFE_GIT, ...args], {
    cwd: repo.root,
    ...options,
  });
  if (out.code !== 0) {
    // Named by its subcommand, past any "-c name=value" before it.
    const command = args.find((arg, i) =>
      !arg.startsWith("-") && args[i - 1] !== "-c"
    ) ?? args[0];
    throw new ToolError(
      "IO",
      `git ${command} failed: ${out.stderr.trim() || `exit code ${out.code}`}`,
    );
  }
  return out.stdout;
}

/** One entry of the working tree as Git sees it. */
export interface TreeEntry {
  /** Repository-relative path. */
  path: string;
  /**
   * `file` for a regular file; `link` for a symbolic link and `submodule`
   * for a submodule, or in a working tree an untracked nested repository
   * (Git lists either as one entry, though a client may read files beneath
   * it).
   */
  type: "file" | "link" | "submodule";
}

/**
 * Lists the entries of the working tree that Git tracks or would track
 * (tracked, and untracked but not ignored), sorted by path.
 *
 * @param repo The working tree.
 * @returns Entries such as `{ path: ".cursor/mcp.json", type: "file" }`.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * const entries = await listWorkingTreeFiles(await findRepository("."));
 * ```
 */
export async function listWorkingTreeFiles(
  repo: Repository,
): Promise<TreeEntry[]> {
  const decode = (bytes: Uint8Array) =>
    new TextDecoder().decode(bytes).split("\0").filter((line) => line !== "");
  const entries = new Map<string, TreeEntry>();
  // "<mode> <object> <stage>\t<path>": the mode tells links and submodules.
  for (const line of decode(await git(repo, ["ls-files", "-z", "-s"]))) {
    const tab = line.indexOf("\t");
    const mode = line.slice(0, 6);
    const path = line.slice(tab + 1);
    const type = mode === "120000"
      ? "link"
      : mode === "160000"
      ? "submodule"
      : "file";
    entries.set(path, { path, type });
  }
  const others = decode(
    await git(repo, ["ls-files", "-z", "--others", "--exclude-standard"]),
  );
  for (const path of others) {
    // Git lists a nested repository as "path/" and does not look inside;
    // `git add` would record it as a submodule.
    if (path.endsWith("/")) {
      const folder = path.slice(0, -1);
      entries.set(folder, { path: folder, type: "submodule" });
      continue;
    }
    const info = await fs.lstat(join(repo.root, path)).catch(() => undefined);
    entries.set(path, { path, type: info?.isSymbolicLink() ? "link" : "file" });
  }
  return [...entries.values()].sort((a, b) => comparePaths(a.path, b.path));
}

/**
 * Refuses a repository-relative path whose folders are not all real folders
 * inside the working tree: a symbolic link on the way could lead a path that
 * looks inside the repository (or inside `.mcp-orchestration/`) to any file.
 *
 * @param repo The working tree.
 * @param path A repository-relative, "/"-separated path.
 * @param checked Folders already found real by this caller, skipped; the
 * ones found real now are added.
 * @throws {ToolError} `BAD_PATH` naming the symlinked folder.
 *
 * @example
 * ```ts
 * import { assertRealFolders } from "./repository.ts";
 * await assertRealFolders({ root: "/", gitDir: "/.git" }, "nonexistent/x.json");
 * ```
 */
export function assertRealFolders(
  repo: Repository,
  path: string,
  checked?: Set<string>,
): Promise<void> {
  try {
    assertRealFoldersSync(repo, path, checked);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

function assertRealFoldersSync(
  repo: Repository,
  path: string,
  checked: Set<string> | undefined,
): void {
  const parts = path.split("/").slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const folder = parts.slice(0, i).join("/");
    if (checked?.has(folder)) continue;
    let info;
    try {
      // Synchronous: a verify checks a folder per config, and one system
      // call is far cheaper than a trip through the runtime's thread pool.
      info = fs.lstatSync(join(repo.root, folder));
    } catch (error) {
      if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return;
      throw new ToolError(
        "IO",
        `Cannot read "${folder}": ${describeErrno(error)}`,
        { cause: error },
      );
    }
    if (info.isSymbolicLink()) {
      throw new ToolError(
        "BAD_PATH",
        `Refusing "${path}": its folder "${folder}" is a symbolic link`,
      );
    }
    if (!info.isDirectory()) return; // Reading beneath it fails on its own.
    checked?.add(folder);
  }
}

/**
 * Turns a path as the user typed it into a repository-relative,
 * "/"-separated path, refusing anything outside the working tree or reached
 * through a symbolic link.
 *
 * @param repo The working tree.
 * @param cwd The folder the path is relative to.
 * @param userPath The path as typed.
 * @returns The repository-relative path.
 * @throws {ToolError} `BAD_PATH` when the path is outside the repository or
 * one of its folders is a symbolic link.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toRepoPath } from "./repository.ts";
 * const repo = { root: "/tmp", gitDir: "/tmp/.git" };
 * assert.equal(await toRepoPath(repo, "/tmp", "x/.mcp.json"), "x/.mcp.json");
 * ```
 */
export async function toRepoPath(
  repo: Repository,
  cwd: string,
  userPath: string,
): Promise<string> {
  const lexical = relative(repo.root, resolve(cwd, userPath));
  const outside = lexical === ".." || lexical.startsWith(`..${sep}`);
  if (lexical === "" || outside || isAbsolute(lexical)) {
    throw new ToolError(
      "BAD_PATH",
      `Refusing "${userPath}": it is outside the repository "${repo.root}"`,
    );
  }
  const path = lexical.split(sep).join("/");
  await assertRealFolders(repo, path);
  return path;
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

/**
 * Whether one commit is an ancestor of another (or the same):
 * `git merge-base --is-ancestor`.
 *
 * @param repo The repository.
 * @param ancestor A commit.
 * @param descendant A commit.
 * @returns True when `ancestor` is in `descendant`'s history; false also
 * when git cannot tell (a commit it does not have).
 *
 * @example
 * ```ts ignore
 * if (await isAncestor(repo, remoteTip, localTip)) console.log("fast-forward");
 * ```
 */
export async function isAncestor(
  repo: Repository,
  ancestor: string,
  descendant: string,
): Promise<boolean> {
  try {
    await git(repo, ["merge-base", "--is-ancestor", ancestor, descendant]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The commit a revision names, or undefined.
 *
 * @param repo The repository.
 * @param rev The revision; one starting with "-" is never read as an
 * option (`--end-of-options`), and names no commit.
 * @returns Its full id.
 * @throws {ToolError} Only when git cannot start.
 *
 * @example
 * ```ts ignore
 * const head = await commitId(repo, "HEAD");
 * ```
 */
export async function commitId(
  repo: Repository,
  rev: string,
): Promise<string | undefined> {
  const out = await git(repo, [
    "rev-parse",
    "--verify",
    "--quiet",
    "--end-of-options",
    `${rev}^{commit}`,
  ]).catch(() => undefined);
  const id = out && new TextDecoder().decode(out).trim();
  return id || undefined;
}
