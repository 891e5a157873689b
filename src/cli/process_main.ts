/**
 * The tool as a process: arguments, standard streams, working folder and
 * exit code, through `node:process`, which Deno and Node both provide. The
 * entry points (mod.ts under Deno, src/cli/node_main.ts in the npm bundle
 * and the Node single executable) only call {@linkcode runProcessMain}.
 *
 * @module
 */

import process from "node:process";
import { main } from "./main.ts";

/**
 * Runs the CLI with this process's arguments and streams, and sets the exit
 * code (without exiting, so pending output is flushed).
 *
 * @returns Resolves once the command has finished.
 */
export async function runProcessMain(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    stdin: () => readAll(process.stdin),
  });
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk as Uint8Array);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
