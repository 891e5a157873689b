/**
 * `keys init` and `keys show`.
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { initKey, showKey } from "../keys/key_store.ts";
import {
  type CommandSpec,
  noPositionals,
  parseArguments,
} from "./command_spec.ts";
import { EXIT, type Io, printJson, stringOption } from "./io.ts";

/** What `keys init` accepts. */
export const KEYS_INIT_COMMAND: CommandSpec = {
  name: "keys init",
  options: {
    regenerate: {
      type: "boolean",
      help: "retire the existing key (moved to keys/retired/, not deleted)\n" +
        "and create a new one; prints both key ids",
    },
    comment: {
      type: "string",
      value: "TEXT",
      help: `the public key's comment (default "${TOOL_NAME}")`,
    },
  },
};

/** What `keys show` accepts. */
export const KEYS_SHOW_COMMAND: CommandSpec = {
  name: "keys show",
  options: {
    key: {
      type: "string",
      value: "PATH",
      help:
        "an unencrypted Ed25519 OpenSSH private key to use instead of the\n" +
        "default (also $MCP_ORCHESTRATION_KEY)",
    },
  },
};

/**
 * Runs `keys <init|show>`.
 *
 * @param sub The subcommand.
 * @param args Its arguments.
 * @param io Streams and working folder.
 * @returns The exit code.
 * @throws {ToolError} On usage or key errors (the dispatcher reports them).
 *
 * @example
 * ```ts ignore
 * await keysCommand("show", ["--json"], io);
 * ```
 */
export async function keysCommand(
  sub: string,
  args: string[],
  io: Io,
): Promise<number> {
  if (sub === "init") return await keysInit(args, io);
  if (sub === "show") return await keysShow(args, io);
  throw new ToolError(
    "USAGE",
    `Unknown command "keys ${sub}": expected "keys init" or "keys show"`,
  );
}

/**
 * Runs `keys init [--regenerate] [--comment TEXT]`.
 *
 * @param args The arguments after `keys init`.
 * @param io Streams and working folder.
 * @returns The exit code.
 * @throws {ToolError} On usage errors, or `KEY_EXISTS` without --regenerate.
 *
 * @example
 * ```ts ignore
 * await keysInit(["--json"], io);
 * ```
 */
export async function keysInit(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArguments(args, KEYS_INIT_COMMAND);
  noPositionals(positionals, "keys init");
  const comment = stringOption(values, "comment");
  const { created, retired } = await initKey({
    regenerate: values.regenerate === true,
    ...(comment ? { comment } : {}),
  });
  if (values.json) {
    printJson(io, { created, retired: retired ?? null });
  } else {
    if (retired) {
      io.out(
        `Retired key ${retired.keyId}: moved to ${retired.privateKeyPath}\n`,
      );
    }
    io.out(
      `Created key ${created.keyId}\n  private: ${created.privateKeyPath}\n  public:  ${created.publicKeyPath}\n`,
    );
    io.out(
      `\nTrust it in a repository with:\n  mcp-orchestration trust add "${created.publicKeyPath}" --principal YOU@EXAMPLE.COM\n`,
    );
  }
  return EXIT.ok;
}

/**
 * Runs `keys show [--key PATH]`.
 *
 * @param args The arguments after `keys show`.
 * @param io Streams and working folder.
 * @returns The exit code.
 * @throws {ToolError} On usage or key errors.
 *
 * @example
 * ```ts ignore
 * await keysShow(["--json"], io);
 * ```
 */
export async function keysShow(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArguments(args, KEYS_SHOW_COMMAND);
  noPositionals(positionals, "keys show");
  const keyPath = stringOption(values, "key");
  const info = await showKey(keyPath ? { keyPath } : {});
  if (values.json) printJson(io, info);
  else io.out(`${info.keyId}\n${info.publicKeyLine}\n`);
  return EXIT.ok;
}
