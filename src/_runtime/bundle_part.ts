/**
 * The parts of a Node build that scripts/build.ts bundles apart from the
 * main script, so that Node does not parse them at every start: today the
 * MCP SDK and zod, which only `mcp` loads (src/deps.ts,
 * `MCP_SDK_PACKAGES`). Each part is one CommonJS bundle, loaded on first
 * use:
 *
 * - beside the main script (the npm package, a release's `.cjs`): the file
 *   {@linkcode bundlePartFile} names, read by that exact path and run as
 *   Node runs a CommonJS module (never through `require`, which tries other
 *   names when it is missing), its `require` serving Node's built-ins only;
 * - in a Node single executable: the asset {@linkcode seaAssetName} names
 *   (the blob's `assets`, Node 20.12 and later), run from memory, with V8's
 *   code cache for it from the asset {@linkcode seaCacheName} names when
 *   the build made one (V8 checks that it fits, and compiles without it
 *   when it does not).
 *
 * Under Node only: Deno imports the packages themselves.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { BUILD_COMMIT } from "../build_info.ts";
import type { BundlePart } from "../deps.ts";
import { ToolError } from "../errors.ts";
import { nodeBuiltin, nodeProcess } from "./runtime.ts";

/**
 * Every part, in the order the build writes them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUNDLE_PARTS } from "./bundle_part.ts";
 * assert.deepEqual(BUNDLE_PARTS, ["mcp-sdk"]);
 * ```
 */
export const BUNDLE_PARTS: readonly BundlePart[] = ["mcp-sdk"];

/**
 * The file that holds a part, beside the main script: the script's name
 * without `.cjs`, then `.<part>.cjs`, so that a renamed release file
 * (`mcp-orchestration-0.1.0.cjs`) finds its own
 * (`mcp-orchestration-0.1.0.mcp-sdk.cjs`).
 *
 * @param mainScript The main script's path.
 * @param part The part.
 * @returns The part's path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bundlePartFile } from "./bundle_part.ts";
 * assert.equal(
 *   bundlePartFile("/lib/mcp-orchestration.cjs", "mcp-sdk"),
 *   "/lib/mcp-orchestration.mcp-sdk.cjs",
 * );
 * ```
 */
export function bundlePartFile(mainScript: string, part: BundlePart): string {
  const name = basename(mainScript).replace(/\.c?js$/, "");
  return join(dirname(mainScript), `${name}.${part}.cjs`);
}

/**
 * The asset that holds a part in a Node single executable.
 *
 * @param part The part.
 * @returns The asset's key in the blob's `assets`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seaAssetName } from "./bundle_part.ts";
 * assert.equal(seaAssetName("mcp-sdk"), "mcp-sdk.cjs");
 * ```
 */
export function seaAssetName(part: BundlePart): string {
  return `${part}.cjs`;
}

/**
 * The asset that holds V8's code cache for a part in a Node single
 * executable, made by the build with the same `node` and
 * {@linkcode PART_WRAPPER_PARAMETERS}.
 *
 * @param part The part.
 * @returns The asset's key in the blob's `assets`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seaCacheName } from "./bundle_part.ts";
 * assert.equal(seaCacheName("mcp-sdk"), "mcp-sdk.cjs.v8-cache");
 * ```
 */
export function seaCacheName(part: BundlePart): string {
  return `${seaAssetName(part)}.v8-cache`;
}

/**
 * The parameters of the function a part's code becomes in a single
 * executable, as Node wraps a CommonJS module (a code cache fits only the
 * same source and parameters).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PART_WRAPPER_PARAMETERS } from "./bundle_part.ts";
 * assert.equal(PART_WRAPPER_PARAMETERS[1], "require");
 * ```
 */
export const PART_WRAPPER_PARAMETERS: readonly string[] = [
  "exports",
  "require",
  "module",
  "__filename",
  "__dirname",
];

// What the tool uses of `node:sea` (Node 20.12 and later; Deno has no
// types for it).
interface NodeSea {
  isSea(): boolean;
  getAsset(key: string, encoding: "utf8"): string;
  getRawAsset(key: string): ArrayBuffer;
}

const loaded = new Map<BundlePart, unknown>();

/**
 * Loads a part once and returns what its bundle exports.
 *
 * @param part The part.
 * @param mainScript The main script's real path (its `__filename`); not
 *   read in a single executable.
 * @returns The part's `module.exports`.
 * @throws {ToolError} `IO` when this is not Node, or the part is missing,
 *   fails to load or comes from another build (a build that left it out, a
 *   release file copied alone or beside another version's part).
 *
 * @example
 * ```ts ignore
 * const sdk = loadBundlePart("mcp-sdk", __filename);
 * ```
 */
export function loadBundlePart(part: BundlePart, mainScript: string): unknown {
  if (loaded.has(part)) return loaded.get(part);
  const node = nodeProcess();
  if (!node) {
    throw new ToolError("IO", `Cannot load the "${part}" bundle outside Node`);
  }
  const sea = nodeBuiltin<NodeSea>("node:sea");
  const where = sea.isSea()
    ? `the executable's asset "${seaAssetName(part)}"`
    : `"${bundlePartFile(mainScript, part)}"`;
  let exports: unknown;
  try {
    exports = sea.isSea()
      ? runAsset(sea, part, node.execPath)
      : runFile(bundlePartFile(mainScript, part));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ToolError(
      "IO",
      `Cannot load ${where}, the part of this build that "mcp" needs: ${
        reason.split("\n")[0]
      }`,
      { cause: error },
    );
  }
  const stamp = (exports as { BUILD_COMMIT?: unknown } | undefined)
    ?.BUILD_COMMIT;
  if (stamp !== BUILD_COMMIT) {
    // Read from a file: only printable ASCII of it reaches the message.
    const theirs = String(stamp).replace(/[^\x20-\x7e]/g, "?").slice(0, 80);
    throw new ToolError(
      "IO",
      `Cannot use ${where}: it comes from build "${theirs}", but this script is from build "${BUILD_COMMIT}": install both files of one build`,
    );
  }
  loaded.set(part, exports);
  return exports;
}

// Runs a part's file: exactly that file, read as it is. Node's `require`
// would, when it is missing, run another one instead (the same name with
// ".js", ".json" or ".node" added, a native addon; or, for a folder of
// that name, whatever its package.json's "main" names, anywhere on disk).
function runFile(file: string): unknown {
  const fs = nodeBuiltin<typeof import("node:fs")>("node:fs");
  return runCode(fs.readFileSync(file, "utf8"), file, dirname(file));
}

// Runs a CommonJS bundle held in memory as Node runs a module file. Its
// only `require`s are of Node's built-ins (the bundle inlines its
// packages), so the wrapper's `require` serves those alone.
function runAsset(sea: NodeSea, part: BundlePart, execPath: string): unknown {
  const code = sea.getAsset(seaAssetName(part), "utf8");
  let cachedData: Uint8Array | undefined;
  try {
    cachedData = new Uint8Array(sea.getRawAsset(seaCacheName(part)));
  } catch {
    // A build without a cache: compile from the source alone.
  }
  return runCode(
    code,
    join(execPath, seaAssetName(part)),
    execPath,
    cachedData,
  );
}

function runCode(
  code: string,
  filename: string,
  folder: string,
  cachedData?: Uint8Array,
): unknown {
  const vm = nodeBuiltin<typeof import("node:vm")>("node:vm");
  const wrapper = vm.compileFunction(code, [...PART_WRAPPER_PARAMETERS], {
    filename,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as unknown };
  const require = (name: string) => nodeBuiltin(name);
  wrapper(module.exports, require, module, filename, folder);
  return module.exports;
}
