/**
 * The benchmark harness: runs contenders alternately (A B C, B C A, …, so a
 * noisy machine slows every contender alike and their ratios survive),
 * measures each run as a whole child process (wall time with
 * `performance.now()` around it, peak resident memory with GNU
 * `/usr/bin/time -f %M`), summarises the runs (median, min, max,
 * quartiles), pairs the runs of one round to compute ratios, and writes
 * `bench/results/<name>.json` with the machine it ran on.
 *
 * @module
 */

import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The checkout's root folder. */
export const ROOT: string = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
);
/** Where results go, one JSON file per benchmark. */
export const RESULTS_DIR: string = join(ROOT, "bench", "results");
/** GNU time, whose `%M` is the peak resident set size of the child (KiB). */
export const GNU_TIME = "/usr/bin/time";

/** Options every benchmark takes. */
export interface BenchOptions {
  /** Fewer runs, N up to 1,000. */
  quick: boolean;
  /** Keep the temporary folder with the fixtures. */
  keep: boolean;
  /** Do not (re)build dist/mcp-orchestration. */
  noBuild: boolean;
  /** Benchmarks to run (empty: all). */
  only: string[];
}

/**
 * Parses the command line shared by `bench/main.ts` and each benchmark.
 *
 * @param args The arguments, e.g. `Deno.args`.
 * @returns The options; exits with a usage message on `--help` or a typo.
 */
export function parseBenchArgs(args: readonly string[]): BenchOptions {
  const usage = "Usage: deno task bench [commit|verify|history…] " +
    "[--quick] [--keep] [--no-build]\n\n" +
    "  --quick     fewer runs, N up to 1,000 (one to two minutes)\n" +
    "  --keep      keep the temporary folder with the fixtures\n" +
    "  --no-build  use dist/mcp-orchestration as it is (default: rebuild it\n" +
    "              with `deno task compile` when missing or older than src/)";
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        quick: { type: "boolean", default: false },
        keep: { type: "boolean", default: false },
        "no-build": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n`);
    console.error(usage);
    Deno.exit(2);
  }
  if (parsed.values.help) {
    console.log(usage);
    Deno.exit(0);
  }
  return {
    quick: parsed.values.quick,
    keep: parsed.values.keep,
    noBuild: parsed.values["no-build"],
    only: parsed.positionals,
  };
}

// --- Running and measuring one process ---

/** A command line with where and how to run it. */
export interface Launch {
  /** Program (looked up on the child's PATH by GNU time). */
  command: string;
  /** Its arguments. */
  args: readonly string[];
  /** Working folder. */
  cwd: string;
  /** The whole environment of the child (nothing else is inherited). */
  env: Record<string, string>;
}

/** One measured run. */
export interface Sample {
  /** Wall time of the whole child process, in milliseconds. */
  wallMs: number;
  /** Peak resident set size of the child and its waited-for descendants, KiB. */
  rssKiB: number;
}

/** What a measured process printed. */
export interface Output {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error (without GNU time's line). */
  stderr: string;
}

const decoder = new TextDecoder();

/**
 * Runs a command under GNU time and measures it.
 *
 * @param launch What to run.
 * @param rssFile A scratch file for GNU time's report.
 * @returns The sample and the output.
 * @throws {Error} When GNU time's report cannot be read.
 */
export async function measure(
  launch: Launch,
  rssFile: string,
): Promise<{ sample: Sample; output: Output }> {
  const command = new Deno.Command(GNU_TIME, {
    args: ["-f", "%M", "-o", rssFile, launch.command, ...launch.args],
    cwd: launch.cwd,
    env: launch.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const start = performance.now();
  const out = await command.output();
  const wallMs = performance.now() - start;
  // On failure GNU time writes "Command exited with non-zero status N"
  // first; %M is always the last line.
  const report = (await Deno.readTextFile(rssFile)).trim().split("\n");
  const rssKiB = Number(report.at(-1));
  if (!Number.isFinite(rssKiB)) {
    throw new Error(`Cannot read GNU time's report: "${report.join(" ")}"`);
  }
  return {
    sample: { wallMs, rssKiB },
    output: {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    },
  };
}

/**
 * Runs a command (not measured) and returns its standard output.
 *
 * @param command Program.
 * @param args Arguments.
 * @param options Working folder, environment (inherited when not given),
 * and text for standard input.
 * @returns Standard output.
 * @throws {Error} When the command exits non-zero, with its output.
 */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await new Deno.Command(command, {
    args: [...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env, clearEnv: true } : {}),
  }).output();
  const stdout = decoder.decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(
      `"${command} ${args.join(" ")}" failed (exit ${out.code}):\n${
        tail(decoder.decode(out.stderr) + stdout)
      }`,
    );
  }
  return stdout;
}

/** The last lines of a long output, for error messages. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

// --- Statistics ---

/** Summary of a set of numbers. */
export interface Summary {
  /** How many. */
  n: number;
  /** Median. */
  median: number;
  /** Smallest. */
  min: number;
  /** Largest. */
  max: number;
  /** First quartile (linear interpolation). */
  q1: number;
  /** Third quartile. */
  q3: number;
}

/**
 * Summarises a non-empty list of numbers.
 *
 * @param values The numbers.
 * @returns Median, min, max and quartiles.
 * @throws {Error} On an empty list.
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error("Cannot summarise no values");
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted.at(-1)!,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
  };
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

/**
 * Least-squares slope of log(y) against log(x): the growth exponent
 * (1 = linear).
 *
 * @param points At least two points with positive coordinates.
 * @returns The slope, or undefined with fewer than two distinct x.
 */
export function logLogSlope(
  points: readonly { x: number; y: number }[],
): number | undefined {
  const xs = points.map((p) => Math.log(p.x));
  const ys = points.map((p) => Math.log(p.y));
  if (new Set(xs).size < 2) return undefined;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (const [i, x] of xs.entries()) {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  }
  return sxy / sxx;
}

// --- Alternating runs ---

/** One contender of a case. */
export interface Contender {
  /** Short id used in ratios and targets, e.g. `hook-deno`. */
  id: string;
  /** What the table shows, e.g. `pre-commit hook (deno run)`. */
  label: string;
  /** What to run. */
  launch: Launch;
  /** At most this many measured runs (default: the plan's). */
  maxRuns?: number;
  /** Warm-up runs (default: the plan's). */
  warmup?: number;
  /** Not timed: before each run (warm-up included), e.g. edit a file. */
  before?: () => Promise<void>;
  /** Not timed: checks a run's outcome; throws when it did not do the job. */
  check?: (output: Output) => Promise<void> | void;
}

/** How many runs, and when to stop early. */
export interface Plan {
  /** Measured rounds (each contender once per round). */
  runs: number;
  /** Unmeasured rounds first. */
  warmup: number;
  /** Stop after this many rounds once `budgetSeconds` is spent (default: runs). */
  minRuns?: number;
  /** Time budget of the measured rounds, in seconds. */
  budgetSeconds?: number;
}

/** The runs of one contender, summarised. */
export interface ContenderResult {
  /** Its id. */
  id: string;
  /** Its label. */
  label: string;
  /** The command line, for the record (paths shortened). */
  command: string;
  /** Measured runs. */
  runs: number;
  /** Wall time, ms. */
  wallMs: Summary;
  /** Peak RSS, MiB. */
  rssMiB: Summary;
  /** Every sample in order (round by round), for re-analysis. */
  samples: Sample[];
  /** Round number (0-based) of each sample. */
  rounds: number[];
}

/** A ratio of two contenders over the rounds both ran in. */
export interface Ratio {
  /** Numerator contender id. */
  a: string;
  /** Denominator contender id. */
  b: string;
  /** Rounds in which both ran. */
  rounds: number;
  /** Median, min and max of a_i / b_i. */
  ratio: Summary;
  /** Median, min and max of a_i − b_i, ms. */
  differenceMs: Summary;
}

/** One case: a set of contenders doing the same job. */
export interface CaseResult {
  /** Case id, e.g. `verify-10000`. */
  id: string;
  /** What the case measures. */
  title: string;
  /** The size parameter, when there is one. */
  n?: number;
  /** What n counts, e.g. `configs`, `commits`. */
  unit?: string;
  /** The contender the table compares the others with. */
  reference?: string;
  /** Rounds planned and done. */
  plan: Plan & { rounds: number; stoppedEarly: boolean };
  /** Seconds the measured rounds took. */
  seconds: number;
  /** Per contender. */
  contenders: ContenderResult[];
  /** Ratios asked for. */
  ratios: Ratio[];
}

/**
 * Runs a case: warm-up rounds, then measured rounds, every contender once
 * per round, each round starting one contender later than the last.
 *
 * @param spec The case's id, title, size, contenders and the pairs to compare.
 * @param plan Runs, warm-up and budget.
 * @returns The case's summary.
 * @throws {Error} When a run exits non-zero or fails its check.
 */
export async function runCase(
  spec: {
    id: string;
    title: string;
    n?: number;
    unit?: string;
    contenders: readonly Contender[];
    /** Every other contender is compared with this one. */
    reference?: string;
    /** More pairs to compare. */
    pairs?: readonly [string, string][];
  },
  plan: Plan,
): Promise<CaseResult> {
  const rssFile = await Deno.makeTempFile({ prefix: "bench-rss-" });
  const samples = new Map<string, { sample: Sample; round: number }[]>(
    spec.contenders.map((c) => [c.id, []]),
  );
  const minRuns = plan.minRuns ?? plan.runs;
  let rounds = 0;
  let stoppedEarly = false;
  let started = 0;
  try {
    for (let round = -plan.warmup; round < plan.runs; round++) {
      if (round === 0) started = performance.now();
      if (
        round >= minRuns && plan.budgetSeconds !== undefined &&
        performance.now() - started > plan.budgetSeconds * 1000
      ) {
        stoppedEarly = true;
        break;
      }
      const active = spec.contenders.filter((c) =>
        round < 0
          ? round >= -(c.warmup ?? plan.warmup)
          : round < (c.maxRuns ?? plan.runs)
      );
      if (active.length === 0) break;
      const shift = ((round % active.length) + active.length) % active.length;
      const order = [...active.slice(shift), ...active.slice(0, shift)];
      for (const contender of order) {
        await contender.before?.();
        const { sample, output } = await measure(contender.launch, rssFile);
        if (output.code !== 0) {
          throw new Error(
            `${spec.id}: ${contender.label} exited ${output.code}:\n${
              tail(output.stderr + output.stdout)
            }`,
          );
        }
        await contender.check?.(output);
        if (round >= 0) samples.get(contender.id)!.push({ sample, round });
      }
      if (round >= 0) rounds++;
      if (Deno.stdout.isTerminal()) {
        const line = round < 0 ? "warm-up" : `round ${round + 1}/${plan.runs}`;
        Deno.stdout.writeSync(
          new TextEncoder().encode(`\r  ${spec.id}: ${line}   `),
        );
      }
    }
  } finally {
    if (Deno.stdout.isTerminal()) Deno.stdout.writeSync(new Uint8Array([13]));
    await Deno.remove(rssFile);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `  ${spec.id}: ${rounds} rounds in ${seconds.toFixed(1)} s${
      stoppedEarly ? " (budget spent)" : ""
    }`,
  );
  const contenders = spec.contenders.map((c) => {
    const list = samples.get(c.id)!;
    return {
      id: c.id,
      label: c.label,
      command: displayCommand(c.launch),
      runs: list.length,
      wallMs: summarize(list.map((s) => s.sample.wallMs)),
      rssMiB: summarize(list.map((s) => s.sample.rssKiB / 1024)),
      samples: list.map((s) => s.sample),
      rounds: list.map((s) => s.round),
    };
  });
  const pairs: [string, string][] = spec.reference === undefined
    ? []
    : spec.contenders.filter((c) => c.id !== spec.reference).map((c) => [
      c.id,
      spec.reference!,
    ]);
  for (const [a, b] of spec.pairs ?? []) {
    if (!pairs.some(([x, y]) => x === a && y === b)) pairs.push([a, b]);
  }
  const ratios = pairs.flatMap(([a, b]) => {
    const left = samples.get(a);
    const right = samples.get(b);
    if (!left || !right) throw new Error(`${spec.id}: no contender ${a}/${b}`);
    const paired = left.flatMap((l) => {
      const r = right.find((s) => s.round === l.round);
      return r ? [[l.sample.wallMs, r.sample.wallMs] as const] : [];
    });
    if (paired.length === 0) return [];
    return [{
      a,
      b,
      rounds: paired.length,
      ratio: summarize(paired.map(([x, y]) => x / y)),
      differenceMs: summarize(paired.map(([x, y]) => x - y)),
    }];
  });
  return {
    id: spec.id,
    title: spec.title,
    ...(spec.n === undefined ? {} : { n: spec.n }),
    ...(spec.unit === undefined ? {} : { unit: spec.unit }),
    ...(spec.reference === undefined ? {} : { reference: spec.reference }),
    plan: { ...plan, rounds, stoppedEarly },
    seconds,
    contenders,
    ratios,
  };
}

function displayCommand(launch: Launch): string {
  return [launch.command, ...launch.args].map((word) =>
    word.startsWith(ROOT + "/") ? word.slice(ROOT.length + 1) : word
  ).map((word) => word.replace(/^\/tmp\/[^/]+\//, "$TMP/")).map((word) =>
    /[\s"'$]/.test(word) && !word.startsWith("$TMP/")
      ? JSON.stringify(word)
      : word
  ).join(" ");
}

// --- Targets and results ---

/** A target of the issue, evaluated. */
export interface Target {
  /** What is promised, in words. */
  description: string;
  /** A few words for a table cell, e.g. `vs ssh-keygen`. */
  short?: string;
  /** Which contender (and case) it applies to. */
  contender: string;
  /** Case id it was measured in. */
  case: string;
  /** Measured value (undefined when not measured, e.g. under --quick). */
  value?: number;
  /** The limit. */
  limit: number;
  /** How value compares to limit to meet the target. */
  comparison: "<=" | "<" | ">=";
  /** Unit of value and limit. */
  unit: string;
  /** Met, missed, or undefined when not measured. */
  met?: boolean;
  /** How the value was computed. */
  how: string;
}

/**
 * Evaluates a target.
 *
 * @param target The target without `met`.
 * @returns The target with `met` set (undefined when there is no value).
 */
export function evaluate(target: Omit<Target, "met">): Target {
  const { value, limit, comparison } = target;
  if (value === undefined || !Number.isFinite(value)) return target;
  const met = comparison === "<="
    ? value <= limit
    : comparison === "<"
    ? value < limit
    : value >= limit;
  return { ...target, met };
}

/** What a benchmark writes to bench/results/<name>.json. */
export interface BenchResult {
  /** File name without .json, e.g. `commit`. */
  name: string;
  /** Heading in docs/PERFORMANCE.md. */
  title: string;
  /** One-paragraph description of what is measured. */
  description: string;
  /** When it ran (ISO 8601, UTC). */
  date: string;
  /** Whether it was a `--quick` run. */
  quick: boolean;
  /** Seconds the whole benchmark took, fixtures included. */
  seconds: number;
  /** The machine and the programs' versions. */
  machine: Machine;
  /** How it measures. */
  method: string[];
  /** Seconds each fixture step took. */
  fixtures: Record<string, number>;
  /** The cases. */
  cases: CaseResult[];
  /** Growth exponents, when the benchmark measures several sizes. */
  scaling?: Scaling[];
  /** The issue's targets, met or missed. */
  targets: Target[];
  /** Anything a reader must know (runs cut short, skipped contenders). */
  notes: string[];
  /** Benchmark-specific figures, e.g. the native loop's own timer. */
  extra?: Record<string, unknown>;
}

/** The fitted growth of one contender over sizes. */
export interface Scaling {
  /** Contender id. */
  contender: string;
  /** Median wall time (ms) at each size. */
  points: { n: number; medianMs: number }[];
  /** Least-squares slope of log(time) against log(n). */
  slope?: number;
  /** (T(largest) − T(smallest)) / (largest − smallest), ms per unit. */
  marginalMs?: number;
}

/**
 * Fits the growth of each contender over the cases (sizes) given.
 *
 * @param cases Cases with `n`, sharing contender ids.
 * @returns One entry per contender id seen.
 */
export function fitScaling(cases: readonly CaseResult[]): Scaling[] {
  const ids = [...new Set(cases.flatMap((c) => c.contenders.map((x) => x.id)))];
  return ids.map((id) => {
    const points = cases.flatMap((c) => {
      const found = c.contenders.find((x) => x.id === id);
      return found && c.n !== undefined && found.runs > 0
        ? [{ n: c.n, medianMs: found.wallMs.median }]
        : [];
    }).sort((a, b) => a.n - b.n);
    const slope = logLogSlope(points.map((p) => ({ x: p.n, y: p.medianMs })));
    const first = points[0];
    const last = points.at(-1);
    const marginalMs = first && last && last.n > first.n
      ? (last.medianMs - first.medianMs) / (last.n - first.n)
      : undefined;
    return {
      contender: id,
      points,
      ...(slope === undefined ? {} : { slope }),
      ...(marginalMs === undefined ? {} : { marginalMs }),
    };
  });
}

/**
 * Writes bench/results/<name>.json.
 *
 * @param result The benchmark's result.
 * @returns The file written.
 */
export async function writeResult(result: BenchResult): Promise<string> {
  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.name}.json`);
  await Deno.writeTextFile(file, JSON.stringify(result, null, 2) + "\n");
  return file;
}

/** The shared description of the method, for each result file. */
export const METHOD: readonly string[] = Object.freeze([
  "Each run is one whole child process (a git command with its hooks, or the tool), " +
  "timed with performance.now() around it; GNU /usr/bin/time -f %M gives its peak RSS " +
  "(the largest of the process and the descendants it waited for, so the hook under git commit counts).",
  "Contenders run alternately, each round starting one contender later (A B C, B C A, …), " +
  "after unmeasured warm-up rounds; a slow spell of the machine hits every contender alike.",
  "Medians, min–max and quartiles over the runs; a ratio is the median of the per-round ratios a_i / b_i.",
]);

// --- The machine ---

/** The machine and versions a result was measured with. */
export interface Machine {
  /** CPU model (node:os, from /proc/cpuinfo). */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Kernel release. */
  kernel: string;
  /** Total memory, MiB. */
  memoryMiB: number;
  /** 1, 5 and 15 minute load averages when the benchmark started. */
  loadAverage: number[];
  /** Versions of the programs involved. */
  versions: Record<string, string>;
}

/**
 * Describes this machine and the programs' versions.
 *
 * @param extra More versions to record (e.g. the tool's launchers).
 * @returns The description.
 */
export async function machineInfo(
  extra: Record<string, string> = {},
): Promise<Machine> {
  // node:os reads /proc/cpuinfo and friends for us: Deno refuses to open
  // /proc files without --allow-all, but grants these with --allow-sys.
  const cpus = os.cpus();
  const version = async (command: string, args: string[]) => {
    try {
      const out = await new Deno.Command(command, {
        args,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return (decoder.decode(out.stdout) + decoder.decode(out.stderr)).trim()
        .split("\n")[0]!;
    } catch {
      return "unavailable";
    }
  };
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length || navigator.hardwareConcurrency,
    kernel: os.release(),
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    versions: {
      deno: Deno.version.deno,
      node: await version("node", ["--version"]),
      git: await version("git", ["--version"]),
      ssh: await version("ssh", ["-V"]),
      ...extra,
    },
  };
}
