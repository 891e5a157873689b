/**
 * The pre-receive input parser and the ref patterns, as tables. The
 * verification itself runs end to end in tests/e2e/server_hook_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  DEFAULT_RECEIVE_REFS,
  parseReceiveUpdates,
  refMatches,
} from "../../src/verify/verify_receive.ts";
import { assertToolError } from "../support/errors.ts";

const A = "a".repeat(40);
const ZERO = "0".repeat(40);

Deno.test("parseReceiveUpdates reads git's lines, SHA-1 and SHA-256 ids", () => {
  const long = "b".repeat(64);
  assert.deepEqual(
    parseReceiveUpdates(
      `${ZERO} ${A} refs/heads/main\n${long} ${"0".repeat(64)} refs/tags/v1\n`,
    ),
    [
      { oldId: ZERO, newId: A, ref: "refs/heads/main" },
      { oldId: long, newId: "0".repeat(64), ref: "refs/tags/v1" },
    ],
  );
  assert.deepEqual(parseReceiveUpdates(""), []);
});

Deno.test("parseReceiveUpdates refuses anything else", () => {
  for (
    const line of [
      `${A} ${A}`,
      `${A} ${A} refs/heads/a b`,
      `${A} ${"g".repeat(40)} refs/heads/main`,
      `${A} ${A} main`,
      `refs/heads/main ${A} refs/heads/main ${A}`,
    ]
  ) {
    assertToolError(() => parseReceiveUpdates(`${line}\n`), "USAGE");
  }
});

Deno.test("refMatches: * matches any characters, / included; nothing else is a wildcard", () => {
  const cases: [string, readonly string[], boolean][] = [
    ["refs/heads/main", DEFAULT_RECEIVE_REFS, true],
    ["refs/heads/team/topic", DEFAULT_RECEIVE_REFS, true],
    ["refs/tags/v1.0", DEFAULT_RECEIVE_REFS, true],
    ["refs/notes/commits", DEFAULT_RECEIVE_REFS, false],
    ["refs/pull/1/head", DEFAULT_RECEIVE_REFS, false],
    ["refs/heads/main", ["refs/heads/main"], true],
    ["refs/heads/mainx", ["refs/heads/main"], false],
    ["refs/heads/release-2", ["refs/heads/release-*"], true],
    ["refs/heads/releaseX2", ["refs/heads/release.*"], false],
  ];
  for (const [ref, patterns, expected] of cases) {
    assert.equal(refMatches(ref, patterns), expected, `${ref} ${patterns}`);
  }
});
