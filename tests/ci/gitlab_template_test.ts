/**
 * The GitLab CI template (ci/gitlab/mcp-orchestration.yml) and its script
 * (ci/gitlab/verify.sh), as far as a machine without a GitLab runner allows:
 * the script runs in a project checkout made the way GitLab makes one (a
 * clone of the pipeline's ref only, the whole history), with the variables
 * GitLab sets for a push, a new branch and a merge request, through the same
 * range logic as the GitHub Action (`verify --ci`); and the template's own
 * script lines run as GitLab would run them, cloning the tool from this
 * checkout's HEAD.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadYamlParser } from "../../src/deps.ts";
import { EVIL, V1, withSignedHistory } from "../support/attacks.ts";
import {
  commit,
  type Flow,
  forceCommit,
  head,
  push,
  write,
} from "../support/flow.ts";
import { denoEnv } from "../support/cli.ts";
import { gitEnv } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const CHECKOUT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = join(CHECKOUT, "ci", "gitlab", "verify.sh");
const TEMPLATE = join(CHECKOUT, "ci", "gitlab", "mcp-orchestration.yml");
const ZERO = "0".repeat(40);
const decoder = new TextDecoder();

/**
 * A project checkout as GitLab's runner makes it: `git init`, then only the
 * pipeline's ref fetched from origin (all of its history), checked out
 * detached.
 */
async function projectCheckout(
  flow: Flow,
  ref: string,
  options: { depth?: number } = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: flow.repo.home, prefix: "ci-" });
  await flow.ok(["init", "-q", dir]);
  await flow.ok(["remote", "add", "origin", flow.remote.root], { cwd: dir });
  await flow.ok([
    "fetch",
    "-q",
    ...(options.depth ? [`--depth=${options.depth}`] : []),
    "origin",
    `+refs/heads/${ref}:refs/remotes/origin/${ref}`,
  ], { cwd: dir });
  await flow.ok(["checkout", "-q", "--detach", `origin/${ref}`], { cwd: dir });
  return dir;
}

/** Runs shell code in the project with GitLab's variables. */
async function run(
  flow: Flow,
  cwd: string,
  code: string,
  variables: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command("bash", {
    args: ["-e", "-o", "pipefail", "-c", code],
    cwd,
    clearEnv: true,
    env: {
      ...gitEnv(flow.repo.home),
      ...(await denoEnv()),
      PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
      GITLAB_CI: "true",
      CI_PROJECT_DIR: cwd,
      ...variables,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    output: decoder.decode(out.stdout) + decoder.decode(out.stderr),
  };
}

Deno.test({
  name:
    "GitLab CI script: a push, a new branch and a merge request are verified over the commits they bring",
  ignore: ON_WINDOWS,
  async fn(t) {
    await withSignedHistory(async (flow) => {
      const script = `sh ${JSON.stringify(SCRIPT)}`;

      await t.step("a push of a signed commit: exit 0", async () => {
        const before = await head(flow);
        const after = await commit(flow, "v3", {
          ".mcp.json": V1.replace("v1", "v3"),
        });
        await push(flow, "main");
        const project = await projectCheckout(flow, "main");
        const result = await run(flow, project, script, {
          CI_PIPELINE_SOURCE: "push",
          CI_COMMIT_BEFORE_SHA: before,
          CI_COMMIT_SHA: after,
          CI_COMMIT_BRANCH: "main",
          CI_DEFAULT_BRANCH: "main",
        });
        assert.equal(result.code, 0, result.output);
        assert.match(result.output, /GitLab CI/);
        assert.match(result.output, /CI_COMMIT_BEFORE_SHA\.\.CI_COMMIT_SHA/);
      });

      await t.step(
        "a new branch, its base fetched by the script: exit 0",
        async () => {
          await flow.ok(["checkout", "-q", "-b", "feature"]);
          const sha = await commit(flow, "docs", { "README.md": "more\n" });
          await push(flow, "feature");
          const project = await projectCheckout(flow, "feature");
          const result = await run(flow, project, script, {
            CI_PIPELINE_SOURCE: "push",
            CI_COMMIT_BEFORE_SHA: ZERO,
            CI_COMMIT_SHA: sha,
            CI_COMMIT_BRANCH: "feature",
            CI_DEFAULT_BRANCH: "main",
          });
          assert.equal(result.code, 0, result.output);
          assert.match(result.output, /origin\/\$CI_DEFAULT_BRANCH/);
        },
      );

      await t.step(
        "a merge request with a tampered commit: exit 1, TAMPERED",
        async () => {
          const base = await head(flow);
          await write(flow, { ".mcp.json": EVIL });
          const sha = await forceCommit(flow, "tampered");
          const pushed = await flow.git([
            "push",
            "-q",
            "--no-verify",
            "origin",
            "feature",
          ]);
          assert.equal(pushed.code, 0, pushed.stderr);
          const project = await projectCheckout(flow, "feature");
          const result = await run(flow, project, script, {
            CI_PIPELINE_SOURCE: "merge_request_event",
            CI_MERGE_REQUEST_DIFF_BASE_SHA: base,
            CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: sha,
            CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
            CI_COMMIT_SHA: sha,
          });
          assert.equal(result.code, 1, result.output);
          assert.match(result.output, /TAMPERED/);
        },
      );

      await t.step("a shallow clone: exit 2, saying why", async () => {
        const project = await projectCheckout(flow, "main", { depth: 1 });
        const result = await run(flow, project, script, {
          CI_PIPELINE_SOURCE: "push",
          CI_COMMIT_BEFORE_SHA: ZERO,
          CI_COMMIT_SHA: ZERO,
        });
        assert.equal(result.code, 2, result.output);
        assert.match(result.output, /GIT_DEPTH: "0"/);
      });

      await t.step(
        "the template's own script: clones the tool at MCP_ORCHESTRATION_REF and verifies",
        async () => {
          const { parse } = await loadYamlParser();
          const job = (parse(await Deno.readTextFile(TEMPLATE)) as {
            "mcp-orchestration": {
              variables: Record<string, string>;
              script: string[];
              rules: { if: string }[];
            };
          })["mcp-orchestration"];
          assert.equal(job.variables.GIT_DEPTH, "0");
          assert.deepEqual(job.rules.map((rule) => rule.if), [
            '$CI_PIPELINE_SOURCE == "merge_request_event"',
            '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH',
          ]);
          assert.match(job.script.at(-1)!, /ci\/gitlab\/verify\.sh/);
          // The tool as committed here: the script lines clone HEAD.
          const ref = decoder.decode(
            (await new Deno.Command("git", {
              args: ["-C", CHECKOUT, "rev-parse", "HEAD"],
              stdout: "piped",
            }).output()).stdout,
          ).trim();
          const project = await projectCheckout(flow, "feature");
          const sha = (await flow.ok(["rev-parse", "feature"])).trim();
          const variables = {
            CI_PIPELINE_SOURCE: "merge_request_event",
            CI_MERGE_REQUEST_DIFF_BASE_SHA: (await flow.ok([
              "rev-parse",
              "main",
            ])).trim(),
            CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: sha,
            CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
            CI_COMMIT_SHA: sha,
            MCP_ORCHESTRATION_REPO: CHECKOUT,
            MCP_ORCHESTRATION_REF: ref,
            TMPDIR: flow.repo.home,
          };
          const code = job.script.join("\n");
          const refused = await run(flow, project, code, variables);
          assert.equal(refused.code, 1, refused.output);
          assert.match(refused.output, /TAMPERED/);
          // Without the tool named, the job says what to set.
          const { MCP_ORCHESTRATION_REF: _, ...unnamed } = variables;
          const usage = await run(flow, project, code, unnamed);
          assert.notEqual(usage.code, 0);
          assert.match(usage.output, /set MCP_ORCHESTRATION_REF/);
        },
      );
    });
  },
});
