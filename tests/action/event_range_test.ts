/**
 * `rangeFromEvent`, table-driven: which commits the GitHub Action verifies
 * for each event, and the events and payloads that name no range.
 *
 * @module
 */

import assert from "node:assert/strict";
import { rangeFromEvent } from "../../action/event_range.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const LONG_A = "a".repeat(64);
const LONG_B = "b".repeat(64);
const ZERO = "0".repeat(40);

function pullRequest(base: unknown, head: unknown): unknown {
  return { pull_request: { base: { sha: base }, head: { sha: head } } };
}

function pushed(fields: Record<string, unknown>): unknown {
  return {
    ref: "refs/heads/feature",
    before: A,
    after: B,
    repository: { default_branch: "main" },
    ...fields,
  };
}

const RANGES: {
  name: string;
  eventName: string;
  event: unknown;
  sha?: string;
  range: string;
}[] = [
  {
    name: "a pull request: base..head",
    eventName: "pull_request",
    event: pullRequest(A, B),
    sha: "c".repeat(40),
    range: `${A}..${B}`,
  },
  {
    name: "pull_request_target, as pull_request",
    eventName: "pull_request_target",
    event: pullRequest(A, B),
    range: `${A}..${B}`,
  },
  {
    name: "a review of a pull request",
    eventName: "pull_request_review",
    event: pullRequest(A, B),
    range: `${A}..${B}`,
  },
  {
    name: "SHA-256 object ids",
    eventName: "pull_request",
    event: pullRequest(LONG_A, LONG_B),
    range: `${LONG_A}..${LONG_B}`,
  },
  {
    name: "a merge queue group",
    eventName: "merge_group",
    event: { merge_group: { base_sha: A, head_sha: B } },
    range: `${A}..${B}`,
  },
  {
    name: "a push: before..GITHUB_SHA",
    eventName: "push",
    event: pushed({}),
    sha: B,
    range: `${A}..${B}`,
  },
  {
    name: "a push without GITHUB_SHA: before..after",
    eventName: "push",
    event: pushed({}),
    range: `${A}..${B}`,
  },
  {
    name: "a new branch: what the default branch does not have",
    eventName: "push",
    event: pushed({ before: ZERO, created: true }),
    sha: B,
    range: `origin/main..${B}`,
  },
  {
    name: "a force push: its old tip is not fetched",
    eventName: "push",
    event: pushed({ forced: true }),
    sha: B,
    range: `origin/main..${B}`,
  },
  {
    name: "a default branch with a slash",
    eventName: "push",
    event: pushed({ before: ZERO, repository: { default_branch: "rel/2" } }),
    sha: B,
    range: `origin/rel/2..${B}`,
  },
];

for (const c of RANGES) {
  Deno.test(`rangeFromEvent: ${c.name}`, () => {
    assert.equal(
      rangeFromEvent({
        eventName: c.eventName,
        event: c.event,
        ...(c.sha ? { sha: c.sha } : {}),
      }),
      c.range,
    );
  });
}

const REFUSED: {
  name: string;
  eventName: string;
  event: unknown;
  sha?: string;
  message: RegExp;
}[] = [
  {
    name: "an event that names no commits",
    eventName: "workflow_dispatch",
    event: { inputs: {} },
    message:
      /^Cannot tell which commits to verify for a "workflow_dispatch" event: give the action a "range" input/,
  },
  {
    name: "no event at all",
    eventName: "",
    event: undefined,
    message: /give the action a "range" input/,
  },
  {
    name: "a pull request payload without the head commit",
    eventName: "pull_request",
    event: pullRequest(A, undefined),
    message: /no commit id at "pull_request\.head\.sha"/,
  },
  {
    name: "a pull request payload with a ref name for a commit id",
    eventName: "pull_request",
    event: pullRequest("main", B),
    message: /no commit id at "pull_request\.base\.sha"/,
  },
  {
    name: "an option where a commit id should be",
    eventName: "merge_group",
    event: { merge_group: { base_sha: "--all", head_sha: B } },
    message: /merge_group\.base_sha/,
  },
  {
    name: "a new default branch (nothing to compare with)",
    eventName: "push",
    event: pushed({ ref: "refs/heads/main", before: ZERO }),
    sha: B,
    message: /^Cannot tell which commits this push brings/,
  },
  {
    name: "a new branch and a default branch name that is not plain",
    eventName: "push",
    event: pushed({
      before: ZERO,
      repository: { default_branch: "x..y" },
    }),
    sha: B,
    message: /Cannot tell which commits this push brings/,
  },
  {
    name: "a new branch and a default branch name with a line break",
    eventName: "push",
    event: pushed({
      before: ZERO,
      repository: { default_branch: "main\n::warning::x" },
    }),
    sha: B,
    message: /Cannot tell which commits this push brings/,
  },
  {
    name: "a push with a GITHUB_SHA that is not a commit id",
    eventName: "push",
    event: pushed({}),
    sha: "HEAD",
    message: /^Invalid GITHUB_SHA "HEAD"/,
  },
];

for (const c of REFUSED) {
  Deno.test(`rangeFromEvent refuses ${c.name}`, () => {
    assert.throws(
      () =>
        rangeFromEvent({
          eventName: c.eventName,
          event: c.event,
          ...(c.sha ? { sha: c.sha } : {}),
        }),
      { name: "Error", message: c.message },
    );
  });
}
