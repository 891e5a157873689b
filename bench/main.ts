/**
 * `deno task bench`: runs the benchmarks (all, or those named), writes
 * bench/results/<name>.json and the tables in docs/PERFORMANCE.md.
 *
 * Usage: `deno task bench [commit|verify|history|links|receive…] [--quick]
 * [--keep] [--no-build]`. Each benchmark also runs alone: `bench/commit.ts`,
 * `bench/verify.ts`, `bench/history.ts`, `bench/links.ts`,
 * `bench/receive.ts` take the same options.
 *
 * @module
 */

import {
  type BenchOptions,
  type BenchResult,
  parseBenchArgs,
} from "./harness.ts";
import { commitBench } from "./commit.ts";
import { historyBench } from "./history.ts";
import { linksBench } from "./links.ts";
import { receiveBench } from "./receive.ts";
import { updatePerformanceDoc } from "./report.ts";
import { verifyBench } from "./verify.ts";

const BENCHMARKS: Record<string, (o: BenchOptions) => Promise<BenchResult>> = {
  commit: commitBench,
  verify: verifyBench,
  history: historyBench,
  links: linksBench,
  receive: receiveBench,
};

const options = parseBenchArgs(Deno.args);
const unknown = options.only.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark ${
      unknown.map((n) => `"${n}"`).join(", ")
    }: choose from ${Object.keys(BENCHMARKS).join(", ")}`,
  );
  Deno.exit(2);
}
const selected = options.only.length > 0
  ? options.only
  : Object.keys(BENCHMARKS);
const started = performance.now();
const results: BenchResult[] = [];
for (const name of selected) {
  console.log(`\n== ${name}${options.quick ? " (quick)" : ""}`);
  try {
    const result = await BENCHMARKS[name]!(options);
    results.push(result);
    console.log(`== ${name}: ${result.seconds.toFixed(0)} s`);
  } catch (error) {
    // The others still run and are reported; the exit code tells.
    console.error(
      `== ${name} failed: ${error instanceof Error ? error.message : error}`,
    );
    Deno.exitCode = 1;
  }
}
await updatePerformanceDoc();
console.log("\nTargets:");
for (const t of results.flatMap((r) => r.targets)) {
  const state = t.met === undefined ? "not measured" : t.met ? "met" : "MISSED";
  const value = t.value === undefined
    ? "—"
    : `${+t.value.toPrecision(3)}${t.unit}`;
  console.log(
    `  ${state.padEnd(12)} ${t.contender.padEnd(10)} ${
      value.padStart(9)
    }  ${t.description}`,
  );
}
console.log(
  `\nTotal: ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
