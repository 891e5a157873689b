/**
 * `approve PATH… [--key FILE]`: adds your signature to the current signed
 * statement of each path (co-signing), for a policy that needs more than
 * one signer.
 *
 * @module
 */

import { approveConfigs, type Approver } from "../app/approve.ts";
import { STORE_DIR } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { loadSigner } from "../keys/signer.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { EXIT, printJson, stringOption } from "./io.ts";

/** What `approve` accepts. */
export const APPROVE_COMMAND: CommandSpec = {
  name: "approve",
  operands: "PATH…",
  options: {
    agent: {
      type: "boolean",
      help: "sign through the SSH agent ($SSH_AUTH_SOCK): --key then names\n" +
        "the public key to use (also $MCP_ORCHESTRATION_AGENT=1)",
    },
    key: {
      type: "string",
      value: "PATH",
      help: "approve with this unencrypted Ed25519 OpenSSH private key\n" +
        "(default $MCP_ORCHESTRATION_KEY, else ~/.mcp-orchestration/keys/signing.key)",
    },
  },
};

const STATUS_WORDS = {
  "approved": "approved        ",
  "already-approved": "already approved",
  "own-statement": "own statement   ",
} as const;

/**
 * Runs `approve PATH…`.
 *
 * @param args The arguments after `approve`.
 * @param context Streams and repository.
 * @returns The exit code.
 * @throws {ToolError} When approving is refused (the dispatcher reports it).
 *
 * @example
 * ```ts ignore
 * await approveCommand([".mcp.json"], context);
 * ```
 */
export async function approveCommand(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { values, positionals } = parseArguments(args, APPROVE_COMMAND);
  if (positionals.length === 0) {
    throw new ToolError("USAGE", "Name at least one PATH to approve");
  }
  const keyPath = stringOption(values, "key");
  const repo = await context.repo();
  const key = await loadSigner({
    ...(keyPath ? { keyPath } : {}),
    ...(values.agent ? { agent: true } : {}),
    repo,
  });
  const report = await approveConfigs(repo, {
    key,
    cwd: context.io.cwd,
    paths: positionals,
  });
  if (values.json) {
    printJson(context.io, report);
    return EXIT.ok;
  }
  for (const result of report.results) {
    context.io.out(
      `${
        STATUS_WORDS[result.status]
      } ${result.path}  (statement ${result.statementId})\n` +
        `  signed by    ${who(result.signer)}\n` +
        (result.approvals.length === 0
          ? "  approved by  nobody yet\n"
          : result.approvals.map((approval) =>
            `  approved by  ${who(approval)}\n`
          ).join("")),
    );
  }
  if (report.results.some((result) => result.status === "approved")) {
    context.io.out(
      `Commit the approvals: git add ${STORE_DIR} && git commit\n`,
    );
  }
  return EXIT.ok;
}

function who(approver: Approver): string {
  const names = approver.principals.length > 0
    ? ` (${approver.principals.join(", ")})`
    : " (not in the trust list)";
  return `${approver.keyId}${names}${
    approver.valid ? "" : " INVALID: does not verify"
  }`;
}
