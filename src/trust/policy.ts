/**
 * The team policy, `.mcp-orchestration/policy.json`: which principals must
 * sign which paths, and how many of them. Parsing is strict (the file is
 * signed and decides who may change what); matching a path to its
 * requirement is first match wins.
 *
 * ## `.mcp-orchestration/policy.json`
 *
 * Strict JSON as `config.json` is read (no comments, no trailing commas, no
 * duplicate keys, no byte-order mark, at most 1 MiB):
 *
 * ```json
 * {
 *   "format": "mcp-orchestration-policy v1",
 *   "version": 3,
 *   "groups": { "admins": ["alice@example.com", "bob@example.com"], "leads": ["alice@example.com"] },
 *   "trust": { "groups": ["admins"], "threshold": 2 },
 *   "rules": [ { "pattern": ".mcp.json", "groups": ["leads"], "threshold": 1 } ],
 *   "lint": { "block": ["secret-literal", "insecure-http"] }
 * }
 * ```
 *
 * - `format` (required): exactly `"mcp-orchestration-policy v1"`.
 * - `version` (required): an integer from 1 to 2147483647, written as plain
 *   digits.
 * - `groups` (required): 1 to 100 groups; a name is 1 to 64 letters,
 *   digits, `_`, `-` or `.`, starting with a letter or digit; its value a
 *   non-empty list of distinct literal principals (no `*`, `?` or leading
 *   `!`; when the caller gives the trust list's principals, each must be one).
 * - `trust` (required): `groups` (a non-empty list of distinct group names)
 *   and `threshold` (an integer from 1 to the number of distinct principals
 *   of those groups): what a change of a trust file needs.
 * - `rules` (required): at most 100 objects `pattern`, `groups`,
 *   `threshold` (as above); a pattern follows `config.json`'s pattern rules
 *   and no two rules have the same pattern. The first rule whose pattern
 *   matches a path decides; a path no rule matches needs any one trusted key.
 * - `lint` (optional): `block`, a non-empty list of distinct lint rule ids
 *   (src/configs/lint_rules.ts): a finding of one of them refuses `sign`,
 *   the pre-commit hook and `verify` (`LINT_BLOCKED`) rather than warning.
 *
 * Errors name the file, the line, and the field as a path from the top
 * (`rules[0].threshold`: list indexes count from 0); human text elsewhere
 * says "rule 1" for `rules[0]`.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  MAX_REPO_CONFIG_PATTERNS,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
} from "../constants.ts";
import { type JsoncParser, loadJsoncParser } from "../deps.ts";
import { ToolError } from "../errors.ts";
import { quote } from "../format/quote.ts";
import {
  compilePattern,
  matchPath,
  neverConfig,
  repositorySegments,
} from "../configs/path_glob.ts";
import { canonicalName } from "../configs/path_names.ts";
import {
  patternProblem,
  stringProblem,
} from "../configs/repository_patterns.ts";
import {
  ConfigError,
  parseConfig,
  textPosition,
} from "../configs/validate_config.ts";
import { validatePrincipal } from "./allowed_signers.ts";
import {
  isLintRuleId,
  LINT_RULE_IDS,
  type LintRuleId,
} from "../configs/lint_rules.ts";

/** The `format` a policy file must state. */
export const POLICY_FORMAT = "mcp-orchestration-policy v1";
/** The largest `version` (a signed 32-bit integer). */
export const MAX_POLICY_VERSION = 2_147_483_647;
/** At most this many groups, and this many rules. */
export const MAX_POLICY_ENTRIES = MAX_REPO_CONFIG_PATTERNS;
/** At most this many principals in one group. */
export const MAX_GROUP_MEMBERS = 1000;

import type { Requirement } from "./threshold.ts";
export type { Requirement };

/** One rule of a policy. */
export interface PolicyRule {
  /** The path pattern (config.json's pattern language). */
  pattern: string;
  /** The groups whose principals count. */
  groups: readonly string[];
  /** How many distinct principals must sign. */
  threshold: number;
  /** 1-based line of the rule in the file. */
  line: number;
}

/** A parsed, valid policy. */
export interface Policy {
  /** The policy's version (only goes up along history). */
  version: number;
  /** Group name -> its principals, in file order. */
  groups: ReadonlyMap<string, readonly string[]>;
  /** The rules, first match wins. */
  rules: readonly PolicyRule[];
  /** What a change of a trust file needs. */
  trust: { groups: readonly string[]; threshold: number };
  /** The lint rules whose findings refuse a config (absent: none). */
  lint?: { block: readonly LintRuleId[] };
  /** The file's text, unchanged. */
  text: string;
  /** Where the policy was read (named in requirements' sources). */
  source: string;
}

/** Options for {@linkcode parsePolicy}. */
export interface ParsePolicyOptions {
  /** The file's path, for errors (usually {@linkcode POLICY_PATH}). */
  source: string;
  /** The trust list's literal principals: when given, every policy principal must be one. */
  principals?: ReadonlySet<string>;
}

const TOP_KEYS = ["format", "version", "groups", "trust", "rules", "lint"];
const OPTIONAL_TOP_KEYS = ["lint"];
const LINT_KEYS = ["block"];
const RULE_KEYS = ["pattern", "groups", "threshold"];
const TRUST_KEYS = ["groups", "threshold"];
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

type Path = (string | number)[];

/**
 * Parses and validates a policy file strictly (see the module docs).
 *
 * @param input The file's exact bytes, or its text.
 * @param options The file's path for errors, and the trust list's principals.
 * @returns The policy.
 * @throws {ToolError} `INVALID_FORMAT`, e.g. `Invalid policy
 * ".mcp-orchestration/policy.json": line 7, field "rules[0].threshold": …`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { parsePolicy, requirementFor } from "./policy.ts";
 * const policy = await parsePolicy(JSON.stringify({
 *   format: "mcp-orchestration-policy v1", version: 1,
 *   groups: { leads: ["alice@example.com", "bob@example.com"] },
 *   trust: { groups: ["leads"], threshold: 1 },
 *   rules: [{ pattern: ".mcp.json", groups: ["leads"], threshold: 2 }],
 * }), { source: ".mcp-orchestration/policy.json" });
 * equal(requirementFor(policy, ".mcp.json").threshold, 2);
 * equal(requirementFor(policy, ".vscode/mcp.json").eligible, "any");
 * ```
 */
export async function parsePolicy(
  input: string | Uint8Array,
  options: ParsePolicyOptions,
): Promise<Policy> {
  const { source } = options;
  const bytes = typeof input === "string"
    ? new TextEncoder().encode(input)
    : input;
  let root: Record<string, unknown>;
  try {
    root = await parseConfig(source, bytes, {
      format: "json",
      label: "Invalid policy",
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const where = error.line === undefined ? "" : `line ${error.line}: `;
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid policy ${quote(source)}: ${where}${error.problem}`,
      { cause: error },
    );
  }
  const text = new TextDecoder().decode(bytes);
  const check = new Checker(await loadJsoncParser(), text, source);
  return check.policy(root, options.principals);
}

/**
 * What a signed version of `path` needs under `policy`: the trust files
 * need the policy's `trust`; other paths the first rule that matches, or
 * any one trusted key when none does (or when there is no policy).
 *
 * @param policy The policy in force, or undefined when there is none.
 * @param path Repository-relative, "/"-separated path.
 * @returns The requirement.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { requirementFor } from "./policy.ts";
 * equal(requirementFor(undefined, ".mcp.json").threshold, 1);
 * ```
 */
export function requirementFor(
  policy: Policy | undefined,
  path: string,
): Requirement {
  if (policy === undefined) {
    return {
      eligible: "any",
      threshold: 1,
      source: "no policy: any trusted key",
    };
  }
  if (isTrustFile(path)) {
    return {
      eligible: principalsOf(policy, policy.trust.groups),
      threshold: policy.trust.threshold,
      source: `"trust" of ${policy.source}`,
    };
  }
  const index = matchingRule(policy, path);
  const rule = index === undefined ? undefined : policy.rules[index];
  if (index === undefined || rule === undefined) {
    return {
      eligible: "any",
      threshold: 1,
      source: `no rule of ${policy.source} matches: any trusted key`,
    };
  }
  return {
    eligible: principalsOf(policy, rule.groups),
    threshold: rule.threshold,
    source: `rule ${index + 1} (${quote(rule.pattern)}) of ${policy.source}`,
  };
}

/**
 * The index of the first rule whose pattern matches `path`, or undefined.
 *
 * @param policy The policy.
 * @param path Repository-relative, "/"-separated path.
 * @returns The 0-based index into `policy.rules`.
 *
 * @example
 * ```ts ignore
 * matchingRule(policy, ".mcp.json"); // 0
 * ```
 */
export function matchingRule(
  policy: Policy,
  path: string,
): number | undefined {
  const segments = repositorySegments(path);
  if (neverConfig(segments)) return undefined;
  const names = segments.map((segment) => [...canonicalName(segment)]);
  const index = policy.rules.findIndex((rule) =>
    matchPath(compilePattern(rule.pattern).parts, names)
  );
  return index < 0 ? undefined : index;
}

/**
 * Whether a change of `path` changes who is trusted: the trust list, the
 * repository config, the policy and the revocation list.
 *
 * @param path Repository-relative path.
 * @returns True for the four trust files.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { isTrustFile } from "./policy.ts";
 * equal(isTrustFile(".mcp-orchestration/policy.json"), true);
 * equal(isTrustFile(".mcp.json"), false);
 * ```
 */
export function isTrustFile(path: string): boolean {
  return TRUST_FILES.includes(path);
}

const TRUST_FILES: readonly string[] = [
  ALLOWED_SIGNERS_PATH,
  REPO_CONFIG_PATH,
  POLICY_PATH,
  REVOKED_KEYS_PATH,
];

/**
 * The distinct principals of some groups of a policy.
 *
 * @param policy The policy.
 * @param groups Group names (unknown names add nothing).
 * @returns Their principals.
 *
 * @example
 * ```ts ignore
 * principalsOf(policy, ["admins", "leads"]);
 * ```
 */
export function principalsOf(
  policy: Pick<Policy, "groups">,
  groups: readonly string[],
): ReadonlySet<string> {
  return new Set(groups.flatMap((group) => policy.groups.get(group) ?? []));
}

// --- Validation, with the line of each field ---

class Checker {
  #tree: ReturnType<JsoncParser["parseTree"]>;

  constructor(
    private readonly parser: JsoncParser,
    private readonly text: string,
    private readonly source: string,
  ) {
    this.#tree = parser.parseTree(text, [], {
      disallowComments: true,
      allowTrailingComma: false,
    });
  }

  /** The 1-based line of a field, or of the nearest enclosing one that exists. */
  line(path: Path): number {
    for (let end = path.length; end >= 0; end--) {
      const node = this.#tree === undefined
        ? undefined
        : this.parser.findNodeAtLocation(this.#tree, path.slice(0, end));
      if (node !== undefined) {
        // A property's value: point at its key, where a reader looks.
        const at = node.parent?.type === "property"
          ? node.parent.offset
          : node.offset;
        return textPosition(this.text, at).line;
      }
    }
    return 1;
  }

  fail(path: Path, problem: string): never {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid policy ${quote(this.source)}: line ${this.line(path)}, field ${
        quote(fieldName(path))
      }: ${problem}`,
    );
  }

  policy(
    root: Record<string, unknown>,
    principals: ReadonlySet<string> | undefined,
  ): Policy {
    this.onlyKeys(root, [], TOP_KEYS, OPTIONAL_TOP_KEYS);
    const format = this.string(root, ["format"]);
    if (format !== POLICY_FORMAT) {
      this.fail(["format"], `must be ${quote(POLICY_FORMAT)}`);
    }
    const version = this.integer(root, ["version"], MAX_POLICY_VERSION);
    const groups = this.groups(root, principals);
    const trustValue = this.object(root, ["trust"]);
    this.onlyKeys(trustValue, ["trust"], TRUST_KEYS);
    const trust = this.requirement(trustValue, ["trust"], groups);
    const rules = this.rules(root, groups);
    const lint = this.lint(root);
    return {
      version,
      groups,
      rules,
      trust,
      ...(lint ? { lint } : {}),
      text: this.text,
      source: this.source,
    };
  }

  lint(
    root: Record<string, unknown>,
  ): { block: LintRuleId[] } | undefined {
    if (!Object.hasOwn(root, "lint")) return undefined;
    const value = this.object(root, ["lint"]);
    this.onlyKeys(value, ["lint"], LINT_KEYS);
    const block = this.stringList(
      value,
      ["lint", "block"],
      LINT_RULE_IDS.length,
    );
    block.forEach((id, index) => {
      if (!isLintRuleId(id)) {
        this.fail(
          ["lint", "block", index],
          `unknown lint rule ${quote(id)} (rules: ${
            LINT_RULE_IDS.map(quote).join(", ")
          })`,
        );
      }
    });
    return { block: block as LintRuleId[] };
  }

  groups(
    root: Record<string, unknown>,
    principals: ReadonlySet<string> | undefined,
  ): Map<string, string[]> {
    const value = this.object(root, ["groups"]);
    const names = Object.keys(value);
    if (names.length === 0) {
      this.fail(["groups"], "must name at least one group");
    }
    if (names.length > MAX_POLICY_ENTRIES) {
      this.fail(
        ["groups"],
        `${names.length} groups is over the limit of ${MAX_POLICY_ENTRIES}`,
      );
    }
    const groups = new Map<string, string[]>();
    for (const name of names) {
      const path = ["groups", name];
      if (!GROUP_NAME.test(name)) {
        this.fail(
          path,
          'a group name is 1 to 64 letters, digits, "_", "-" or ".", starting with a letter or digit',
        );
      }
      const members = this.stringList(value, path, MAX_GROUP_MEMBERS);
      members.forEach((member, index) => {
        try {
          validatePrincipal(member);
        } catch (error) {
          if (!(error instanceof ToolError)) throw error;
          this.fail(
            [...path, index],
            `${error.message}: a policy names literal principals`,
          );
        }
        if (principals !== undefined && !principals.has(member)) {
          this.fail(
            [...path, index],
            `unknown principal ${
              quote(member)
            }: no line of "${ALLOWED_SIGNERS_PATH}" names it literally`,
          );
        }
      });
      groups.set(name, members);
    }
    return groups;
  }

  rules(
    root: Record<string, unknown>,
    groups: ReadonlyMap<string, readonly string[]>,
  ): PolicyRule[] {
    if (!Object.hasOwn(root, "rules")) {
      this.fail(["rules"], 'missing (write "rules": [] for none)');
    }
    const value = root.rules;
    if (!Array.isArray(value)) this.fail(["rules"], "must be a list");
    if (value.length > MAX_POLICY_ENTRIES) {
      this.fail(
        ["rules"],
        `${value.length} rules is over the limit of ${MAX_POLICY_ENTRIES}`,
      );
    }
    const seen = new Map<string, number>();
    return value.map((entry: unknown, index): PolicyRule => {
      const path: Path = ["rules", index];
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
        this.fail(path, "must be an object");
      }
      const fields = entry as Record<string, unknown>;
      this.onlyKeys(fields, path, RULE_KEYS);
      const pattern = this.string(fields, [...path, "pattern"]);
      const problem = patternProblem(pattern);
      if (problem !== undefined) {
        this.fail([...path, "pattern"], `${quote(pattern)}: ${problem}`);
      }
      const canonical = compilePattern(pattern).parts.map((part) =>
        part === "**" ? part : part.join("")
      ).join("/");
      const earlier = seen.get(canonical);
      if (earlier !== undefined) {
        this.fail(
          [...path, "pattern"],
          `${quote(pattern)}: same as rules[${earlier}]`,
        );
      }
      seen.set(canonical, index);
      const { groups: names, threshold } = this.requirement(
        fields,
        path,
        groups,
      );
      return { pattern, groups: names, threshold, line: this.line(path) };
    });
  }

  requirement(
    fields: Record<string, unknown>,
    path: Path,
    groups: ReadonlyMap<string, readonly string[]>,
  ): { groups: string[]; threshold: number } {
    const names = this.stringList(
      fields,
      [...path, "groups"],
      MAX_POLICY_ENTRIES,
    );
    names.forEach((name, index) => {
      if (!groups.has(name)) {
        this.fail(
          [...path, "groups", index],
          `unknown group ${quote(name)} (defined: ${
            [...groups.keys()].map(quote).join(", ")
          })`,
        );
      }
    });
    const size = principalsOf({ groups }, names).size;
    const threshold = this.integer(fields, [...path, "threshold"], size);
    return { groups: names, threshold };
  }

  onlyKeys(
    object: Record<string, unknown>,
    path: Path,
    allowed: readonly string[],
    optional: readonly string[] = [],
  ): void {
    const unknown = Object.keys(object).find((key) => !allowed.includes(key));
    if (unknown !== undefined) {
      this.fail(
        [...path, unknown],
        `unknown key (allowed: ${allowed.map(quote).join(", ")})`,
      );
    }
    const missing = allowed.find((key) =>
      !optional.includes(key) && !Object.hasOwn(object, key)
    );
    if (missing !== undefined) this.fail([...path, missing], "missing");
  }

  object(
    parent: Record<string, unknown>,
    path: Path,
  ): Record<string, unknown> {
    const value = parent[path.at(-1)!];
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, "must be an object");
    }
    return value as Record<string, unknown>;
  }

  string(parent: Record<string, unknown>, path: Path): string {
    const value = (parent as Record<string | number, unknown>)[path.at(-1)!];
    const problem = stringProblem(value);
    if (problem !== undefined) this.fail(path, problem);
    return value as string;
  }

  stringList(
    parent: Record<string, unknown>,
    path: Path,
    limit: number,
  ): string[] {
    const value = parent[path.at(-1)!];
    if (!Array.isArray(value) || value.length === 0) {
      this.fail(path, "must be a non-empty list of strings");
    }
    if (value.length > limit) {
      this.fail(path, `${value.length} entries is over the limit of ${limit}`);
    }
    const seen = new Set<string>();
    return value.map((_, index) => {
      const item = this.string(value as unknown as Record<string, unknown>, [
        ...path,
        index,
      ]);
      if (seen.has(item)) {
        this.fail([...path, index], `${quote(item)} is listed twice`);
      }
      seen.add(item);
      return item;
    });
  }

  /** An integer from 1 to `max`, written as plain digits. */
  integer(parent: Record<string, unknown>, path: Path, max: number): number {
    const value = parent[path.at(-1)!];
    const node = this.#tree === undefined
      ? undefined
      : this.parser.findNodeAtLocation(this.#tree, path);
    const raw = node === undefined
      ? ""
      : this.text.slice(node.offset, node.offset + node.length);
    if (
      typeof value !== "number" || !Number.isSafeInteger(value) ||
      !/^-?[0-9]+$/.test(raw)
    ) {
      this.fail(path, "must be a whole number written as digits");
    }
    if (value < 1 || value > max) {
      this.fail(
        path,
        max < 1
          ? `is ${value}, but there is nobody to count`
          : `is ${value}: it must be from 1 to ${max}${
            path.at(-1) === "threshold"
              ? ` (the number of distinct principals of its groups)`
              : ""
          }`,
      );
    }
    return value;
  }
}

function fieldName(path: Path): string {
  if (path.length === 0) return "(top level)";
  return path.map((part, index) =>
    typeof part === "number"
      ? `[${part}]`
      : index === 0
      ? part
      : /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)
      ? `.${part}`
      : `[${JSON.stringify(part)}]`
  ).join("");
}
