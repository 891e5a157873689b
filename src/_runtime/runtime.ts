/**
 * Which runtime this is: the one check the rest of `src/_runtime/` builds
 * on (as denoland/std's `fs/_utils.ts` does). The tool runs under Deno
 * (`deno run`, from a URL, `deno compile`) and under Node (the npm bundle
 * and the Node single executable, both from `src/cli/node_main.ts`).
 *
 * Under Deno, nothing here touches `process`: the first look at it (or the
 * first import of a `node:` module with state, such as `node:fs`) starts
 * Deno's Node compatibility layer, 15 to 25 ms that every Git hook run
 * would pay. So {@linkcode nodeProcess} and {@linkcode nodeBuiltin} are
 * called only under Node, or lazily where a command needs them.
 *
 * @module
 */

import type nodeProcessModule from "node:process";
import { ToolError } from "../errors.ts";

/** Node's `process`, as much of it as the tool uses. */
export type NodeProcess = typeof nodeProcessModule;

/**
 * The `Deno` namespace when this is Deno, else undefined (this is Node).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deno } from "./runtime.ts";
 * assert.equal(deno, Deno); // under `deno test`
 * ```
 */
export const deno: typeof Deno | undefined =
  (globalThis as { Deno?: typeof Deno }).Deno;

/**
 * Node's `process`, under Node only.
 *
 * @returns The `process` global under Node; undefined under Deno (see the
 * module documentation) or a runtime that is neither.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeProcess } from "./runtime.ts";
 * assert.equal(nodeProcess(), undefined); // under `deno test`
 * ```
 */
export function nodeProcess(): NodeProcess | undefined {
  if (deno) return undefined;
  const process = (globalThis as { process?: NodeProcess }).process;
  return process?.versions?.node ? process : undefined;
}

/**
 * Loads one of Node's built-in modules, synchronously: a Node single
 * executable's main script has no dynamic `import()` (only built-ins
 * through `require`, which `process.getBuiltinModule`, Node 20.16 and later,
 * provides). Deno has it too, but touching `process` there starts Deno's
 * Node compatibility layer: under Deno, call it only lazily, where a command
 * needs it, never while modules load.
 *
 * @param name The module, e.g. `"node:fs"`.
 * @returns The module.
 * @throws {ToolError} `IO` when the runtime cannot provide it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeBuiltin } from "./runtime.ts";
 * const path = nodeBuiltin<typeof import("node:path")>("node:path");
 * assert.equal(path.posix.join("a", "b"), "a/b");
 * ```
 */
export function nodeBuiltin<T>(name: string): T {
  const getBuiltinModule = (globalThis as {
    process?: { getBuiltinModule?: (name: string) => unknown };
  }).process?.getBuiltinModule;
  const module = getBuiltinModule?.(name);
  if (!module) {
    throw new ToolError(
      "IO",
      `This runtime has no "${name}": Node 20.16 or later is needed`,
    );
  }
  return module as T;
}
