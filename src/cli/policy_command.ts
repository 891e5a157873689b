/**
 * `policy init` and `policy check`.
 *
 * @module
 */

import { POLICY_PATH, TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { checkPolicy, type PolicyCheck } from "../app/policy_check.ts";
import { principalsOf } from "../trust/policy.ts";
import { writeInitialPolicy } from "../trust/policy_store.ts";
import type { CommandContext } from "./command_context.ts";
import {
  type CommandSpec,
  noPositionals,
  parseArguments,
} from "./command_spec.ts";
import { EXIT, printJson } from "./io.ts";
import { commitStoreCommand } from "./trust_command.ts";

/** What `policy init` accepts. */
export const POLICY_INIT_COMMAND: CommandSpec = {
  name: "policy init",
  options: {
    force: {
      type: "boolean",
      help: `replace an existing ${POLICY_PATH}`,
    },
  },
};

/** What `policy check` accepts. */
export const POLICY_CHECK_COMMAND: CommandSpec = {
  name: "policy check",
  options: {},
};

const POLICY_SUBCOMMANDS: Readonly<
  Record<string, (args: string[], context: CommandContext) => Promise<number>>
> = { init: policyInit, check: policyCheck };

/**
 * Runs `policy <init|check>`.
 *
 * @param sub The subcommand.
 * @param args Its arguments.
 * @param context Streams, working folder and the repository.
 * @returns The exit code.
 * @throws {ToolError} On usage or policy errors (the dispatcher reports them).
 *
 * @example
 * ```ts ignore
 * await policyCommand("check", [], context);
 * ```
 */
export async function policyCommand(
  sub: string,
  args: string[],
  context: CommandContext,
): Promise<number> {
  const run = Object.hasOwn(POLICY_SUBCOMMANDS, sub)
    ? POLICY_SUBCOMMANDS[sub]
    : undefined;
  if (run) return await run(args, context);
  throw new ToolError(
    "USAGE",
    `Unknown command "policy ${sub}": expected "policy init" or "policy check"`,
  );
}

/**
 * Runs `policy init [--force]`.
 *
 * @param args The arguments after `policy init`.
 * @param context Streams, working folder and the repository.
 * @returns The exit code.
 * @throws {ToolError} `USAGE` when a policy exists (without --force),
 * `TRUST` when there is no trust list.
 *
 * @example
 * ```ts ignore
 * await policyInit([], context);
 * ```
 */
export async function policyInit(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseArguments(args, POLICY_INIT_COMMAND);
  noPositionals(positionals, "policy init");
  const repo = await context.repo();
  const policy = await writeInitialPolicy(repo, {
    force: values.force === true,
  });
  const next = commitStoreCommand(repo.root, io.cwd, "Add the team policy");
  const principals = [...principalsOf(policy, policy.trust.groups)];
  if (values.json) {
    printJson(io, {
      path: POLICY_PATH,
      version: policy.version,
      principals,
      next,
    });
  } else {
    io.out(
      `Wrote ${POLICY_PATH}: today's rule written out, one signature by any of ${principals.length} ` +
        `trusted principal(s) (${
          principals.join(", ")
        }) for every config and for the trust files\n` +
        `Edit it to require more (groups, "threshold", a rule per path; "${TOOL_NAME} policy check" checks it), then commit it:\n  ${next}\n` +
        `The pre-commit hook signs it with your key, which the trust list already committed must trust\n`,
    );
  }
  return EXIT.ok;
}

/**
 * Runs `policy check`.
 *
 * @param args The arguments after `policy check`.
 * @param context Streams, working folder and the repository.
 * @returns 0 when the policy is valid and every rule decides some config,
 * 1 otherwise.
 * @throws {ToolError} `BAD_PATH` when there is no policy.
 *
 * @example
 * ```ts ignore
 * await policyCheck(["--json"], context);
 * ```
 */
export async function policyCheck(
  args: string[],
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseArguments(args, POLICY_CHECK_COMMAND);
  noPositionals(positionals, "policy check");
  const check = await checkPolicy(await context.repo());
  if (values.json) printJson(io, { path: POLICY_PATH, ...check });
  else {
    io.out(summary(check));
    for (const problem of check.problems) io.err(`${problem}\n`);
  }
  return check.ok ? EXIT.ok : EXIT.failed;
}

function summary(check: PolicyCheck): string {
  if (check.version === null || check.trust === null) {
    return `${POLICY_PATH} is not valid:\n`;
  }
  const need = (threshold: number, groups: readonly string[], n: number) =>
    `${threshold} of ${groups.join(" + ")} (${n} principal${
      n === 1 ? "" : "s"
    })`;
  const lines = [
    `${POLICY_PATH} version ${check.version}${
      check.ok ? "" : `, with ${check.problems.length} problem(s)`
    }:`,
    `  trust files: ${
      need(
        check.trust.threshold,
        check.trust.groups,
        check.trust.principals.length,
      )
    }`,
    ...check.rules.map((rule) =>
      `  rule ${rule.rule} ${
        JSON.stringify(rule.pattern)
      } (line ${rule.line}): ${
        need(rule.threshold, rule.groups, rule.principals.length)
      }, ${rule.configs.length} config${rule.configs.length === 1 ? "" : "s"}`
    ),
  ];
  if (check.unmatched.length > 0) {
    lines.push(
      `  no rule (any trusted key): ${check.unmatched.join(", ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
