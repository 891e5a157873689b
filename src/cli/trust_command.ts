/**
 * `trust add`, `trust list`, `trust remove` and `trust revoke`.
 *
 * @module
 */

import { join, relative, sep } from "node:path";
import {
  ALLOWED_SIGNERS_PATH,
  POLICY_PATH,
  REVOKED_KEYS_PATH,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import type { Repository } from "../git/repository.ts";
import { workingTreeReader } from "../source/store_reader.ts";
import { literalPrincipals, readPolicy } from "../trust/policy_store.ts";
import { shellQuote } from "../hooks/launch.ts";
import { ToolError } from "../errors.ts";
import { parseValidityDate } from "../trust/validity_date.ts";
import {
  addTrustedKey,
  readTrustList,
  removeTrustedKeys,
  revokeKey,
} from "../trust/trust_store.ts";
import type { CommandContext } from "./command_context.ts";
import {
  type CommandSpec,
  noPositionals,
  parseArguments,
} from "./command_spec.ts";
import { EXIT, printJson, stringOption } from "./io.ts";

/** What `trust add` accepts. */
export const TRUST_ADD_COMMAND: CommandSpec = {
  name: "trust add",
  operands: "<PUBLIC_KEY_FILE | KEY_LINE>",
  options: {
    principal: {
      type: "string",
      value: "NAME",
      required: true,
      help: "who the key belongs to, e.g. an email address (required)",
    },
    "valid-after": {
      type: "string",
      value: "DATE",
      help: "trust the key only from DATE (YYYYMMDD[HHMM[SS]]Z or ISO 8601)",
    },
    "valid-before": {
      type: "string",
      value: "DATE",
      help: "trust the key only until DATE",
    },
  },
};

/** What `trust list` accepts. */
export const TRUST_LIST_COMMAND: CommandSpec = {
  name: "trust list",
  options: {},
};

/** What `trust remove` accepts. */
export const TRUST_REMOVE_COMMAND: CommandSpec = {
  name: "trust remove",
  operands: "<KEY_ID | PRINCIPAL>",
  options: {},
};

/** What `trust revoke` accepts. */
export const TRUST_REVOKE_COMMAND: CommandSpec = {
  name: "trust revoke",
  operands: "<KEY_ID | PUBLIC_KEY_FILE | KEY_LINE>",
  options: {
    reason: {
      type: "string",
      value: "TEXT",
      required: true,
      help: 'why the key is revoked, one line (required), e.g. "laptop stolen"',
    },
  },
};

const TRUST_SUBCOMMANDS: Readonly<
  Record<string, (args: string[], context: CommandContext) => Promise<number>>
> = {
  add: trustAdd,
  list: trustList,
  remove: trustRemove,
  revoke: trustRevoke,
};

/**
 * Runs `trust <add|list|remove>`.
 *
 * @param sub The subcommand.
 * @param args Its arguments.
 * @param context Streams, working folder and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage or trust errors (the dispatcher reports them).
 *
 * @example
 * ```ts ignore
 * await trustCommand("list", [], { io, repo });
 * ```
 */
export async function trustCommand(
  sub: string,
  args: string[],
  context: CommandContext,
): Promise<number> {
  const run = Object.hasOwn(TRUST_SUBCOMMANDS, sub)
    ? TRUST_SUBCOMMANDS[sub]
    : undefined;
  if (run) return await run(args, context);
  throw new ToolError(
    "USAGE",
    `Unknown command "trust ${sub}": expected "trust add", "trust list", "trust remove" or "trust revoke"`,
  );
}

/**
 * Runs `trust add <PUBLIC_KEY_FILE | KEY_LINE> --principal NAME`.
 *
 * @param args The arguments after `trust add`.
 * @param context Streams, working folder and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage or trust errors.
 *
 * @example
 * ```ts ignore
 * await trustAdd(["alice.pub", "--principal", "alice@example.com"], context);
 * ```
 */
export async function trustAdd(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseArguments(args, TRUST_ADD_COMMAND);
  if (positionals.length !== 1) {
    throw new ToolError(
      "USAGE",
      `"trust add" takes one public key (a .pub file or a quoted key line)`,
    );
  }
  const principal = stringOption(values, "principal");
  if (!principal) {
    throw new ToolError(
      "USAGE",
      `"trust add" needs --principal NAME (e.g. an email address)`,
    );
  }
  const after = stringOption(values, "valid-after");
  const before = stringOption(values, "valid-before");
  const repo = await context.repo();
  const added = await addTrustedKey(
    repo,
    positionals[0] as string,
    {
      principal,
      ...(after
        ? { validAfter: parseValidityDate(after, "--valid-after") }
        : {}),
      ...(before
        ? { validBefore: parseValidityDate(before, "--valid-before") }
        : {}),
    },
  );
  const next = commitStoreCommand(
    repo.root,
    io.cwd,
    `Trust ${principal} to sign MCP configs`,
  );
  if (values.json) printJson(io, { ...added, principal, next });
  else {
    io.out(
      `Trusted ${added.keyId} as "${principal}" in ${ALLOWED_SIGNERS_PATH}\n`,
    );
    if (added.repository) io.out(repositoryNote(added.repository));
    io.out(
      `Next, commit it:\n  ${next}\n` +
        `The pre-commit hook signs the trust-list change with your key, which the trust list ` +
        `already committed, if there is one, must trust (install the hooks with "${TOOL_NAME} install" if you have not); ` +
        `then push it: the new key counts in a clone once it has this commit\n`,
    );
  }
  return EXIT.ok;
}

/**
 * The git command that commits the store: it is committed whole, and the
 * pre-commit hook adds the signature of a changed trust file to it.
 *
 * @param root The repository's root.
 * @param cwd The folder the user runs commands in.
 * @param message The commit message.
 * @returns A shell command line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commitStoreCommand } from "./trust_command.ts";
 * assert.equal(commitStoreCommand("/r", "/r", "Add it"), "git add .mcp-orchestration && git commit -m 'Add it'");
 * ```
 */
export function commitStoreCommand(
  root: string,
  cwd: string,
  message: string,
): string {
  const rel = relative(cwd, join(root, STORE_DIR)).split(sep).join("/");
  return `git add ${shellQuote(rel === "" ? "." : rel)} && git commit -m ${
    shellQuote(message)
  }`;
}

/**
 * Runs `trust list`.
 *
 * @param args The arguments after `trust list`.
 * @param context Streams, working folder and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage errors, or when the trust list is unreadable.
 *
 * @example
 * ```ts ignore
 * await trustList(["--json"], context);
 * ```
 */
export async function trustList(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseArguments(args, TRUST_LIST_COMMAND);
  noPositionals(positionals, "trust list");
  const trust = await readTrustList(await context.repo());
  const entries = trust.entries.map((entry) => ({
    keyId: entry.keyId,
    principals: entry.principals,
    keyType: entry.keyType,
    namespaces: entry.namespaces ?? null,
    validAfter: entry.validAfter?.toISOString() ?? null,
    validBefore: entry.validBefore?.toISOString() ?? null,
    certAuthority: entry.certAuthority,
    line: entry.line,
  }));
  if (values.json) {
    printJson(io, entries);
  } else if (entries.length === 0) {
    io.out(`No trusted keys in ${ALLOWED_SIGNERS_PATH}\n`);
  } else {
    for (const entry of entries) {
      const window = [
        entry.validAfter ? `from ${entry.validAfter}` : "",
        entry.validBefore ? `until ${entry.validBefore}` : "",
      ].filter(Boolean).join(" ");
      const namespaces = entry.namespaces
        ? ` namespaces=${entry.namespaces.join(",")}`
        : "";
      io.out(
        `${entry.keyId}  ${entry.principals.join(",")}${namespaces}${
          window ? `  (${window})` : ""
        }\n`,
      );
    }
  }
  return EXIT.ok;
}

/**
 * Runs `trust remove <KEY_ID | PRINCIPAL>`.
 *
 * @param args The arguments after `trust remove`.
 * @param context Streams, working folder and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage or trust errors.
 *
 * @example
 * ```ts ignore
 * await trustRemove(["alice@example.com"], context);
 * ```
 */
export async function trustRemove(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseArguments(args, TRUST_REMOVE_COMMAND);
  if (positionals.length !== 1) {
    throw new ToolError(
      "USAGE",
      `"trust remove" takes one key id or principal`,
    );
  }
  const removed = await removeTrustedKeys(
    await context.repo(),
    positionals[0] as string,
  );
  if (values.json) {
    printJson(
      io,
      removed.map((entry) => ({
        keyId: entry.keyId,
        principals: entry.principals,
      })),
    );
  } else {
    for (const entry of removed) {
      io.out(`Removed ${entry.keyId} (${entry.principals.join(",")})\n`);
    }
  }
  return EXIT.ok;
}

/**
 * Runs `trust revoke <KEY_ID | PUBLIC_KEY_FILE | KEY_LINE> --reason TEXT`:
 * records the key in revoked_keys, removes its trust-list lines, and says
 * what to sign again.
 *
 * @param args The arguments after `trust revoke`.
 * @param context Streams, working folder and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage or trust errors (nothing is written then).
 *
 * @example
 * ```ts ignore
 * await trustRevoke(["SHA256:…", "--reason", "laptop stolen"], context);
 * ```
 */
export async function trustRevoke(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseArguments(args, TRUST_REVOKE_COMMAND);
  if (positionals.length !== 1) {
    throw new ToolError(
      "USAGE",
      `"trust revoke" takes one key: a key id (SHA256:…), a .pub file or a quoted key line`,
    );
  }
  const reason = stringOption(values, "reason") ?? "";
  const repo = await context.repo();
  const revoked = await revokeKey(repo, positionals[0] as string, {
    reason,
    now: new Date(),
  });
  const next = [
    `git add ${shellQuote(storeFolder(repo.root, io.cwd))} && git commit -m ${
      shellQuote(`Revoke ${revoked.keyId}`)
    }`,
    `${TOOL_NAME} sign --resign`,
  ];
  const keyless = await keylessPolicyPrincipals(
    repo,
    revoked.removed.flatMap((entry) => entry.principals),
  );
  if (values.json) {
    printJson(io, {
      keyId: revoked.keyId,
      removed: revoked.removed.map((entry) => ({
        keyId: entry.keyId,
        principals: entry.principals,
        line: entry.line,
      })),
      resign: revoked.signed,
      keylessPolicyPrincipals: keyless,
      next,
    });
    return EXIT.ok;
  }
  io.out(`Revoked ${revoked.keyId} in ${REVOKED_KEYS_PATH}\n`);
  for (const entry of revoked.removed) {
    io.out(
      `Removed line ${entry.line} (${
        entry.principals.join(",")
      }) from ${ALLOWED_SIGNERS_PATH}\n`,
    );
  }
  if (revoked.signed.length > 0) {
    io.out(
      `These configs are signed by the revoked key and now fail (REVOKED_KEY); review each ` +
        `(what did the key's holder sign?), then sign them again:\n` +
        revoked.signed.map((path) => `  ${path}\n`).join("") +
        `  ${next[1]}\n`,
    );
  }
  if (keyless.length > 0) {
    io.out(
      `${POLICY_PATH} names ${
        keyless.join(", ")
      }, who now has no key in ${ALLOWED_SIGNERS_PATH}, and the commit is refused until the policy is valid again: ` +
        `trust their new key (${TOOL_NAME} trust add NEW.pub --principal ${
          shellQuote(keyless[0]!)
        }), or take them out of the policy and raise its "version"\n`,
    );
  }
  io.out(
    `${
      revoked.signed.length > 0 || keyless.length > 0 ? "Then" : "Next,"
    } commit it (the pre-commit hook signs the change with your key, which HEAD must trust):\n  ${
      next[0]
    }\n`,
  );
  return EXIT.ok;
}

// The principals the working tree's policy names that the trust list no
// longer gives any key (a revoked key was their last).
async function keylessPolicyPrincipals(
  repo: Repository,
  principals: readonly string[],
): Promise<string[]> {
  const policy = await readPolicy(workingTreeReader(repo)).catch(() =>
    undefined
  );
  if (!policy) return [];
  const named = new Set([...policy.groups.values()].flat());
  const left = literalPrincipals(await readTrustList(repo));
  return [...new Set(principals)].filter((principal) =>
    named.has(principal) && !left.has(principal)
  ).sort();
}

function storeFolder(root: string, cwd: string): string {
  const rel = relative(cwd, join(root, STORE_DIR)).split(sep).join("/");
  return rel === "" ? "." : rel;
}

function repositoryNote(id: string): string {
  return `Gave this repository the id ${id} in ${ALLOWED_SIGNERS_PATH}: what is signed from now on names it, ` +
    `so it counts in this repository only\n`;
}
