/**
 * Approval paths: built and parsed strictly (both names 64 lowercase hex
 * digits, checked before any file is opened), the key hex is the digest
 * behind the `SHA256:` key id, listing ignores what cannot be an approval,
 * and writing and pruning never go through a symbolic link.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { keyId } from "../../src/format/public_key.ts";
import { encodeBase64 } from "../../src/format/base64.ts";
import {
  approvalFolder,
  approvalPath,
  approvalsIn,
  isApprovalPath,
  keyHexOf,
  listApprovals,
  parseApprovalPath,
  removeApprovals,
  writeApprovals,
} from "../../src/store/approvals.ts";
import { workingTreeReader } from "../../src/source/store_reader.ts";
import { checkedOutStoreReader } from "../../src/source/line_endings.ts";
import { assertToolError } from "../support/errors.ts";

const STATEMENT = "a".repeat(64);
const KEY = "b".repeat(64);
const PATH = `.mcp-orchestration/approvals/${STATEMENT}/${KEY}.sig`;

Deno.test("approvalPath builds the one path of a statement and key", () => {
  assert.equal(approvalPath(STATEMENT, KEY), PATH);
  assert.equal(
    approvalFolder(STATEMENT),
    `.mcp-orchestration/approvals/${STATEMENT}`,
  );
});

Deno.test("approvalPath refuses every name that is not 64 lowercase hex digits", () => {
  const bad = [
    "",
    "A".repeat(64),
    "a".repeat(63),
    "a".repeat(65),
    "../" + "a".repeat(61),
    "a".repeat(63) + "/",
    "g".repeat(64),
    "a".repeat(63) + "\n",
  ];
  for (const value of bad) {
    assertToolError(
      () => approvalPath(value, KEY),
      "INVALID_FORMAT",
      "statement id",
    );
    assertToolError(
      () => approvalPath(STATEMENT, value),
      "INVALID_FORMAT",
      "approving key",
    );
    assertToolError(() => approvalFolder(value), "INVALID_FORMAT");
  }
});

Deno.test("parseApprovalPath reads exactly what approvalPath writes", () => {
  assert.deepEqual(parseApprovalPath(PATH), {
    statementId: STATEMENT,
    keyHex: KEY,
  });
  assert.ok(isApprovalPath(PATH));
  const bad = [
    `.mcp-orchestration/approvals/${STATEMENT}/${KEY}`,
    `.mcp-orchestration/approvals/${STATEMENT}/${KEY}.sig.tmp`,
    `.mcp-orchestration/approvals/${STATEMENT}/${KEY.toUpperCase()}.sig`,
    `.mcp-orchestration/approvals/${STATEMENT}/x/${KEY}.sig`,
    `.mcp-orchestration/approvals/${KEY}.sig`,
    `.mcp-orchestration/statements/${STATEMENT}/${KEY}.sig`,
    `x/.mcp-orchestration/approvals/${STATEMENT}/${KEY}.sig`,
    `.mcp-orchestration/approvals/../approvals/${STATEMENT}/${KEY}.sig`,
    `.mcp-orchestrationXapprovals/${STATEMENT}/${KEY}.sig`,
    `.mcp-orchestration/approvals/${STATEMENT}/${KEY}Xsig`,
  ];
  for (const path of bad) {
    assert.ok(!isApprovalPath(path), path);
    assertToolError(
      () => parseApprovalPath(path),
      "INVALID_FORMAT",
      `Invalid approval path "${path}"`,
    );
  }
});

Deno.test("keyHexOf is the digest behind the SHA256: key id, in hex", async () => {
  const key = new Uint8Array(32).map((_, i) => i * 7);
  const hex = await keyHexOf(key);
  assert.match(hex, /^[0-9a-f]{64}$/);
  const bytes = Uint8Array.from(
    hex.match(/../g)!.map((pair) => parseInt(pair, 16)),
  );
  assert.equal(
    "SHA256:" + encodeBase64(bytes).replace(/=+$/, ""),
    await keyId(key),
  );
  await assert.rejects(keyHexOf(new Uint8Array(31)), { code: "INVALID_KEY" });
});

Deno.test("approvalsIn lists one statement's approvers from a listing, nothing else", () => {
  const other = "c".repeat(64);
  const paths = [
    approvalPath(STATEMENT, KEY),
    approvalPath(STATEMENT, other),
    approvalPath(STATEMENT, other),
    approvalPath(other, KEY),
    `.mcp-orchestration/approvals/${STATEMENT}/notes.txt`,
    `.mcp-orchestration/approvals/${STATEMENT}/${KEY}.sig/x`,
  ];
  assert.deepEqual(approvalsIn(paths, STATEMENT), [KEY, other]);
  assert.deepEqual(approvalsIn([], STATEMENT), []);
  assertToolError(() => approvalsIn(paths, "x"), "INVALID_FORMAT");
});

async function tempRepo(): Promise<{ root: string; gitDir: string }> {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(join(root, ".mcp-orchestration"));
  return { root, gitDir: join(root, ".git") };
}

Deno.test("writeApprovals writes each file, listApprovals finds them, removeApprovals prunes the folder", async () => {
  const repo = await tempRepo();
  try {
    const other = "c".repeat(64);
    await writeApprovals(repo, [
      { statementId: STATEMENT, keyHex: KEY, signature: "one\n" },
      { statementId: STATEMENT, keyHex: other, signature: "two\n" },
    ]);
    assert.equal(
      await Deno.readTextFile(join(repo.root, approvalPath(STATEMENT, other))),
      "two\n",
    );
    // A stray file in the folder is not an approval.
    await Deno.writeTextFile(
      join(repo.root, approvalFolder(STATEMENT), "README"),
      "x",
    );
    assert.deepEqual(await listApprovals(repo, STATEMENT), [KEY, other]);
    assert.deepEqual(await listApprovals(repo, other), []);
    await removeApprovals(repo, STATEMENT);
    assert.deepEqual(await listApprovals(repo, STATEMENT), []);
    await assert.rejects(
      Deno.lstat(join(repo.root, ".mcp-orchestration/approvals")),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(repo.root, { recursive: true });
  }
});

Deno.test("writeApprovals puts back what it wrote when a later write fails", async () => {
  const repo = await tempRepo();
  try {
    const blocked = "c".repeat(64);
    // A file where the second statement's folder must go.
    await Deno.mkdir(join(repo.root, ".mcp-orchestration/approvals"));
    await Deno.writeTextFile(join(repo.root, approvalFolder(blocked)), "");
    await assert.rejects(
      writeApprovals(repo, [
        { statementId: STATEMENT, keyHex: KEY, signature: "one\n" },
        { statementId: blocked, keyHex: KEY, signature: "two\n" },
      ]),
    );
    await assert.rejects(
      Deno.lstat(join(repo.root, approvalFolder(STATEMENT))),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(repo.root, { recursive: true });
  }
});

Deno.test(
  "a symbolic link on the way is refused for reading, writing and listing, and never followed to prune",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    const repo = await tempRepo();
    const outside = await Deno.makeTempDir();
    try {
      await Deno.mkdir(join(outside, STATEMENT));
      await Deno.writeTextFile(join(outside, STATEMENT, `${KEY}.sig`), "x");
      await Deno.symlink(
        outside,
        join(repo.root, ".mcp-orchestration/approvals"),
      );
      const reader = checkedOutStoreReader(workingTreeReader(repo));
      await assert.rejects(reader.read(PATH, 1000), { code: "BAD_PATH" });
      await assert.rejects(listApprovals(repo, STATEMENT), {
        code: "BAD_PATH",
      });
      await assert.rejects(
        writeApprovals(repo, [
          { statementId: STATEMENT, keyHex: KEY, signature: "one\n" },
        ]),
        { code: "BAD_PATH" },
      );
      await removeApprovals(repo, STATEMENT);
      assert.equal(
        await Deno.readTextFile(join(outside, STATEMENT, `${KEY}.sig`)),
        "x",
      );
    } finally {
      await Deno.remove(repo.root, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    }
  },
);

Deno.test("an approval checked out with CRLF is read with LF, as a signature is", async () => {
  const text = "-----BEGIN SSH SIGNATURE-----\r\nAAAA\r\n";
  const reader = checkedOutStoreReader({
    read: () => Promise.resolve(new TextEncoder().encode(text)),
  });
  const decode = async (path: string) =>
    new TextDecoder().decode(await reader.read(path, 1000));
  assert.equal(await decode(PATH), text.replaceAll("\r\n", "\n"));
  // Anything else under approvals/ is read as it is.
  assert.equal(
    await decode(`.mcp-orchestration/approvals/${STATEMENT}/x.sig`),
    text,
  );
});
