/**
 * `inspect <PATH | ARTIFACT_ID>`: the signed statement and signature of a
 * config or artifact, for anyone to check by hand.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import { inspect, type Inspection } from "../app/inspect.ts";
import { formatTime } from "../store/statement.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { EXIT, printJson } from "./io.ts";

/** What `inspect` accepts. */
export const INSPECT_COMMAND: CommandSpec = {
  name: "inspect",
  operands: "<PATH | ARTIFACT_ID>",
  options: {},
};

/**
 * Runs `inspect <PATH | ARTIFACT_ID>`.
 *
 * @param args The arguments after `inspect`.
 * @param context Streams and repository.
 * @returns The exit code.
 * @throws {ToolError} When nothing matches.
 *
 * @example
 * ```ts ignore
 * await inspectCommand([".mcp.json"], context);
 * ```
 */
export async function inspectCommand(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { values, positionals } = parseArguments(args, INSPECT_COMMAND);
  if (positionals.length !== 1) {
    throw new ToolError("USAGE", `"inspect" takes one path or artifact id`);
  }
  const inspections = await inspect(
    await context.repo(),
    positionals[0] as string,
    { cwd: context.io.cwd },
  );
  if (values.json) {
    printJson(context.io, inspections.map(inspectionJson));
    return EXIT.ok;
  }
  for (const i of inspections) context.io.out(formatInspection(i));
  return EXIT.ok;
}

/** One inspection as `--json` prints it. */
function inspectionJson(i: Inspection): Record<string, unknown> {
  return {
    path: i.statement.path,
    repository: i.statement.repository,
    artifact: i.statement.artifact,
    size: i.statement.size,
    signer: i.statement.signer,
    principals: i.verification?.principals ?? null,
    signedAt: formatTime(i.statement.signedAt),
    sequence: i.statement.sequence,
    previous: i.statement.previous,
    statementId: i.statementId,
    statementFile: i.statementFile,
    signatureFile: i.signatureFile,
    statement: i.statementText,
    signature: i.signature,
    verification: i.verification ?? null,
  };
}

/** One inspection for people: the fields, then the exact signed bytes. */
function formatInspection(i: Inspection): string {
  const s = i.statement;
  const status = i.verification
    ? i.verification.ok
      ? "verified"
      : `FAILS ${i.verification.code}: ${i.verification.reason}`
    : "the file is not in the working tree";
  return [
    `path:       ${s.path}`,
    `repository: ${s.repository ?? "none (statement format version 1)"}`,
    `artifact:   ${s.artifact}`,
    `size:       ${s.size} bytes`,
    `signer:     ${s.signer}${
      i.verification?.principals
        ? ` (${i.verification.principals.join(", ")})`
        : ""
    }`,
    `signed at:  ${formatTime(s.signedAt)}`,
    `sequence:   ${s.sequence}`,
    `previous:   ${s.previous.join(", ") || "none"}`,
    `statement:  ${i.statementFile}`,
    `signature:  ${i.signatureFile}`,
    `status:     ${status}`,
    "",
    "--- signed statement (exact bytes) ---",
    i.statementText.replace(/\n$/, ""),
    "--- signature ---",
    i.signature.replace(/\n$/, ""),
    "",
  ].join("\n") + "\n";
}
