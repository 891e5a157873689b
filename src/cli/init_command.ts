/**
 * `init`: sets the repository up in one step and says what it did, step by
 * step, as each step completes (so a failure still shows what was done).
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { launchCommand } from "../hooks/launch.ts";
import {
  INIT_STEPS,
  InitError,
  initRepository,
  type InitStep,
} from "../app/init_repository.ts";
import type { CommandContext } from "./command_context.ts";
import {
  type CommandSpec,
  noPositionals,
  parseArguments,
} from "./command_spec.ts";
import { EXIT, type Io, printJson, stringOption } from "./io.ts";

/** What `init` needs: streams and the repository. */
export type InitContext = CommandContext;

/** What `init` accepts. */
export const INIT_COMMAND: CommandSpec = {
  name: "init",
  options: {
    principal: {
      type: "string",
      value: "NAME",
      help: "who the key belongs to in the trust list (default:\n" +
        "git config user.email; one of the two is needed when the\n" +
        "key is not trusted yet)",
    },
    key: {
      type: "string",
      value: "PATH",
      help: "use this unencrypted Ed25519 OpenSSH private key",
    },
    force: {
      type: "boolean",
      help: "install the hooks into a core.hooksPath folder that is\n" +
        `not ours (see "${TOOL_NAME} install --help")`,
    },
  },
  json: "machine-readable report of the steps",
};

/**
 * Runs `init [--principal NAME] [--key PATH] [--force] [--json]`.
 *
 * With `--json` it prints, on success and on a failed step alike:
 *
 * ```json
 * {
 *   "ok": true,
 *   "root": "/path/to/repo",
 *   "steps": [
 *     { "step": "key", "status": "created", "changed": true, "summary": "…", "keyId": "SHA256:…", "path": "…/signing.key" },
 *     { "step": "trust", "status": "added", "changed": true, "summary": "…", "keyId": "SHA256:…", "principals": ["you@example.com"] },
 *     { "step": "hooks", "status": "installed", "changed": true, "summary": "…", "hooksFolder": "…", "hooks": [{ "hook": "pre-commit", "action": "installed", "path": "…" }], "warnings": [] },
 *     { "step": "sign", "status": "signed", "changed": true, "summary": "…", "results": [{ "path": ".mcp.json", "status": "signed", "statementId": "…", "artifact": "…", "sequence": 1 }] }
 *   ],
 *   "failed": null,
 *   "next": "git add .mcp-orchestration .mcp.json && git commit -m '…'",
 *   "command": ["/usr/bin/deno", "run", "…"]
 * }
 * ```
 *
 * `next` is null when Git has nothing to commit. When a step fails, `ok` is
 * false, `steps` holds the steps done before it, `failed` is
 * `{ "step", "code", "message" }` (`step` null when refused before the
 * first step, e.g. for want of a principal) and `next` is null; the error
 * also goes to stderr and sets the exit code.
 *
 * @param args The arguments after `init`.
 * @param context Streams and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage errors and failed steps (the dispatcher
 * reports them: exit 2 for usage, else 1).
 *
 * @example
 * ```ts ignore
 * await initCommand(["--principal", "alice@example.com"], { io, repo });
 * ```
 */
export async function initCommand(
  args: string[],
  context: InitContext,
): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseArguments(args, INIT_COMMAND);
  noPositionals(positionals, "init");
  const principal = stringOption(values, "principal");
  const keyPath = stringOption(values, "key");
  const json = values.json === true;
  const repo = await context.repo();
  const command = launchCommand();
  try {
    const report = await initRepository(repo, {
      command,
      force: values.force === true,
      cwd: io.cwd,
      ...(principal !== undefined ? { principal } : {}),
      ...(keyPath !== undefined ? { keyPath } : {}),
      ...(json ? {} : {
        onStep: (step: InitStep) => printStep(io, step),
      }),
    });
    if (json) {
      printJson(io, { ok: true, ...report, failed: null, command });
      return EXIT.ok;
    }
    if (report.next === null) {
      io.out(
        `\nNothing to commit: the signatures and configs are committed already.\n`,
      );
    } else {
      io.out(
        `\nNext, commit the result:\n  ${report.next}\n` +
          `From then on, the pre-commit hook signs the MCP configs you commit, ` +
          `and the pre-push hook verifies what you push.\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (json && error instanceof ToolError) {
      const failed = error instanceof InitError;
      printJson(io, {
        ok: false,
        root: repo.root,
        steps: failed ? error.done : [],
        failed: {
          step: failed ? error.step : null,
          code: error.code,
          message: failed ? errorMessage(error.cause) : error.message,
        },
        next: null,
        command,
      });
    }
    throw error;
  }
}

function printStep(io: Io, step: InitStep): void {
  const number = INIT_STEPS.indexOf(step.step) + 1;
  io.out(`${number}. ${step.step.padEnd(5)}  ${step.summary}\n`);
  if (step.step === "hooks") {
    for (const warning of step.warnings) {
      io.err(`${TOOL_NAME}: warning: ${warning}\n`);
    }
  }
}
