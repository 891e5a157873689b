/**
 * The `mcp` server: an MCP server (the official TypeScript SDK) whose tools
 * ({@linkcode MCP_TOOLS}) each run one of the tool's own commands in this
 * process, with `--json`, in the server's repository folder. A command's
 * output is captured, never written to standard output, which carries the
 * MCP messages; its JSON becomes the tool's structured result, and a
 * command that fails becomes a tool result with `isError`, never a crashed
 * server.
 *
 * @module
 */

import { TOOL_NAME, VERSION } from "../constants.ts";
import type { McpSdk, Zod } from "../deps.ts";
import { type ErrorCode, toToolError } from "../errors.ts";
import { escapeInvisible, quote } from "../format/quote.ts";
import { redactPrivateKeys } from "../format/redact.ts";
import type { Io } from "./io.ts";
import { MCP_TOOLS, type McpTool } from "./mcp_tools.ts";

/** Runs the tool's command line, as `main` does. */
export type CliRunner = (args: string[], io: Io) => Promise<number>;

/** What a tool call returns (MCP's `CallToolResult`, text content only). */
export interface McpToolResult {
  [key: string]: unknown;
  /** A text rendering: the error first when there is one, then the JSON. */
  content: { type: "text"; text: string }[];
  /** The structured result, as the tool's output schema describes it. */
  structuredContent: McpToolOutput;
  /** Whether the command failed. */
  isError: boolean;
}

/** The structured result of every tool. */
export interface McpToolOutput {
  [key: string]: unknown;
  /** Whether the command succeeded (exit code 0). */
  ok: boolean;
  /** The command's exit code: 0 success, 1 failure, 2 usage error. */
  exitCode: number;
  /** The command line that ran, the tool's name first. */
  command: string[];
  /** The command's `--json` output, or null when it printed none. */
  result: unknown;
  /** Why the command failed, or null. */
  error: { code: string; message: string } | null;
  /** Warnings the command printed on standard error. */
  warnings: string[];
}

/** Options for {@linkcode createMcpServer}. */
export interface McpServerOptions {
  /** The repository folder: every command runs there, paths are relative to it. */
  folder: string;
  /** Runs a command line (`main`). */
  run: CliRunner;
}

/**
 * Creates the server with every tool registered; connect it to a
 * transport to serve. Tool calls run one at a time, in the order they
 * arrive: two commands writing the same store at once would only meet at
 * its lock. A call cancelled before its turn does not run.
 *
 * @param sdk The SDK, from {@linkcode loadMcpSdk}.
 * @param options The repository folder and the command runner.
 * @returns The server.
 * @throws Never: a failing tool call is a tool result.
 *
 * @example
 * ```ts ignore
 * const sdk = await loadMcpSdk();
 * const server = createMcpServer(sdk, { folder: Deno.cwd(), run: main });
 * await server.connect(new sdk.StdioServerTransport());
 * ```
 */
export function createMcpServer(
  sdk: McpSdk,
  options: McpServerOptions,
): InstanceType<McpSdk["McpServer"]> {
  const { z } = sdk;
  const server = new sdk.McpServer(
    { name: TOOL_NAME, version: VERSION },
    {
      instructions:
        `${TOOL_NAME} signs MCP configuration files in the git repository at ` +
        `${
          quote(options.folder)
        } with the user's SSH signing key, and verifies them. ` +
        "Paths are relative to that folder. Signing and approving are the user's " +
        "attestation: do them only when the user asks, for the paths they name.",
    },
  );
  let queue: Promise<unknown> = Promise.resolve();
  for (const tool of MCP_TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input(z),
        outputSchema: outputShape(z, tool),
        annotations: { title: tool.title, ...tool.annotations },
      },
      (args: Record<string, unknown>, extra: { signal?: AbortSignal }) => {
        // A call the client cancelled while it waited in the queue (the
        // user stopped the agent) is withdrawn: it never runs, so a sign
        // nobody waits for any more signs nothing. One already running
        // finishes: a half-written store is worse.
        const call = queue.then(() =>
          extra?.signal?.aborted
            ? refusal(
              [TOOL_NAME, tool.name],
              "USAGE",
              "Cancelled by the client before it ran: nothing was done",
            )
            : runTool(z, tool, args, options)
        );
        queue = call.catch(() => {});
        return call;
      },
    );
  }
  return server;
}

/**
 * The output schema of a tool: {@linkcode McpToolOutput}, with the tool's
 * own result shape.
 */
function outputShape(z: Zod, tool: McpTool) {
  return {
    ok: z.boolean().describe("whether the command succeeded (exit code 0)"),
    exitCode: z.number().int().describe(
      "the command's exit code: 0 success, 1 failure, 2 usage error",
    ),
    command: z.array(z.string()).describe("the command line that ran"),
    result: tool.result(z).nullable().describe(
      "the command's --json output, or null when it printed none",
    ),
    error: z.object({ code: z.string(), message: z.string() }).nullable()
      .describe("why the command failed, or null"),
    warnings: z.array(z.string()).describe(
      "warnings the command printed",
    ),
  };
}

/**
 * Runs one tool call: its command line, with output captured.
 *
 * @param z Zod, to check the output against the tool's result schema.
 * @param tool The tool.
 * @param args The arguments its input schema accepted.
 * @param options The folder and the runner.
 * @returns The tool result.
 */
async function runTool(
  z: Zod,
  tool: McpTool,
  args: Record<string, unknown>,
  options: McpServerOptions,
): Promise<McpToolResult> {
  let argv: string[];
  try {
    argv = tool.argv(args);
  } catch (caught) {
    const error = toToolError(caught);
    return refusal([TOOL_NAME, tool.name], error.code, error.message);
  }
  let out = "";
  let err = "";
  let exitCode: number;
  try {
    exitCode = await options.run(argv, {
      out: (text) => (out += text),
      err: (text) => (err += text),
      cwd: options.folder,
    });
  } catch (caught) {
    // main() reports every error itself; reaching here is a bug.
    const error = toToolError(caught);
    return refusal([TOOL_NAME, ...argv], error.code, error.message);
  }
  const output = commandOutput([TOOL_NAME, ...argv], exitCode, out, err);
  const hint = output.error && tool.hints?.[output.error.code];
  if (output.error && hint) {
    output.error = {
      ...output.error,
      message: `${output.error.message}. ${hint}`,
    };
  }
  if (
    output.result !== null && !tool.result(z).safeParse(output.result).success
  ) {
    // What the schema does not describe stays in the text, not in the
    // structured result that a client checks against the schema.
    output.warnings.push(
      "The command's output does not have the shape this tool describes; it is in the text",
    );
    return toolResult({ ...output, result: null }, out);
  }
  return toolResult(output, undefined);
}

/**
 * Turns a finished command into a tool's structured output: its stdout's
 * JSON as the result, the `{"code", "message"}` line it printed on stderr
 * (with `--json`) as the error, and its other stderr lines as warnings. A
 * command that failed without an error line (verify: a config that does
 * not verify) gets an error naming each failing config.
 *
 * @param command The command line, the tool's name first.
 * @param exitCode Its exit code.
 * @param out What it printed on standard output.
 * @param err What it printed on standard error.
 * @returns The structured output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandOutput } from "./mcp_server.ts";
 * const output = commandOutput(["mcp-orchestration", "status", "--json"], 1, "",
 *   '{"code":"NOT_A_REPOSITORY","message":"Not in a Git repository"}\n');
 * assert.deepEqual(output.error, { code: "NOT_A_REPOSITORY", message: "Not in a Git repository" });
 * assert.equal(output.ok, false);
 * ```
 */
export function commandOutput(
  command: string[],
  exitCode: number,
  out: string,
  err: string,
): McpToolOutput {
  let result: unknown = null;
  if (out.trim() !== "") {
    try {
      result = JSON.parse(out);
    } catch {
      result = out;
    }
  }
  let error: McpToolOutput["error"] = null;
  const warnings: string[] = [];
  for (const line of err.split("\n")) {
    if (line.trim() === "") continue;
    const reported = errorLine(line);
    if (reported && error === null) error = reported;
    else warnings.push(line.replace(/^(?:mcp-orchestration: )?warning: /, ""));
  }
  if (exitCode !== 0 && error === null) {
    error = {
      code: "FAILED",
      message: failures(result) ??
        `"${command.slice(0, 3).join(" ")}" exited with ${exitCode}`,
    };
  }
  return { ok: exitCode === 0, exitCode, command, result, error, warnings };
}

// A line `{"code": "…", "message": "…"}`, as main prints an error with --json.
function errorLine(line: string): McpToolOutput["error"] | undefined {
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    if (typeof value.code === "string" && typeof value.message === "string") {
      return { code: value.code, message: value.message };
    }
  } catch {
    // Not JSON: a warning.
  }
  return undefined;
}

// Each failing config of a verify report, working tree or history:
// `".mcp.json" TAMPERED: reason`.
function failures(result: unknown): string | undefined {
  const lines: string[] = [];
  const report = result as {
    results?: unknown;
    commits?: { commit?: unknown; results?: unknown }[];
  } | null;
  const add = (list: unknown, where: string) => {
    if (!Array.isArray(list)) return;
    for (const entry of list as Record<string, unknown>[]) {
      if (entry?.ok !== false) continue;
      lines.push(
        `${JSON.stringify(String(entry.path))}${where} ${String(entry.code)}: ${
          String(entry.reason ?? "")
        }`,
      );
    }
  };
  add(report?.results, "");
  if (Array.isArray(report?.commits)) {
    for (const commit of report.commits) {
      add(commit?.results, ` (commit ${String(commit?.commit).slice(0, 12)})`);
    }
  }
  return lines.length > 0
    ? `Verification failed: ${lines.join("; ")}`
    : undefined;
}

/**
 * A tool result from a structured output. Every text is redacted
 * ({@linkcode redactPrivateKeys}): the server writes its own messages,
 * which pass through no command's output stream; and its invisible
 * characters are shown as escapes ({@linkcode showInvisible}).
 */
function toolResult(
  output: McpToolOutput,
  rawOutput: string | undefined,
): McpToolResult {
  const safe = showInvisible(
    JSON.parse(redactPrivateKeys(JSON.stringify(output))),
  ) as McpToolOutput;
  const parts = [
    ...(safe.error ? [`error[${safe.error.code}]: ${safe.error.message}`] : []),
    JSON.stringify(safe, null, 2),
    ...(rawOutput === undefined
      ? []
      : [showInvisible(redactPrivateKeys(rawOutput)) as string]),
  ];
  return {
    content: [{ type: "text", text: parts.join("\n\n") }],
    structuredContent: safe,
    isError: !safe.ok,
  };
}

// Every string in a result with its invisible characters (controls but a
// line break or tab, bidi overrides, zero widths, Unicode tags) as visible
// \u{…} escapes, as the CLI prints text. A command's JSON keeps them raw
// for programs; here the reader is a language model, which reads what the
// person approving its calls cannot see: a commit subject or a server name
// of tag characters is an instruction hidden in plain sight.
function showInvisible(value: unknown): unknown {
  if (typeof value === "string") {
    return value.split("\n").map((line) =>
      line.split("\t").map(escapeInvisible).join("\t")
    ).join("\n");
  }
  if (Array.isArray(value)) return value.map(showInvisible);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map((
        [key, item],
      ) => [showInvisible(key) as string, showInvisible(item)]),
    );
  }
  return value;
}

// A call refused before any command ran (arguments that do not go together).
function refusal(
  command: string[],
  code: ErrorCode,
  message: string,
): McpToolResult {
  return toolResult({
    ok: false,
    exitCode: code === "USAGE" ? 2 : 1,
    command,
    result: null,
    error: { code, message },
    warnings: [],
  }, undefined);
}
