/**
 * The test tasks, in three tiers:
 *
 * - `deno task test:fast`: every test but `tests/dist/`, with the
 *   documentation examples, the end-to-end tests running the tool as
 *   `deno run <permission flags> main.ts`. What a developer runs while working.
 * - `deno task test:dist`: what is shipped. The tests of the other channels
 *   (`tests/dist/`: npm package, `deno run` from a URL, release, the hook
 *   managers' files); then, after `scripts/build.ts compile` has built
 *   `dist/mcp-orchestration`, the end-to-end suite again (tests/e2e), with
 *   `MCP_ORCHESTRATION_TEST_BIN` pointing at that executable: the same tests,
 *   one launcher switch (tests/support/cli.ts).
 * - `deno task test`: both, one after the other: the whole suite, what the
 *   README names and `.ci/run` runs.
 *
 * Every step of a tier always runs; the exit code is 1 when any failed or the
 * build did. Each `deno test` run ends with Deno's own summary line, which
 * .ci/run adds up. Arguments (`deno task test tests/keys/`) run `deno test`
 * on just those paths, and nothing else.
 *
 * @module
 */

import { join } from "node:path";
import { throwawayLauncher } from "../src/hooks/launch.ts";
import { BINARY_PATH, BUILD_FLAGS, ROOT } from "./build.ts";

/** The permissions the tests themselves need (the tool gets fewer). */
export const TEST_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net=127.0.0.1",
];

/** The tests of the shipped channels, run by `test:dist` and not `test:fast`. */
export const DIST_TESTS = "tests/dist";

/** A tier of the test tasks. */
export type Tier = "fast" | "dist" | "all";

/** One step of a tier: a `deno` command and the environment it adds. */
export interface Step {
  /** What the step is, for the log and the summary. */
  title: string;
  /** Arguments to `deno`. */
  args: string[];
  /** Variables added to the environment. */
  env?: Record<string, string>;
  /** Whether it runs only when the build before it succeeded. */
  needsBuild?: boolean;
}

/**
 * The steps of a tier, in order.
 *
 * In `all`, the binary's end-to-end step runs with `--no-check`: the first
 * step has just type-checked the same files (tests/e2e and all they import),
 * and a failed check there already fails the tier. `test:dist` alone keeps
 * the check.
 *
 * @param tier Which tier.
 * @returns Its steps.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { steps } from "./test.ts";
 * assert.deepEqual(steps("all").map((s) => s.title), [
 *   ...steps("fast").map((s) => s.title),
 *   ...steps("dist").map((s) => s.title),
 * ]);
 * assert.ok(steps("all").at(-1)!.args.includes("--no-check"));
 * assert.ok(!steps("dist").at(-1)!.args.includes("--no-check"));
 * ```
 */
export function steps(tier: Tier): Step[] {
  const fast: Step[] = [{
    title: "every test but tests/dist, the tool run as deno run main.ts",
    args: [
      "test",
      ...TEST_FLAGS,
      "--doc",
      "--parallel",
      // On the command line, --ignore replaces deno.json's "exclude": the
      // built files stay out by name (a bundle's doc comments are not ours
      // to run).
      `--ignore=${DIST_TESTS},dist`,
    ],
  }];
  const dist: Step[] = [
    {
      title: "the shipped channels (tests/dist)",
      args: ["test", ...TEST_FLAGS, "--parallel", DIST_TESTS],
    },
    {
      title: "build the single executable",
      args: [
        "run",
        ...BUILD_FLAGS,
        join(ROOT, "scripts", "build.ts"),
        "compile",
      ],
    },
    {
      title: "end-to-end tests, the tool run as dist/mcp-orchestration",
      args: [
        "test",
        ...TEST_FLAGS,
        ...(tier === "all" ? ["--no-check"] : []),
        "--parallel",
        "tests/e2e",
      ],
      env: { MCP_ORCHESTRATION_TEST_BIN: BINARY_PATH },
      needsBuild: true,
    },
  ];
  if (tier === "fast") return fast;
  if (tier === "dist") return dist;
  return [...fast, ...dist];
}

// Under `npx -y deno@… task test` (the README, .ci/run), Deno itself sits in
// npx's throwaway cache, where `init` and `install` refuse to point hooks;
// the tests start the tool with the Deno that runs them. So they run under a
// link to (or copy of) that Deno in a temporary folder, removed at the end.
let deno = Deno.execPath();
let denoFolder: string | undefined;

async function useStableDeno(): Promise<void> {
  if (!throwawayLauncher([deno])) return;
  denoFolder = await Deno.makeTempDir({ prefix: "mcp-orchestration-deno-" });
  const copy = join(denoFolder, "deno");
  await Deno.link(deno, copy).catch(() => Deno.copyFile(deno, copy));
  await Deno.chmod(copy, 0o755);
  console.log(`(the tests run under ${copy}, a copy of ${deno})`);
  deno = copy;
}

async function run(step: Step): Promise<boolean> {
  console.log(`\n=== ${step.title}\n+ deno ${step.args.join(" ")}`);
  const status = await new Deno.Command(deno, {
    args: step.args,
    cwd: ROOT,
    env: step.env ?? {},
    stdin: "null",
  }).spawn().status;
  return status.success;
}

function tierOf(flag: string | undefined): Tier | undefined {
  if (flag === "--fast") return "fast";
  if (flag === "--dist") return "dist";
  return undefined;
}

if (import.meta.main) {
  const tier = tierOf(Deno.args[0]) ?? "all";
  const paths = tier === "all" ? Deno.args : Deno.args.slice(1);
  await useStableDeno();
  const done = async (ok: boolean): Promise<never> => {
    if (denoFolder) await Deno.remove(denoFolder, { recursive: true });
    Deno.exit(ok ? 0 : 1);
  };
  if (paths.length > 0) {
    await done(
      await run({
        title: "tests",
        args: ["test", ...TEST_FLAGS, "--parallel", ...paths],
      }),
    );
  }
  const results: [string, boolean][] = [];
  let built = true;
  for (const step of steps(tier)) {
    if (step.needsBuild && !built) continue;
    const ok = await run(step);
    if (step.args[0] === "run") built = ok;
    results.push([step.title, ok]);
  }
  console.log("\n=== summary");
  for (const [title, ok] of results) {
    console.log(`${ok ? "ok    " : "FAILED"}  ${title}`);
  }
  await done(results.every(([, ok]) => ok));
}
