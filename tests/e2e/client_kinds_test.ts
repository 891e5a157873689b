/**
 * Every client's project config, end to end (issue 11, section 1): a
 * realistic fixture of each client, committed through the pre-commit hook,
 * is signed, verifies in the working tree and at HEAD, and a one-byte change
 * fails as TAMPERED. A settings file without MCP section is neither signed
 * nor reported; the moment it gains one (however the key is spelled) it is
 * a config, and unsigned.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseIndex } from "../../src/store/index_file.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  sharedFlow,
  verifyHistory,
  write,
} from "../support/flow.ts";
import {
  NEW_CLIENT_FIXTURES,
  SETTINGS_WITHOUT_MCP,
  VISUAL_STUDIO_FIXTURE,
} from "../support/client_fixtures.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const INDEX = ".mcp-orchestration/index";

// The paths the store's index signs, as the tool reads it.
async function signedPaths(flow: Flow): Promise<string[]> {
  return [...parseIndex(await flow.repo.read(INDEX), INDEX).keys()];
}

interface Result {
  path: string;
  ok: boolean;
  code?: string;
}

async function verifyTree(
  flow: Flow,
): Promise<{ ok: boolean; results: Result[] }> {
  const result = await flow.cli(["verify", "--json"]);
  const report = JSON.parse(result.stdout) as {
    ok: boolean;
    results: Result[];
  };
  assert.equal(result.code, report.ok ? 0 : 1, result.stderr);
  return report;
}

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

Deno.test({
  name:
    "each client's documented config is recognised, signed by the hook, verified, and a change to it is TAMPERED",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const fixtures = [...NEW_CLIENT_FIXTURES, VISUAL_STUDIO_FIXTURE];
    const paths = fixtures.map((f) => f.path);
    // One commit, one tool start per check, for all fixtures at once: each
    // fixture's own result is still asserted. (One commit per fixture left
    // the same files in the end, each check repeated 39 times.)
    await commit(
      flow,
      "add every client's config",
      Object.assign(
        {},
        ...fixtures.map(({ path, text, files }) => ({
          ...files,
          [path]: text,
        })),
      ),
    );
    const signed = await signedPaths(flow);
    for (const path of paths) assert.ok(signed.includes(path), path);
    const clean = await verifyTree(flow);
    for (const path of paths) {
      assert.deepEqual(
        clean.results.find((r) => r.path === path),
        { ...clean.results.find((r) => r.path === path), ok: true },
        path,
      );
    }
    assert.ok(clean.ok, JSON.stringify(clean.results));
    const history = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.equal(history.code, 0, history.text);
    for (const path of paths) {
      assert.ok(
        history.report.commits[0]!.results.some((r) => r.path === path && r.ok),
        `${path} not verified at HEAD: ${history.text}`,
      );
    }

    // One changed byte, as a colleague's unsigned edit would be: in every
    // other fixture, so each verify must report exactly the changed ones
    // (a change that leaked into a neighbour's result would show).
    for (const parity of [0, 1]) {
      const changed = fixtures.filter((_, i) => i % 2 === parity);
      await write(
        flow,
        Object.fromEntries(
          changed.map(({ path, text }) => [path, text.replace(/\n$/, " \n")]),
        ),
      );
      const tampered = await verifyTree(flow);
      assert.ok(!tampered.ok, JSON.stringify(tampered.results));
      assert.deepEqual(
        tampered.results.filter((r) => !r.ok).map((r) => [r.path, r.code])
          .sort(),
        changed.map(({ path }) => [path, "TAMPERED"]).sort(),
      );
      await flow.ok(["checkout", "--", ...changed.map(({ path }) => path)]);
    }
  },
});

Deno.test({
  name:
    "a settings file without MCP section is not a config; once it gains one it is, unsigned, however the key is spelled",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const files = Object.fromEntries(
      SETTINGS_WITHOUT_MCP.map(({ path, text }) => [path, text]),
    );
    // Committed by someone without a signing key: nothing to sign, so the
    // hook needs none (a key is loaded only when a config changes).
    await commit(flow, "editor and agent settings", files, {
      MCP_ORCHESTRATION_KEY: `${flow.repo.home}/no such key`,
    });
    const signed = await signedPaths(flow);
    for (const path of Object.keys(files)) {
      assert.ok(!signed.includes(path), `${path} was signed`);
    }
    const clean = await verifyTree(flow);
    assert.ok(clean.ok);
    assert.deepEqual(clean.results, [], "a settings file was reported");
    const status = await cliOk(flow, ["status"]);
    for (const path of Object.keys(files)) {
      assert.ok(!status.stdout.includes(path), status.stdout);
    }

    // An attacker adds an MCP switch to an unsigned settings file: each
    // spelling a client reads as the key must fail verification.
    const spellings: [string, string][] = [
      [".claude/settings.json", '{ "enableAllProjectMcpServers": true }\n'],
      [
        ".claude/settings.json",
        '{ "mcp\\u0053ervers": { "x": { "command": "sh" } } }\n',
      ],
      [
        ".claude/settings.local.json",
        '{ "enabledMcpjsonServers": ["evil"] }\n',
      ],
      [
        ".vscode/settings.json",
        '{ /* tidy */ "chat.mcp.discovery.enabled": true, }\n',
      ],
      [
        "opencode.json",
        '{ "mcp": { "x": { "type": "local", "command": ["sh"] } } }\n',
      ],
      [
        ".kiro/agents/writer.json",
        '{ "name": "writer", "includeMcpJson": true }\n',
      ],
    ];
    // Two rounds (a path has two spellings), each checking its files in one
    // verify and one commit: every file's own result is asserted.
    const rounds: [string, string][][] = [[], []];
    for (const spelling of spellings) {
      const round = rounds[0]!.some(([path]) => path === spelling[0]) ? 1 : 0;
      rounds[round]!.push(spelling);
    }
    for (const round of rounds) {
      await write(flow, Object.fromEntries(round));
      const report = await verifyTree(flow);
      assert.deepEqual(
        report.results.map((r) => [r.path, r.ok, r.code]).sort(),
        round.map(([path]) => [path, false, "UNSIGNED"]).sort(),
        JSON.stringify(round),
      );
      // Committed past the hooks, it fails at that commit too.
      await forceCommit(flow, `unsigned ${round.map(([path]) => path)}`);
      const history = await verifyHistory(flow, ["--rev", "HEAD"]);
      assert.equal(history.code, 1, history.text);
      for (const [path] of round) {
        assert.ok(
          history.report.commits[0]!.results.some((r) =>
            r.path === path && !r.ok
          ),
          `${path} not failed at HEAD: ${history.text}`,
        );
      }
      await flow.ok(["reset", "-q", "--hard", "HEAD~1"]);
    }

    // A duplicate key is where readers disagree: refused, never ignored.
    await write(flow, {
      ".claude/settings.json": '{ "model": "a", "model": "b" }\n',
    });
    const duplicate = await verifyTree(flow);
    assert.deepEqual(duplicate.results.map((r) => [r.path, r.ok]), [[
      ".claude/settings.json",
      false,
    ]]);
    await flow.ok(["add", "-A"]);
    const refused = await flow.git(["commit", "-q", "-m", "dup"]);
    assert.notEqual(refused.code, 0, "a duplicate key was committed");
    assert.match(
      refused.stderr,
      /\.claude\/settings\.json.*line 1.*duplicate key "model"/,
    );
    await flow.ok(["reset", "-q", "--hard", "HEAD"]);
  },
});

Deno.test({
  name:
    "a settings file gains an MCP section through the hook (signed), then loses it (still signed, so the removal is checked)",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await adoptedFlow();
    const path = ".claude/settings.json";
    await commit(flow, "settings", { [path]: '{ "model": "x" }\n' });
    assert.ok(!(await signedPaths(flow)).includes(path));
    await commit(flow, "approve all project servers", {
      [path]: '{ "model": "x", "enableAllProjectMcpServers": true }\n',
    });
    assert.ok((await signedPaths(flow)).includes(path));
    assert.ok((await verifyTree(flow)).ok);
    // Removing the switch is a change like any other: signed by the hook.
    await commit(flow, "no more", { [path]: '{ "model": "y" }\n' });
    assert.ok((await verifyTree(flow)).ok);
    const history = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.equal(history.code, 0, history.text);
    // And changed past the hooks, it is TAMPERED, not forgotten.
    await write(flow, { [path]: '{ "model": "z" }\n' });
    const report = await verifyTree(flow);
    assert.deepEqual(report.results.map((r) => [r.path, r.code]), [[
      path,
      "TAMPERED",
    ]]);
  },
});
