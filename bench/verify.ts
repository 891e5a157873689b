/**
 * Benchmark 2, verify throughput and scaling: `verify` of a working tree of
 * N signed configs (N = 100, 1,000, 10,000; `--quick`: up to 1,000) with
 * each launcher, against stock `ssh-keygen -Y verify` run once per
 * signature (bench/ssh_keygen_verify.sh) and against a native Ed25519 loop
 * in Node (bench/native_verify.mjs), the practical limit. Then the fitted
 * growth of each contender over N.
 *
 * Run alone: `deno task bench verify [--quick] [--keep] [--no-build]`.
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
  fitScaling,
  machineInfo,
  METHOD,
  parseBenchArgs,
  type Plan,
  ROOT,
  runCase,
  type Scaling,
  summarize,
  type Target,
  writeResult,
} from "./harness.ts";
import {
  createWorkspace,
  type Launcher,
  PRINCIPAL,
  removeWorkspace,
  signedRepository,
  toolLaunch,
  toolLaunchers,
  type Workspace,
} from "./fixtures.ts";
import { updatePerformanceDoc } from "./report.ts";

/** The size the targets are set at. */
const TARGET_N = 10_000;

/**
 * Runs per size. ssh-keygen (about 5 ms a signature, a minute at 10,000)
 * runs fewer times at large N, and once at 10,000.
 */
function planFor(n: number, quick: boolean): Plan & { sshRuns: number } {
  if (n <= 100) {
    return quick
      ? { runs: 5, warmup: 1, sshRuns: 5 }
      : { runs: 15, warmup: 2, sshRuns: 15 };
  }
  if (n <= 1000) {
    return quick
      ? { runs: 3, warmup: 1, sshRuns: 2 }
      : { runs: 9, warmup: 1, sshRuns: 5 };
  }
  return { runs: 5, warmup: 1, sshRuns: 1, minRuns: 3, budgetSeconds: 120 };
}

/**
 * Runs the verify benchmark.
 *
 * @param options Command-line options.
 * @returns The result, also written to bench/results/verify.json.
 */
export async function verifyBench(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const notes: string[] = [];
  const fixtures: Record<string, number> = {};
  const sizes = options.quick ? [100, 1000] : [100, 1000, TARGET_N];
  const workspace = await createWorkspace();
  try {
    const launchers = await toolLaunchers(options, workspace, notes);
    const machine = await machineInfo(
      Object.fromEntries(launchers.map((l) => [`tool (${l.id})`, l.version])),
    );
    const cases: CaseResult[] = [];
    const nativeLoop: Record<
      string,
      { medianMs: number; perSignatureUs: number }
    > = {};
    for (const n of sizes) {
      const dir = join(workspace.root, `verify-${n}`);
      await signedRepository(workspace, dir, n, launchers[0]!, fixtures);
      const plan = planFor(n, options.quick);
      const loops: number[] = [];
      console.log(`verify, N = ${n.toLocaleString("en")}`);
      const result = await runCase({
        id: `verify-${n}`,
        title: `verify of a working tree with ${
          n.toLocaleString("en")
        } signed configs`,
        n,
        unit: "configs",
        contenders: contenders(workspace, launchers, dir, n, plan, loops),
        reference: "native",
        pairs: launchers.flatMap((l): [string, string][] => [
          ["ssh-keygen", `tool-${l.id}`],
        ]),
      }, plan);
      cases.push(result);
      const loop = summarize(loops).median;
      nativeLoop[String(n)] = {
        medianMs: Math.round(loop * 10) / 10,
        perSignatureUs: Math.round((loop / (n + 1)) * 1000 * 10) / 10,
      };
      if (plan.sshRuns < plan.runs) {
        notes.push(
          `At N = ${n.toLocaleString("en")}, ssh-keygen ran ${
            plan.sshRuns === 1 ? "once" : `${plan.sshRuns} times`
          } ` +
            `(about 5 ms a signature), the others up to ${plan.runs}; its ratios use the rounds it ran in.`,
        );
      }
      if (result.plan.stoppedEarly) {
        notes.push(
          `At N = ${
            n.toLocaleString("en")
          }, the rounds stopped after ${result.plan.rounds} ` +
            `of ${plan.runs}: the ${plan.budgetSeconds} s budget was spent.`,
        );
      }
    }
    const scaling = fitScaling(cases);
    const result: BenchResult = {
      name: "verify",
      title: "2. Verify throughput and 5. scaling",
      description:
        "`verify` of a committed working tree of N signed configs (`packages/pNNNN/.mcp.json`, " +
        "each about 200 bytes, signed by one `sign` run), whole process, with each launcher; " +
        "against stock `ssh-keygen -Y verify` once per signature over the same statements and " +
        "`.sig` files (bench/ssh_keygen_verify.sh: the statement is the message, namespace " +
        "`mcp-orchestration`, the store's allowed_signers), and against a Node loop that parses " +
        "each SSHSIG armor and calls node:crypto's Ed25519 verify (bench/native_verify.mjs, the " +
        "practical limit). ssh-keygen and the loop check N + 1 signatures (the trust list has one " +
        "too) and nothing else; the tool also hashes each config and its stored artifact, checks " +
        "the index, the statements and the trust list. Scaling: least-squares slope of " +
        "log(median time) against log(N) (1 = linear; whole-process times, so the fixed start-up " +
        "pulls it below 1 at small N).",
      date: new Date().toISOString(),
      quick: options.quick,
      seconds: 0,
      machine,
      method: [...METHOD],
      fixtures,
      cases,
      scaling,
      targets: verifyTargets(cases, scaling, launchers, options.quick),
      notes,
      extra: { nativeLoop },
    };
    result.seconds = Math.round((performance.now() - started) / 100) / 10;
    await writeResult(result);
    return result;
  } finally {
    await removeWorkspace(workspace, options.keep);
  }
}

function contenders(
  workspace: Workspace,
  launchers: readonly Launcher[],
  dir: string,
  n: number,
  plan: Plan & { sshRuns: number },
  loops: number[],
): Contender[] {
  const expect =
    (what: string, pattern: RegExp) => (output: { stdout: string }) => {
      if (!pattern.test(output.stdout)) {
        throw new Error(
          `${what} did not report ${pattern}: ${
            output.stdout.trim().split("\n").at(-1)
          }`,
        );
      }
    };
  return [
    ...launchers.map((l): Contender => ({
      id: `tool-${l.id}`,
      label: `verify (${l.label})`,
      launch: toolLaunch(workspace, l, ["verify"], dir),
      check: expect(
        `verify (${l.id})`,
        new RegExp(`\\b${n} verified, 0 failed`),
      ),
    })),
    {
      id: "ssh-keygen",
      label: "ssh-keygen -Y verify, once per signature",
      launch: {
        command: "sh",
        args: [join(ROOT, "bench", "ssh_keygen_verify.sh"), PRINCIPAL],
        cwd: dir,
        env: workspace.env,
      },
      maxRuns: plan.sshRuns,
      warmup: 0,
      check: expect(
        "ssh-keygen",
        new RegExp(`^${n + 1} signatures verified$`, "m"),
      ),
    },
    {
      id: "native",
      label: "native loop (node:crypto Ed25519)",
      launch: {
        command: "node",
        args: [join(ROOT, "bench", "native_verify.mjs")],
        cwd: dir,
        env: workspace.env,
      },
      check: (output) => {
        expect("native loop", new RegExp(`^${n + 1} signatures verified`, "m"))(
          output,
        );
        loops.push(Number(/in ([\d.]+) ms/.exec(output.stdout)?.[1]));
      },
    },
  ];
}

function verifyTargets(
  cases: readonly CaseResult[],
  scaling: readonly Scaling[],
  launchers: readonly Launcher[],
  quick: boolean,
): Target[] {
  const atTarget = cases.find((c) => c.n === TARGET_N);
  const caseId = `verify-${TARGET_N}`;
  const how = (text: string) =>
    quick ? `${text} (not measured under --quick: N ≤ 1,000)` : text;
  return launchers.flatMap((l) => {
    const id = `tool-${l.id}`;
    const mine = atTarget?.contenders.find((c) => c.id === id);
    const vsSsh = atTarget?.ratios.find((r) =>
      r.a === "ssh-keygen" && r.b === id
    );
    const vsNative = atTarget?.ratios.find((r) =>
      r.a === id && r.b === "native"
    );
    const slope = scaling.find((s) => s.contender === id)?.slope;
    return [
      evaluate({
        description: "verify of 10,000 signed configs < 2 s, whole process",
        short: "time",
        contender: id,
        case: caseId,
        ...(mine ? { value: mine.wallMs.median / 1000 } : {}),
        limit: 2,
        comparison: "<",
        unit: "s",
        how: how("median wall time"),
      }),
      evaluate({
        description:
          "at N = 10,000, ≥ 20× faster than ssh-keygen once per file",
        short: "faster than ssh-keygen",
        contender: id,
        case: caseId,
        ...(vsSsh ? { value: vsSsh.ratio.median } : {}),
        limit: 20,
        comparison: ">=",
        unit: "×",
        how: how("median of per-round ratios ssh-keygen / tool"),
      }),
      evaluate({
        description:
          "at N = 10,000, within 3× of the native loop's per-signature cost",
        short: "vs native loop",
        contender: id,
        case: caseId,
        ...(vsNative ? { value: vsNative.ratio.median } : {}),
        limit: 3,
        comparison: "<=",
        unit: "×",
        how: how(
          "median of per-round ratios tool / native loop, whole processes at the same N",
        ),
      }),
      evaluate({
        description: "peak memory < 150 MiB at N = 10,000",
        short: "peak RSS",
        contender: id,
        case: caseId,
        ...(mine ? { value: mine.rssMiB.median } : {}),
        limit: 150,
        comparison: "<",
        unit: "MiB",
        how: how("median of the runs' peak RSS"),
      }),
      evaluate({
        description:
          "growth linear or better: slope of log(time) vs log(N) ≤ 1.1",
        short: "slope",
        contender: id,
        case: "verify-*",
        ...(slope === undefined ? {} : { value: slope }),
        limit: 1.1,
        comparison: "<=",
        unit: "",
        how: `least-squares fit over N = ${cases.map((c) => c.n).join(", ")}`,
      }),
    ];
  });
}

if (import.meta.main) {
  const options = parseBenchArgs(Deno.args);
  await verifyBench(options);
  await updatePerformanceDoc();
}
