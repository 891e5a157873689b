/**
 * The entry point of the npm bundle and the Node single executable
 * (scripts/build.ts bundles from here). Node's CommonJS output allows no
 * top-level `await`, so this only starts {@linkcode runProcessMain}.
 *
 * @module
 */

import process from "node:process";
import { runProcessMain } from "./process_main.ts";

runProcessMain().catch((error: unknown) => {
  // main() turns every error into a message; reaching here is a bug.
  console.error(error);
  process.exitCode = 1;
});
