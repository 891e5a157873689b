/**
 * The Git hook stubs: tiny POSIX `sh` scripts (they run under dash) that
 * only call the tool. One function writes both, so the installed hooks and
 * the copies shipped in `hooks/` cannot drift apart.
 *
 * A stub, in order:
 * 1. runs the hook that was there before us (moved aside to
 *    `<hook>.mcp-orchestration-chained`) with the same arguments and, for
 *    pre-push, post-rewrite and pre-receive, the same standard input, and
 *    stops with its
 *    exit code if it fails (a checkout hook only remembers it);
 * 2. with `MCP_ORCHESTRATION_SKIP=1`, warns loudly and exits 0 (not the
 *    server's pre-receive: a pusher's environment can reach it);
 * 3. fails closed, saying how to reinstall, when the tool is gone;
 * 4. pre-commit only: exits 0 without starting the tool when nothing staged
 *    could concern it (see {@linkcode PRE_COMMIT_FAST_PATH}) and no signed
 *    config runs repository files (a version 3 statement), so a commit
 *    that touches no MCP config costs one `git diff`, not a tool start;
 *    post-checkout and post-rewrite: exit 0 when git changed no file (a
 *    switch to the same commit, an amend);
 * 5. `exec`s `<command> hook <name> "$@"`; a checkout hook instead runs it
 *    and exits with its failure, else with the chained hook's.
 *
 * After a checkout, a merge or a rebase nothing can be stopped any more, so
 * a checkout hook ({@linkcode CHECKOUT_HOOKS}) runs the tool even when the
 * chained hook failed.
 *
 * pre-push, post-rewrite and pre-receive get git's lines on standard input,
 * which the
 * chained hook and the tool both read.
 *
 * @module
 */

import {
  REPO_CONFIG_PATH,
  STATEMENT_HEADER_V3,
  STATEMENTS_DIR,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import { LINK_MODES, PRE_COMMIT_NAMES } from "../configs/pre_commit_filter.ts";
import { formatShellCommand, shellQuote } from "./launch.ts";

/** The Git hooks the tool installs. */
export type HookName =
  | "pre-commit"
  | "pre-push"
  | "post-checkout"
  | "post-merge"
  | "post-rewrite"
  | "pre-receive";

/** Every hook the tool installs, in install order. */
export const HOOK_NAMES: readonly HookName[] = Object.freeze([
  "pre-commit",
  "pre-push",
  "post-checkout",
  "post-merge",
  "post-rewrite",
]);

/**
 * The hooks `install --server` writes into a repository that is pushed to:
 * pre-receive, which verifies every commit a push brings before Git
 * updates any ref.
 */
export const SERVER_HOOK_NAMES: readonly HookName[] = Object.freeze([
  "pre-receive",
]);

/**
 * The hooks that run after Git has changed the working tree (a checkout, a
 * merge or pull, a rebase): they verify the working tree's configs and
 * report loudly, but cannot undo what Git did.
 */
export const CHECKOUT_HOOKS: readonly HookName[] = Object.freeze([
  "post-checkout",
  "post-merge",
  "post-rewrite",
]);

// Per hook: what skipping it leaves unchecked, and the git command the
// "skip this once" advice names.
const HOOK_TEXTS: Readonly<
  Record<HookName, { skipped: string; command: string }>
> = Object.freeze({
  "pre-commit": {
    skipped: "the MCP configs in this commit are NOT signed",
    command: "git commit",
  },
  "pre-push": {
    skipped: "the pushed MCP configs are NOT verified",
    command: "git push",
  },
  "post-checkout": {
    skipped: "the checked-out MCP configs are NOT verified",
    command: "git switch",
  },
  "post-merge": {
    skipped: "the merged MCP configs are NOT verified",
    command: "git pull",
  },
  "post-rewrite": {
    skipped: "the rebased MCP configs are NOT verified",
    command: "git rebase",
  },
  "pre-receive": {
    skipped: "the received MCP configs are NOT verified",
    command: "git push",
  },
});

/** The environment variable that skips our hooks (set to `1`). */
export const SKIP_ENV = "MCP_ORCHESTRATION_SKIP";

/**
 * Suffix of a foreign hook moved aside by `install`, next to our stub; the
 * stub still runs it, and `uninstall` moves it back. Git never runs it
 * itself: it only runs files named exactly like a hook.
 */
export const CHAINED_SUFFIX = ".mcp-orchestration-chained";

/** The stub format's version, written into its marker line. */
export const STUB_VERSION = 2;

// Line 2 of every stub of any version: how `install` and `uninstall`
// recognise our files.
const MARKER_PATTERN = /^# mcp-orchestration hook v[0-9]+ \(/;

/**
 * Writes the stub for one hook.
 *
 * @param hook The hook's name.
 * @param command How to start the tool (see `launchCommand`), e.g.
 * `["/usr/local/bin/mcp-orchestration"]`; the stub appends
 * `hook <name> "$@"`. A bare name (no "/") is looked up on `PATH`; empty
 * means `["mcp-orchestration"]`.
 * @returns The script's text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hookStub, isOurHook } from "./stubs.ts";
 * const text = hookStub("pre-commit", ["/opt/my tool"]);
 * assert.ok(text.startsWith("#!/bin/sh\n") && isOurHook(text));
 * assert.ok(text.includes(`exec '/opt/my tool' hook pre-commit "$@"\n`));
 * ```
 */
export function hookStub(hook: HookName, command: readonly string[]): string {
  if (command.length === 0) command = [TOOL_NAME];
  // printf, not echo: dash's echo would interpret backslashes in paths.
  const say = (...texts: string[]) =>
    [`  printf >&2 '%s\\n'`, ...texts.map((text) => shellQuote(text))]
      .join(" \\\n    ");
  // A failing chained pre-commit or pre-push hook stops git, so ours need
  // not run; after a checkout nothing stops, so ours runs whatever the
  // chained hook did, and the stub exits with the chained hook's failure
  // when ours passes.
  const after = CHECKOUT_HOOKS.includes(hook);
  // On a server, the pusher's environment can reach the hook (a push to a
  // file:// path, ssh's SetEnv): it must not be able to turn the check off.
  const server = SERVER_HOOK_NAMES.includes(hook);
  const install = server
    ? `${TOOL_NAME} install --server`
    : `${TOOL_NAME} install`;
  const uninstall = server
    ? `${TOOL_NAME} uninstall --server`
    : `${TOOL_NAME} uninstall`;
  const onChainedFailure = after ? "status=$?" : "exit $?";
  const done = after ? 'exit "$status"' : "exit 0";
  const lines = [
    "#!/bin/sh",
    `# ${TOOL_NAME} hook v${STUB_VERSION} (${hook}): installed by "${install}"; "${uninstall}" restores what was here`,
    `chained="\${0%/*}/${hook}${CHAINED_SUFFIX}"`,
    ...(after ? ["status=0"] : []),
    'if [ -x "$chained" ]; then',
    ...(STDIN_HOOKS.includes(hook)
      ? chainWithInput(onChainedFailure)
      : [`  "$chained" "$@" || ${onChainedFailure}`]),
    "fi",
    ...(server ? [] : [
      `if [ "\${${SKIP_ENV}-}" = 1 ]; then`,
      say(
        `${TOOL_NAME}: WARNING: ${SKIP_ENV}=1, so the ${hook} hook did NOT run: ${
          HOOK_TEXTS[hook].skipped
        }`,
      ),
      `  ${done}`,
      "fi",
    ]),
    `if ${toolMissing(command)}; then`,
    say(
      `${TOOL_NAME}: cannot run the ${hook} hook: the tool is gone (moved, upgraded or uninstalled); the hook runs:`,
      `  ${formatShellCommand(command)}`,
      `Reinstall ${TOOL_NAME}, then run "${install}" in this repository again (or "${uninstall}" to remove its hooks).`,
      ...(server ? [`Until then, every push to this repository is refused.`] : [
        `To skip the hook this once: ${SKIP_ENV}=1 ${HOOK_TEXTS[hook].command}`,
      ]),
    ),
    "  exit 1",
    "fi",
    ...(hook === "pre-commit" ? preCommitFastPath() : []),
    ...(NOTHING_CHANGED[hook] ?? []),
    ...(after
      ? [
        `${formatShellCommand(command)} hook ${hook} "$@" || exit $?`,
        done,
      ]
      : [`exec ${formatShellCommand(command)} hook ${hook} "$@"`]),
    "",
  ];
  return lines.join("\n");
}

// The checkout hooks' quick exits, when git has changed no file: a
// post-checkout from a commit to the same commit (git switch -c, git
// checkout of the branch already out: flag 1, old = new; a file checkout,
// flag 0, did change files), and post-rewrite after "git commit --amend"
// (it rewrites a commit, never the working tree).
const NOTHING_CHANGED: Partial<Record<HookName, readonly string[]>> = {
  "post-checkout": [
    'if [ "${3-}" = 1 ] && [ "${1-}" = "${2-}" ]; then',
    '  exit "$status"',
    "fi",
  ],
  "post-rewrite": [
    'if [ "${1-}" = amend ]; then',
    '  exit "$status"',
    "fi",
  ],
};

// A regular expression (POSIX ERE, as awk reads it; JavaScript reads it the
// same) matching any of the texts given, as they are.
function anyOf(texts: readonly string[]): string {
  return texts.map((text) => text.replace(/[.[\]()*+?{}|^$\\/]/g, "\\$&"))
    .join("|");
}

// The table's file names, without those that contain another (a path that
// contains "cline_mcp_settings.json" contains "settings.json").
function shortestNames(): string[] {
  const names = PRE_COMMIT_NAMES.map((name) => name.toLowerCase());
  return [...new Set(names)].filter((name) =>
    !names.some((other) => other !== name && name.includes(other))
  );
}

/**
 * What the pre-commit stub's fast path looks for in each staged path,
 * lowercased (ASCII), built from the table of `configs/pre_commit_filter.ts`
 * that the tool's own check uses: a path in the store, or one that contains
 * a built-in config's file name or `.gitattributes` (so their look-alikes in
 * another case, or with trailing dots, too). A commit where no staged path
 * matches (and nothing else is unclear) cannot change an MCP config, the
 * trust list, the store or how Git checks them out, so the tool need not
 * start; whenever any path matches, the tool still decides, by the exact
 * rules of `mayConcernPreCommit` and src/configs/config_kinds.ts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRE_COMMIT_FAST_PATH } from "./stubs.ts";
 * assert.match("a/.cursor/mcp.json.", PRE_COMMIT_FAST_PATH);
 * assert.doesNotMatch("src/config.ts", PRE_COMMIT_FAST_PATH);
 * ```
 */
export const PRE_COMMIT_FAST_PATH: RegExp = new RegExp(
  `^${anyOf([`${STORE_DIR}/`])}|${anyOf(shortestNames())}`,
);

/**
 * The stub's `awk` program over `git diff --cached --raw` (fields split at
 * tabs): it exits 1 when the tool must start. A line that is not
 * `<modes…>\t<path>` (a rename, anything unexpected), a link or submodule
 * before or after, a quoted path (non-ASCII, tab, newline, quote:
 * `core.quotePath` is forced on) or one that {@linkcode PRE_COMMIT_FAST_PATH}
 * matches, starts it.
 */
export const PRE_COMMIT_AWK: string = [
  '{ split($1, mode, " "); path = tolower($2) }',
  '$0 != "" && NF != 2 { found = 1 }',
  `mode[1] ~ /^:(${LINK_MODES.join("|")})$/ || mode[2] ~ /^(${
    LINK_MODES.join("|")
  })$/ { found = 1 }`,
  `path ~ /^"|${PRE_COMMIT_FAST_PATH.source}/ { found = 1 }`,
  "END { exit found }",
].join("\n");

// The stub's fast path (Git runs pre-commit at the working tree's root). It
// starts the tool unless it is sure: config.json may add any file name;
// git failing or printing something unexpected starts the tool, never
// skips it. The awk program is PRE_COMMIT_AWK.
function preCommitFastPath(): string[] {
  // Inside single quotes, where only a single quote would end the program.
  if (PRE_COMMIT_AWK.includes("'")) throw new Error("Unquotable awk program");
  const program = PRE_COMMIT_AWK.split("\n").map((line) => `    ${line}`);
  program.push(`${program.pop()}'; then`);
  return [
    `if [ ! -e ${REPO_CONFIG_PATH} ] &&`,
    // A statement that names the files its config's servers run (version
    // 3): then a change to any file may concern the hook (a script), and
    // the tool decides which.
    `  ! grep -qs ${
      shellQuote(`^${STATEMENT_HEADER_V3}`)
    } ${STATEMENTS_DIR}/* 2>/dev/null &&`,
    "  staged=$(git -c core.quotePath=true diff --cached --raw --no-renames --no-abbrev) &&",
    `  printf '%s\\n' "$staged" | LC_ALL=C awk -F '\\t' '`,
    ...program,
    "  exit 0",
    "fi",
  ];
}

/**
 * Tells whether a hook file's text is one of our stubs, of any version.
 *
 * @param text The file's text.
 * @returns True when its second line is our marker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOurHook } from "./stubs.ts";
 * assert.equal(isOurHook("#!/bin/sh\nexec lint\n"), false);
 * ```
 */
export function isOurHook(text: string): boolean {
  const second = text.split("\n", 2)[1];
  return second !== undefined && MARKER_PATTERN.test(second);
}

// The hooks git writes lines to, on standard input.
const STDIN_HOOKS: readonly HookName[] = [
  "pre-push",
  "post-rewrite",
  "pre-receive",
];

// pre-push, post-rewrite and pre-receive: git writes lines to standard input (the refs
// being pushed or received, the rewritten commits), which both
// hooks must read; keep a copy, give it to the chained hook, then make it
// our standard input and delete it before exec (exec would skip the trap).
function chainWithInput(onFailure: string): string[] {
  return [
    "  input=$(mktemp) || exit 1",
    `  trap 'rm -f "$input"' EXIT`,
    "  trap 'exit 129' HUP",
    "  trap 'exit 130' INT",
    "  trap 'exit 143' TERM",
    '  cat >"$input" || exit 1',
    `  "$chained" "$@" <"$input" || ${onFailure}`,
    '  exec <"$input"',
    '  rm -f "$input"',
  ];
}

// The test that the tool is gone: the program is not executable (a bare
// name: not on PATH; dash's "command -v" accepts any existing path, so a
// path is tested with -x), or a file the command names (deno's module, a
// Node script) no longer exists.
function toolMissing(command: readonly string[]): string {
  const [program = TOOL_NAME, ...rest] = command;
  const tests = [
    program.includes("/")
      ? `[ ! -x ${shellQuote(program)} ]`
      : `! command -v ${shellQuote(program)} >/dev/null 2>&1`,
    ...rest.filter((word) => word.startsWith("/")).map((path) =>
      `[ ! -e ${shellQuote(path)} ]`
    ),
  ];
  return tests.join(" || ");
}
