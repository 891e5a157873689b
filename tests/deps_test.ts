/**
 * Third-party code enters through one deps module per tier, each the only
 * file of its tier that names a package: src/deps.ts for the tool (full
 * `npm:` specifiers, so that `deno run https://…/mod.ts` needs no deno.json),
 * scripts/deps.ts for the build scripts, tests/support/deps.ts for the
 * tests. Three files rather than one, because a module's static imports all
 * load: one shared file would make the tool load fast-check at start-up.
 * Together they are the one place: no other file names a package, the tool
 * never imports the other two, every version is exact and agrees with
 * deno.lock, and the lock holds nothing else.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readTree } from "./support/tree.ts";

/** The deps module of each tier, by the folder it serves. */
const DEPS_MODULES: Record<string, string> = {
  "src/": "src/deps.ts",
  "scripts/": "scripts/deps.ts",
  "tests/": "tests/support/deps.ts",
};

const CODE = /\.(?:[cm]?[jt]s|tsx)$/;
// A package or remote module named in code: npm:, jsr:, or an import from
// a URL.
const PACKAGE = /["'`](?:npm|jsr):[^"'`]+["'`]/g;
const REMOTE_IMPORT = /(?:from|import\()\s*["'`]https?:/g;
const NPM_SPECIFIER =
  /["'`]npm:((?:@[a-z0-9._-]+\/)?[a-z0-9._-]+)@([^/"'`]+)(?:\/[^"'`]*)?["'`]/g;
const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

async function codeFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [path, text] of await readTree()) {
    if (CODE.test(path)) files.set(path, text);
  }
  return files;
}

Deno.test("only the three deps modules name a third-party package", async () => {
  const deps = new Set(Object.values(DEPS_MODULES));
  const files = await codeFiles();
  for (const path of deps) assert.ok(files.has(path), `${path} is missing`);
  for (const [path, text] of files) {
    if (path === "tests/deps_test.ts") continue;
    assert.deepEqual(
      [...text.matchAll(REMOTE_IMPORT)].map((m) => m[0]),
      [],
      `${path} imports from a URL`,
    );
    if (deps.has(path)) continue;
    assert.deepEqual(
      [...text.matchAll(PACKAGE)].map((m) => m[0]),
      [],
      `${path} names a package: import it through ${
        Object.entries(DEPS_MODULES).find(([dir]) => path.startsWith(dir))
          ?.[1] ?? "one of the deps modules"
      }`,
    );
  }
});

Deno.test("the tool never imports the scripts' or the tests' dependencies", async () => {
  for (const [path, text] of await codeFiles()) {
    if (!path.startsWith("src/") && path !== "mod.ts") continue;
    const imports = [...text.matchAll(/(?:from|import\()\s*["'`]([^"'`]+)/g)]
      .map((m) => m[1]!);
    for (const specifier of imports) {
      assert.ok(
        !/(?:^|\/)(?:tests|scripts|bench)\//.test(specifier),
        `${path} imports "${specifier}"`,
      );
    }
  }
});

Deno.test("every package has one exact version, the one deno.lock holds, and the lock holds no other", async () => {
  const files = await codeFiles();
  const versions = new Map<string, string>();
  for (const path of Object.values(DEPS_MODULES)) {
    for (const [, name, version] of files.get(path)!.matchAll(NPM_SPECIFIER)) {
      assert.match(version!, EXACT_VERSION, `${path}: ${name}@${version}`);
      const seen = versions.get(name!);
      assert.ok(
        seen === undefined || seen === version,
        `${name} is at ${seen} and at ${version}`,
      );
      versions.set(name!, version!);
    }
  }
  assert.ok(versions.size > 0);
  const lock = JSON.parse(
    await Deno.readTextFile(new URL("../deno.lock", import.meta.url)),
  ) as { specifiers: Record<string, string> };
  // A package with peer dependencies is locked with them after its version
  // ("1.32.2_zod@4.6.7": the MCP SDK and the zod it was resolved with);
  // each peer is a package named here too, at that same version.
  const locked: Record<string, string> = {};
  for (const [specifier, resolved] of Object.entries(lock.specifiers)) {
    const [version, ...peers] = resolved.split("_");
    locked[specifier] = version!;
    for (const peer of peers) {
      const at = peer.lastIndexOf("@");
      assert.equal(
        versions.get(peer.slice(0, at)),
        peer.slice(at + 1),
        `${specifier} is locked with ${peer}`,
      );
    }
  }
  assert.deepEqual(
    locked,
    Object.fromEntries(
      [...versions].sort(([a], [b]) => a < b ? -1 : 1).map((
        [name, version],
      ) => [`npm:${name}@${version}`, version]),
    ),
  );
  // No import map: it would be a second place.
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert.equal(config.imports, undefined);
  assert.equal(config.importMap, undefined);
});
