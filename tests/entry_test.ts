/**
 * The two entry modules: `main.ts` runs the command line, `mod.ts` is the
 * library and refuses to stand in for it (hooks installed by earlier
 * versions start `mod.ts`; one that did nothing would let them pass).
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { VERSION } from "../mod.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

async function run(module: string, args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMISSION_FLAGS, module, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("main.ts runs the command line", async () => {
  const result = await run("main.ts", ["--version"]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.includes(VERSION), result.stdout);
});

Deno.test("mod.ts run as a program refuses, whatever it is asked: an old hook cannot pass through it", async () => {
  for (const args of [["hook", "pre-push"], ["verify"], ["--version"]]) {
    const result = await run("mod.ts", args);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^error\[USAGE\]: mod\.ts is the library/);
    assert.match(result.stderr, /mcp-orchestration install/);
  }
});
