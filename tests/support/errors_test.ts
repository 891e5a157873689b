// Tests of the error assertions: each must fail when the code, the exit code
// or a fragment differs, else every test built on them could pass for the
// wrong reason.

import assert from "node:assert/strict";
import { ToolError } from "../../src/errors.ts";
import { assertCliError, assertToolError, cliError } from "./errors.ts";

const throwing = (code: "BAD_PATH" | "IO", message: string) => () => {
  throw new ToolError(code, message);
};

Deno.test("assertToolError accepts the code and fragments, and returns the error", () => {
  const error = assertToolError(
    throwing("BAD_PATH", 'Cannot sign "a.json": not a config'),
    "BAD_PATH",
    '"a.json"',
    /not a config$/,
  );
  assert.equal(error.message, 'Cannot sign "a.json": not a config');
});

Deno.test("assertToolError fails on another code, a missing fragment, no error or another error", () => {
  const fn = throwing("BAD_PATH", "Cannot sign");
  assert.throws(() => assertToolError(fn, "IO"), assert.AssertionError);
  assert.throws(
    () => assertToolError(fn, "BAD_PATH", "other"),
    assert.AssertionError,
  );
  assert.throws(
    () => assertToolError(fn, "BAD_PATH", /^sign/),
    assert.AssertionError,
  );
  assert.throws(
    () => assertToolError(() => 1, "BAD_PATH"),
    assert.AssertionError,
  );
  const bug = new TypeError("not ours");
  assert.throws(() =>
    assertToolError(() => {
      throw bug;
    }, "BAD_PATH"), (error) => error === bug);
});

Deno.test("assertToolError checks a rejected promise, or an async function", async () => {
  const error = await assertToolError(
    Promise.reject(new ToolError("LOCKED", "held")),
    "LOCKED",
    "held",
  );
  assert.equal(error.code, "LOCKED");
  await assertToolError(() => Promise.reject(new ToolError("IO", "x")), "IO");
  await assert.rejects(
    assertToolError(Promise.reject(new ToolError("IO", "x")), "LOCKED"),
    assert.AssertionError,
  );
  await assert.rejects(
    assertToolError(Promise.resolve(1), "IO"),
    assert.AssertionError,
  );
});

Deno.test("cliError reads error[CODE] text to the end, or the --json line", () => {
  assert.deepEqual(
    cliError({ stderr: 'warning: x\nerror[USAGE]: bad\nSee "t --help".\n' }),
    { code: "USAGE", message: 'bad\nSee "t --help".' },
  );
  assert.deepEqual(
    cliError({ stderr: 'progress\n{"code":"TRUST","message":"no"}\n' }),
    { code: "TRUST", message: "no" },
  );
  assert.equal(cliError({ stderr: "error: old style\n" }), undefined);
  assert.equal(cliError({ stderr: "" }), undefined);
});

Deno.test("assertCliError checks the code, the exit code it implies and the fragments", () => {
  const locked = { code: 1, stdout: "", stderr: "error[LOCKED]: held\n" };
  assert.equal(assertCliError(locked, "LOCKED", "held"), "held");
  assert.throws(() => assertCliError(locked, "IO"), assert.AssertionError);
  assert.throws(
    () => assertCliError(locked, "LOCKED", "other"),
    assert.AssertionError,
  );
  assert.throws(
    () => assertCliError({ ...locked, code: 2 }, "LOCKED"),
    assert.AssertionError,
  );
  const usage = { code: 2, stdout: "", stderr: "error[USAGE]: bad\n" };
  assertCliError(usage, "USAGE");
  assert.throws(
    () => assertCliError({ ...usage, code: 1 }, "USAGE"),
    assert.AssertionError,
  );
  assert.throws(
    () => assertCliError({ code: 1, stdout: "", stderr: "" }, "IO"),
    assert.AssertionError,
  );
});
