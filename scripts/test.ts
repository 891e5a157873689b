/**
 * `deno task test`: the whole test suite, in two runs of `deno test`:
 *
 * 1. every test (unit, end-to-end, documentation examples), the end-to-end
 *    ones running the tool as `deno run <permission flags> mod.ts`;
 * 2. after `scripts/build.ts compile` has built `dist/mcp-orchestration`,
 *    the end-to-end suite again (tests/e2e), with
 *    `MCP_ORCHESTRATION_TEST_BIN` pointing at that executable: the same
 *    tests, one launcher switch (tests/support/cli.ts).
 *
 * Both runs always happen; the exit code is 1 when either failed or the
 * build did. Each run ends with Deno's own summary line, which .ci/run adds
 * up. Arguments (`deno task test tests/keys/`) run only step 1 on them.
 *
 * @module
 */

import { join } from "node:path";
import { BINARY_PATH, BUILD_FLAGS, ROOT } from "./build.ts";

/** The permissions the tests themselves need (the tool gets fewer). */
export const TEST_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net=127.0.0.1",
];

async function step(
  title: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<boolean> {
  console.log(`\n=== ${title}\n+ deno ${args.join(" ")}`);
  const status = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdin: "null",
  }).spawn().status;
  return status.success;
}

if (import.meta.main) {
  if (Deno.args.length > 0) {
    const ok = await step("tests", [
      "test",
      ...TEST_FLAGS,
      "--parallel",
      ...Deno.args,
    ]);
    Deno.exit(ok ? 0 : 1);
  }
  const results: [string, boolean][] = [];
  results.push([
    "all tests, the tool run as deno run mod.ts",
    await step("all tests, the tool run as deno run mod.ts", [
      "test",
      ...TEST_FLAGS,
      "--doc",
      "--parallel",
    ]),
  ]);
  const built = await step("build the single executable", [
    "run",
    ...BUILD_FLAGS,
    join(ROOT, "scripts", "build.ts"),
    "compile",
  ]);
  results.push(["build the single executable", built]);
  if (built) {
    results.push([
      "end-to-end tests, the tool run as dist/mcp-orchestration",
      await step(
        "end-to-end tests, the tool run as dist/mcp-orchestration",
        ["test", ...TEST_FLAGS, "--parallel", "tests/e2e"],
        { MCP_ORCHESTRATION_TEST_BIN: BINARY_PATH },
      ),
    ]);
  }
  console.log("\n=== summary");
  for (const [title, ok] of results) {
    console.log(`${ok ? "ok    " : "FAILED"}  ${title}`);
  }
  Deno.exit(results.every(([, ok]) => ok) ? 0 : 1);
}
