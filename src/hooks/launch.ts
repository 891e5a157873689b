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
import { TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { AGENT_SOCKET_SHELL_WORD, PERMISSION_FLAGS } from "../permissions.ts";
import { currentLaunch, type Launch } from "../_runtime/launch.ts";
import { deno } from "../_runtime/runtime.ts";

/**
 * The `deno run` flag the hooks add: Deno then loads a module that is
 * imported with `import()` when that import runs, instead of reading and
 * parsing every one (the whole command table, ~140 modules) before the
 * first line runs. It saves ~10 ms of every start and ~20% of the CPU time
 * of the end-to-end tests (docs/PERFORMANCE.md); what runs is the same code.
 * Deno 2.3 and later accept it (2.0 to 2.2.0 refuse it as an unknown
 * argument), so the hooks get it only from a Deno that new
 * ({@linkcode acceptsLazyImports}). A hook runs from Deno's cache, which
 * the run that installed it filled: a `deno run` without this flag fetches
 * the whole module graph, every command included, at its first start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LAZY_IMPORTS_FLAG } from "./launch.ts";
 * assert.equal(LAZY_IMPORTS_FLAG, "--unstable-lazy-dynamic-imports");
 * ```
 */
export const LAZY_IMPORTS_FLAG = "--unstable-lazy-dynamic-imports";

/**
 * Whether a Deno of this version accepts {@linkcode LAZY_IMPORTS_FLAG}:
 * 2.3 or later. An unknown or unreadable version does not.
 *
 * @param version Deno's version, e.g. `"2.9.6"`, or undefined.
 * @returns True for 2.3.0 and later.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptsLazyImports } from "./launch.ts";
 * assert.equal(acceptsLazyImports("2.9.6"), true);
 * assert.equal(acceptsLazyImports("2.2.0"), false);
 * assert.equal(acceptsLazyImports(undefined), false);
 * ```
 */
export function acceptsLazyImports(version: string | undefined): boolean {
  const match = /^(\d+)\.(\d+)\./.exec(version ?? "");
  if (!match) return false;
  const major = Number(match[1]);
  return major > 2 || (major === 2 && Number(match[2]) >= 3);
}

/**
 * Returns the command that starts the tool the way it was started now, for
 * a Git hook to run (the hook appends `hook <name> …`):
 *
 * - a `deno compile` executable: `[<executable>]`;
 * - `deno run`: `[<deno>, "run", "--quiet", LAZY_IMPORTS_FLAG (from Deno
 *   2.3 on), …PERMISSION_FLAGS,
 *   AGENT_SOCKET_SHELL_WORD, <module>]`, the module as a file path for a
 *   `file:` URL, else the URL itself (the shell word grants the SSH agent's
 *   socket when `SSH_AUTH_SOCK` is set);
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
 *   launchCommand({ kind: "deno", execPath: "/usr/bin/deno", mainModule: "file:///opt/m%20o/main.ts", version: "2.9.6" }),
 *   ["/usr/bin/deno", "run", "--quiet", "--unstable-lazy-dynamic-imports", "--allow-read", "--allow-write", "--allow-run=git",
 *    "--allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY,MCP_ORCHESTRATION_AGENT,MCP_ORCHESTRATION_PASSPHRASE_FILE,SSH_AUTH_SOCK",
 *    '${SSH_AUTH_SOCK:+"--allow-net=unix:$SSH_AUTH_SOCK"}', "/opt/m o/main.ts"],
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
        ...(acceptsLazyImports(launch.version) ? [LAZY_IMPORTS_FLAG] : []),
        ...PERMISSION_FLAGS,
        AGENT_SOCKET_SHELL_WORD,
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
 * `'` written as `'\''`. {@linkcode AGENT_SOCKET_SHELL_WORD} alone is
 * left as it is, for the shell to expand.
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
  // The one word left for the shell to expand: ours, never a user's.
  if (!first && word === AGENT_SOCKET_SHELL_WORD) return word;
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

/** A package manager's throwaway cache that a hook's launcher sits in. */
export interface ThrowawayLauncher {
  /** The word of the hook's command that lies in the cache. */
  path: string;
  /** The package manager, and how it ran the tool (`npx`, `pnpm dlx`, …). */
  cache: string;
  /** What installs the tool where it stays, then installs the hooks again. */
  durable: string;
}

// Folders that package managers run a package from once and may delete at
// any time (`npm cache clean`, a reboot's /tmp, an age limit): a hook that
// calls a program inside one breaks, and fails closed, when it goes. Each
// is matched as whole path segments, with "/" and "\\" alike.
const THROWAWAY_CACHES: readonly { cache: string; pattern: RegExp }[] = [
  // npm 7+ `npx`/`npm exec`: <npm cache>/_npx/<hash>/node_modules/…
  { cache: "npx (npm exec)", pattern: /(^|\/)_npx\// },
  // pnpm 8+ `pnpm dlx`: <pnpm cache>/dlx/<hash>/… (~/.cache/pnpm, pnpm-cache)
  { cache: "pnpm dlx", pattern: /(^|\/)pnpm(-cache)?\/dlx\// },
  // yarn 2+ `yarn dlx` (<tmp>/xfs-<id>/dlx-<pid>/) and older pnpm dlx (<tmp>/dlx-<pid>/)
  { cache: "yarn dlx or pnpm dlx", pattern: /(^|\/)dlx-\d+\// },
  // `bunx`: <tmp>/bunx-<uid>-<package>@<version>/node_modules/…
  { cache: "bunx", pattern: /(^|\/)bunx-[^/]*\// },
];

/**
 * Tells whether a hook command starts a program or module from a package
 * manager's throwaway cache (`npx`'s `~/.npm/_npx/…`, `pnpm dlx`,
 * `yarn dlx`, `bunx`), which the hooks would stop finding once the cache
 * is cleaned. Deno's own module cache is not one: a module run from a URL
 * is fetched again when it is gone.
 *
 * @param command A hook command, as {@linkcode launchCommand} returns it.
 * @returns The cached word, the cache, and the durable way to install; or
 * undefined when every word lies elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { throwawayLauncher } from "./launch.ts";
 * const found = throwawayLauncher(["/usr/bin/node", "/home/a/.npm/_npx/1f2e/node_modules/mcp-orchestration/cli.cjs"]);
 * assert.equal(found?.cache, "npx (npm exec)");
 * assert.match(found?.durable ?? "", /npm install --global mcp-orchestration/);
 * assert.equal(throwawayLauncher(["/usr/local/bin/mcp-orchestration"]), undefined);
 * ```
 */
export function throwawayLauncher(
  command: readonly string[],
): ThrowawayLauncher | undefined {
  for (const word of command) {
    if (!isAbsolute(word) && !/^[A-Za-z]:[\\/]/.test(word)) continue;
    const path = word.replaceAll("\\", "/");
    const found = THROWAWAY_CACHES.find((cache) => cache.pattern.test(path));
    if (found) {
      return {
        path: word,
        cache: found.cache,
        durable: durable(command),
      };
    }
  }
  return undefined;
}

/**
 * Refuses a hook command that starts the tool from a package manager's
 * throwaway cache (see {@linkcode throwawayLauncher}).
 *
 * @param command A hook command.
 * @throws {ToolError} `HOOKS` naming the cached path and the durable
 * install, and `--force`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertDurableLauncher } from "./launch.ts";
 * assert.throws(() => assertDurableLauncher(["/tmp/bunx-1000-mcp-orchestration@1.0.0/node_modules/.bin/mcp-orchestration"]), /bunx/);
 * assertDurableLauncher(["/usr/local/bin/mcp-orchestration"]);
 * ```
 */
export function assertDurableLauncher(command: readonly string[]): void {
  const found = throwawayLauncher(command);
  if (!found) return;
  throw new ToolError(
    "HOOKS",
    `Cannot install hooks that run "${found.path}": it is in the throwaway cache of ${found.cache}, ` +
      `and every commit and push would fail once that cache is cleaned. Install the tool where it stays, then install the hooks from there:\n` +
      `  ${found.durable}\n` +
      `Or run again with --force to install these hooks anyway`,
  );
}

// What installs the tool durably, given which word of the command is cached.
function durable(command: readonly string[]): string {
  const [program, ...rest] = command;
  const cached = (word: string) =>
    THROWAWAY_CACHES.some((cache) =>
      cache.pattern.test(word.replaceAll("\\", "/"))
    );
  if (program !== undefined && rest[0] === "run" && rest.length > 1) {
    // deno run … MODULE: Deno from npm's registry installed for good, and
    // the module (a checkout or a pinned URL) where it stays.
    const module = rest[rest.length - 1] as string;
    const version = deno?.version.deno;
    const steps = cached(program)
      ? [`npm install --global deno${version ? `@${version}` : ""}`]
      : [];
    steps.push(formatShellCommand([
      cached(program) ? "deno" : program,
      ...rest.slice(0, -1),
      cached(module)
        ? `https://raw.githubusercontent.com/<owner>/${TOOL_NAME}/<tag or commit>/main.ts`
        : module,
      "install",
    ]));
    return steps.join(" && ");
  }
  // node SCRIPT: the npm package, installed.
  if (command.length === 2) {
    return `npm install --global ${TOOL_NAME} && ${TOOL_NAME} install` +
      ` (or, for this project only: npm install --save-dev ${TOOL_NAME} && npx ${TOOL_NAME} install)`;
  }
  // A single executable: kept where it stays.
  return `cp ${
    shellQuote(program ?? "")
  } ~/.local/bin/${TOOL_NAME} && ~/.local/bin/${TOOL_NAME} install`;
}
