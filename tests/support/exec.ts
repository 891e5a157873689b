/**
 * Running `exec` in an end-to-end test: as a user would (`deno run` with
 * exec's wider flags, or the test binary), and a command that tells
 * whether it was started.
 *
 * @module
 */

import { join } from "node:path";
import { EXEC_PERMISSION_FLAGS } from "../../src/permissions.ts";
import { type CliResult, runCli } from "./cli.ts";
import type { Flow } from "./flow.ts";

/**
 * Runs `mcp-orchestration exec ARGS…` in a flow's repository.
 *
 * @param flow The repository and home.
 * @param args exec's arguments (`--`, the command and its arguments).
 * @param cwd Where to run it (default: the repository's root).
 * @returns The run's result.
 */
export async function exec(
  flow: Flow,
  args: string[],
  cwd: string = flow.repo.root,
): Promise<CliResult> {
  return await runCli(["exec", ...args], {
    cwd,
    home: flow.repo.home,
    permissions: EXEC_PERMISSION_FLAGS,
  });
}

/**
 * A command for `exec` that leaves a file behind when it runs.
 *
 * @param flow The flow whose home holds the file.
 * @returns exec's arguments, and whether the command ran.
 */
export function marker(
  flow: Flow,
): { args: string[]; ran(): Promise<boolean> } {
  const path = join(flow.repo.home, "exec ran");
  return {
    args: ["--", "sh", "-c", 'echo ran >"$1"', "sh", path],
    async ran() {
      return await Deno.stat(path).then(() => true, () => false);
    },
  };
}
