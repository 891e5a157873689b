/**
 * The one statement loader, and every place that used to read a statement
 * without checking that its bytes hash to its name: a statement file edited
 * in place (still well-formed, same name) must fail there too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  findRepository,
  initKey,
  inspect,
  loadSigningKey,
  repositoryStatus,
  signConfigs,
} from "../../mod.ts";
import { ToolError } from "../../src/errors.ts";
import {
  loadSigned,
  loadSignedConfig,
  loadStatement,
} from "../../src/verify/load_signed.ts";
import { approvalPath, keyHexOf } from "../../src/store/approvals.ts";
import { workingTreeReader } from "../../src/source/store_reader.ts";
import { VerificationError } from "../../src/verify/errors.ts";
import { createTempRepo, type TempRepo } from "../support/repo.ts";

const STORE = ".mcp-orchestration";
const CONFIG = '{"mcpServers":{"a":{"command":"npx","args":["a"]}}}\n';
const OTHER = '{"mcpServers":{"b":{"command":"uvx","args":["b"]}}}\n';

function sha256(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function memoryReader(files: Map<string, Uint8Array>) {
  return {
    read: (path: string) => Promise.resolve(files.get(path)),
  };
}

/** A repository with `.mcp.json` signed (by an untrusted key: enough here). */
async function withSigned(
  fn: (repo: TempRepo, id: string) => Promise<void>,
): Promise<void> {
  const repo = await createTempRepo();
  try {
    await initKey({ home: repo.home });
    await repo.write(".mcp.json", CONFIG);
    await sign(repo);
    const index = new TextDecoder().decode(await repo.read(`${STORE}/index`));
    const line = index.split("\n").find((l) => l.endsWith(" .mcp.json"));
    await fn(repo, line!.slice(0, 64));
  } finally {
    await repo.cleanup();
  }
}

async function sign(repo: TempRepo): Promise<void> {
  await signConfigs(await findRepository(repo.root), {
    key: await loadSigningKey({ home: repo.home }),
    cwd: repo.root,
  });
}

/** Rewrites one line of a statement file, keeping its name. */
async function editStatement(
  repo: TempRepo,
  id: string,
  from: RegExp,
  to: string,
): Promise<void> {
  const path = `${STORE}/statements/${id}`;
  const text = new TextDecoder().decode(await repo.read(path));
  const edited = text.replace(from, to);
  assert.notEqual(edited, text);
  await repo.write(path, edited);
}

Deno.test("load_signed: a statement that does not hash to its name is MALFORMED", async () => {
  await withSigned(async (repo, id) => {
    const files = new Map<string, Uint8Array>();
    for (const name of [id, `${id}.sig`]) {
      const path = `${STORE}/statements/${name}`;
      files.set(path, await repo.read(path));
    }
    const reader = memoryReader(files);
    assert.equal((await loadSigned(reader, id))?.statement.path, ".mcp.json");
    assert.equal((await loadStatement(reader, id))?.id, id);
    const path = `${STORE}/statements/${id}`;
    const text = new TextDecoder().decode(files.get(path));
    files.set(
      path,
      new TextEncoder().encode(
        text.replace(/^signed-at \d{4}/m, "signed-at 2020"),
      ),
    );
    for (const load of [loadSigned, loadStatement]) {
      await assert.rejects(load(reader, id), (error) => {
        assert.ok(error instanceof VerificationError);
        assert.equal(error.code, "MALFORMED");
        assert.match(error.message, /does not hash to its name/);
        assert.ok(error.message.includes(path), error.message);
        return true;
      });
    }
  });
});

Deno.test("load_signed: a missing signature is MALFORMED only where it is needed", async () => {
  await withSigned(async (repo, id) => {
    const path = `${STORE}/statements/${id}`;
    const reader = memoryReader(new Map([[path, await repo.read(path)]]));
    assert.equal(
      (await loadStatement(reader, id))?.statement.path,
      ".mcp.json",
    );
    await assert.rejects(loadSigned(reader, id), {
      name: "VerificationError",
      code: "MALFORMED",
      message: `the signature "${path}.sig" is missing`,
    });
    assert.equal(await loadSigned(memoryReader(new Map()), id), undefined);
  });
});

Deno.test("inspect: a statement edited in place is refused, naming its file", async () => {
  await withSigned(async (repo, id) => {
    await editStatement(repo, id, /^signed-at \d{4}/m, "signed-at 2020");
    const found = await findRepository(repo.root);
    await assert.rejects(
      inspect(found, ".mcp.json", { cwd: repo.root }),
      (error) => {
        assert.ok(error instanceof ToolError, String(error));
        assert.equal(error.code, "INVALID_FORMAT");
        assert.ok(
          error.message.includes(`${STORE}/statements/${id}`) &&
            error.message.includes("does not hash to its name"),
          error.message,
        );
        return true;
      },
    );
  });
});

Deno.test("inspect: an artifact id named only by an edited statement is not found", async () => {
  await withSigned(async (repo, id) => {
    const other = sha256(OTHER);
    await editStatement(repo, id, /^artifact .*$/m, `artifact ${other}`);
    const found = await findRepository(repo.root);
    await assert.rejects(inspect(found, other, { cwd: repo.root }), {
      name: "ToolError",
      code: "BAD_PATH",
      message: `No signed config has the artifact id "${other}"`,
    });
  });
});

Deno.test("status: a tombstone's edited statement is not shown, and is reported", async () => {
  await withSigned(async (repo, id) => {
    await Deno.remove(`${repo.root}/.mcp.json`);
    await editStatement(repo, id, /^signed-at \d{4}/m, "signed-at 2020");
    const status = await repositoryStatus(await findRepository(repo.root), {
      home: repo.home,
    });
    assert.deepEqual(status.tombstones, [{
      path: ".mcp.json",
      statementId: id,
      signer: null,
      signedAt: null,
      sequence: null,
    }]);
    assert.ok(
      status.problems.some((problem) =>
        problem.includes(`${STORE}/statements/${id}`) &&
        problem.includes("does not hash to its name")
      ),
      JSON.stringify(status.problems),
    );
  });
});

Deno.test("sign: an edited statement it replaces deletes no artifact on its word", async () => {
  await withSigned(async (repo, id) => {
    // An artifact the edited statement names, that nothing else does.
    const bystander = `${STORE}/artifacts/${sha256(OTHER)}`;
    await repo.write(bystander, OTHER);
    await editStatement(
      repo,
      id,
      /^artifact .*$/m,
      `artifact ${sha256(OTHER)}`,
    );
    await repo.write(".mcp.json", CONFIG.replace("npx", "npm"));
    await sign(repo);
    assert.ok(
      await repo.exists(bystander),
      "sign deleted an artifact because an unchecked statement named it",
    );
  });
});

Deno.test("load_signed: the approvals of the keys asked for are read raw, the others never", async () => {
  await withSigned(async (repo, id) => {
    const bytes = await repo.read(".mcp.json");
    const reader = workingTreeReader(await findRepository(repo.root));
    const context = {
      reader,
      index: new Map([[".mcp.json", id]]),
      trust: undefined,
      now: new Date(),
    };
    const asked = new Uint8Array(32).fill(1);
    const other = new Uint8Array(32).fill(2);
    const absent = new Uint8Array(32).fill(3);
    const askedPath = approvalPath(id, await keyHexOf(asked));
    await repo.write(
      askedPath,
      "-----BEGIN SSH SIGNATURE-----\nnot checked here\n",
    );
    await repo.write(approvalPath(id, await keyHexOf(other)), "x");
    const none = await loadSignedConfig(context, ".mcp.json", bytes);
    assert.equal(none.approvals, undefined);
    const loaded = await loadSignedConfig(
      { ...context, approvers: [asked, absent, asked] },
      ".mcp.json",
      bytes,
    );
    assert.deepEqual(loaded.approvals, [{
      path: askedPath,
      keyHex: await keyHexOf(asked),
      signatureText: "-----BEGIN SSH SIGNATURE-----\nnot checked here\n",
    }]);
    // An approval that cannot be read as a signature makes it MALFORMED.
    await repo.write(askedPath, new Uint8Array([0xff, 0xfe]));
    await assert.rejects(
      loadSignedConfig({ ...context, approvers: [asked] }, ".mcp.json", bytes),
      (error: unknown) =>
        error instanceof VerificationError && error.code === "MALFORMED" &&
        error.message.includes(askedPath),
    );
  });
});
