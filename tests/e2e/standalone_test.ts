/**
 * The single executable stands alone: copied into an empty folder and run
 * from `/` with an empty environment (no `PATH`, so no Deno, Node or
 * `node_modules` within reach, and no source tree), it names the commit it
 * was built from, creates a key and starts its MCP server. Runs when `MCP_ORCHESTRATION_TEST_BIN`
 * names the executable, as the last step of `deno task test` does; the
 * rest of the end-to-end suite then runs against it too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { TEST_BIN_ENV } from "../support/cli.ts";
import { runIsolated } from "../support/process.ts";
import { withTempDir } from "../support/repo.ts";

const BIN = Deno.env.get(TEST_BIN_ENV);

Deno.test({
  name:
    "the executable runs alone: empty environment, from /, copied away from the checkout",
  ignore: !BIN || Deno.build.os === "windows",
  async fn() {
    await withTempDir(async (dir) => {
      const bin = join(dir, "mcp-orchestration");
      await Deno.copyFile(BIN!, bin);
      const run = (args: string[], env: Record<string, string> = {}) =>
        runIsolated(bin, args, { cwd: "/", env });
      const version = await run(["--version"]);
      assert.equal(version.code, 0, version.stderr);
      assert.match(
        version.stdout,
        /^mcp-orchestration \S+ \(commit [0-9a-f]{40}(-dirty)?, (deno|node) /,
      );
      const home = join(dir, "home");
      const keys = await run(["keys", "init"], {
        MCP_ORCHESTRATION_HOME: home,
      });
      assert.equal(keys.code, 0, keys.stderr);
      const info = await Deno.stat(join(home, "keys", "signing.key"));
      assert.equal(info.mode! & 0o777, 0o600);
      // Its MCP server too: a Node single executable carries the MCP SDK as
      // an asset that only `mcp` loads; with no input it serves nothing and
      // exits 0, and a missing SDK would fail it.
      const mcp = await run(["mcp"], { MCP_ORCHESTRATION_HOME: home });
      assert.equal(mcp.code, 0, mcp.stderr);
      assert.equal(mcp.stdout, "");
    });
  },
});
