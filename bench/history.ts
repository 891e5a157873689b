/**
 * Benchmark 3, history: `verify --range` over 1,000 commits that each
 * change one of 10 configs (and over the last 100, for the growth), with
 * each launcher. The history is built by bench/build_history.ts: every
 * version signed by the tool's library and committed with `git commit`
 * before the next is signed (a version follows the one HEAD holds).
 *
 * Run alone: `deno task bench history [--quick] [--keep] [--no-build]`.
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import {
  type BenchOptions,
  type BenchResult,
  type CaseResult,
  evaluate,
  fitScaling,
  machineInfo,
  METHOD,
  parseBenchArgs,
  ROOT,
  run,
  runCase,
  type Target,
  writeResult,
} from "./harness.ts";
import {
  configText,
  createWorkspace,
  git,
  PRINCIPAL,
  removeWorkspace,
  signedHistory,
  timed,
  tool,
  toolLaunch,
  toolLaunchers,
} from "./fixtures.ts";
import { updatePerformanceDoc } from "./report.ts";

/** Commits in the range the target is set for. */
const COMMITS = 1000;
/** Configs in the repository; commit i changes config i mod CONFIGS. */
const CONFIGS = 10;
/** Commits of the trust-list case, each changing one line of the list. */
const TRUST_COMMITS = 50;
/** Keys in that list besides the signer's: about 0.9 MiB, near its limit. */
const TRUST_LINES = 7000;
/**
 * The memory limit of the trust-list case, MiB. Measured here: 308 MiB over
 * 100 such commits, where the code before review item 12 kept every parsed
 * list and took 985 MiB (both on the same machine and repository).
 */
const TRUST_MEMORY_MIB = 384;

/**
 * Runs the history benchmark.
 *
 * @param options Command-line options.
 * @returns The result, also written to bench/results/history.json.
 */
export async function historyBench(
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
    const dir = join(workspace.root, "history");
    await signedHistory(workspace, dir, {
      commits: COMMITS,
      configs: CONFIGS,
      launcher: launchers[0]!,
      record: fixtures,
    });
    const root =
      (await git(workspace, dir, ["rev-list", "--max-parents=0", "HEAD"]))
        .trim();
    const cases: CaseResult[] = [];
    for (const n of [100, COMMITS]) {
      const range = n === COMMITS ? `${root}..HEAD` : `HEAD~${n}..HEAD`;
      console.log(`verify --range over ${n} commits`);
      cases.push(
        await runCase(
          {
            id: `range-${n}`,
            title: `verify --range over ${n.toLocaleString("en")} commits`,
            n,
            unit: "commits",
            contenders: launchers.map((l) => ({
              id: `tool-${l.id}`,
              label: `verify --range (${l.label})`,
              launch: toolLaunch(
                workspace,
                l,
                ["verify", "--range", range],
                dir,
              ),
              check: (output) => {
                if (
                  !new RegExp(`\\b${n} commits: ${n} verified`).test(
                    output.stdout,
                  )
                ) {
                  throw new Error(
                    `verify --range did not verify ${n} commits: ${
                      output.stdout.trim().split("\n").at(-1)
                    }`,
                  );
                }
              },
            })),
            ...(launchers.length > 1 ? { reference: "tool-deno" } : {}),
          },
          options.quick ? { runs: 2, warmup: 1 } : {
            runs: 7,
            warmup: 1,
            minRuns: 3,
            budgetSeconds: 120,
          },
        ),
      );
    }
    cases.push(await trustListCase(workspace, launchers, fixtures, options));
    const scaling = fitScaling(cases.filter((c) => c.unit === "commits"));
    const result: BenchResult = {
      name: "history",
      title: "3. History",
      description:
        `\`verify --range\` over ${
          COMMITS.toLocaleString("en")
        } commits, each changing one of ` +
        `${CONFIGS} configs (round-robin) and signing it, so each commit adds a statement, ` +
        "a signature and an artifact and updates the index; and over the last 100 of them. " +
        "The history is built with the tool's own library (signConfigs, one call per version, " +
        "the code `sign` runs), each committed before the next is signed; the tree of the last commit is " +
        "checked to be exactly what the tool wrote. And the memory case of review item 12: " +
        `${TRUST_COMMITS} commits that each change one line of a ${TRUST_LINES}-key trust list ` +
        "(0.9 MiB, near its 1 MiB limit), each version signed: every parsed version used to be kept.",
      date: new Date().toISOString(),
      quick: options.quick,
      seconds: 0,
      machine,
      method: [...METHOD],
      fixtures,
      cases,
      scaling,
      targets: historyTargets(
        cases,
        scaling,
        launchers.map((l) => `tool-${l.id}`),
      ),
      notes,
    };
    result.seconds = Math.round((performance.now() - started) / 100) / 10;
    await writeResult(result);
    return result;
  } finally {
    await removeWorkspace(workspace, options.keep);
  }
}

// Review item 12: every trust-list version parsed used to be kept for the
// whole run, about 20 MB per commit for a list near its size limit.
async function trustListCase(
  workspace: Awaited<ReturnType<typeof createWorkspace>>,
  launchers: Awaited<ReturnType<typeof toolLaunchers>>,
  fixtures: Record<string, number>,
  options: BenchOptions,
): Promise<CaseResult> {
  const dir = join(workspace.root, "trust-history");
  await git(workspace, workspace.root, ["init", "-q", dir]);
  await Deno.writeTextFile(join(dir, ".mcp.json"), configText("t", "1.0.0"));
  await tool(workspace, launchers[0]!, [
    "trust",
    "add",
    workspace.publicKey,
    "--principal",
    PRINCIPAL,
  ], dir);
  await timed(
    fixtures,
    `${TRUST_COMMITS} commits, each changing one line of a ${TRUST_LINES}-key trust list`,
    () =>
      run("deno", [
        "run",
        ...PERMISSION_FLAGS,
        join(ROOT, "bench", "build_history.ts"),
        dir,
        String(TRUST_COMMITS),
        workspace.key,
        "--trust-lines",
        String(TRUST_LINES),
      ], { env: workspace.env }),
  );
  console.log(`verify --range over ${TRUST_COMMITS} trust-list changes`);
  return await runCase(
    {
      id: "trust-list",
      title:
        `verify --range over ${TRUST_COMMITS} commits, each changing one line of a ${TRUST_LINES}-key trust list (0.9 MiB)`,
      n: TRUST_COMMITS,
      unit: "trust-list commits",
      contenders: launchers.map((l) => ({
        id: `tool-${l.id}`,
        label: `verify --range (${l.label})`,
        launch: toolLaunch(
          workspace,
          l,
          ["verify", "--range", `HEAD~${TRUST_COMMITS}..HEAD`],
          dir,
        ),
        check: (output) => {
          if (
            !new RegExp(
              `\\b${TRUST_COMMITS} commits: ${TRUST_COMMITS} verified`,
            )
              .test(output.stdout)
          ) {
            throw new Error(
              `verify --range did not verify ${TRUST_COMMITS} commits: ${
                output.stdout.trim().split("\n").at(-1)
              }`,
            );
          }
        },
      })),
      ...(launchers.length > 1 ? { reference: "tool-deno" } : {}),
    },
    options.quick
      ? { runs: 1, warmup: 0 }
      : { runs: 3, warmup: 1, minRuns: 2, budgetSeconds: 120 },
  );
}

function historyTargets(
  cases: readonly CaseResult[],
  scaling: ReturnType<typeof fitScaling>,
  ids: readonly string[],
): Target[] {
  const full = cases.find((c) => c.n === COMMITS);
  const trustCase = cases.find((c) => c.id === "trust-list");
  return ids.flatMap((id) => {
    const mine = full?.contenders.find((c) => c.id === id);
    const trustRun = trustCase?.contenders.find((c) => c.id === id);
    const slope = scaling.find((s) => s.contender === id)?.slope;
    return [
      evaluate({
        description:
          `peak memory < ${TRUST_MEMORY_MIB} MiB over ${TRUST_COMMITS} changes of a 0.9 MiB trust list`,
        short: "trust memory",
        contender: id,
        case: "trust-list",
        ...(trustRun ? { value: trustRun.rssMiB.median } : {}),
        limit: TRUST_MEMORY_MIB,
        comparison: "<",
        unit: "MiB",
        how: "median peak RSS (GNU time)",
      }),
      evaluate({
        // Issue 17 lowered it from 3 s.
        description: "verify --range over 1,000 commits < 2 s",
        short: "time",
        contender: id,
        case: `range-${COMMITS}`,
        ...(mine ? { value: mine.wallMs.median / 1000 } : {}),
        limit: 2,
        comparison: "<",
        unit: "s",
        how: "median wall time",
      }),
      // Peak memory is reported in the tables; the issue sets its limit for
      // verify at N = 10,000 configs, not for history.
      evaluate({
        description:
          "growth linear or better: slope of log(time) vs log(commits) ≤ 1.1",
        short: "slope",
        contender: id,
        case: "range-*",
        ...(slope === undefined ? {} : { value: slope }),
        limit: 1.1,
        comparison: "<=",
        unit: "",
        how: "least-squares fit over 100 and 1,000 commits",
      }),
    ];
  });
}

if (import.meta.main) {
  const options = parseBenchArgs(Deno.args);
  await historyBench(options);
  await updatePerformanceDoc();
}
