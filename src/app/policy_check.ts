/**
 * `policy check`: the working tree's policy read strictly against the
 * working tree's trust list, and each rule held against the configs the
 * repository has, so that a rule that never applies is seen before it
 * silently widens what one key may sign.
 *
 * @module
 */

import { ALLOWED_SIGNERS_PATH, POLICY_PATH, TOOL_NAME } from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { quote } from "../format/quote.ts";
import type { Repository } from "../git/repository.ts";
import { workingTreeSource } from "../source/config_source.ts";
import { findConfigs } from "../source/find_configs.ts";
import { matchingRule, type Policy, principalsOf } from "../trust/policy.ts";
import { literalPrincipals, readPolicy } from "../trust/policy_store.ts";
import { readTrust } from "../trust/trust_store.ts";

/** One rule as `policy check` reports it. */
export interface CheckedRule {
  /** 1-based rule number. */
  rule: number;
  /** Its line in the file. */
  line: number;
  pattern: string;
  groups: readonly string[];
  threshold: number;
  /** The distinct principals of its groups. */
  principals: string[];
  /** The configs this rule decides (first match). */
  configs: string[];
}

/** What `policy check` found. */
export interface PolicyCheck {
  /** True when there is nothing to fix. */
  ok: boolean;
  /** The policy's version, when it parsed. */
  version: number | null;
  /** The trust files' requirement, when it parsed. */
  trust:
    | { groups: readonly string[]; threshold: number; principals: string[] }
    | null;
  rules: CheckedRule[];
  /** Configs no rule matches (any trusted key may sign them). */
  unmatched: string[];
  /** Each problem, naming the line and field where it has one. */
  problems: string[];
}

/**
 * Checks the working tree's policy (see the module docs).
 *
 * @param repo The working tree.
 * @returns The rules, what they decide, and the problems.
 * @throws {ToolError} `BAD_PATH` when there is no policy; `IO`.
 *
 * @example
 * ```ts ignore
 * const check = await checkPolicy(repo);
 * ```
 */
export async function checkPolicy(repo: Repository): Promise<PolicyCheck> {
  const source = workingTreeSource(repo);
  const problems: string[] = [];
  let principals: Set<string> = new Set();
  try {
    const trust = await readTrust(source.reader);
    if (trust === undefined) {
      problems.push(
        `There is no trust list "${ALLOWED_SIGNERS_PATH}": every principal of the policy is unknown`,
      );
    } else principals = literalPrincipals(trust);
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    problems.push(errorMessage(error));
  }
  let policy: Policy | undefined;
  try {
    policy = await readPolicy(source.reader, principals);
  } catch (error) {
    if (!(error instanceof ToolError) || error.code === "IO") throw error;
    problems.push(errorMessage(error));
    return empty(problems);
  }
  if (policy === undefined) {
    throw new ToolError(
      "BAD_PATH",
      `No policy "${POLICY_PATH}": without one any trusted key signs anything; "${TOOL_NAME} policy init" writes one`,
    );
  }
  const targets = await findConfigs(source, { kinds: await source.kinds() });
  const rules: CheckedRule[] = policy.rules.map((rule, index) => ({
    rule: index + 1,
    line: rule.line,
    pattern: rule.pattern,
    groups: rule.groups,
    threshold: rule.threshold,
    principals: [...principalsOf(policy, rule.groups)],
    configs: [],
  }));
  const unmatched: string[] = [];
  for (const { path } of targets) {
    const index = matchingRule(policy, path);
    if (index === undefined) unmatched.push(path);
    else rules[index]!.configs.push(path);
  }
  for (const [index, rule] of policy.rules.entries()) {
    const checked = rules[index]!;
    if (checked.configs.length > 0) continue;
    const earlier = shadowedBy(policy, index, targets.map((t) => t.path));
    problems.push(
      `Policy ${
        quote(POLICY_PATH)
      }: line ${rule.line}, field "rules[${index}].pattern": ${
        quote(rule.pattern)
      } ${
        earlier === undefined
          ? "matches no config file in the repository"
          : `decides nothing: every config it matches is decided by an earlier rule, such as rules[${earlier}] (${
            quote(policy.rules[earlier]!.pattern)
          })`
      }`,
    );
  }
  return {
    ok: problems.length === 0,
    version: policy.version,
    trust: {
      ...policy.trust,
      principals: [...principalsOf(policy, policy.trust.groups)],
    },
    rules,
    unmatched,
    problems,
  };
}

// The earlier rule that takes every config a rule's pattern matches, when
// it matches some; undefined when it matches none.
function shadowedBy(
  policy: Policy,
  index: number,
  paths: readonly string[],
): number | undefined {
  const alone = { ...policy, rules: [policy.rules[index]!] };
  const matched = paths.filter((path) => matchingRule(alone, path) === 0);
  if (matched.length === 0) return undefined;
  return matchingRule(policy, matched[0]!);
}

function empty(problems: string[]): PolicyCheck {
  return {
    ok: false,
    version: null,
    trust: null,
    rules: [],
    unmatched: [],
    problems,
  };
}
