// TEMPORARY STUB (coordinator): replaced by helper P's module at merge.
import {
  ALLOWED_SIGNERS_PATH,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { compilePattern, matchPath } from "../configs/path_glob.ts";
import { canonicalName } from "../configs/path_names.ts";
const matchesPattern = (pattern: string, path: string) =>
  matchPath(
    compilePattern(pattern).parts,
    path.split("/").map((s) => [...canonicalName(s)]),
  );

import type { Requirement } from "./threshold.ts";
export type { Requirement };
export interface Policy {
  version: number;
  groups: ReadonlyMap<string, readonly string[]>;
  rules: readonly {
    pattern: string;
    groups: readonly string[];
    threshold: number;
    line: number;
  }[];
  trust: { groups: readonly string[]; threshold: number };
  text: string;
}
export function parsePolicy(
  text: string,
  options: { source: string; principals?: ReadonlySet<string> },
): Policy {
  try {
    const raw = JSON.parse(text);
    return {
      version: raw.version,
      groups: new Map(Object.entries(raw.groups)),
      rules: raw.rules.map((
        r: { pattern: string; groups: string[]; threshold: number },
      ) => ({ ...r, line: 1 })),
      trust: raw.trust,
      text,
    };
  } catch (error) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid policy "${options.source}": ${error}`,
    );
  }
}
export function isTrustFile(path: string): boolean {
  return [
    ALLOWED_SIGNERS_PATH,
    REPO_CONFIG_PATH,
    POLICY_PATH,
    REVOKED_KEYS_PATH,
  ].includes(path);
}
function union(policy: Policy, groups: readonly string[]): Set<string> {
  return new Set(groups.flatMap((g) => policy.groups.get(g) ?? []));
}
export function requirementFor(
  policy: Policy | undefined,
  path: string,
): Requirement {
  if (!policy) {
    return {
      eligible: "any",
      threshold: 1,
      source: "no policy: any trusted key",
    };
  }
  if (isTrustFile(path)) {
    return {
      eligible: union(policy, policy.trust.groups),
      threshold: policy.trust.threshold,
      source: `"trust" of ${POLICY_PATH}`,
    };
  }
  const at = policy.rules.findIndex((rule) =>
    matchesPattern(rule.pattern, path)
  );
  if (at < 0) {
    return {
      eligible: "any",
      threshold: 1,
      source: `no rule of ${POLICY_PATH} matches: any trusted key`,
    };
  }
  const rule = policy.rules[at]!;
  return {
    eligible: union(policy, rule.groups),
    threshold: rule.threshold,
    source: `rule ${at + 1} ("${rule.pattern}") of ${POLICY_PATH}`,
  };
}
