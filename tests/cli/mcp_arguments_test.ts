/**
 * What the `mcp` server accepts as a path, a revision, a range and a key
 * comment: each check with the values it takes and the values it refuses,
 * and no refusal that repeats a private key.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  commentProblem,
  MAX_ARGUMENT_LENGTH,
  pathProblem,
  rangeProblem,
  revisionProblem,
  shownArgument,
  signablePathProblem,
} from "../../src/cli/mcp_arguments.ts";
import { REDACTED_PRIVATE_KEY } from "../../src/format/redact.ts";

// A key's frame, built so that no scanner takes this file for a key.
const [BEGIN, END] = ["BEGIN", "END"].map((word) =>
  `-----${word} OPENSSH PRIVATE KEY-----`
);
const PRIVATE_KEY =
  `${BEGIN}\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n${END}\n`;

Deno.test("pathProblem takes relative paths that stay inside the folder", () => {
  for (
    const path of [
      ".mcp.json",
      ".cursor/mcp.json",
      "./.mcp.json",
      "a/../.mcp.json",
      "sub/./x/../.vscode/mcp.json",
      "dir with space/.mcp.json",
      "é/.mcp.json",
      "..mcp.json",
      "a/..b/.mcp.json",
      "./-leading-dash.json",
    ]
  ) {
    assert.equal(pathProblem(path), undefined, path);
  }
});

Deno.test("pathProblem refuses what is absolute, leaves the folder, holds controls or reads as an option", () => {
  const refused: [string, RegExp][] = [
    ["", /A path is empty/],
    ["/etc/passwd", /"\/etc\/passwd" is absolute/],
    ["\\\\server\\share\\.mcp.json", /is absolute/],
    ["C:\\Users\\x\\.mcp.json", /is absolute/],
    ["c:.mcp.json", /is absolute/],
    ["..", /leads outside the repository folder/],
    ["../.mcp.json", /leads outside/],
    ["a/../../.mcp.json", /leads outside/],
    ["a\\..\\..\\.mcp.json", /leads outside/],
    ["./../x", /leads outside/],
    ["a\u0000b", /"a\\u0000b" holds a NUL character/],
    ["a\nb", /holds a control character/],
    ["a\u009bb", /holds a control character/],
    [
      "-h",
      /starts with "-", which would read as an option: prefix it with "\.\/"/,
    ],
    ["--key=/tmp/k", /starts with "-"/],
    ["x".repeat(MAX_ARGUMENT_LENGTH + 1), /is longer than 4096 characters/],
  ];
  for (const [path, message] of refused) {
    assert.match(
      pathProblem(path) ?? "accepted",
      message,
      JSON.stringify(path),
    );
  }
});

Deno.test("signablePathProblem refuses the tool's own folder, which is signed at the command line", () => {
  for (const path of [".mcp.json", ".cursor/mcp.json", "mcp-orchestration/x"]) {
    assert.equal(signablePathProblem(path), undefined, path);
  }
  for (
    const path of [
      ".mcp-orchestration/allowed_signers",
      "./.mcp-orchestration/policy.json",
      ".MCP-Orchestration/config.json",
      "sub/.mcp-orchestration/revoked_keys",
      "a/../.mcp-orchestration\\allowed_signers",
    ]
  ) {
    assert.match(
      signablePathProblem(path) ?? "accepted",
      /in the tool's own folder ".mcp-orchestration": .* signed at the command line/,
      path,
    );
  }
  // The general checks come first.
  assert.match(signablePathProblem("/x/.mcp-orchestration/a")!, /is absolute/);
});

Deno.test("revisionProblem takes revisions and refuses options, controls and spaces", () => {
  for (const revision of ["HEAD", "HEAD~1", "main", "v1.0", "a".repeat(64)]) {
    assert.equal(revisionProblem(revision), undefined, revision);
  }
  const refused: [string, RegExp][] = [
    ["", /Revision is empty/],
    ["-p", /Revision "-p" starts with "-": git would read it as an option/],
    ["--output=/tmp/x", /starts with "-"/],
    ["HEAD\n--all", /holds a control character or a space/],
    ["HEAD --all", /holds a control character or a space/],
    ["HEAD\u0000", /control character/],
  ];
  for (const [revision, message] of refused) {
    assert.match(revisionProblem(revision) ?? "accepted", message);
  }
  assert.match(revisionProblem("-x", "Side")!, /^Side "-x"/);
});

Deno.test("rangeProblem takes A..B and A...B, each side checked", () => {
  for (
    const range of ["main..HEAD", "a...b", "..HEAD", "main..", "HEAD~3..HEAD"]
  ) {
    assert.equal(rangeProblem(range), undefined, range);
  }
  const refused: [string, RegExp][] = [
    ["HEAD", /Range "HEAD" is not of the form "A\.\.B"/],
    ["-x..HEAD", /Range "-x\.\.HEAD" starts with "-"/],
    ["main..-x", /Range end "-x" starts with "-"/],
    ["main...--all", /Range end "--all" starts with "-"/],
    ["main..HEAD x", /control character or a space/],
  ];
  for (const [range, message] of refused) {
    assert.match(rangeProblem(range) ?? "accepted", message, range);
  }
});

Deno.test("commentProblem refuses control characters and long comments", () => {
  assert.equal(commentProblem("alice's laptop"), undefined);
  assert.match(commentProblem("a\u001b[2Jb")!, /holds a control character/);
  assert.match(commentProblem("x".repeat(201))!, /longer than 200/);
});

Deno.test("a refusal never repeats a private key, and quotes everything else", () => {
  assert.equal(shownArgument(PRIVATE_KEY), REDACTED_PRIVATE_KEY);
  for (
    const problem of [
      pathProblem(PRIVATE_KEY),
      pathProblem(`-${PRIVATE_KEY}`),
      revisionProblem(PRIVATE_KEY),
      rangeProblem(`a..${PRIVATE_KEY}`),
      commentProblem(PRIVATE_KEY),
    ]
  ) {
    assert.ok(problem, "a private key was accepted");
    assert.ok(problem.includes(REDACTED_PRIVATE_KEY), problem);
    assert.ok(!problem.includes("b3BlbnNzaC1rZXktdjE"), problem);
  }
  assert.equal(shownArgument('a"b\u202e'), '"a\\"b\\u{202e}"');
});
