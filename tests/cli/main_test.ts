/**
 * The CLI's outer edge, in process: every error leaves with its code, as
 * `error[CODE]: message` or, with `--json`, one JSON line on stderr, and with
 * the exit code the code implies.
 *
 * @module
 */

import assert from "node:assert/strict";
import { main } from "../../src/cli/main.ts";
import { ToolError, toToolError } from "../../src/errors.ts";
import { cliError } from "../support/errors.ts";
import { withTempDir } from "../support/repo.ts";

async function run(
  args: string[],
  cwd = ".",
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    cwd,
  });
  return { code, stdout, stderr };
}

Deno.test("a usage error prints error[USAGE] and the help hint, exit 2", async () => {
  const result = await run(["sign", "--bogus"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /^error\[USAGE\]: Unknown option "--bogus" for "sign"/,
  );
  assert.ok(
    result.stderr.endsWith('\nSee "mcp-orchestration sign --help".\n'),
    result.stderr,
  );
  assert.equal(cliError(result)?.code, "USAGE");
});

Deno.test("with --json a usage error is one JSON line on stderr, exit 2", async () => {
  for (const args of [["sign", "--bogus", "--json"], ["nope", "--json"]]) {
    const result = await run(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stdout, "");
    assert.ok(result.stderr.endsWith("}\n"), result.stderr);
    assert.equal(result.stderr.split("\n").length, 2, result.stderr);
    const value = JSON.parse(result.stderr);
    assert.deepEqual(Object.keys(value), ["code", "message"]);
    assert.equal(value.code, "USAGE");
  }
  const unknown = JSON.parse((await run(["nope", "--json"])).stderr);
  assert.equal(unknown.message, 'Unknown command "nope"');
});

Deno.test("an error of the tool prints its code, in text and in JSON, exit 1", async () => {
  await withTempDir(async (dir) => {
    const text = await run(["verify"], dir);
    assert.equal(text.code, 1);
    assert.match(
      text.stderr,
      /^error\[NOT_A_REPOSITORY\]: Not inside a Git working tree: "/,
    );
    assert.equal(text.stderr.split("\n").length, 2, text.stderr);
    const json = await run(["verify", "--json"], dir);
    assert.equal(json.code, 1);
    assert.equal(json.stdout, "");
    const value = JSON.parse(json.stderr);
    assert.equal(value.code, "NOT_A_REPOSITORY");
    assert.equal(value.message, cliError(text)?.message);
    // verify's --format json asks for JSON too.
    for (const format of [["--format", "json"], ["--format=json"]]) {
      const value = JSON.parse((await run(["verify", ...format], dir)).stderr);
      assert.equal(value.code, "NOT_A_REPOSITORY", format.join(" "));
    }
    // After "--" it is an argument, not the option.
    const after = await run(["verify", "--", "--json"], dir);
    assert.equal(cliError(after)?.code, "NOT_A_REPOSITORY");
    assert.match(after.stderr, /^error\[/);
  });
});

Deno.test("toToolError keeps a ToolError, makes an escaped OS error IO and anything else INTERNAL", () => {
  const own = new ToolError("LOCKED", "held");
  assert.equal(toToolError(own), own);
  const denied = Object.assign(new Error("EACCES: permission denied, open"), {
    code: "EACCES",
  });
  const io = toToolError(denied);
  assert.equal(io.code, "IO");
  assert.equal(io.message, denied.message);
  assert.equal(io.cause, denied);
  for (const value of [new TypeError("x"), "x", { code: "not-errno" }]) {
    const bug = toToolError(value);
    assert.equal(bug.code, "INTERNAL");
    assert.match(bug.message, /^unexpected failure: /);
    assert.equal(bug.cause, value);
  }
});
