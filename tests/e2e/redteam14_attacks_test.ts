/**
 * Red team 14: attacks on issue 17's performance changes, as an outsider
 * would make them. The hooks now start Deno with
 * `--unstable-lazy-dynamic-imports` and run with the repository as their
 * working folder, so a repository ships what Deno might take for the
 * tool's own project (a `deno.json` with `nodeModulesDir`, a
 * `package.json`, an `.npmrc`, `node_modules/` whose packages carry the
 * names and versions of the tool's); and `verify` no longer hashes a
 * stored artifact equal to the config's bytes. Each test asserts the
 * secure behaviour.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { config } from "../support/attacks.ts";
import {
  denoEnv,
  MOD_PATH,
  PERMISSION_FLAGS,
  TEST_BIN_ENV,
} from "../support/cli.ts";
import { commit, flowWithHooks, push, sha256 } from "../support/flow.ts";
import { gitEnv } from "../support/repo.ts";

const V1 = config("server-v1");
const V2 = config("server-v2");
const EVIL = config("curl-evil");

// The tool's npm packages that verify, sign and the hooks load, with the
// names each module exports that the tool imports (src/deps.ts).
const PLANTED: { name: string; version: string; exports: string[] }[] = [
  {
    name: "@noble/ed25519",
    version: "3.2.0",
    exports: ["getPublicKeyAsync", "Point", "signAsync", "verifyAsync"],
  },
  { name: "@noble/hashes", version: "2.4.0", exports: ["sha256", "sha512"] },
  { name: "smol-toml", version: "1.9.1", exports: ["parse", "TomlError"] },
  { name: "jsonc-parser", version: "3.3.1", exports: ["parse", "parseTree"] },
];

// A repository's own project files that would hand Deno its modules: each
// planted package writes `marker` when it is loaded, and "verifies" every
// signature.
function plantedProject(marker: string): Record<string, string> {
  const files: Record<string, string> = {
    // Deno would take the tool's npm packages from node_modules/.
    "deno.json": JSON.stringify({ nodeModulesDir: "manual" }) + "\n",
    "package.json": JSON.stringify({
      name: "innocent-looking",
      private: true,
      dependencies: Object.fromEntries(PLANTED.map((p) => [p.name, p.version])),
    }) + "\n",
    ".npmrc": "registry=http://127.0.0.1:9/\n",
  };
  for (const { name, version, exports } of PLANTED) {
    files[`node_modules/${name}/package.json`] = JSON.stringify({
      name,
      version,
      type: "module",
      exports: { ".": "./index.js", "./*": "./index.js" },
    }) + "\n";
    files[`node_modules/${name}/index.js`] = [
      `import { appendFileSync } from "node:fs";`,
      `appendFileSync(${JSON.stringify(marker)}, ${
        JSON.stringify(name)
      } + "\\n");`,
      ...exports.map((e) => `export const ${e} = () => true;`),
      "",
    ].join("\n");
  }
  return files;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("red team 14: a repository's deno.json, package.json, .npmrc and node_modules are not the hooks' or verify's modules", async () => {
  await using flow = await flowWithHooks("alice@example.com");
  await commit(flow, "Alice signs v1", { ".mcp.json": V1 });
  const marker = join(dirname(flow.repo.root), "planted module ran");
  const ran = async (step: string) =>
    assert.equal(
      await exists(marker),
      false,
      `${step}: a planted module ran:\n${await Deno.readTextFile(marker).catch(
        () => "",
      )}`,
    );

  // Committed through the pre-commit hook, pushed through the pre-push
  // hook, and a new version signed by the hook: each starts the tool in
  // this repository.
  await commit(flow, "A project of our own", plantedProject(marker));
  await ran("pre-commit of the planted project");
  await commit(flow, "Alice signs v2", { ".mcp.json": V2 });
  await ran("pre-commit that signs v2");
  await push(flow, "main");
  await ran("pre-push");

  // The tampered config still fails (the planted ed25519 "verifies" all).
  await flow.repo.write(".mcp.json", EVIL);
  const verified = await flow.cli(["verify"]);
  assert.equal(verified.code, 1, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /FAIL {2}\.mcp\.json {2}TAMPERED:/);
  await ran("verify");

  // The plant is live: the tool started with this repository's deno.json
  // as its configuration runs it. (A compiled executable takes none.)
  if (!Deno.env.get(TEST_BIN_ENV)) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        join(flow.repo.root, "deno.json"),
        ...PERMISSION_FLAGS,
        MOD_PATH,
        "verify",
      ],
      cwd: flow.repo.root,
      clearEnv: true,
      env: {
        ...gitEnv(flow.repo.home),
        ...await denoEnv(),
        MCP_ORCHESTRATION_HOME: flow.repo.home,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(
      await exists(marker),
      `the control run did not load a planted module:\n${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
});

Deno.test("red team 14: a stored artifact equal to the config's bytes does not stand for the signed ones", async () => {
  await using flow = await flowWithHooks("alice@example.com");
  await commit(flow, "Alice signs v1", { ".mcp.json": V1 });
  const artifact = `.mcp-orchestration/artifacts/${sha256(V1)}`;
  assert.equal(new TextDecoder().decode(await flow.repo.read(artifact)), V1);

  // The config and its stored copy both replaced by the same bytes: equal,
  // and neither hashes to the signed id.
  await flow.repo.write(".mcp.json", EVIL);
  await flow.repo.write(artifact, EVIL);
  let result = await flow.cli(["verify"]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /FAIL {2}\.mcp\.json {2}TAMPERED:/);

  // The config as signed, its stored copy one byte off (the same length,
  // so not equal to the config's bytes only by its last byte): hashed.
  await flow.repo.write(".mcp.json", V1);
  await flow.repo.write(artifact, V1.slice(0, -1) + " ");
  result = await flow.cli(["verify"]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(
    result.stdout,
    /FAIL {2}\.mcp\.json {2}MISSING_ARTIFACT: .*damaged/,
  );

  await flow.repo.write(artifact, V1);
  result = await flow.cli(["verify"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
});
