/**
 * The check of the configs an MCP client is about to use, shared by the
 * checkout hooks (post-checkout, post-merge, post-rewrite) and `exec`: the
 * working tree's configs, as `verify` checks them, and for `exec` also the
 * history checked out (rollback and trust changes): every commit of HEAD
 * that the remotes' default branches lack, as `verify --range` checks
 * them, or HEAD alone (`verify --rev HEAD`) when it has none or no default
 * branch is known. On a failure, the report names each config, why it
 * fails and what a client would run from it, because that is what the
 * user must not start.
 *
 * @module
 */

import { errorMessage, ToolError } from "../errors.ts";
import { TOOL_NAME } from "../constants.ts";
import {
  BUILTIN_CONFIG_KINDS,
  type ConfigKind,
  findConfigKind,
} from "../configs/config_kinds.ts";
import { loadConfigKinds } from "../configs/repository_patterns.ts";
import { parseConfig } from "../configs/validate_config.ts";
import { git, type Repository } from "../git/repository.ts";
import { workingTreeSource } from "../source/config_source.ts";
import { readConfigBytes } from "../source/find_configs.ts";
import type { VerifyResult } from "../verify/verify_codes.ts";
import {
  type CommitReport,
  defaultBranches,
  listCommits,
  rangeBases,
  verifyRevisions,
} from "../verify/verify_history.ts";
import { verifyRepository } from "../verify/verify_repository.ts";
import { formatShellCommand } from "../hooks/launch.ts";

/** What {@linkcode checkUsedConfigs} found. */
export interface UsedConfigsCheck {
  /** True when every config, and HEAD when checked, verified. */
  ok: boolean;
  /** The working tree's results, one per config. */
  results: VerifyResult[];
  /** The history's reports (HEAD's alone, or a range), when checked. */
  history?: CommitReport[];
}

/**
 * Verifies the configs an MCP client started in this working tree would
 * load, and with `head` also the commit checked out.
 *
 * @param repo The working tree.
 * @param options `head`: also verify the history checked out (see the
 * module documentation; skipped on a branch with no commit yet).
 * @returns The results.
 * @throws {ToolError} When verification cannot run at all (a malformed
 * trust list, git failing).
 *
 * @example
 * ```ts ignore
 * const check = await checkUsedConfigs(repo, { head: true });
 * ```
 */
export async function checkUsedConfigs(
  repo: Repository,
  options: { head: boolean },
): Promise<UsedConfigsCheck> {
  const [results, history] = await Promise.all([
    verifyRepository(repo, { cwd: repo.root }),
    options.head ? verifyHead(repo) : Promise.resolve(undefined),
  ]);
  const ok = results.every((result) => result.ok) &&
    (history ?? []).every((report) => report.ok);
  return { ok, results, ...(history ? { history } : {}) };
}

// HEAD's commits that no remote default branch holds, as "verify --range"
// checks them: a trust list swapped deep in a colleague's branch, with
// commits on top, is judged where it changed. The default branches are
// what CI gates; with none known, or none of HEAD's commits beyond them,
// HEAD alone as "verify --rev HEAD".
async function verifyHead(
  repo: Repository,
): Promise<CommitReport[] | undefined> {
  let id: string;
  try {
    id = new TextDecoder().decode(
      await git(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]),
    ).trim();
  } catch (error) {
    // --quiet: an unborn branch fails with exit code 1 and says nothing;
    // anything else git says is a real failure.
    if (error instanceof ToolError && /: exit code 1$/.test(error.message)) {
      return undefined;
    }
    throw error;
  }
  const tips = await defaultBranches(repo);
  const range = [id, "--not", ...tips];
  const commits = tips.length > 0 ? await listCommits(repo, range) : [];
  if (commits.length > 0) {
    return await verifyRevisions(repo, commits, {
      allowRoots: false,
      bases: () => rangeBases(repo, range),
    });
  }
  return await verifyRevisions(repo, [id], {
    allowRoots: true,
    bases: () => Promise.resolve(tips),
  });
}

// Bounds on what the report prints from a config nobody signed: it is
// attacker-controlled text.
const MAX_SERVERS_SHOWN = 20;
const MAX_COMMITS_SHOWN = 20;
const MAX_LINE = 240;

/**
 * Formats the report of a failed check: a banner, each failing config with
 * its code, its reason and what a client would run from it, HEAD's
 * failures, and what to do. Every line goes to standard error.
 *
 * @param repo The working tree.
 * @param check The failed check.
 * @param options `after`: what just happened ("git checkout", …); `exec`:
 * the command that was not started; `status`: the exit status.
 * @returns The text, ending in a newline.
 *
 * @example
 * ```ts ignore
 * io.err(await formatUsedConfigsReport(repo, check, { after: "git pull", status: 1 }));
 * ```
 */
export async function formatUsedConfigsReport(
  repo: Repository,
  check: UsedConfigsCheck,
  options: { after?: string; exec?: readonly string[]; status: number },
): Promise<string> {
  const failed = check.results.filter((result) => !result.ok);
  const commitsFailed = (check.history ?? []).filter((report) => !report.ok);
  const rule = `${TOOL_NAME}: ${"!".repeat(64)}`;
  const lines = [rule];
  const where = options.after ? ` after ${options.after}` : "";
  if (failed.length > 0) {
    lines.push(
      `${TOOL_NAME}: DANGER${where}: ${failed.length} MCP config${
        failed.length === 1 ? "" : "s"
      } in this working tree FAIL${
        failed.length === 1 ? "S" : ""
      } verification. An MCP client started here would load ${
        failed.length === 1 ? "it" : "them"
      } and run what ${failed.length === 1 ? "it names" : "they name"}:`,
    );
  } else {
    lines.push(
      `${TOOL_NAME}: DANGER${where}: ${commitsFailed.length} commit${
        commitsFailed.length === 1 ? "" : "s"
      } checked out fail${
        commitsFailed.length === 1 ? "s" : ""
      } verification (their configs or trust list):`,
    );
  }
  const kinds = failed.length > 0 ? await loadKinds(repo) : undefined;
  for (const result of failed) {
    lines.push(`  FAIL  ${result.path}  ${result.code}: ${result.reason}`);
    for (const line of await describeServers(repo, result.path, kinds)) {
      lines.push(`        ${clip(line)}`);
    }
  }
  for (const report of commitsFailed.slice(0, MAX_COMMITS_SHOWN)) {
    lines.push(
      `  FAIL  commit ${report.commit.slice(0, 12)} ${clip(report.subject)}`,
    );
    for (const result of report.results) {
      if (result.ok) continue;
      lines.push(
        `        FAIL  ${result.path}  ${result.code}: ${result.reason}`,
      );
    }
  }
  if (commitsFailed.length > MAX_COMMITS_SHOWN) {
    lines.push(
      `  … and ${
        commitsFailed.length - MAX_COMMITS_SHOWN
      } more failing commits ("${TOOL_NAME} verify --range" lists them all)`,
    );
  }
  if (options.exec) {
    lines.push(
      `${TOOL_NAME}: NOT started: ${clip(formatShellCommand(options.exec))}`,
    );
  } else {
    lines.push(
      `${TOOL_NAME}: git has already changed the files; a hook cannot undo that. Do not start an MCP client in this repository until "${TOOL_NAME} verify" passes.`,
    );
  }
  lines.push(
    `${TOOL_NAME}: ask who changed the config; if you trust the change, sign it ("${TOOL_NAME} sign PATH"), else restore a signed version ("git restore --source=COMMIT -- PATH").`,
    `${TOOL_NAME}: exit status ${options.status}`,
    rule,
  );
  return lines.map((line) => `${line}\n`).join("");
}

async function loadKinds(repo: Repository): Promise<readonly ConfigKind[]> {
  // The patterns file may be what is broken; the built-ins still apply.
  return await loadConfigKinds(repo.root).catch(() => BUILTIN_CONFIG_KINDS);
}

/**
 * What an MCP client would start from a config in the working tree: one
 * line per server, its command and arguments or its URL. A file that cannot
 * be read or parsed says so instead (a client may still read it its own way).
 */
async function describeServers(
  repo: Repository,
  path: string,
  kinds: readonly ConfigKind[] | undefined,
): Promise<string[]> {
  const kind = kinds ? findConfigKind(path, kinds) : undefined;
  if (!kind) return [`(not a config kind this tool can read)`];
  let root: Record<string, unknown>;
  try {
    const bytes = await readConfigBytes(workingTreeSource(repo), path);
    if (bytes === undefined) return [`(the file is gone)`];
    root = await parseConfig(path, bytes, { format: kind.format });
  } catch (error) {
    return [`(cannot show its servers: ${errorMessage(error)})`];
  }
  const table = root[kind.serversKey];
  if (!isTable(table)) {
    return [
      `(no "${kind.serversKey}" table: ${kind.client} may read it otherwise)`,
    ];
  }
  const names = Object.keys(table);
  if (names.length === 0) return [`(no servers)`];
  const lines = names.slice(0, MAX_SERVERS_SHOWN).map((name) =>
    `server ${JSON.stringify(name)}: ${describeServer(table[name])}`
  );
  if (names.length > MAX_SERVERS_SHOWN) {
    lines.push(`… and ${names.length - MAX_SERVERS_SHOWN} more servers`);
  }
  return lines;
}

/**
 * One server entry, as a client would use it: `runs CMD ARGS…` (command as
 * a string or a list; Zed's `{"path", "args"}`), or `connects to URL`.
 *
 * @param entry A server table's value.
 * @returns One line of text, quoted for a POSIX shell where it runs something.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeServer } from "./used_configs.ts";
 * assert.equal(describeServer({ command: "npx", args: ["-y", "a b"] }), "runs npx -y 'a b'");
 * assert.equal(describeServer({ url: "https://x.example/mcp" }), "connects to https://x.example/mcp");
 * ```
 */
export function describeServer(entry: unknown): string {
  if (!isTable(entry)) return `(not a table: ${clip(JSON.stringify(entry))})`;
  const url = ["url", "serverUrl", "httpUrl", "uri"].map((key) => entry[key])
    .find((value) => typeof value === "string");
  let command: unknown = entry.command;
  let args: unknown = entry.args;
  if (isTable(command)) {
    args = command.args;
    command = command.path;
  }
  const words = [
    ...(Array.isArray(command)
      ? command
      : command === undefined
      ? []
      : [command]),
    ...(Array.isArray(args) ? args : []),
  ].map((word) => typeof word === "string" ? word : JSON.stringify(word));
  const parts = [];
  if (words.length > 0) parts.push(`runs ${formatShellCommand(words)}`);
  if (url !== undefined) parts.push(`connects to ${url}`);
  return parts.length > 0
    ? parts.join("; ")
    : `(no command or URL: ${clip(JSON.stringify(entry))})`;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  return text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text;
}
