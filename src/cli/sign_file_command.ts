/**
 * `sign-file`: signs any files (a release's binaries and checksums) with
 * the same key as `sign`, in a namespace of their own.
 *
 * @module
 */

import {
  RELEASE_SIGNATURE_NAMESPACE,
  SIGNATURE_NAMESPACE,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { loadSigner } from "../keys/signer.ts";
import { checkNamespace, signFiles } from "../sign/sign_files.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { EXIT, type Io, printJson, stringOption } from "./io.ts";

/** What `sign-file` accepts. */
export const SIGN_FILE_COMMAND: CommandSpec = {
  name: "sign-file",
  operands: "<FILE…>",
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
    namespace: {
      type: "string",
      value: "NS",
      help:
        `the SSHSIG namespace (default "${RELEASE_SIGNATURE_NAMESPACE}"); never\n` +
        `"${SIGNATURE_NAMESPACE}", which only config statements are signed in`,
    },
    force: {
      type: "boolean",
      help: "replace an existing FILE.sig (refused otherwise)",
    },
  },
  json: "machine-readable output: signer, namespace, and each file's\n" +
    "signature path, size and SHA-256",
};

/**
 * Runs `sign-file <FILE…> [--key PATH] [--namespace NS] [--force]`.
 *
 * @param args The arguments after `sign-file`.
 * @param io Streams and working folder.
 * @returns The exit code.
 * @throws {ToolError} On usage, key or file errors (the dispatcher reports them).
 *
 * @example
 * ```ts ignore
 * await signFileCommand(["dist/SHA256SUMS", "--key", "release.key"], io);
 * ```
 */
export async function signFileCommand(
  args: string[],
  io: Io,
): Promise<number> {
  const { values, positionals } = parseArguments(args, SIGN_FILE_COMMAND);
  const keyPath = stringOption(values, "key");
  // Checked before the key is loaded, so a typo costs no key access.
  const namespace = checkNamespace(
    stringOption(values, "namespace") ?? RELEASE_SIGNATURE_NAMESPACE,
  );
  if (positionals.length === 0) {
    throw new ToolError("USAGE", `"sign-file" needs at least one file`);
  }
  const key = await loadSigner({
    ...(keyPath ? { keyPath } : {}),
    ...(values.agent ? { agent: true } : {}),
  });
  const report = await signFiles(positionals, {
    key,
    namespace,
    force: values.force === true,
    cwd: io.cwd,
  });
  if (values.json) {
    printJson(io, report);
    return EXIT.ok;
  }
  io.out(`Signed with ${report.signer} in namespace "${namespace}":\n`);
  for (const file of report.files) io.out(`  ${file.signature}\n`);
  io.out(
    `Check a file with:\n  ssh-keygen -Y verify -f ALLOWED_SIGNERS -I PRINCIPAL -n ${namespace} -s FILE.sig < FILE\n`,
  );
  return EXIT.ok;
}
