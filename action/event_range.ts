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
 * says why, and exits 2 (a usage error, as the tool's own). The logic is
 * shared with `verify --ci` (`src/app/ci_range.ts`).
 *
 * @module
 */

import { escapeGithubData } from "../src/cli/github_annotations.ts";
import { rangeFromGithubEvent } from "../src/app/ci_range.ts";

/** What {@linkcode rangeFromEvent} reads. */
export interface EventRangeOptions {
  /** `GITHUB_EVENT_NAME`, e.g. "pull_request". */
  eventName: string;
  /** The parsed `GITHUB_EVENT_PATH` file. */
  event: unknown;
  /** `GITHUB_SHA`: the commit the workflow runs on (push: the new tip). */
  sha?: string;
}

/**
 * Tells which commits to verify for a GitHub event: the logic of
 * `verify --ci` on GitHub Actions (`src/app/ci_range.ts`), whose messages
 * here ask for the action's "range" input.
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
  const found = rangeFromGithubEvent({
    ...options,
    remedy: 'give the action a "range" input (A..B)',
  });
  if (found.reason !== undefined) throw new Error(found.reason);
  return found.range;
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
