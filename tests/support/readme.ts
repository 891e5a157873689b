/**
 * README.md's fenced code blocks, as tests run them. Each block carries a
 * mark on the line before it (an HTML comment, which GitHub does not show,
 * so the block still renders as plain shell):
 *
 * - `<!-- runnable: NAME -->`: a test runs the block, as a user would type
 *   it, in a temporary repository with a temporary `HOME` and
 *   `MCP_ORCHESTRATION_HOME`, with `mcp-orchestration` on `PATH` started
 *   the way tests/support/cli.ts starts the tool (a YAML block: written
 *   into the file the README names, and run by its program);
 * - `<!-- not-runnable: NAME -->`: it cannot run here (a GitHub workflow, a
 *   registry install, the test suite itself): {@linkcode README_BLOCKS}
 *   says why.
 *
 * {@linkcode README_BLOCKS} names every block and the test file that runs
 * it; tests/docs/readme_test.ts fails on a block with no mark, a mark that
 * is not in the table, or a table entry with no block.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cliInvocation, denoEnv, TEST_BIN_ENV } from "./cli.ts";
import { formatShellCommand } from "../../src/hooks/launch.ts";
import { gitEnv } from "./repo.ts";

/** Absolute path of README.md. */
export const README_PATH: string = fileURLToPath(
  new URL("../../README.md", import.meta.url),
);

/** The checkout's root folder. */
export const CHECKOUT: string = dirname(README_PATH);

/** Where a README block is run, or why it is not. */
export type BlockPlan =
  | { runBy: "tests/docs/readme_test.ts" | "tests/dist/readme_test.ts" }
  | { notRunnable: string };

/**
 * Every fenced block of README.md, by the name its mark gives it. A
 * runnable block names the test file that runs it (the `test:dist` tier
 * for anything that needs a build, npm or a server); a block that is not
 * runnable says why.
 */
export const README_BLOCKS: Readonly<Record<string, BlockPlan>> = {
  "quick-start": { runBy: "tests/dist/readme_test.ts" },
  "run-from-checkout": { runBy: "tests/docs/readme_test.ts" },
  "run-from-url": { runBy: "tests/dist/readme_test.ts" },
  "npm-pack": { runBy: "tests/dist/readme_test.ts" },
  "usage": { runBy: "tests/docs/readme_test.ts" },
  "review-diff": { runBy: "tests/docs/readme_test.ts" },
  "review-diff-output": {
    notRunnable:
      "what diff prints, not a command; tests/e2e/diff_test.ts checks the real output line by line",
  },
  "github-workflow": {
    notRunnable:
      "a GitHub Actions workflow: only GitHub runs it; tests/dist/github_action_test.ts runs the action it uses",
  },
  "checkout-report": {
    notRunnable:
      "what a checkout hook prints, not a command; tests/e2e/checkout_exec_test.ts checks the real report",
  },
  "exec-permissions": {
    notRunnable:
      "starts Claude Code, which no test machine has; tests/e2e/checkout_exec_test.ts runs exec with these flags, and tests/permissions_test.ts checks them",
  },
  "ci-flags": {
    notRunnable:
      "needs a CI's variables; tests/e2e/verify_ci_test.ts runs verify --ci with these flags as each CI sets them, and tests/permissions_test.ts checks them",
  },
  "agent-signing": {
    notRunnable:
      "needs your own key in your own ssh-agent and your git config; tests/e2e/agent_test.ts runs each of these commands against a real ssh-agent",
  },
  "gitlab-ci-include": {
    notRunnable:
      "a GitLab CI include: only GitLab runs it; tests/ci/gitlab_template_test.ts runs the template's script with GitLab's variables",
  },
  "lint": { runBy: "tests/docs/readme_test.ts" },
  "other-ci": { runBy: "tests/docs/readme_test.ts" },
  "mcp-client-config": { runBy: "tests/docs/readme_test.ts" },
  "server-install": { runBy: "tests/docs/readme_test.ts" },
  "server-hook-d": { runBy: "tests/docs/readme_test.ts" },
  "gitlab-server-hook": {
    notRunnable:
      "needs a GitLab server and its gitaly command; tests/docs/readme_test.ts runs the same two-line hook from a pre-receive.d folder (server-hook-d)",
  },
  "husky-pre-commit": { runBy: "tests/docs/readme_test.ts" },
  "husky-pre-push": { runBy: "tests/docs/readme_test.ts" },
  "lefthook": { runBy: "tests/dist/readme_test.ts" },
  "pre-commit-framework": { runBy: "tests/dist/readme_test.ts" },
  "pre-commit-local": { runBy: "tests/dist/readme_test.ts" },
  "team-policy": { runBy: "tests/docs/readme_test.ts" },
  "team-approve": { runBy: "tests/docs/readme_test.ts" },
  "team-revoke": { runBy: "tests/docs/readme_test.ts" },
  "team-log": { runBy: "tests/docs/readme_test.ts" },
  "release-verify": { runBy: "tests/docs/readme_test.ts" },
  "release-verify-file": { runBy: "tests/docs/readme_test.ts" },
  "development": {
    notRunnable:
      "the test suite itself, which holds this test, and the 5-minute benchmarks; CI runs `deno task test`",
  },
};

/** One fenced code block of a Markdown file. */
export interface FencedBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** First word of the info string (`sh`, `yaml`), or "". */
  lang: string;
  /** The block's text, its fence's indentation removed, ending in "\n". */
  code: string;
  /** The mark on the nearest non-blank line before the fence, if any. */
  mark?: { kind: "runnable" | "not-runnable"; name: string };
}

const FENCE = /^( *)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const MARK = /^\s*<!-- (runnable|not-runnable): ([a-z0-9-]+) -->\s*$/;
const SHELL_LANGS = new Set(["", "sh", "bash", "shell", "console", "zsh"]);

/**
 * Tells whether a block is a shell block by its language.
 *
 * @param block A block from {@linkcode fencedBlocks}.
 * @returns Whether a user would type it into a shell.
 */
export function isShellBlock(block: FencedBlock): boolean {
  return SHELL_LANGS.has(block.lang);
}

/**
 * Finds every fenced code block of a Markdown text, with its mark.
 *
 * @param text The Markdown.
 * @returns The blocks, in order.
 * @throws When a fence is never closed.
 */
export function fencedBlocks(text: string): FencedBlock[] {
  const lines = text.split("\n");
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent = "", fence = "", lang = ""] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      const trimmed = line.trimStart();
      if (
        trimmed.startsWith(fence) && trimmed.slice(fence.length).trim() === ""
      ) break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    if (j === lines.length) {
      throw new Error(`The fence on line ${i + 1} is never closed`);
    }
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === "") k--;
    const mark = k >= 0 ? MARK.exec(lines[k]!) : null;
    blocks.push({
      line: i + 1,
      lang: lang.toLowerCase(),
      code: body.join("\n") + "\n",
      ...(mark
        ? {
          mark: {
            kind: mark[1] as "runnable" | "not-runnable",
            name: mark[2]!,
          },
        }
        : {}),
    });
    i = j;
  }
  return blocks;
}

/**
 * The text of README.md's block marked `runnable: NAME`.
 *
 * @param name The block's name.
 * @returns Its code.
 * @throws When README.md has no such runnable block, or more than one.
 */
export async function readmeBlock(name: string): Promise<string> {
  const found = fencedBlocks(await Deno.readTextFile(README_PATH)).filter(
    (block) => block.mark?.kind === "runnable" && block.mark.name === name,
  );
  assert.equal(
    found.length,
    1,
    `README.md has ${found.length} blocks marked "runnable: ${name}"`,
  );
  return found[0]!.code;
}

/**
 * Replaces each placeholder of a block by its test value. Every
 * placeholder must be in the block, so that a README edit cannot make the
 * test run something else unnoticed.
 *
 * @param code The block.
 * @param replacements Placeholder text to the text that stands for it.
 * @returns The code to run.
 */
export function fillPlaceholders(
  code: string,
  replacements: ReadonlyArray<readonly [string, string]>,
): string {
  let out = code;
  for (const [from, to] of replacements) {
    assert.ok(out.includes(from), `the block has no "${from}":\n${code}`);
    out = out.split(from).join(to);
  }
  assert.doesNotMatch(
    out,
    /<[a-z][a-z ]*>|…/,
    `a placeholder is left in the block:\n${out}`,
  );
  return out;
}

/**
 * Writes an executable `mcp-orchestration` into `dir` that starts the tool
 * as the end-to-end tests do ({@linkcode cliInvocation}): `deno run` with
 * the tool's permissions and this checkout's main.ts, or the executable in
 * `MCP_ORCHESTRATION_TEST_BIN`.
 *
 * @param dir An existing folder, put first on the block's `PATH`.
 */
export async function writeLauncher(dir: string): Promise<void> {
  const { command, args } = cliInvocation([]);
  const path = join(dir, "mcp-orchestration");
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexec ${formatShellCommand([command, ...args])} "$@"\n`,
  );
  await Deno.chmod(path, 0o755);
}

/** What a block left. */
export interface BlockResult {
  /** Exit code of the shell. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error, with the shell's trace of each command. */
  stderr: string;
}

/** Options of {@linkcode runShell}. */
export interface ShellOptions {
  /** Working folder. */
  cwd: string;
  /** `HOME` and `MCP_ORCHESTRATION_HOME`; `<home>/bin` holds the launcher. */
  home: string;
  /** Added to the environment (after the defaults). */
  env?: Record<string, string>;
}

/**
 * Runs shell code as a user would type it, stopping at the first command
 * that fails (`bash -e -o pipefail`, with a trace on stderr): in an
 * environment built from scratch, {@linkcode gitEnv}, Deno's cache, the
 * tool's home and `<home>/bin` (with `mcp-orchestration`) then the
 * folder of the Deno running the tests first on `PATH`.
 *
 * @param code The shell code.
 * @param options Where and with what.
 * @returns Exit code and outputs.
 */
export async function runShell(
  code: string,
  options: ShellOptions,
): Promise<BlockResult> {
  const bin = join(options.home, "bin");
  await Deno.mkdir(bin, { recursive: true });
  await writeLauncher(bin);
  const base = gitEnv(options.home);
  const env: Record<string, string> = {
    ...base,
    ...(Deno.env.get(TEST_BIN_ENV) ? {} : await denoEnv()),
    PATH: [bin, dirname(Deno.execPath()), base.PATH ?? ""].join(":"),
    MCP_ORCHESTRATION_HOME: options.home,
    NO_COLOR: "1",
    ...options.env,
  };
  const out = await new Deno.Command("bash", {
    args: ["-e", "-x", "-o", "pipefail", "-c", code],
    cwd: options.cwd,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * Describes a block's run for an assertion message.
 *
 * @param result The run.
 * @returns Exit code and both outputs.
 */
export function describeRun(result: BlockResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
