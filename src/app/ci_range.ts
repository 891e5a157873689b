/**
 * Which commits a CI run should verify, read from the variables the CI sets:
 * the logic behind `verify --ci` and the GitHub Action's default range.
 *
 * | CI | pull / merge request | push |
 * | -- | -- | -- |
 * | GitHub, Gitea, Forgejo Actions | `pull_request.base.sha..pull_request.head.sha` (event file) | `before..GITHUB_SHA`; a new or force-pushed branch: `origin/<default branch>..GITHUB_SHA` |
 * | GitLab CI | `CI_MERGE_REQUEST_DIFF_BASE_SHA..CI_MERGE_REQUEST_SOURCE_BRANCH_SHA` (else `CI_COMMIT_SHA`) | `CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA`; a new branch: `origin/$CI_DEFAULT_BRANCH..CI_COMMIT_SHA` |
 * | Bitbucket Pipelines | `BITBUCKET_PR_DESTINATION_COMMIT..BITBUCKET_COMMIT` | none: Bitbucket names no commit before a push |
 * | Jenkins | `origin/$CHANGE_TARGET..GIT_COMMIT` | `GIT_PREVIOUS_SUCCESSFUL_COMMIT..GIT_COMMIT` |
 *
 * It never guesses: when the variables do not determine a range (another
 * event, a first push of the default branch, a first build), it says which
 * variable is missing and asks for `--range`.
 *
 * @module
 */

import { CI_ENV_VARIABLES } from "../permissions.ts";

/** A range, or why there is none. */
export type RangeResult =
  | { range: string; reason?: never }
  | { range?: never; reason: string };

/** What {@linkcode rangeFromGithubEvent} reads. */
export interface GithubEventOptions {
  /** `GITHUB_EVENT_NAME`, e.g. "pull_request". */
  eventName: string;
  /** The parsed `GITHUB_EVENT_PATH` file. */
  event: unknown;
  /** `GITHUB_SHA`: the commit the workflow runs on (push: the new tip). */
  sha?: string;
  /** What the user should do instead, e.g. `give --range A..B`. */
  remedy: string;
}

/**
 * Every variable {@linkcode rangeFromCi} reads: under Deno, `verify --ci`
 * needs `--allow-env` for each (`CI_PERMISSION_FLAGS`).
 */
export const CI_VARIABLES: readonly string[] = CI_ENV_VARIABLES;

const PULL_REQUEST_EVENTS = new Set([
  "pull_request",
  "pull_request_target",
  "pull_request_review",
  "pull_request_review_comment",
]);
const COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
// Bitbucket gives the destination commit abbreviated (12 digits).
const SHORT_COMMIT_ID = /^[0-9a-f]{7,64}$/;
const ZERO = /^0+$/;
// Enough for a branch name on a command line and in a log line; a name with
// other characters gets the error that asks for a range.
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

class NoRange extends Error {}

/**
 * Tells which commits to verify for a GitHub (or Gitea, Forgejo) Actions
 * event.
 *
 * - `pull_request` (and `pull_request_target`, `pull_request_review`,
 *   `pull_request_review_comment`): `pull_request.base.sha..pull_request.head.sha`.
 * - `merge_group`: `merge_group.base_sha..merge_group.head_sha`.
 * - `push`: `before..GITHUB_SHA`; a new branch (`before` all zeros) or a
 *   force push (whose old tip is not fetched): `origin/<default branch>..GITHUB_SHA`.
 *   A new or forced default branch has no base at all.
 *
 * @param options The event's name and payload, `GITHUB_SHA`, the remedy.
 * @returns The range, or why there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rangeFromGithubEvent } from "./ci_range.ts";
 * const [base, head] = ["a".repeat(40), "b".repeat(40)];
 * const event = { pull_request: { base: { sha: base }, head: { sha: head } } };
 * assert.equal(
 *   rangeFromGithubEvent({ eventName: "pull_request", event, remedy: "give --range" }).range,
 *   `${base}..${head}`,
 * );
 * ```
 */
export function rangeFromGithubEvent(
  options: GithubEventOptions,
): RangeResult {
  try {
    return { range: githubRange(options) };
  } catch (error) {
    if (error instanceof NoRange) return { reason: error.message };
    throw error;
  }
}

function githubRange(options: GithubEventOptions): string {
  const { eventName, event, remedy } = options;
  if (PULL_REQUEST_EVENTS.has(eventName)) {
    return `${commitId(event, ["pull_request", "base", "sha"], remedy)}..${
      commitId(event, ["pull_request", "head", "sha"], remedy)
    }`;
  }
  if (eventName === "merge_group") {
    return `${commitId(event, ["merge_group", "base_sha"], remedy)}..${
      commitId(event, ["merge_group", "head_sha"], remedy)
    }`;
  }
  if (eventName === "push") {
    const head = options.sha || commitId(event, ["after"], remedy);
    if (!COMMIT_ID.test(head)) {
      throw new NoRange(`Invalid GITHUB_SHA "${head}"`);
    }
    const before = field(event, ["before"]);
    if (
      typeof before === "string" && COMMIT_ID.test(before) &&
      !ZERO.test(before) && field(event, ["forced"]) !== true
    ) {
      return `${before}..${head}`;
    }
    const branch = field(event, ["repository", "default_branch"]);
    if (
      typeof branch !== "string" || !isBranch(branch) ||
      field(event, ["ref"]) === `refs/heads/${branch}`
    ) {
      throw new NoRange(
        `Cannot tell which commits this push brings (a new or force-pushed branch, and no default branch to compare with): ${remedy}`,
      );
    }
    return `origin/${branch}..${head}`;
  }
  throw new NoRange(
    `Cannot tell which commits to verify for a "${eventName}" event: ${remedy}, or run it on pull_request, merge_group or push`,
  );
}

function isBranch(name: string): boolean {
  return BRANCH.test(name) && !name.includes("..");
}

function field(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function commitId(
  event: unknown,
  path: readonly string[],
  remedy: string,
): string {
  const id = field(event, path);
  if (typeof id !== "string" || !COMMIT_ID.test(id)) {
    throw new NoRange(
      `The event has no commit id at "${path.join(".")}": ${remedy}`,
    );
  }
  return id;
}

/** Where {@linkcode rangeFromCi} reads the CI's variables and event file. */
export interface CiSource {
  /** A variable's value; unset and empty both read as undefined. */
  env(name: string): string | undefined;
  /** Reads and parses GitHub's event file (`GITHUB_EVENT_PATH`). */
  readEvent(path: string): Promise<unknown>;
}

/** The range a CI run names, and where it came from. */
export interface CiRange {
  /** The CI, e.g. "GitLab CI". */
  provider: string;
  /** What kind of run and which variables, e.g. "push: CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA". */
  from: string;
  /** The range for `verify --range`. */
  range: string;
}

const REMEDY = "give --range A..B instead";

/**
 * Tells which commits a CI run should verify, from the CI's variables.
 *
 * @param source How to read the variables and GitHub's event file.
 * @returns The range, the CI and the variables it came from.
 * @throws {Error} With a message naming what is missing, when the variables
 *   do not determine a range (no known CI, another kind of run, a first
 *   push of the default branch, a first build).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rangeFromCi } from "./ci_range.ts";
 * const env: Record<string, string> = {
 *   GITLAB_CI: "true",
 *   CI_PIPELINE_SOURCE: "push",
 *   CI_COMMIT_BEFORE_SHA: "a".repeat(40),
 *   CI_COMMIT_SHA: "b".repeat(40),
 * };
 * const found = await rangeFromCi({ env: (name) => env[name], readEvent: () => Promise.resolve(undefined) });
 * assert.equal(found.range, `${"a".repeat(40)}..${"b".repeat(40)}`);
 * ```
 */
export async function rangeFromCi(source: CiSource): Promise<CiRange> {
  const env = (name: string) => {
    const value = source.env(name);
    return value === "" ? undefined : value;
  };
  const actions = env("FORGEJO_ACTIONS") === "true"
    ? "Forgejo Actions"
    : env("GITEA_ACTIONS") === "true"
    ? "Gitea Actions"
    : env("GITHUB_ACTIONS") === "true"
    ? "GitHub Actions"
    : undefined;
  if (actions) return await actionsRange(actions, env, source);
  if (env("GITLAB_CI") === "true") return gitlabRange(env);
  if (env("BITBUCKET_BUILD_NUMBER")) return bitbucketRange(env);
  if (env("JENKINS_URL")) return jenkinsRange(env);
  throw new Error(
    `Cannot tell which CI this is: none of GITHUB_ACTIONS, GITEA_ACTIONS, FORGEJO_ACTIONS, GITLAB_CI (set to "true"), BITBUCKET_BUILD_NUMBER or JENKINS_URL is set; ${REMEDY}`,
  );
}

type Env = (name: string) => string | undefined;

async function actionsRange(
  provider: string,
  env: Env,
  source: CiSource,
): Promise<CiRange> {
  const eventName = required(env, provider, "GITHUB_EVENT_NAME");
  const path = required(env, provider, "GITHUB_EVENT_PATH");
  let event: unknown;
  try {
    event = await source.readEvent(path);
  } catch (error) {
    throw new Error(
      `Cannot read ${provider}'s event file "${path}" (GITHUB_EVENT_PATH): ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  const sha = env("GITHUB_SHA");
  const found = rangeFromGithubEvent({
    eventName,
    event,
    ...(sha ? { sha } : {}),
    remedy: REMEDY,
  });
  if (found.reason !== undefined) {
    throw new Error(`${provider}: ${found.reason}`);
  }
  return { provider, from: `${eventName} event`, range: found.range };
}

function gitlabRange(env: Env): CiRange {
  const provider = "GitLab CI";
  const pipeline = required(env, provider, "CI_PIPELINE_SOURCE");
  if (pipeline === "merge_request_event") {
    const base = commitVariable(
      env,
      provider,
      "CI_MERGE_REQUEST_DIFF_BASE_SHA",
    );
    // In a merged results pipeline CI_COMMIT_SHA is GitLab's merge commit;
    // the merge request's own head is CI_MERGE_REQUEST_SOURCE_BRANCH_SHA.
    const headName = env("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA")
      ? "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"
      : "CI_COMMIT_SHA";
    const head = commitVariable(env, provider, headName);
    return {
      provider,
      from: `merge request: CI_MERGE_REQUEST_DIFF_BASE_SHA..${headName}`,
      range: `${base}..${head}`,
    };
  }
  if (pipeline !== "push") {
    throw new Error(
      `${provider}: a "${pipeline}" pipeline (CI_PIPELINE_SOURCE) names no commits to verify; ${REMEDY}, or run it in merge request and push pipelines`,
    );
  }
  const head = commitVariable(env, provider, "CI_COMMIT_SHA");
  const before = env("CI_COMMIT_BEFORE_SHA");
  if (before && COMMIT_ID.test(before) && !ZERO.test(before)) {
    return {
      provider,
      from: "push: CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA",
      range: `${before}..${head}`,
    };
  }
  // A new branch: CI_COMMIT_BEFORE_SHA is all zeros.
  const branch = env("CI_COMMIT_BRANCH");
  const main = env("CI_DEFAULT_BRANCH");
  if (!branch || !main || !isBranch(main) || branch === main) {
    throw new Error(
      `${provider}: Cannot tell which commits this push brings: CI_COMMIT_BEFORE_SHA is ${
        before ? `"${before}"` : "not set"
      } (a new branch or tag), and ${
        !branch
          ? "CI_COMMIT_BRANCH is not set"
          : !main
          ? "CI_DEFAULT_BRANCH is not set"
          : branch === main
          ? "it is the default branch, with nothing to compare with"
          : `CI_DEFAULT_BRANCH "${main}" is not a plain branch name`
      }; ${REMEDY}`,
    );
  }
  return {
    provider,
    from: "push of a new branch: origin/$CI_DEFAULT_BRANCH..CI_COMMIT_SHA",
    range: `origin/${main}..${head}`,
  };
}

function bitbucketRange(env: Env): CiRange {
  const provider = "Bitbucket Pipelines";
  const head = commitVariable(env, provider, "BITBUCKET_COMMIT");
  if (!env("BITBUCKET_PR_ID")) {
    throw new Error(
      `${provider}: Cannot tell which commits this push brings: Bitbucket names no commit before a push (only BITBUCKET_COMMIT; BITBUCKET_PR_ID is not set, so this is not a pull request); ${REMEDY}`,
    );
  }
  const base = env("BITBUCKET_PR_DESTINATION_COMMIT");
  if (!base || !SHORT_COMMIT_ID.test(base)) {
    throw new Error(
      `${provider}: BITBUCKET_PR_DESTINATION_COMMIT is ${
        base ? `"${base}", not a commit id` : "not set"
      }; ${REMEDY}`,
    );
  }
  return {
    provider,
    from: "pull request: BITBUCKET_PR_DESTINATION_COMMIT..BITBUCKET_COMMIT",
    range: `${base}..${head}`,
  };
}

function jenkinsRange(env: Env): CiRange {
  const provider = "Jenkins";
  const head = commitVariable(env, provider, "GIT_COMMIT");
  if (env("CHANGE_ID")) {
    const target = required(env, provider, "CHANGE_TARGET");
    if (!isBranch(target)) {
      throw new Error(
        `${provider}: CHANGE_TARGET "${target}" is not a plain branch name; ${REMEDY}`,
      );
    }
    return {
      provider,
      from: "change request: origin/$CHANGE_TARGET..GIT_COMMIT",
      range: `origin/${target}..${head}`,
    };
  }
  const previous = env("GIT_PREVIOUS_SUCCESSFUL_COMMIT");
  if (!previous) {
    throw new Error(
      `${provider}: Cannot tell which commits this build brings: GIT_PREVIOUS_SUCCESSFUL_COMMIT is not set (a first build of this branch, or no build of it has passed); ${REMEDY}`,
    );
  }
  const base = commitVariable(env, provider, "GIT_PREVIOUS_SUCCESSFUL_COMMIT");
  return {
    provider,
    from: "build: GIT_PREVIOUS_SUCCESSFUL_COMMIT..GIT_COMMIT",
    range: `${base}..${head}`,
  };
}

function required(env: Env, provider: string, name: string): string {
  const value = env(name);
  if (value === undefined) {
    throw new Error(`${provider}: ${name} is not set; ${REMEDY}`);
  }
  return value;
}

function commitVariable(env: Env, provider: string, name: string): string {
  const value = required(env, provider, name);
  if (!COMMIT_ID.test(value) || ZERO.test(value)) {
    throw new Error(
      `${provider}: ${name} is "${value}", not a commit id; ${REMEDY}`,
    );
  }
  return value;
}
