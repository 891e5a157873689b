/**
 * Lints one config file: parses it as its kind, reads each server through
 * {@linkcode serverViews}, runs {@linkcode lintServer} on it, and places
 * each finding on a line and marks it blocking when the policy blocks its
 * rule.
 *
 * @module
 */

import { posix } from "node:path";
import type { ConfigKind } from "./config_kinds.ts";
import { escapeInvisible } from "../format/quote.ts";
import { LINT_RULES, type LintFinding, type LintRuleId } from "./lint_rules.ts";
import { lintServer } from "./lint_server.ts";
import { serverViews } from "./server_view.ts";
import { parseConfig } from "./validate_config.ts";

/** Options for {@linkcode lintConfig}. */
export interface LintConfigOptions {
  /** The config's kind. */
  kind: ConfigKind;
  /** The rules the policy blocks (none by default). */
  block?: ReadonlySet<string>;
}

/**
 * Lints a config's bytes.
 *
 * @param path The config's repository-relative path.
 * @param bytes Its bytes.
 * @param options Its kind and the blocked rules.
 * @returns The findings, server by server in file order.
 * @throws {ConfigError} When the bytes do not parse as the kind's format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS, findConfigKind } from "./config_kinds.ts";
 * import { lintConfig } from "./lint_config.ts";
 * const kind = findConfigKind(".mcp.json", BUILTIN_CONFIG_KINDS)!;
 * const text = '{"mcpServers": {\n  "docs": {"url": "http://docs.example.com/mcp"}\n}}';
 * const [finding] = await lintConfig(".mcp.json", new TextEncoder().encode(text), { kind, block: new Set(["insecure-http"]) });
 * assert.equal(finding?.rule, "insecure-http");
 * assert.equal(finding?.line, 2);
 * assert.equal(finding?.blocking, true);
 * ```
 */
export async function lintConfig(
  path: string,
  bytes: Uint8Array,
  options: LintConfigOptions,
): Promise<LintFinding[]> {
  const { kind } = options;
  if (kind.serversKey === "") return [];
  const root = await parseConfig(path, bytes, { format: kind.format });
  const text = new TextDecoder().decode(bytes);
  const lines = lineStarts(text);
  const folder = posix.dirname(path) === "." ? "" : posix.dirname(path);
  const findings: LintFinding[] = [];
  const finder = new OffsetFinder(text);
  // Servers come in file order: each name is looked for after the last.
  let cursor = 0;
  for (const view of serverViews(root, kind)) {
    const near = finder.find(JSON.stringify(view.name), cursor) ??
      finder.find(view.name, cursor) ??
      finder.find(JSON.stringify(view.name), 0);
    if (near !== undefined) cursor = near;
    for (const found of lintServer(view, { folder })) {
      const offset = finder.find(found.value, near ?? 0) ??
        finder.find(found.value, 0) ?? near;
      const finding: LintFinding = {
        rule: found.rule,
        path,
        server: view.name,
        field: found.field,
        message: found.message,
        fix: LINT_RULES[found.rule].fix,
        blocking: options.block?.has(found.rule) ?? false,
      };
      if (offset !== undefined) finding.line = lineOf(lines, offset);
      findings.push(finding);
    }
  }
  return findings;
}

/**
 * The findings a policy blocks.
 *
 * @param findings Findings of {@linkcode lintConfig}.
 * @returns Those marked blocking.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockingFindings } from "./lint_config.ts";
 * assert.deepEqual(blockingFindings([]), []);
 * ```
 */
export function blockingFindings(
  findings: readonly LintFinding[],
): LintFinding[] {
  return findings.filter((finding) => finding.blocking);
}

/**
 * One finding as one line of text: `path:line: rule: server "name",
 * field: message`.
 *
 * @param finding A finding.
 * @returns The line, without its newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFinding } from "./lint_config.ts";
 * assert.equal(
 *   formatFinding({ rule: "insecure-http", path: ".mcp.json", server: "docs", field: "url", line: 2, message: "connects over plain http://", fix: "use https://", blocking: false }),
 *   '.mcp.json:2: warning[insecure-http] server "docs", url: connects over plain http://',
 * );
 * ```
 */
export function formatFinding(finding: LintFinding): string {
  const where = finding.line === undefined
    ? finding.path
    : `${finding.path}:${finding.line}`;
  const level = finding.blocking ? "blocked" : "warning";
  // Names and values come from the config: invisible characters (bidi
  // overrides) are shown escaped, as quote() shows them.
  return escapeInvisible(
    `${where}: ${level}[${finding.rule}] server ${
      JSON.stringify(finding.server)
    }, ${finding.field}: ${finding.message}`,
  );
}

/**
 * The message of an error that refuses a config for its blocking findings.
 *
 * @param action What is refused: "Cannot sign", "Commit refused".
 * @param findings The blocking findings (at least one).
 * @returns The message: each finding with its rule's fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockedMessage } from "./lint_config.ts";
 * const message = blockedMessage("Cannot sign", [{ rule: "insecure-http", path: ".mcp.json", server: "docs", field: "url", message: "connects over plain http://", fix: "use https://", blocking: true }]);
 * assert.match(message, /^Cannot sign ".mcp.json": the policy blocks lint rule "insecure-http"/);
 * ```
 */
export function blockedMessage(
  action: string,
  findings: readonly LintFinding[],
): string {
  const paths = [...new Set(findings.map((finding) => finding.path))];
  const rules = [...new Set(findings.map((finding) => finding.rule))];
  return `${action} ${paths.map((path) => JSON.stringify(path)).join(", ")}: ` +
    `the policy blocks lint rule${rules.length === 1 ? "" : "s"} ${
      rules.map((rule) => JSON.stringify(rule)).join(", ")
    } ("lint.block" of ".mcp-orchestration/policy.json"):\n` +
    findings.map((finding) =>
      `  ${formatFinding(finding)}\n    fix: ${finding.fix}`
    ).join("\n");
}

/**
 * The one-line reason of a `LINT_BLOCKED` verification: the blocked rules
 * and each finding with its fix (a report prints one line per config).
 *
 * @param findings The config's blocking findings (at least one).
 * @returns The reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockedReason } from "./lint_config.ts";
 * assert.equal(
 *   blockedReason([{ rule: "insecure-http", path: ".mcp.json", server: "docs", field: "url", line: 2, message: "connects over plain http://", fix: "use https://", blocking: true }]),
 *   'the policy blocks lint rule "insecure-http" ("lint.block" of ".mcp-orchestration/policy.json"): line 2, server "docs", url: connects over plain http:// (fix: use https://)',
 * );
 * ```
 */
export function blockedReason(findings: readonly LintFinding[]): string {
  const rules = [...new Set(findings.map((finding) => finding.rule))];
  return escapeInvisible(
    `the policy blocks lint rule${rules.length === 1 ? "" : "s"} ${
      rules.map((rule) => JSON.stringify(rule)).join(", ")
    } ("lint.block" of ".mcp-orchestration/policy.json"): ${
      findings.map((finding) =>
        `${finding.line === undefined ? "" : `line ${finding.line}, `}server ${
          JSON.stringify(finding.server)
        }, ${finding.field}: ${finding.message} (fix: ${finding.fix})`
      ).join("; ")
    }`,
  );
}

/**
 * The rules of a policy's `lint.block`, as a set; empty without one.
 *
 * @param policy A policy, or undefined.
 * @returns The blocked rule ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockedRules } from "./lint_config.ts";
 * assert.equal(blockedRules(undefined).size, 0);
 * assert.ok(blockedRules({ lint: { block: ["insecure-http"] } }).has("insecure-http"));
 * ```
 */
export function blockedRules(
  policy: { lint?: { block: readonly LintRuleId[] } } | undefined,
): ReadonlySet<string> {
  return new Set(policy?.lint?.block ?? []);
}

// Where a string is written, as the file has it (raw, or JSON-escaped).
// Where a value is written (as is, or JSON-escaped), for a finding's line.
// Searching costs what it scans; past a budget of a few passes over the text
// the finder gives up and findings go without a line: a config of 100,000
// servers whose names or values cannot be found (written with escapes) must
// not make lint, and the pre-receive hook, quadratic (red team 13).
class OffsetFinder {
  readonly #text: string;
  #budget: number;

  constructor(text: string) {
    this.#text = text;
    this.#budget = 8 * text.length + 65_536;
  }

  find(value: string, from: number): number | undefined {
    if (value === "") return undefined;
    for (const form of [value, JSON.stringify(value).slice(1, -1)]) {
      if (this.#budget <= 0) return undefined;
      const at = this.#text.indexOf(form, from);
      this.#budget -= (at >= 0 ? at + form.length : this.#text.length) - from;
      if (at >= 0) return at;
    }
    return undefined;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) {
    starts.push(at + 1);
  }
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (starts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low + 1;
}
