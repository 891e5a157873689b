/**
 * `log`'s text blocks: each event type's heading and fields, a version that
 * does not verify shown with a claimed signer and no principal, and what
 * came from git or a config (paths, subjects, comments) kept on its line
 * with every invisible character escaped.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { LogEvent } from "../../src/app/audit_log.ts";
import { formatEvent } from "../../src/cli/log_command.ts";

const KEY = "SHA256:" + "A".repeat(43);
const COMMIT = {
  id: "c".repeat(40),
  date: "2026-12-06T20:00:00+00:00",
  subject: "Change",
};
const VERIFIED = { status: "verified", code: null, reason: "ok" } as const;

function signed(overrides: Partial<LogEvent>): LogEvent {
  return {
    type: "signed",
    commit: COMMIT,
    path: ".mcp.json",
    statementId: "a".repeat(64),
    artifact: "b".repeat(64),
    signer: KEY,
    principals: ["alice@example.com"],
    signedAt: "2026-12-06T19:59:00Z",
    sequence: 3,
    previous: ["d".repeat(64)],
    verification: VERIFIED,
    ...overrides,
  } as LogEvent;
}

Deno.test("log text: a verified version names its signer's principals", () => {
  assert.equal(
    formatEvent(signed({})),
    [
      "signed   .mcp.json  (sequence 3)",
      `  artifact  ${"b".repeat(64)}`,
      `  signer    ${KEY}  alice@example.com`,
      "  signed    2026-12-06T19:59:00Z",
      `  previous  ${"d".repeat(64)}`,
      "  status    verified",
      `  commit    ${"c".repeat(12)}  2026-12-06T20:00:00+00:00  Change`,
      "",
    ].join("\n"),
  );
});

Deno.test("log text: a version that fails has only a claimed signer and its code", () => {
  const text = formatEvent(signed({
    principals: [],
    verification: {
      status: "failed",
      code: "UNTRUSTED_TRUST_CHANGE",
      reason: "not approved",
    },
  }));
  assert.match(
    text,
    /\n {2}signer {4}SHA256:A+ {2}\(claimed; not verified here\)\n/,
  );
  assert.match(
    text,
    /\n {2}status {4}FAILED UNTRUSTED_TRUST_CHANGE: not approved\n/,
  );
  const pending = formatEvent(signed({
    verification: {
      status: "pending",
      code: "PENDING_APPROVAL",
      reason: "1 of 2",
    },
  }));
  assert.match(pending, /\n {2}status {4}pending PENDING_APPROVAL: 1 of 2\n/);
});

Deno.test("log text: each event type has its heading", () => {
  const cases: [LogEvent, RegExp][] = [
    [
      {
        type: "tampered",
        commit: COMMIT,
        path: "a/.mcp.json",
        statementId: "e".repeat(64),
        verification: {
          status: "failed",
          code: "MALFORMED",
          reason: "does not hash",
        },
      },
      /^tampered a\/\.mcp\.json\n {2}statement e{64}\n {2}status {4}FAILED MALFORMED: does not hash\n/,
    ],
    [
      {
        type: "approved",
        commit: COMMIT,
        path: null,
        statementId: "e".repeat(64),
        artifact: null,
        keyId: KEY,
        principals: [],
        verification: {
          status: "failed",
          code: "MALFORMED",
          reason: "missing",
        },
      },
      /^approved \(unknown statement\)\n {2}statement e{64}\n {2}approver {2}SHA256:A+ {2}\(not verified here\)\n/,
    ],
    [
      {
        type: "trust-removed",
        commit: COMMIT,
        keyId: KEY,
        principals: ["bob@example.com"],
        signedBy: { keyId: KEY, principals: ["alice@example.com"] },
        verification: VERIFIED,
      },
      /^trust-removed SHA256:A+\n {2}principal bob@example\.com\n {2}signed by SHA256:A+ {2}alice@example\.com\n/,
    ],
    [
      {
        type: "revoked",
        commit: COMMIT,
        keyId: KEY,
        comment: "carol@example.com",
        recorded: { at: "2026-12-06T17:45:00Z", reason: "laptop stolen" },
        signedBy: null,
        verification: VERIFIED,
      },
      /^revoked SHA256:A+\n {2}comment {3}carol@example\.com\n {2}reason {4}laptop stolen \(at 2026-12-06T17:45:00Z\)\n {2}status/,
    ],
    [
      {
        type: "policy",
        commit: COMMIT,
        version: 3,
        previousVersion: 2,
        signedBy: null,
        verification: VERIFIED,
      },
      /^policy {3}version 3 \(was 2\)\n/,
    ],
  ];
  for (const [event, expected] of cases) {
    assert.match(formatEvent(event), expected);
  }
});

Deno.test("log text: a path, subject or comment cannot add lines or hide characters", () => {
  const text = formatEvent(signed({
    path: "x\nsigned   .mcp.json",
    commit: { ...COMMIT, subject: "ok\u202e\u001b[2J" },
  }));
  assert.equal(text.split("\n").length, 8, text);
  assert.ok(text.startsWith('signed   "x\\nsigned   .mcp.json"'), text);
  assert.match(text, /ok\\u\{202e\}\\u\{1b\}\[2J\n$/);
  const revoked = formatEvent({
    type: "revoked",
    commit: COMMIT,
    keyId: KEY,
    comment: "a\u2028b",
    recorded: null,
    signedBy: null,
    verification: VERIFIED,
  });
  assert.match(revoked, /comment {3}a\\u\{2028\}b\n/);
});
