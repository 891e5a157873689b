/**
 * Benchmark 6, link fan-out: `verify` (the working tree) and `verify --rev
 * HEAD` of a repository with N symbolic links to one folder of N files
 * (N = 1,000, 10,000, 50,000; `--quick`: up to 10,000), with each launcher,
 * and the fitted growth over N. Checking what a client reads through the
 * links once cost links × files (each link listed every path beneath its
 * target); it is now one pass over the listing, so the time must grow
 * linearly with N.
 *
 * Run alone: `deno task bench links [--quick] [--keep] [--no-build]`.
 *
 * @module
 */

import { join } from "node:path";
import {
  type BenchOptions,
  type BenchResult,
  type CaseResult,
  evaluate,
  fitScaling,
  machineInfo,
  METHOD,
  parseBenchArgs,
  runCase,
  type Scaling,
  type Target,
  writeResult,
} from "./harness.ts";
import {
  configText,
  createWorkspace,
  git,
  type Launcher,
  PRINCIPAL,
  removeWorkspace,
  timed,
  tool,
  toolLaunch,
  toolLaunchers,
  type Workspace,
} from "./fixtures.ts";
import { updatePerformanceDoc } from "./report.ts";

/** The size the targets are set at. */
const TARGET_N = 50_000;

/**
 * Runs the link fan-out benchmark.
 *
 * @param options Command-line options.
 * @returns The result, also written to bench/results/links.json.
 */
export async function linksBench(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const notes: string[] = [];
  const fixtures: Record<string, number> = {};
  const sizes = options.quick ? [1000, 10_000] : [1000, 10_000, TARGET_N];
  const workspace = await createWorkspace();
  try {
    const launchers = await toolLaunchers(options, workspace, notes);
    const machine = await machineInfo(
      Object.fromEntries(launchers.map((l) => [`tool (${l.id})`, l.version])),
    );
    const cases: CaseResult[] = [];
    for (const n of sizes) {
      const dir = join(workspace.root, `links-${n}`);
      await linkedRepository(workspace, dir, n, launchers[0]!, fixtures);
      console.log(`links, N = ${n.toLocaleString("en")}`);
      cases.push(
        await runCase(
          {
            id: `links-${n}`,
            title: `verify of a repository with ${
              n.toLocaleString("en")
            } links to a folder of ${n.toLocaleString("en")} files`,
            n,
            unit: "links",
            contenders: launchers.flatMap((l) => [
              {
                id: `tree-${l.id}`,
                label: `verify, working tree (${l.label})`,
                launch: toolLaunch(workspace, l, ["verify"], dir),
                check: expect(`verify (${l.id})`, /\b1 verified, 0 failed/),
              },
              {
                id: `rev-${l.id}`,
                label: `verify --rev HEAD (${l.label})`,
                launch: toolLaunch(
                  workspace,
                  l,
                  ["verify", "--rev", "HEAD"],
                  dir,
                ),
                check: expect(
                  `verify --rev (${l.id})`,
                  /1 commit: 1 verified, 0 failed/,
                ),
              },
            ]),
            ...(launchers.length > 1 ? { reference: "tree-deno" } : {}),
          },
          options.quick
            ? { runs: 3, warmup: 1 }
            : { runs: 7, warmup: 1, minRuns: 3, budgetSeconds: 120 },
        ),
      );
    }
    const scaling = fitScaling(cases);
    const result: BenchResult = {
      name: "links",
      title: "6. Link fan-out",
      description:
        "`verify` of the working tree and `verify --rev HEAD` of a committed repository holding " +
        "one signed `.mcp.json`, a folder `lib/` of N small files and N symbolic links " +
        "`links/lNNNNN -> ../lib`, whole process, with each launcher. Nothing beneath `lib/` " +
        "is named like a config, so every link is followed and found clean: the run does the " +
        "whole check of links and submodules (every link's target read, the listing marked " +
        "once) and passes. A check that listed every path beneath each link's target would do " +
        "N × N steps. Scaling: least-squares slope of log(median time) against log(N) " +
        "(1 = linear; whole-process times, so the fixed start-up pulls it below 1 at small N).",
      date: new Date().toISOString(),
      quick: options.quick,
      seconds: 0,
      machine,
      method: [...METHOD],
      fixtures,
      cases,
      scaling,
      targets: linksTargets(cases, scaling, launchers, options.quick),
      notes,
    };
    result.seconds = Math.round((performance.now() - started) / 100) / 10;
    await writeResult(result);
    return result;
  } finally {
    await removeWorkspace(workspace, options.keep);
  }
}

function expect(what: string, pattern: RegExp) {
  return (output: { stdout: string }) => {
    if (!pattern.test(output.stdout)) {
      throw new Error(
        `${what} did not report ${pattern}: ${
          output.stdout.trim().split("\n").at(-1)
        }`,
      );
    }
  };
}

/**
 * A committed repository with one signed config, `lib/` holding `n` files
 * and `links/` holding `n` links to it.
 */
async function linkedRepository(
  workspace: Workspace,
  dir: string,
  n: number,
  launcher: Launcher,
  record: Record<string, number>,
): Promise<void> {
  await git(workspace, workspace.root, ["init", "-q", dir]);
  await Deno.writeTextFile(join(dir, ".mcp.json"), configText("links", "1"));
  await tool(workspace, launcher, [
    "trust",
    "add",
    workspace.publicKey,
    "--principal",
    PRINCIPAL,
  ], dir);
  await tool(workspace, launcher, ["sign"], dir);
  await timed(record, `write ${n} files and ${n} links`, async () => {
    await Deno.mkdir(join(dir, "lib"));
    await Deno.mkdir(join(dir, "links"));
    const width = String(n - 1).length;
    for (let i = 0; i < n; i++) {
      const name = String(i).padStart(width, "0");
      await Deno.writeTextFile(join(dir, "lib", `f${name}.txt`), `${i}\n`);
      await Deno.symlink("../lib", join(dir, "links", `l${name}`));
    }
  });
  await timed(
    record,
    `git add + commit ${n} files and ${n} links`,
    async () => {
      await git(workspace, dir, ["add", "-A"]);
      await git(workspace, dir, ["commit", "-q", "--no-verify", "-m", "Links"]);
    },
  );
}

function linksTargets(
  cases: readonly CaseResult[],
  scaling: readonly Scaling[],
  launchers: readonly Launcher[],
  quick: boolean,
): Target[] {
  const atTarget = cases.find((c) => c.n === TARGET_N);
  const how = (text: string) =>
    quick ? `${text} (not measured under --quick: N ≤ 10,000)` : text;
  return launchers.flatMap((l) =>
    [`tree-${l.id}`, `rev-${l.id}`].flatMap((id) => {
      const mine = atTarget?.contenders.find((c) => c.id === id);
      const slope = scaling.find((s) => s.contender === id)?.slope;
      return [
        evaluate({
          description:
            "verify with 50,000 links to 50,000 files < 3 s, whole process",
          short: "time",
          contender: id,
          case: `links-${TARGET_N}`,
          ...(mine ? { value: mine.wallMs.median / 1000 } : {}),
          limit: 3,
          comparison: "<",
          unit: "s",
          how: how("median wall time"),
        }),
        evaluate({
          description:
            "growth linear or better: slope of log(time) vs log(links) ≤ 1.1",
          short: "slope",
          contender: id,
          case: "links-*",
          ...(slope === undefined ? {} : { value: slope }),
          limit: 1.1,
          comparison: "<=",
          unit: "",
          how: `least-squares fit over N = ${cases.map((c) => c.n).join(", ")}`,
        }),
      ];
    })
  );
}

if (import.meta.main) {
  const options = parseBenchArgs(Deno.args);
  await linksBench(options);
  await updatePerformanceDoc();
}
