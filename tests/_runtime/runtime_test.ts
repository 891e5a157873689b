/**
 * The one runtime check: Deno here, Node's `process` not looked at.
 *
 * @module
 */

import assert from "node:assert/strict";
import { deno, nodeBuiltin, nodeProcess } from "../../src/_runtime/runtime.ts";

Deno.test("under Deno, deno is the Deno namespace and nodeProcess is undefined", () => {
  assert.equal(deno, Deno);
  assert.equal(nodeProcess(), undefined);
});

Deno.test("nodeBuiltin loads a built-in, and says which one a runtime lacks", () => {
  const path = nodeBuiltin<typeof import("node:path")>("node:path");
  assert.equal(path.posix.join("a", "b"), "a/b");
  assert.throws(
    () => nodeBuiltin("node:no-such-module"),
    (error: unknown) =>
      (error as { code?: string }).code === "IO" &&
      /"node:no-such-module"/.test((error as Error).message),
  );
});
