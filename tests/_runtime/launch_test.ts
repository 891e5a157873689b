/**
 * How the running process was started, as the hooks' command needs it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { currentLaunch } from "../../src/_runtime/launch.ts";

Deno.test("currentLaunch under deno test: this deno and this test's module", () => {
  const launch = currentLaunch();
  assert.deepEqual(launch, {
    kind: "deno",
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    version: Deno.version.deno,
  });
  assert.equal(Deno.build.standalone, false);
});
