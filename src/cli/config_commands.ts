/**
 * `sign`, `verify` and `inspect`: the commands that act on configs.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import type { Repository } from "../git/repository.ts";
import { inspect } from "../inspect/inspect.ts";
import { loadSigningKey } from "../keys/key_store.ts";
import { signConfigs } from "../sign/sign_configs.ts";
import { formatTime } from "../store/statement.ts";
import { verifyRepository } from "../verify/verify_repository.ts";
import {
  defaultBranches,
  listCommits,
  rangeBases,
  verifyRevisions,
} from "../verify/verify_history.ts";
import {
  formatGithubCommitReports,
  formatGithubResults,
} from "./github_annotations.ts";
import { formatCommitReports } from "./history_report.ts";
import { EXIT, type Io, parseCommand, printJson, stringOption } from "./io.ts";

/** How `verify` prints its results (`--format`; `--json` is `--format json`). */
export type VerifyFormat = "text" | "json" | "github";

const VERIFY_FORMATS: readonly VerifyFormat[] = ["text", "json", "github"];

/** What the config commands need. */
export interface CommandContext {
  /** Streams and working folder. */
  io: Io;
  /** The repository (found on first use). */
  repo: () => Promise<Repository>;
}

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
  const { values, positionals } = parseCommand(args, {
    key: { type: "string" },
  });
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

/**
 * Runs `verify [PATH…]`.
 *
 * @param args The arguments after `verify`.
 * @param context Streams and repository.
 * @returns 0 when every config verifies, 1 otherwise.
 * @throws {ToolError} When verification cannot run at all.
 *
 * @example
 * ```ts ignore
 * const code = await verifyCommand([], context);
 * ```
 */
export async function verifyCommand(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    rev: { type: "string" },
    range: { type: "string" },
    format: { type: "string" },
  });
  const format = verifyFormat(values);
  const rev = stringOption(values, "rev");
  const range = stringOption(values, "range");
  if (rev !== undefined || range !== undefined) {
    if (rev !== undefined && range !== undefined) {
      throw new ToolError("USAGE", `Give either --rev or --range, not both`);
    }
    if (positionals.length > 0) {
      throw new ToolError(
        "USAGE",
        `--rev and --range check whole commits; they take no paths`,
      );
    }
    return await verifyHistory(
      context,
      rev !== undefined ? { rev } : { range: range as string },
      format,
    );
  }
  const results = await verifyRepository(await context.repo(), {
    cwd: context.io.cwd,
    paths: positionals,
  });
  const failed = results.filter((result) => !result.ok);
  if (format === "json") {
    printJson(context.io, {
      ok: failed.length === 0,
      verified: results.length - failed.length,
      failed: failed.length,
      results,
    });
  } else {
    if (format === "github") {
      context.io.out(formatGithubResults(results));
    } else {
      for (const result of results) {
        context.io.out(
          result.ok
            ? `ok    ${result.path}  ${result.reason}\n`
            : `FAIL  ${result.path}  ${result.code}: ${result.reason}\n`,
        );
      }
    }
    context.io.out(
      summary("config", { total: results.length, failed: failed.length }),
    );
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

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
  const { values, positionals } = parseCommand(args, {});
  if (positionals.length !== 1) {
    throw new ToolError("USAGE", `"inspect" takes one path or artifact id`);
  }
  const inspections = await inspect(
    await context.repo(),
    positionals[0] as string,
    { cwd: context.io.cwd },
  );
  if (values.json) {
    printJson(
      context.io,
      inspections.map((i) => ({
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
      })),
    );
    return EXIT.ok;
  }
  for (const i of inspections) {
    const s = i.statement;
    const status = i.verification
      ? i.verification.ok
        ? "verified"
        : `FAILS ${i.verification.code}: ${i.verification.reason}`
      : "the file is not in the working tree";
    context.io.out(
      [
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
      ].join("\n") + "\n",
    );
  }
  return EXIT.ok;
}

async function verifyHistory(
  context: CommandContext,
  what: { rev: string } | { range: string },
  format: VerifyFormat,
): Promise<number> {
  const repo = await context.repo();
  let commits: string[];
  let bases: () => Promise<readonly string[]>;
  if ("rev" in what) {
    commits = [what.rev];
    bases = () => defaultBranches(repo);
  } else {
    if (!what.range.includes("..")) {
      throw new ToolError(
        "USAGE",
        `--range needs "A..B" (the commits reachable from B but not from A)`,
      );
    }
    commits = await listCommits(repo, [what.range]);
    const range = what.range;
    bases = () => rangeBases(repo, [range]);
  }
  // Inside a range, a commit without parents would bring its own root of
  // trust; and once the range's base has one, so would any first trust list.
  const reports = await verifyRevisions(repo, commits, {
    allowRoots: "rev" in what,
    bases,
  });
  const failed = reports.filter((report) => !report.ok);
  if (format === "json") {
    printJson(context.io, {
      ok: failed.length === 0,
      verified: reports.length - failed.length,
      failed: failed.length,
      commits: reports,
    });
  } else {
    context.io.out(
      format === "github"
        ? formatGithubCommitReports(reports)
        : formatCommitReports(reports),
    );
    context.io.out(
      summary("commit", { total: reports.length, failed: failed.length }),
    );
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

/** Reads `--format` and `--json`, its alias. */
function verifyFormat(
  values: Record<string, string | boolean | string[] | undefined>,
): VerifyFormat {
  const format = stringOption(values, "format");
  if (
    format !== undefined && !VERIFY_FORMATS.includes(format as VerifyFormat)
  ) {
    throw new ToolError(
      "USAGE",
      `Unknown format "${format}": expected "text", "json" or "github"`,
    );
  }
  if (values.json === true) {
    if (format !== undefined && format !== "json") {
      throw new ToolError(
        "USAGE",
        `--json means --format json; it cannot go with --format ${format}`,
      );
    }
    return "json";
  }
  return (format as VerifyFormat | undefined) ?? "text";
}

const NOTHING_VERIFIED = {
  config: "No MCP configs found",
  commit: "No commits in that range",
} as const;

/**
 * The last line of a text or github report: never an annotation, so that
 * the log always says how many passed.
 */
function summary(
  noun: keyof typeof NOTHING_VERIFIED,
  counts: { total: number; failed: number },
): string {
  const { total, failed } = counts;
  if (total === 0) return `${NOTHING_VERIFIED[noun]}\n`;
  return `${total} ${noun}${total === 1 ? "" : "s"}: ${
    total - failed
  } verified, ${failed} failed\n`;
}
