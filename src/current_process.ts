/**
 * Moved to `src/_runtime/current_process.ts`; this re-export keeps old
 * import paths compiling until they are updated.
 *
 * @module
 */

export {
  type CurrentProcess,
  currentProcess,
  readEnv,
} from "./_runtime/current_process.ts";
