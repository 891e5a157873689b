/**
 * `mcp [--repo PATH]`: serves the tool to an MCP client (an AI agent's
 * host: Claude Code, Cursor, VS Code…) as an MCP server over standard
 * input and output, until the client closes standard input.
 *
 * @module
 */

import process from "node:process";
import { relative, resolve, sep } from "node:path";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { stdinIsTerminal } from "../_runtime/terminal.ts";
import { STORE_DIR, TOOL_NAME } from "../constants.ts";
import { findRepository } from "../git/repository.ts";
import { loadMcpSdk } from "../deps.ts";
import { ToolError } from "../errors.ts";
import { quote } from "../format/quote.ts";
import { redactPrivateKeys } from "../format/redact.ts";
import type { CommandContext } from "./command_context.ts";
import {
  type CommandSpec,
  noPositionals,
  parseArguments,
} from "./command_spec.ts";
import { escapeControls, EXIT, stringOption } from "./io.ts";
import { type CliRunner, createMcpServer } from "./mcp_server.ts";

/** What `mcp` accepts. */
export const MCP_COMMAND: CommandSpec = {
  name: "mcp",
  options: {
    repo: {
      type: "string",
      value: "PATH",
      help: "the repository folder to serve (default: the folder it is\n" +
        "started in); tool paths are relative to it",
    },
  },
  json: "accepted and ignored: every tool result is JSON",
};

/**
 * Runs `mcp [--repo PATH]`: loads the MCP SDK (only this command does),
 * and serves {@linkcode createMcpServer}'s tools on standard input and
 * output until standard input ends and every request read has its answer. Nothing else is written to standard
 * output: it carries the MCP messages.
 *
 * @param args The arguments after `mcp`.
 * @param context Streams and working folder (its `err` only).
 * @param run Runs a command line in this process: the CLI's `main`,
 *   passed in because main.ts dispatches to this module.
 * @returns The exit code: 0 once the client has gone, 1 when the
 *   transport gave up on the client's input (a message over its size limit).
 * @throws {ToolError} `USAGE` when standard input is a terminal (no client
 *   started it) or for stray arguments, `BAD_PATH` when the folder is not
 *   one or is in the tool's own folder (`.mcp-orchestration/`).
 *
 * @example
 * ```ts ignore
 * await mcpCommand(["--repo", "/work/project"], context, main);
 * ```
 */
export async function mcpCommand(
  args: string[],
  context: CommandContext,
  run: CliRunner,
): Promise<number> {
  const { values, positionals } = parseArguments(args, MCP_COMMAND);
  noPositionals(positionals, "mcp");
  const folder = resolve(
    context.io.cwd,
    stringOption(values, "repo") ?? ".",
  );
  const stats = await fs.stat(folder).catch(() => undefined);
  if (!stats?.isDirectory()) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot serve ${quote(folder)}: it is not a folder`,
    );
  }
  await refuseStoreFolder(folder);
  if (stdinIsTerminal()) {
    // A person at a terminal would type into the protocol stream, and a
    // passphrase prompt would read from it.
    throw new ToolError(
      "USAGE",
      `"mcp" speaks the Model Context Protocol on standard input and output: ` +
        `an MCP client starts it (see "${TOOL_NAME} mcp --help"), not a terminal`,
    );
  }
  const sdk = await loadMcpSdk();
  const server = createMcpServer(sdk, { folder, run });
  let inputEnded = false;
  let gaveUp = false;
  const closed = new Promise<void>((done) => {
    server.server.onclose = () => {
      // Closed before its input ended: the transport gave up on it (a
      // message longer than the SDK's buffer), which is not a clean end.
      gaveUp ||= !inputEnded;
      done();
    };
    const end = () => {
      inputEnded = true;
      done();
    };
    process.stdin.once("end", end);
    process.stdin.once("close", end);
  });
  // What the client sent that is not a message (not JSON, a batch, a
  // message over the size limit) is said on standard error, never dropped
  // in silence; standard output carries only MCP messages.
  server.server.onerror = (error: Error) => {
    context.io.err(
      `${TOOL_NAME} mcp: ${
        escapeControls(redactPrivateKeys(error.message)).slice(0, 500)
      }\n`,
    );
  };
  const transport = new sdk.StdioServerTransport();
  await server.connect(transport);
  const answered = trackAnswers(transport);
  await closed;
  // A client may write its requests and close its input at once
  // (`printf … | mcp-orchestration mcp`): each still gets its answer, so
  // that no one is left guessing whether a sign ran.
  await answered();
  await server.close();
  return gaveUp ? EXIT.failed : EXIT.ok;
}

// Tool paths are checked relative to the served folder: served from inside
// ".mcp-orchestration/" (by that name, "a/../.mcp-orchestration" or a
// symbolic link to it), "allowed_signers" would pass as a plain config
// path and the user's key would sign a trust list an agent wrote.
async function refuseStoreFolder(folder: string): Promise<void> {
  const repo = await findRepository(folder).catch(() => undefined);
  if (!repo) return; // No repository: nothing there to sign.
  const real = await fs.realpath(folder);
  const inside = relative(repo.root, real).split(sep);
  // Compared without case: on macOS and Windows the folder is the same.
  if (inside.some((segment) => segment.toLowerCase() === STORE_DIR)) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot serve ${
        quote(folder)
      }: it is in the tool's own folder "${STORE_DIR}", whose files are signed at the command line; ` +
        `serve the repository folder (${quote(repo.root)})`,
    );
  }
}

/** The part of the SDK's stdio transport that {@linkcode trackAnswers} wraps. */
interface MessageTransport {
  // deno-lint-ignore no-explicit-any
  onmessage?: ((message: any, extra?: any) => void) | undefined;
  // deno-lint-ignore no-explicit-any
  send(message: any, options?: any): Promise<void>;
}

// Counts the requests read (a message with a method and an id) that have
// no answer yet (a message with that id and no method) and that the client
// has not cancelled; the returned function resolves once there are none.
function trackAnswers(transport: MessageTransport): () => Promise<void> {
  const open = new Set<unknown>();
  let idle: (() => void) | undefined;
  const received = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (isRequest(message)) open.add(message.id);
    received?.(message, extra);
    // A cancelled request gets no answer (MCP says so): none to wait for.
    const cancelled = cancelledRequest(message);
    if (cancelled !== undefined && open.delete(cancelled) && open.size === 0) {
      idle?.();
    }
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    try {
      return await send(message, options);
    } finally {
      if (isAnswer(message) && open.delete(message.id) && open.size === 0) {
        idle?.();
      }
    }
  };
  return () =>
    open.size === 0 ? Promise.resolve() : new Promise((done) => idle = done);
}

function isRequest(message: unknown): message is { id: unknown } {
  return typeof message === "object" && message !== null &&
    "method" in message && "id" in message;
}

function cancelledRequest(message: unknown): unknown {
  const { method, params } = message as {
    method?: unknown;
    params?: { requestId?: unknown };
  };
  return method === "notifications/cancelled" ? params?.requestId : undefined;
}

function isAnswer(message: unknown): message is { id: unknown } {
  return typeof message === "object" && message !== null &&
    !("method" in message) && "id" in message;
}
