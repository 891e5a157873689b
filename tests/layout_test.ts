/**
 * The shape of src/: imports run one way, from the command line down to the
 * formats, the crypto and the runtime adapter, and no module imports itself
 * back through others. A new folder has to be placed in {@linkcode LAYERS}.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/**
 * The folders of src/, lowest first; a module may import its own folder and
 * the folders before it ("." is src/ itself: constants, errors, the npm
 * dependencies, permission flags, build information).
 */
const LAYERS = [
  ".", // constants, errors, deps, permissions, build_info
  "bytes", // byte arrays: equality, joining
  "_runtime", // the one check of Deno or Node, and its small functions
  "fs", // bounded reads, atomic writes, locks
  "crypto", // SHA-2 and Ed25519
  "git", // finding the repository, running git
  "format", // every wire format and its strict parser (keys, SSHSIG, armor)
  "keys", // the signing key on disk
  "configs", // what an MCP config is: kinds, patterns, validation
  "source", // where configs are read from: working tree, Git objects
  "hooks", // the hook stubs and their installation
  "store", // .mcp-orchestration/: statements, index, atomic changes
  "trust", // allowed_signers: parsing, and the trust list in the store
  "verify", // the pure verifier and its tree, history and push drivers
  "sign", // signing configs, the pre-commit path, release files
  "app", // init, status, inspect
  "cli", // one file per command
] as const;

/** Every .ts file beneath a folder, relative to src/. */
function sourceFiles(folder = SRC): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) files.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(relative(SRC, path));
  }
  return files.sort();
}

/** The src/-relative modules a file imports (doc examples left out). */
function importsOf(file: string): string[] {
  const text = Deno.readTextFileSync(join(SRC, file))
    .replace(/\/\*\*[\s\S]*?\*\//g, "");
  const found: string[] = [];
  const pattern =
    /(?:import|export)[^'";]*?from\s+["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2]!;
    found.push(normalize(join(dirname(file), specifier)));
  }
  return found;
}

function layerOf(file: string): number {
  return LAYERS.indexOf(dirname(file) as typeof LAYERS[number]);
}

Deno.test("layout: every folder of src/ has its place in the layers", () => {
  const folders = [...new Set(sourceFiles().map((file) => dirname(file)))];
  assert.deepEqual(
    folders.filter((folder) => layerOf(join(folder, "x.ts")) < 0),
    [],
  );
});

type Graph = Map<string, string[]>;

function srcGraph(): Graph {
  return new Map(sourceFiles().map((file) => [file, importsOf(file)]));
}

/** Each import that leaves src/, or goes to its own layer or a higher one. */
function upwardImports(graph: Graph): string[] {
  const upward: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      if (target.startsWith("..")) {
        upward.push(`${file} -> ${target} (outside src/)`);
      } else if (
        dirname(target) !== dirname(file) && layerOf(target) >= layerOf(file)
      ) {
        upward.push(`${file} -> ${target}`);
      }
    }
  }
  return upward;
}

/** The import cycles, each as the chain of files that closes it. */
function findCycles(graph: Graph): string[] {
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  function visit(file: string, path: string[]): void {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      return;
    }
    state.set(file, "open");
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, "done");
  }
  for (const file of graph.keys()) visit(file, []);
  return cycles;
}

Deno.test("layout: imports only go down the layers, never up or across", () => {
  assert.deepEqual(upwardImports(srcGraph()), []);
});

Deno.test("layout: no module reaches itself through its imports", () => {
  assert.deepEqual(findCycles(srcGraph()), []);
});

Deno.test("layout: the checks find an upward import and a cycle", () => {
  // The rules above only mean something if imports are found at all, and an
  // upward import or a cycle is reported.
  const real = srcGraph();
  assert.ok((real.get("cli/main.ts") ?? []).length > 3);
  const made: Graph = new Map([
    ["format/a.ts", ["verify/b.ts"]],
    ["verify/b.ts", ["verify/c.ts"]],
    ["verify/c.ts", ["verify/b.ts", "format/a.ts"]],
  ]);
  assert.deepEqual(upwardImports(made), ["format/a.ts -> verify/b.ts"]);
  assert.deepEqual(findCycles(made), [
    "verify/b.ts -> verify/c.ts -> verify/b.ts",
    "format/a.ts -> verify/b.ts -> verify/c.ts -> format/a.ts",
  ]);
});
