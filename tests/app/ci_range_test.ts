/**
 * `rangeFromCi`, table-driven: the range each CI's variables name, the
 * refusals when they name none, and that every variable it reads is one
 * `CI_PERMISSION_FLAGS` lets Deno read. End to end in a real repository:
 * tests/e2e/verify_ci_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CI_VARIABLES, rangeFromCi } from "../../src/app/ci_range.ts";
import {
  CI_ENV_VARIABLES,
  CI_PERMISSION_FLAGS,
} from "../../src/permissions.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const ZERO = "0".repeat(40);
const read = new Set<string>();

function run(env: Record<string, string>, event?: unknown) {
  return rangeFromCi({
    env: (name) => {
      read.add(name);
      return env[name];
    },
    readEvent: () => Promise.resolve(event),
  });
}

const RANGES: {
  name: string;
  env: Record<string, string>;
  event?: unknown;
  provider: string;
  range: string;
}[] = [
  {
    name: "GitHub pull request",
    env: {
      GITHUB_ACTIONS: "true",
      GITHUB_EVENT_NAME: "pull_request",
      GITHUB_EVENT_PATH: "e",
    },
    event: { pull_request: { base: { sha: A }, head: { sha: B } } },
    provider: "GitHub Actions",
    range: `${A}..${B}`,
  },
  {
    name: "Gitea push",
    env: {
      GITHUB_ACTIONS: "true",
      GITEA_ACTIONS: "true",
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: "e",
      GITHUB_SHA: B,
    },
    event: { ref: "refs/heads/x", before: A, after: B },
    provider: "Gitea Actions",
    range: `${A}..${B}`,
  },
  {
    name: "Forgejo push of a new branch",
    env: {
      FORGEJO_ACTIONS: "true",
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: "e",
      GITHUB_SHA: B,
    },
    event: {
      ref: "refs/heads/x",
      before: ZERO,
      after: B,
      repository: { default_branch: "main" },
    },
    provider: "Forgejo Actions",
    range: `origin/main..${B}`,
  },
  {
    name: "GitLab merge request",
    env: {
      GITLAB_CI: "true",
      CI_PIPELINE_SOURCE: "merge_request_event",
      CI_MERGE_REQUEST_DIFF_BASE_SHA: A,
      CI_COMMIT_SHA: B,
    },
    provider: "GitLab CI",
    range: `${A}..${B}`,
  },
  {
    name: "GitLab push of a new branch",
    env: {
      GITLAB_CI: "true",
      CI_PIPELINE_SOURCE: "push",
      CI_COMMIT_BEFORE_SHA: ZERO,
      CI_COMMIT_SHA: B,
      CI_COMMIT_BRANCH: "x",
      CI_DEFAULT_BRANCH: "main",
    },
    provider: "GitLab CI",
    range: `origin/main..${B}`,
  },
  {
    name: "Bitbucket pull request (abbreviated destination)",
    env: {
      BITBUCKET_BUILD_NUMBER: "1",
      BITBUCKET_PR_ID: "2",
      BITBUCKET_PR_DESTINATION_COMMIT: "aaaaaaaaaaaa",
      BITBUCKET_COMMIT: B,
    },
    provider: "Bitbucket Pipelines",
    range: `aaaaaaaaaaaa..${B}`,
  },
  {
    name: "Jenkins build",
    env: { JENKINS_URL: "u", GIT_PREVIOUS_SUCCESSFUL_COMMIT: A, GIT_COMMIT: B },
    provider: "Jenkins",
    range: `${A}..${B}`,
  },
  {
    name: "Jenkins change request",
    env: {
      JENKINS_URL: "u",
      CHANGE_ID: "5",
      CHANGE_TARGET: "rel/2",
      GIT_COMMIT: B,
    },
    provider: "Jenkins",
    range: `origin/rel/2..${B}`,
  },
];

for (const c of RANGES) {
  Deno.test(`rangeFromCi: ${c.name}`, async () => {
    const found = await run(c.env, c.event);
    assert.equal(found.range, c.range);
    assert.equal(found.provider, c.provider);
  });
}

const REFUSED: {
  name: string;
  env: Record<string, string>;
  event?: unknown;
  message: RegExp;
}[] = [
  {
    name: "no CI",
    env: { CI: "true" },
    message: /^Cannot tell which CI this is/,
  },
  {
    name: 'GITHUB_ACTIONS not "true"',
    env: { GITHUB_ACTIONS: "1", GITHUB_EVENT_NAME: "push" },
    message: /Cannot tell which CI/,
  },
  {
    name: "a GitLab SHA that is an option",
    env: {
      GITLAB_CI: "true",
      CI_PIPELINE_SOURCE: "push",
      CI_COMMIT_BEFORE_SHA: A,
      CI_COMMIT_SHA: "--all",
    },
    message: /CI_COMMIT_SHA is "--all", not a commit id/,
  },
  {
    name: "a GitLab new branch with a default branch that is not plain",
    env: {
      GITLAB_CI: "true",
      CI_PIPELINE_SOURCE: "push",
      CI_COMMIT_BEFORE_SHA: ZERO,
      CI_COMMIT_SHA: B,
      CI_COMMIT_BRANCH: "x",
      CI_DEFAULT_BRANCH: "a..b",
    },
    message: /CI_DEFAULT_BRANCH "a\.\.b" is not a plain branch name/,
  },
  {
    name: "a GitLab tag pipeline",
    env: {
      GITLAB_CI: "true",
      CI_PIPELINE_SOURCE: "push",
      CI_COMMIT_BEFORE_SHA: ZERO,
      CI_COMMIT_SHA: B,
      CI_DEFAULT_BRANCH: "main",
    },
    message: /CI_COMMIT_BRANCH is not set/,
  },
  {
    name: "a Bitbucket destination that is not a commit id",
    env: {
      BITBUCKET_BUILD_NUMBER: "1",
      BITBUCKET_PR_ID: "2",
      BITBUCKET_PR_DESTINATION_COMMIT: "main",
      BITBUCKET_COMMIT: B,
    },
    message: /BITBUCKET_PR_DESTINATION_COMMIT is "main", not a commit id/,
  },
  {
    name: "a Jenkins target branch with a line break",
    env: {
      JENKINS_URL: "u",
      CHANGE_ID: "5",
      CHANGE_TARGET: "main\nx",
      GIT_COMMIT: B,
    },
    message: /CHANGE_TARGET "main\nx" is not a plain branch name/,
  },
  {
    name: "a Jenkins commit of zeros",
    env: {
      JENKINS_URL: "u",
      GIT_PREVIOUS_SUCCESSFUL_COMMIT: A,
      GIT_COMMIT: ZERO,
    },
    message: /GIT_COMMIT is "0+", not a commit id/,
  },
];

for (const c of REFUSED) {
  Deno.test(`rangeFromCi refuses ${c.name}`, async () => {
    await assert.rejects(() => run(c.env, c.event), { message: c.message });
  });
}

Deno.test("rangeFromCi reads only the variables CI_PERMISSION_FLAGS allows", () => {
  assert.ok(read.size > 15, "the tables above ran first");
  for (const name of read) {
    assert.ok(CI_VARIABLES.includes(name), `${name} is not in CI_VARIABLES`);
  }
  assert.deepEqual(CI_VARIABLES, CI_ENV_VARIABLES);
  const env = CI_PERMISSION_FLAGS.find((flag) =>
    flag.startsWith("--allow-env=")
  );
  assert.ok(env?.endsWith(`,${CI_ENV_VARIABLES.join(",")}`));
  // Named one by one: no wildcard that would cover a token.
  assert.ok(!env?.includes("*"));
});
