/**
 * The checkout-attributes attack, end to end: a validly signed `.mcp.json`,
 * then an unsigned `.gitattributes` (committed past the hooks) that gives it
 * `ident`. The blob Git stores is still the signed one, so history
 * verification, which checks blobs, passes; but every clone checks out other
 * bytes (`$Id$` becomes `$Id: <blob id> $`), and those are what an MCP
 * client reads.
 *
 * History verification, pre-push, `verify`, `sign` and the pre-commit hook
 * all refuse such attributes (`UNSAFE_ATTRIBUTES`); an attribute that does
 * not change checked-out bytes is reported as a note.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { assertCommitFails, assertPushRefused } from "../support/attacks.ts";
import {
  cliOk,
  commit,
  createFlow,
  forceCommit,
  head,
  push,
  verifyHistory,
  write,
} from "../support/flow.ts";
import { assertCliError } from "../support/errors.ts";

// A string that ident rewrites on checkout; any JSON string would do.
const SIGNED = JSON.stringify({
  mcpServers: { files: { command: "server", args: ["--tag", "$Id$"] } },
}) + "\n";

Deno.test({
  name:
    "checkout attributes attack: an unsigned .gitattributes with ident makes a clone read other bytes than the signed ones",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using flow = await createFlow();
    await write(flow, { "README.md": "hello\n", ".mcp.json": SIGNED });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "signed config");
    const honest = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.equal(honest.code, 0, honest.text);
    await push(flow, "main");
    const base = await head(flow);

    // Through the hooks, the rule is refused before anything is committed.
    await write(flow, { ".gitattributes": ".mcp.json ident\n" });
    await flow.ok(["add", "-A"]);
    const hooked = await flow.git(["commit", "-q", "-m", "attributes"]);
    assert.notEqual(hooked.code, 0, "the hook let the attributes through");
    assertCliError(hooked, "TRUST", /"ident"/);
    assert.equal(await head(flow), base);
    // sign and working-tree verify refuse it too.
    const signed = await flow.cli(["sign"]);
    assert.notEqual(signed.code, 0, signed.stdout);
    assertCliError(signed, "INVALID_CONFIG", /\.mcp\.json.*"ident"/);
    const verified = await flow.cli(["verify", "--json"]);
    assert.equal(verified.code, 1, verified.stdout);
    assert.ok(
      verified.stdout.includes('"UNSAFE_ATTRIBUTES"'),
      verified.stdout,
    );

    // The attack: one unsigned line, past the hooks.
    const attack = await forceCommit(flow, "attributes");
    assert.equal(
      await flow.ok(["cat-file", "blob", `${attack}:.mcp.json`]),
      SIGNED,
      "the stored blob is still the signed one",
    );

    // A fresh clone checks out other bytes than the signed blob.
    const clone = join(flow.repo.home, "clone");
    await flow.ok(["clone", "-q", "--no-local", flow.repo.root, clone]);
    const checkedOut = await Deno.readTextFile(join(clone, ".mcp.json"));
    assert.notEqual(checkedOut, SIGNED);
    assert.match(checkedOut, /"\$Id: [0-9a-f]{40,64} \$"/);
    assert.equal(
      await flow.ok(["cat-file", "blob", "HEAD:.mcp.json"], { cwd: clone }),
      SIGNED,
    );
    assert.equal(await head(flow), attack);

    // History verification refuses the attributes, and so does pre-push.
    assertCommitFails(
      await verifyHistory(flow, ["--rev", "HEAD"]),
      attack,
      ".mcp.json",
      ["UNSAFE_ATTRIBUTES"],
    );
    assertCommitFails(
      await verifyHistory(flow, ["--range", `${base}..HEAD`]),
      attack,
      ".mcp.json",
      ["UNSAFE_ATTRIBUTES"],
    );
    await assertPushRefused(flow, ["origin", "main"], "main", [
      { path: ".mcp.json", codes: ["UNSAFE_ATTRIBUTES"] },
    ]);

    // An attribute that leaves the bytes alone passes, with a note.
    await flow.ok(["reset", "-q", "--hard", base]);
    const harmless = await commit(flow, "diff attribute", {
      ".gitattributes": ".mcp.json -diff\n",
    });
    const noted = await verifyHistory(flow, ["--range", `${base}..HEAD`]);
    assert.equal(noted.code, 0, noted.text);
    const result = noted.report.commits.find((c) => c.commit === harmless)
      ?.results.find((r) => r.path === ".mcp.json") as
        | { ok: boolean; note?: string }
        | undefined;
    assert.ok(result?.ok, noted.text);
    assert.match(result?.note ?? "", /"diff" unspecified → unset/, noted.text);
    const text = await flow.cli(["verify", "--range", `${base}..HEAD`]);
    assert.match(text.stdout, /note {2}\.mcp\.json {2}this commit changes/);
  },
});
