/**
 * The working tree as Git stores it (issue 11, part 4): a clone with
 * `core.autocrlf=true` (Git for Windows' default), `core.eol=crlf` or a
 * `text eol=lf` attribute holds CRLF where the signed blob holds LF.
 * `verify` and `status` compare what Git would store, so such a clone
 * verifies; a real edit, and every CRLF difference Git does not remove or a
 * client could read as another value, stays TAMPERED; attributes that make
 * Git run or apply something (`filter`, `working-tree-encoding`) are refused
 * and never run.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import {
  createFlow,
  type Flow,
  installHooks,
  type OpenFlow,
} from "../support/flow.ts";
import { runCli } from "../support/cli.ts";

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
const CODEX_TOML =
  '[mcp_servers.docs]\ncommand = "npx"\nargs = ["-y", "docs-server"]\n';
// A lone CR is JSON whitespace; Git's text=auto takes the file for binary.
const LONE_CR_JSON =
  '{\r  "mcpServers": {\n    "kv": { "command": "kv-server" }\n  }\n}\n';

interface Result {
  path: string;
  ok: boolean;
  code?: string;
  reason: string;
}

function crlf(text: string): string {
  return text.replaceAll("\n", "\r\n");
}

/** A flow whose origin repository holds signed configs, committed through the hook. */
async function signedFlow(
  files: Record<string, string> = {},
): Promise<OpenFlow<never>> {
  const flow = await createFlow();
  try {
    await installHooks(flow, "alice@example.com");
    await write(flow.repo.root, {
      ".mcp.json": MCP_JSON,
      ".cursor/mcp.json": CURSOR_JSON,
      ".codex/config.toml": CODEX_TOML,
      ...files,
    });
    await flow.ok(["add", "-A"]);
    await flow.ok(["commit", "-q", "-m", "signed configs"]);
    assert.equal(await flow.ok(["status", "--porcelain"]), "");
    return flow;
  } catch (error) {
    await flow.cleanup();
    throw error;
  }
}

async function write(
  root: string,
  files: Record<string, string | Uint8Array>,
): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, path)), { recursive: true });
    await Deno.writeFile(
      join(root, path),
      typeof text === "string" ? encoder.encode(text) : text,
    );
  }
}

/** Clones the flow's repository beside it, with `git -c` settings kept in the clone. */
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

async function verify(
  flow: Flow,
  cwd: string,
): Promise<{ code: number; results: Result[] }> {
  const run = await runCli(["verify", "--json"], { cwd, home: flow.repo.home });
  assert.ok(run.stdout !== "", run.stderr);
  return { code: run.code, results: JSON.parse(run.stdout).results };
}

function byPath(results: Result[]): Record<string, string> {
  return Object.fromEntries(
    results.map((result) => [result.path, result.code ?? "ok"]),
  );
}

async function read(root: string, path: string): Promise<string> {
  return decoder.decode(await Deno.readFile(join(root, path)));
}

Deno.test({
  name:
    "line endings: an autocrlf=true clone of a signed repository verifies, and its status is clean",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await signedFlow();
    const root = await clone(flow, ["core.autocrlf=true"]);
    // Git checked everything out with CRLF, the store's own files too.
    for (const path of [".mcp.json", ".codex/config.toml"]) {
      assert.ok((await read(root, path)).includes("\r\n"), path);
    }
    assert.ok(
      (await read(root, ".mcp-orchestration/index")).includes("\r\n"),
    );
    const { code, results } = await verify(flow, root);
    assert.equal(code, 0, JSON.stringify(results));
    assert.deepEqual(byPath(results), {
      ".codex/config.toml": "ok",
      ".cursor/mcp.json": "ok",
      ".mcp.json": "ok",
    });
    assert.match(results[0]!.reason, /as Git stores it/);

    const status = await runCli(["status", "--json"], {
      cwd: root,
      home: flow.repo.home,
    });
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.deepEqual(report.problems, []);
    assert.equal(report.trustList.ok, true, report.trustList.reason);
    assert.deepEqual(
      report.configs.map((c: { ok: boolean }) => c.ok),
      [true, true, true],
    );
  },
});

Deno.test({
  name:
    "line endings: core.eol=crlf with a text attribute, and a CRLF file under 'text eol=lf', verify",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await signedFlow({ ".gitattributes": "* text=auto\n" });
    const root = await clone(flow, ["core.eol=crlf"]);
    assert.ok((await read(root, ".mcp.json")).includes("\r\n"));
    const cloned = await verify(flow, root);
    assert.equal(cloned.code, 0, JSON.stringify(cloned.results));

    // In the origin (no autocrlf), an editor saved CRLF: Git would store LF
    // because of the attribute, so it is what was signed.
    await write(flow.repo.root, {
      ".gitattributes": "*.json text eol=lf\n",
      ".mcp.json": crlf(MCP_JSON),
    });
    const edited = await verify(flow, flow.repo.root);
    assert.equal(edited.code, 0, JSON.stringify(edited.results));
  },
});

Deno.test({
  name:
    "line endings: under autocrlf a real edit, a BOM, a lone CR Git keeps, a TOML multi-line string and CRLF without conversion stay TAMPERED",
  ignore: ON_WINDOWS,
  async fn() {
    const multiLine =
      '[mcp_servers.sh]\ncommand = "sh"\nargs = ["-c", """\necho hi\n"""]\n';
    await using flow = await signedFlow({
      "sub/.mcp.json": LONE_CR_JSON,
      ".codex/config.toml": multiLine,
    });
    const root = await clone(flow, ["core.autocrlf=true"]);
    // Git kept the lone-CR file as it is (text=auto deems it binary): it
    // verifies as checked out. The TOML one got CRLF inside its string.
    assert.equal(await read(root, "sub/.mcp.json"), LONE_CR_JSON);
    const checkedOut = byPath((await verify(flow, root)).results);
    assert.equal(checkedOut[".codex/config.toml"], "TAMPERED");
    assert.equal(checkedOut["sub/.mcp.json"], "ok");

    await write(root, {
      // A real edit, saved with CRLF as Git checked it out.
      ".mcp.json": crlf(MCP_JSON.replace("server-fs", "server-evil")),
      // The signed bytes with CRLF, behind a byte order mark Git keeps.
      ".cursor/mcp.json": new Uint8Array([
        0xef,
        0xbb,
        0xbf,
        ...encoder.encode(crlf(CURSOR_JSON)),
      ]),
      // The signed bytes with CRLF; Git, seeing the lone CR, would store
      // them as they are.
      "sub/.mcp.json": crlf(LONE_CR_JSON),
    });
    const { code, results } = await verify(flow, root);
    assert.equal(code, 1);
    assert.deepEqual(byPath(results), {
      ".codex/config.toml": "TAMPERED",
      ".cursor/mcp.json": "TAMPERED",
      ".mcp.json": "TAMPERED",
      "sub/.mcp.json": "TAMPERED",
    });
    const reasons = Object.fromEntries(
      results.map((result) => [result.path, result.reason]),
    );
    assert.match(reasons[".codex/config.toml"]!, /multi-line string/);
    assert.match(reasons["sub/.mcp.json"]!, /Git would store as they are/);
    assert.doesNotMatch(reasons[".mcp.json"]!, /CRLF/);

    // Without autocrlf, a CRLF copy of the signed bytes is what Git would
    // commit: TAMPERED, saying so.
    await write(flow.repo.root, { ".mcp.json": crlf(MCP_JSON) });
    const plain = await verify(flow, flow.repo.root);
    assert.equal(byPath(plain.results)[".mcp.json"], "TAMPERED");
    assert.match(
      plain.results.find((result) => result.path === ".mcp.json")!.reason,
      /Git would store as they are/,
    );
  },
});

Deno.test({
  name:
    "line endings: eol=crlf, working-tree-encoding and a filter on a config are refused in the working tree, and the filter never runs",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await signedFlow();
    const root = await clone(flow, ["core.autocrlf=true"]);
    const marker = join(dirname(root), "filter ran");
    await flow.ok(["config", "filter.evil.clean", `touch '${marker}'; cat`], {
      cwd: root,
    });
    await flow.ok(["config", "filter.evil.smudge", "cat"], { cwd: root });
    await write(root, {
      ".gitattributes": [
        ".mcp.json filter=evil",
        ".cursor/mcp.json working-tree-encoding=UTF-16",
        ".codex/config.toml text eol=crlf",
        "",
      ].join("\n"),
    });
    const { code, results } = await verify(flow, root);
    assert.equal(code, 1);
    assert.deepEqual(byPath(results), {
      ".codex/config.toml": "UNSAFE_ATTRIBUTES",
      ".cursor/mcp.json": "UNSAFE_ATTRIBUTES",
      ".mcp.json": "UNSAFE_ATTRIBUTES",
    });
    assert.match(results.at(-1)!.reason, /"filter" set to "evil"/);
    await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
  },
});

Deno.test({
  name:
    "line endings: a signed file that no pattern recognises any more has no known format, so its CRLF copy is TAMPERED",
  ignore: ON_WINDOWS,
  async fn() {
    const patterns = (configs: unknown[]) =>
      JSON.stringify({ version: 1, configs }, null, 2) + "\n";
    const ours = {
      pattern: "tools/*/mcp.json",
      format: "json",
      servers: "mcpServers",
      client: "Our tools",
    };
    await using flow = await signedFlow({
      ".mcp-orchestration/config.json": patterns([ours]),
      "tools/a/mcp.json": CURSOR_JSON,
    });
    const root = await clone(flow, ["core.autocrlf=true"]);
    const recognised = await verify(flow, root);
    assert.equal(byPath(recognised.results)["tools/a/mcp.json"], "ok");

    await write(root, { ".mcp-orchestration/config.json": patterns([]) });
    const { results } = await verify(flow, root);
    const tools = results.find((result) => result.path === "tools/a/mcp.json");
    assert.equal(tools?.code, "TAMPERED", JSON.stringify(results));
    assert.match(tools.reason, /no config pattern recognises it any more/);
    assert.equal(byPath(results)[".mcp.json"], "ok");
  },
});
