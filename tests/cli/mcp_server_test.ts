/**
 * The `mcp` server's own layer, in one process: the SDK's client over its
 * in-memory transport, and a command runner that records what it is asked
 * to run (the real commands, with real git, are tested end to end in
 * tests/e2e/mcp_server_test.ts). How a finished command becomes a tool
 * result; that calls run one at a time, in the folder given; that what a
 * command prints never reaches the protocol; that a runner that throws is a
 * tool error and the server goes on.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadMcpSdk } from "../../src/deps.ts";
import type { Io } from "../../src/cli/io.ts";
import {
  type CliRunner,
  commandOutput,
  createMcpServer,
} from "../../src/cli/mcp_server.ts";
import { loadMcpClient } from "../support/deps.ts";

const TOOL = ["mcp-orchestration", "verify", "--json"];

Deno.test("commandOutput: the JSON result, the error line and the warnings", () => {
  const output = commandOutput(
    ["mcp-orchestration", "sign", "--json", "--", ".mcp.json"],
    0,
    '{"signer":"SHA256:x","results":[]}\n',
    "warning: the key is not trusted\nmcp-orchestration: warning: hooks\n",
  );
  assert.deepEqual(output, {
    ok: true,
    exitCode: 0,
    command: ["mcp-orchestration", "sign", "--json", "--", ".mcp.json"],
    result: { signer: "SHA256:x", results: [] },
    error: null,
    warnings: ["the key is not trusted", "hooks"],
  });
  const failed = commandOutput(
    TOOL,
    2,
    "",
    '{"code":"USAGE","message":"Unknown option \\"--x\\""}\n',
  );
  assert.equal(failed.ok, false);
  assert.equal(failed.exitCode, 2);
  assert.equal(failed.result, null);
  assert.deepEqual(failed.error, {
    code: "USAGE",
    message: 'Unknown option "--x"',
  });
  // Text that is not JSON stays, as text.
  assert.equal(commandOutput(TOOL, 0, "plain\n", "").result, "plain\n");
});

Deno.test("commandOutput: a verify that fails names each failing config, working tree or commit", () => {
  const tree = commandOutput(
    TOOL,
    1,
    JSON.stringify({
      ok: false,
      results: [
        { path: ".mcp.json", ok: false, code: "TAMPERED", reason: "changed" },
        { path: "b/.mcp.json", ok: true, reason: "signed" },
      ],
    }),
    "",
  );
  assert.deepEqual(tree.error, {
    code: "FAILED",
    message: 'Verification failed: ".mcp.json" TAMPERED: changed',
  });
  const history = commandOutput(
    TOOL,
    1,
    JSON.stringify({
      ok: false,
      commits: [{
        commit: "0123456789abcdef0123",
        results: [{ path: "x", ok: false, code: "UNSIGNED", reason: "r" }],
      }],
    }),
    "",
  );
  assert.equal(
    history.error?.message,
    'Verification failed: "x" (commit 0123456789ab) UNSIGNED: r',
  );
  const bare = commandOutput(
    ["mcp-orchestration", "lint", "--json"],
    1,
    "",
    "",
  );
  assert.deepEqual(bare.error, {
    code: "FAILED",
    message: '"mcp-orchestration lint --json" exited with 1',
  });
});

/** A server on a recording runner, and a client connected to it in memory. */
async function serve(run: CliRunner) {
  const sdk = await loadMcpSdk();
  const { Client, InMemoryTransport } = await loadMcpClient();
  const server = createMcpServer(sdk, { folder: "/the/repo", run });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "test", version: "1" });
  await client.connect(clientSide);
  return {
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
      await server.close();
    },
  };
}

Deno.test("createMcpServer runs each call's command line in the folder, one call at a time", async () => {
  const ran: { args: string[]; cwd: string }[] = [];
  let active = 0;
  let most = 0;
  await using session = await serve(async (args: string[], io: Io) => {
    active++;
    most = Math.max(most, active);
    ran.push({ args, cwd: io.cwd });
    await new Promise((done) => setTimeout(done, 20));
    io.out('{"root":"/the/repo","configs":[]}\n');
    active--;
    return 0;
  });
  const results = await Promise.all([
    session.client.callTool({ name: "status", arguments: {} }),
    session.client.callTool({ name: "sign", arguments: { paths: ["a.json"] } }),
    session.client.callTool({ name: "status", arguments: {} }),
  ]);
  assert.equal(most, 1);
  assert.deepEqual(ran, [
    { args: ["status", "--json"], cwd: "/the/repo" },
    { args: ["sign", "--json", "--", "a.json"], cwd: "/the/repo" },
    { args: ["status", "--json"], cwd: "/the/repo" },
  ]);
  const [status, sign] = results;
  assert.equal(status!.isError, false);
  assert.deepEqual(
    (status!.structuredContent as { result: unknown }).result,
    { root: "/the/repo", configs: [] },
  );
  // sign's output has not the shape sign's result has: kept out of the
  // structured result, which the client checks, and put in the text.
  const signed = sign!.structuredContent as {
    result: unknown;
    warnings: string[];
  };
  assert.equal(signed.result, null);
  assert.match(signed.warnings[0]!, /does not have the shape/);
  assert.match(
    (sign!.content as { text: string }[])[0]!.text,
    /"configs":\[\]/,
  );
});

Deno.test("createMcpServer: a failing or throwing command is a tool error, and the server goes on", async () => {
  let calls = 0;
  await using session = await serve((args: string[], io: Io) => {
    calls++;
    if (args[0] === "status") throw new Error("boom");
    io.err(
      '{"code":"KEY_EXISTS","message":"A signing key already exists at \\"k\\"; it was not changed"}\n',
    );
    return Promise.resolve(1);
  });
  const thrown = await session.client.callTool({
    name: "status",
    arguments: {},
  });
  assert.equal(thrown.isError, true);
  assert.deepEqual((thrown.structuredContent as { error: unknown }).error, {
    code: "INTERNAL",
    message: "unexpected failure: boom",
  });
  const exists = await session.client.callTool({
    name: "initialize_keys",
    arguments: {},
  });
  assert.equal(exists.isError, true);
  assert.deepEqual(
    (exists.structuredContent as { warnings: string[] }).warnings,
    [],
  );
  const text = (exists.content as { text: string }[])[0]!.text;
  assert.match(
    text,
    /^error\[KEY_EXISTS\]: A signing key already exists at "k"; it was not changed\. Through this server: call initialize_keys with force: true/,
  );
  // A refusal before any command: the runner is not called.
  const before = calls;
  const both = await session.client.callTool({
    name: "inspect",
    arguments: { path: "a.json", artifact: "0".repeat(64) },
  });
  assert.equal(both.isError, true);
  assert.match(JSON.stringify(both.content), /Give one of path and artifact/);
  assert.equal(calls, before);
  const { tools } = await session.client.listTools();
  assert.ok(tools.length > 5);
});
