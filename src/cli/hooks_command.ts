/**
 * `install` and `uninstall`: the repository's Git hooks.
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import {
  type HookAction,
  installHooks,
  type InstallReport,
  uninstallHooks,
} from "../hooks/install.ts";
import { formatShellCommand, launchCommand } from "../hooks/launch.ts";
import { ToolError } from "../errors.ts";
import {
  findGitFolder,
  isBareRepository,
  type Repository,
} from "../git/repository.ts";
import type { CommandContext } from "./command_context.ts";
import {
  type CommandSpec,
  noPositionals,
  parseArguments,
} from "./command_spec.ts";
import { EXIT, type Io, printJson } from "./io.ts";

/** What the hooks commands need: streams and the repository. */
export type HooksContext = CommandContext;

/** What `install` accepts. */
export const INSTALL_COMMAND: CommandSpec = {
  name: "install",
  options: {
    force: {
      type: "boolean",
      help:
        "install into a core.hooksPath folder that is not ours, moving its\n" +
        "hooks aside and chaining them; or install hooks that run the tool\n" +
        "from a package manager's throwaway cache (npx, pnpm dlx, yarn dlx,\n" +
        "bunx), which break when it is cleaned",
    },
    server: {
      type: "boolean",
      help:
        "install the Git server's pre-receive hook (in a repository that is\n" +
        "pushed to, usually bare) instead of the client hooks",
    },
  },
};

/** What `uninstall` accepts. */
export const UNINSTALL_COMMAND: CommandSpec = {
  name: "uninstall",
  options: {
    server: {
      type: "boolean",
      help:
        "remove the Git server's pre-receive hook (implied in a bare repository)",
    },
  },
};

// The repository a server hook goes into: its Git folder, bare or not.
// Without --server, a bare repository gets a hint rather than "not inside
// a working tree".
async function hooksRepository(
  context: HooksContext,
  server: boolean,
): Promise<Repository> {
  if (server) return await findGitFolder(context.io.cwd);
  try {
    return await context.repo();
  } catch (error) {
    if (
      error instanceof ToolError && error.code === "NOT_A_REPOSITORY" &&
      await isBareRepository(context.io.cwd)
    ) {
      throw new ToolError(
        "USAGE",
        `"${context.io.cwd}" is a bare repository: run "${TOOL_NAME} install --server" to install the Git server's pre-receive hook`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Runs `install [--force] [--server] [--json]`: installs the Git hooks
 * (pre-commit, pre-push, post-checkout, post-merge, post-rewrite; with
 * `--server`, the server's pre-receive), calling the tool the way it was
 * started now.
 *
 * @param args The arguments after `install`.
 * @param context Streams and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage errors, or `HOOKS` when the hooks folder is
 * not ours to write (the dispatcher reports them).
 *
 * @example
 * ```ts ignore
 * await installCommand(["--json"], { io, repo });
 * ```
 */
export async function installCommand(
  args: string[],
  context: HooksContext,
): Promise<number> {
  const { values, positionals } = parseArguments(args, INSTALL_COMMAND);
  noPositionals(positionals, "install");
  const command = launchCommand();
  const server = values.server === true;
  const report = await installHooks(await hooksRepository(context, server), {
    command,
    force: values.force === true,
    server,
  });
  if (values.json) {
    printJson(context.io, { ...report, command });
    return EXIT.ok;
  }
  printReport(context.io, report);
  context.io.out(
    `The hooks run: ${formatShellCommand(command)} hook <name>\n`,
  );
  return EXIT.ok;
}

/**
 * Runs `uninstall [--server] [--json]`: removes our hooks and puts back the
 * hooks that were there before (`--server`, implied in a bare repository:
 * the server's pre-receive hook).
 *
 * @param args The arguments after `uninstall`.
 * @param context Streams and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage errors (the dispatcher reports them).
 *
 * @example
 * ```ts ignore
 * await uninstallCommand([], { io, repo });
 * ```
 */
export async function uninstallCommand(
  args: string[],
  context: HooksContext,
): Promise<number> {
  const { values, positionals } = parseArguments(args, UNINSTALL_COMMAND);
  noPositionals(positionals, "uninstall");
  const server = values.server === true ||
    await isBareRepository(context.io.cwd);
  const report = await uninstallHooks(
    server ? await findGitFolder(context.io.cwd) : await context.repo(),
    { server },
  );
  if (values.json) printJson(context.io, report);
  else printReport(context.io, report);
  return EXIT.ok;
}

const DESCRIPTIONS: Record<HookAction, string> = {
  installed: "installed",
  unchanged: "already installed, unchanged",
  updated: "updated",
  chained: "installed; it first runs the hook that was there, now kept in",
  removed: "removed",
  restored: "removed; put back the hook that was there, kept in",
  absent: "not installed, nothing to do",
  "kept-foreign": "not ours any more, left alone",
};

function printReport(io: Io, report: InstallReport): void {
  const via = report.hooksPath === undefined
    ? ""
    : ` (core.hooksPath "${report.hooksPath}")`;
  io.out(`Hooks folder: ${report.hooksFolder}${via}\n`);
  for (const line of report.hooks) {
    const from = line.action === "chained" || line.action === "restored"
      ? ` ${line.chained}`
      : "";
    io.out(`  ${line.hook.padEnd(11)} ${DESCRIPTIONS[line.action]}${from}\n`);
  }
  for (const warning of report.warnings) {
    io.err(`${TOOL_NAME}: warning: ${warning}\n`);
  }
}
