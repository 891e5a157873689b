/**
 * Which repository files a config's servers run: a signed config that
 * starts `./scripts/server.sh` can be subverted by editing that script, so
 * the statement also names those files (docs/FORMAT.md, "Server files").
 * A pure function of the parsed config; the rule is deliberately
 * conservative and documented there:
 *
 * - the command itself, when it contains a `/` (or `\\`) and is not absolute (a bare
 *   name is looked up on `PATH`, not in the repository);
 * - the script of a known interpreter: the first word after its options for
 *   `node`, `nodejs`, `bun`, `tsx`, `ts-node`, `python`, `python3[.N]`,
 *   `bash`, `sh`, `zsh`, `dash`, `ruby`, `perl`, `php`, and `deno run`;
 *   nothing when the code comes from an option (`-c`, `-e`, `-m`, …); for
 *   the Node family also a module preloaded from a local path (`-r ./x.js`);
 * - `npx`/`uvx` (and `uv run`) with a local path (`./x`, `../x`), and what
 *   `npx`/`uv run` start in turn; `uv run --directory DIR`, `uvx --from DIR`
 *   name a folder, which signing expands to its files;
 * - failing closed, given the repository's paths: any word of the command
 *   line or of an `env` value, or piece of one (a shell string's tokens,
 *   the parts of `KEY=value` and of path lists, a short option's attached
 *   value, an `@` response file), that names an existing repository file or
 *   folder (not the server's own folder or one above), and every file a
 *   glob among them matches.
 *
 * Paths resolve against the config's project folder (the folder that holds
 * `.cursor/` for `.cursor/mcp.json`; the repository root for a repository
 * pattern), then a relative `cwd`. A path that leaves the repository is an
 * error: signing must not vouch for what it cannot see.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import type { ConfigKind } from "./config_kinds.ts";
import { serverTable, serverTableKeys } from "./server_entries.ts";

/** One repository path that a server runs. */
export interface ServerFile {
  /** Repository-relative, "/"-separated, normalised path. */
  path: string;
  /** The server that runs it, for messages. */
  server: string;
  /** True when it names a folder (`uv run --directory ./srv`). */
  folder: boolean;
}

// Interpreters whose first non-option word is the script they run, with
// the options that take the next word as their value, and the options that
// mean "no script file" (the code is inline, or a module by name).
interface Interpreter {
  valued: readonly string[];
  inline: readonly string[];
}

const NODE: Interpreter = {
  valued: [
    "-r",
    "--require",
    "--import",
    "--loader",
    "--experimental-loader",
    "--env-file",
    "-C",
    "--conditions",
    "--tsconfig",
  ],
  inline: ["-e", "--eval", "-p", "--print", "-i", "--interactive"],
};
const PYTHON: Interpreter = {
  valued: ["-W", "-X", "--check-hash-based-pycs"],
  inline: ["-c", "-m", "-i", "-"],
};
const SHELL: Interpreter = {
  valued: ["-o", "+o", "-O", "+O"],
  inline: ["-c", "-s", "-i"],
};
const SCRIPTING: Interpreter = {
  valued: ["-I", "-r", "-C", "-M"],
  inline: ["-e", "-E"],
};
const DENO_RUN: Interpreter = {
  // `--env-file` and `--lock` take a value only after `=`.
  valued: ["-c", "--config", "--import-map", "-L"],
  inline: ["--eval", "-"],
};

const INTERPRETERS: ReadonlyMap<string, Interpreter> = new Map([
  ["node", NODE],
  ["nodejs", NODE],
  ["bun", NODE],
  ["tsx", NODE],
  ["ts-node", NODE],
  ["python", PYTHON],
  ["python3", PYTHON],
  ["py", PYTHON],
  ["bash", SHELL],
  ["sh", SHELL],
  ["zsh", SHELL],
  ["dash", SHELL],
  ["ruby", SCRIPTING],
  ["perl", SCRIPTING],
  ["php", { valued: ["-c", "-d", "-z"], inline: ["-r", "-a", "-i"] }],
]);

const UV_VALUED = [
  "--with",
  "--python",
  "-p",
  "--project",
  "--package",
  "--extra",
  "--group",
  "--env-file",
  "--with-requirements",
  "--directory",
  "--index",
  "--index-url",
  "--default-index",
];
const NPX_VALUED = ["-p", "--package", "-c", "--call"];

// How deep npx/uv may hand over to another launcher ("npx -y tsx ./x").
const MAX_LAUNCH_DEPTH = 3;
// Bounds on what one config may name, so a hostile config costs little.
const MAX_SERVERS = 256;

/**
 * The repository files and folders a config's servers run.
 *
 * @param configPath The config's repository-relative path.
 * @param root The parsed config's top-level object.
 * @param kind The config's kind (its pattern gives the project folder).
 * @param options `paths`: the repository's paths (Git's listing); with it,
 * every word of a command line, `--opt=value` value and word of an `env`
 * value that names an existing repository file or folder is a server file
 * too, so that a command line the rule misreads still fails closed.
 * @returns Distinct paths, sorted; folders marked.
 * @throws {ToolError} `BAD_PATH` when a server's file resolves outside the
 * repository, or through a `cwd` that cannot be resolved.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverFiles } from "./server_files.ts";
 * const kind = { client: "Cursor", pattern: "**\/.cursor/mcp.json", format: "json", serversKey: "mcpServers" } as const;
 * const root = { mcpServers: { a: { command: "./scripts/a.sh" }, b: { command: "node", args: ["tools/b.js"] }, c: { command: "npx", args: ["-y", "pkg"] } } };
 * assert.deepEqual(serverFiles("app/.cursor/mcp.json", root, kind).map((f) => f.path), ["app/scripts/a.sh", "app/tools/b.js"]);
 * ```
 */
export function serverFiles(
  configPath: string,
  root: Record<string, unknown>,
  kind: ConfigKind,
  options: { paths?: Iterable<string> } = {},
): ServerFile[] {
  const project = projectFolder(configPath, kind);
  const existing = options.paths && existingPathsOf(options.paths);
  const found = new Map<string, ServerFile>();
  for (const [name, entry] of serverEntries(root, kind)) {
    // A server without `command` (a remote one, or `"Command"` for a
    // client that ignores case) still has its strings scanned.
    const run = runOf(configPath, entry) ?? [];
    const cwd = resolveCwd(configPath, name, project, entry);
    if (cwd === undefined) continue; // Runs outside the repository: PATH and absolute files only.
    const words = launched(run, 0);
    if (existing) {
      for (
        const word of mentioned(run, entry, existing, configPath, cwd, project)
      ) {
        const path = resolveQuietly(configPath, cwd, word, project);
        // The server's own folder, or one above it, is where it runs, not
        // what it runs (`npx -y @x/server-filesystem .`).
        const own = path === "." || `${cwd.join("/")}/`.startsWith(`${path}/`);
        const kind = path === undefined || own ? undefined : existing.get(path);
        // A bare word that happens to name a folder (a command "a" beside a
        // folder a/) is a name, not a path: folders count only when the
        // word is written as a path (`./tools/mcp`, `srv/`).
        const pathShaped = /[/\\]/.test(word) || word.startsWith(".");
        if (kind === "file" || (kind === "folder" && pathShaped)) {
          words.push({ path: word, folder: kind === "folder" });
        }
        // A glob (`java -cp "lib/*"`, `sh -c "node dist/*.js"`): the
        // program or a shell expands it, so every file it matches counts.
        if (path !== undefined && isGlob(word)) {
          words.push(...globbed(path, existing));
        }
      }
    }
    for (const word of words) {
      const path = resolve(configPath, name, cwd, word.path, project);
      if (path === undefined) continue;
      const known = found.get(path);
      found.set(path, {
        path,
        server: known?.server ?? name,
        folder: (known?.folder ?? false) || word.folder,
      });
    }
  }
  return [...found.values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0
  );
}

// existingPaths, made once per listing (an array never changed once
// listed): signing or checking many configs passes the same one each time.
const existingOfListing = new WeakMap<
  object,
  Map<string, "file" | "folder">
>();
function existingPathsOf(
  paths: Iterable<string>,
): Map<string, "file" | "folder"> {
  if (!Array.isArray(paths)) return existingPaths(paths);
  let existing = existingOfListing.get(paths);
  if (existing === undefined) {
    existing = existingPaths(paths);
    existingOfListing.set(paths, existing);
  }
  return existing;
}

// Every file and folder of the repository, by path ("." for the root).
function existingPaths(
  paths: Iterable<string>,
): Map<string, "file" | "folder"> {
  const existing = new Map<string, "file" | "folder">([[".", "folder"]]);
  for (const path of paths) {
    existing.set(path, "file");
    for (
      let at = path.lastIndexOf("/");
      at > 0;
      at = path.lastIndexOf("/", at - 1)
    ) {
      const folder = path.slice(0, at);
      if (existing.get(folder) === "folder") break;
      existing.set(folder, "folder");
    }
  }
  return existing;
}

// What a server's command line and environment mention that could be a
// path: each word, and every piece of it that a program or a shell could
// read as one (docs/FORMAT.md, "Server files"): the tokens of a shell
// string (`bash -c "node ./server.js"`, quotes removed), the parts of a
// `KEY=value` or `--opt=value` word, of a path list (`a.jar:b.jar`,
// `-javaagent:./a.jar`, `PYTHONPATH=./lib:./vendor`), the value attached to
// a short option (`-r./boot.rb`), a response file (`@jvm.args`); and, for a
// shell string that names a folder (`cd srv && node server.js`), each
// token again beneath that folder. The same for every other string of the
// server's entry (`env` values, `environment`, `envFile`, any field).
function mentioned(
  run: readonly string[],
  entry: Record<string, unknown>,
  existing: Pick<ReadonlyMap<string, "file" | "folder">, "get">,
  configPath: string,
  cwd: readonly string[],
  project: readonly string[],
): string[] {
  // Every string of the entry, not only `env`: clients keep variables and
  // files under other names (opencode's `environment`, Zed's
  // `command.env`, `envFile`), and a field no one knows yet fails closed.
  const values = new Set([...run, ...stringsOf(entry)]);
  const words = new Set<string>();
  for (const value of values) {
    const tokens = value.split(SHELL_SEPARATORS).map(unquoted)
      .filter((token) => token !== "");
    const pieces = new Set<string>();
    for (const token of tokens) {
      for (const piece of piecesOf(token)) {
        pieces.add(piece);
      }
    }
    // A folder the string names (`cd srv`) may be where the rest runs.
    const folders = tokens.length < 2 ? [] : [...pieces].filter((piece) => {
      const path = resolveQuietly(configPath, cwd, piece, project);
      return path !== undefined && path !== "." &&
        existing.get(path) === "folder";
    }).slice(0, MAX_SHELL_FOLDERS);
    for (const piece of pieces) {
      words.add(piece);
      for (const folder of folders) {
        if (piece !== folder) words.add(`${folder}/${piece}`);
      }
    }
  }
  return [...words].filter((word) => word !== "" && !word.startsWith("-"));
}

// The strings anywhere in a value (object values, list items), bounded so
// a hostile config costs little.
const MAX_ENTRY_STRINGS = 4096;
const MAX_ENTRY_DEPTH = 16;

function stringsOf(value: unknown): string[] {
  const found: string[] = [];
  const visit = (item: unknown, depth: number): void => {
    if (found.length >= MAX_ENTRY_STRINGS || depth > MAX_ENTRY_DEPTH) return;
    if (typeof item === "string") found.push(item);
    else if (Array.isArray(item)) {
      for (const element of item) visit(element, depth + 1);
    } else if (isTable(item)) {
      for (const element of Object.values(item)) visit(element, depth + 1);
    }
  };
  visit(value, 0);
  return found;
}

// Where a shell string splits into words: blanks, and the operators that
// end a command (`;`, `&&`, `|`, redirections, subshells, backquotes).
const SHELL_SEPARATORS = /[\s;&|()<>`]+/;
// How many folders of one shell string are tried as a base for the rest.
const MAX_SHELL_FOLDERS = 32;

function unquoted(token: string): string {
  return token.replaceAll(/["']/g, "");
}

// A token, and what a program could take from it as a path.
function piecesOf(token: string): string[] {
  const pieces = [token];
  // `-r./boot.rb`, `-I./lib`: a short option's attached value.
  if (/^-[^-]./.test(token)) pieces.push(token.slice(2));
  // Commas also separate paths, except inside a brace glob (`*.{sh,cmd}`).
  for (const part of token.split(/[=:;]/)) pieces.push(part);
  for (const part of token.split(/[=:;,]/)) pieces.push(part);
  for (const piece of [...pieces]) {
    // `@FILE`: a response file (Java's launcher, many compilers).
    if (piece.startsWith("@")) pieces.push(piece.slice(1));
  }
  return pieces;
}

// Shell and launcher wildcards: `*`, `?`, `[…]`, `{a,b}`.
const GLOB = /[*?[{]/;

// A word with a wildcard and something else to match: `lib/*.jar`, but not
// `*` alone, which configs use for "all" (`"tools": ["*"]`), not for files.
function isGlob(word: string): boolean {
  return GLOB.test(word) &&
    /[A-Za-z0-9_]/.test(word.replaceAll(/\$?\[[^\]]*\]|\$?\{[^}]*\}/g, ""));
}
// How many files one glob may add (more is refused by signing's bound).
const MAX_GLOB_FILES = 4096;

// The repository files a glob (already relative to the repository root)
// matches, read generously: `**` crosses folders, `*` and `{…}` match
// within one segment, `?` and `[…]` one character.
function globbed(
  path: string,
  existing: ReadonlyMap<string, "file" | "folder">,
): Launched[] {
  const pattern = globPattern(path);
  const found: Launched[] = [];
  for (const [candidate, kind] of existing) {
    if (kind !== "file" || !pattern.test(candidate)) continue;
    found.push({ path: `\0/${candidate}`, folder: false });
    if (found.length > MAX_GLOB_FILES) break;
  }
  return found;
}

/**
 * A glob as a regular expression over repository paths, read generously:
 * `**` crosses folders, `*` and `{…}` match within a segment, `?` and `[…]`
 * one character.
 *
 * @param path The glob, relative to the repository's root.
 * @returns The expression, anchored at both ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { globPattern } from "./server_files.ts";
 * assert.ok(globPattern("lib/*.jar").test("lib/a.jar"));
 * ```
 */
export function globPattern(path: string): RegExp {
  let source = "";
  for (let i = 0; i < path.length; i++) {
    const char = path[i]!;
    if (char === "*" && path[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[" && path.indexOf("]", i + 1) > i) {
      source += "[^/]";
      i = path.indexOf("]", i + 1);
    } else if (char === "{" && path.indexOf("}", i + 1) > i) {
      source += "[^/]*";
      i = path.indexOf("}", i + 1);
    } else source += char.replace(/[.+^$()|\\\]}]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

// The folder a client starts servers in: the config's path without the
// kind's own segments (`.cursor/mcp.json`), or the repository root for a
// pattern that is not "at any depth".
function projectFolder(configPath: string, kind: ConfigKind): string[] {
  const segments = configPath.split("/");
  if (!kind.pattern.startsWith("**/")) return [];
  const own = kind.pattern.slice(3).split("/").length;
  return segments.slice(0, Math.max(0, segments.length - own));
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// The server entries, by name, read as validation and the reports read
// them (server_entries.ts): one reading for every kind.
function serverEntries(
  root: Record<string, unknown>,
  kind: ConfigKind,
): [string, Record<string, unknown>][] {
  const entries: [string, Record<string, unknown>][] = [];
  const tables = [serverTable(root, kind)];
  // A client that matches keys without regard to case (Go's encoding/json:
  // Crush) also reads a table spelled otherwise (`"MCP"` for `mcp`).
  const keys = serverTableKeys(kind);
  const folded = keys.map((key) => key.toLowerCase());
  for (const [key, value] of Object.entries(root)) {
    if (keys.includes(key) || !folded.includes(key.toLowerCase())) continue;
    tables.push(serverTable({ [kind.serversKey]: value }, kind));
  }
  for (const table of tables) {
    for (const { name, entry } of table?.servers ?? []) {
      if (entries.length === MAX_SERVERS) break;
      if (isTable(entry)) entries.push([name, entry]);
    }
  }
  return entries;
}

// The words a server runs: `command` (a string, opencode's list, or Zed's
// `{path, args}`) followed by `args`; undefined when it runs nothing here.
function commandOf(entry: Record<string, unknown>): string[] | undefined {
  let command: unknown = entry.command;
  let args: unknown = entry.args;
  if (isTable(command)) {
    args = command.args;
    command = command.path;
  }
  const words = [
    ...(Array.isArray(command) ? command : [command]),
    ...(Array.isArray(args) ? args : []),
  ];
  if (typeof words[0] !== "string" || words[0] === "") return undefined;
  // A non-string argument is passed as the client prints it; it is never a
  // path we resolve.
  return words.map((word) => typeof word === "string" ? word : "");
}

// The folder the server starts in, as repository segments; undefined when
// it is outside the repository (an absolute `cwd`).
function resolveCwd(
  configPath: string,
  server: string,
  project: string[],
  entry: Record<string, unknown>,
): string[] | undefined {
  const cwd = entry.cwd;
  if (cwd === undefined) return project;
  if (typeof cwd !== "string") return unresolvable(configPath, server, cwd);
  const text = withWorkspace(cwd, configPath, project);
  if (text.includes("$") || text.startsWith("~")) {
    return unresolvable(configPath, server, cwd);
  }
  if (text.startsWith("/")) return undefined;
  const base = text.startsWith("\0") ? [] : project;
  const joined = normalise([...base, ...text.replace(/^\0\/?/, "").split("/")]);
  if (joined === undefined) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot sign "${configPath}": server "${server}" starts in "${cwd}", outside the repository`,
    );
  }
  return joined;
}

function unresolvable(
  configPath: string,
  server: string,
  cwd: unknown,
): never {
  throw new ToolError(
    "BAD_PATH",
    `Cannot sign "${configPath}": server "${server}" starts in ${
      JSON.stringify(cwd)
    }, which this tool cannot resolve, so it cannot tell which repository files the server runs; ` +
      `use a folder relative to the project`,
  );
}

// `${workspaceFolder}` (VS Code, Cursor) is the project folder, the folder
// the client opened (`app` for `app/.vscode/mcp.json`), given from the
// repository's root after a NUL, which no path may hold, so the caller can
// tell it apart.
function withWorkspace(
  text: string,
  configPath: string,
  project: readonly string[],
): string {
  const workspace = ["\0", ...project].join("/");
  const start = text.replace(
    /^\$\{(workspaceFolder|workspaceRoot)\}/,
    workspace,
  );
  if (!EXTENSION_MANIFEST.test(configPath)) return start;
  // Gemini CLI and Qwen Code extensions: ${extensionPath} is the folder of
  // the manifest, ${workspacePath} the project, ${/} the path separator.
  const folder = configPath.slice(0, configPath.lastIndexOf("/"));
  return start
    .replace(/^\$\{extensionPath\}/, `\0/${folder}`)
    .replace(/^\$\{workspacePath\}/, workspace)
    .replaceAll(/\$\{(\/|pathSeparator)\}/g, "/");
}

// The manifests whose commands may name ${extensionPath}.
const EXTENSION_MANIFEST = /(^|\/)(qwen|gemini)-extension\.json$/;

/** A word that names a repository file or folder, relative to the server's folder. */
interface Launched {
  path: string;
  folder: boolean;
}

// The files a command line starts: the command when it is a path, and a
// known interpreter's or launcher's script.
function launched(words: readonly string[], depth: number): Launched[] {
  const [command = "", ...args] = words;
  // Windows reads a backslash as a separator (`.\\scripts\\server.cmd`).
  const slashed = command.replaceAll("\\", "/");
  const name = slashed.slice(slashed.lastIndexOf("/") + 1)
    .replace(/\.exe$/i, "");
  const found: Launched[] = [];
  if (slashed.includes("/")) found.push({ path: slashed, folder: false });
  if (depth >= MAX_LAUNCH_DEPTH) return found;
  // `bun x PKG` and `bunx PKG` run a package, like npx; `bun run X` runs X.
  if (name === "bunx" || (name === "bun" && args[0] === "x")) {
    return [
      ...found,
      ...viaLauncher(name === "bunx" ? args : args.slice(1), NPX_VALUED, depth),
    ];
  }
  if (name === "bun" && args[0] === "run") {
    const script = firstOperand(args.slice(1), NODE);
    return script ? [...found, { path: script.word, folder: false }] : found;
  }
  const interpreter = INTERPRETERS.get(name) ??
    (/^python3\.[0-9]+$/.test(name) ? PYTHON : undefined);
  if (interpreter) {
    const script = firstOperand(args, interpreter);
    if (script) found.push({ path: script.word, folder: false });
    if (interpreter === NODE || interpreter === SCRIPTING) {
      found.push(...preloads(args, script?.at));
    }
  } else if (name === "deno") {
    // Deno 2 runs a script without `run` (`deno -A ./server.ts`).
    const rest = args[0] === "run" ? args.slice(1) : args;
    const script = firstOperand(rest, DENO_RUN);
    if (script && (args[0] === "run" || !DENO_COMMANDS.has(script.word))) {
      found.push({ path: script.word, folder: false });
    }
  } else if (name === "npx") {
    found.push(...viaLauncher(args, NPX_VALUED, depth));
  } else if (name === "uvx") {
    found.push(...uvFolders(args), ...viaLauncher(args, UV_VALUED, depth));
  } else if (name === "uv") {
    // uv's global options may come before `run` (`uv --directory DIR run`).
    const run = firstOperand(args, { valued: UV_VALUED, inline: [] });
    if (run?.word === "run") {
      found.push(
        ...uvRun([...args.slice(0, run.at), ...args.slice(run.at + 1)], depth),
      );
    }
  }
  return found;
}

// Deno's subcommands: a first operand with one of these names is no script.
const DENO_COMMANDS = new Set([
  "add",
  "bench",
  "bundle",
  "cache",
  "check",
  "clean",
  "compile",
  "completions",
  "coverage",
  "deploy",
  "doc",
  "eval",
  "fmt",
  "info",
  "init",
  "install",
  "jupyter",
  "lint",
  "lsp",
  "outdated",
  "publish",
  "remove",
  "repl",
  "run",
  "serve",
  "task",
  "test",
  "types",
  "uninstall",
  "update",
  "upgrade",
  "x",
]);

// `uv run [--directory DIR] CMD…`: the folder, and what CMD starts there.
function uvRun(args: readonly string[], depth: number): Launched[] {
  const folders = uvFolders(args);
  const directory = folders.find((f) => f.directory)?.path;
  const inner = viaLauncher(args, UV_VALUED, depth, { script: true });
  return [
    ...folders,
    ...inner.map((item) =>
      directory && !item.path.startsWith("/")
        ? { ...item, path: `${directory}/${item.path}` }
        : item
    ),
  ];
}

// `--directory DIR`, `--from DIR` (a local project), `--project DIR`.
function uvFolders(
  args: readonly string[],
): (Launched & { directory?: boolean })[] {
  const found: (Launched & { directory?: boolean })[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    if (!["--directory", "--from", "--project"].includes(flag!)) continue;
    const value = inline ?? args[++i];
    if (value === undefined || value === "") continue;
    if (flag === "--from" && !isLocalPath(value)) continue;
    found.push({
      path: value,
      folder: true,
      ...(flag === "--directory" ? { directory: true } : {}),
    });
  }
  return found;
}

// npx/uvx/uv run: the first operand is a package name, unless it is a local
// path; then the rest is a command line of its own (`npx -y tsx ./x.ts`).
function viaLauncher(
  args: readonly string[],
  valued: readonly string[],
  depth: number,
  options: { script?: boolean } = {},
): Launched[] {
  const operand = firstOperand(args, {
    valued: [...valued, "--directory", "--from"],
    inline: [],
  });
  if (!operand) return [];
  const rest = args.slice(operand.at);
  if (isLocalPath(operand.word)) {
    return [{ path: operand.word, folder: false }];
  }
  // `uv run server.py` runs a script by its name alone.
  if (options.script && /\.py$/.test(operand.word)) {
    return [{ path: operand.word, folder: false }];
  }
  // Otherwise it is a package name (`npx -y pkg`, `uvx pkg`), which runs
  // nothing from here, unless it is an interpreter (`npx tsx ./x.ts`).
  const name = operand.word;
  const hands = INTERPRETERS.has(name) || name === "deno" || name === "uv" ||
    name === "npx" || /^python3\.[0-9]+$/.test(name);
  return hands ? launched(rest, depth + 1) : [];
}

function isLocalPath(word: string): boolean {
  return word.startsWith("./") || word.startsWith("../") || word === "." ||
    word === "..";
}

// Node's preloaded modules given as local paths (`-r ./env.js`,
// `--import=./hooks.mjs`): they run before the script, so they count too.
// A package name (`-r dotenv/config`) is nothing from here.
const PRELOADS = [
  "-r",
  "--require",
  "--import",
  "--loader",
  "--experimental-loader",
];

function preloads(args: readonly string[], end = args.length): Launched[] {
  const found: Launched[] = [];
  for (let i = 0; i < end; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const [flag, value] = eq > 0 && arg.startsWith("--")
      ? [arg.slice(0, eq), arg.slice(eq + 1)]
      : [arg, PRELOADS.includes(arg) ? args[++i] : undefined];
    if (PRELOADS.includes(flag) && value && isLocalPath(value)) {
      found.push({ path: value, folder: false });
    }
  }
  return found;
}

// The first word that is no option nor an option's value; undefined when an
// option says the code is inline (`python -c`) or there is none.
function firstOperand(
  args: readonly string[],
  interpreter: Interpreter,
): { word: string; at: number } | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      const word = args[i + 1];
      return word ? { word, at: i + 1 } : undefined;
    }
    if (!arg.startsWith("-") && !arg.startsWith("+")) {
      return arg === "" ? undefined : { word: arg, at: i };
    }
    if (interpreter.inline.includes(arg)) return undefined;
    if (interpreter.valued.includes(arg)) i++;
  }
  return undefined;
}

// A word relative to the server's folder, as a repository path; undefined
// for an absolute path or one that holds a variable (not a repository file).
function resolve(
  configPath: string,
  server: string,
  cwd: readonly string[],
  word: string,
  project: readonly string[],
): string | undefined {
  const text = withWorkspace(word, configPath, project).replaceAll("\\", "/");
  if (text === "" || text.startsWith("/") || /^[A-Za-z]:[\\/]/.test(text)) {
    return undefined;
  }
  if (text.includes("$") || text.startsWith("~")) return undefined;
  // A specifier such as npm:pkg, jsr:@x/y or https://… names no file.
  if (/^[A-Za-z][A-Za-z0-9+.-]+:/.test(text)) return undefined;
  const base = text.startsWith("\0") ? [] : cwd;
  const segments = normalise([
    ...base,
    ...text.replace(/^\0\/?/, "").split("/"),
  ]);
  if (segments === undefined) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot sign "${configPath}": server "${server}" runs "${word}", which is outside the repository`,
    );
  }
  return segments.length === 0 ? "." : segments.join("/");
}

// As resolve, but undefined for a word outside the repository: a word
// merely mentioned is a server file only when it is a repository path.
function resolveQuietly(
  configPath: string,
  cwd: readonly string[],
  word: string,
  project: readonly string[],
): string | undefined {
  try {
    return resolve(configPath, "", cwd, word, project);
  } catch {
    return undefined;
  }
}

// Resolves "." and ".." segments; undefined when ".." climbs above the root.
function normalise(segments: readonly string[]): string[] | undefined {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return out;
}

// The words a server runs, with a Gemini CLI or Qwen Code extension's
// `${/}` read as a slash.
function runOf(
  configPath: string,
  entry: Record<string, unknown>,
): string[] | undefined {
  return commandOf(entry)?.map((word) =>
    EXTENSION_MANIFEST.test(configPath)
      ? word.replaceAll(/\$\{(\/|pathSeparator)\}/g, "/")
      : word
  );
}

/** A repository path a server's words name, whether or not it exists. */
export interface NamedPath {
  /** Repository-relative path; a glob when `glob` is set. */
  path: string;
  /** The server whose words name it, for messages. */
  server: string;
  /** True when a word names it as a path (`./x`, `a/b`): it may be a folder. */
  folder: boolean;
  /** True when the path holds a wildcard ({@linkcode globPattern}). */
  glob: boolean;
}

// Bounds on what one config may name for verification.
const MAX_NAMED_PATHS = 4096;

/**
 * Every repository path the words of a config's servers could name, whatever
 * exists: what {@linkcode serverFiles} would name for some listing of the
 * repository. Verification lists these paths' folders and fails a config
 * when one names a file its statement does not (a file committed after
 * signing, such as a build output Git ignored then: docs/FORMAT.md, "Server
 * files").
 *
 * @param configPath The config's repository-relative path.
 * @param root The parsed config's top-level object.
 * @param kind The config's kind (its pattern gives the project folder).
 * @returns Distinct paths, at most 4,096; servers that start outside the
 * repository or in a folder this tool cannot resolve are left out, and so
 * are the server's own folder and those above it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namedPaths } from "./server_files.ts";
 * const kind = { client: "Claude Code", pattern: ".mcp.json", format: "json", serversKey: "mcpServers" } as const;
 * const root = { mcpServers: { a: { command: "java", args: ["-jar", "build/server.jar"] } } };
 * assert.ok(namedPaths(".mcp.json", root, kind).some((n) => n.path === "build/server.jar"));
 * ```
 */
export function namedPaths(
  configPath: string,
  root: Record<string, unknown>,
  kind: ConfigKind,
): NamedPath[] {
  const project = projectFolder(configPath, kind);
  // Any path may be a folder a shell string enters (`cd srv`).
  const anything = { get: () => "folder" as const };
  const found = new Map<string, NamedPath>();
  for (const [server, entry] of serverEntries(root, kind)) {
    // A server without `command` (a remote one, or `"Command"` for a
    // client that ignores case) still has its strings scanned.
    const run = runOf(configPath, entry) ?? [];
    let cwd: string[] | undefined;
    try {
      cwd = resolveCwd(configPath, server, project, entry);
    } catch {
      continue; // sign refuses such a server: nothing of it was signed.
    }
    if (cwd === undefined) continue;
    const words = [
      ...launched(run, 0).map((word) => word.path),
      ...mentioned(
        run,
        entry,
        anything,
        configPath,
        cwd,
        project,
      ),
    ];
    for (const word of words) {
      const path = resolveQuietly(configPath, cwd, word, project);
      if (path === undefined || path === ".") continue;
      if (`${cwd.join("/")}/`.startsWith(`${path}/`)) continue;
      const folder = /[/\\]/.test(word) || word.startsWith(".");
      const known = found.get(path);
      found.set(path, {
        path,
        server: known?.server ?? server,
        folder: (known?.folder ?? false) || folder,
        glob: isGlob(word),
      });
      if (found.size >= MAX_NAMED_PATHS) return [...found.values()];
    }
  }
  return [...found.values()];
}

// The environment files a server's client loads before starting it: VS
// Code's `envFile` (code.visualstudio.com, MCP configuration reference),
// and `env_file`, the same in the snake case of TOML and YAML configs.
const ENV_FILE_KEYS = ["envFile", "env_file"];

function envFileFields(entry: Record<string, unknown>): string[] {
  return ENV_FILE_KEYS.map((key) => entry[key])
    .filter((value): value is string => typeof value === "string");
}

/** A file a server's client loads if it is there (an `envFile`). */
export interface EnvFile {
  /** Repository-relative path. */
  path: string;
  /** The server that loads it, for messages. */
  server: string;
}

/**
 * The environment files (`envFile`) a config's servers load, as repository
 * paths, whether or not they exist: `sign` names one that exists (a server
 * file like any other), and verification fails a config when one it did not
 * name exists where the config is (a `.env` added after signing), since the
 * client would load it (docs/FORMAT.md, "Server files").
 *
 * @param configPath The config's repository-relative path.
 * @param root The parsed config's top-level object.
 * @param kind The config's kind (its pattern gives the project folder).
 * @returns One entry per server and file inside the repository; absolute
 * paths, paths with a variable and servers whose folder cannot be resolved
 * are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { envFiles } from "./server_files.ts";
 * const kind = { client: "VS Code", pattern: "**\/.vscode/mcp.json", format: "jsonc", serversKey: "servers" } as const;
 * const root = { servers: { a: { command: "npx", args: ["-y", "pkg"], envFile: "${workspaceFolder}/.env" } } };
 * assert.deepEqual(envFiles("app/.vscode/mcp.json", root, kind).map((f) => f.path), ["app/.env"]);
 * ```
 */
export function envFiles(
  configPath: string,
  root: Record<string, unknown>,
  kind: ConfigKind,
): EnvFile[] {
  const project = projectFolder(configPath, kind);
  const found: EnvFile[] = [];
  for (const [server, entry] of serverEntries(root, kind)) {
    const fields = envFileFields(entry);
    if (fields.length === 0) continue;
    let cwd: string[] | undefined;
    try {
      cwd = resolveCwd(configPath, server, project, entry);
    } catch {
      continue; // sign refuses such a server: nothing of it was signed.
    }
    if (cwd === undefined) continue;
    for (const field of fields) {
      const path = resolveQuietly(configPath, cwd, field, project);
      if (path !== undefined && path !== ".") found.push({ path, server });
    }
  }
  return found;
}

/** A command a server starts by bare name, and the folder it starts in. */
export interface BareCommand {
  /** The name as written (`npx`), without a `.exe`. */
  name: string;
  /** The server's folder, repository-relative ("" for the root). */
  folder: string;
  /** The server that starts it, for messages. */
  server: string;
  /**
   * A relative command (`./scripts/server`): the file itself is the
   * server's, only its names with a Windows program extension count.
   */
  extensionsOnly?: boolean;
}

/**
 * The commands a config's servers start by bare name (`npx`, `node`, and
 * the command `cmd /c` starts), each with the server's folder: Windows
 * looks such a name up in that folder before `PATH` (docs/FORMAT.md,
 * "Server files").
 *
 * @param configPath The config's repository-relative path.
 * @param root The parsed config's top-level object.
 * @param kind The config's kind (its pattern gives the project folder).
 * @returns One entry per server and name; servers that start outside the
 * repository, or in a folder this tool cannot resolve, are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bareCommands } from "./server_files.ts";
 * const kind = { client: "Claude Code", pattern: ".mcp.json", format: "json", serversKey: "mcpServers" } as const;
 * const root = { mcpServers: { a: { command: "cmd", args: ["/c", "npx", "-y", "pkg"] } } };
 * assert.deepEqual(bareCommands(".mcp.json", root, kind).map((c) => c.name), ["cmd", "npx"]);
 * ```
 */
export function bareCommands(
  configPath: string,
  root: Record<string, unknown>,
  kind: ConfigKind,
): BareCommand[] {
  const project = projectFolder(configPath, kind);
  const found: BareCommand[] = [];
  for (const [server, entry] of serverEntries(root, kind)) {
    const run = commandOf(entry);
    if (!run) continue;
    let cwd: string[] | undefined;
    try {
      cwd = resolveCwd(configPath, server, project, entry);
    } catch {
      continue; // sign refuses such a server: nothing of it was signed.
    }
    if (cwd === undefined) continue;
    const names = [run[0]!];
    // `cmd /c npx …`: cmd.exe looks `npx` up the same way.
    if (/^cmd(\.exe)?$/i.test(run[0]!) && /^\/[ck]$/i.test(run[1] ?? "")) {
      if (run[2]) names.push(run[2]);
    }
    for (const name of names) {
      if (name.startsWith("$")) continue;
      if (/[\\/]/.test(name)) {
        // `./scripts/server`: on Windows, cross-spawn (node-which) also
        // tries it plus each PATHEXT extension, `scripts/server.cmd`.
        if (/\.(exe|cmd|bat|com)$/i.test(name)) continue;
        const path = resolveQuietly(configPath, cwd, name, project);
        if (path === undefined || path === ".") continue;
        const at = path.lastIndexOf("/");
        found.push({
          name: path.slice(at + 1),
          folder: at < 0 ? "" : path.slice(0, at),
          server,
          extensionsOnly: true,
        });
        continue;
      }
      if (name.includes(":")) continue;
      found.push({
        name: name.replace(/\.exe$/i, ""),
        folder: cwd.join("/"),
        server,
      });
    }
  }
  return found;
}
