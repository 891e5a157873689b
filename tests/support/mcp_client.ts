/**
 * Talks to `mcp-orchestration mcp` as an MCP client does: the official
 * SDK's `Client` over its `StdioClientTransport`, which starts the server
 * as a real child process. The child is the one {@linkcode cliInvocation}
 * names, so the same tests run against `deno run main.ts` and, with
 * `MCP_ORCHESTRATION_TEST_BIN`, against a built executable.
 *
 * @module
 */

import { cliInvocation, denoEnv, TEST_BIN_ENV } from "./cli.ts";
import { loadMcpClient, type McpClientSdk } from "./deps.ts";
import { gitEnv } from "./repo.ts";

/** A connected client and what the server wrote on standard error. */
export interface McpSession extends AsyncDisposable {
  /** The SDK's client, connected. */
  client: InstanceType<McpClientSdk["Client"]>;
  /** What the server has written on standard error so far. */
  stderr(): string;
  /** Errors the client's transport met (a non-JSON line on stdout is one). */
  transportErrors: Error[];
  /** Closes the connection; the server then ends. */
  close(): Promise<void>;
}

/** Options for {@linkcode connectMcp}. */
export interface McpSessionOptions {
  /** The server's working folder: the repository it serves. */
  cwd: string;
  /** The tool's home (`MCP_ORCHESTRATION_HOME`), also git's `HOME`. */
  home: string;
  /** Extra environment, e.g. `MCP_ORCHESTRATION_KEY`. */
  env?: Record<string, string>;
  /** The server's own arguments after `mcp` (e.g. `--repo PATH`). */
  args?: string[];
  /** The program and arguments to start instead, as a client config names them (found on `env.PATH`). */
  command?: readonly string[];
}

/**
 * Starts `mcp-orchestration mcp` and connects the SDK's client to it, in
 * the environment {@linkcode runCli} builds: {@linkcode gitEnv}, the home,
 * Deno's cache, and `options.env`.
 *
 * @param options Working folder, home, environment and arguments.
 * @returns The session; close it with `close()` or `await using`.
 */
export async function connectMcp(
  options: McpSessionOptions,
): Promise<McpSession> {
  const { Client, StdioClientTransport } = await loadMcpClient();
  const invocation = options.command
    ? { command: options.command[0]!, args: options.command.slice(1) }
    : cliInvocation(["mcp", ...(options.args ?? [])]);
  const transport = new StdioClientTransport({
    command: invocation.command,
    args: invocation.args,
    cwd: options.cwd,
    env: {
      ...gitEnv(options.home),
      ...(Deno.env.get(TEST_BIN_ENV) ? {} : await denoEnv()),
      MCP_ORCHESTRATION_HOME: options.home,
      NO_COLOR: "1",
      ...options.env,
    },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => {
    stderr += new TextDecoder().decode(chunk);
  });
  const transportErrors: Error[] = [];
  const client = new Client({
    name: "mcp-orchestration-tests",
    version: "1",
  });
  await client.connect(transport);
  // Set after connect, which installs its own handler first.
  const previous = transport.onerror;
  transport.onerror = (error: Error) => {
    transportErrors.push(error);
    previous?.(error);
  };
  const close = () => client.close();
  return {
    client,
    stderr: () => stderr,
    transportErrors,
    close,
    [Symbol.asyncDispose]: close,
  };
}
