/**
 * Real temporary git repositories for tests: no mock of git. Every git child
 * runs in an environment built from scratch by {@linkcode gitEnv}, so the
 * developer's own git configuration, hooks and `GIT_*` variables never reach
 * a test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { runIsolated } from "./process.ts";

/** Author and committer name of every commit made in a test repository. */
export const TEST_USER_NAME = "Test User";
/** Author and committer email of every commit made in a test repository. */
export const TEST_USER_EMAIL = "test@example.com";

/** Snapshot key of `git status --porcelain` (no file path starts with "/"). */
export const SNAPSHOT_STATUS_KEY = "/git status --porcelain";
/** Snapshot key of the index entries, `git ls-files -s`. */
export const SNAPSHOT_INDEX_KEY = "/git ls-files -s";
/** Snapshot key of every ref and the object it points at. */
export const SNAPSHOT_REFS_KEY = "/git for-each-ref";

/** A git repository in a temporary folder, with its own tool home. */
export interface TempRepo {
  /** The repository's root (its work tree; the git dir when bare). Its path contains a space. */
  root: string;
  /** A separate folder for `MCP_ORCHESTRATION_HOME` and `HOME`. */
  home: string;
  /** Runs git in `root` with {@linkcode gitEnv}; resolves to its stdout and throws on a non-zero exit. */
  git(...args: string[]): Promise<string>;
  /** Writes a file at a root-relative path, creating its folders. */
  write(path: string, text: string | Uint8Array): Promise<void>;
  /** Reads a file at a root-relative path. */
  read(path: string): Promise<Uint8Array>;
  /** Tells whether a root-relative path exists (a dangling symlink counts). */
  exists(path: string): Promise<boolean>;
  /** Records the repository's state; see {@linkcode createTempRepo}. */
  snapshot(): Promise<Map<string, string>>;
}

// Inherited so that programs can be found and started (the Windows names are
// needed by its process loader); everything else is set explicitly.
const PASSED_THROUGH = [
  "PATH",
  "PATHEXT",
  "SYSTEMROOT",
  "COMSPEC",
  "TEMP",
  "TMP",
  "TMPDIR",
];

/**
 * Builds a complete environment for a git child that is isolated from the
 * developer's machine: no system config, a global config file inside `home`,
 * `HOME` set to `home`, a fixed author and committer, and nothing else from
 * the parent except the variables needed to find programs. Start the child
 * with this as its whole environment (Deno: `clearEnv: true`), so that no
 * `GIT_DIR`, `GIT_INDEX_FILE`, `GIT_CONFIG_PARAMETERS` or
 * `MCP_ORCHESTRATION_KEY` leaks in from the parent.
 *
 * @param home The test's home folder; its `gitconfig` file (which need not
 *   exist) becomes git's global config.
 * @returns The environment, variable name to value.
 */
export function gitEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: join(home, "gitconfig"),
    GIT_ATTR_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: TEST_USER_NAME,
    GIT_AUTHOR_EMAIL: TEST_USER_EMAIL,
    GIT_COMMITTER_NAME: TEST_USER_NAME,
    GIT_COMMITTER_EMAIL: TEST_USER_EMAIL,
    // Git's messages in English, whatever the developer's locale.
    LC_ALL: "C",
  };
}

/**
 * Runs a function with a fresh temporary folder, and removes the folder
 * afterwards, whether the function succeeds or throws.
 *
 * @param fn Receives the folder's real (symlink-free) path.
 * @returns What `fn` returns.
 */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "mcp-orchestration-test-" }),
  );
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Creates a git repository (`git init -b main`) in a temporary folder whose
 * path contains a space, so that quoting bugs show up, with a separate home
 * folder holding an empty global `gitconfig`. The repository sets
 * `user.name`, `user.email` and `commit.gpgsign=false` locally.
 *
 * `snapshot()` maps every file, folder and symlink under `root`, except
 * `.git/`, to its kind, mode and SHA-256 (paths are "/"-separated and
 * root-relative), and adds `git status --porcelain` ({@linkcode SNAPSHOT_STATUS_KEY}),
 * `git ls-files -s` ({@linkcode SNAPSHOT_INDEX_KEY}) and the refs
 * ({@linkcode SNAPSHOT_REFS_KEY}). Compare two snapshots to prove that a
 * command left the repository, its index and its history unchanged. In a bare
 * repository every file is recorded and only the refs key is added.
 *
 * @param options `bare`: create a bare repository (`git init --bare`).
 * @returns The repository, with `cleanup()` (also run by `await using`).
 */
export async function createTempRepo(
  options: { bare?: boolean } = {},
): Promise<TempRepo & AsyncDisposable & { cleanup(): Promise<void> }> {
  const base = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "mcp-orchestration-test-" }),
  );
  async function cleanup(): Promise<void> {
    await Deno.remove(base, { recursive: true });
  }
  try {
    const root = join(base, "repo dir");
    const home = join(base, "home dir");
    await Deno.mkdir(root);
    await Deno.mkdir(home);
    await Deno.writeTextFile(join(home, "gitconfig"), "");
    const repo = _tempRepo(root, home, options.bare ?? false);
    await repo.git(
      "init",
      "--quiet",
      "--initial-branch=main",
      ...(options.bare ? ["--bare"] : []),
    );
    await repo.git("config", "user.name", TEST_USER_NAME);
    await repo.git("config", "user.email", TEST_USER_EMAIL);
    await repo.git("config", "commit.gpgsign", "false");
    return { ...repo, cleanup, [Symbol.asyncDispose]: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * Copies a repository made by {@linkcode createTempRepo} (work tree, `.git`
 * and home, with `cp -a`) into a new temporary folder: the same files,
 * modes and history, under another path. Absolute paths written inside it
 * (a remote's URL in `.git/config`) still name the original; the caller
 * rewrites them.
 *
 * @param source The repository to copy; it must not change meanwhile.
 * @param options `bare`: the source is bare.
 * @returns The copy, with `cleanup()` (also run by `await using`).
 * @throws Error when `cp` fails.
 */
export async function copyTempRepo(
  source: TempRepo,
  options: { bare?: boolean } = {},
): Promise<TempRepo & AsyncDisposable & { cleanup(): Promise<void> }> {
  const from = dirname(source.root);
  assert.equal(dirname(source.home), from, "not made by createTempRepo");
  const base = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "mcp-orchestration-test-" }),
  );
  async function cleanup(): Promise<void> {
    await Deno.remove(base, { recursive: true });
  }
  try {
    const { code, stderr } = await runIsolated(
      "cp",
      ["-a", `${from}/.`, base],
      {
        cwd: base,
        env: gitEnv(source.home),
      },
    );
    if (code !== 0) throw new Error(`Cannot copy "${from}": ${stderr.trim()}`);
    const repo = _tempRepo(
      join(base, basename(source.root)),
      join(base, basename(source.home)),
      options.bare ?? false,
    );
    return { ...repo, cleanup, [Symbol.asyncDispose]: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Where the shared originals are listed (see {@linkcode keepShared}). */
const SHARED_ORIGINALS = join(tmpdir(), "mcp-orchestration-test-shared-flows");

// Deno runs no hook when a test file ends, so the originals outlive their
// test run: the next run removes those whose process has ended (Linux), or
// that were listed longer ago than this.
const SHARED_MAX_AGE_MS = 6 * 60 * 60 * 1000;

/**
 * Lists the folders of an original that tests copy (a shared flow or
 * repository, kept until the test process ends) for a later test run to
 * remove, and removes those of earlier runs: once their process has ended
 * (Linux), or six hours on.
 *
 * @param folders Folders made by {@linkcode createTempRepo}.
 * @returns Nothing.
 * @throws Error when the list cannot be written.
 *
 * @example
 * ```ts ignore
 * const original = await createTempRepo();
 * await keepShared([dirname(original.root)]);
 * ```
 */
export async function keepShared(folders: readonly string[]): Promise<void> {
  await Deno.mkdir(SHARED_ORIGINALS, { recursive: true });
  for await (const entry of Deno.readDir(SHARED_ORIGINALS)) {
    const list = join(SHARED_ORIGINALS, entry.name);
    const info = await Deno.lstat(list).catch(() => undefined);
    const listed: unknown = await Deno.readTextFile(list).then(JSON.parse)
      .catch(() => undefined);
    const { pid, folders } = (listed ?? {}) as {
      pid?: unknown;
      folders?: unknown;
    };
    const old = !info?.mtime ||
      Date.now() - info.mtime.getTime() > SHARED_MAX_AGE_MS;
    if (!old && !(await _ended(pid))) continue;
    for (const folder of Array.isArray(folders) ? folders : []) {
      // Only what createTempRepo made, whatever the list says.
      if (!String(folder).includes("/mcp-orchestration-test-")) continue;
      await Deno.remove(String(folder), { recursive: true }).catch(() => {});
    }
    await Deno.remove(list).catch(() => {});
  }
  const list = await Deno.makeTempFile({
    dir: SHARED_ORIGINALS,
    suffix: ".json",
  });
  await Deno.writeTextFile(list, JSON.stringify({ pid: Deno.pid, folders }));
}

// Whether the test process that listed an original has ended (known on
// Linux only; elsewhere the originals wait for their age). Deno reads
// /proc/<pid> only with --allow-all (NotCapable otherwise, as under
// `deno task test`): then ps answers. Taking "cannot tell" for "ended"
// removed the originals of test runs still under way.
async function _ended(pid: unknown): Promise<boolean> {
  if (Deno.build.os !== "linux" || typeof pid !== "number") return false;
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return false;
  try {
    await Deno.lstat(`/proc/${pid}`);
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
  }
  const ps = await runIsolated("ps", ["-o", "pid=", "-p", String(pid)], {
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  }).catch(() => undefined);
  // ps exits 1 and prints nothing when no such process runs.
  return ps !== undefined && ps.code === 1 && ps.stdout.trim() === "";
}

const sharedRepos = new Map<string, Promise<TempRepo>>();

/**
 * A fresh copy ({@linkcode copyTempRepo}) of a repository that `build`
 * makes once per test file, for a starting state that the tests of a file
 * make identically and none checks the making of. The original is kept
 * until a later test run ({@linkcode keepShared}).
 *
 * @param name Names the state within the test file.
 * @param build Makes the state in a new repository (not bare).
 * @returns A copy; remove it with `cleanup()` or `await using`.
 * @throws Error when `build` or the copy fails.
 *
 * @example
 * ```ts ignore
 * await using repo = await sharedRepo("signed", async () => {
 *   const repo = await createTempRepo();
 *   await repo.write(".mcp.json", "{}\n");
 *   return repo;
 * });
 * ```
 */
export async function sharedRepo(
  name: string,
  build: () => Promise<TempRepo>,
): Promise<TempRepo & AsyncDisposable & { cleanup(): Promise<void> }> {
  let original = sharedRepos.get(name);
  if (!original) {
    original = build().then(async (repo) => {
      await keepShared([dirname(repo.root)]);
      return repo;
    });
    sharedRepos.set(name, original);
    // A failed build is reported by the test that ran it; the next one retries.
    original.catch(() => sharedRepos.delete(name));
  }
  return await copyTempRepo(await original);
}

/**
 * Lists how two snapshots differ, one line per key: `+ key` (added),
 * `- key` (removed) or `~ key` (changed), sorted by key.
 *
 * @param before The earlier snapshot.
 * @param after The later snapshot.
 * @returns The differences; empty when the snapshots are equal.
 */
export function snapshotDiff(
  before: Map<string, string>,
  after: Map<string, string>,
): string[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  const lines: string[] = [];
  for (const key of keys) {
    const was = before.get(key);
    const now = after.get(key);
    if (was === undefined) lines.push(`+ ${key}`);
    else if (now === undefined) lines.push(`- ${key}`);
    else if (was !== now) lines.push(`~ ${key}`);
  }
  return lines;
}

/** Runs git in `root` with {@linkcode gitEnv}; fails on any non-zero exit. */
async function _runGit(
  root: string,
  home: string,
  args: readonly string[],
): Promise<string> {
  const { code, stdout, stderr } = await runIsolated("git", args, {
    cwd: root,
    env: gitEnv(home),
  });
  if (code !== 0) throw new Error(`exit ${code}: ${(stdout + stderr).trim()}`);
  return stdout;
}

function _tempRepo(
  root: string,
  home: string,
  bare: boolean,
): TempRepo {
  function resolve(path: string): string {
    if (isAbsolute(path)) {
      throw new Error(`Cannot use "${path}": expected a root-relative path`);
    }
    return join(root, path);
  }
  async function git(...args: string[]): Promise<string> {
    try {
      return await _runGit(root, home, args);
    } catch (error) {
      throw new Error(
        `Cannot run "git ${args.join(" ")}": ${
          error instanceof Error ? error.message : error
        }`,
        { cause: error },
      );
    }
  }
  return {
    root,
    home,
    git,
    async write(path, text) {
      const file = resolve(path);
      await Deno.mkdir(dirname(file), { recursive: true });
      await Deno.writeFile(
        file,
        typeof text === "string" ? new TextEncoder().encode(text) : text,
      );
    },
    async read(path) {
      return await Deno.readFile(resolve(path));
    },
    async exists(path) {
      try {
        await Deno.lstat(resolve(path));
        return true;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return false;
        throw error;
      }
    },
    async snapshot() {
      const entries = new Map<string, string>();
      await _walk(root, "", bare ? undefined : ".git", entries);
      if (!bare) {
        // --no-optional-locks: looking must not refresh the index's stat cache.
        entries.set(
          SNAPSHOT_STATUS_KEY,
          await git(
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=all",
          ),
        );
        entries.set(SNAPSHOT_INDEX_KEY, await git("ls-files", "-s"));
      }
      entries.set(
        SNAPSHOT_REFS_KEY,
        await git("for-each-ref", "--format=%(objectname) %(refname)"),
      );
      return entries;
    },
  };
}

async function _walk(
  dir: string,
  prefix: string,
  skip: string | undefined,
  into: Map<string, string>,
): Promise<void> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!(prefix === "" && entry.name === skip)) names.push(entry.name);
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    const key = prefix + name;
    const info = await Deno.lstat(path);
    const mode = info.mode === null ? "-" : (info.mode & 0o7777).toString(8);
    if (info.isSymlink) {
      into.set(key, `symlink -> ${await Deno.readLink(path)}`);
    } else if (info.isDirectory) {
      into.set(key, `dir ${mode}`);
      await _walk(path, `${key}/`, skip, into);
    } else {
      const digest = await crypto.subtle.digest(
        "SHA-256",
        await Deno.readFile(path),
      );
      const hex = Array.from(
        new Uint8Array(digest),
        (byte) => byte.toString(16).padStart(2, "0"),
      ).join("");
      into.set(key, `file ${mode} ${hex}`);
    }
  }
}
