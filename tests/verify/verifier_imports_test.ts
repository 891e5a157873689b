/**
 * The verifier stays pure: its module graph reaches no store reader or
 * writer, git, file system, lock, runtime adapter, signing or CLI code.
 * Only formats, crypto, the trust list and the type it works on.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FORBIDDEN =
  /\/src\/(store\/(store|load_signed|index_file)\.ts|git\/|source\/|app\/|fs\/|sign\/|hooks\/|cli\/|configs\/|.*runtime|current_process\.ts|permissions\.ts)/;

Deno.test("verifier: imports nothing that reads, writes, runs git or signs", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "src/verify/verifier.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  const local = info.modules.map((module) => module.specifier)
    .filter((specifier) => specifier.startsWith("file:"));
  assert.ok(
    local.some((specifier) => specifier.endsWith("/src/verify/verifier.ts")),
    JSON.stringify(local),
  );
  assert.deepEqual(
    local.filter((specifier) => FORBIDDEN.test(specifier)),
    [],
  );
  // No npm package that runs processes (simple-git) is reached either.
  const packages = info.modules.map((module) => module.specifier)
    .filter((specifier) => specifier.startsWith("npm:"));
  assert.deepEqual(packages.filter((name) => name.includes("git")), []);
});
