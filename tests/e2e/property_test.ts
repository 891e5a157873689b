/**
 * Properties of verification over one real signed repository, run in-process
 * through the library API for speed: any single-byte change to the config,
 * its artifact, its statement, its signature or the index makes verification
 * fail, and the untouched repository always verifies. Each run changes one
 * byte, verifies, and restores the file. fast-check prints the seed and the
 * counterexample of a failing run, so `fc.assert(…, { seed, path })`
 * replays it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  addTrustedKey,
  findRepository,
  initKey,
  loadSigningKey,
  type Repository,
  signConfigs,
  verifyRepository,
  type VerifyResult,
} from "../../mod.ts";
import { fc } from "../support/deps.ts";
import { createTempRepo } from "../support/repo.ts";

const CONFIG_PATH = ".mcp.json";
const CONFIG =
  '{"mcpServers":{"files":{"command":"npx","args":["-y","@modelcontextprotocol/server-filesystem","."]}}}\n';
const RUNS_PER_FILE = 250;

interface SignedRepo {
  repo: Repository;
  /** File kind → repository-relative path. */
  files: Record<string, string>;
}

async function signedRepo(root: string, home: string): Promise<SignedRepo> {
  await Deno.writeTextFile(join(root, CONFIG_PATH), CONFIG);
  const { created } = await initKey({ home });
  const repo = await findRepository(root);
  await addTrustedKey(repo, created.publicKeyPath, {
    principal: "alice@example.com",
  });
  const key = await loadSigningKey({ home });
  // Only the config: the index then holds its line alone, so every byte of
  // the index matters to it (the trust list's line is history's concern).
  const report = await signConfigs(repo, {
    key,
    cwd: root,
    paths: [CONFIG_PATH],
  });
  const signed = report.results[0];
  assert.ok(
    signed && report.results.length === 1 && !report.untrusted,
    JSON.stringify(report),
  );
  return {
    repo,
    files: {
      config: CONFIG_PATH,
      artifact: `.mcp-orchestration/artifacts/${signed.artifact}`,
      statement: `.mcp-orchestration/statements/${signed.statementId}`,
      signature: `.mcp-orchestration/statements/${signed.statementId}.sig`,
      index: ".mcp-orchestration/index",
    },
  };
}

async function verifyConfig(repo: Repository): Promise<VerifyResult> {
  // Naming the path skips git's file listing, which would dominate each run.
  const results = await verifyRepository(repo, {
    cwd: repo.root,
    paths: [CONFIG_PATH],
  });
  assert.equal(results.length, 1);
  return results[0]!;
}

/** Writes `bytes` with one byte replaced, runs `fn`, and always restores `bytes`. */
async function withByte<T>(
  file: string,
  bytes: Uint8Array,
  change: { offset: number; value: number },
  fn: () => Promise<T>,
): Promise<T> {
  const changed = bytes.slice();
  changed[change.offset] = change.value;
  await Deno.writeFile(file, changed);
  try {
    return await fn();
  } finally {
    await Deno.writeFile(file, bytes);
  }
}

Deno.test("property: every single-byte change to a signed config's files fails verification", async (t) => {
  const temp = await createTempRepo();
  try {
    const { repo, files } = await signedRepo(temp.root, temp.home);
    assert.equal((await verifyConfig(repo)).ok, true);

    for (const [kind, path] of Object.entries(files)) {
      const file = join(repo.root, path);
      const original = await Deno.readFile(file);
      await t.step(`${kind} (${original.length} bytes)`, async () => {
        const change = fc.record({
          offset: fc.nat({ max: original.length - 1 }),
          delta: fc.integer({ min: 1, max: 255 }),
        });
        await fc.assert(
          fc.asyncProperty(change, async ({ offset, delta }) => {
            const value = (original[offset]! + delta) % 256;
            const result = await withByte(
              file,
              original,
              { offset, value },
              () => verifyConfig(repo),
            );
            assert.equal(
              result.ok,
              false,
              `${kind} byte ${offset} changed from ${
                original[offset]
              } to ${value}, yet it verified`,
            );
            assert.ok(result.code, "a failed result has a code");
          }),
          { numRuns: RUNS_PER_FILE },
        );
        // Restored: the repository verifies again.
        assert.equal((await verifyConfig(repo)).ok, true);
      });
    }
  } finally {
    await temp.cleanup();
  }
});

Deno.test("property: the untouched signed repository always verifies", async () => {
  // The control for the property above: the same rewrite with the byte's own
  // value (no change) must verify, so a verifier that fails everything fails here.
  const temp = await createTempRepo();
  try {
    const { repo, files } = await signedRepo(temp.root, temp.home);
    const originals = new Map<string, Uint8Array>();
    for (const path of Object.values(files)) {
      originals.set(path, await Deno.readFile(join(repo.root, path)));
    }
    const pick = fc.constantFrom(...Object.values(files)).chain((path) =>
      fc.record({
        path: fc.constant(path),
        offset: fc.nat({ max: originals.get(path)!.length - 1 }),
      })
    );
    await fc.assert(
      fc.asyncProperty(pick, async ({ path, offset }) => {
        const bytes = originals.get(path)!;
        const result = await withByte(
          join(repo.root, path),
          bytes,
          { offset, value: bytes[offset]! },
          () => verifyConfig(repo),
        );
        assert.equal(result.ok, true, `${result.code}: ${result.reason}`);
        assert.equal(result.code, undefined);
        assert.deepEqual(result.principals, ["alice@example.com"]);
      }),
      { numRuns: 100 },
    );
  } finally {
    await temp.cleanup();
  }
});
