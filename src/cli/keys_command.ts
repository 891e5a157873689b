/**
 * `keys init`, `keys show` and `keys rotate`.
 *
 * @module
 */

import { join, relative, sep } from "node:path";
import {
  ALLOWED_SIGNERS_PATH,
  KEYS_DIR_NAME,
  PRIVATE_KEY_NAME,
  SIGNATURE_NAMESPACE,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import {
  initKey,
  loadSigningKey,
  showKey,
  type SigningKey,
  toolHome,
} from "../keys/key_store.ts";
import type { Repository } from "../git/repository.ts";
import { shellQuote } from "../hooks/launch.ts";
import { hasControl } from "../format/lines.ts";
import {
  formatPublicKeyLine,
  parsePublicKeyLine,
} from "../format/public_key.ts";
import { agentKeys } from "../keys/signer.ts";
import { findSigner } from "../trust/allowed_signers.ts";
import { readTrust, rotateTrustedKey } from "../trust/trust_store.ts";
import { workingTreeReader } from "../source/store_reader.ts";
import { signConfigs } from "../sign/sign_configs.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { writeFileAtomic } from "../fs/files.ts";
import type { CommandContext } from "./command_context.ts";
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
    agent: {
      type: "boolean",
      help: "list the Ed25519 keys the SSH agent ($SSH_AUTH_SOCK) holds,\n" +
        "which --agent can sign with, and name the keys of other types",
    },
    key: {
      type: "string",
      value: "PATH",
      help:
        "an unencrypted Ed25519 OpenSSH private key to use instead of the\n" +
        "default (also $MCP_ORCHESTRATION_KEY)",
    },
  },
};

/** What `keys rotate` accepts. */
export const KEYS_ROTATE_COMMAND: CommandSpec = {
  name: "keys rotate",
  options: {
    principal: {
      type: "string",
      value: "NAME",
      help: "the new key's principal in this repository's trust list\n" +
        "(default: the principals, options and windows of the old key's lines)",
    },
  },
};

/**
 * Runs `keys <init|show|rotate>`.
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
  context: CommandContext,
): Promise<number> {
  if (sub === "init") return await keysInit(args, context.io);
  if (sub === "show") return await keysShow(args, context.io);
  if (sub === "rotate") return await keysRotate(args, context);
  throw new ToolError(
    "USAGE",
    `Unknown command "keys ${sub}": expected "keys init", "keys show" or "keys rotate"`,
  );
}

/**
 * Runs `keys rotate [--principal NAME]`: makes a new key pair (the old
 * private key moves to keys/retired/), and, in the current repository when
 * its trust list trusts the old key, writes the trust-list change that
 * trusts the new key and retires the old one, signed by the old key (which
 * the list trusted before the change).
 *
 * @param args The arguments after `keys rotate`.
 * @param context Streams, working folder and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage, key or trust errors.
 *
 * @example
 * ```ts ignore
 * await keysRotate(["--json"], context);
 * ```
 */
export async function keysRotate(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseArguments(args, KEYS_ROTATE_COMMAND);
  noPositionals(positionals, "keys rotate");
  const principal = stringOption(values, "principal");
  // The home's key, whatever $MCP_ORCHESTRATION_KEY names: that is the key
  // this command replaces.
  const old = await loadSigningKey({
    keyPath: join(toolHome(), KEYS_DIR_NAME, PRIVATE_KEY_NAME),
  });
  const repo = await context.repo().catch(() => undefined);
  const here = repo ? await trustedHere(repo, old) : false;
  const { created, retired } = await initKey({
    regenerate: true,
    comment: old.key.comment || TOOL_NAME,
  });
  let repository: { principals: string[]; next: string } | null = null;
  if (repo && here) {
    const newKey =
      parsePublicKeyLine(created.publicKeyLine, created.publicKeyPath)
        .key;
    const before = await fs.readFile(
      join(repo.root, ALLOWED_SIGNERS_PATH),
      "utf8",
    );
    const rotated = await rotateTrustedKey(
      repo,
      old.key.publicKey,
      newKey,
      principal ? { principal } : {},
    );
    if (rotated) {
      try {
        await signConfigs(repo, {
          key: old,
          cwd: repo.root,
          paths: [ALLOWED_SIGNERS_PATH],
          retiring: true,
        });
      } catch (error) {
        // Put the list back: an unsigned rotation approves nothing.
        await writeFileAtomic(join(repo.root, ALLOWED_SIGNERS_PATH), before);
        throw error;
      }
      const rel = relative(io.cwd, join(repo.root, STORE_DIR)).split(sep)
        .join("/");
      repository = {
        principals: rotated.principals,
        next: `git add ${shellQuote(rel === "" ? "." : rel)} && git commit -m ${
          shellQuote(`Rotate ${old.keyId} to ${created.keyId}`)
        }`,
      };
    }
  }
  if (values.json) {
    printJson(io, { created, retired: retired ?? null, repository });
    return EXIT.ok;
  }
  io.out(
    `Retired key ${old.keyId}: moved to ${
      retired?.privateKeyPath ?? "keys/retired/"
    }\n` +
      `Created key ${created.keyId}\n  private: ${created.privateKeyPath}\n  public:  ${created.publicKeyPath}\n`,
  );
  if (repository) {
    io.out(
      `\nIn ${ALLOWED_SIGNERS_PATH}: trusted ${created.keyId} as "${
        repository.principals.join(",")
      }", retired ${old.keyId}, and signed the change with ${old.keyId} (trusted before it).\n` +
        `What ${old.keyId} signed before still verifies; it signs nothing new. Next, commit it:\n  ${repository.next}\n`,
    );
  } else {
    io.out(
      `\n${old.keyId} is not trusted ${
        repo ? "in this repository" : "here (not in a repository)"
      }: nothing else changed. In each repository that trusts it, a trusted signer adds the new key:\n` +
        `  ${TOOL_NAME} trust add "${created.publicKeyPath}" --principal YOU@EXAMPLE.COM\n`,
    );
  }
  return EXIT.ok;
}

// Whether the repository's list trusts the key now (and it is not retired
// or revoked there: then there is nothing to rotate in it).
async function trustedHere(
  repo: Repository,
  key: SigningKey,
): Promise<boolean> {
  const trust = await readTrust(workingTreeReader(repo));
  if (!trust) return false;
  const decision = findSigner(trust, key.key.publicKey, {
    namespace: SIGNATURE_NAMESPACE,
    at: new Date(),
  });
  if (decision.status === "retired" || decision.status === "revoked") {
    throw new ToolError(
      "TRUST",
      `The key ${key.keyId} is ${decision.status} in this repository already: nothing was changed`,
    );
  }
  return decision.status === "trusted";
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
  if (values.agent) return await showAgentKeys(io, values.json === true);
  const info = await showKey(keyPath ? { keyPath } : {});
  if (values.json) printJson(io, info);
  else io.out(`${info.keyId}\n${info.publicKeyLine}\n`);
  return EXIT.ok;
}

// "keys show --agent": the agent's Ed25519 keys, one id and line each; the
// others are named, since --agent cannot use them (Ed25519 only).
async function showAgentKeys(io: Io, json: boolean): Promise<number> {
  const { usable, others } = await agentKeys();
  // The agent chooses a key's comment: one with a control character (a
  // line break that would fake another key) is left off its line.
  const keys = usable.map((key) => ({
    keyId: key.keyId!,
    publicKeyLine: formatPublicKeyLine(
      key.publicKey!,
      hasControl(key.comment ?? "", { allowTab: false })
        ? undefined
        : key.comment,
    ),
  }));
  const unusable = others.map((key) => ({
    type: key.type,
    comment: key.comment,
  }));
  if (json) {
    printJson(io, { keys, unusable });
    return EXIT.ok;
  }
  if (keys.length === 0) {
    io.out("The SSH agent holds no Ed25519 key\n");
  }
  for (const key of keys) io.out(`${key.keyId}\n${key.publicKeyLine}\n`);
  for (const key of unusable) {
    io.out(
      `not usable (Ed25519 only): ${key.type} ${
        key.comment || "(no comment)"
      }\n`,
    );
  }
  return EXIT.ok;
}
