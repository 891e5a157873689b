/**
 * Benchmark 7, the server's hook: `git push` of a signed history of 1,000
 * commits (each changing one of 10 configs, built like the history
 * benchmark's) into a fresh bare repository per run, with no hook and with
 * the `pre-receive` hook that `install --server` writes through each
 * launcher; the difference is the hook's time. Then the same history with
 * one tampered commit on top, which the hook must refuse: proof that the
 * timed hook verified what it was given.
 *
 * Run alone: `deno task bench receive [--quick] [--keep] [--no-build]`.
 *
 * @module
 */

import { join } from "node:path";
import {
  type BenchOptions,
  type BenchResult,
  type CaseResult,
  type Contender,
  evaluate,
  machineInfo,
  METHOD,
  type Output,
  parseBenchArgs,
  runCase,
  summarize,
  type Target,
  writeResult,
} from "./harness.ts";
import {
  configText,
  createWorkspace,
  git,
  type Launcher,
  removeWorkspace,
  signedHistory,
  tool,
  toolLaunch,
  toolLaunchers,
  type Workspace,
} from "./fixtures.ts";
import { updatePerformanceDoc } from "./report.ts";

/** Commits after the root commit, as in the target. */
const COMMITS = 1000;
/** Configs in the repository; commit i changes config i mod CONFIGS. */
const CONFIGS = 10;
/** The target: the hook's time for a push of COMMITS new commits, seconds. */
const LIMIT_SECONDS = 3;
/** The config the tampered commit changes without signing it. */
const TAMPERED_PATH = "packages/p0/.mcp.json";

/** A push into a fresh bare repository, as one contender. */
interface PushSpec {
  /** Contender id, e.g. `hook-deno`. */
  id: string;
  /** For tables. */
  label: string;
  /** The launcher `install --server` runs through; none: no hook. */
  launcher?: Launcher;
  /** The commit pushed to the bare repository's main. */
  commit: string;
  /** Commits the push brings (the root commit included). */
  commits: number;
  /** Whether the hook must refuse the push. */
  refused: boolean;
}

/**
 * Runs the server-hook benchmark.
 *
 * @param options Command-line options.
 * @returns The result, also written to bench/results/receive.json.
 */
export async function receiveBench(
  options: BenchOptions,
): Promise<BenchResult> {
  const started = performance.now();
  const notes: string[] = [];
  const fixtures: Record<string, number> = {};
  const workspace = await createWorkspace();
  try {
    const launchers = await toolLaunchers(options, workspace, notes);
    const machine = await machineInfo(
      Object.fromEntries(launchers.map((l) => [`tool (${l.id})`, l.version])),
    );
    const source = join(workspace.root, "source");
    await signedHistory(workspace, source, {
      commits: COMMITS,
      configs: CONFIGS,
      launcher: launchers[0]!,
      record: fixtures,
    });
    const head = (await git(workspace, source, ["rev-parse", "HEAD"])).trim();
    const root = (await git(workspace, source, [
      "rev-list",
      "--max-parents=0",
      "HEAD",
    ])).trim();
    const tampered = await tamperedCommit(workspace, source);
    const pushed = COMMITS + 1;
    const cases: CaseResult[] = [];
    console.log(`git push of ${pushed} commits, without and with the hook`);
    cases.push(
      await runCase(
        {
          id: `push-${COMMITS}`,
          title: `git push of ${
            pushed.toLocaleString("en")
          } commits into a fresh bare repository`,
          n: COMMITS,
          unit: "commits",
          contenders: [
            pushContender(workspace, source, {
              id: "plain",
              label: "git push, no hook",
              commit: head,
              commits: pushed,
              refused: false,
            }),
            ...launchers.map((l) =>
              pushContender(workspace, source, {
                id: `hook-${l.id}`,
                label: `git push, pre-receive hook (${l.label})`,
                launcher: l,
                commit: head,
                commits: pushed,
                refused: false,
              })
            ),
            // What the hook does, without a push: the same commits but the
            // root one, from the source repository.
            ...launchers.map((l): Contender => ({
              id: `range-${l.id}`,
              label: `verify --range, no push (${l.label})`,
              launch: toolLaunch(
                workspace,
                l,
                ["verify", "--range", `${root}..HEAD`],
                source,
              ),
              check: (output) => {
                if (!/\b1000 commits: 1000 verified/.test(output.stdout)) {
                  throw new Error(
                    `verify --range did not verify ${COMMITS} commits: ${
                      output.stdout.trim().split("\n").at(-1)
                    }`,
                  );
                }
              },
            })),
          ],
          reference: "plain",
        },
        options.quick ? { runs: 3, warmup: 1 } : {
          runs: 7,
          warmup: 1,
          minRuns: 3,
          budgetSeconds: 180,
        },
      ),
    );
    console.log(`git push of ${pushed} commits and a tampered one`);
    cases.push(
      await runCase(
        {
          id: "tampered",
          title: `git push of ${
            pushed.toLocaleString("en")
          } commits and one that changes ${TAMPERED_PATH} without signing it: refused`,
          contenders: launchers.map((l) =>
            pushContender(workspace, source, {
              id: `hook-${l.id}`,
              label: `refused push, pre-receive hook (${l.label})`,
              launcher: l,
              commit: tampered,
              commits: pushed + 1,
              refused: true,
            })
          ),
          ...(launchers.length > 1 ? { reference: "hook-deno" } : {}),
        },
        options.quick ? { runs: 1, warmup: 0 } : { runs: 3, warmup: 0 },
      ),
    );
    const targets = receiveTargets(cases[0]!, launchers);
    for (const t of targets) {
      const ratio = cases[0]!.ratios.find((r) => r.a === t.contender);
      if (ratio) {
        notes.push(
          `${t.contender}: the hook took ${
            (ratio.differenceMs.median / 1000).toFixed(2)
          } s (median of ${ratio.rounds} paired differences, min–max ${
            (ratio.differenceMs.min / 1000).toFixed(2)
          }–${
            (ratio.differenceMs.max / 1000).toFixed(2)
          } s) over the plain push; ${hookOverRange(cases[0]!, t.contender)}.`,
        );
      }
    }
    const result: BenchResult = {
      name: "receive",
      title: "7. Server hook",
      description:
        `\`git push --no-verify\` of a signed history of ${
          pushed.toLocaleString("en")
        } commits ` +
        `(a root commit signing ${CONFIGS} configs, then ${
          COMMITS.toLocaleString("en")
        } commits each changing one of them, ` +
        "built as in the history benchmark) into a fresh bare repository per run (created, and " +
        "the hook installed, before the timer starts): without a hook, and with the pre-receive " +
        "hook that `install --server` writes through each launcher; in the same rounds, " +
        "`verify --range` of the same commits but the root one in the source repository (what " +
        "the hook does, without a push). The hook's time is the " +
        "median of the per-round differences from the plain push. Every hooked push must end " +
        `with the hook's "${pushed} new commits verified" line and the bare repository's main at ` +
        "the pushed commit. The tampered case pushes the same history plus one commit that " +
        `changes ${TAMPERED_PATH} without signing it: the hook must refuse it (exit non-zero, ` +
        '"push refused by the server", a FAIL line for that file) and the bare repository ' +
        "must hold no ref afterwards.",
      date: new Date().toISOString(),
      quick: options.quick,
      seconds: 0,
      machine,
      method: [...METHOD],
      fixtures,
      cases,
      targets,
      notes,
    };
    result.seconds = Math.round((performance.now() - started) / 100) / 10;
    await writeResult(result);
    return result;
  } finally {
    await removeWorkspace(workspace, options.keep);
  }
}

/**
 * Commits, on a branch of its own, a change to TAMPERED_PATH that nobody
 * signed; the working tree is back on main afterwards.
 */
async function tamperedCommit(
  workspace: Workspace,
  source: string,
): Promise<string> {
  await git(workspace, source, ["checkout", "-q", "-b", "tampered"]);
  await Deno.writeTextFile(
    join(source, TAMPERED_PATH),
    configText("p0", "6.6.6"),
  );
  await git(workspace, source, [
    "commit",
    "-q",
    "--no-verify",
    "-am",
    "Unsigned change",
  ]);
  const id = (await git(workspace, source, ["rev-parse", "HEAD"])).trim();
  await git(workspace, source, ["checkout", "-q", "main"]);
  return id;
}

function pushContender(
  workspace: Workspace,
  source: string,
  spec: PushSpec,
): Contender {
  const bare = join(
    workspace.root,
    `bare-${spec.id}${spec.refused ? "-refused" : ""}`,
  );
  const push = [
    "push",
    "--no-verify",
    bare,
    `${spec.commit}:refs/heads/main`,
  ];
  return {
    id: spec.id,
    label: spec.label,
    // A refused push exits non-zero, which the harness takes for a broken
    // run: `!` turns the refusal into success and a success into failure.
    launch: spec.refused
      ? {
        command: "sh",
        args: ["-c", '! git "$@"', "sh", ...push],
        cwd: source,
        env: workspace.env,
      }
      : { command: "git", args: push, cwd: source, env: workspace.env },
    before: () => freshBare(workspace, bare, spec.launcher),
    check: (output) => checkPush(workspace, bare, spec, output),
  };
}

async function freshBare(
  workspace: Workspace,
  bare: string,
  launcher: Launcher | undefined,
): Promise<void> {
  await Deno.remove(bare, { recursive: true }).catch((error: unknown) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await git(workspace, workspace.root, ["init", "-q", "--bare", bare]);
  if (!launcher) return;
  await tool(workspace, launcher, ["install", "--server"], bare);
  const hook = await Deno.readTextFile(join(bare, "hooks", "pre-receive"));
  const calls = launcher.id === "deno" ? "main.ts" : launcher.command;
  if (!hook.includes(calls)) {
    throw new Error(
      `The pre-receive hook installed by ${launcher.label} does not call it`,
    );
  }
}

async function checkPush(
  workspace: Workspace,
  bare: string,
  spec: PushSpec,
  output: Output,
): Promise<void> {
  const refs = (await git(workspace, bare, [
    "for-each-ref",
    "--format=%(objectname) %(refname)",
  ])).trim();
  const said = output.stderr.trim().split("\n").filter((l) =>
    l.startsWith("remote: ")
  ).join("\n");
  const fail = (why: string) => {
    throw new Error(
      `${spec.label}: ${why}; the server said:\n${said || "(nothing)"}`,
    );
  };
  if (spec.refused) {
    const refusal = new RegExp(
      `push refused by the server: 1 of ${spec.commits} new commits fail`,
    );
    if (!refusal.test(said)) fail("no refusal of the tampered commit");
    if (!said.includes(`FAIL  ${TAMPERED_PATH}`)) {
      fail(`no FAIL line for ${TAMPERED_PATH}`);
    }
    if (refs !== "") fail(`the server holds refs after a refusal: ${refs}`);
    return;
  }
  if (refs !== `${spec.commit} refs/heads/main`) {
    fail(`the server's refs are not the pushed main: ${refs || "(none)"}`);
  }
  if (spec.launcher) {
    if (
      !said.includes(`mcp-orchestration: ${spec.commits} new commits verified`)
    ) {
      fail(`no "${spec.commits} new commits verified" line`);
    }
  } else if (said.includes("mcp-orchestration")) {
    fail("a hook ran in the plain repository");
  }
}

/**
 * The hook's time (push with the hook − plain push) over `verify --range`
 * of the same commits through the same launcher, round by round.
 */
function hookOverRange(push: CaseResult, hookId: string): string {
  const samples = (id: string) => {
    const found = push.contenders.find((c) => c.id === id);
    return new Map(
      (found?.rounds ?? []).map((round, i) => [
        round,
        found!.samples[i]!.wallMs,
      ]),
    );
  };
  const hook = samples(hookId);
  const plain = samples("plain");
  const range = samples(hookId.replace(/^hook-/, "range-"));
  const ratios = [...hook].flatMap(([round, ms]) => {
    const p = plain.get(round);
    const r = range.get(round);
    return p !== undefined && r !== undefined ? [(ms - p) / r] : [];
  });
  if (ratios.length === 0) return "no verify --range to compare with";
  const s = summarize(ratios);
  return `that is ${s.median.toFixed(2)}× verify --range of the same commits ` +
    `in the same rounds (median, min–max ${s.min.toFixed(2)}–${
      s.max.toFixed(2)
    }×)`;
}

function receiveTargets(
  push: CaseResult,
  launchers: readonly Launcher[],
): Target[] {
  return launchers.map((l) => {
    const id = `hook-${l.id}`;
    const ratio = push.ratios.find((r) => r.a === id && r.b === "plain");
    return evaluate({
      description: `pre-receive of a push of ${
        COMMITS.toLocaleString("en")
      } new commits < ${LIMIT_SECONDS} s (push with the hook − plain push)`,
      short: "hook time",
      contender: id,
      case: push.id,
      ...(ratio ? { value: ratio.differenceMs.median / 1000 } : {}),
      limit: LIMIT_SECONDS,
      comparison: "<",
      unit: "s",
      how:
        `median of the per-round differences, push with the hook − plain push (${
          (COMMITS + 1).toLocaleString("en")
        } commits: the root commit too)`,
    });
  });
}

if (import.meta.main) {
  const options = parseBenchArgs(Deno.args);
  await receiveBench(options);
  await updatePerformanceDoc();
}
