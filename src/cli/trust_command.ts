/**
 * `trust add`, `trust list` and `trust remove`.
 *
 * @module
 */

import { ALLOWED_SIGNERS_PATH } from "../constants.ts";
import { ToolError } from "../errors.ts";
import type { Repository } from "../git/repository.ts";
import { parseValidityDate } from "../trust/allowed_signers.ts";
import {
  addTrustedKey,
  readTrustList,
  removeTrustedKeys,
} from "../trust/trust_store.ts";
import { EXIT, type Io, parseCommand, printJson, stringOption } from "./io.ts";
import { noPositionals } from "./keys_command.ts";

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
  context: { io: Io; repo: () => Promise<Repository> },
): Promise<number> {
  const { io } = context;
  if (sub === "add") {
    const { values, positionals } = parseCommand(args, {
      principal: { type: "string" },
      "valid-after": { type: "string" },
      "valid-before": { type: "string" },
    });
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
    const added = await addTrustedKey(
      await context.repo(),
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
    if (values.json) printJson(io, { ...added, principal });
    else {
      io.out(
        `Trusted ${added.keyId} as "${principal}" in ${ALLOWED_SIGNERS_PATH}\n`,
      );
      if (added.repository) io.out(repositoryNote(added.repository));
    }
    return EXIT.ok;
  }
  if (sub === "list") {
    const { values, positionals } = parseCommand(args, {});
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
  if (sub === "remove") {
    const { values, positionals } = parseCommand(args, {});
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
    } else {for (const entry of removed) {
        io.out(`Removed ${entry.keyId} (${entry.principals.join(",")})\n`);
      }}
    return EXIT.ok;
  }
  throw new ToolError(
    "USAGE",
    `Unknown command "trust ${sub}": expected "trust add", "trust list" or "trust remove"`,
  );
}

function repositoryNote(id: string): string {
  return `Gave this repository the id ${id} in ${ALLOWED_SIGNERS_PATH}: what is signed from now on names it, ` +
    `so it counts in this repository only\n`;
}
