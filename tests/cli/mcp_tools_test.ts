/**
 * The `mcp` server's tool table against the CLI it runs: each tool's command
 * line for its arguments, and every option it passes is one the command's
 * spec parses, so that the table cannot drift from the commands. sign and
 * approve cannot run without paths, and paths always follow "--".
 *
 * @module
 */

import assert from "node:assert/strict";
import { COMMAND_SPECS } from "../../src/cli/help.ts";
import { MCP_TOOLS } from "../../src/cli/mcp_tools.ts";
import { loadMcpSdk } from "../../src/deps.ts";

function tool(name: string) {
  const found = MCP_TOOLS.find((entry) => entry.name === name);
  assert.ok(found, name);
  return found;
}

Deno.test("each tool's command line for its arguments", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["initialize_keys", {}, ["keys", "init", "--json"]],
    ["initialize_keys", { force: true, comment: "-laptop" }, [
      "keys",
      "init",
      "--json",
      "--regenerate",
      "--comment=-laptop",
    ]],
    ["sign", { paths: ["a", "b"] }, ["sign", "--json", "--", "a", "b"]],
    ["approve", { paths: ["a"] }, ["approve", "--json", "--", "a"]],
    ["verify", {}, ["verify", "--json"]],
    ["verify", { paths: ["a"] }, ["verify", "--json", "--", "a"]],
    ["verify", { rev: "HEAD~1" }, ["verify", "--json", "--rev=HEAD~1"]],
    ["verify", { range: "a..b" }, ["verify", "--json", "--range=a..b"]],
    ["status", {}, ["status", "--json"]],
    ["inspect", { path: "a" }, ["inspect", "--json", "--", "a"]],
    ["inspect", { artifact: "f".repeat(64) }, [
      "inspect",
      "--json",
      "--",
      "f".repeat(64),
    ]],
    ["diff", {}, ["diff", "--json"]],
    ["diff", { a: "HEAD", b: "x", paths: ["p"] }, [
      "diff",
      "--json",
      "HEAD",
      "x",
      "--",
      "p",
    ]],
    ["log", { paths: ["p"] }, ["log", "--json", "--", "p"]],
    ["lint", {}, ["lint", "--json"]],
  ];
  for (const [name, args, argv] of cases) {
    assert.deepEqual(
      tool(name).argv(args),
      argv,
      `${name} ${JSON.stringify(args)}`,
    );
  }
  assert.throws(
    () => tool("verify").argv({ rev: "a", range: "a..b" }),
    /Give one of paths, rev and range/,
  );
  assert.throws(
    () => tool("inspect").argv({}),
    /Give one of path and artifact/,
  );
  assert.throws(() => tool("diff").argv({ b: "x" }), /Give a when giving b/);
});

Deno.test("every option a tool passes is one its command parses", () => {
  const samples: Record<string, Record<string, unknown>> = {
    initialize_keys: { force: true, comment: "c" },
    verify: { rev: "HEAD" },
    sign: { paths: ["a"] },
    inspect: { path: "a" },
  };
  let checked = 0;
  for (const entry of MCP_TOOLS) {
    const argv = entry.argv(samples[entry.name] ?? {});
    const spec = COMMAND_SPECS.find((candidate) =>
      argv.join(" ").startsWith(`${candidate.name} `)
    );
    if (!spec) {
      // diff, log and lint: built on other branches.
      assert.ok(["diff", "log", "lint"].includes(entry.name), entry.name);
      continue;
    }
    const end = argv.indexOf("--");
    for (const word of end < 0 ? argv : argv.slice(0, end)) {
      if (!word.startsWith("--")) continue;
      const name = word.slice(2).split("=")[0]!;
      assert.ok(
        name === "json" || name in spec.options,
        `${entry.name} passes --${name}, which "${spec.name}" does not parse`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 8, `only ${checked} options checked`);
  assert.deepEqual(
    tool("verify").argv({ range: "a..b" }).slice(2),
    ["--range=a..b"],
  );
});

Deno.test("sign and approve refuse a call without paths; no tool signs everything", async () => {
  const { z } = await loadMcpSdk();
  for (const name of ["sign", "approve"]) {
    const input = z.object(tool(name).input(z));
    assert.equal(input.safeParse({}).success, false, name);
    assert.equal(input.safeParse({ paths: [] }).success, false, name);
    assert.equal(input.safeParse({ paths: [".mcp.json"] }).success, true);
    assert.equal(input.safeParse({ paths: ["/x"] }).success, false);
  }
  // No tool's command line is "sign" alone, "sign --resign" or "init".
  for (const entry of MCP_TOOLS) {
    const argv = entry.argv({ paths: ["a"], path: "a" });
    assert.notEqual(argv[0], "init", entry.name);
    assert.ok(!argv.includes("--resign"), entry.name);
  }
  assert.match(tool("sign").description, /attestation by the owner/);
  assert.match(tool("approve").description, /attestation by the owner/);
});
