/**
 * `verify --format github` end to end, on a real repository: one
 * `::error` annotation per failing file, with its code as the title and the
 * commit it was found in, then a summary line that is not an annotation;
 * the exit codes of the text format. Paths and a commit subject full of
 * GitHub's separators and escapes (`,` `:` `%`, a line break in a folder
 * name, an escape sequence) read back exactly as the runner parses them
 * (tests/support/workflow_commands.ts). `--json` stays an alias of
 * `--format json`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { escapeInvisible } from "../../src/format/quote.ts";
import {
  commit,
  createFlow,
  type Flow,
  forceCommit,
  head,
  installHooks,
  revParse,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { assertCliError } from "../support/errors.ts";
import {
  parseWorkflowCommand,
  runnerLines,
  type WorkflowCommand,
} from "../support/workflow_commands.ts";

const ON_WINDOWS = Deno.build.os === "windows";

function config(command: string): string {
  return JSON.stringify({ mcpServers: { files: { command, args: ["."] } } }) +
    "\n";
}
const V1 = config("server-v1");
const V2 = config("server-v2");
const EVIL = config("curl-evil");

const WEIRD = "we,i:rd 100%/.mcp.json";
const NEWLINE = "new\nline/.mcp.json";
const SUBJECT = "tamper, again: 100%0A \u001b[2J done";

/**
 * A repository with three commits after `base`: "v1" signs two configs, "v2"
 * re-signs one (both through the pre-commit hook), and SUBJECT, past the
 * hook, tampers with the oddly named one and adds a config in a folder whose
 * name holds a line break (which the tool refuses to sign).
 */
async function withHistory(
  fn: (flow: Flow, ids: { base: string; tampered: string }) => Promise<void>,
): Promise<void> {
  await using flow = await createFlow();
  await installHooks(flow, "alice@example.com");
  await commit(flow, "base", { "README.md": "hi\n" });
  const base = await head(flow);
  await commit(flow, "v1", { ".mcp.json": V1, [WEIRD]: V1 });
  await commit(flow, "v2", { ".mcp.json": V2 });
  await write(flow, { [WEIRD]: EVIL, [NEWLINE]: EVIL });
  const tampered = await forceCommit(flow, SUBJECT);
  await fn(flow, { base, tampered });
}

/** Splits `--format github` output into its annotations and its last line. */
function annotations(
  stdout: string,
): { commands: WorkflowCommand[]; summary: string } {
  const lines = runnerLines(stdout);
  const summary = lines.pop() ?? "";
  assert.equal(parseWorkflowCommand(summary), undefined, summary);
  const commands = lines.map((line) => {
    const command = parseWorkflowCommand(line);
    assert.ok(command, `not a workflow command: ${JSON.stringify(line)}`);
    return command;
  });
  return { commands, summary };
}

Deno.test({
  name:
    "verify --range --format github: one error annotation per failing file, named by commit, then a summary",
  ignore: ON_WINDOWS,
  async fn() {
    await withHistory(async (flow, { base, tampered }) => {
      const result = await flow.cli([
        "verify",
        "--range",
        `${base}..HEAD`,
        "--format",
        "github",
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, "");
      const { commands, summary } = annotations(result.stdout);
      assert.equal(summary, "3 commits: 2 verified, 1 failed");
      const short = tampered.slice(0, 12);
      // The subject as git stores it, with the tool's escape of ESC.
      const subject = SUBJECT.replace("\u001b", "\\u001b");
      assert.deepEqual(
        commands.map((c) => ({
          name: c.name,
          file: c.properties.file,
          title: c.properties.title,
          commit: c.data.endsWith(` (commit ${short} ${subject})`),
        })),
        [[NEWLINE, "UNSIGNED"], [WEIRD, "TAMPERED"]].map(([file, title]) => ({
          name: "error",
          file,
          title,
          commit: true,
        })),
      );
      // Each annotation's message is the reason the text format gives
      // (which shows a line break or an invisible character escaped).
      const text = await flow.cli(["verify", "--range", `${base}..HEAD`]);
      assert.equal(text.code, 1);
      for (const c of commands) {
        const reason = c.data.slice(0, c.data.indexOf(` (commit ${short}`));
        assert.ok(
          text.stdout.includes(
            `${c.properties.title}: ${escapeInvisible(reason)}\n`,
          ),
          text.stdout,
        );
      }
      // The raw line: GitHub's escapes, on one line.
      assert.ok(
        result.stdout.startsWith(
          "::error file=new%0Aline/.mcp.json,title=UNSIGNED::",
        ),
        result.stdout,
      );
      assert.ok(
        result.stdout.includes(
          "\n::error file=we%2Ci%3Ard 100%25/.mcp.json,title=TAMPERED::",
        ),
        result.stdout,
      );
      assert.ok(
        result.stdout.includes(
          `(commit ${short} tamper, again: 100%250A \\u001b[2J done)\n`,
        ),
        result.stdout,
      );
    });
  },
});

Deno.test({
  name:
    "verify --format github agrees with --json (its alias --json still works) on what failed",
  ignore: ON_WINDOWS,
  async fn() {
    await withHistory(async (flow, { base }) => {
      const range = `${base}..HEAD`;
      const json = await verifyHistory(flow, ["--range", range]);
      const viaFormat = await flow.cli([
        "verify",
        "--range",
        range,
        "--format",
        "json",
      ]);
      assert.equal(json.code, 1);
      assert.equal(viaFormat.code, 1);
      assert.deepEqual(JSON.parse(viaFormat.stdout), json.report);
      const failed = json.report.commits.flatMap((c) =>
        c.results.filter((r) => !r.ok).map((r) => `${r.path} ${r.code}`)
      );
      const github = await flow.cli([
        "verify",
        "--range",
        range,
        "--format",
        "github",
      ]);
      assert.deepEqual(
        annotations(github.stdout).commands.map((c) =>
          `${c.properties.file} ${c.properties.title}`
        ),
        failed,
      );
    });
  },
});

Deno.test({
  name:
    "verify --format github on the working tree and on one good commit: no commit in the message, exit 0 with only the summary",
  ignore: ON_WINDOWS,
  async fn() {
    await withHistory(async (flow) => {
      const tree = await flow.cli(["verify", "--format", "github"]);
      assert.equal(tree.code, 1, tree.stderr);
      const { commands, summary } = annotations(tree.stdout);
      assert.equal(summary, "3 configs: 1 verified, 2 failed");
      assert.deepEqual(
        commands.map((c) => [c.properties.file, c.properties.title]),
        [[NEWLINE, "UNSIGNED"], [WEIRD, "TAMPERED"]],
      );
      for (const c of commands) assert.doesNotMatch(c.data, /\(commit /);

      const good = await flow.cli([
        "verify",
        "--rev",
        await revParse(flow, "HEAD~1"),
        "--format",
        "github",
      ]);
      assert.equal(good.code, 0, good.stderr);
      assert.equal(good.stdout, "1 commit: 1 verified, 0 failed\n");

      const signed = await flow.cli(["verify", ".mcp.json", "--format=github"]);
      assert.equal(signed.code, 0, signed.stderr);
      assert.equal(signed.stdout, "1 config: 1 verified, 0 failed\n");
    });
  },
});

Deno.test({
  name:
    "verify --format: an unknown format, a missing value, or --json with another format is a usage error (exit 2)",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    const cases: [string[], RegExp][] = [
      [
        ["--format", "xml"],
        /Unknown format "xml": expected "text", "json" or "github"/,
      ],
      [["--format"], /--format/],
      [["--json", "--format", "github"], /--json means --format json/],
      [["--range", "HEAD..HEAD", "--json", "--format", "text"], /--json means/],
    ];
    for (const [args, message] of cases) {
      const result = await flow.cli(["verify", ...args]);
      assertCliError(result, "USAGE", message);
      assert.equal(result.stdout, "");
    }
    const both = await flow.cli(["verify", "--json", "--format", "json"]);
    assert.equal(both.code, 0, both.stderr);
    assert.equal(JSON.parse(both.stdout).ok, true);
  },
});
