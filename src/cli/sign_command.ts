/**
 * `sign [PATH…]`: signs the MCP configs of the working tree, or the paths
 * given.
 *
 * @module
 */

import { loadSigner } from "../keys/signer.ts";
import { signConfigs } from "../sign/sign_configs.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { EXIT, printJson, stringOption } from "./io.ts";
import { ToolError } from "../errors.ts";
import type { Repository } from "../git/repository.ts";
import { resignCandidates } from "../app/resign.ts";
import { readTrust } from "../trust/trust_store.ts";
import { workingTreeReader } from "../source/store_reader.ts";
import { verifyWorkingTree } from "../verify/verify_working_tree.ts";
import { formatFinding } from "../configs/lint_config.ts";

// The working tree's configs whose statement fails only for its key, or
// was made by a retired key (judged against HEAD, as "verify" does).
async function resignPaths(repo: Repository): Promise<string[]> {
  const results = await verifyWorkingTree(repo, { cwd: repo.root });
  const trust = await readTrust(workingTreeReader(repo));
  return resignCandidates(results, trust, { all: true }).map((entry) =>
    entry.path
  );
}

/** What `sign` accepts. */
export const SIGN_COMMAND: CommandSpec = {
  name: "sign",
  operands: "[PATH…]",
  options: {
    agent: {
      type: "boolean",
      help: "sign through the SSH agent ($SSH_AUTH_SOCK): --key then names\n" +
        "the public key to use (also $MCP_ORCHESTRATION_AGENT=1)",
    },
    key: {
      type: "string",
      value: "PATH",
      help: "sign with this unencrypted Ed25519 OpenSSH private key\n" +
        "(default $MCP_ORCHESTRATION_KEY, else ~/.mcp-orchestration/keys/signing.key)",
    },
    resign: {
      type: "boolean",
      help:
        "sign again, in one go, every config whose statement fails only for\n" +
        "its key (revoked, retired, untrusted, expired) or was signed by a\n" +
        "retired key; review them first (status lists them)",
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
  const key = await loadSigner({
    ...(keyPath ? { keyPath } : {}),
    ...(values.agent ? { agent: true } : {}),
    repo,
  });
  const resign = values.resign === true;
  if (resign && positionals.length > 0) {
    throw new ToolError(
      "USAGE",
      '"sign --resign" takes no paths: it signs every config whose statement fails only for its key',
    );
  }
  const paths = resign ? await resignPaths(repo) : positionals;
  if (resign && paths.length === 0) {
    if (values.json) printJson(context.io, { signer: key.keyId, results: [] });
    else context.io.out("Nothing to re-sign: no statement fails for its key\n");
    return EXIT.ok;
  }
  const report = await signConfigs(repo, {
    key,
    cwd: resign ? repo.root : context.io.cwd,
    paths,
    ...(resign ? { resign: true } : {}),
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
  if (!values.json) {
    for (const finding of report.lint) {
      context.io.err(`${formatFinding(finding)}\n`);
    }
  }
  if (report.untrusted) context.io.err(`warning: ${report.untrusted}\n`);
  return EXIT.ok;
}
