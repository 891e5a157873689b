/**
 * Help and parsers agree: every option a command parses is in its help,
 * and every option its help names is one the command parses. The second
 * half runs the real dispatcher, so a command that parsed with options of
 * its own instead of its spec would fail here.
 */

import assert from "node:assert/strict";
import { parserOptions } from "../../src/cli/command_spec.ts";
import { COMMAND_HELP, COMMAND_SPECS, TOOL_HELP } from "../../src/cli/help.ts";
import { main } from "../../src/cli/main.ts";

/** The lines of a help's `Options:` paragraph. */
function optionsParagraph(help: string): string[] {
  const start = help.indexOf("\nOptions:\n");
  assert.ok(start >= 0, `no "Options:" in:\n${help}`);
  const rest = help.slice(start + "\nOptions:\n".length);
  return rest.slice(0, rest.indexOf("\n\n")).split("\n");
}

/** Every `--name` a text mentions. */
function mentionedOptions(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!),
  );
}

async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const code = await main(args, {
    out: () => {},
    err: (text) => (err += text),
    // No repository is ever looked for: every run below stops at parsing.
    cwd: "/nonexistent",
  });
  return { code, err };
}

Deno.test("every command the dispatcher parses has its help built from its spec", () => {
  assert.ok(COMMAND_SPECS.length >= 15);
  for (const spec of COMMAND_SPECS) {
    const help = COMMAND_HELP[spec.name];
    assert.ok(help, `no help for "${spec.name}"`);
    assert.ok(help.startsWith(`Usage: mcp-orchestration ${spec.name}`), help);
  }
  // --help is parsed for every command and documented once, for all.
  assert.match(TOOL_HELP, /-h, --help .*also after any command/);
});

Deno.test("every option a command parses is listed in its help's options", () => {
  for (const spec of COMMAND_SPECS) {
    const lines = optionsParagraph(COMMAND_HELP[spec.name]!);
    // parseCommand (io.ts) adds --json to every command's own options.
    for (const name of [...Object.keys(parserOptions(spec)), "json"]) {
      const option = spec.options[name];
      const flag = option?.type === "string"
        ? `--${name} ${option.value ?? "VALUE"}`
        : `--${name}`;
      assert.ok(
        lines.some((line) => line.startsWith(`  ${flag}  `)),
        `"${spec.name}" parses --${name}, its help does not list it:\n${
          lines.join("\n")
        }`,
      );
    }
  }
});

Deno.test("every option a command's help lists is one the command parses", async () => {
  for (const spec of COMMAND_SPECS) {
    const help = COMMAND_HELP[spec.name]!;
    // What the help lists: its usage lines and its options paragraph (the
    // prose may name other tools' options, such as git's --git-path).
    const usage = help.slice(0, help.indexOf("\n\n"));
    const mentioned = mentionedOptions(
      `${usage}\n${optionsParagraph(help).join("\n")}`,
    );
    mentioned.delete("help");
    assert.ok(mentioned.has("json"), spec.name);
    for (const name of mentioned) {
      const value = spec.options[name]?.type === "string" ? ["value"] : [];
      // The parser stops at the first option it does not know: when it
      // names the last one, it took --name (and its value).
      const result = await run([
        ...spec.name.split(" "),
        `--${name}`,
        ...value,
        "--zz-not-an-option",
      ]);
      assert.equal(result.code, 2, `${spec.name} --${name}: ${result.err}`);
      assert.match(
        result.err,
        // With --json the message is a JSON string: its quotes are escaped.
        /Unknown option \\?"--zz-not-an-option\\?"/,
        `"${spec.name}" refuses --${name}, which its help lists`,
      );
    }
  }
});

Deno.test("the dispatcher refuses an option a help does not name", async () => {
  // The check above would pass for a parser that took anything.
  for (const spec of COMMAND_SPECS) {
    const result = await run([...spec.name.split(" "), "--zz-not-an-option"]);
    assert.equal(result.code, 2, spec.name);
    assert.match(result.err, /Unknown option "--zz-not-an-option"/);
  }
});

Deno.test("the keys, trust and policy groups list each subcommand's usage line", () => {
  for (const group of ["keys", "trust", "policy"]) {
    for (
      const spec of COMMAND_SPECS.filter((s) => s.name.startsWith(`${group} `))
    ) {
      const usage = COMMAND_HELP[spec.name]!.split("\n")[0]!.replace(
        "Usage: mcp-orchestration ",
        "",
      );
      assert.ok(COMMAND_HELP[group]!.includes(`\n  ${usage}\n`), usage);
    }
  }
});
