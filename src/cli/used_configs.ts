/**
 * The check of the configs an MCP client is about to use, shared by the
 * checkout hooks (post-checkout, post-merge, post-rewrite) and `exec`: the
 * working tree's configs, as `verify` checks them, and for `exec` also the
 * history checked out (rollback and trust changes): every commit of HEAD
 * that origin's default branch (`refs/remotes/origin/HEAD`, the only
 * history taken as verified) lacks, as `verify --range` checks them, HEAD
 * alone (`verify --rev HEAD`) when it has none, and HEAD's whole history
 * when origin's default branch is not known. On a failure, the report names
 * each config, why it fails and what a client would run from it (read
 * through each kind's own server table, as validation reads it), because
 * that is what the user must not start; everything it prints from a config
 * or from git is escaped so that it can neither add a line nor reorder one.
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
  listCommits,
  verifyRevisions,
} from "../verify/verify_history.ts";
import { verifyRepository } from "../verify/verify_repository.ts";
import { serverTable, serverTableKeys } from "../configs/server_entries.ts";
import { escapeInvisible, hasInvisible } from "../format/quote.ts";
import { shellQuote } from "../hooks/launch.ts";
import { displayPath } from "./io.ts";

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

// HEAD's commits that origin's default branch lacks, as "verify --range
// origin/HEAD..HEAD" checks them: a trust list swapped deep in a
// colleague's branch, with commits on top, is judged where it changed.
// Only origin's default branch counts as verified history (see
// verifiedBase); without it, HEAD's whole history is checked. With no
// commit beyond it, HEAD alone, as "verify --rev HEAD".
async function verifyHead(
  repo: Repository,
): Promise<CommitReport[] | undefined> {
  const id = await commitOf(repo, "HEAD");
  // An unborn branch: nothing is checked out of the history yet.
  if (id === undefined) return undefined;
  const base = await verifiedBase(repo);
  const bases = () => Promise.resolve(base === undefined ? [] : [base]);
  const commits = await listCommits(
    repo,
    base === undefined ? [id] : [id, "--not", base],
  );
  if (base !== undefined && commits.length === 0) {
    return await verifyRevisions(repo, [id], { allowRoots: true, bases });
  }
  // The whole history (no base) starts at the repository's own roots,
  // which may bring its first trust list; above a base, no root may.
  return await verifyRevisions(repo, commits, {
    allowRoots: base === undefined,
    bases,
  });
}

/**
 * The one history `exec` takes as already verified: the default branch of
 * the remote named `origin` (`refs/remotes/origin/HEAD`, which `git clone`
 * records), the branch that CI gates with `verify --range` and that the
 * pre-push hook checks. Never another remote's: a remote added to look at
 * someone's fork is that someone's history, and its `HEAD` (which
 * `git fetch` records since Git 2.48) is whatever they pushed. Nor the
 * current branch's upstream: a branch checked out from that fork tracks it.
 */
async function verifiedBase(repo: Repository): Promise<string | undefined> {
  return await commitOf(repo, "refs/remotes/origin/HEAD");
}

// The commit a full ref name (or HEAD) points at; undefined when there is
// none (an unborn branch, a missing ref).
async function commitOf(
  repo: Repository,
  ref: string,
): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(
      await git(repo, [
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        `${ref}^{commit}`,
      ]),
    ).trim();
  } catch (error) {
    // --quiet: a missing ref fails with exit code 1 and says nothing;
    // anything else git says is a real failure.
    if (error instanceof ToolError && /: exit code 1$/.test(error.message)) {
      return undefined;
    }
    throw error;
  }
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
    lines.push(
      `  FAIL  ${displayPath(result.path)}  ${result.code}: ${result.reason}`,
    );
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
        `        FAIL  ${
          displayPath(result.path)
        }  ${result.code}: ${result.reason}`,
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
      `${TOOL_NAME}: NOT started: ${
        clip(
          options.exec.map((word, index) => displayShellWord(word, index === 0))
            .join(" "),
        )
      }`,
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
  // Whatever slipped through above (a reason, a commit subject) still
  // cannot end its line or turn text around: the report is read as proof.
  return lines.map((line) => `${escapeInvisible(line)}\n`).join("");
}

async function loadKinds(repo: Repository): Promise<readonly ConfigKind[]> {
  // The patterns file may be what is broken; the built-ins still apply.
  return await loadConfigKinds(repo.root).catch(() => BUILTIN_CONFIG_KINDS);
}

/**
 * What an MCP client would start from a config in the working tree: one
 * line per server, its command and arguments or its URL, read through the
 * kind's own server table ({@linkcode serverTable}, as validation reads
 * it). A file that cannot be read or parsed says so instead (a client may
 * still read it its own way); a settings file without servers names its
 * MCP switches, which change what a client runs just as well.
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
  const table = serverTable(root, kind);
  const lines = table ? [] : [
    `(no ${
      serverTableKeys(kind).map((key) =>
        displayText([key, ...(kind.serversPath ?? [])].join("."))
      ).join(" or ")
    } table: ${kind.client} may read it otherwise)`,
  ];
  if (kind.settings) lines.push(...describeSwitches(root, table?.key));
  if (!table) return lines;
  const servers = table.servers;
  if (servers.length === 0) return [...lines, `(no servers)`];
  lines.push(
    ...servers.slice(0, MAX_SERVERS_SHOWN).map(({ name, entry }) =>
      `server ${displayText(name)}: ${describeServer(entry)}`
    ),
  );
  if (servers.length > MAX_SERVERS_SHOWN) {
    lines.push(`… and ${servers.length - MAX_SERVERS_SHOWN} more servers`);
  }
  return lines;
}

// A settings file's top-level MCP keys other than its server table
// ("enableAllProjectMcpServers": true approves every project server).
function describeSwitches(
  root: Record<string, unknown>,
  tableKey: string | undefined,
): string[] {
  const keys = Object.keys(root).filter((key) =>
    key !== tableKey && key.toLowerCase().includes("mcp")
  );
  const lines = keys.slice(0, MAX_SERVERS_SHOWN).map((key) =>
    `setting ${displayText(key)}: ${
      clip(escapeInvisible(String(JSON.stringify(root[key]))))
    }`
  );
  if (keys.length > MAX_SERVERS_SHOWN) {
    lines.push(`… and ${keys.length - MAX_SERVERS_SHOWN} more MCP settings`);
  }
  return lines;
}

/**
 * One server entry, as a client would use it: `runs CMD ARGS…` (command as
 * a string or a list; Zed's `{"path", "args"}`), or `connects to "URL"`.
 * Every word and the URL come from a config nobody may have signed: a word
 * with a line break, a control or a format character (a bidi override)
 * is written in `$'…'` quotes with that character escaped
 * ({@linkcode displayShellWord}), and the URL as a JSON string with them
 * escaped, so that no server can add a line to the report or reorder
 * what it shows.
 *
 * @param entry A server table's value.
 * @returns One line of text, quoted for a POSIX shell where it runs something.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeServer } from "./used_configs.ts";
 * assert.equal(describeServer({ command: "npx", args: ["-y", "a b"] }), "runs npx -y 'a b'");
 * assert.equal(describeServer({ command: "sh", args: ["-c", "x\nok"] }), "runs sh -c $'x\\nok'");
 * assert.equal(describeServer({ url: "https://x.example/mcp" }), 'connects to "https://x.example/mcp"');
 * ```
 */
export function describeServer(entry: unknown): string {
  if (!isTable(entry)) {
    return `(not a table: ${
      clip(escapeInvisible(String(JSON.stringify(entry))))
    })`;
  }
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
  if (words.length > 0) {
    parts.push(
      `runs ${
        words.map((word, index) => displayShellWord(word, index === 0)).join(
          " ",
        )
      }`,
    );
  }
  if (url !== undefined) parts.push(`connects to ${displayText(url)}`);
  return parts.length > 0
    ? parts.join("; ")
    : `(no command or URL: ${clip(escapeInvisible(JSON.stringify(entry)))})`;
}

/**
 * One word of a command, for the report: as {@linkcode shellQuote} writes
 * it, or, when it holds a character that {@linkcode escapeInvisible} would
 * escape (a line break, a tab, a control, a bidi or other format
 * character), in `$'…'` quotes (bash, zsh, ksh, and POSIX.1-2024 `sh`)
 * with each such character, `\` and `'` escaped: the line shows every
 * character and stays one line.
 *
 * @param word A word of the command.
 * @param first Whether it is the command's first word.
 * @returns The word, quoted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { displayShellWord } from "./used_configs.ts";
 * assert.equal(displayShellWord("a b"), "'a b'");
 * assert.equal(displayShellWord("it's\n\u202e"), "$'it\\'s\\n\\u202e'");
 * ```
 */
export function displayShellWord(word: string, first = false): string {
  if (!hasInvisible(word)) return shellQuote(word, first);
  let out = "";
  for (const char of word) {
    const code = char.codePointAt(0)!;
    if (char === "\\" || char === "'") out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\t") out += "\\t";
    else if (char === "\r") out += "\\r";
    else if (!hasInvisible(char)) out += char;
    else if (code < 0x80) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code <= 0xffff) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `$'${out}'`;
}

// Text from a config (a name, a URL, a key) as a JSON string with every
// invisible character escaped: one line, every character shown.
function displayText(text: string): string {
  return escapeInvisible(JSON.stringify(text));
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Cut by code points, so that no surrogate pair is split.
function clip(text: string): string {
  const chars = [...text];
  return chars.length > MAX_LINE
    ? `${chars.slice(0, MAX_LINE).join("")}…`
    : text;
}
