/**
 * Properties of verification over one real signed repository, run in-process
 * through the library API for speed: any single-byte change to the config,
 * its artifact, its statement, its signature or the index makes verification
 * fail with the code that the changed byte's place calls for, and the
 * untouched repository always verifies. Each run changes one
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
  type VerifyCode,
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

// Where an SSHSIG blob (Ed25519, namespace "mcp-orchestration") can change
// and still parse: "SSHSIG", version, string public key (string
// "ssh-ed25519", string key[32]), string namespace, string reserved, string
// hash algorithm, string signature (string "ssh-ed25519", string raw[64]).
// A change there is a signature that does not verify; anywhere else in the
// blob, or in a way the parser refuses, the file is malformed.
const SSHSIG_KEY = [33, 65] as const;
const SSHSIG_NAMESPACE = [69, 86] as const;
const SSHSIG_RAW_SIGNATURE_BYTES = 64;

/** The armored body's bytes, if it is canonical base64 between the two armor lines. */
function armoredBody(text: string): Uint8Array | undefined {
  const lines = text.split("\n");
  if (
    lines[0] !== "-----BEGIN SSH SIGNATURE-----" ||
    lines.at(-2) !== "-----END SSH SIGNATURE-----" || lines.at(-1) !== ""
  ) return undefined;
  const body = lines.slice(1, -2).join("");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  let binary: string;
  try {
    binary = atob(body);
  } catch {
    return undefined;
  }
  // Not canonical (padding, unused bits): refused.
  if (btoa(binary) !== body) return undefined;
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/**
 * The codes a one-byte change may give, worked out from the file's layout
 * alone (not from the verifier): one code, except for an index path changed
 * to a character a path may or may not hold.
 */
function expectedCodes(
  kind: string,
  original: Uint8Array,
  offset: number,
  value: number,
): VerifyCode[] {
  switch (kind) {
    case "config":
      return ["TAMPERED"];
    case "artifact":
      return ["MISSING_ARTIFACT"];
    case "statement":
      // It no longer hashes to its name.
      return ["MALFORMED"];
    case "index": {
      // "<header>\n<id> <path>\n": a changed path is another config's line.
      const text = new TextDecoder().decode(original);
      const pathStart = text.lastIndexOf(" ") + 1;
      if (offset < pathStart || offset >= text.length - 1) return ["MALFORMED"];
      return /^[A-Za-z0-9_-]$/.test(String.fromCharCode(value))
        ? ["UNSIGNED"]
        : ["UNSIGNED", "MALFORMED"];
    }
    case "signature": {
      const before = armoredBody(new TextDecoder().decode(original))!;
      const changed = original.slice();
      changed[offset] = value;
      const after = armoredBody(new TextDecoder().decode(changed));
      if (!after || after.length !== before.length) return ["MALFORMED"];
      const at = [...before.keys()].filter((i) => before[i] !== after[i]);
      const within = ([from, to]: readonly [number, number]) =>
        at.length > 0 && at.every((i) => i >= from && i < to);
      if (within(SSHSIG_NAMESPACE)) {
        const namespace = after.subarray(...SSHSIG_NAMESPACE);
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(namespace);
          return ["BAD_SIGNATURE"];
        } catch {
          return ["MALFORMED"];
        }
      }
      const raw = [
        before.length - SSHSIG_RAW_SIGNATURE_BYTES,
        before.length,
      ] as const;
      return within(SSHSIG_KEY) || within(raw)
        ? ["BAD_SIGNATURE"]
        : ["MALFORMED"];
    }
  }
  throw new Error(`Unknown file kind "${kind}"`);
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
            const expected = expectedCodes(kind, original, offset, value);
            assert.ok(
              expected.includes(result.code!),
              `${kind} byte ${offset} changed from ${
                original[offset]
              } to ${value}: ${result.code}, expected ${expected.join(" or ")}`,
            );
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
