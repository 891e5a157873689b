/**
 * `verify`: the working tree's MCP configs against their signatures and the
 * trust list, or, with `--rev`, `--range` and `--ci`, whole commits straight
 * from Git objects. A range without commits is refused unless
 * `--allow-empty`: in CI it would be a gate that checks nothing.
 *
 * @module
 */

import { currentProcess } from "../_runtime/current_process.ts";
import { rangeFromCi } from "../app/ci_range.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { readFileLimitedSync } from "../fs/files.ts";
import { git, type Repository } from "../git/repository.ts";
import { CI_ENV_VARIABLES, CI_PERMISSION_FLAGS } from "../permissions.ts";
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
    "verify --range A..B [--allow-empty] [--format FORMAT]",
    "verify --ci [--allow-empty] [--format FORMAT]",
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
        "its own root of trust). A range without commits is a usage\n" +
        "error (exit 2), not a pass: see --allow-empty",
    },
    ci: {
      type: "boolean",
      help: "verify the commits this CI run brings, read from the CI's\n" +
        "variables (GitHub, Gitea and Forgejo Actions, GitLab CI,\n" +
        "Bitbucket Pipelines, Jenkins); exit 2, naming what is missing,\n" +
        "when they do not tell",
    },
    "allow-empty": {
      type: "boolean",
      help: "with --range or --ci: a range without commits passes (exit 0)",
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
 * Runs `verify [PATH…]`, `verify --rev`, `--range` or `--ci`.
 *
 * @param args The arguments after `verify`.
 * @param context Streams and repository.
 * @returns 0 when every config (or commit) verifies, 1 otherwise.
 * @throws {ToolError} When verification cannot run at all; `USAGE` for a
 *   range without commits (without `--allow-empty`), or a `--ci` whose
 *   variables name no range.
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
  const history = await historyToVerify(values, positionals, context, format);
  if (history) {
    return await verifyHistory(context, history, format).catch(
      async (error) => {
        throw await explainMissingRevision(
          await context.repo(),
          history,
          error,
        );
      },
    );
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

/**
 * Reads `--rev`, `--range`, `--ci` and `--allow-empty`: the commits to
 * verify, or undefined for the working tree. With `--ci`, says which range
 * the CI named before the report (not as an annotation).
 */
async function historyToVerify(
  values: Record<string, string | boolean | string[] | undefined>,
  positionals: readonly string[],
  context: CommandContext,
  format: VerifyFormat,
): Promise<History | undefined> {
  const rev = stringOption(values, "rev");
  const range = stringOption(values, "range");
  const ci = values.ci === true;
  const allowEmpty = values["allow-empty"] === true;
  const chosen = [
    ...(rev !== undefined ? ["--rev"] : []),
    ...(range !== undefined ? ["--range"] : []),
    ...(ci ? ["--ci"] : []),
  ];
  if (chosen.length > 1) {
    throw new ToolError(
      "USAGE",
      `Give one of --rev, --range and --ci, not ${chosen.join(" and ")}`,
    );
  }
  if (allowEmpty && range === undefined && !ci) {
    throw new ToolError(
      "USAGE",
      `--allow-empty goes with --range or --ci (a range of commits)`,
    );
  }
  if (chosen.length === 0) return undefined;
  if (positionals.length > 0) {
    throw new ToolError(
      "USAGE",
      `--rev, --range and --ci check whole commits; they take no paths`,
    );
  }
  if (rev !== undefined) return { rev };
  if (range !== undefined) return { range, allowEmpty };
  const found = await ciRange();
  if (format !== "json") {
    context.io.out(
      `${found.provider} (${found.from}): verifying --range ${found.range}\n`,
    );
  }
  return {
    range: found.range,
    allowEmpty,
    ci: `${found.provider}, ${found.from}`,
  };
}

/** Which commits: one, or a range (and where `--ci` found it). */
type History = { rev: string } | {
  range: string;
  allowEmpty: boolean;
  ci?: string;
};

async function verifyHistory(
  context: CommandContext,
  what: History,
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
    if (commits.length === 0 && !what.allowEmpty) {
      throw await emptyRangeError(repo, what.range, what.ci);
    }
    const range = what.range;
    bases = () => rangeBases(repo, [range]);
  }
  // Inside a range, a commit without parents would bring its own root of
  // trust; and once the range's base has one, so would any first trust list.
  const reports = await verifyRevisions(repo, commits, {
    allowRoots: "rev" in what,
    bases,
    ...("range" in what ? { range: [what.range] } : {}),
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
      // With --ci, which commits it found, and where: the report says what
      // it checked.
      ...("ci" in what && what.ci ? { ci: what.ci, range: what.range } : {}),
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

/**
 * Reads the range of `--ci` from the CI's variables: refuses when Deno's
 * permissions hide them (they would read as unset, and the answer would be
 * "no CI" instead of "not permitted").
 */
async function ciRange(): Promise<{
  provider: string;
  from: string;
  range: string;
}> {
  const hidden = CI_ENV_VARIABLES.filter((name) =>
    !currentProcess.envReadable(name)
  );
  if (hidden.length > 0) {
    throw new ToolError(
      "USAGE",
      `--ci reads the CI's variables, and Deno's permissions hide ${
        hidden.length === CI_ENV_VARIABLES.length
          ? "all of them"
          : `"${hidden.join('", "')}"`
      }: run it with ${
        CI_PERMISSION_FLAGS.join(" ")
      } (or the compiled executable, or the npm package)`,
    );
  }
  try {
    return await rangeFromCi({
      env: (name) => currentProcess.env(name),
      readEvent: (path) => {
        const bytes = readFileLimitedSync(path, EVENT_FILE_LIMIT);
        if (bytes === undefined) throw new Error("it does not exist");
        return Promise.resolve(JSON.parse(new TextDecoder().decode(bytes)));
      },
    });
  } catch (error) {
    throw new ToolError("USAGE", `--ci: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

// GitHub caps a webhook payload at 25 MB; an event file is one.
const EVENT_FILE_LIMIT = 25 * 1024 * 1024;

/**
 * The refusal of a range without commits: in CI that is a gate that
 * checks nothing (`origin/main..HEAD` on a push to main), so it says which
 * two revisions it compared and what to give instead.
 */
async function emptyRangeError(
  repo: Repository,
  range: string,
  ci: string | undefined,
): Promise<ToolError> {
  const at = range.indexOf("..");
  const ends = [range.slice(0, at), range.slice(at + 2).replace(/^\./, "")]
    .map((end) => end === "" ? "HEAD" : end);
  const ids = await Promise.all(ends.map((end) => shortId(repo, end)));
  const [from, to] = ends.map((end, i) =>
    `"${end}"${ids[i] && ids[i] !== end ? ` (${ids[i]})` : ""}`
  );
  return new ToolError(
    "USAGE",
    `No commits in "${range}"${
      ci ? ` (${ci})` : ""
    }: ${to} is already in ${from}, so there is nothing to verify, and a gate that verifies nothing must not pass. Give the commits this run brings: for a pull request --range <base>..<head>; for a push --range <before>..<after> (the first push of a branch: origin/<default branch>..<after>); or --ci, which reads them from the CI's variables. If an empty range is expected, add --allow-empty`,
  );
}

async function shortId(
  repo: Repository,
  rev: string,
): Promise<string | undefined> {
  try {
    const out = await git(repo, [
      "rev-parse",
      "--verify",
      "--quiet",
      "--short=12",
      "--end-of-options",
      `${rev}^{commit}`,
    ]);
    return new TextDecoder().decode(out).trim() || undefined;
  } catch {
    return undefined;
  }
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
