/**
 * Moved to `src/_runtime/` (child processes: `_runtime/process.ts`); this
 * re-export keeps old import paths compiling until they are updated.
 *
 * @module
 */

export {
  concatBytes,
  type PipedProcess,
  type ProcessOutput,
  type RunOptions,
  runProcess,
  spawnPiped,
} from "./_runtime/process.ts";
export { nodeBuiltin } from "./_runtime/runtime.ts";
