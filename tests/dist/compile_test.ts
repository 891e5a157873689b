/**
 * `scripts/build.ts compile`'s route choice, where it can be checked
 * without Deno's `denort` (which this machine cannot download): a
 * `DENORT_BIN` that is not a runtime is an error naming it, never a quiet
 * fallback to the other route, and it leaves nothing behind. The route that
 * works here (a Node single executable) is built by `deno task test` before
 * it runs the end-to-end suite against it (tests/e2e/standalone_test.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD_FLAGS } from "../../scripts/build.ts";
import { withTempDir } from "../support/repo.ts";

const BUILD = fileURLToPath(new URL("../../scripts/build.ts", import.meta.url));

Deno.test({
  name:
    "compile with a DENORT_BIN that is no runtime fails, names it, and writes nothing",
  ignore: Deno.build.os === "windows",
  async fn() {
    await withTempDir(async (dir) => {
      const denort = join(dir, "denort");
      await Deno.writeTextFile(denort, "not a runtime\n");
      const outDir = join(dir, "out");
      await Deno.mkdir(outDir);
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...BUILD_FLAGS,
          BUILD,
          "compile",
          "--out",
          join(outDir, "mcp-orchestration"),
        ],
        env: { DENORT_BIN: denort, NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, stderr);
      assert.match(
        stderr,
        new RegExp(`deno compile failed with DENORT_BIN="${denort}"`),
      );
      assert.doesNotMatch(stderr, /node-sea/);
      assert.deepEqual([...Deno.readDirSync(outDir)], []);
    });
  },
});
