/**
 * `sign [PATH…]`: signs the MCP configs of the working tree, or the paths
 * given.
 *
 * @module
 */

import { loadSigningKey } from "../keys/key_store.ts";
import { signConfigs } from "../sign/sign_configs.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { EXIT, printJson, stringOption } from "./io.ts";

/** What `sign` accepts. */
export const SIGN_COMMAND: CommandSpec = {
  name: "sign",
  operands: "[PATH…]",
  options: {
    key: {
      type: "string",
      value: "PATH",
      help: "sign with this unencrypted Ed25519 OpenSSH private key\n" +
        "(default $MCP_ORCHESTRATION_KEY, else ~/.mcp-orchestration/keys/signing.key)",
    },
  },
};

/**
 * Runs `sign [PATH…]`.
 *
 * @param args The arguments after `sign`.
 * @param context Streams and repository.
 * @returns The exit code.
 * @throws {ToolError} When signing is refused (the dispatcher reports it).
 *
 * @example
 * ```ts ignore
 * await signCommand([".mcp.json"], context);
 * ```
 */
export async function signCommand(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { values, positionals } = parseArguments(args, SIGN_COMMAND);
  const keyPath = stringOption(values, "key");
  const repo = await context.repo();
  const key = await loadSigningKey(keyPath ? { keyPath } : {});
  const report = await signConfigs(repo, {
    key,
    cwd: context.io.cwd,
    paths: positionals,
  });
  if (values.json) {
    printJson(context.io, {
      signer: key.keyId,
      ...report,
      untrusted: report.untrusted ?? null,
    });
  } else {
    if (report.results.length === 0) context.io.out("No MCP configs to sign\n");
    for (const result of report.results) {
      const what = result.status === "signed" ? "signed   " : "unchanged";
      context.io.out(
        `${what} ${result.path}  (sequence ${result.sequence}, artifact ${result.artifact})\n`,
      );
    }
  }
  if (report.untrusted) context.io.err(`warning: ${report.untrusted}\n`);
  return EXIT.ok;
}
