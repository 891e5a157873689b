/**
 * Child processes: exit code, both streams, standard input, working folder
 * and extra environment, a program that cannot start, and a piped one.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runProcess, spawnPiped } from "../../src/_runtime/process.ts";
import { withTempDir } from "../support/repo.ts";

const decoder = new TextDecoder();

Deno.test("runProcess collects the exit code and both streams", async () => {
  const out = await runProcess("sh", [
    "-c",
    "printf out; printf err >&2; exit 3",
  ]);
  assert.deepEqual(
    { code: out.code, stdout: decoder.decode(out.stdout), stderr: out.stderr },
    { code: 3, stdout: "out", stderr: "err" },
  );
});

Deno.test("runProcess writes standard input, runs in cwd, adds to the environment", async () => {
  await withTempDir(async (dir) => {
    const out = await runProcess(
      "sh",
      ["-c", 'cat; pwd; printf "%s|%s" "$EXTRA" "${PATH:+inherited}"'],
      {
        cwd: dir,
        stdin: new TextEncoder().encode("in\n"),
        env: { EXTRA: "x y" },
      },
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(
      decoder.decode(out.stdout),
      `in\n${await Deno.realPath(dir)}\nx y|inherited`,
    );
  });
});

Deno.test("runProcess: a child that exits without reading its input still reports", async () => {
  const out = await runProcess("sh", ["-c", "exit 4"], {
    stdin: new Uint8Array(4 * 1024 * 1024),
  });
  assert.equal(out.code, 4);
});

Deno.test("runProcess fails with IO when the program cannot start", async () => {
  await assert.rejects(
    runProcess("mcp-orchestration-no-such-program", []),
    (error: unknown) =>
      (error as { code?: string }).code === "IO" &&
      /Cannot run "mcp-orchestration-no-such-program"/.test(
        (error as Error).message,
      ),
  );
});

Deno.test("spawnPiped streams both ways and reports the exit status", async () => {
  const child = spawnPiped("sh", ["-c", "tr a-z A-Z; echo done >&2; exit 2"]);
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("hello\n"));
  await writer.close();
  assert.equal(await new Response(child.stdout).text(), "HELLO\n");
  assert.deepEqual(await child.status, { code: 2, stderr: "done\n" });
});

Deno.test("spawnPiped fails with IO when the program cannot start", () => {
  assert.throws(
    () => spawnPiped("mcp-orchestration-no-such-program", []),
    (error: unknown) => (error as { code?: string }).code === "IO",
  );
});
