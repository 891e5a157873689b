/**
 * `install` and `uninstall`: put our hook stubs where Git runs them (the
 * pre-commit and pre-push hooks, and the checkout hooks post-checkout,
 * post-merge and post-rewrite), and take them away again, never losing a
 * hook that was there before.
 *
 * - The folder is whatever `git rev-parse --git-path hooks` says (linked
 *   worktrees share the main one; `core.hooksPath` moves it).
 * - When `core.hooksPath` is set, we write there only when the folder is
 *   ours to write: no other hook manager's files, and no foreign hook
 *   of a name we install. Otherwise we refuse and say how to call
 *   the tool from that manager (hook_managers.ts), or to rerun with
 *   `--force`.
 * - A foreign hook is moved aside to `<hook>.mcp-orchestration-chained`
 *   (never deleted) and our stub runs it first; `uninstall` moves it back.
 * - Our files are recognised by their marker line, so installing twice
 *   changes nothing and reinstalling with another command updates them.
 *
 * @module
 */

import { isAbsolute, join, relative, sep } from "node:path";
import { TOOL_NAME } from "../constants.ts";
import { currentProcess } from "../_runtime/current_process.ts";
import { ToolError } from "../errors.ts";
import { fileSystem as fs, type Stats } from "../_runtime/file_system.ts";
import {
  describeErrno,
  exists,
  isErrno,
  writeFileAtomic,
} from "../fs/files.ts";
import { withFileLock } from "../fs/lock.ts";
import { git, type Repository } from "../git/repository.ts";
import { MAX_HOOK_BYTES, readHookFile } from "./hook_file.ts";
import { assertDurableLauncher, throwawayLauncher } from "./launch.ts";
import {
  forceCaveat,
  forcedWarning,
  GIT_HOOKS,
  type HookManager,
  HUSKY_RUNNERS,
  managerInstructions,
  managerOf,
  ownHooksInstructions,
} from "./hook_managers.ts";
import {
  CHAINED_SUFFIX,
  HOOK_NAMES,
  type HookName,
  hookStub,
  SERVER_HOOK_NAMES,
} from "./stubs.ts";

/** What `install` or `uninstall` did to one hook. */
export type HookAction =
  /** Our stub was written where there was none. */
  | "installed"
  /** Our stub was already there, byte for byte. */
  | "unchanged"
  /** Our stub was there with another command or version, and was rewritten. */
  | "updated"
  /** A foreign hook was moved aside and our stub runs it first. */
  | "chained"
  /** Our stub was removed; nothing had been moved aside. */
  | "removed"
  /** Our stub was removed and the hook moved aside was put back. */
  | "restored"
  /** Nothing of ours was there. */
  | "absent"
  /** A foreign hook has replaced ours since; it was left alone (see the warnings). */
  | "kept-foreign";

/** One hook's line of an {@linkcode InstallReport}. */
export interface HookReport {
  /** The hook. */
  hook: HookName;
  /** What was done. */
  action: HookAction;
  /** The hook file's absolute path. */
  path: string;
  /** Where the foreign hook that ours runs first is kept, if any. */
  chained?: string;
}

/** What `install` or `uninstall` did. */
export interface InstallReport {
  /** The absolute path of the folder Git runs hooks from. */
  hooksFolder: string;
  /** The value of `core.hooksPath`, when set. */
  hooksPath?: string;
  /**
   * One entry per hook, in {@linkcode HOOK_NAMES} order (for a server,
   * {@linkcode SERVER_HOOK_NAMES}).
   */
  hooks: HookReport[];
  /** Things the user should know: a manager that may undo us, a hook left alone. */
  warnings: string[];
}

/** Options for {@linkcode installHooks}. */
export interface InstallOptions {
  /** Install into a `core.hooksPath` folder that is not ours to write. */
  force?: boolean;
  /** How the stubs start the tool (see `launchCommand`). */
  command: string[];
  /**
   * Install the server's hook (pre-receive, {@linkcode SERVER_HOOK_NAMES})
   * into a repository that is pushed to, instead of the client hooks.
   */
  server?: boolean;
}

/** Options for {@linkcode uninstallHooks}. */
export interface UninstallOptions {
  /** Remove the server's hook instead of the client hooks. */
  server?: boolean;
}

function hookNames(server: boolean | undefined): readonly HookName[] {
  return server ? SERVER_HOOK_NAMES : HOOK_NAMES;
}

/**
 * Finds the folder Git runs this repository's hooks from.
 *
 * @param repo The working tree.
 * @returns Its absolute path, and the value of `core.hooksPath` when set.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { findRepository } from "../git/repository.ts";
 * import { runProcess } from "../_runtime/process.ts";
 * import { findHooksFolder } from "./install.ts";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await runProcess("git", ["init", "-q", dir]);
 * await runProcess("git", ["config", "core.hooksPath", "my hooks"], { cwd: dir });
 * const { folder, hooksPath } = await findHooksFolder(await findRepository(dir));
 * assert.equal(hooksPath, "my hooks");
 * assert.ok(folder.endsWith("/my hooks"));
 * await rm(dir, { recursive: true });
 * ```
 */
export async function findHooksFolder(
  repo: Repository,
): Promise<{ folder: string; hooksPath: string | undefined }> {
  const decode = (bytes: Uint8Array) =>
    new TextDecoder().decode(bytes).replace(/\n$/, "");
  const folder = decode(
    await git(repo, [
      "rev-parse",
      "--path-format=absolute",
      "--git-path",
      "hooks",
    ]),
  );
  const hooksPath = decode(
    await git(repo, ["config", "--default", "", "--get", "core.hooksPath"]),
  );
  return { folder, hooksPath: hooksPath === "" ? undefined : hooksPath };
}

/**
 * Installs our stubs ({@linkcode HOOK_NAMES}, or with `server` the
 * {@linkcode SERVER_HOOK_NAMES}) where Git runs hooks.
 *
 * @param repo The working tree (with `server`: the repository pushed to,
 * which may have none).
 * @param options The command the stubs run, `force` and `server`.
 * @returns What was done per hook, and warnings.
 * @throws {ToolError} `HOOKS` when the command starts the tool from a
 * package manager's throwaway cache (`npx`, `pnpm dlx`, `yarn dlx`, `bunx`;
 * without `force`), when `core.hooksPath` names a folder that is
 * not ours to write (without `force`), or when a foreign hook is in the way
 * and an earlier one already sits where it would be moved; `IO` when a
 * file cannot be written (nothing is lost: a moved hook is moved back).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, readFile, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { findRepository } from "../git/repository.ts";
 * import { runProcess } from "../_runtime/process.ts";
 * import { installHooks } from "./install.ts";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await runProcess("git", ["init", "-q", dir]);
 * const repo = await findRepository(dir);
 * const command = ["/usr/local/bin/mcp-orchestration"];
 * const first = await installHooks(repo, { command });
 * assert.deepEqual(first.hooks.map((h) => h.hook), ["pre-commit", "pre-push", "post-checkout", "post-merge", "post-rewrite"]);
 * assert.ok(first.hooks.every((h) => h.action === "installed"));
 * const again = await installHooks(repo, { command });
 * assert.ok(again.hooks.every((h) => h.action === "unchanged"));
 * assert.match(await readFile(join(first.hooksFolder, "pre-commit"), "utf8"), /^#!\/bin\/sh\n/);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function installHooks(
  repo: Repository,
  options: InstallOptions,
): Promise<InstallReport> {
  const warnings: string[] = [];
  // Refused before git is even asked: nothing to undo.
  if (!options.force) assertDurableLauncher(options.command);
  else {
    const cached = throwawayLauncher(options.command);
    if (cached) {
      warnings.push(
        `the hooks run "${cached.path}", in the throwaway cache of ${cached.cache}: they fail once it is cleaned (${cached.durable})`,
      );
    }
  }
  const names = hookNames(options.server);
  const { folder, hooksPath } = await findHooksFolder(repo);
  if (hooksPath !== undefined) {
    const manager = await findManager(folder);
    if (!options.force) {
      await assertOursToWrite(
        folder,
        hooksPath,
        manager,
        options.command,
        names,
      );
    } else if (manager) {
      warnings.push(forcedWarning(manager, folder));
    }
  }
  await mkdirs(folder);
  return await withFileLock(
    join(folder, `.${TOOL_NAME}.lock`),
    async () => {
      const states = [];
      for (const hook of names) {
        const state = await readHookState(folder, hook);
        if (state.target === "foreign" && state.chainedExists) {
          throw new ToolError(
            "HOOKS",
            `Cannot install the ${hook} hook: "${state.path}" is not ours, and "${state.chained}" already holds a hook moved aside earlier. Merge the two into "${state.chained}" by hand, delete "${state.path}", and run install again`,
          );
        }
        states.push(state);
      }
      const hooks: HookReport[] = [];
      for (const state of states) {
        hooks.push(await installOne(state, options.command, warnings));
      }
      if (hooksPath !== undefined && !options.server) {
        await warnIfInWorkingTree(repo, folder, warnings);
      }
      return report(folder, hooksPath, hooks, warnings);
    },
    { holder: `another "${TOOL_NAME} install" run` },
  );
}

/**
 * Removes our stubs and puts back the hooks they had moved aside. A foreign
 * hook that has replaced ours since is left alone, with a warning.
 *
 * @param repo The working tree (with `server`: the repository pushed to).
 * @param options `server`: remove the server's hook, not the client hooks.
 * @returns What was done per hook, and warnings.
 * @throws {ToolError} `IO` when a file cannot be removed or moved back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { findRepository } from "../git/repository.ts";
 * import { runProcess } from "../_runtime/process.ts";
 * import { installHooks, uninstallHooks } from "./install.ts";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await runProcess("git", ["init", "-q", dir]);
 * const repo = await findRepository(dir);
 * const theirs = join(dir, ".git", "hooks", "pre-commit");
 * await writeFile(theirs, "#!/bin/sh\nmake lint\n", { mode: 0o755 });
 * await installHooks(repo, { command: ["/usr/local/bin/mcp-orchestration"] });
 * const report = await uninstallHooks(repo);
 * assert.deepEqual(report.hooks.map((h) => h.action), ["restored", "removed", "removed", "removed", "removed"]);
 * assert.equal(await readFile(theirs, "utf8"), "#!/bin/sh\nmake lint\n");
 * await rm(dir, { recursive: true });
 * ```
 */
export async function uninstallHooks(
  repo: Repository,
  options: UninstallOptions = {},
): Promise<InstallReport> {
  const names = hookNames(options.server);
  const { folder, hooksPath } = await findHooksFolder(repo);
  const warnings: string[] = [];
  const hooks: HookReport[] = [];
  if (!(await exists(folder))) {
    for (const hook of names) {
      hooks.push({ hook, action: "absent", path: join(folder, hook) });
    }
    return report(folder, hooksPath, hooks, warnings);
  }
  return await withFileLock(
    join(folder, `.${TOOL_NAME}.lock`),
    async () => {
      for (const hook of names) {
        hooks.push(
          await uninstallOne(await readHookState(folder, hook), warnings),
        );
      }
      return report(folder, hooksPath, hooks, warnings);
    },
    { holder: `another "${TOOL_NAME} install" run` },
  );
}

interface HookState {
  hook: HookName;
  path: string;
  chained: string;
  target: "missing" | "ours" | "foreign";
  /** The stub's text and mode, when ours. */
  text?: string;
  mode?: number;
  chainedExists: boolean;
}

async function readHookState(
  folder: string,
  hook: HookName,
): Promise<HookState> {
  const path = join(folder, hook);
  const chained = path + CHAINED_SUFFIX;
  const chainedExists = await exists(chained);
  const file = await readHookFile(path);
  return file.state === "ours"
    ? {
      hook,
      path,
      chained,
      target: "ours",
      text: file.text,
      mode: file.mode,
      chainedExists,
    }
    : { hook, path, chained, target: file.state, chainedExists };
}

async function installOne(
  state: HookState,
  command: string[],
  warnings: string[],
): Promise<HookReport> {
  const stub = hookStub(state.hook, command);
  const line = (action: HookAction): HookReport => ({
    hook: state.hook,
    action,
    path: state.path,
    ...(action === "chained" || state.chainedExists
      ? { chained: state.chained }
      : {}),
  });
  if (state.target === "ours") {
    if (state.text === stub && modeIsRight(state.mode)) {
      return line("unchanged");
    }
    await writeStub(state.path, stub);
    return line("updated");
  }
  if (state.target === "missing") {
    await writeStub(state.path, stub);
    return line("installed");
  }
  const manager = managerOf(await readText(state.path).catch(() => ""));
  await move(state.path, state.chained);
  try {
    await writeStub(state.path, stub);
  } catch (error) {
    // Put the foreign hook back rather than leave no hook at all.
    await fs.rename(state.chained, state.path).catch(() => {});
    throw error;
  }
  if (manager) {
    warnings.push(
      `The ${state.hook} hook moved aside to "${state.chained}" was written by ${manager}; if ${manager} reinstalls its hooks, run "${TOOL_NAME} install" again`,
    );
  }
  return line("chained");
}

async function uninstallOne(
  state: HookState,
  warnings: string[],
): Promise<HookReport> {
  const line = (action: HookAction, chained = false): HookReport => ({
    hook: state.hook,
    action,
    path: state.path,
    ...(chained ? { chained: state.chained } : {}),
  });
  if (state.target === "foreign") {
    if (!state.chainedExists) return line("absent");
    warnings.push(
      `Left "${state.path}" alone: it is not ours (it replaced our ${state.hook} hook). The hook that was there before ours is still in "${state.chained}"; move it back by hand if you want it`,
    );
    return line("kept-foreign", true);
  }
  if (state.chainedExists) {
    // rename() replaces our stub in one step: there is always a hook.
    await move(state.chained, state.path, { replace: true });
    return line("restored", true);
  }
  if (state.target === "missing") return line("absent");
  await fs.rm(state.path).catch((error) => {
    throw ioError(`Cannot remove "${state.path}"`, error);
  });
  return line("removed");
}

// Refuses a core.hooksPath folder that another manager owns or where a
// foreign pre-commit or pre-push hook sits, with what to do instead.
async function assertOursToWrite(
  folder: string,
  hooksPath: string,
  manager: HookManager | undefined,
  command: string[],
  names: readonly HookName[],
): Promise<void> {
  const where =
    `Not installing into "${folder}": core.hooksPath is "${hooksPath}"`;
  const force =
    `Or run install again with --force to move its hooks aside and chain them (they keep running first)`;
  if (manager) {
    throw new ToolError(
      "HOOKS",
      `${where}, which ${manager} manages. ${
        managerInstructions(manager, folder, command)
      }\n${force}${forceCaveat(manager)}`,
    );
  }
  for (const hook of names) {
    const state = await readHookState(folder, hook);
    if (state.target !== "foreign") continue;
    throw new ToolError(
      "HOOKS",
      `${where}, and its ${hook} hook is not ours. ${
        ownHooksInstructions(folder, command)
      }\n${force}`,
    );
  }
}

// Which manager owns the folder, if any: husky by its runner files,
// lefthook and the pre-commit framework by the text of their hooks (the
// same fingerprints they use to recognise their own files).
async function findManager(
  folder: string,
): Promise<HookManager | undefined> {
  for (const name of HUSKY_RUNNERS) {
    const info = await lstatOrUndefined(join(folder, name));
    if (info?.isFile()) return "husky";
  }
  for (const hook of GIT_HOOKS) {
    const path = join(folder, hook);
    const info = await lstatOrUndefined(path);
    if (!info?.isFile() || info.size > MAX_HOOK_BYTES) continue;
    const manager = managerOf(await readText(path));
    if (manager) return manager;
  }
  return undefined;
}

// A core.hooksPath folder such as .githooks may be tracked: our stubs hold
// this machine's paths and must not be committed.
async function warnIfInWorkingTree(
  repo: Repository,
  folder: string,
  warnings: string[],
): Promise<void> {
  const real = await fs.realpath(folder).catch(() => folder);
  const path = relative(repo.root, real);
  const inside = path !== "" && path !== ".." &&
    !path.startsWith(`..${sep}`) && !isAbsolute(path) &&
    path.split(sep)[0] !== ".git";
  if (inside) {
    warnings.push(
      `The hooks folder "${real}" is inside the working tree: do not commit our hooks (they hold paths of this machine); consider ignoring them`,
    );
  }
}

function report(
  folder: string,
  hooksPath: string | undefined,
  hooks: HookReport[],
  warnings: string[],
): InstallReport {
  return {
    hooksFolder: folder,
    ...(hooksPath === undefined ? {} : { hooksPath }),
    hooks,
    warnings,
  };
}

async function writeStub(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, { mode: 0o755 });
  // The umask may have taken bits away; hooks must be executable by all
  // who commit, as the sample hooks are.
  await fs.chmod(path, 0o755).catch((error) => {
    throw ioError(`Cannot make "${path}" executable`, error);
  });
}

function modeIsRight(mode: number | undefined): boolean {
  // Windows has no execute bits to compare.
  return currentProcess.platform === "win32" || (mode ?? 0) % 0o1000 === 0o755;
}

// Moves a hook file; unless `replace`, refuses to overwrite (rename would).
async function move(
  from: string,
  to: string,
  options: { replace?: boolean } = {},
): Promise<void> {
  if (!options.replace && (await exists(to))) {
    throw new ToolError("HOOKS", `Cannot move "${from}" aside: "${to}" exists`);
  }
  await fs.rename(from, to).catch((error) => {
    throw ioError(`Cannot move "${from}" to "${to}"`, error);
  });
}

async function mkdirs(folder: string): Promise<void> {
  await fs.mkdir(folder, { recursive: true }).catch((error) => {
    throw ioError(`Cannot create the hooks folder "${folder}"`, error);
  });
}

async function readText(path: string): Promise<string> {
  try {
    return await fs.readFile(path, "utf8");
  } catch (error) {
    throw ioError(`Cannot read "${path}"`, error);
  }
}

async function lstatOrUndefined(
  path: string,
): Promise<Stats | undefined> {
  try {
    return await fs.lstat(path);
  } catch (error) {
    if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return undefined;
    throw ioError(`Cannot read "${path}"`, error);
  }
}

function ioError(message: string, error: unknown): ToolError {
  return new ToolError("IO", `${message}: ${describeErrno(error)}`, {
    cause: error,
  });
}
