/**
 * Which commits the GitHub Action (`action.yml`) verifies when its `range`
 * input is empty: the range the event that started the workflow names.
 *
 * - `pull_request` (and `pull_request_target`, `pull_request_review`,
 *   `pull_request_review_comment`): `pull_request.base.sha..pull_request.head.sha`,
 *   the pull request's own commits.
 * - `merge_group`: `merge_group.base_sha..merge_group.head_sha`.
 * - `push`: `before..GITHUB_SHA`. A new branch (`before` is all zeros) and a
 *   force push (whose old tip is not fetched) have no usable `before`; then
 *   the commits not on the default branch, `origin/<default branch>..GITHUB_SHA`.
 *   A new or forced default branch has no base at all: that is an error.
 *
 * `action/verify.sh` runs it with no permission at all: the event's JSON
 * (`$GITHUB_EVENT_PATH`) comes on standard input, the rest as arguments.
 *
 * ```sh
 * deno run --quiet action/event_range.ts "$GITHUB_EVENT_NAME" "$GITHUB_SHA" <"$GITHUB_EVENT_PATH"
 * ```
 *
 * It prints the range; or, when it cannot tell, an `::error` annotation that
 * says why, and exits 2 (a usage error, as the tool's own).
 *
 * @module
 */

import { escapeGithubData } from "../src/cli/github_annotations.ts";

/** What {@linkcode rangeFromEvent} reads. */
export interface EventRangeOptions {
  /** `GITHUB_EVENT_NAME`, e.g. "pull_request". */
  eventName: string;
  /** The parsed `GITHUB_EVENT_PATH` file. */
  event: unknown;
  /** `GITHUB_SHA`: the commit the workflow runs on (push: the new tip). */
  sha?: string;
}

const PULL_REQUEST_EVENTS = new Set([
  "pull_request",
  "pull_request_target",
  "pull_request_review",
  "pull_request_review_comment",
]);
const COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const ZERO = /^0+$/;
// Enough for a branch name on a command line and in a log line; a name with
// other characters gets the error that asks for the range input.
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/**
 * Tells which commits to verify for a GitHub event.
 *
 * @param options The event's name and payload, and `GITHUB_SHA`.
 * @returns A range for `verify --range`, e.g. `"<base sha>..<head sha>"`.
 * @throws {Error} When the event names no range (another event, a first push
 *   of the default branch, a payload without the commit ids).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rangeFromEvent } from "./event_range.ts";
 * const base = "a".repeat(40);
 * const head = "b".repeat(40);
 * assert.equal(
 *   rangeFromEvent({
 *     eventName: "pull_request",
 *     event: { pull_request: { base: { sha: base }, head: { sha: head } } },
 *   }),
 *   `${base}..${head}`,
 * );
 * ```
 */
export function rangeFromEvent(options: EventRangeOptions): string {
  const { eventName, event } = options;
  if (PULL_REQUEST_EVENTS.has(eventName)) {
    return `${commitId(event, ["pull_request", "base", "sha"])}..${
      commitId(event, ["pull_request", "head", "sha"])
    }`;
  }
  if (eventName === "merge_group") {
    return `${commitId(event, ["merge_group", "base_sha"])}..${
      commitId(event, ["merge_group", "head_sha"])
    }`;
  }
  if (eventName === "push") {
    const head = options.sha || commitId(event, ["after"]);
    if (!COMMIT_ID.test(head)) throw new Error(`Invalid GITHUB_SHA "${head}"`);
    const before = field(event, ["before"]);
    if (
      typeof before === "string" && COMMIT_ID.test(before) &&
      !ZERO.test(before) && field(event, ["forced"]) !== true
    ) {
      return `${before}..${head}`;
    }
    const branch = field(event, ["repository", "default_branch"]);
    if (
      typeof branch !== "string" || !BRANCH.test(branch) ||
      branch.includes("..") || field(event, ["ref"]) === `refs/heads/${branch}`
    ) {
      throw new Error(
        `Cannot tell which commits this push brings (a new or force-pushed branch, and no default branch to compare with): give the action a "range" input (A..B)`,
      );
    }
    return `origin/${branch}..${head}`;
  }
  throw new Error(
    `Cannot tell which commits to verify for a "${eventName}" event: give the action a "range" input (A..B), or run it on pull_request, merge_group or push`,
  );
}

function field(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function commitId(event: unknown, path: readonly string[]): string {
  const id = field(event, path);
  if (typeof id !== "string" || !COMMIT_ID.test(id)) {
    throw new Error(
      `The event has no commit id at "${
        path.join(".")
      }": give the action a "range" input (A..B)`,
    );
  }
  return id;
}

if (import.meta.main) {
  const [eventName = "", sha = ""] = Deno.args;
  try {
    const text = await new Response(Deno.stdin.readable).text();
    const event: unknown = text.trim() === "" ? undefined : JSON.parse(text);
    console.log(rangeFromEvent({ eventName, event, sha }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.log(
      `::error title=mcp-orchestration::${escapeGithubData(message)}`,
    );
    Deno.exit(2);
  }
}
