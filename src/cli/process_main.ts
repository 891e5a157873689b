/**
 * The tool as a process: arguments, standard streams, working folder and
 * exit code, through `current_process.ts`, which serves Deno and Node. The
 * entry points (main.ts under Deno, src/cli/node_main.ts in the npm bundle
 * and the Node single executable) only call {@linkcode runProcessMain}.
 *
 * @module
 */

import { currentProcess } from "../_runtime/current_process.ts";
import { main } from "./main.ts";

/**
 * Runs the CLI with this process's arguments and streams, and sets the exit
 * code (without exiting, so pending output is flushed).
 *
 * @returns Resolves once the command has finished.
 */
export async function runProcessMain(): Promise<void> {
  currentProcess.setExitCode(
    await main(currentProcess.args(), {
      out: (text) => currentProcess.writeOut(text),
      err: (text) => currentProcess.writeErr(text),
      cwd: currentProcess.cwd(),
      stdin: () => currentProcess.readStdin(),
    }),
  );
}
