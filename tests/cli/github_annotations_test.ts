/**
 * `verify --format github`, unit by unit: GitHub's escaping, the annotation
 * lines, and that they read back exactly, as the runner parses them
 * (tests/support/workflow_commands.ts), whatever a path, reason or commit
 * subject holds; and that the CLI's own control-character escaping
 * (`escapeControls`, applied by main to all output) leaves them unchanged.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  escapeGithubData,
  escapeGithubProperty,
  formatGithubCommitReports,
  formatGithubResults,
  githubAnnotation,
} from "../../src/cli/github_annotations.ts";
import { escapeControls } from "../../src/cli/io.ts";
import type { VerifyResult } from "../../src/verify/verify_codes.ts";
import type { CommitReport } from "../../src/verify/verify_history.ts";
import { fc } from "../support/deps.ts";
import {
  parseWorkflowCommand,
  runnerLines,
} from "../support/workflow_commands.ts";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

Deno.test("escapeGithubData escapes %, CR and LF, in that order", () => {
  const cases: [string, string][] = [
    ["plain text", "plain text"],
    ["100%", "100%25"],
    ["a\rb\nc\r\n", "a%0Db%0Ac%0D%0A"],
    // Already-escaped text stays literal: "%0A" must not become a line break.
    ["%0A%25", "%250A%2525"],
    // The message may hold "::" and ",": only the first "::" ends the command.
    ["x::y, z: w", "x::y, z: w"],
    ["tab\there", "tab\there"],
  ];
  for (const [text, escaped] of cases) {
    assert.equal(escapeGithubData(text), escaped, JSON.stringify(text));
  }
});

Deno.test("escapeGithubProperty also escapes : and ,", () => {
  const cases: [string, string][] = [
    [".mcp.json", ".mcp.json"],
    ["a,b:c/.mcp.json", "a%2Cb%3Ac/.mcp.json"],
    ["%3A", "%253A"],
    ["line\nbreak/.mcp.json", "line%0Abreak/.mcp.json"],
    ["x=y", "x=y"],
  ];
  for (const [text, escaped] of cases) {
    assert.equal(escapeGithubProperty(text), escaped, JSON.stringify(text));
  }
});

Deno.test("other control characters become visible escapes, as in all the tool's output", () => {
  assert.equal(
    escapeGithubData("a\u001b[2Jb\u009bc\u0000"),
    "a\\u001b[2Jb\\u009bc\\u0000",
  );
  assert.equal(escapeGithubProperty("\u0007,"), "\\u0007%2C");
});

Deno.test("githubAnnotation: file, title and message, with the commit for history", () => {
  const result: VerifyResult = {
    path: "tools/.mcp.json",
    ok: false,
    code: "ROLLED_BACK",
    reason: "sequence 1 is not after sequence 2 in abcdef012345",
  };
  assert.equal(
    githubAnnotation(result),
    "::error file=tools/.mcp.json,title=ROLLED_BACK::sequence 1 is not after sequence 2 in abcdef012345\n",
  );
  assert.equal(
    githubAnnotation(result, { commit: COMMIT, subject: "Go back" }),
    "::error file=tools/.mcp.json,title=ROLLED_BACK::sequence 1 is not after sequence 2 in abcdef012345 (commit 0123456789ab Go back)\n",
  );
});

Deno.test("formatGithubResults and formatGithubCommitReports print failures only", () => {
  const ok: VerifyResult = { path: "a/.mcp.json", ok: true, reason: "signed" };
  const bad: VerifyResult = {
    path: ".mcp.json",
    ok: false,
    code: "TAMPERED",
    reason: "changed",
  };
  assert.equal(formatGithubResults([ok]), "");
  assert.equal(
    formatGithubResults([ok, bad, bad]),
    "::error file=.mcp.json,title=TAMPERED::changed\n".repeat(2),
  );
  const reports: CommitReport[] = [
    { commit: "1".repeat(40), subject: "good", ok: true, results: [ok] },
    { commit: "2".repeat(40), subject: "bad", ok: false, results: [ok, bad] },
    {
      commit: "3".repeat(40),
      subject: "worse",
      ok: false,
      results: [bad, { ...bad, path: "b/.mcp.json", code: "UNSIGNED" }],
    },
  ];
  assert.deepEqual(runnerLines(formatGithubCommitReports(reports)), [
    "::error file=.mcp.json,title=TAMPERED::changed (commit 222222222222 bad)",
    "::error file=.mcp.json,title=TAMPERED::changed (commit 333333333333 worse)",
    "::error file=b/.mcp.json,title=UNSIGNED::changed (commit 333333333333 worse)",
  ]);
  assert.equal(formatGithubCommitReports([]), "");
});

// --- read back as the runner reads it -----------------------------------------

Deno.test("the runner parser port agrees with the runner's own test vectors", () => {
  // actions/runner src/Test/L0/Worker/ActionCommandL0.cs, CommandParserV2Test.
  assert.deepEqual(parseWorkflowCommand("::do-something k1=v1,::msg"), {
    name: "do-something",
    properties: { k1: "v1" },
    data: "msg",
  });
  assert.deepEqual(
    parseWorkflowCommand(
      "::do-something k1=;=%2C=%0D=%0A=]=%3A,::;-%0D-%0A-]-:-,",
    ),
    {
      name: "do-something",
      properties: { k1: ";=,=\r=\n=]=:" },
      data: ";-\r-\n-]-:-,",
    },
  );
  assert.deepEqual(
    parseWorkflowCommand(
      "::do-something k1=;=%252C=%250D=%250A=]=%253A,::;-%250D-%250A-]-:-,",
    ),
    {
      name: "do-something",
      properties: { k1: ";=%2C=%0D=%0A=]=%3A" },
      data: ";-%0D-%0A-]-:-,",
    },
  );
  assert.deepEqual(parseWorkflowCommand("::do-something k1=,k2=,::"), {
    name: "do-something",
    properties: {},
    data: "",
  });
  assert.equal(
    parseWorkflowCommand("   ::do-something k1=v1,::msg")?.data,
    "msg",
  );
  assert.equal(
    parseWorkflowCommand("   >>>   ::do-something k1=v1,::msg"),
    undefined,
  );
  assert.deepEqual(runnerLines("a\r\nb\rc\nd\n"), ["a", "b", "c", "d"]);
});

// What survives the tool's output escaping: every control character but CR,
// LF and tab becomes a \uXXXX escape; CR and LF go through GitHub's escaping.
// deno-lint-ignore no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

function expectedText(text: string): string {
  return text.replace(
    CONTROLS,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const CODES = [
  "UNSIGNED",
  "TAMPERED",
  "ROLLED_BACK",
  "UNTRUSTED_TRUST_CHANGE",
] as const;

// Strings rich in what matters here: separators, escapes, line breaks,
// controls, and a legacy "##[" command prefix.
const nasty = fc.array(
  fc.oneof(
    fc.constantFrom(
      "%",
      "%25",
      "%0A",
      "%3A",
      ":",
      "::",
      ",",
      "=",
      "\r",
      "\n",
      "\r\n",
      "\u001b[2J",
      "\u009b",
      "\u2028",
      "\t",
      " ",
      "##[add-mask]",
      "::warning::x",
      "/",
    ),
    fc.string({ unit: "binary", maxLength: 4 }),
  ),
  { maxLength: 12 },
).map((parts) => parts.join(""));

Deno.test("any path, reason and subject read back exactly, on one line, as one error command", () => {
  fc.assert(
    fc.property(
      nasty.filter((path) => path !== ""),
      nasty,
      nasty,
      fc.constantFrom(...CODES),
      (path, reason, subject, code) => {
        const line = githubAnnotation(
          { path, ok: false, code, reason },
          { commit: COMMIT, subject },
        );
        // main escapes all output again: that must change nothing.
        assert.equal(escapeControls(line), line);
        const lines = runnerLines(line);
        assert.equal(lines.length, 1, JSON.stringify(line));
        assert.ok(line.endsWith("\n"));
        assert.deepEqual(parseWorkflowCommand(lines[0]!), {
          name: "error",
          properties: { file: expectedText(path), title: code },
          data: expectedText(`${reason} (commit 0123456789ab ${subject})`),
        });
      },
    ),
    { numRuns: 500 },
  );
});
