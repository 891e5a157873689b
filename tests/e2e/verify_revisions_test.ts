/**
 * `verify --rev` and `--range` with a revision that does not exist: the
 * message names it, and says to run `git fetch REMOTE` when it names a
 * remote-tracking branch that the clone has not fetched (a CI checkout
 * without the base branch). Real git, a real bare remote, the real CLI.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertCliError } from "../support/errors.ts";
import { createFlow, push, write } from "../support/flow.ts";

Deno.test("verify: a revision that does not exist is named, with git fetch for a remote's branch", async () => {
  await using flow = await createFlow();
  await write(flow, { "README.md": "one\n" });
  await flow.ok(["add", "-A"]);
  await flow.ok(["commit", "-q", "-m", "one"]);

  // The remote "origin" exists, but nothing of it was fetched.
  const range = await flow.cli(["verify", "--range", "origin/main..HEAD"]);
  assertCliError(
    range,
    "USAGE",
    '"--range origin/main..HEAD"',
    'the revision "origin/main" does not exist',
    'a branch of the remote "origin"',
    'run "git fetch origin" first',
  );
  const rev = await flow.cli(["verify", "--rev", "origin/main~1"]);
  assertCliError(
    rev,
    "BAD_PATH",
    'the revision "origin/main~1" does not exist',
    'run "git fetch origin" first',
  );
  const full = await flow.cli([
    "verify",
    "--range",
    "refs/remotes/origin/dev...HEAD",
  ]);
  assertCliError(full, "USAGE", 'run "git fetch origin" first');

  // A name that is no remote's branch gets no fetch hint.
  const local = await flow.cli(["verify", "--range", "nosuch..HEAD"]);
  assertCliError(
    local,
    "USAGE",
    'the revision "nosuch" does not exist',
    "no branch, tag or commit has that name here",
  );
  assert.doesNotMatch(local.stderr, /git fetch/);
  const other = await flow.cli(["verify", "--rev", "upstream/main"]);
  assertCliError(other, "BAD_PATH", 'the revision "upstream/main"');
  assert.doesNotMatch(other.stderr, /git fetch/);

  // Once fetched, the same range verifies.
  await push(flow, "main");
  await flow.ok(["fetch", "-q", "origin"]);
  await write(flow, { "README.md": "two\n" });
  await flow.ok(["commit", "-q", "-a", "-m", "two"]);
  const fetched = await flow.cli(["verify", "--range", "origin/main..HEAD"]);
  assert.equal(fetched.code, 0, fetched.stderr);
});
