/**
 * How this very process was started, as an absolute command that an
 * installed Git hook can run again: a hook that calls the tool by absolute
 * path works in GUI Git clients and under version managers (nvm, volta,
 * asdf), where `PATH` differs from the terminal's.
 *
 * The only runtime-specific code of the hooks: {@linkcode currentLaunch}
 * reads `Deno.build`, `Deno.execPath()` and `Deno.mainModule`, or Node's
 * `process`; everything else is plain data.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { ToolError } from "../errors.ts";
import { PERMISSION_FLAGS } from "../permissions.ts";
import { currentLaunch, type Launch } from "../_runtime/launch.ts";

/**
 * Returns the command that starts the tool the way it was started now, for
 * a Git hook to run (the hook appends `hook <name> …`):
 *
 * - a `deno compile` executable: `[<executable>]`;
 * - `deno run`: `[<deno>, "run", "--quiet", …PERMISSION_FLAGS, <module>]`,
 *   the module as a file path for a `file:` URL, else the URL itself;
 * - Node: `[<node>, <absolute script path>]`.
 *
 * @param launch How the tool was started (default: this process).
 * @returns The command's words, the first an absolute program path.
 * @throws {ToolError} `IO` when the program path is not absolute, or as
 * {@linkcode currentLaunch}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { launchCommand } from "./launch.ts";
 * assert.deepEqual(
 *   launchCommand({ kind: "deno", execPath: "/usr/bin/deno", mainModule: "file:///opt/m%20o/main.ts" }),
 *   ["/usr/bin/deno", "run", "--quiet", "--allow-read", "--allow-write", "--allow-run=git",
 *    "--allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY", "/opt/m o/main.ts"],
 * );
 * assert.deepEqual(launchCommand({ kind: "compiled", execPath: "/opt/bin/mcp-orchestration" }), [
 *   "/opt/bin/mcp-orchestration",
 * ]);
 * ```
 */
export function launchCommand(launch: Launch = currentLaunch()): string[] {
  if (!isAbsolute(launch.execPath)) {
    throw new ToolError(
      "IO",
      `Cannot install hooks: the runtime's path "${launch.execPath}" is not absolute`,
    );
  }
  switch (launch.kind) {
    case "compiled":
      return [launch.execPath];
    case "deno": {
      const module = launch.mainModule.startsWith("file:")
        ? filePath(launch.mainModule)
        : launch.mainModule;
      return [
        launch.execPath,
        "run",
        "--quiet",
        ...PERMISSION_FLAGS,
        module,
      ];
    }
    case "node":
      return [launch.execPath, resolve(launch.script)];
  }
}

// Words made only of these need no quotes in any POSIX shell (no glob,
// expansion, tilde, comment or field-splitting character among them).
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;
const SAFE_LATER_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for a POSIX shell: unchanged when it holds only safe
 * characters, else in single quotes, where nothing is special, with each
 * `'` written as `'\''`.
 *
 * @param word Any text.
 * @param first Whether the word is a command's first one (where `a=b`
 * would be a variable assignment, so `=` needs quotes).
 * @returns The word as the shell must read it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./launch.ts";
 * assert.equal(shellQuote("it's"), `'it'\\''s'`);
 * assert.equal(shellQuote(""), "''");
 * ```
 */
export function shellQuote(word: string, first = false): string {
  if ((first ? SAFE_WORD : SAFE_LATER_WORD).test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Formats a command for a POSIX shell (`sh`, `dash`, `bash`, `zsh`), so
 * that the shell passes exactly these words to the program: paths with
 * spaces, quotes, `$`, backslashes or newlines included.
 *
 * @param argv The command's words.
 * @returns One line of shell text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatShellCommand } from "./launch.ts";
 * assert.equal(
 *   formatShellCommand(["/opt/my tools/deno", "run", "--allow-env=HOME", "/a/$x.ts"]),
 *   "'/opt/my tools/deno' run --allow-env=HOME '/a/$x.ts'",
 * );
 * ```
 */
export function formatShellCommand(argv: readonly string[]): string {
  return argv.map((word, index) => shellQuote(word, index === 0)).join(" ");
}

// A file: URL's path (what node:url's fileURLToPath gives, which costs
// Deno ~8 ms to load at every start): percent-escapes decoded, and on
// Windows the drive letter's leading "/" dropped and "\\" separators used.
function filePath(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  return /^\/[A-Za-z]:\//.test(path)
    ? path.slice(1).replaceAll("/", "\\")
    : path;
}
