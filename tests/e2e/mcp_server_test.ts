/**
 * `mcp-orchestration mcp`, end to end: the server runs as a real child
 * process (deno run main.ts, or the built executable with
 * MCP_ORCHESTRATION_TEST_BIN), and the official SDK's own client talks to
 * it over stdio, in real temporary repositories with real keys.
 *
 * It lists its tools with their schemas; creates a key (and refuses to
 * replace it without force: true); signs only the paths a call names;
 * verifies (a tampered config fails TAMPERED); shows status; inspects by
 * path and by artifact id; approves with a trusted second key and refuses
 * an unknown one. Bad arguments (an absolute path, "..", a revision that
 * starts with "-", no paths for sign) are tool errors that write nothing,
 * and the server goes on answering. No response ever holds a private key.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { config } from "../support/attacks.ts";
import {
  cliInvocation,
  denoEnv,
  runCli,
  TEST_BIN_ENV,
} from "../support/cli.ts";
import { cliOk, createFlow, type Flow } from "../support/flow.ts";
import { connectMcp, type McpSession } from "../support/mcp_client.ts";
import { gitEnv } from "../support/repo.ts";

const TOOLS = [
  "initialize_keys",
  "sign",
  "verify",
  "approve",
  "status",
  "inspect",
  "diff",
  "log",
  "lint",
];

/** What a tool call returned, as the tests read it. */
interface Called {
  isError: boolean;
  text: string;
  output: {
    ok: boolean;
    exitCode: number;
    command: string[];
    // deno-lint-ignore no-explicit-any
    result: any;
    error: { code: string; message: string } | null;
    warnings: string[];
  };
}

/** Every text a server returned in a test, to search for key material. */
const seen: string[] = [];

async function call(
  session: McpSession,
  name: string,
  args: Record<string, unknown>,
): Promise<Called> {
  const result = await session.client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text: string }[];
  const text = content.map((part) => part.text).join("\n");
  seen.push(text, JSON.stringify(result.structuredContent ?? null));
  return {
    isError: result.isError === true,
    text,
    output: result.structuredContent as Called["output"],
  };
}

async function ok(
  session: McpSession,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Called> {
  const called = await call(session, name, args);
  assert.equal(called.isError, false, `${name}: ${called.text}`);
  assert.equal(called.output.ok, true);
  assert.equal(called.output.exitCode, 0);
  return called;
}

/** A tool call the server refuses: isError, the message matching. */
async function refused(
  session: McpSession,
  name: string,
  args: Record<string, unknown>,
  message: RegExp,
): Promise<Called> {
  const called = await call(session, name, args);
  assert.equal(called.isError, true, `${name} was not refused: ${called.text}`);
  assert.match(called.text, message);
  return called;
}

/** The repository's files and git state, to show a call wrote nothing. */
function snapshot(flow: Flow) {
  return flow.repo.snapshot();
}

function serve(flow: Flow, env: Record<string, string> = {}) {
  return connectMcp({ cwd: flow.repo.root, home: flow.repo.home, env });
}

/** The base64 lines of a private key file: what must never be returned. */
async function keyMaterial(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((line) => /^[A-Za-z0-9+/=]{20,}$/.test(line));
}

function assertNoKeyMaterial(lines: readonly string[]): void {
  assert.ok(lines.length > 0);
  const all = seen.join("\n");
  for (const line of lines) {
    assert.ok(!all.includes(line), "a response holds private key material");
  }
  assert.doesNotMatch(all, /BEGIN OPENSSH PRIVATE KEY/);
}

Deno.test("mcp lists its tools, each with input and output schemas and hints", async () => {
  await using flow = await createFlow();
  await using session = await serve(flow);
  const { tools } = await session.client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name), TOOLS);
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  for (const tool of tools) {
    assert.ok(tool.description && tool.description.length > 40, tool.name);
    assert.equal(tool.inputSchema.type, "object");
    const output = tool.outputSchema as {
      properties: Record<string, unknown>;
      required: string[];
    };
    assert.deepEqual(
      Object.keys(output.properties).sort(),
      ["command", "error", "exitCode", "ok", "result", "warnings"],
      tool.name,
    );
    assert.deepEqual(output.required.sort(), [
      "command",
      "error",
      "exitCode",
      "ok",
      "result",
      "warnings",
    ]);
  }
  // sign and approve: a required, non-empty list of paths; no sign-all.
  for (const name of ["sign", "approve"]) {
    const input = byName.get(name)!.inputSchema as {
      properties: Record<string, { type: string; minItems?: number }>;
      required?: string[];
    };
    assert.deepEqual(Object.keys(input.properties), ["paths"]);
    assert.deepEqual(input.required, ["paths"]);
    assert.equal(input.properties.paths!.type, "array");
    assert.equal(input.properties.paths!.minItems, 1);
    assert.match(byName.get(name)!.description!, /attestation by the owner/);
    assert.equal(byName.get(name)!.annotations?.readOnlyHint, false);
  }
  const verify = byName.get("verify")!.inputSchema as {
    properties: Record<string, unknown>;
    required?: string[];
  };
  assert.deepEqual(Object.keys(verify.properties), ["paths", "rev", "range"]);
  assert.equal(verify.required, undefined);
  for (const name of ["verify", "status", "inspect", "diff", "log", "lint"]) {
    assert.equal(byName.get(name)!.annotations?.readOnlyHint, true, name);
  }
  const keys = byName.get("initialize_keys")!.inputSchema as {
    properties: Record<string, { type: string }>;
  };
  assert.equal(keys.properties.force?.type, "boolean");
  assert.deepEqual(session.transportErrors, []);
});

Deno.test("mcp: keys, sign only what is named, verify, tamper, status, inspect", async () => {
  seen.length = 0;
  await using flow = await createFlow();
  await using session = await serve(flow);
  const home = join(flow.repo.home, "keys", "signing.key");

  const created = await ok(session, "initialize_keys");
  assert.match(created.output.result.created.keyId, /^SHA256:/);
  assert.match(created.output.result.created.publicKeyLine, /^ssh-ed25519 /);
  assert.equal(created.output.result.retired, null);
  const keyId: string = created.output.result.created.keyId;
  const keyBytes = await Deno.readFile(home);

  // A second call without force replaces nothing.
  const again = await refused(
    session,
    "initialize_keys",
    {},
    /KEY_EXISTS.*force: true/s,
  );
  assert.equal(again.output.error?.code, "KEY_EXISTS");
  assert.deepEqual(await Deno.readFile(home), keyBytes);

  await cliOk(flow, [
    "trust",
    "add",
    `${home.slice(0, -".key".length)}.pub`,
    "--principal",
    "alice@example.com",
  ]);
  await flow.repo.write(".mcp.json", config("server-v1"));
  await flow.repo.write(".cursor/mcp.json", config("other"));

  const signed = await ok(session, "sign", { paths: [".mcp.json"] });
  assert.deepEqual(signed.output.command, [
    "mcp-orchestration",
    "sign",
    "--json",
    "--",
    ".mcp.json",
  ]);
  assert.equal(signed.output.result.signer, keyId);
  assert.deepEqual(
    signed.output.result.results.map((r: { path: string }) => r.path),
    [".mcp.json"],
  );
  assert.equal(signed.output.result.results[0].status, "signed");

  const verified = await ok(session, "verify", { paths: [".mcp.json"] });
  assert.equal(verified.output.result.ok, true);
  assert.equal(verified.output.result.results[0].path, ".mcp.json");

  // Only the named config was signed: the other one is not.
  const status = await ok(session, "status");
  type Row = { path: string; signed: boolean; ok: boolean };
  const configs = new Map<string, Row>(
    (status.output.result.configs as Row[]).map((c) => [c.path, c]),
  );
  assert.equal(configs.get(".mcp.json")?.signed, true);
  assert.equal(configs.get(".mcp.json")?.ok, true);
  assert.equal(configs.get(".cursor/mcp.json")?.signed, false);
  const all = await call(session, "verify", {});
  assert.equal(all.isError, true);
  assert.match(all.output.error!.message, /"\.cursor\/mcp\.json" UNSIGNED/);

  const inspected = await ok(session, "inspect", { path: ".mcp.json" });
  const [inspection] = inspected.output.result;
  assert.equal(inspection.path, ".mcp.json");
  assert.equal(inspection.signer, keyId);
  assert.match(inspection.signature, /BEGIN SSH SIGNATURE/);
  const byArtifact = await ok(session, "inspect", {
    artifact: inspection.artifact,
  });
  assert.equal(byArtifact.output.result[0].statementId, inspection.statementId);

  // Committed with its signed trust list, the commit verifies by revision.
  // The trust list is signed at the command line, never through the server.
  await refused(session, "sign", {
    paths: [".mcp-orchestration/allowed_signers"],
  }, /signed at the command line/);
  await cliOk(flow, ["sign", ".mcp-orchestration/allowed_signers"]);
  await Deno.remove(join(flow.repo.root, ".cursor", "mcp.json"));
  await flow.ok(["add", "-A"]);
  await flow.ok(["commit", "-q", "-m", "Sign through MCP"]);
  const byRev = await ok(session, "verify", { rev: "HEAD" });
  assert.equal(byRev.output.result.ok, true);

  // Tampered: verify fails with TAMPERED, as a tool error with a result.
  await flow.repo.write(".mcp.json", config("curl-evil"));
  const tampered = await refused(session, "verify", {
    paths: [".mcp.json"],
  }, /TAMPERED/);
  assert.equal(tampered.output.exitCode, 1);
  assert.equal(tampered.output.result.ok, false);
  assert.equal(tampered.output.result.results[0].code, "TAMPERED");
  assert.equal(tampered.output.error?.code, "FAILED");

  assertNoKeyMaterial(await keyMaterial(home));
  assert.deepEqual(session.transportErrors, []);
});

Deno.test("mcp approve: a trusted second key approves, an unknown key is refused", async () => {
  await using flow = await createFlow({ keys: ["bob", "mallory"] });
  {
    await using alice = await serve(flow);
    await ok(alice, "initialize_keys");
    await cliOk(flow, [
      "trust",
      "add",
      join(flow.repo.home, "keys", "signing.pub"),
      "--principal",
      "alice@example.com",
    ]);
    await cliOk(flow, [
      "trust",
      "add",
      flow.bob.publicPath,
      "--principal",
      "bob@example.com",
    ]);
    await flow.repo.write(".mcp.json", config("server-v1"));
    await ok(alice, "sign", { paths: [".mcp.json"] });
    await cliOk(flow, ["sign", ".mcp-orchestration/allowed_signers"]);
    // Alice's own statement: nothing to add.
    const own = await ok(alice, "approve", { paths: [".mcp.json"] });
    assert.equal(own.output.result.results[0].status, "own-statement");
  }
  {
    await using mallory = await serve(flow, {
      MCP_ORCHESTRATION_KEY: flow.mallory.privatePath,
    });
    const before = await snapshot(flow);
    const refusal = await refused(mallory, "approve", {
      paths: [".mcp.json"],
    }, /TRUST/);
    assert.equal(refusal.output.error?.code, "TRUST");
    assert.deepEqual(await snapshot(flow), before);
    seen.length = 0;
    seen.push(refusal.text);
    assertNoKeyMaterial(await keyMaterial(flow.mallory.privatePath));
  }
  {
    await using bob = await serve(flow, {
      MCP_ORCHESTRATION_KEY: flow.bob.privatePath,
    });
    const approved = await ok(bob, "approve", { paths: [".mcp.json"] });
    assert.equal(approved.output.result.approver, flow.bob.fingerprint);
    assert.equal(approved.output.result.results[0].status, "approved");
  }
});

Deno.test("mcp refuses bad arguments as tool errors, writes nothing and goes on serving", async () => {
  await using flow = await createFlow();
  await using session = await serve(flow);
  await ok(session, "initialize_keys");
  await flow.repo.write(".mcp.json", config("server-v1"));
  const before = await snapshot(flow);
  const privateKey = await Deno.readTextFile(
    join(flow.repo.home, "keys", "signing.key"),
  );
  seen.length = 0;
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["sign", {}, /paths/],
    ["sign", { paths: [] }, /paths/],
    ["sign", { paths: "/etc/passwd" }, /paths/],
    ["sign", { paths: ["/etc/passwd"] }, /"\/etc\/passwd" is absolute/],
    ["sign", { paths: ["C:\\x\\.mcp.json"] }, /is absolute/],
    ["sign", { paths: ["../outside/.mcp.json"] }, /outside the repository/],
    ["sign", { paths: ["a/../../.mcp.json"] }, /outside the repository/],
    ["sign", { paths: ["a\u0000b"] }, /NUL character/],
    ["sign", { paths: ["--key=/tmp/k"] }, /starts with "-"/],
    ["sign", { paths: [privateKey] }, /redacted: that is a private key/],
    ["approve", {}, /paths/],
    ["approve", { paths: ["/etc/passwd"] }, /is absolute/],
    ["sign", { paths: ["sub/.MCP-Orchestration/policy.json"] }, /own folder/],
    [
      "approve",
      { paths: [".mcp-orchestration/allowed_signers"] },
      /own folder/,
    ],
    ["verify", { rev: "-x" }, /Revision "-x" starts with "-"/],
    ["verify", { rev: "--output=/tmp/x" }, /starts with "-"/],
    ["verify", { range: "main..--output=x" }, /starts with "-"/],
    ["verify", { range: "HEAD" }, /not of the form "A\.\.B"/],
    ["verify", { rev: "HEAD", paths: [".mcp.json"] }, /Give one of/],
    ["verify", { paths: ["../x"] }, /outside the repository/],
    ["inspect", {}, /Give one of path and artifact/],
    ["inspect", { artifact: "abc" }, /64 lowercase hexadecimal/],
    ["inspect", { path: "/etc/passwd" }, /is absolute/],
    ["diff", { a: "-p" }, /starts with "-"/],
    ["initialize_keys", { comment: "a\nb" }, /control character/],
    ["no_such_tool", {}, /not found/],
  ];
  for (const [name, args, message] of cases) {
    const called = await refused(session, name, args, message);
    assert.ok(called.isError);
  }
  assert.deepEqual(await snapshot(flow), before);
  assert.ok(!seen.join("\n").includes(privateKey.split("\n")[1]!));
  // Still serving.
  const status = await ok(session, "status");
  assert.equal(status.output.result.configs[0].path, ".mcp.json");
  assert.deepEqual(session.transportErrors, []);
});

Deno.test("mcp --repo serves another folder; a folder that is not one is refused", async () => {
  await using flow = await createFlow();
  await flow.repo.write("sub/.mcp.json", config("server-v1"));
  {
    await using session = await connectMcp({
      cwd: flow.repo.home,
      home: flow.repo.home,
      args: ["--repo", flow.repo.root],
    });
    const status = await ok(session, "status");
    assert.deepEqual(
      status.output.result.configs.map((c: { path: string }) => c.path),
      ["sub/.mcp.json"],
    );
  }
  const missing = await runCli(["mcp", "--repo", "no such folder"], {
    cwd: flow.repo.root,
    home: flow.repo.home,
    stdin: "",
  });
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /error\[BAD_PATH\]: Cannot serve ".*no such folder": it is not a folder/,
  );
  assert.equal(missing.stdout, "");
  const stray = await runCli(["mcp", "extra"], {
    cwd: flow.repo.root,
    home: flow.repo.home,
    stdin: "",
  });
  assert.equal(stray.code, 2);
});

Deno.test("mcp answers on stdout only in MCP messages and exits 0 when its input ends", async () => {
  await using flow = await createFlow();
  const invocation = cliInvocation(["mcp"]);
  const child = new Deno.Command(invocation.command, {
    args: invocation.args,
    cwd: flow.repo.root,
    clearEnv: true,
    env: {
      ...gitEnv(flow.repo.home),
      ...(Deno.env.get(TEST_BIN_ENV) ? {} : await denoEnv()),
      MCP_ORCHESTRATION_HOME: flow.repo.home,
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const messages = [
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "status", arguments: {} },
    },
  ];
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  // One request at a time: the answer to each, then the next.
  for (const message of messages) {
    await writer.write(encoder.encode(`${JSON.stringify(message)}\n`));
    if (!("id" in message)) continue;
    while (!stdout.includes(`"id":${message.id}`)) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
  }
  await writer.close();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
  }
  const stderr = await new Response(child.stderr).text();
  assert.equal((await child.status).code, 0, stderr);
  const lines = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((line) => line.id), [1, 2]);
  assert.equal(lines[0].result.serverInfo.name, "mcp-orchestration");
  assert.equal(lines[1].result.structuredContent.ok, true);
  assert.equal(lines[1].result.structuredContent.result.configs.length, 0);
});

for (const command of ["diff", "log", "lint"]) {
  Deno.test({
    name: `mcp ${command} runs "${command} --json" on a signed repository`,
    async fn() {
      await using flow = await createFlow();
      await using session = await serve(flow);
      await ok(session, "initialize_keys");
      await flow.repo.write(".mcp.json", config("server-v1"));
      await ok(session, "sign", { paths: [".mcp.json"] });
      await flow.ok(["add", "-A"]);
      await flow.ok(["commit", "-q", "-m", "Signed"]);
      await flow.repo.write(
        ".mcp.json",
        JSON.stringify({
          mcpServers: {
            files: { command: "server-v1", args: ["."] },
            added: { command: "npx", args: ["-y", "some-package"] },
          },
        }) + "\n",
      );
      const args: Record<string, unknown> = command === "diff"
        ? { a: "HEAD", paths: [".mcp.json"] }
        : { paths: [".mcp.json"] };
      const called = await call(session, command, args);
      assert.notEqual(called.output.exitCode, 2, called.text);
      assert.notEqual(called.output.result, null, called.text);
      if (command !== "log") {
        assert.match(JSON.stringify(called.output.result), /added|npx/);
      }
    },
  });
}
