/**
 * Red team (issue 17): history verification keeps loaded statements for the
 * commits that follow, by id and the two objects they were loaded from. A
 * commit whose index names thousands of distinct large statements (up to
 * 64 KiB each, none of them signed) must not make it hold them all.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { verifyRevisions } from "../../src/verify/verify_history.ts";
import { withSignedHistory } from "../support/attacks.ts";
import { forceCommit } from "../support/flow.ts";

const COUNT = 2048;

// A version 3 statement of ~60 KiB (15 files with 4,000-character paths).
function statement(i: number): Uint8Array {
  const tag = i.toString(16).padStart(8, "0");
  const files = Array.from(
    { length: 15 },
    (_, f) =>
      `file ${"a".repeat(64)} d${f.toString(16)}/${"p".repeat(4000)}${tag}`,
  );
  return new TextEncoder().encode(
    [
      "mcp-orchestration-statement v3",
      `repository ${"b".repeat(32)}`,
      `path c/${tag}.json`,
      `artifact ${tag.padStart(64, "0")}`,
      "size 10",
      ...files,
      `signer SHA256:${"A".repeat(43)}`,
      "signed-at 2024-01-01T00:00:00Z",
      "sequence 1",
      "previous none",
    ].join("\n") + "\n",
  );
}

Deno.test("red team 17: a commit naming 2,048 large statements does not make history verification hold them", async () => {
  await withSignedHistory(async (flow) => {
    const root = flow.repo.root;
    const index = `${root}/.mcp-orchestration/index`;
    // After the signed lines (".mcp…" sorts before "c/").
    const lines = [(await Deno.readTextFile(index)).trimEnd()];
    for (let i = 0; i < COUNT; i++) {
      const bytes = statement(i);
      const id = createHash("sha256").update(bytes).digest("hex");
      await Deno.writeFile(
        `${root}/.mcp-orchestration/statements/${id}`,
        bytes,
      );
      lines.push(`${id} c/${i.toString(16).padStart(8, "0")}.json`);
    }
    await Deno.writeTextFile(index, lines.join("\n") + "\n");
    const commit = await forceCommit(flow, "statements");
    await measure(root, commit);
  });
});

async function measure(root: string, commit: string): Promise<void> {
  const before = Deno.memoryUsage().heapUsed;
  let peak = before;
  const sample = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().heapUsed);
  }, 1);
  try {
    const [report] = await verifyRevisions(
      { root, gitDir: `${root}/.git` },
      [commit],
    );
    assert.equal(
      report?.ok,
      false,
      JSON.stringify(report?.results.slice(0, 2)),
    );
    // Every statement was loaded and parsed (a tombstone without its
    // signature), none of them signed.
    assert.equal(
      report.results.filter((r) =>
        r.path.startsWith("c/") && r.code === "MALFORMED" &&
        r.reason?.includes("tombstone")
      ).length,
      COUNT,
    );
  } finally {
    clearInterval(sample);
  }
  peak = Math.max(peak, Deno.memoryUsage().heapUsed);
  const grew = (peak - before) / 1024 / 1024;
  // 2,048 such statements parsed take ~130 MiB.
  assert.ok(grew < 64, `verification held ${Math.round(grew)} MiB`);
}
