/**
 * A private key pasted where an argument belongs is never printed back:
 * every command and subcommand of COMMAND_SPECS, given a real `ssh-keygen`
 * private key as a positional argument and as the value of each of its
 * options, in text and with `--json`, prints no 16 consecutive characters of
 * the key's base64 body on stdout or stderr. The tool runs as a user runs
 * it, in a real repository with a key of its own.
 *
 * @module
 */

import assert from "node:assert/strict";
import { COMMAND_SPECS } from "../../src/cli/help.ts";
import { type CliResult, runCli } from "../support/cli.ts";
import { createTempRepo, type TempRepo } from "../support/repo.ts";
import { generateKey } from "../support/ssh_keygen.ts";

/** The armored key, and its base64 body on one line. */
async function privateKey(
  dir: string,
): Promise<{ armored: string; body: string }> {
  const key = await generateKey(dir, "signing.key");
  const armored = (await Deno.readTextFile(key.privatePath)).trim();
  const body = armored.split("\n").filter((line) => !line.startsWith("-----"))
    .join("");
  return { armored, body };
}

/**
 * Fails when any 16 consecutive characters of `body` appear in the output,
 * whatever whitespace or JSON escapes split them there.
 */
function assertNoKey(result: CliResult, body: string, what: string): void {
  const output = `${result.stdout}\n${result.stderr}`;
  const compact = output.replace(/\s|\\[nrt]|%0[AD]/g, "");
  for (let at = 0; at + 16 <= body.length; at++) {
    const window = body.slice(at, at + 16);
    assert.ok(
      !output.includes(window) && !compact.includes(window),
      `${what} printed the private key ("${window}", exit ${result.code}):\n${output}`,
    );
  }
}

/**
 * Every command line to try: each command with the key in each place, and a
 * label that names the place without the key.
 */
function commandLines(key: string): string[][] {
  // The key as the command, and as a group's subcommand.
  const lines: string[][] = [
    [key],
    ...["keys", "trust", "hook"].map((group) => [group, key]),
  ];
  for (const spec of COMMAND_SPECS) {
    const name = spec.name.split(" ");
    // exec runs what follows "--": the key as the program to run.
    lines.push(spec.name === "exec" ? [...name, "--", key] : [...name, key]);
    for (const [option, doc] of Object.entries(spec.options)) {
      lines.push(
        doc.type === "string"
          ? [...name, `--${option}`, key]
          : [...name, `--${option}=${key}`],
      );
    }
  }
  return lines;
}

async function runAll(
  repo: TempRepo,
  lines: string[][],
): Promise<{ line: string[]; result: CliResult }[]> {
  const results: { line: string[]; result: CliResult }[] = [];
  // A few at a time: each is a Deno process.
  for (let at = 0; at < lines.length; at += 4) {
    const batch = lines.slice(at, at + 4);
    results.push(
      ...await Promise.all(batch.map(async (line) => ({
        line,
        result: await runCli(line, { cwd: repo.root, home: repo.home }),
      }))),
    );
  }
  return results;
}

async function setUp(repo: TempRepo): Promise<void> {
  await Deno.writeTextFile(`${repo.root}/README.md`, "x\n");
  await repo.git("add", "README.md");
  await repo.git("commit", "--quiet", "-m", "first");
  const init = await runCli(["init"], { cwd: repo.root, home: repo.home });
  assert.equal(init.code, 0, init.stderr);
}

for (const form of ["armored", "body"] as const) {
  for (const json of [false, true]) {
    Deno.test(
      `no command prints a private key given as an argument (${form}${
        json ? ", --json" : ""
      })`,
      async () => {
        await using repo = await createTempRepo();
        await setUp(repo);
        const key = await privateKey(repo.home);
        const lines = commandLines(key[form]).map((line) =>
          json ? [...line, "--json"] : line
        );
        // exec's own arguments end at "--": its --json goes before.
        const fixed = lines.map((line) =>
          line[0] === "exec" && json
            ? ["exec", "--json", ...line.slice(1, -1)]
            : line
        );
        for (const { line, result } of await runAll(repo, fixed)) {
          const label = line.map((arg) => arg.replaceAll(key[form], "KEY"))
            .join(" ");
          assertNoKey(result, key.body, label);
        }
      },
    );
  }
}

Deno.test("trust add of a private key says to give its public key", async () => {
  await using repo = await createTempRepo();
  await setUp(repo);
  const key = await privateKey(repo.home);
  for (
    const args of [["trust", "add", key.armored], ["trust", "add", key.body]]
  ) {
    for (const json of [false, true]) {
      const result = await runCli(
        [...args, "--principal", "a@example.com", ...(json ? ["--json"] : [])],
        { cwd: repo.root, home: repo.home },
      );
      assert.notEqual(result.code, 0);
      assertNoKey(result, key.body, "trust add");
      assert.match(
        result.stderr,
        /that is a private key; give its public key \(\.pub\)/,
      );
      if (json) JSON.parse(result.stderr);
    }
  }
});
