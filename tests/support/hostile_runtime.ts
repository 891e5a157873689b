/**
 * What a pull request can ship to pose as the verifier's runtime, for the
 * tests of `action/verify.sh` and `hooks/pre-commit-framework`: a
 * `package.json` that depends on a fake `deno`, that fake in
 * `node_modules/deno` (bin linked from `node_modules/.bin/deno`), an
 * `.npmrc` naming an unreachable registry, and the `npm_config_*` variables
 * that `npm run` in such a checkout exports. The fake prints
 * {@linkcode HOSTILE_OUTPUT}, writes a marker file outside the checkout and
 * exits 0, as a "verifier" that lets everything through would.
 *
 * Also the environments those tests need around it: a `PATH` that reaches
 * `node` and `npm` but no `deno` (so that the scripts must install their
 * own), and a user npm config that shares the developer's npm cache (so that
 * installing Deno does not download it again each run).
 *
 * @module
 */

import { join } from "node:path";

/** What the fake deno prints. */
export const HOSTILE_OUTPUT = "HOSTILE DENO RAN";

/** An npm registry that nothing listens on (the discard port on loopback). */
export const UNREACHABLE_REGISTRY = "http://127.0.0.1:9/";

/** A checkout that carries a fake runtime. */
export interface HostileCheckout {
  /** The file the fake deno writes when it runs (outside the checkout). */
  marker: string;
  /** The checkout's own `node_modules/.bin`, absolute. */
  binDir: string;
  /** The files planted, relative to the checkout's root. */
  files: string[];
}

/**
 * Writes the fake runtime into a checkout's work tree.
 *
 * @param root The checkout's root.
 * @param marker Where the fake deno writes when it runs.
 * @returns The marker's path, the checkout's bin folder and the files planted.
 */
export async function plantHostileRuntime(
  root: string,
  marker: string,
): Promise<HostileCheckout> {
  const contents: Record<string, string> = {
    "package.json": JSON.stringify({
      name: "innocent-looking",
      private: true,
      dependencies: { deno: "2.9.6" },
    }) + "\n",
    "node_modules/deno/package.json": JSON.stringify({
      name: "deno",
      version: "2.9.6",
      bin: { deno: "bin.cjs" },
    }) + "\n",
    // A shell script under the name npm's bin link expects: it needs no Node.
    "node_modules/deno/bin.cjs": [
      "#!/bin/sh",
      `echo '${HOSTILE_OUTPUT}' "$@"`,
      `echo ran >> '${marker.replaceAll("'", "'\\''")}'`,
      "exit 0",
      "",
    ].join("\n"),
    ".npmrc": `registry=${UNREACHABLE_REGISTRY}\n`,
  };
  for (const [file, text] of Object.entries(contents)) {
    const path = join(root, file);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  await Deno.chmod(join(root, "node_modules/deno/bin.cjs"), 0o755);
  const binDir = join(root, "node_modules", ".bin");
  await Deno.mkdir(binDir, { recursive: true });
  await Deno.symlink("../deno/bin.cjs", join(binDir, "deno"));
  return {
    marker,
    binDir,
    files: [...Object.keys(contents), "node_modules/.bin/deno"],
  };
}

/**
 * The variables `npm run` (or `npm exec`) in the hostile checkout exports to
 * the programs it starts, such as `git commit` and so the hooks: its
 * `.npmrc`'s registry, and the checkout's `.npmrc` as the user config.
 *
 * @param root The checkout's root.
 * @returns Variable name to value.
 */
export function npmRunEnv(root: string): Record<string, string> {
  return {
    npm_config_registry: UNREACHABLE_REGISTRY,
    npm_config_userconfig: join(root, ".npmrc"),
    npm_config_local_prefix: root,
  };
}

/**
 * Builds a `PATH` from the test's own on which no `deno` is found, but
 * everything else is: a folder that holds a `deno` is replaced by a folder of
 * links to its other programs.
 *
 * @param scratch An empty folder to create those link folders in.
 * @returns The `PATH`.
 * @throws When `node` or `npm` cannot be found on the result.
 */
export async function pathWithoutDeno(scratch: string): Promise<string> {
  const entries = (Deno.env.get("PATH") ?? "").split(":").filter((e) =>
    e.startsWith("/")
  );
  const result: string[] = [];
  for (const [i, entry] of entries.entries()) {
    if (!(await _exists(join(entry, "deno")))) {
      result.push(entry);
      continue;
    }
    const shadow = join(scratch, `path-${i}`);
    await Deno.mkdir(shadow, { recursive: true });
    for await (const item of Deno.readDir(entry)) {
      if (item.name === "deno") continue;
      await Deno.symlink(join(entry, item.name), join(shadow, item.name));
    }
    result.push(shadow);
  }
  for (const program of ["node", "npm"]) {
    const found = await Promise.all(
      result.map((dir) => _exists(join(dir, program))),
    );
    if (!found.includes(true)) {
      throw new Error(
        `Cannot test installing Deno: "${program}" is not on PATH`,
      );
    }
  }
  return result.join(":");
}

/**
 * Writes a user npm config (`$HOME/.npmrc`) that points npm at the test
 * process's own npm cache, preferring what it holds, so that each test does
 * not download Deno again. The scripts must read this file: it is the user's.
 *
 * @param home The test's home folder.
 */
export async function shareNpmCache(home: string): Promise<void> {
  const out = await new Deno.Command("npm", {
    args: ["config", "get", "cache"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const cache = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !cache.startsWith("/")) {
    throw new Error(
      `Cannot find npm's cache: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  await Deno.writeTextFile(
    join(home, ".npmrc"),
    `cache=${cache}\nprefer-offline=true\nupdate-notifier=false\n`,
  );
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
