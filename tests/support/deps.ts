/**
 * Every third-party module the tests use enters here, with an exact version,
 * so a reader sees all test dependencies at a glance. The product's own
 * dependencies live in `src/deps.ts`, the build scripts' in `scripts/deps.ts`;
 * these never reach the tool. tests/deps_test.ts checks that no other file
 * names a package, and that the three agree with deno.lock.
 *
 * Git is run with Deno.Command (tests/support/process.ts), not a git client
 * library: the tests only ever need "run git, fail on a non-zero exit".
 *
 * @module
 */

export { default as fc } from "npm:fast-check@4.10.2";

// The MCP SDK's package exports "./*" with types at "./dist/esm/*.d.ts", so
// a subpath named as it runs ("client/stdio.js") finds no declarations
// ("stdio.js.d.ts"); those of the subpath without ".js" exist.
type ClientModule =
  typeof import("npm:@modelcontextprotocol/sdk@1.32.2/client/index");
type StdioClientModule =
  typeof import("npm:@modelcontextprotocol/sdk@1.32.2/client/stdio");
type InMemoryModule =
  typeof import("npm:@modelcontextprotocol/sdk@1.32.2/inMemory");

/** The official MCP SDK's client side, as the tests of `mcp` use it. */
export interface McpClientSdk {
  /** The client. */
  Client: ClientModule["Client"];
  /** The transport that starts a server as a child process, over its stdio. */
  StdioClientTransport: StdioClientModule["StdioClientTransport"];
  /** A linked pair of transports in one process: a client and a server without a child. */
  InMemoryTransport: InMemoryModule["InMemoryTransport"];
}

/**
 * Loads the MCP SDK's client on first use: only the tests of `mcp` need
 * it, and every test that imports fast-check would load it otherwise.
 *
 * @returns The client, its stdio transport and the in-memory one.
 */
export async function loadMcpClient(): Promise<McpClientSdk> {
  const [client, stdio, memory] = await Promise.all([
    // deno-lint-ignore no-import-prefix
    import("npm:@modelcontextprotocol/sdk@1.32.2/client/index.js"),
    // deno-lint-ignore no-import-prefix
    import("npm:@modelcontextprotocol/sdk@1.32.2/client/stdio.js"),
    // deno-lint-ignore no-import-prefix
    import("npm:@modelcontextprotocol/sdk@1.32.2/inMemory.js"),
  ]);
  return {
    Client: (client as ClientModule).Client,
    StdioClientTransport: (stdio as StdioClientModule).StdioClientTransport,
    InMemoryTransport: (memory as InMemoryModule).InMemoryTransport,
  };
}
