/**
 * How this very process was started, the runtime-specific half of the
 * hooks' launch command (`hooks/launch.ts` turns it into the command an
 * installed Git hook runs): `Deno.build`, `Deno.execPath()` and
 * `Deno.mainModule`, or Node's `process`.
 *
 * @module
 */

import { resolve } from "node:path";
import { ToolError } from "../errors.ts";
import { deno, nodeProcess } from "./runtime.ts";

/** How the running process was started. */
export type Launch =
  /** A `deno compile` executable or a Node single executable: the program is the tool. */
  | { kind: "compiled"; execPath: string }
  /** `deno run … <mainModule>`: `mainModule` is a URL (`file:`, `https:`, …). */
  | {
    kind: "deno";
    execPath: string;
    mainModule: string;
    /** Deno's version (`Deno.version.deno`), when known. */
    version?: string;
  }
  /** `node <script>` (an npm bundle): `script` is the script's path. */
  | { kind: "node"; execPath: string; script: string };

/**
 * Tells how the running process was started.
 *
 * A `deno compile` executable is recognised by `Deno.build.standalone`
 * (Deno 2.3 and later); on an older Deno, where it is undefined, by the
 * executable's name not being `deno`. Inside such an executable
 * `Deno.execPath()` is the executable itself, and `Deno.mainModule` names
 * the embedded module, which is no use to a hook. A Node single executable
 * application is recognised by `node:sea`'s `isSea()`; its
 * `process.execPath` is the executable itself.
 *
 * @returns The runtime, its executable and the entry module or script.
 * @throws {ToolError} `IO` under a runtime that is neither Deno nor Node, or
 * a Node process without a script (REPL, `node -e`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentLaunch } from "./launch.ts";
 * assert.equal(currentLaunch().kind, "deno"); // under `deno test`
 * ```
 */
export function currentLaunch(): Launch {
  if (deno) {
    const execPath = deno.execPath();
    const standalone = deno.build.standalone ??
      !/^deno(\.exe)?$/i.test(execPath.split(/[\\/]/).pop() ?? "");
    if (standalone) return { kind: "compiled", execPath };
    return {
      kind: "deno",
      execPath,
      mainModule: deno.mainModule,
      version: deno.version.deno,
    };
  }
  const node = nodeProcess();
  if (node) {
    // A Node single executable application (Node 20.12 and later).
    const sea = node.getBuiltinModule?.("node:sea") as
      | { isSea?: () => boolean }
      | undefined;
    if (sea?.isSea?.()) return { kind: "compiled", execPath: node.execPath };
    const script = node.argv[1];
    if (!script) {
      throw new ToolError(
        "IO",
        "Cannot tell which script is running: start the tool as a script (node <path>) to install hooks",
      );
    }
    return { kind: "node", execPath: node.execPath, script: resolve(script) };
  }
  throw new ToolError(
    "IO",
    "Cannot tell how the tool was started: it runs under Deno or Node only",
  );
}
