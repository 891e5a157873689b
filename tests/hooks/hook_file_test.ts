import assert from "node:assert/strict";
import { join } from "node:path";
import { MAX_HOOK_BYTES, readHookFile } from "../../src/hooks/hook_file.ts";
import { hookStub } from "../../src/hooks/stubs.ts";
import { ToolError } from "../../src/errors.ts";
import { withTempDir } from "../support/repo.ts";

const STUB = hookStub("pre-commit", ["/opt/my tool"]);

// [name, how to make it at `path` (beside it: `dir`), expected state]
const CASES: [string, (path: string, dir: string) => Promise<void>, string][] =
  [
    ["no file", async () => {}, "missing"],
    ["a file in place of its folder", async (_, dir) => {
      await Deno.writeTextFile(join(dir, "not a folder"), "");
    }, "missing"],
    ["our stub", async (path) => {
      await Deno.writeTextFile(path, STUB, { mode: 0o755 });
    }, "ours"],
    ["another tool's hook", async (path) => {
      await Deno.writeTextFile(path, "#!/bin/sh\nexec lefthook run\n");
    }, "foreign"],
    ["a link to our stub", async (path, dir) => {
      await Deno.writeTextFile(join(dir, "real"), STUB);
      await Deno.symlink(join(dir, "real"), path);
    }, "foreign"],
    ["our stub padded past the size limit", async (path) => {
      await Deno.writeTextFile(path, STUB + "#".repeat(MAX_HOOK_BYTES));
    }, "foreign"],
    ["a folder", async (path) => {
      await Deno.mkdir(path);
    }, "foreign"],
  ];

for (const [name, make, expected] of CASES) {
  Deno.test(`readHookFile: ${name} is ${expected}`, async () => {
    await withTempDir(async (dir) => {
      const path = name === "a file in place of its folder"
        ? join(dir, "not a folder", "pre-commit")
        : join(dir, "pre-commit");
      await make(path, dir);
      const file = await readHookFile(path);
      assert.equal(file.state, expected);
      if (file.state === "ours") {
        assert.equal(file.text, STUB);
        assert.equal(file.mode & 0o777, 0o755);
      }
    });
  });
}

Deno.test("readHookFile: a hook it cannot look at is an IO error, not missing", async () => {
  await withTempDir(async (dir) => {
    // A folder on the way that is a link to itself: ELOOP, even for root.
    await Deno.symlink(join(dir, "loop"), join(dir, "loop"));
    await assert.rejects(
      readHookFile(join(dir, "loop", "pre-commit")),
      (error) => error instanceof ToolError && error.code === "IO",
    );
  });
});
