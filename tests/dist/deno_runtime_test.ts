/**
 * `runtime/deno.sh`, which finds the Deno that the GitHub Action and the
 * pre-commit framework entry run the tool under, and the pinned install in
 * `runtime/package.json` and `runtime/package-lock.json`: the lock file pins
 * every package's sha512 integrity, an install whose download does not match
 * it is refused and leaves nothing behind, `PATH` loses every entry the
 * checked repository could fill, and npm never sees an `npm_config_*`
 * variable. The end-to-end runs (a hostile checkout, two installs at once)
 * are in github_action_test.ts and pre_commit_framework_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pathWithoutDeno, shareNpmCache } from "../support/hostile_runtime.ts";
import { runIsolated } from "../support/process.ts";
import { createTempRepo, gitEnv, withTempDir } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const RUNTIME = fileURLToPath(new URL("../../runtime/", import.meta.url));
const VERSION = "2.9.6";

interface LockEntry {
  version?: string;
  integrity?: string;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

async function readLock(
  dir = RUNTIME,
): Promise<{ packages: Record<string, LockEntry> }> {
  return JSON.parse(
    await Deno.readTextFile(join(dir, "package-lock.json")),
  );
}

/** Sources deno.sh from `runtime` in `cwd`, then finds Deno under `base`. */
function findDeno(
  runtime: string,
  base: string,
  options: { cwd: string; env: Record<string, string> },
) {
  return runIsolated("sh", [
    "-c",
    [
      'mcp_runtime_dir=$1; . "$1/deno.sh"',
      "mcp_trusted_path",
      'if mcp_find_deno "$2"; then printf "%s\\n" "$mcp_deno"; else',
      '  printf "ERROR %s\\n" "$mcp_deno_error"; exit 2; fi',
    ].join("\n"),
    "sh",
    runtime,
    base,
  ], options);
}

Deno.test("deno runtime: package.json pins deno 2.9.6, and the lock file the sha512 of it and of every platform package", async () => {
  const manifest = JSON.parse(
    await Deno.readTextFile(join(RUNTIME, "package.json")),
  );
  assert.deepEqual(manifest.dependencies, { deno: VERSION });
  assert.equal(manifest.private, true);
  const lock = await readLock();
  assert.equal((lock as { lockfileVersion?: number }).lockfileVersion, 3);
  assert.deepEqual(lock.packages[""]?.dependencies, { deno: VERSION });
  const deno = lock.packages["node_modules/deno"];
  assert.equal(deno?.version, VERSION);
  const platforms = Object.keys(deno?.optionalDependencies ?? {}).sort();
  assert.ok(platforms.length >= 6, JSON.stringify(deno));
  assert.deepEqual(
    Object.keys(lock.packages).filter((k) => k !== "").sort(),
    ["node_modules/deno", ...platforms.map((p) => `node_modules/${p}`)]
      .sort(),
  );
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "") continue;
    assert.equal(entry.version, VERSION, path);
    assert.match(entry.integrity ?? "", /^sha512-[A-Za-z0-9+/]{86}==$/, path);
  }
  const script = await Deno.readTextFile(join(RUNTIME, "deno.sh"));
  assert.match(script, new RegExp(`^mcp_deno_version=${VERSION}$`, "m"));
});

Deno.test({
  name:
    "deno runtime: PATH loses empty, relative and missing entries and those inside the checked repository",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await Deno.mkdir(join(repo.root, "node_modules", ".bin"), {
      recursive: true,
    });
    await Deno.mkdir(join(repo.root, "sub"));
    await Deno.mkdir(join(repo.home, "tools"));
    // A folder outside that is a link into the repository counts as inside.
    await Deno.symlink(join(repo.root, "sub"), join(repo.home, "into repo"));
    const system = (Deno.env.get("PATH") ?? "").split(":").filter((e) =>
      e.startsWith("/")
    );
    const path = [
      "",
      ".",
      "node_modules/.bin",
      join(repo.root, "node_modules", ".bin"),
      join(repo.home, "tools"),
      join(repo.home, "into repo"),
      join(repo.home, "missing"),
      repo.root,
      ...system,
    ].join(":");
    const out = await runIsolated("sh", [
      "-c",
      'mcp_runtime_dir=$1; . "$1/deno.sh"; mcp_trusted_path; printf "%s" "$PATH"',
      "sh",
      RUNTIME,
    ], {
      // A subfolder: the repository's root is still inside (git tells it).
      cwd: join(repo.root, "sub"),
      env: { ...gitEnv(repo.home), PATH: path },
    });
    assert.equal(out.code, 0, out.stderr);
    const kept = out.stdout.split(":");
    assert.equal(kept[0], join(repo.home, "tools"), out.stdout);
    for (const entry of kept) {
      assert.ok(entry.startsWith("/"), out.stdout);
      assert.ok(!entry.startsWith(repo.root), out.stdout);
      assert.ok(!entry.includes("into repo"), out.stdout);
    }
  },
});

Deno.test({
  name: "deno runtime: npm is started with no npm_config_* variable, any case",
  ignore: ON_WINDOWS,
  async fn() {
    const out = await runIsolated("sh", [
      "-c",
      'mcp_runtime_dir=$1; . "$1/deno.sh"; mcp_without_npm_config env',
      "sh",
      RUNTIME,
    ], {
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        npm_config_registry: "http://127.0.0.1:9/",
        NPM_CONFIG_USERCONFIG: "/tmp/evil",
        Npm_Config_Cache: "/tmp/evil",
        npm_package_name: "kept",
      },
    });
    assert.equal(out.code, 0, out.stderr);
    assert.doesNotMatch(out.stdout, /^npm_config_/im);
    assert.match(out.stdout, /^npm_package_name=kept$/m);
  },
});

Deno.test({
  name:
    "deno runtime: a download that does not match the lock file's integrity is refused, and nothing is left installed",
  ignore: ON_WINDOWS,
  async fn() {
    await withTempDir(async (dir) => {
      const home = join(dir, "home");
      await Deno.mkdir(home);
      await shareNpmCache(home);
      const env = {
        ...gitEnv(home),
        PATH: await pathWithoutDeno(join(dir, "path")),
      };
      // Where the scripts run: the checked repository, beside the installs.
      const cwd = join(dir, "checkout");
      await Deno.mkdir(cwd);
      const lock = await readLock();
      // One wrong digit: in the "deno" package, or in every platform
      // package (npm skips an optional package that fails its check, so the
      // install must notice that it has no binary).
      const cases: [string, (path: string) => boolean][] = [
        ["deno", (path) => path === "node_modules/deno"],
        ["the platform packages", (path) => path.startsWith("node_modules/@")],
      ];
      for (const [label, tampered] of cases) {
        const runtime = join(dir, `runtime ${label}`);
        await Deno.mkdir(runtime);
        for (const file of ["deno.sh", "package.json"]) {
          await Deno.copyFile(join(RUNTIME, file), join(runtime, file));
        }
        const copy = structuredClone(lock);
        for (const [path, entry] of Object.entries(copy.packages)) {
          if (!tampered(path)) continue;
          const digest = entry.integrity!;
          const i = digest.indexOf("-") + 5;
          entry.integrity = digest.slice(0, i) +
            (digest[i] === "A" ? "B" : "A") + digest.slice(i + 1);
        }
        await Deno.writeTextFile(
          join(runtime, "package-lock.json"),
          JSON.stringify(copy, null, 2) + "\n",
        );
        const base = join(dir, `installs ${label}`);
        const out = await findDeno(runtime, base, { cwd, env });
        assert.equal(out.code, 2, `${label}: ${out.stdout}${out.stderr}`);
        assert.match(
          out.stdout,
          /^ERROR Cannot install Deno 2\.9\.6 from npm into /,
          `${label}: ${out.stdout}${out.stderr}`,
        );
        const left = [];
        for await (const entry of Deno.readDir(base)) left.push(entry.name);
        assert.deepEqual(left, [], label);
      }

      // The lock file as committed installs, next to an interrupted
      // install's leftovers, which are not used.
      const base = join(dir, "installs");
      const leftover = join(base, ".deno-2.9.6.abcdef", "node_modules/@deno/x");
      await Deno.mkdir(leftover, { recursive: true });
      await Deno.writeTextFile(join(leftover, "deno"), "#!/bin/sh\nexit 0\n");
      await Deno.chmod(join(leftover, "deno"), 0o755);
      const out = await findDeno(RUNTIME, base, { cwd, env });
      assert.equal(out.code, 0, out.stdout + out.stderr);
      const deno = out.stdout.trim();
      assert.ok(
        deno.startsWith(join(base, "deno-2.9.6", "node_modules", "@deno")),
        deno,
      );
      const version = await runIsolated(deno, ["--version"], { env });
      assert.match(version.stdout, /^deno 2\.9\.6 /);
    });
  },
});
