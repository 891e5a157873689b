/**
 * The GitHub Action end to end: `action/verify.sh`, the step `action.yml`
 * runs, started as GitHub starts it (`GITHUB_ACTION_PATH` at this checkout,
 * `GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH` at an event payload,
 * `GITHUB_SHA`, the `range` input as `INPUT_RANGE`), in a real repository
 * whose pull request brings a good commit and a tampered one. It checks the
 * annotation lines as the runner parses them, the summary line and the exit
 * code, for pull_request and push events, the range input, an event that
 * names no range, and a shallow clone.
 *
 * The step finds `deno` on PATH here (a link to the Deno running the tests),
 * except in the tests of a checkout that carries its own "deno" (a
 * `package.json`, `node_modules/deno`, `node_modules/.bin` on PATH, an
 * `.npmrc`): there the step must skip it, and without another deno on PATH
 * install Deno 2.9.6 from `runtime/package-lock.json` into `RUNNER_TEMP`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PERMISSION_FLAGS } from "../../src/permissions.ts";
import { denoEnv } from "../support/cli.ts";
import {
  commit,
  createFlow,
  type Flow,
  forceCommit,
  head,
  installHooks,
  push,
  write,
} from "../support/flow.ts";
import {
  HOSTILE_OUTPUT,
  type HostileCheckout,
  npmRunEnv,
  pathWithoutDeno,
  plantHostileRuntime,
  shareNpmCache,
} from "../support/hostile_runtime.ts";
import { runIsolated } from "../support/process.ts";
import { gitEnv } from "../support/repo.ts";
import {
  parseWorkflowCommand,
  runnerLines,
} from "../support/workflow_commands.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const ACTION_PATH = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = join(ACTION_PATH, "action", "verify.sh");
const ZERO = "0".repeat(40);

function config(command: string): string {
  return JSON.stringify({ mcpServers: { files: { command, args: ["."] } } }) +
    "\n";
}

/** The pull request's commits: `base` (on origin/main), then `good`, then `bad`. */
interface PullRequest {
  flow: Flow;
  base: string;
  good: string;
  bad: string;
  /** A folder with only a link to the Deno running the tests. */
  bin: string;
  /** Runs the action's script as GitHub would; see {@linkcode runAction}. */
  run(options: ActionRun): Promise<ActionResult>;
}

interface ActionRun {
  /** GITHUB_EVENT_NAME and the payload written to GITHUB_EVENT_PATH. */
  event?: { name: string; payload: unknown };
  /** GITHUB_SHA. */
  sha?: string;
  /** The "range" input (INPUT_RANGE). */
  range?: string;
  /** Where the step runs (GITHUB_WORKSPACE): the repository by default. */
  cwd?: string;
  /** PATH: a folder with a link to the Deno running the tests, then the test's own PATH, by default. */
  path?: string;
  /** More variables, such as those a step before could have set. */
  env?: Record<string, string>;
}

interface ActionResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function withPullRequest(
  fn: (pr: PullRequest) => Promise<void>,
): Promise<void> {
  await using flow = await createFlow();
  await installHooks(flow, "alice@example.com");
  await commit(flow, "v1", { ".mcp.json": config("server-v1") });
  await push(flow, "main");
  const base = await head(flow);
  await flow.ok(["checkout", "-q", "-b", "feature"]);
  await commit(flow, "v2", { ".mcp.json": config("server-v2") });
  const good = await head(flow);
  await write(flow, { ".mcp.json": config("curl-evil") });
  const bad = await forceCommit(flow, "tamper");
  const bin = join(flow.repo.home, "bin");
  await Deno.mkdir(bin);
  await Deno.symlink(Deno.execPath(), join(bin, "deno"));
  let runs = 0;
  await fn({
    flow,
    base,
    good,
    bad,
    bin,
    run: (options) => runAction(flow, bin, options, runs++),
  });
}

/**
 * Runs `sh action/verify.sh` with only the environment GitHub's runner gives
 * a composite step (plus git's test isolation and Deno's module cache).
 */
async function runAction(
  flow: Flow,
  bin: string,
  options: ActionRun,
  n: number,
): Promise<ActionResult> {
  const env: Record<string, string> = {
    ...gitEnv(flow.repo.home),
    ...(await denoEnv()),
    PATH: options.path ?? `${bin}:${Deno.env.get("PATH") ?? ""}`,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_ACTION_PATH: ACTION_PATH,
    GITHUB_WORKSPACE: options.cwd ?? flow.repo.root,
    RUNNER_TEMP: flow.repo.home,
  };
  if (options.event) {
    const path = join(flow.repo.home, `event ${n}.json`);
    await Deno.writeTextFile(path, JSON.stringify(options.event.payload));
    env.GITHUB_EVENT_NAME = options.event.name;
    env.GITHUB_EVENT_PATH = path;
  }
  if (options.sha) env.GITHUB_SHA = options.sha;
  // action.yml always sets it, empty when the input is not given.
  env.INPUT_RANGE = options.range ?? "";
  Object.assign(env, options.env);
  return await runIsolated("sh", [SCRIPT], {
    cwd: options.cwd ?? flow.repo.root,
    env,
  });
}

function pullRequestEvent(base: string, headSha: string): {
  name: string;
  payload: unknown;
} {
  return {
    name: "pull_request",
    payload: {
      action: "synchronize",
      number: 7,
      pull_request: {
        number: 7,
        base: { ref: "main", sha: base },
        head: { ref: "feature", sha: headSha },
      },
      repository: { default_branch: "main", full_name: "o/r" },
    },
  };
}

/** The step's output as the runner reads it: its annotations, and its other lines. */
function read(stdout: string): {
  errors: { file?: string; title?: string; message: string }[];
  lines: string[];
} {
  const errors = [];
  const lines = [];
  for (const line of runnerLines(stdout)) {
    const command = parseWorkflowCommand(line);
    if (!command) {
      lines.push(line);
      continue;
    }
    assert.equal(command.name, "error", line);
    errors.push({ ...command.properties, message: command.data });
  }
  return { errors, lines };
}

Deno.test({
  name:
    "action: a pull request with a tampered commit gets one error annotation on the file, exit 1",
  ignore: ON_WINDOWS,
  async fn() {
    await withPullRequest(async ({ base, good, bad, run }) => {
      const result = await run({
        event: pullRequestEvent(base, bad),
        sha: "f".repeat(40), // the merge commit, which is not verified
      });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const { errors, lines } = read(result.stdout);
      assert.equal(errors.length, 1, result.stdout);
      assert.equal(errors[0]!.file, ".mcp.json");
      assert.equal(errors[0]!.title, "TAMPERED");
      assert.match(
        errors[0]!.message,
        new RegExp(
          `^its bytes hash to .* \\(commit ${bad.slice(0, 12)} tamper\\)$`,
        ),
      );
      assert.deepEqual(lines, [
        `mcp-orchestration: verifying the commits ${base}..${bad}`,
        "2 commits: 1 verified, 1 failed",
      ]);
      assert.ok(!result.stdout.includes(good.slice(0, 12)), result.stdout);

      const clean = await run({ event: pullRequestEvent(base, good) });
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.deepEqual(read(clean.stdout), {
        errors: [],
        lines: [
          `mcp-orchestration: verifying the commits ${base}..${good}`,
          "1 commit: 1 verified, 0 failed",
        ],
      });
    });
  },
});

Deno.test({
  name:
    "action: push events verify before..GITHUB_SHA, a new branch what is not on the default branch",
  ignore: ON_WINDOWS,
  async fn() {
    await withPullRequest(async ({ base, good, bad, run }) => {
      const pushEvent = (before: string, extra: object = {}) => ({
        name: "push",
        payload: {
          ref: "refs/heads/feature",
          before,
          after: bad,
          repository: { default_branch: "main" },
          ...extra,
        },
      });
      const fromGood = await run({ event: pushEvent(good), sha: bad });
      assert.equal(fromGood.code, 1, fromGood.stdout + fromGood.stderr);
      assert.equal(read(fromGood.stdout).errors.length, 1);
      assert.ok(
        fromGood.stdout.endsWith("1 commit: 0 verified, 1 failed\n"),
        fromGood.stdout,
      );

      for (
        const payload of [pushEvent(ZERO), pushEvent(good, { forced: true })]
      ) {
        const result = await run({ event: payload, sha: bad });
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.ok(
          result.stdout.startsWith(
            `mcp-orchestration: verifying the commits origin/main..${bad}\n`,
          ),
          result.stdout,
        );
        assert.ok(
          result.stdout.endsWith("2 commits: 1 verified, 1 failed\n"),
          result.stdout,
        );
      }

      const upToGood = await run({ event: pushEvent(base), sha: good });
      assert.equal(upToGood.code, 0, upToGood.stdout + upToGood.stderr);
    });
  },
});

Deno.test({
  name:
    "action: the range input wins over the event; an event without a range, or a bad range, exits 2",
  ignore: ON_WINDOWS,
  async fn() {
    await withPullRequest(async ({ base, good, bad, run }) => {
      const input = await run({
        range: `${base}..${good}`,
        event: pullRequestEvent(base, bad),
      });
      assert.equal(input.code, 0, input.stdout + input.stderr);

      const dispatch = await run({
        event: { name: "workflow_dispatch", payload: { inputs: {} } },
        sha: bad,
      });
      assert.equal(dispatch.code, 2, dispatch.stdout + dispatch.stderr);
      const { errors } = read(dispatch.stdout);
      assert.equal(errors.length, 1, dispatch.stdout);
      assert.equal(errors[0]!.title, "mcp-orchestration");
      assert.match(
        errors[0]!.message,
        /Cannot tell which commits to verify for a "workflow_dispatch" event: give the action a "range" input/,
      );

      const noEvent = await run({});
      assert.equal(noEvent.code, 2, noEvent.stdout + noEvent.stderr);

      const broken = await run({
        event: pullRequestEvent(base, "not a commit"),
      });
      assert.equal(broken.code, 2, broken.stdout + broken.stderr);
      assert.match(broken.stdout, /pull_request\.head\.sha/);

      const unknownRange = await run({ range: "nope..HEAD" });
      assert.equal(unknownRange.code, 2, unknownRange.stdout);
      assert.match(
        unknownRange.stderr,
        /Cannot verify "--range nope\.\.HEAD": the revision "nope" does not exist/,
      );
    });
  },
});

Deno.test({
  name:
    "action: a shallow clone (actions/checkout's default) is refused with the fetch-depth hint, exit 2",
  ignore: ON_WINDOWS,
  async fn() {
    await withPullRequest(async ({ flow, base, bad, run }) => {
      // As an attacker would: past the pre-push hook.
      await flow.ok(["push", "-q", "--no-verify", "origin", "feature"]);
      const shallow = join(flow.repo.home, "shallow clone");
      await flow.ok([
        "clone",
        "-q",
        "--depth=1",
        "--branch=feature",
        `file://${flow.remote.root}`,
        shallow,
      ]);
      const result = await run({
        event: pullRequestEvent(base, bad),
        cwd: shallow,
      });
      assert.equal(result.code, 2, result.stdout + result.stderr);
      const { errors } = read(result.stdout);
      assert.equal(errors.length, 1, result.stdout);
      assert.match(errors[0]!.message, /fetch-depth: 0/);
      // The same clone with its whole history verifies.
      await flow.ok(["fetch", "-q", "--unshallow"], { cwd: shallow });
      const full = await run({
        event: pullRequestEvent(base, bad),
        cwd: shallow,
      });
      assert.equal(full.code, 1, full.stdout + full.stderr);
    });
  },
});

/**
 * Asserts that the real verification ran on the pull request's commits
 * (`base..bad`: the tampered commit reported, exit 1) and that the
 * checkout's fake deno never did.
 */
async function assertRealVerification(
  result: ActionResult,
  hostile: HostileCheckout,
): Promise<void> {
  const output = result.stdout + result.stderr;
  assert.ok(!output.includes(HOSTILE_OUTPUT), output);
  await assert.rejects(Deno.stat(hostile.marker), Deno.errors.NotFound);
  assert.equal(result.code, 1, output);
  const { errors, lines } = read(result.stdout);
  assert.deepEqual(errors.map((e) => [e.file, e.title]), [
    [".mcp.json", "TAMPERED"],
  ]);
  assert.equal(lines.at(-1), "2 commits: 1 verified, 1 failed", output);
}

Deno.test({
  name:
    "action: a deno the checkout puts on PATH (node_modules/.bin, relative or absolute) is never run",
  ignore: ON_WINDOWS,
  async fn() {
    await withPullRequest(async ({ flow, base, bad, bin, run }) => {
      const hostile = await plantHostileRuntime(
        flow.repo.root,
        join(flow.repo.home, "marker"),
      );
      for (const first of ["node_modules/.bin", hostile.binDir, ""]) {
        const result = await run({
          event: pullRequestEvent(base, bad),
          // The real deno comes after: the step must skip the checkout's.
          path: `${first}:${bin}:${Deno.env.get("PATH") ?? ""}`,
        });
        await assertRealVerification(result, hostile);
      }
    });
  },
});

Deno.test({
  name:
    "action: without deno on PATH, Deno comes from the pinned lockfile into RUNNER_TEMP, never from the checkout's package.json, node_modules or .npmrc",
  ignore: ON_WINDOWS,
  async fn() {
    await withPullRequest(async ({ flow, base, good, bad, run }) => {
      const hostile = await plantHostileRuntime(
        flow.repo.root,
        join(flow.repo.home, "marker"),
      );
      await shareNpmCache(flow.repo.home);
      const status = await flow.ok(["status", "--porcelain", "--ignored"]);
      const noDeno = await pathWithoutDeno(join(flow.repo.home, "path"));
      const options = {
        event: pullRequestEvent(base, bad),
        path: noDeno,
        // As if a step before had run `npm run` in the checkout.
        env: npmRunEnv(flow.repo.root),
      };
      // Two at once, as two jobs sharing a runner's temporary folder would:
      // both install, one install is kept, neither breaks the other.
      const [one, two] = await Promise.all([run(options), run(options)]);
      await assertRealVerification(one, hostile);
      await assertRealVerification(two, hostile);
      const installs = join(flow.repo.home, "mcp-orchestration");
      const entries = [];
      for await (const entry of Deno.readDir(installs)) {
        entries.push(entry.name);
      }
      assert.deepEqual(entries, ["deno-2.9.6"]);
      assert.match(one.stderr + two.stderr, /installing Deno 2\.9\.6/);

      // Installed once: the next run uses it as it is.
      const again = await run({
        ...options,
        event: pullRequestEvent(base, good),
        // The checkout's bin folder first, as `npm run` would put it.
        path: `${hostile.binDir}:${noDeno}`,
      });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.doesNotMatch(again.stderr, /installing Deno/);
      await assert.rejects(Deno.stat(hostile.marker), Deno.errors.NotFound);
      // Nothing was written into the checkout.
      assert.equal(
        await flow.ok(["status", "--porcelain", "--ignored"]),
        status,
      );
    });
  },
});

Deno.test("action: verify.sh runs the tool with exactly the permission flags of src/permissions.ts", async () => {
  const script = (await Deno.readTextFile(SCRIPT)).replaceAll("\\\n", " ")
    .replace(/ +/g, " ");
  assert.ok(
    script.includes(
      `run --quiet ${
        PERMISSION_FLAGS.join(" ")
      } "$root/main.ts" verify --range "$range" --format github`,
    ),
    script,
  );
  // Deno comes from runtime/deno.sh, never from npx in the checkout.
  assert.doesNotMatch(script, /npx/);
  assert.match(script, /^\. "\$root\/runtime\/deno\.sh"$/m);
  const action = await Deno.readTextFile(join(ACTION_PATH, "action.yml"));
  assert.match(action, /^ {2}using: composite$/m);
  assert.match(
    action,
    /^ {6}run: sh "\$GITHUB_ACTION_PATH\/action\/verify\.sh"$/m,
  );
  assert.match(action, /^ {8}INPUT_RANGE: \$\{\{ inputs\.range \}\}$/m);
});
