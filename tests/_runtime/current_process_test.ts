/**
 * The running process under Deno: what the CLI reads and writes through it,
 * checked in a child process with its own arguments, input, permissions and
 * exit code.
 *
 * @module
 */

import assert from "node:assert/strict";
import { currentProcess, readEnv } from "../../src/_runtime/current_process.ts";

const MODULE = new URL("../../src/_runtime/current_process.ts", import.meta.url)
  .href;

Deno.test("currentProcess under deno test", () => {
  assert.equal(currentProcess.runtime, `deno ${Deno.version.deno}`);
  assert.equal(currentProcess.cwd(), Deno.cwd());
  assert.equal(
    currentProcess.platform,
    Deno.build.os === "windows" ? "win32" : Deno.build.os,
  );
  assert.deepEqual(currentProcess.args(), Deno.args);
});

Deno.test("currentProcess: arguments, streams, stdin, environment and exit code of a child", async () => {
  const script = `
    import { currentProcess, readEnv } from "${MODULE}";
    const input = new TextDecoder().decode(await currentProcess.readStdin());
    currentProcess.writeOut(JSON.stringify({
      args: currentProcess.args(),
      input,
      allowed: currentProcess.env("ALLOWED"),
      empty: readEnv("EMPTY"),
      emptyRaw: currentProcess.env("EMPTY"),
      denied: currentProcess.env("DENIED"),
    }));
    currentProcess.writeErr("é".repeat(70000));
    currentProcess.setExitCode(7);
  `;
  // deno eval would grant every permission: a script file, run with few.
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-env=ALLOWED,EMPTY", file, "a b", "--c"],
    env: { ALLOWED: "yes", EMPTY: "", DENIED: "no" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("input\n"));
  await writer.close();
  const out = await child.output().finally(() => Deno.remove(file));
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 7, stderr.slice(0, 500));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    args: ["a b", "--c"],
    input: "input\n",
    allowed: "yes",
    emptyRaw: "",
    // readEnv: empty reads as unset; outside --allow-env reads as unset.
  });
  assert.equal(stderr, "é".repeat(70000));
});

Deno.test("readEnv: unset and empty read as undefined", () => {
  assert.equal(readEnv("MCP_ORCHESTRATION_SURELY_UNSET_VARIABLE"), undefined);
  Deno.env.set("MCP_ORCHESTRATION_TEST_EMPTY", "");
  Deno.env.set("MCP_ORCHESTRATION_TEST_SET", "v");
  try {
    assert.equal(readEnv("MCP_ORCHESTRATION_TEST_EMPTY"), undefined);
    assert.equal(readEnv("MCP_ORCHESTRATION_TEST_SET"), "v");
  } finally {
    Deno.env.delete("MCP_ORCHESTRATION_TEST_EMPTY");
    Deno.env.delete("MCP_ORCHESTRATION_TEST_SET");
  }
});
