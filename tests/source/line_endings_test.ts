/**
 * Line endings in the working tree: which CRLF differences Git's clean
 * conversion removes (asked of real git, in one process for many paths,
 * whatever their names), which formats read CRLF as LF, and how the
 * store's own CRLF copies are read back.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkedOutStoreReader,
  gitStoredForms,
  hasCrlf,
  lineBreaksAreOutsideValues,
  withoutCrlf,
} from "../../src/source/line_endings.ts";
import { sha256Hex } from "../../src/crypto/sha.ts";
import type { Repository } from "../../src/git/repository.ts";
import type { StoreReader } from "../../src/source/store_reader.ts";
import { createTempRepo } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);

Deno.test("withoutCrlf removes the CR of each CRLF only", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["a\r\nb\r\n", "a\nb\n"],
    ["a\rb\n", "a\rb\n"],
    ["a\r\r\n", "a\r\n"],
    ["\r", "\r"],
    ["a\n\r", "a\n\r"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(decoder.decode(withoutCrlf(bytes(input))), expected, input);
    assert.equal(hasCrlf(bytes(input)), input !== expected, input);
  }
});

Deno.test("lineBreaksAreOutsideValues: JSON and YAML yes, TOML without multi-line strings, others no", () => {
  const cases: [string, string, boolean][] = [
    ["json", '{"a": "b"}\n', true],
    ["jsonc", "{\n// c\n}\n", true],
    ["yaml", "a: |\n  b\n", true],
    ["lines", "a ssh-ed25519 AAAA\n", true],
    ["toml", 'a = "b"\n', true],
    ["toml", 'a = """\nb\n"""\n', false],
    ["toml", "a = '''\nb\n'''\n", false],
    ["ini", "a=b\n", false],
    ["", "{}\n", false],
  ];
  for (const [format, text, expected] of cases) {
    assert.equal(
      lineBreaksAreOutsideValues(format, bytes(text)),
      expected,
      `${format}: ${text}`,
    );
  }
});

Deno.test({
  name:
    "gitStoredForms asks git once for every path, odd names too, and leaves out what git stores as it is",
  ignore: ON_WINDOWS,
  async fn() {
    await using temp = await createTempRepo();
    await temp.git("config", "core.autocrlf", "true");
    const repo: Repository = {
      root: temp.root,
      gitDir: join(temp.root, ".git"),
    };
    const files = new Map<string, Uint8Array>([
      ["plain.json", bytes('{\r\n"a": 1\r\n}\r\n')],
      ['quote"back\\slash.json', bytes("{\r\n}\r\n")],
      ["new\nline.json", bytes("{\r\n}\r\n")],
      ["é ü.json", bytes("{\r\n}\r\n")],
      // A lone CR: text=auto takes it for binary, stored as it is.
      ["lone.json", bytes('{\r"a": 1\r\n}\r\n')],
      // No CRLF: nothing to ask.
      ["lf.json", bytes("{}\n")],
    ]);
    for (const [path, content] of files) await temp.write(path, content);
    const stored = await gitStoredForms(repo, files);
    assert.deepEqual(
      [...stored.keys()].sort(),
      ["new\nline.json", "plain.json", 'quote"back\\slash.json', "é ü.json"]
        .sort(),
    );
    assert.equal(decoder.decode(stored.get("plain.json")), '{\n"a": 1\n}\n');

    // Without autocrlf (and no attribute) Git stores every file as it is.
    await temp.git("config", "core.autocrlf", "false");
    assert.equal((await gitStoredForms(repo, files)).size, 0);
  },
});

Deno.test("checkedOutStoreReader undoes CRLF only where the name or the format allows it", async () => {
  const statement = "mcp-orchestration-statement v1\nx\n";
  const id = await sha256Hex(bytes(statement));
  // Bytes that hash to their name with their CRs stay as they are.
  const withCr = "a\r\nb\r\n";
  const crId = await sha256Hex(bytes(withCr));
  const files = new Map<string, string>([
    [`.mcp-orchestration/statements/${id}`, statement.replaceAll("\n", "\r\n")],
    [`.mcp-orchestration/statements/${id}.sig`, "-----BEGIN\r\nx\r\n"],
    [`.mcp-orchestration/artifacts/${crId}`, withCr],
    [`.mcp-orchestration/artifacts/${"0".repeat(64)}`, "a\r\n"],
    [".mcp-orchestration/index", "mcp-orchestration-index v1\r\n"],
    [".mcp-orchestration/allowed_signers", "a ssh-ed25519 AAAA\r\n"],
    [".mcp.json", "{}\r\n"],
  ]);
  const raw: StoreReader = {
    read: (path) => {
      const text = files.get(path);
      return Promise.resolve(text === undefined ? undefined : bytes(text));
    },
  };
  const reader = checkedOutStoreReader(raw);
  const readText = async (path: string) =>
    decoder.decode(await reader.read(path, 1000));
  assert.equal(
    await readText(`.mcp-orchestration/statements/${id}`),
    statement,
  );
  assert.equal(
    await readText(`.mcp-orchestration/statements/${id}.sig`),
    "-----BEGIN\nx\n",
  );
  assert.equal(await readText(`.mcp-orchestration/artifacts/${crId}`), withCr);
  // Neither form hashes to the name: given as it is, for the reader to refuse.
  assert.equal(
    await readText(`.mcp-orchestration/artifacts/${"0".repeat(64)}`),
    "a\r\n",
  );
  assert.equal(
    await readText(".mcp-orchestration/index"),
    "mcp-orchestration-index v1\n",
  );
  assert.equal(
    await readText(".mcp-orchestration/allowed_signers"),
    "a ssh-ed25519 AAAA\r\n",
  );
  assert.equal(await readText(".mcp.json"), "{}\r\n");
  assert.equal(await reader.read("missing", 10), undefined);
});
