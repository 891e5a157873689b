/**
 * `log [PATH…] [--rev REV] [--reverse]`: the audit trail along history,
 * one block per event, newest first like `git log` (see `app/audit_log.ts`
 * for what the events are, and docs/FORMAT.md, "Audit log", for `--json`).
 *
 * @module
 */

import { auditLog, type LogEvent, type LogSigner } from "../app/audit_log.ts";
import { escapeInvisible } from "../format/quote.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { displayPath, EXIT, printJson, stringOption } from "./io.ts";

/** What `log` accepts. */
export const LOG_COMMAND: CommandSpec = {
  name: "log",
  operands: "[PATH…]",
  options: {
    rev: {
      type: "string",
      value: "REV",
      help: "the history of this commit (default HEAD)",
    },
    reverse: {
      type: "boolean",
      help: "oldest first (default: newest first, like git log)",
    },
  },
  json: "a JSON array of events, in the same order (docs/FORMAT.md)",
};

/**
 * Runs `log`.
 *
 * @param args The arguments after `log`.
 * @param context Streams and repository.
 * @returns 0: the log is shown, whatever it shows (verify is the gate).
 * @throws {ToolError} `USAGE` for a revision that names no commit,
 * `BAD_PATH` for a path that is no config the history signed.
 *
 * @example
 * ```ts ignore
 * await logCommand([".mcp.json", "--json"], context);
 * ```
 */
export async function logCommand(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { values, positionals } = parseArguments(args, LOG_COMMAND);
  const rev = stringOption(values, "rev");
  const events = await auditLog(await context.repo(), {
    cwd: context.io.cwd,
    paths: positionals,
    ...(rev !== undefined ? { rev } : {}),
  });
  if (values.reverse !== true) events.reverse();
  if (values.json === true) {
    printJson(context.io, events);
    return EXIT.ok;
  }
  if (events.length === 0) {
    context.io.out("No signed configs or trust changes in this history\n");
    return EXIT.ok;
  }
  context.io.out(events.map(formatEvent).join("\n"));
  return EXIT.ok;
}

/**
 * One event for people: a heading line, then indented fields.
 *
 * @param event The event.
 * @returns Its block, ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatEvent } from "./log_command.ts";
 * const text = formatEvent({
 *   type: "deleted", path: ".mcp.json", statementId: "a".repeat(64),
 *   commit: { id: "b".repeat(40), date: "2026-12-06T20:00:00+00:00", subject: "Drop it" },
 *   verification: { status: "verified", code: null, reason: "verified" },
 * });
 * assert.ok(text.startsWith("deleted  .mcp.json\n"));
 * ```
 */
export function formatEvent(event: LogEvent): string {
  const lines: [string, string][] = [];
  const field = (name: string, value: string) =>
    lines.push([name, escapeInvisible(value)]);
  let heading: string;
  switch (event.type) {
    case "signed":
      heading = `signed   ${
        displayPath(event.path)
      }  (sequence ${event.sequence})`;
      field("artifact", event.artifact);
      field(
        "signer",
        event.principals.length > 0
          ? `${event.signer}  ${event.principals.join(", ")}`
          : `${event.signer}  (claimed; not verified here)`,
      );
      field("signed", event.signedAt);
      field(
        "previous",
        event.previous.length === 0 ? "none" : event.previous.join(" "),
      );
      break;
    case "approved":
      heading = `approved ${
        event.path === null ? "(unknown statement)" : displayPath(event.path)
      }`;
      field("statement", event.statementId);
      if (event.artifact !== null) field("artifact", event.artifact);
      field(
        "approver",
        event.principals.length > 0
          ? `${event.keyId}  ${event.principals.join(", ")}`
          : `${event.keyId}  (not verified here)`,
      );
      break;
    case "tampered":
    case "failing":
    case "deleted":
      heading = `${event.type.padEnd(8)} ${displayPath(event.path)}`;
      field("statement", event.statementId);
      break;
    case "trust-added":
    case "trust-removed":
    case "retired":
      heading = `${event.type} ${event.keyId}`;
      field("principal", event.principals.join(", ") || "(none)");
      signedBy(field, event.signedBy);
      break;
    case "revoked":
    case "unrevoked":
      heading = `${event.type} ${event.keyId}`;
      if (event.comment !== "") field("comment", event.comment);
      if (event.recorded) {
        field("reason", `${event.recorded.reason} (at ${event.recorded.at})`);
      }
      signedBy(field, event.signedBy);
      break;
    case "policy":
      heading = `policy   version ${event.version ?? "(unreadable)"}${
        event.previousVersion === null ? "" : ` (was ${event.previousVersion})`
      }`;
      signedBy(field, event.signedBy);
      break;
  }
  const { status, code, reason } = event.verification;
  field(
    "status",
    status === "verified"
      ? "verified"
      : `${status === "pending" ? "pending" : "FAILED"} ${
        code ?? ""
      }: ${reason}`
        .replace(" :", ":"),
  );
  field(
    "commit",
    `${
      event.commit.id.slice(0, 12)
    }  ${event.commit.date}  ${event.commit.subject}`,
  );
  return `${heading}\n${
    lines.map(([name, value]) => `  ${name.padEnd(10)}${value}\n`).join("")
  }`;
}

function signedBy(
  field: (name: string, value: string) => void,
  by: LogSigner | null,
): void {
  if (!by) return;
  field(
    "signed by",
    by.principals.length > 0
      ? `${by.keyId}  ${by.principals.join(", ")}`
      : `${by.keyId}  (not verified here)`,
  );
}
