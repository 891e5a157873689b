/**
 * `verify --ci` and the empty range, end to end: in a real repository with
 * signed commits (v1, v2 on origin/main), a good commit and a tampered one
 * on "feature", the CLI runs with the variables each CI sets (GitHub, Gitea
 * and Forgejo Actions with an event file; GitLab CI; Bitbucket Pipelines;
 * Jenkins) and verifies exactly the commits the run brings: it passes the
 * good ones, fails the tampered one, and refuses (exit 2, naming what is
 * missing) when the variables do not name a range. A range without commits
 * is refused too, unless `--allow-empty`: the CI gate that passed on nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CI_PERMISSION_FLAGS,
  PERMISSION_FLAGS,
} from "../../src/permissions.ts";
import {
  type AttacksFlow,
  EVIL,
  signedHistory,
  V2,
} from "../support/attacks.ts";
import { type CliResult, runCli, TEST_BIN_ENV } from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import {
  commit,
  forceCommit,
  revParse,
  sharedFlow,
  write,
} from "../support/flow.ts";

const ZERO = "0".repeat(40);

/** The commits of the scenario. */
interface Ids {
  /** origin/main: v2. */
  base: string;
  /** feature: a good commit, signed by the hook. */
  good: string;
  /** feature: a tampered config, committed past the hooks. */
  bad: string;
}

/** Builds "feature" on top of the signed history and returns its commits. */
async function scenario(flow: AttacksFlow): Promise<Ids> {
  const base = await revParse(flow, "main");
  assert.equal(base, await revParse(flow, "origin/main"));
  await flow.ok(["checkout", "-q", "-b", "feature"]);
  const good = await commit(flow, "v3", {
    ".mcp.json": V2.replace("v2", "v3"),
  });
  await write(flow, { ".mcp.json": EVIL });
  const bad = await forceCommit(flow, "Tamper");
  return { base, good, bad };
}

// The scenario's commits, from the build of the shared flow.
let scenarioIds: Ids | undefined;

/**
 * Runs `fn` in a copy of the signed history with the scenario's "feature"
 * branch checked out. Made once per file (sharedFlow) and copied: every
 * copy has the same commit ids, and no test checks how it was made.
 */
async function withScenario(
  fn: (flow: AttacksFlow, ids: Ids) => Promise<void>,
): Promise<void> {
  await using flow = await sharedFlow("feature", async () => {
    const flow = await signedHistory();
    try {
      scenarioIds = await scenario(flow);
      return flow;
    } catch (error) {
      await flow.cleanup();
      throw error;
    }
  }, { keys: ["mallory"] });
  assert.ok(scenarioIds);
  await fn(flow, scenarioIds);
}

/** Runs `verify --ci` with exactly `env` for CI variables. */
function ci(
  flow: AttacksFlow,
  env: Record<string, string>,
  extra: string[] = [],
  permissions: readonly string[] = CI_PERMISSION_FLAGS,
): Promise<CliResult> {
  return runCli(["verify", "--ci", ...extra], {
    cwd: flow.repo.root,
    home: flow.repo.home,
    env,
    permissions,
  });
}

/** Writes a GitHub event file and returns the Actions variables for it. */
async function actionsEnv(
  flow: AttacksFlow,
  marker: Record<string, string>,
  eventName: string,
  event: unknown,
  sha?: string,
): Promise<Record<string, string>> {
  const path = join(flow.repo.home, `event-${crypto.randomUUID()}.json`);
  await Deno.writeTextFile(path, JSON.stringify(event));
  return {
    ...marker,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: path,
    ...(sha ? { GITHUB_SHA: sha } : {}),
  };
}

function assertPasses(result: CliResult, commits: number): void {
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(
    result.stdout,
    new RegExp(
      `^${commits} commits?: ${commits} verified, 0 failed$`,
      "m",
    ),
  );
}

function assertTampered(result: CliResult, range: string): void {
  assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /TAMPERED/);
  assert.ok(
    result.stdout.includes(`verifying --range ${range}`),
    result.stdout,
  );
}

const GITHUB = { GITHUB_ACTIONS: "true" };
const GITEA = { GITHUB_ACTIONS: "true", GITEA_ACTIONS: "true" };
const FORGEJO = { GITHUB_ACTIONS: "true", FORGEJO_ACTIONS: "true" };

function pullRequest(base: string, head: string): unknown {
  return { pull_request: { base: { sha: base }, head: { sha: head } } };
}

function pushed(before: string, after: string, ref = "refs/heads/feature") {
  return {
    ref,
    before,
    after,
    repository: { default_branch: "main" },
  };
}

Deno.test("verify --ci: GitHub, Gitea and Forgejo Actions, from the event file", async () => {
  await withScenario(async (flow, { base, good, bad }) => {
    for (const [name, marker] of Object.entries({ GITHUB, GITEA, FORGEJO })) {
      const provider = name === "GITHUB"
        ? "GitHub Actions"
        : name === "GITEA"
        ? "Gitea Actions"
        : "Forgejo Actions";
      // A pull request of the good commit passes; of both, fails.
      const pr = await ci(
        flow,
        await actionsEnv(flow, marker, "pull_request", pullRequest(base, good)),
      );
      assertPasses(pr, 1);
      assert.ok(pr.stdout.startsWith(`${provider} (pull_request event)`));
      assertTampered(
        await ci(
          flow,
          await actionsEnv(
            flow,
            marker,
            "pull_request",
            pullRequest(base, bad),
          ),
        ),
        `${base}..${bad}`,
      );
      // A push: before..GITHUB_SHA.
      assertTampered(
        await ci(
          flow,
          await actionsEnv(flow, marker, "push", pushed(base, bad), bad),
        ),
        `${base}..${bad}`,
      );
    }
    // The first push of a branch: what origin/main does not have.
    assertTampered(
      await ci(
        flow,
        await actionsEnv(flow, GITHUB, "push", pushed(ZERO, bad), bad),
      ),
      `origin/main..${bad}`,
    );
    // The first push of the default branch: nothing to compare with.
    assertCliError(
      await ci(
        flow,
        await actionsEnv(
          flow,
          GITHUB,
          "push",
          pushed(ZERO, bad, "refs/heads/main"),
          bad,
        ),
      ),
      "USAGE",
      "GitHub Actions: Cannot tell which commits this push brings",
      "give --range A..B instead",
    );
    // Another event; no event file.
    assertCliError(
      await ci(
        flow,
        await actionsEnv(flow, GITHUB, "workflow_dispatch", {}, bad),
      ),
      "USAGE",
      `"workflow_dispatch" event`,
    );
    assertCliError(
      await ci(flow, { ...GITHUB, GITHUB_EVENT_NAME: "push" }),
      "USAGE",
      "GITHUB_EVENT_PATH is not set",
    );
    assertCliError(
      await ci(flow, {
        ...GITHUB,
        GITHUB_EVENT_NAME: "push",
        GITHUB_EVENT_PATH: join(flow.repo.home, "missing.json"),
      }),
      "USAGE",
      "Cannot read GitHub Actions's event file",
    );
  });
});

Deno.test("verify --ci: GitLab CI merge request and push pipelines", async () => {
  await withScenario(async (flow, { base, good, bad }) => {
    const gitlab = { GITLAB_CI: "true" };
    const mr = {
      ...gitlab,
      CI_PIPELINE_SOURCE: "merge_request_event",
      CI_MERGE_REQUEST_DIFF_BASE_SHA: base,
    };
    assertPasses(await ci(flow, { ...mr, CI_COMMIT_SHA: good }), 1);
    assertTampered(
      await ci(flow, { ...mr, CI_COMMIT_SHA: bad }),
      `${base}..${bad}`,
    );
    // With --json, the report says which range and where it came from.
    const json = await ci(flow, { ...mr, CI_COMMIT_SHA: good }, ["--json"]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.range, `${base}..${good}`);
    assert.equal(
      report.ci,
      "GitLab CI, merge request: CI_MERGE_REQUEST_DIFF_BASE_SHA..CI_COMMIT_SHA",
    );
    assert.equal(report.verified, 1);
    // A merged results pipeline: the merge request's own head, not GitLab's merge commit.
    assertTampered(
      await ci(flow, {
        ...mr,
        CI_COMMIT_SHA: good,
        CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: bad,
      }),
      `${base}..${bad}`,
    );
    const push = {
      ...gitlab,
      CI_PIPELINE_SOURCE: "push",
      CI_COMMIT_SHA: bad,
      CI_COMMIT_BRANCH: "feature",
      CI_DEFAULT_BRANCH: "main",
    };
    assertTampered(
      await ci(flow, { ...push, CI_COMMIT_BEFORE_SHA: base }),
      `${base}..${bad}`,
    );
    assertTampered(
      await ci(flow, { ...push, CI_COMMIT_BEFORE_SHA: ZERO }),
      `origin/main..${bad}`,
    );
    assertCliError(
      await ci(flow, {
        ...push,
        CI_COMMIT_BEFORE_SHA: ZERO,
        CI_COMMIT_BRANCH: "main",
      }),
      "USAGE",
      "it is the default branch",
    );
    assertCliError(
      await ci(flow, { ...mr, CI_MERGE_REQUEST_DIFF_BASE_SHA: "" }),
      "USAGE",
      "CI_MERGE_REQUEST_DIFF_BASE_SHA is not set",
    );
    assertCliError(
      await ci(flow, { ...push, CI_PIPELINE_SOURCE: "schedule" }),
      "USAGE",
      `a "schedule" pipeline`,
    );
  });
});

Deno.test("verify --ci: Bitbucket Pipelines and Jenkins", async () => {
  await withScenario(async (flow, { base, good, bad }) => {
    // Bitbucket names the destination commit abbreviated.
    const bitbucket = {
      BITBUCKET_BUILD_NUMBER: "7",
      BITBUCKET_PR_ID: "3",
      BITBUCKET_PR_DESTINATION_COMMIT: base.slice(0, 12),
    };
    assertPasses(await ci(flow, { ...bitbucket, BITBUCKET_COMMIT: good }), 1);
    assertTampered(
      await ci(flow, { ...bitbucket, BITBUCKET_COMMIT: bad }),
      `${base.slice(0, 12)}..${bad}`,
    );
    assertCliError(
      await ci(flow, { BITBUCKET_BUILD_NUMBER: "7", BITBUCKET_COMMIT: bad }),
      "USAGE",
      "Bitbucket names no commit before a push",
    );
    const jenkins = { JENKINS_URL: "https://ci.example.com/" };
    assertTampered(
      await ci(flow, {
        ...jenkins,
        GIT_COMMIT: bad,
        GIT_PREVIOUS_SUCCESSFUL_COMMIT: base,
      }),
      `${base}..${bad}`,
    );
    assertPasses(
      await ci(flow, {
        ...jenkins,
        GIT_COMMIT: good,
        CHANGE_ID: "12",
        CHANGE_TARGET: "main",
      }),
      1,
    );
    assertCliError(
      await ci(flow, { ...jenkins, GIT_COMMIT: bad }),
      "USAGE",
      "GIT_PREVIOUS_SUCCESSFUL_COMMIT is not set",
    );
  });
});

Deno.test("verify --ci refuses to guess: no CI, hidden variables, other options", async () => {
  await withScenario(async (flow, { bad }) => {
    assertCliError(
      await ci(flow, {}),
      "USAGE",
      "Cannot tell which CI this is",
      "GITLAB_CI",
      "JENKINS_URL",
    );
    // Under the hooks' permissions the variables read as unset: it says so
    // rather than "no CI". (A binary under test has its own permissions.)
    if (!Deno.env.get(TEST_BIN_ENV)) {
      assertCliError(
        await ci(
          flow,
          { JENKINS_URL: "x", GIT_COMMIT: bad },
          [],
          PERMISSION_FLAGS,
        ),
        "USAGE",
        "Deno's permissions hide all of them",
        CI_PERMISSION_FLAGS.at(-1)!,
      );
    }
    assertCliError(
      await ci(flow, {}, ["--range", "main..feature"]),
      "USAGE",
      "Give one of --rev, --range and --ci, not --range and --ci",
    );
    assertCliError(
      await runCli(["verify", "--allow-empty"], {
        cwd: flow.repo.root,
        home: flow.repo.home,
      }),
      "USAGE",
      "--allow-empty goes with --range or --ci",
    );
  });
});

Deno.test("an empty range is refused, naming both revisions, unless --allow-empty", async () => {
  await withScenario(async (flow, { base, bad }) => {
    // The pipeline: a tampered commit pushed to main, and the CI
    // command "verify --range origin/main..HEAD", where HEAD is origin/main.
    await flow.ok(["push", "-q", "--no-verify", "origin", "feature:main"]);
    assert.equal(await revParse(flow, "origin/main"), bad);
    const cli = (args: string[]) =>
      runCli(["verify", ...args], {
        cwd: flow.repo.root,
        home: flow.repo.home,
      });
    for (const json of [[], ["--json"]]) {
      const message = assertCliError(
        await cli(["--range", "origin/main..HEAD", ...json]),
        "USAGE",
        `No commits in "origin/main..HEAD"`,
        `"HEAD" (${bad.slice(0, 12)}) is already in "origin/main" (${
          bad.slice(0, 12)
        })`,
        "--range <before>..<after>",
        "--range <base>..<head>",
        "--ci",
        "--allow-empty",
      );
      assert.doesNotMatch(message, /verified/);
    }
    const allowed = await cli([
      "--range",
      "origin/main..HEAD",
      "--allow-empty",
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /^No commits in that range$/m);
    const json = await cli([
      "--range",
      "origin/main..HEAD",
      "--allow-empty",
      "--json",
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      ok: true,
      verified: 0,
      failed: 0,
      commits: [],
    });
    // The range the push brings finds the tampered commit.
    const push = await ci(
      flow,
      await actionsEnv(
        flow,
        GITHUB,
        "push",
        pushed(base, bad, "refs/heads/main"),
        bad,
      ),
    );
    assertTampered(push, `${base}..${bad}`);
    // A CI run whose range is empty is refused the same way, and says where
    // the range came from.
    assertCliError(
      await ci(flow, {
        JENKINS_URL: "x",
        GIT_COMMIT: bad,
        GIT_PREVIOUS_SUCCESSFUL_COMMIT: bad,
      }),
      "USAGE",
      `No commits in "${bad}..${bad}" (Jenkins, build: GIT_PREVIOUS_SUCCESSFUL_COMMIT..GIT_COMMIT)`,
    );
    assert.equal(
      (await ci(flow, {
        JENKINS_URL: "x",
        GIT_COMMIT: bad,
        GIT_PREVIOUS_SUCCESSFUL_COMMIT: bad,
      }, ["--allow-empty"])).code,
      0,
    );
  });
});
