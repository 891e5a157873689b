/**
 * `verify`: the working tree's MCP configs against their signatures and the
 * trust list, or, with `--rev` and `--range`, whole commits straight from
 * Git objects.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import { verifyWorkingTree } from "../verify/verify_working_tree.ts";
import {
  defaultBranches,
  listCommits,
  rangeBases,
  verifyRevisions,
} from "../verify/verify_history.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import {
  formatGithubCommitReports,
  formatGithubResults,
} from "./github_annotations.ts";
import { formatCommitReports } from "./history_report.ts";
import { escapeInvisible } from "../format/quote.ts";
import { displayPath, EXIT, printJson, stringOption } from "./io.ts";
import { explainMissingRevision } from "./revision_hint.ts";

/** How `verify` prints its results (`--format`; `--json` is `--format json`). */
export type VerifyFormat = "text" | "json" | "github";

const VERIFY_FORMATS: readonly VerifyFormat[] = ["text", "json", "github"];

/** What `verify` accepts. */
export const VERIFY_COMMAND: CommandSpec = {
  name: "verify",
  synopsis: [
    "verify [PATH…] [--format FORMAT]",
    "verify --rev REV [--format FORMAT]",
    "verify --range A..B [--format FORMAT]",
  ],
  options: {
    rev: {
      type: "string",
      value: "REV",
      help: "verify this commit, against its parents",
    },
    range: {
      type: "string",
      value: "A..B",
      help: "verify every commit reachable from B but not from A, oldest\n" +
        "first (a commit without parents in it fails: it would bring\n" +
        "its own root of trust)",
    },
    format: {
      type: "string",
      value: "FORMAT",
      help: "text (the default); json (machine-readable); or github:\n" +
        "one GitHub Actions annotation per failure,\n" +
        '"::error file=PATH,title=CODE::REASON", REASON followed by\n' +
        '"(commit ID SUBJECT)" with --rev and --range, then a\n' +
        "summary line that is not an annotation",
    },
  },
  json: "the same as --format json",
};

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
  const { values, positionals } = parseArguments(args, VERIFY_COMMAND);
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
    const what = rev !== undefined ? { rev } : { range: range as string };
    return await verifyHistory(context, what, format).catch(async (error) => {
      throw await explainMissingRevision(await context.repo(), what, error);
    });
  }
  const results = await verifyWorkingTree(await context.repo(), {
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
            ? `ok    ${displayPath(result.path)}  ${
              escapeInvisible(result.reason)
            }\n`
            : `FAIL  ${displayPath(result.path)}  ${result.code}: ${
              escapeInvisible(result.reason)
            }\n`,
        );
      }
    }
    context.io.out(
      summary("config", { total: results.length, failed: failed.length }),
    );
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
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
    // One commit may be an old one of the adopted history (a release tag);
    // a range's end is a branch, which must be adopted once its base is.
    ...("rev" in what ? { tips: [{ rev: commits[0]!, history: true }] } : {}),
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
