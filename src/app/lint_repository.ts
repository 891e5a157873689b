/**
 * `lint`: the working tree's MCP configs (every config the tool signs, or
 * the paths named) held against the lint rules, each finding marked
 * blocking when the working tree's policy blocks its rule.
 *
 * @module
 */

import { blockedRules, lintConfig } from "../configs/lint_config.ts";
import type { LintFinding } from "../configs/lint_rules.ts";
import { ToolError } from "../errors.ts";
import { type Repository, toRepoPath } from "../git/repository.ts";
import { workingTreeSource } from "../source/config_source.ts";
import { findConfigs, readConfigBytes } from "../source/find_configs.ts";
import { readPolicy } from "../trust/policy_store.ts";

/** What `lint` found. */
export interface LintReport {
  /** The configs linted, repository-relative, sorted. */
  configs: string[];
  /** The rules the policy blocks. */
  blocked: string[];
  /** Every finding, config by config. */
  findings: LintFinding[];
}

/**
 * Lints the working tree's configs, or the named ones.
 *
 * @param repo The working tree.
 * @param options `cwd`, which relative `paths` start from, and the `paths`.
 * @returns The report.
 * @throws {ToolError} `BAD_PATH` for a named path that is missing or no
 * config; `INVALID_CONFIG` for a config that does not parse;
 * `INVALID_FORMAT` for an invalid policy (naming its line and field).
 *
 * @example
 * ```ts ignore
 * const report = await lintRepository(repo, { cwd: Deno.cwd(), paths: [] });
 * ```
 */
export async function lintRepository(
  repo: Repository,
  options: { cwd: string; paths: readonly string[] },
): Promise<LintReport> {
  const source = workingTreeSource(repo);
  const paths: string[] = [];
  for (const path of options.paths) {
    paths.push(await toRepoPath(repo, options.cwd, path));
  }
  const block = blockedRules(await readPolicy(source.reader));
  const targets = await findConfigs(source, {
    kinds: await source.kinds(),
    ...(paths.length > 0 ? { paths } : {}),
  });
  const report: LintReport = {
    configs: [],
    blocked: [...block],
    findings: [],
  };
  for (const target of targets) {
    if (target.hidden) continue; // verify reports these; there is nothing to read
    const bytes = await readConfigBytes(source, target.path);
    if (!bytes) {
      if (!target.named) continue;
      throw new ToolError(
        "BAD_PATH",
        `Cannot lint ${
          JSON.stringify(target.path)
        }: no such file in the working tree`,
      );
    }
    report.configs.push(target.path);
    report.findings.push(
      ...await lintConfig(target.path, bytes, { kind: target.kind, block }),
    );
  }
  return report;
}
