/**
 * `diff [--staged] [A [B]] [[--] PATH…]`: what changed in the MCP configs, in
 * MCP terms (servers added, removed and changed, field by field), between
 * two revisions, artifact ids, the working tree or the index.
 *
 * @module
 */

import {
  type DiffReport,
  diffRepository,
  splitDiffOperands,
} from "../app/diff.ts";
import type { SideLabel } from "../app/diff_side.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { configDiffJson, formatConfigDiff } from "./diff_report.ts";
import { displayPath, EXIT, printJson } from "./io.ts";

/** What `diff` accepts. */
export const DIFF_COMMAND: CommandSpec = {
  name: "diff",
  synopsis: [
    "diff [--staged] [--show-values] [--exit-code] [--json] [A [B]] [[--] PATH…]",
  ],
  options: {
    staged: {
      type: "boolean",
      help:
        "compare with the index (what the next commit holds), not the\nworking tree (--cached is the same)",
    },
    cached: { type: "boolean", help: "the same as --staged" },
    "show-values": {
      type: "boolean",
      help:
        "show the values of env and headers (they may be secrets;\nwithout it, only that a value was added, removed or changed)",
    },
    "exit-code": {
      type: "boolean",
      help: "exit 1 when some config differs (as git diff --exit-code)",
    },
  },
};

/**
 * Runs `diff`.
 *
 * @param args The arguments after `diff`.
 * @param context Streams and repository.
 * @returns 0 (with `--exit-code`: 1 when some config differs).
 * @throws {ToolError} `USAGE` for a bad operand, `BAD_PATH` for an unknown
 * artifact id or a path that is no config.
 *
 * @example
 * ```ts ignore
 * await diffCommand(["HEAD~1", "HEAD"], context);
 * ```
 */
export async function diffCommand(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const end = args.indexOf("--");
  const options = end === -1 ? args : args.slice(0, end);
  const paths = end === -1 ? [] : args.slice(end + 1);
  const { values, positionals } = parseArguments(options, DIFF_COMMAND);
  const repo = await context.repo();
  // Without "--", paths follow the revisions, as in git diff.
  const split = end === -1
    ? await splitDiffOperands(repo, context.io.cwd, positionals)
    : { operands: positionals, paths };
  const report = await diffRepository(repo, {
    cwd: context.io.cwd,
    operands: split.operands,
    staged: values.staged === true || values.cached === true,
    paths: split.paths,
  });
  const show = { showValues: values["show-values"] === true };
  if (values.json) {
    printJson(
      context.io,
      report.configs.map((diff) => configDiffJson(diff, show)),
    );
  } else {
    context.io.out(formatReport(report, show));
  }
  return values["exit-code"] && report.configs.length > 0
    ? EXIT.failed
    : EXIT.ok;
}

function formatReport(
  report: DiffReport,
  options: { showValues: boolean },
): string {
  const sides = `${sideName(report.from)} → ${sideName(report.to)}`;
  if (report.configs.length === 0) {
    return `No MCP config differs (${sides})\n`;
  }
  return `MCP configs: ${sides}\n` +
    report.configs.map((diff) => formatConfigDiff(diff, options)).join("");
}

function sideName(side: SideLabel): string {
  switch (side.type) {
    case "worktree":
      return "working tree";
    case "index":
      return "index";
    case "empty":
      return `${displayPath(side.rev)} (no commit yet)`;
    case "commit":
      return `${displayPath(side.rev)} (${side.commit.slice(0, 12)})`;
    case "artifact":
      return `artifact ${side.artifact.slice(0, 12)}…${
        side.commit ? ` (from commit ${side.commit.slice(0, 12)})` : ""
      }`;
  }
}
