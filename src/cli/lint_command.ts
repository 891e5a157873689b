/**
 * `lint [PATH…]`: the dangers of the working tree's MCP configs, before
 * anyone signs them. Findings are warnings (exit 0) unless the policy
 * blocks their rule (exit 1).
 *
 * @module
 */

import { lintRepository } from "../app/lint_repository.ts";
import { formatFinding } from "../configs/lint_config.ts";
import type { CommandContext } from "./command_context.ts";
import { type CommandSpec, parseArguments } from "./command_spec.ts";
import { EXIT, printJson } from "./io.ts";

/** What `lint` accepts. */
export const LINT_COMMAND: CommandSpec = {
  name: "lint",
  operands: "[PATH…]",
  options: {},
  json:
    'machine-readable output: {"configs", "blocked", "findings": [{"rule",\n' +
    '"path", "server", "field", "line", "message", "fix", "blocking"}]}',
};

/**
 * Runs `lint [PATH…] [--json]`.
 *
 * @param args The arguments after `lint`.
 * @param context Streams and the repository.
 * @returns 0 without blocking findings, 1 with one.
 * @throws {ToolError} As {@linkcode lintRepository}.
 *
 * @example
 * ```ts ignore
 * await lintCommand([".mcp.json"], context);
 * ```
 */
export async function lintCommand(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { values, positionals } = parseArguments(args, LINT_COMMAND);
  const repo = await context.repo();
  const report = await lintRepository(repo, {
    cwd: context.io.cwd,
    paths: positionals,
  });
  const blocking = report.findings.filter((finding) => finding.blocking);
  if (values.json) {
    printJson(context.io, {
      configs: report.configs,
      blocked: report.blocked,
      findings: report.findings.map((finding) => ({
        ...finding,
        line: finding.line ?? null,
      })),
    });
  } else {
    for (const finding of report.findings) {
      context.io.out(`${formatFinding(finding)}\n  fix: ${finding.fix}\n`);
    }
    const configs = `${report.configs.length} config${
      report.configs.length === 1 ? "" : "s"
    }`;
    context.io.out(
      report.findings.length === 0
        ? `No findings in ${configs}\n`
        : `${report.findings.length} finding${
          report.findings.length === 1 ? "" : "s"
        } in ${configs}, ${blocking.length} blocked by the policy\n`,
    );
  }
  return blocking.length > 0 ? EXIT.failed : EXIT.ok;
}
