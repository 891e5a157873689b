/**
 * Every third-party module the tool uses enters here, with an exact version,
 * so a reader sees all dependencies at a glance. Full `npm:` specifiers (no
 * import map) keep `deno run https://…/mod.ts` working without our deno.json.
 * The build scripts' and the tests' own dependencies have their own module
 * (scripts/deps.ts, tests/support/deps.ts), which the tool never loads;
 * tests/deps_test.ts checks that no other file names a package and that the
 * versions agree with deno.lock.
 *
 * @module
 */

import type nodeProcess from "node:process";

export {
  getPublicKeyAsync as ed25519GetPublicKey,
  Point as Ed25519Point,
  signAsync as ed25519SignRaw,
  verifyAsync as ed25519VerifyRaw,
} from "npm:@noble/ed25519@3.2.0";
export {
  sha256 as sha256Small,
  sha512 as sha512Small,
} from "npm:@noble/hashes@2.4.0/sha2.js";
export { parse as parseToml, TomlError } from "npm:smol-toml@1.9.1";
/** The JSONC parser's module (its `visit` and `printParseErrorCode`). */
export type JsoncParser = typeof import("npm:jsonc-parser@3.3.1");

/**
 * Loads jsonc-parser on first use rather than at start-up: its main entry is
 * CommonJS, which Deno loads through its Node compatibility layer (about
 * 23 ms), and only parsing a config needs it. Bundles inline it.
 *
 * @returns The module.
 */
export function loadJsoncParser(): Promise<JsoncParser> {
  // A full specifier, as everywhere in this file, so that a run from a URL
  // resolves it without our deno.json. Imported once: each `import()` of
  // an npm specifier resolves it again (verify parses thousands of configs).
  // deno-lint-ignore no-import-prefix
  return jsoncParser ??= import("npm:jsonc-parser@3.3.1");
}
let jsoncParser: Promise<JsoncParser> | undefined;

/**
 * OpenBSD's `bcrypt_pbkdf`, the key derivation of passphrase-protected
 * OpenSSH keys (`openssh-key-v1`, KDF `bcrypt`), as the `bcrypt-pbkdf`
 * package (the one ssh2 and sshpk use) exports it.
 */
export interface BcryptPbkdf {
  /**
   * Derives `keylen` bytes into `key`.
   *
   * @returns 0 on success, -1 on bad arguments.
   */
  pbkdf(
    pass: Uint8Array,
    passlen: number,
    salt: Uint8Array,
    saltlen: number,
    key: Uint8Array,
    keylen: number,
    rounds: number,
  ): number;
}

/**
 * Loads bcrypt-pbkdf on first use: only an encrypted key needs it, and it
 * is CommonJS, which Deno loads through its Node compatibility layer.
 *
 * @returns The module.
 */
export async function loadBcryptPbkdf(): Promise<BcryptPbkdf> {
  // deno-lint-ignore no-import-prefix
  const module = await import("npm:bcrypt-pbkdf@1.0.2");
  return (module.default ?? module) as BcryptPbkdf;
}

/** The YAML parser's module (`parseDocument`, `visit`, `LineCounter`, node guards). */
export type YamlParser = typeof import("npm:yaml@2.9.1");

/** A YAML document as the parser returns it. */
export type YamlDocument = ReturnType<YamlParser["parseDocument"]>;

/**
 * Loads the YAML parser on first use, as {@linkcode loadJsoncParser} does:
 * only Continue's `.continue/mcpServers/*.yaml` blocks need it, never
 * start-up or a plain commit. Parse with {@linkcode parseYamlDocument}.
 *
 * @returns The module.
 */
export async function loadYamlParser(): Promise<YamlParser> {
  // node:process with it, not at start: under Deno its first import sets
  // up the Node compatibility layer's process (~10 ms), which a command
  // that reads no YAML should not pay for.
  // The global, not import("node:process"): a Node single executable has
  // no dynamic import of a built-in (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING),
  // and Deno 2 and Node both have the global.
  // deno-lint-ignore no-import-prefix
  const yaml = await import("npm:yaml@2.9.1");
  yamlProcess = (globalThis as { process?: typeof nodeProcess }).process;
  return yaml;
}

// Node's process, once a YAML parser is loaded (see loadYamlParser).
let yamlProcess: typeof nodeProcess | undefined;

/**
 * Parses one YAML text with the parser's `parseDocument`, while
 * `process.env` is an empty object. yaml 2.9.1 reads `LOG_TOKENS` and
 * `LOG_STREAM` from the environment as it parses, to print the tokens of
 * the text on standard output: under Deno that read fails (the tool may read
 * only its own variables), and anywhere it would print a config's contents
 * into a report. Parsing is synchronous, so nothing else runs meanwhile.
 *
 * @param yaml The module from {@linkcode loadYamlParser}.
 * @param text The YAML text.
 * @param options The parser's options.
 * @returns The document.
 * @throws {Error} When the parser did not come from
 * {@linkcode loadYamlParser} (a bug), and whatever the parser throws.
 */
export function parseYamlDocument(
  yaml: YamlParser,
  text: string,
  options: Parameters<YamlParser["parseDocument"]>[1],
): YamlDocument {
  const process = yamlProcess;
  if (process === undefined) {
    // The parser comes only from loadYamlParser, which sets it first, in a
    // runtime that has a global process (Deno 2, Node).
    throw new Error(
      "The YAML parser was not loaded by loadYamlParser, or this runtime has no global process",
    );
  }
  const env = process.env;
  process.env = {};
  try {
    return yaml.parseDocument(text, options);
  } finally {
    process.env = env;
  }
}

// The MCP SDK's package exports "./*" with types at "./dist/esm/*.d.ts", so
// a subpath named as it runs ("server/mcp.js") finds no declarations
// ("mcp.js.d.ts") and types as any. Its types are read from the subpath
// without ".js", whose declarations exist, and the module is loaded with it.
type McpServerModule =
  typeof import("npm:@modelcontextprotocol/sdk@1.32.2/server/mcp");
type McpStdioModule =
  typeof import("npm:@modelcontextprotocol/sdk@1.32.2/server/stdio");

/** Zod, the schema library the MCP SDK validates tool arguments with. */
export type Zod = typeof import("npm:zod@4.6.7");

/** A zod object's shape: a schema per property name. */
export type { ZodRawShape, ZodType } from "npm:zod@4.6.7";

/** What the `mcp` command needs of the MCP SDK, loaded together. */
export interface McpSdk {
  /** The high-level server: tools with input and output schemas. */
  McpServer: McpServerModule["McpServer"];
  /** The transport over standard input and output. */
  StdioServerTransport: McpStdioModule["StdioServerTransport"];
  /** Zod, the version the SDK's own dependency resolves to. */
  z: Zod;
}

/**
 * The npm packages that only `mcp` loads, the MCP SDK and zod, as
 * `deno bundle --external` patterns: the Node builds (scripts/build.ts)
 * leave them out of the main script, which every hook and verification
 * starts from, and bundle them apart, from src/cli/node_mcp_sdk.ts
 * ({@linkcode importMcpSdk}); the main script then loads that bundle on first
 * use through {@linkcode loadBundlesWith}. Together they are 1.5 of the
 * 2.8 MB that Node would otherwise parse at every start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MCP_SDK_PACKAGES } from "./deps.ts";
 * assert.ok(MCP_SDK_PACKAGES.some((name) => name.startsWith("npm:zod@")));
 * ```
 */
export const MCP_SDK_PACKAGES: readonly string[] = [
  "npm:@modelcontextprotocol/sdk@1.32.2/*",
  "npm:zod@4.6.7",
];

/**
 * The parts a Node build bundles apart from its main script: `mcp-sdk`,
 * {@linkcode importMcpSdk} and what it imports (see
 * {@linkcode MCP_SDK_PACKAGES}).
 */
export type BundlePart = "mcp-sdk";

/**
 * Loads one part of a Node build (the module that bundle exports), as the
 * Node entry point provides it (src/_runtime/bundle_part.ts).
 */
export type BundleLoader = (part: BundlePart) => unknown;

// Set by the Node builds' entry point only: under Deno, and inside a part's
// own bundle, the `import()`s of importMcpSdk run instead.
let bundleLoader: BundleLoader | undefined;

/**
 * Makes {@linkcode loadMcpSdk} take the SDK from a separately bundled part
 * through `loader` instead of its `import()`s, which a Node build's main
 * script leaves unbundled (src/cli/node_main.ts calls this first).
 *
 * @param loader Returns the module a part's bundle exports; throws when
 *   the part cannot be had.
 *
 * @example
 * ```ts ignore
 * loadBundlesWith((part) => require(`./${part}.cjs`));
 * ```
 */
export function loadBundlesWith(loader: BundleLoader): void {
  bundleLoader = loader;
}

/**
 * Loads the MCP SDK and zod on first use, as {@linkcode loadJsoncParser}
 * does: only `mcp` needs them, and together they are the largest
 * dependency by far (the SDK's module graph and zod's), which no other
 * command, hook or verification should pay for at start-up. A Node build
 * takes them from their own bundle (see {@linkcode loadBundlesWith}).
 *
 * @returns The server class, the stdio transport and zod.
 * @throws {Error} Whatever the loader of a Node build throws when the
 *   part is missing (a `ToolError` `IO`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadMcpSdk } from "./deps.ts";
 * const { McpServer, z } = await loadMcpSdk();
 * assert.equal(typeof McpServer, "function");
 * assert.ok(z.string().safeParse("a").success);
 * ```
 */
export function loadMcpSdk(): Promise<McpSdk> {
  if (bundleLoader === undefined) return importMcpSdk();
  const part = bundleLoader("mcp-sdk") as {
    importMcpSdk: typeof importMcpSdk;
  };
  return part.importMcpSdk();
}

/**
 * Imports the MCP SDK and zod: what {@linkcode loadMcpSdk} runs under Deno,
 * and what the Node builds' `mcp-sdk` part exports.
 *
 * @returns The server class, the stdio transport and zod.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importMcpSdk } from "./deps.ts";
 * assert.equal(typeof (await importMcpSdk()).StdioServerTransport, "function");
 * ```
 */
export async function importMcpSdk(): Promise<McpSdk> {
  const [server, stdio, z] = await Promise.all([
    // deno-lint-ignore no-import-prefix
    import("npm:@modelcontextprotocol/sdk@1.32.2/server/mcp.js"),
    // deno-lint-ignore no-import-prefix
    import("npm:@modelcontextprotocol/sdk@1.32.2/server/stdio.js"),
    // deno-lint-ignore no-import-prefix
    import("npm:zod@4.6.7"),
  ]);
  return {
    McpServer: (server as McpServerModule).McpServer,
    StdioServerTransport: (stdio as McpStdioModule).StdioServerTransport,
    z,
  };
}
