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
import type { TrustRequest } from "../app/trust_request.ts";
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
        "not ours, or while the tool runs from a package manager's\n" +
        `throwaway cache (see "${TOOL_NAME} install --help")`,
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
 *   "request": null,
 *   "command": ["/usr/bin/deno", "run", "…"]
 * }
 * ```
 *
 * `next` is null when Git has nothing to commit. In a repository that
 * already has a trust list without your key, the trust step's status is
 * `not-trusted`, the sign step's `skipped`, `next` null, and `request` is
 * `{ "keyId", "publicKey", "principal", "command", "signers" }`: the
 * `trust add` command a trusted signer runs (`principal` null and `NAME`
 * in the command when neither --principal nor user.email gives one), and
 * the principals of the trust list. When a step fails, `ok` is
 * false, `steps` holds the steps done before it, `failed` is
 * `{ "step", "code", "message" }` (`step` null when refused before the
 * first step, e.g. for want of a principal), `next` and `request` are
 * null; the error also goes to stderr and sets the exit code.
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
    if (report.request !== null) {
      io.out(requestText(report.request));
    } else if (report.next === null) {
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
        request: null,
        command,
      });
    }
    throw error;
  }
}

/**
 * What a newcomer to an adopted repository is told: the exact line a
 * trusted signer runs, the key id to compare out of band, and why.
 *
 * @param request The request {@linkcode initRepository} reported.
 * @returns The text, starting with a blank line and ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestText } from "./init_command.ts";
 * const text = requestText({ keyId: "SHA256:x", publicKey: "ssh-ed25519 AAAA", principal: null,
 *   command: 'mcp-orchestration trust add "ssh-ed25519 AAAA" --principal NAME', signers: ["a@example.com"] });
 * assert.match(text, /^  mcp-orchestration trust add "ssh-ed25519 AAAA" --principal NAME$/m);
 * assert.match(text, /replace NAME/);
 * ```
 */
export function requestText(request: TrustRequest): string {
  const whom = request.signers.length > 0
    ? ` (${request.signers.join(", ")})`
    : "";
  return `\nYour key is not trusted in this repository, and you cannot add it yourself: ` +
    `a change to its trust list counts only when a key it already trusts signs it. ` +
    `Ask a trusted signer${whom} to run, in their clone:\n` +
    `  ${request.command}\n` +
    (request.principal === null
      ? `(replace NAME by who you are, e.g. your email address)\n`
      : "") +
    `and to commit and push the result. Before they run it, compare the key id ` +
    `${request.keyId} with them over another channel (in person, by phone): ` +
    `whoever can change that line in transit could put their own key in its place.\n` +
    `Until you have pulled their commit, the pre-commit hook refuses your commits that change an MCP config; ` +
    `from then on it signs them.\n`;
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
