/**
 * The option parser's messages: well formed (double quotes, balanced, one
 * sentence, no final period), naming the command, suggesting the nearest
 * option only when it is close, and never repeating a value or an argument
 * that is not shaped like an option.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseArguments } from "../../src/cli/command_spec.ts";
import { editDistance, nearestOption } from "../../src/cli/nearest_option.ts";
import { COMMAND_SPECS } from "../../src/cli/help.ts";
import { VERIFY_COMMAND } from "../../src/cli/verify_command.ts";
import { assertToolError } from "../support/errors.ts";

// Well formed: no single quotes, balanced double quotes, one line, no period
// at the end.
function assertWellFormed(message: string): void {
  assert.ok(!message.includes("'"), message);
  assert.equal((message.match(/"/g) ?? []).length % 2, 0, message);
  assert.ok(!message.includes("\n"), message);
  assert.ok(!message.endsWith("."), message);
}

const cases: {
  name: string;
  args: string[];
  says: (string | RegExp)[];
  never?: string[];
}[] = [
  {
    name: "a swapped pair of letters suggests the option",
    args: ["--rnage", "a..b"],
    says: ['Unknown option "--rnage" for "verify": did you mean "--range"?'],
  },
  {
    name: "an inline value is not repeated",
    args: ["--rnage=secret-value"],
    says: ['Unknown option "--rnage" for "verify": did you mean "--range"?'],
    never: ["secret-value"],
  },
  {
    name: "a missing letter suggests the option",
    args: ["--fromat", "json"],
    says: ['did you mean "--format"?'],
  },
  {
    name: "an option far from every other gets no suggestion",
    args: ["--verbose"],
    says: [/^Unknown option "--verbose" for "verify"$/],
  },
  {
    name: "an unknown short option",
    args: ["-x"],
    says: [/^Unknown option "-x" for "verify"$/],
  },
  {
    name: "a private key pasted as an argument is not repeated",
    args: [
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    ],
    // Issue 12: say what it is, and what to give instead.
    says: ["is a private key", "give its public key (.pub)"],
    never: ["BEGIN", "b3BlbnNzaC1rZXktdjEAAAAA"],
  },
  {
    name: "an argument that starts with - and is no option is not repeated",
    args: ["-%secret"],
    says: ['starts with "-" but is not an option', 'after "--"'],
    never: ["secret"],
  },
  {
    name: "a string option without its value",
    args: ["--range"],
    says: [/^Option "--range" for "verify" needs a value$/],
  },
  {
    name: "a string option followed by another option",
    args: ["--rev", "--json-secret"],
    says: ['Option "--rev" for "verify" needs a value', '"--rev=VALUE"'],
    never: ["json-secret"],
  },
  {
    name: "a boolean option with a value",
    args: ["--json=yes-secret"],
    says: [/^Option "--json" for "verify" takes no value$/],
    never: ["yes-secret"],
  },
];

for (const c of cases) {
  Deno.test(`option parser: ${c.name}`, () => {
    const error = assertToolError(
      () => parseArguments(c.args, VERIFY_COMMAND),
      "USAGE",
      ...c.says,
    );
    assertWellFormed(error.message);
    for (const text of c.never ?? []) {
      assert.ok(!error.message.includes(text), error.message);
    }
  });
}

Deno.test("option parser: every command suggests each of its options for a near miss", () => {
  for (const spec of COMMAND_SPECS) {
    for (const name of Object.keys(spec.options)) {
      if (name.length < 3) continue;
      // Two neighbouring letters swapped: one edit away.
      const typo = name.charAt(1) + name.charAt(0) + name.slice(2);
      if (typo === name) continue;
      assertToolError(
        () => parseArguments([`--${typo}`], spec),
        "USAGE",
        `Unknown option "--${typo}" for "${spec.name}": did you mean "--${name}"?`,
      );
    }
  }
});

Deno.test("option parser: values and arguments after -- still parse", () => {
  const { values, positionals } = parseArguments(
    ["--range=a..b", "--", "--rnage"],
    VERIFY_COMMAND,
  );
  assert.equal(values.range, "a..b");
  assert.deepEqual(positionals, ["--rnage"]);
});

Deno.test("edit distance and the nearest option", () => {
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("abc", "abc"), 0);
  assert.equal(editDistance("rnage", "range"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(nearestOption("RANGE", ["range"]), "range");
  assert.equal(nearestOption("rng", ["range"]), undefined);
  assert.equal(nearestOption("principl", ["principal"]), "principal");
  assert.equal(nearestOption("x", ["h"]), "h"); // One letter: one edit allowed.
  assert.equal(nearestOption("forse", ["rev", "force", "format"]), "force");
});
