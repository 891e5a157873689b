/**
 * The tool's permission flags are written once, in src/permissions.ts; the
 * places that must spell them out (the cli task, the README, main.ts's doc,
 * the Action, the pre-commit framework entry, the hook launcher's example)
 * are checked against it here, wherever they are: any run of two or more
 * `--allow-…` flags that names `--allow-run=git` or `--allow-env=HOME,…`
 * is the tool's, and must be exactly PERMISSION_FLAGS.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  CI_PERMISSION_FLAGS,
  EXEC_PERMISSION_FLAGS,
  PERMISSION_FLAGS,
} from "../src/permissions.ts";
import { readTree } from "./support/tree.ts";

const FLAG = /--allow-[a-z]+(?:=[^\s"'`\\)]+)?/g;
// What may stand between two flags of one command line: spaces, line
// continuations, JSDoc stars, and the quotes and commas of an array.
const BETWEEN = /^[\s"',\\*]*$/;

/** Every run of flags in a text, as arrays of flags. */
function flagRuns(text: string): string[][] {
  const runs: string[][] = [];
  let run: string[] = [];
  let end = -1;
  for (const match of text.matchAll(FLAG)) {
    if (end >= 0 && BETWEEN.test(text.slice(end, match.index))) {
      run.push(match[0]);
    } else {
      if (run.length > 0) runs.push(run);
      run = [match[0]];
    }
    end = match.index + match[0].length;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function isTheTools(run: string[]): boolean {
  return run.length >= 2 &&
    run.some((flag) =>
      flag === "--allow-run=git" || flag.startsWith("--allow-env=HOME,")
    );
}

// The places known to spell the flags out, and how many times: so that the
// test cannot pass by finding none.
const KNOWN: Record<string, number> = {
  "deno.json": 1,
  "README.md": 2,
  "main.ts": 1,
  "action/verify.sh": 1,
  "hooks/pre-commit-framework": 1,
  "src/hooks/launch.ts": 1,
};

Deno.test("flagRuns groups one command line's flags, however it is written", () => {
  assert.deepEqual(
    flagRuns(
      'a --allow-read \\\n  --allow-env=A,B x\n * ["--allow-run=sh", "--allow-write"] `--allow-net`, `--allow-sys`',
    ),
    [
      ["--allow-read", "--allow-env=A,B"],
      ["--allow-run=sh", "--allow-write"],
      ["--allow-net"],
      ["--allow-sys"],
    ],
  );
});

// The places that spell out exec's wider flags, and how many times: only
// the README's exec section, never a hook or the tool's other commands.
const KNOWN_EXEC: Record<string, number> = {
  "README.md": 1,
};

// The places that spell out verify --ci's flags (the CI variables added to
// --allow-env): the README's CI section and the GitLab CI template's script.
const KNOWN_CI: Record<string, number> = {
  "README.md": 1,
  "ci/gitlab/verify.sh": 1,
};

const sameFlags = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((flag, i) => flag === b[i]);

Deno.test("every place that spells out the tool's permission flags has exactly PERMISSION_FLAGS", async () => {
  const found = new Map<string, number>();
  const foundExec = new Map<string, number>();
  const foundCi = new Map<string, number>();
  for (const [path, text] of await readTree()) {
    for (const run of flagRuns(text)) {
      if (!isTheTools(run)) continue;
      if (sameFlags(run, EXEC_PERMISSION_FLAGS)) {
        foundExec.set(path, (foundExec.get(path) ?? 0) + 1);
        continue;
      }
      if (sameFlags(run, CI_PERMISSION_FLAGS)) {
        foundCi.set(path, (foundCi.get(path) ?? 0) + 1);
        continue;
      }
      assert.deepEqual(
        run,
        [...PERMISSION_FLAGS],
        `${path} spells the tool's permission flags otherwise than src/permissions.ts`,
      );
      found.set(path, (found.get(path) ?? 0) + 1);
    }
  }
  for (const [path, count] of Object.entries(KNOWN)) {
    assert.equal(found.get(path) ?? 0, count, `${path}: the flags not found`);
  }
  assert.deepEqual(
    Object.fromEntries(foundExec),
    KNOWN_EXEC,
    "exec's wider flags are spelled out only where KNOWN_EXEC says",
  );
  assert.deepEqual(
    Object.fromEntries(foundCi),
    KNOWN_CI,
    "verify --ci's flags are spelled out only where KNOWN_CI says",
  );
});

Deno.test("exec's flags are the tool's, with --allow-run for any program instead of git only", () => {
  assert.deepEqual(
    EXEC_PERMISSION_FLAGS,
    PERMISSION_FLAGS.map((flag) =>
      flag === "--allow-run=git" ? "--allow-run" : flag
    ),
  );
  assert.ok(!PERMISSION_FLAGS.includes("--allow-run"));
});

Deno.test("verify --ci's flags are the tool's, with the CI variables added to --allow-env", () => {
  assert.deepEqual(
    CI_PERMISSION_FLAGS.filter((flag) => !flag.startsWith("--allow-env=")),
    PERMISSION_FLAGS.filter((flag) => !flag.startsWith("--allow-env=")),
  );
  const base = PERMISSION_FLAGS.find((flag) => flag.startsWith("--allow-env="));
  const ci = CI_PERMISSION_FLAGS.find((flag) =>
    flag.startsWith("--allow-env=")
  );
  assert.ok(base && ci?.startsWith(`${base},`));
});
