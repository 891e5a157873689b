/**
 * Builds the tool for distribution from a staged copy of the sources, in
 * which src/build_info.ts names the commit they come from:
 *
 * - `deno task bundle`: `dist/npm/`, the npm package (npm/package.json and
 *   one bundled CommonJS file, `mcp-orchestration.cjs`, for Node 20.16 and
 *   later, with its part `mcp-orchestration.mcp-sdk.cjs`: the MCP SDK and
 *   zod, which only `mcp` loads, bundled apart so that no other command
 *   parses them at start-up);
 * - `deno task compile`: `dist/mcp-orchestration`, one self-contained
 *   executable, by one of two routes:
 *   - `deno`: `deno compile` with the tool's permission flags baked in. It
 *     needs Deno's `denort` runtime: from `DENORT_BIN` when set, else
 *     downloaded by Deno (or taken from Deno's cache);
 *   - `node-sea`: a Node single executable application: the bundle above,
 *     injected into a copy of the `node` executable with postject, its part
 *     (and V8's code cache for it) as assets of the blob. Node has no
 *     permission sandbox to bake in (see docs/SECURITY.md).
 *
 *   `--route auto` (the default) takes `deno` when `DENORT_BIN` is set or
 *   `deno compile` can get `denort`, else `node-sea`, and says which it took
 *   and why. Either way the executable is first run with an empty
 *   environment from `/` (`--version`) before it replaces the old one.
 *
 * Usage: `deno run --allow-read --allow-write --allow-run --allow-env
 * scripts/build.ts bundle|compile [--route auto|deno|node-sea]
 * [--out PATH]`.
 *
 * @module
 */

import {
  chmod,
  cp,
  mkdir,
  mkdtemp,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Buffer } from "node:buffer";
import {
  BUNDLE_PARTS,
  bundlePartFile,
  PART_WRAPPER_PARAMETERS,
  seaAssetName,
  seaCacheName,
} from "../src/_runtime/bundle_part.ts";
import { VERSION } from "../src/constants.ts";
import { type BundlePart, MCP_SDK_PACKAGES } from "../src/deps.ts";
import { CI_PERMISSION_FLAGS } from "./permissions.ts";

/** The checkout's root folder. */
export const ROOT: string = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
);
/** The permissions this script runs with (the `bundle` and `compile` tasks). */
export const BUILD_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];
/** Where the single executable goes by default. */
export const BINARY_PATH: string = join(ROOT, "dist", "mcp-orchestration");
/** Where the npm package folder goes. */
export const NPM_DIR: string = join(ROOT, "dist", "npm");
/** The bundled script's name inside the npm package. */
export const BUNDLE_NAME = "mcp-orchestration.cjs";

// The fuse Node looks for to know a single executable carries a blob
// (Node's documentation, "Single executable applications").
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** How `compile` made the executable. */
export type Route = "deno" | "node-sea";

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } =
    {},
): Promise<Output> {
  const out = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...options,
    env: { ...(options.clearEnv ? {} : { NO_COLOR: "1" }), ...options.env },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

async function mustRun(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await run(command, args, options);
  if (out.code !== 0) {
    throw new Error(
      `"${command} ${
        args.join(" ")
      }" failed (exit ${out.code}):\n${out.stderr}${out.stdout}`,
    );
  }
  return out.stdout;
}

/**
 * Names the commit the checkout is at: its full hash, with `-dirty` when
 * tracked or untracked files differ from it (a build must not claim a
 * commit it does not match).
 *
 * @returns For example `"4ebd887…e1-dirty"`.
 */
export async function sourceCommit(): Promise<string> {
  const head = (await mustRun("git", ["rev-parse", "HEAD"], { cwd: ROOT }))
    .trim();
  const changes = await mustRun("git", ["status", "--porcelain"], {
    cwd: ROOT,
  });
  return changes.trim() ? `${head}-dirty` : head;
}

/**
 * Copies what the tool is built from (mod.ts, main.ts, src/, deno.json, deno.lock)
 * into a new temporary folder and stamps src/build_info.ts there.
 *
 * @param commit What `--version` will name.
 * @returns The staged folder; the caller removes it.
 */
export async function stageSources(commit: string): Promise<string> {
  const stage = await mkdtemp(join(tmpdir(), "mcp-orchestration-build-"));
  for (const name of ["mod.ts", "main.ts", "src", "deno.json", "deno.lock"]) {
    await cp(join(ROOT, name), join(stage, name), { recursive: true });
  }
  await writeFile(
    join(stage, "src", "build_info.ts"),
    `// Written by scripts/build.ts.\n` +
      `/** The commit this build was made from. */\n` +
      `export const BUILD_COMMIT: string | undefined = ${
        JSON.stringify(commit)
      };\n`,
  );
  return stage;
}

/**
 * Bundles the staged sources into one CommonJS script for Node
 * (src/cli/node_main.ts and everything it imports, npm packages included;
 * `node:` built-ins stay external), or, with `part`, the script of one part
 * that the main script loads on first use (src/_runtime/bundle_part.ts).
 * The main script leaves out each part's packages: their `import()`s stay
 * in it unbundled, and unreached under Node (src/deps.ts,
 * `loadBundlesWith`).
 *
 * @param stage A folder from {@linkcode stageSources}.
 * @param out The script to write.
 * @param options `shebang` starts it with `#!/usr/bin/env node`; `part`
 *   bundles that part instead of the main script.
 * @throws {Error} When `deno bundle` fails, or the main script would still
 *   load a part's package at start-up.
 */
export async function bundle(
  stage: string,
  out: string,
  options: { shebang?: boolean; part?: BundlePart } = {},
): Promise<void> {
  const raw = join(stage, `bundle-${options.part ?? "main"}.cjs`);
  const entry = options.part
    ? PART_ENTRIES[options.part]
    : join("src", "cli", "node_main.ts");
  const external = options.part
    ? []
    : MCP_SDK_PACKAGES.flatMap((name) => ["--external", name]);
  await mustRun(Deno.execPath(), [
    "bundle",
    "--quiet",
    "--frozen",
    "--platform",
    "deno",
    "--format",
    "cjs",
    ...external,
    "--output",
    raw,
    join(stage, entry),
  ], { cwd: stage });
  const code = await Deno.readTextFile(raw);
  // An external package is left as a `require` of its npm: specifier when
  // something imports it statically: Node would then fail at every start,
  // not only in `mcp`.
  const required = code.match(/\brequire\(.npm:[^)]*\)/);
  if (required) {
    throw new Error(
      `The bundle of "${entry}" loads ${
        required[0]
      } at start-up: import that package only through its loader in src/deps.ts`,
    );
  }
  await writeAtomically(
    out,
    (options.shebang ? "#!/usr/bin/env node\n" : "") + code,
    // A part is required by the main script, never run itself.
    options.part ? 0o644 : 0o755,
  );
}

/** Each part's entry point, relative to the sources' root. */
const PART_ENTRIES: Record<BundlePart, string> = {
  "mcp-sdk": join("src", "cli", "node_mcp_sdk.ts"),
};

async function writeAtomically(
  path: string,
  data: string | Uint8Array,
  mode: number,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    await writeFile(temporary, data, { mode });
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Builds the npm package folder: npm/package.json (whose version must be
 * the tool's) and the bundled script its `bin` names.
 *
 * @param commit What `--version` will name.
 * @param outDir The package folder (default `dist/npm`).
 * @returns The package folder.
 */
export async function buildNpmPackage(
  commit: string,
  outDir: string = NPM_DIR,
): Promise<string> {
  const manifest = JSON.parse(
    await Deno.readTextFile(join(ROOT, "npm", "package.json")),
  );
  if (manifest.version !== VERSION) {
    throw new Error(
      `npm/package.json has version "${manifest.version}" but the tool is "${VERSION}": change both together`,
    );
  }
  const stage = await stageSources(commit);
  try {
    const main = join(outDir, BUNDLE_NAME);
    await bundle(stage, main, { shebang: true });
    for (const part of BUNDLE_PARTS) {
      await bundle(stage, bundlePartFile(main, part), { part });
    }
    await cp(join(ROOT, "npm", "package.json"), join(outDir, "package.json"));
    await cp(join(ROOT, "npm", "README.md"), join(outDir, "README.md"));
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return outDir;
}

/**
 * Builds the single executable.
 *
 * @param commit What `--version` will name.
 * @param options The route and the output path.
 * @returns The route taken and, for `auto`, why.
 */
export async function compile(
  commit: string,
  options: { route: Route | "auto"; out: string },
): Promise<{ route: Route; why: string }> {
  const stage = await stageSources(commit);
  try {
    const temporary = `${options.out}.tmp-${crypto.randomUUID()}`;
    await mkdir(dirname(options.out), { recursive: true });
    try {
      const taken = await compileTo(stage, temporary, options.route);
      await smokeTest(temporary, commit, taken.route);
      await rename(temporary, options.out);
      return taken;
    } finally {
      await rm(temporary, { force: true });
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function compileTo(
  stage: string,
  out: string,
  route: Route | "auto",
): Promise<{ route: Route; why: string }> {
  const denort = Deno.env.get("DENORT_BIN");
  if (route === "node-sea") {
    await compileNodeSea(stage, out);
    return { route, why: "asked for" };
  }
  const attempt = await denoCompile(stage, out);
  if (attempt.code === 0) {
    return {
      route: "deno",
      why: denort ? `DENORT_BIN="${denort}"` : "deno compile got its runtime",
    };
  }
  const reason = attempt.stderr.trim().split("\n").slice(0, 6).join("\n");
  // Asked for deno, or given a denort: a failure is the answer, not a cue to
  // build something else.
  if (route === "deno" || denort) {
    throw new Error(
      `deno compile failed${
        denort ? ` with DENORT_BIN="${denort}"` : ""
      }:\n${reason}`,
    );
  }
  if (!/denort|dl\.deno\.land|base binary|download/i.test(attempt.stderr)) {
    throw new Error(`deno compile failed:\n${reason}`);
  }
  await compileNodeSea(stage, out);
  return {
    route: "node-sea",
    why:
      `deno compile could not get its denort runtime (set DENORT_BIN to a local one):\n  ${
        reason.replaceAll("\n", "\n  ")
      }`,
  };
}

function denoCompile(stage: string, out: string): Promise<Output> {
  return run(Deno.execPath(), [
    "compile",
    "--quiet",
    "--frozen",
    // The tool's flags and the CI variables of "verify --ci": the one
    // executable serves hooks and CI alike.
    ...CI_PERMISSION_FLAGS,
    "--output",
    out,
    join(stage, "main.ts"),
  ], { cwd: stage });
}

// V8's code cache of a part, made by the `node` the executable is a copy of:
// compiled as src/_runtime/bundle_part.ts compiles it, without running it,
// then checked: compiled again under another file name (the executable's
// path differs), V8 must take it.
const PRODUCE_CODE_CACHE = `
const [source, out, parameters] = process.argv.slice(1);
const { readFileSync, writeFileSync } = require("node:fs");
const { compileFunction } = require("node:vm");
const code = readFileSync(source, "utf8");
const compiled = compileFunction(code, JSON.parse(parameters), {
  filename: "/build/part.cjs",
  produceCachedData: true,
});
if (!compiled.cachedData) throw new Error("V8 made no code cache");
const again = compileFunction(code, JSON.parse(parameters), {
  filename: "/elsewhere/part.cjs",
  cachedData: compiled.cachedData,
});
if (again.cachedDataRejected !== false) {
  throw new Error("V8 rejects the code cache it just made");
}
writeFileSync(out, compiled.cachedData);
`;

async function compileNodeSea(stage: string, out: string): Promise<void> {
  const node = (await mustRun("node", ["-p", "process.execPath"])).trim();
  const script = join(stage, "sea", "main.cjs");
  const blob = join(stage, "sea", "main.blob");
  await bundle(stage, script);
  const assets: Record<string, string> = {};
  for (const part of BUNDLE_PARTS) {
    const file = bundlePartFile(script, part);
    await bundle(stage, file, { part });
    assets[seaAssetName(part)] = file;
    assets[seaCacheName(part)] = `${file}.v8-cache`;
    await mustRun(node, [
      "-e",
      PRODUCE_CODE_CACHE,
      file,
      `${file}.v8-cache`,
      JSON.stringify(PART_WRAPPER_PARAMETERS),
    ]);
  }
  const config = join(stage, "sea", "sea-config.json");
  await writeFile(
    config,
    JSON.stringify({
      main: script,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets,
    }),
  );
  await mustRun(node, ["--experimental-sea-config", config], { cwd: stage });
  await cp(node, out);
  await chmod(out, 0o755);
  // Loaded here only: postject is large, and only this route needs it.
  const { postject } = await import("./deps.ts");
  // postject checks for a Node Buffer, not just any Uint8Array.
  const data = Buffer.from(await Deno.readFile(blob));
  await postject.inject(out, "NODE_SEA_BLOB", data, {
    sentinelFuse: SEA_FUSE,
  });
}

// Runs the new executable the way a user's machine would meet it: no
// environment, no source tree, from `/`.
async function smokeTest(
  executable: string,
  commit: string,
  route: Route,
): Promise<void> {
  const out = await run(executable, ["--version"], {
    cwd: "/",
    env: {},
    clearEnv: true,
  });
  const expected = `commit ${commit}`;
  if (out.code !== 0 || !out.stdout.includes(expected)) {
    throw new Error(
      `The new executable does not run: "--version" exited ${out.code}, printed "${out.stdout.trim()}" (expected "${expected}")\n${out.stderr}`,
    );
  }
  if (route !== "node-sea") return;
  // The MCP SDK is an asset of a Node single executable, run only by `mcp`:
  // with no input, `mcp` loads it, serves nothing and exits 0.
  const mcp = await run(executable, ["mcp"], {
    cwd: "/",
    env: {},
    clearEnv: true,
  });
  if (mcp.code !== 0) {
    throw new Error(
      `The new executable's "mcp" does not start: it exited ${mcp.code}\n${mcp.stderr}`,
    );
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      route: { type: "string", default: "auto" },
      out: { type: "string" },
    },
    allowPositionals: true,
  });
  const [what] = positionals;
  const route = values.route;
  if (
    positionals.length !== 1 || (what !== "bundle" && what !== "compile") ||
    (route !== "auto" && route !== "deno" && route !== "node-sea")
  ) {
    console.error(
      "usage: build.ts bundle|compile [--route auto|deno|node-sea] [--out PATH]",
    );
    Deno.exit(2);
  }
  try {
    const commit = await sourceCommit();
    if (what === "bundle") {
      const dir = await buildNpmPackage(
        commit,
        values.out ? resolve(values.out) : NPM_DIR,
      );
      console.log(`Built the npm package in ${dir} (commit ${commit})`);
    } else {
      const out = values.out ? resolve(values.out) : BINARY_PATH;
      const taken = await compile(commit, { route, out });
      console.log(
        `Built ${out} (commit ${commit})\nroute: ${taken.route} (${taken.why})`,
      );
    }
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
