/**
 * Bad input for the client kinds of issue 11: a YAML bomb, a 64 MiB
 * settings file, a folder of 10,000 Continue blocks, config paths with a
 * newline or an escape sequence, and a symlinked `.roo`. Each gets a clear
 * error or a documented limit (docs/FORMAT.md) and changes nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { snapshotDiff } from "../support/repo.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  sharedFlow,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const BLOCK =
  "name: db\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: db\n    command: uvx\n";

// Made once per file and copied: no test checks how it was made.
async function adoptedFlow() {
  return await sharedFlow("adopted", async () => {
    const flow = await createFlow();
    await write(flow, { "README.md": "hello\n" });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "adopt");
    return flow;
  });
}

// Runs the CLI and asserts that it changed nothing in the repository.
async function unchanged(flow: Flow, args: string[]) {
  const before = await flow.repo.snapshot();
  const result = await flow.cli(args);
  assert.deepEqual(
    snapshotDiff(before, await flow.repo.snapshot()),
    [],
    args.join(" "),
  );
  return result;
}

Deno.test({
  name:
    "a YAML bomb, deep nesting and reader-dependent YAML are refused by sign and the hook, naming file, line and reason",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    let bomb = 'a0: &a0 ["lol"]\n';
    for (let i = 1; i < 10; i++) {
      bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
    }
    const cases: [string, string, RegExp][] = [
      [
        "bomb.yaml",
        `${bomb}mcpServers: *a9\n`,
        /"\.continue\/mcpServers\/bomb\.yaml": line 1, column 5: anchor "&a0"/,
      ],
      [
        "deep.yml",
        `mcpServers: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
        /"\.continue\/mcpServers\/deep\.yml": line 1, column \d+: nesting/,
      ],
      [
        "tag.yaml",
        `${BLOCK}    args: [!!binary aGk=]\n`,
        /tag\.yaml": line 7, column 12: explicit tag/,
      ],
      [
        "merge.yaml",
        `${BLOCK}    <<: {command: sh}\n`,
        /merge\.yaml": line 7, column 5: merge key "<<"/,
      ],
      [
        "dup.yaml",
        `${BLOCK}    command: sh\n`,
        /dup\.yaml": line 7, column 5: duplicate key/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const path = `.continue/mcpServers/${name}`;
      await write(flow, { [path]: text });
      const signed = await unchanged(flow, ["sign"]);
      assert.equal(signed.code, 1, signed.stderr);
      assert.match(signed.stderr, /error\[INVALID_CONFIG\]/);
      assert.match(signed.stderr, message);
      const verified = await unchanged(flow, ["verify"]);
      assert.equal(verified.code, 1);
      // The hook refuses the commit the same way, and commits nothing.
      await flow.ok(["add", "-A"]);
      const head = await flow.ok(["rev-parse", "HEAD"]);
      const refused = await flow.git(["commit", "-q", "-m", name]);
      assert.notEqual(refused.code, 0, `${name} was committed`);
      assert.match(refused.stderr, message);
      assert.equal(await flow.ok(["rev-parse", "HEAD"]), head);
      await flow.ok(["reset", "-q", "--hard", "HEAD"]);
      await flow.ok(["clean", "-qfd"]);
    }
  },
});

Deno.test({
  name:
    "a 64 MiB settings file is a config over the size limit (MALFORMED), never read whole, never passed over",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const big = new Uint8Array(64 * 1024 * 1024).fill(0x20);
    big.set(new TextEncoder().encode('{"editor.tabSize": 2'));
    big[big.length - 2] = 0x7d; // "}"
    big[big.length - 1] = 0x0a;
    await flow.repo.write(".vscode/settings.json", big);
    const result = await unchanged(flow, ["verify", "--json"]);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as {
      results: { path: string; code: string; reason: string }[];
    };
    assert.deepEqual(report.results.map((r) => [r.path, r.code]), [[
      ".vscode/settings.json",
      "MALFORMED",
    ]]);
    assert.match(report.results[0]!.reason, /over the limit/);
    const signed = await unchanged(flow, ["sign"]);
    assert.equal(signed.code, 1);
    assert.match(signed.stderr, /\.vscode\/settings\.json.*over the limit/);
  },
});

Deno.test({
  name:
    "a folder of 10,000 Continue blocks: each is a config, verified in one run, and nothing changes",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const dir = `${flow.repo.root}/.continue/mcpServers`;
    await Deno.mkdir(dir, { recursive: true });
    for (let i = 0; i < 10_000; i++) {
      await Deno.writeTextFile(`${dir}/s${i}.yaml`, BLOCK);
    }
    const started = performance.now();
    const result = await unchanged(flow, ["verify", "--json"]);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as {
      failed: number;
      results: { code: string }[];
    };
    assert.equal(report.failed, 10_000);
    assert.ok(report.results.every((r) => r.code === "UNSIGNED"));
    assert.ok(seconds < 120, `verify took ${seconds} s`);
  },
});

Deno.test({
  name:
    "config paths with a newline or an escape sequence: reported, refused by sign with a clear error, nothing written",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    for (const name of ["a\nok    .mcp.json.yaml", "\u001b[32mgreen.yaml"]) {
      const path = `.continue/mcpServers/${name}`;
      await write(flow, { [path]: BLOCK });
      const verified = await unchanged(flow, ["verify"]);
      assert.equal(verified.code, 1);
      assert.ok(
        !verified.stdout.includes("\u001b"),
        "a raw escape reached the terminal",
      );
      const signed = await unchanged(flow, ["sign"]);
      assert.equal(signed.code, 1);
      assert.match(signed.stderr, /the path contains a control character/);
      await Deno.remove(`${flow.repo.root}/${path}`);
    }
  },
});

Deno.test({
  name:
    "a symlinked .roo is reported as the config a client reads through it, and cannot be signed",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    await write(flow, { "shared/roo/mcp.json": '{"mcpServers": {}}\n' });
    await Deno.symlink("shared/roo", `${flow.repo.root}/.roo`);
    const result = await unchanged(flow, ["verify", "--json"]);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as {
      results: { path: string; code: string; reason: string }[];
    };
    assert.deepEqual(report.results.map((r) => [r.path, r.code]), [[
      ".roo/mcp.json",
      "UNSIGNED",
    ]]);
    const signed = await unchanged(flow, ["sign"]);
    assert.equal(signed.code, 1);
    assert.match(signed.stderr, /Cannot sign "\.roo\/mcp\.json"/);
    // A link to a folder outside the repository is opaque: reported too.
    await Deno.remove(`${flow.repo.root}/.roo`);
    await Deno.symlink("/tmp", `${flow.repo.root}/.roo`);
    const opaque = await unchanged(flow, ["verify", "--json"]);
    assert.equal(opaque.code, 1);
    assert.match(opaque.stdout, /"\.roo"/);
  },
});
