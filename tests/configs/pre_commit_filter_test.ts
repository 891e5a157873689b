/**
 * The pre-commit shortcut, one table read two ways: the tool's exact rule
 * (`mayConcernPreCommit`) and the stub's `awk` program built from the same
 * table. The stub must start the tool for every change the rule would look
 * at (else a config would be committed unsigned), on every built-in kind,
 * on tricky paths and on random ones; where it is coarser, the cases say so.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BUILTIN_CONFIG_KINDS } from "../../src/configs/config_kinds.ts";
import {
  mayConcernPreCommit,
  PRE_COMMIT_NAMES,
  type StagedPath,
} from "../../src/configs/pre_commit_filter.ts";
import { PRE_COMMIT_AWK } from "../../src/hooks/stubs.ts";
import { fc } from "../support/deps.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const OID = "1".repeat(40);

// How `git -c core.quotePath=true diff --raw` writes a path: in double
// quotes, with C escapes, when it holds a control character, a double
// quote, a backslash or any byte outside ASCII.
function gitQuoted(path: string): string {
  const bytes = new TextEncoder().encode(path);
  if (bytes.every((b) => b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c)) {
    return path;
  }
  const named: Record<number, string> = {
    0x07: "\\a",
    0x08: "\\b",
    0x09: "\\t",
    0x0a: "\\n",
    0x0b: "\\v",
    0x0c: "\\f",
    0x0d: "\\r",
    0x22: '\\"',
    0x5c: "\\\\",
  };
  let out = "";
  for (const b of bytes) {
    out += named[b] ??
      (b < 0x20 || b >= 0x7f
        ? `\\${b.toString(8).padStart(3, "0")}`
        : String.fromCharCode(b));
  }
  return `"${out}"`;
}

// Whether the stub's awk program would start the tool for this one change.
async function stubStartsTool(change: StagedPath, oldMode = "100644") {
  const line = `:${oldMode} ${change.mode} ${OID} ${OID} M\t${
    gitQuoted(change.path)
  }`;
  const child = new Deno.Command("awk", {
    args: ["-F", "\t", PRE_COMMIT_AWK],
    env: { LC_ALL: "C" },
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${line}\n`));
  await writer.close();
  const { code, stderr } = await child.output();
  assert.ok(code === 0 || code === 1, new TextDecoder().decode(stderr));
  return code === 1;
}

const file = (path: string): StagedPath => ({ path, mode: "100644" });

// [change, the tool's rule, the stub]: equal but where the stub is coarser.
const CASES: [StagedPath, boolean, boolean][] = [
  ...BUILTIN_CONFIG_KINDS.flatMap((kind): [StagedPath, boolean, boolean][] => {
    const path = kind.pattern.replace("**/", "");
    return [
      [file(path), true, true],
      [file(`packages/web/${path}`), true, true],
      [file(path.toUpperCase()), true, true],
      [file(`${path}.`), true, true],
      [file(`${path} . `), true, true],
    ];
  }),
  [file("README.md"), false, false],
  [file("src/main.ts"), false, false],
  [file("src/config.ts"), false, false],
  [file("docs/mcp.md"), false, false],
  [file("mcp.json.bak"), false, true], // the stub reads names as substrings
  [file("docs/Settings.JSON"), true, true],
  // A folder of configs: its files, not every JSON or YAML file.
  [file("package.json"), false, false],
  [file(".github/workflows/ci.yml"), false, false],
  [file("pkg/.Kiro/Agents. /reviewer.JSON"), true, true],
  [file(".continue/mcpServers/db.yaml"), true, true],
  [file(".continue/mcpServers/notes.md"), false, true], // the stub reads names as substrings
  [file(".kiro/agents/README.md"), false, true],
  // Common file names: only in their client's folder.
  [file("config/default.json"), false, false],
  [file("src/plugin.json"), false, false],
  [file("marketplace.json"), false, false],
  [file("a/.AmazonQ. /Default.JSON"), true, true],
  [file(".amazonq/notes/default.json"), false, true], // the stub reads names as substrings
  [file("plugins/db/.claude-plugin/plugin.json"), true, true],
  [file(".gitattributes"), true, true],
  [file("a/b/.GitAttributes. "), true, true],
  [file(".mcp-orchestration/index"), true, true],
  [file(".mcp-orchestration/allowed_signers"), true, true],
  [file(".MCP-Orchestration/index"), false, true], // the stub lowercases
  [{ path: "link", mode: "120000" }, true, true],
  [{ path: "vendor/sub", mode: "160000" }, true, true],
  // Non-ASCII, control characters and quotes: the stub does not read on.
  [file("\u017fettings.json"), true, true], // ſ folds to s
  [file("m\u200ccp.json"), true, true], // HFS+ ignores U+200C
  [file("caf\u00e9.txt"), false, true],
  [file("a\tb.txt"), false, true],
  [file('say "hi".txt'), false, true],
  [file("back\\slash.txt"), false, true],
];

Deno.test("the stub's table is the tool's: every built-in config name is in it", () => {
  for (const kind of BUILTIN_CONFIG_KINDS) {
    const segments = kind.pattern.split("/");
    const name = segments.at(-1)!;
    // A folder of configs (".kiro/agents/*.json"), and a name many projects
    // use for other things (".amazonq/default.json"), are known by the folder.
    const byFolder = name.includes("*") ||
      ["default.json", "plugin.json", "marketplace.json"].includes(name);
    const stubName = byFolder ? segments.at(-2)! : name;
    assert.ok(PRE_COMMIT_NAMES.includes(stubName), stubName);
  }
});

Deno.test({
  name:
    "the stub's awk and the tool's rule agree on every built-in kind and tricky paths",
  ignore: ON_WINDOWS,
  async fn() {
    for (const [change, rule, stub] of CASES) {
      const label = JSON.stringify(change);
      assert.equal(mayConcernPreCommit(change), rule, `rule: ${label}`);
      assert.equal(await stubStartsTool(change), stub, `stub: ${label}`);
    }
    // A link or submodule replaced by a file: the stub starts the tool too.
    assert.equal(await stubStartsTool(file("x"), "120000"), true);
  },
});

Deno.test({
  name:
    "the stub starts the tool for every random path the tool's rule would look at",
  ignore: ON_WINDOWS,
  async fn() {
    const segment = fc.oneof(
      fc.constantFrom(
        ...PRE_COMMIT_NAMES,
        ".cursor",
        ".MCP.json",
        "Settings.Json",
        "src",
        "a.b",
        ".mcp-orchestration",
        "\u017f",
        "\u200c",
      ),
      fc.stringMatching(/^[A-Za-z0-9._ -]{1,8}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("100644", "100755", "120000"),
        async (segments, mode) => {
          const change = { path: segments.join(""), mode };
          if (change.path.includes("/") || change.path === "") return;
          const nested = { path: segments.join("/"), mode };
          for (const c of [change, nested]) {
            if (mayConcernPreCommit(c)) {
              assert.ok(await stubStartsTool(c), JSON.stringify(c));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  },
});
