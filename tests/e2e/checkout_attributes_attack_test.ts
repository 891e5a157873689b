/**
 * The checkout-attributes attack, end to end: a validly signed `.mcp.json`,
 * then an unsigned `.gitattributes` (committed past the hooks) that gives it
 * `ident`. The blob Git stores is still the signed one, so history
 * verification, which checks blobs, passes; but every clone checks out other
 * bytes (`$Id$` becomes `$Id: <blob id> $`), and those are what an MCP
 * client reads.
 *
 * The test is ignored until `verify --rev` refuses such attributes (see
 * src/git/checkout_attributes.ts); run it with the ignore removed to see the
 * attack pass today: every step holds up to the last assertion.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cliOk,
  commit,
  createFlow,
  forceCommit,
  head,
  verifyHistory,
  write,
} from "../support/flow.ts";

// A string that ident rewrites on checkout; any JSON string would do.
const SIGNED = JSON.stringify({
  mcpServers: { files: { command: "server", args: ["--tag", "$Id$"] } },
}) + "\n";

Deno.test({
  name:
    "checkout attributes attack: an unsigned .gitattributes with ident makes a clone read other bytes than the signed ones",
  // Enable when verify --rev checks checkout attributes (UNSAFE_ATTRIBUTES).
  ignore: true,
  async fn() {
    await using flow = await createFlow();
    await write(flow, { "README.md": "hello\n", ".mcp.json": SIGNED });
    await cliOk(flow, ["init", "--principal", "alice@example.com"]);
    await commit(flow, "signed config");
    const honest = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.equal(honest.code, 0, honest.text);

    // The attack: one unsigned line, past the hooks.
    await write(flow, { ".gitattributes": ".mcp.json ident\n" });
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

    // THE FIX: history verification must refuse the attributes. Today this
    // verify passes (exit 0, every result ok): that is the hole.
    const result = await verifyHistory(flow, ["--rev", "HEAD"]);
    assert.equal(result.code, 1, result.text);
    const report = result.report.commits.find((c) => c.commit === attack);
    assert.ok(
      report?.results.some((r) =>
        !r.ok && r.path === ".mcp.json" && r.code === "UNSAFE_ATTRIBUTES"
      ),
      `no UNSAFE_ATTRIBUTES for ".mcp.json":\n${result.text}`,
    );
  },
});
