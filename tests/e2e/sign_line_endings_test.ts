/**
 * `sign` by hand signs what Git would store (issue 11): in a clone with
 * `core.autocrlf=true` (Git for Windows' default) a config on disk holds
 * CRLF where the blob Git commits holds LF. The pre-commit hook signs that
 * blob; `sign` run by hand must sign the same bytes, or the commit fails
 * `verify --rev`. A CRLF that Git would remove but a client could read as
 * part of a value (a TOML multi-line string) is refused, naming the fix.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import {
  createFlow,
  type Flow,
  installHooks,
  type OpenFlow,
} from "../support/flow.ts";
import { runCli } from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import { sshVerify } from "../support/ssh_keygen.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const MCP_JSON = JSON.stringify(
  { mcpServers: { fs: { command: "npx", args: ["-y", "server-fs", "."] } } },
  null,
  2,
) + "\n";
const CURSOR_JSON = JSON.stringify(
  { mcpServers: { db: { command: "uvx", args: ["db-server"] } } },
  null,
  2,
) + "\n";
const MULTI_LINE_TOML =
  '[mcp_servers.sh]\ncommand = "sh"\nargs = ["-c", """\necho hi\n"""]\n';

interface SignResult {
  path: string;
  status: "signed" | "unchanged";
  statementId: string;
  artifact: string;
}

function crlf(text: string): string {
  return text.replaceAll("\n", "\r\n");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A flow whose origin holds configs signed through the pre-commit hook. */
async function signedFlow(): Promise<OpenFlow<never>> {
  const flow = await createFlow();
  try {
    await installHooks(flow, "alice@example.com");
    await write(flow.repo.root, {
      ".mcp.json": MCP_JSON,
      ".cursor/mcp.json": CURSOR_JSON,
    });
    await flow.ok(["add", "-A"]);
    await flow.ok(["commit", "-q", "-m", "signed configs"]);
    return flow;
  } catch (error) {
    await flow.cleanup();
    throw error;
  }
}

async function write(
  root: string,
  files: Record<string, string>,
): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, path)), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
}

async function clone(flow: Flow, settings: string[]): Promise<string> {
  const root = join(dirname(flow.repo.root), "clone dir");
  await flow.ok([
    "clone",
    "-q",
    ...settings.flatMap((setting) => ["-c", setting]),
    flow.repo.root,
    root,
  ]);
  return root;
}

async function sign(
  flow: Flow,
  cwd: string,
  paths: string[] = [],
): Promise<Record<string, SignResult>> {
  const run = await runCli(["sign", "--json", ...paths], {
    cwd,
    home: flow.repo.home,
  });
  assert.equal(run.code, 0, run.stderr);
  const results: SignResult[] = JSON.parse(run.stdout).results;
  return Object.fromEntries(results.map((result) => [result.path, result]));
}

/** Commits everything past any hook: what is verified is the hand signature. */
async function commitAll(flow: Flow, cwd: string): Promise<void> {
  await flow.ok(["add", "-A"], { cwd });
  await flow.ok(["commit", "-q", "--no-verify", "-m", "signed by hand"], {
    cwd,
  });
}

async function verifyHead(
  flow: Flow,
  cwd: string,
): Promise<{ code: number; output: string }> {
  const run = await runCli(["verify", "--rev", "HEAD"], {
    cwd,
    home: flow.repo.home,
  });
  return { code: run.code, output: run.stdout + run.stderr };
}

/** A file of HEAD's tree, as Git stores it. */
async function blob(
  flow: Flow,
  cwd: string,
  path: string,
): Promise<Uint8Array> {
  const result = await flow.git(["cat-file", "blob", `HEAD:${path}`], { cwd });
  assert.equal(result.code, 0, result.stderr);
  return result.bytes;
}

Deno.test({
  name:
    "sign: by hand in an autocrlf=true clone it signs the LF blob Git stores, so the commit verifies with verify --rev and stock ssh-keygen",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await signedFlow();
    const root = await clone(flow, ["core.autocrlf=true"]);
    const edited = MCP_JSON.replace("server-fs", "server-fs-2");
    // An editor saves the change with CRLF, as Git checked the file out.
    await write(root, { ".mcp.json": crlf(edited) });
    const checkedOut = await Deno.readTextFile(join(root, ".cursor/mcp.json"));
    assert.ok(checkedOut.includes("\r\n"), "Git checked out CRLF");

    const results = await sign(flow, root);
    // Only the edit is new: the CRLF checkouts of the signed configs and of
    // the trust list are what was signed, as Git stores them.
    assert.deepEqual(
      Object.fromEntries(
        Object.values(results).map((result) => [result.path, result.status]),
      ),
      {
        ".cursor/mcp.json": "unchanged",
        ".mcp-orchestration/allowed_signers": "unchanged",
        ".mcp.json": "signed",
      },
    );
    const signed = results[".mcp.json"]!;
    assert.equal(signed.artifact, sha256(encoder.encode(edited)));
    // The artifact written is the LF form too (named by its hash).
    assert.equal(
      await Deno.readTextFile(
        join(root, ".mcp-orchestration/artifacts", signed.artifact),
      ),
      edited,
    );
    // The working tree still holds CRLF and verifies as Git stores it.
    assert.equal(
      await Deno.readTextFile(join(root, ".mcp.json")),
      crlf(edited),
    );
    const worktree = await runCli(["verify"], {
      cwd: root,
      home: flow.repo.home,
    });
    assert.equal(worktree.code, 0, worktree.stdout + worktree.stderr);

    await commitAll(flow, root);
    const stored = await blob(flow, root, ".mcp.json");
    assert.equal(decoder.decode(stored), edited, "Git stored LF");
    const history = await verifyHead(flow, root);
    assert.equal(history.code, 0, history.output);

    // Stock tools, on what the commit holds: the statement names the
    // blob's SHA-256, and ssh-keygen accepts its signature.
    const statementPath = `.mcp-orchestration/statements/${signed.statementId}`;
    const statement = await blob(flow, root, statementPath);
    assert.equal(sha256(statement), signed.statementId);
    const lines = decoder.decode(statement).split("\n");
    assert.ok(lines.includes(`artifact ${sha256(stored)}`), lines.join("\n"));
    assert.ok(lines.includes(`size ${stored.length}`), lines.join("\n"));
    const scratch = await Deno.makeTempDir({ dir: dirname(root) });
    const allowedSigners = join(scratch, "allowed_signers");
    const signaturePath = join(scratch, "statement.sig");
    await Deno.writeFile(
      allowedSigners,
      await blob(flow, root, ".mcp-orchestration/allowed_signers"),
    );
    await Deno.writeFile(
      signaturePath,
      await blob(flow, root, `${statementPath}.sig`),
    );
    const stock = await sshVerify({
      allowedSigners,
      principal: "alice@example.com",
      namespace: "mcp-orchestration",
      signaturePath,
      message: statement,
    });
    assert.ok(stock.ok, stock.output);
  },
});

Deno.test({
  name:
    "sign: a TOML multi-line string with CRLF that Git would store as LF is refused, changing nothing; without conversion its bytes are signed",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await signedFlow();
    const root = await clone(flow, ["core.autocrlf=true"]);
    await write(root, { ".codex/config.toml": crlf(MULTI_LINE_TOML) });
    const index = await Deno.readFile(join(root, ".mcp-orchestration/index"));
    const before = await flow.ok(["status", "--porcelain", "-uall"], {
      cwd: root,
    });

    const refused = await runCli(["sign"], { cwd: root, home: flow.repo.home });
    assertCliError(
      refused,
      "INVALID_CONFIG",
      'Cannot sign ".codex/config.toml"',
      "CRLF line endings, which Git would store as LF",
      "multi-line string",
      '"text eol=lf"',
    );
    assert.deepEqual(
      await Deno.readFile(join(root, ".mcp-orchestration/index")),
      index,
    );
    assert.equal(
      await flow.ok(["status", "--porcelain", "-uall"], { cwd: root }),
      before,
    );

    // The fix the message names: LF on disk, and Git checks it out so.
    await write(root, {
      ".codex/config.toml": MULTI_LINE_TOML,
      ".gitattributes": ".codex/config.toml text eol=lf\n",
    });
    assert.equal(
      (await sign(flow, root))[".codex/config.toml"]?.status,
      "signed",
    );
    await commitAll(flow, root);
    const fixed = await verifyHead(flow, root);
    assert.equal(fixed.code, 0, fixed.output);

    // Without autocrlf Git stores the CRLF as it is: those bytes are signed.
    await write(flow.repo.root, {
      ".codex/config.toml": crlf(MULTI_LINE_TOML),
    });
    const plain = await sign(flow, flow.repo.root);
    assert.equal(
      plain[".codex/config.toml"]?.artifact,
      sha256(encoder.encode(crlf(MULTI_LINE_TOML))),
    );
    await commitAll(flow, flow.repo.root);
    const kept = await verifyHead(flow, flow.repo.root);
    assert.equal(kept.code, 0, kept.output);
  },
});
