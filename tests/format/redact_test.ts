import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  REDACTED_PRIVATE_KEY,
  redactPrivateKeys,
} from "../../src/format/redact.ts";

const OPENSSH = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACARh9WY+kNVj36dwoNTI0cjbQMh8zxor78dj2NHaqHWGgAAAJDk9BH15PQR
9QAAAAtzc2gtZWQyNTUxOQAAACARh9WY+kNVj36dwoNTI0cjbQMh8zxor78dj2NHaqHWGg
AAAEDP0l/iiKhLUuwaDK3BoXUbz8cmcDEyMvMhrn8oVCTZ4hGH1Zj6Q1WPfp3Cg1MjRyNt
AyHzPGivvx2PY0dqodYaAAAAC3NpZ25pbmcua2V5AQI=
-----END OPENSSH PRIVATE KEY-----`;

function pem(
  type: "ed25519" | "rsa" | "ec",
  format: "pkcs8" | "pkcs1" | "sec1",
) {
  const { privateKey, publicKey } = type === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: 1024 })
    : type === "ec"
    ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : generateKeyPairSync("ed25519");
  return {
    private: String(privateKey.export({ format: "pem", type: format })).trim(),
    public: String(publicKey.export({ format: "pem", type: "spki" })).trim(),
  };
}

/** The base64 body of an armored block, on one line. */
function body(armored: string): string {
  return armored.split("\n").filter((line) => !line.startsWith("-----")).join(
    "",
  );
}

function assertRedacted(text: string, secret: string): string {
  const out = redactPrivateKeys(text);
  const compact = body(secret).replace(/\s/g, "");
  for (let at = 0; at + 16 <= compact.length; at += 4) {
    assert.ok(
      !out.replace(/\s|\\+[nrt]|%0[AD]/g, "").includes(
        compact.slice(at, at + 16),
      ),
      `not redacted: ${out}`,
    );
  }
  assert.ok(out.includes(REDACTED_PRIVATE_KEY), out);
  return out;
}

Deno.test("redactPrivateKeys: an armored OpenSSH key, with the text around it kept", () => {
  assert.equal(
    redactPrivateKeys(`Unknown option '${OPENSSH}'\nSee "x --help".`),
    `Unknown option '${REDACTED_PRIVATE_KEY}'\nSee "x --help".`,
  );
});

Deno.test("redactPrivateKeys: PEM private keys (PKCS#8, PKCS#1, SEC1), armored or bare", () => {
  for (
    const [type, format] of [
      ["ed25519", "pkcs8"],
      ["rsa", "pkcs8"],
      ["rsa", "pkcs1"],
      ["ec", "sec1"],
      ["ec", "pkcs8"],
    ] as const
  ) {
    const key = pem(type, format);
    assertRedacted(`got "${key.private}"`, key.private);
    assertRedacted(`got "${body(key.private)}"`, key.private);
    // One line per 64 characters, as in the file, without the header.
    const lines = key.private.split("\n").slice(1, -1).join("\n");
    assertRedacted(`got "${lines}" and more`, key.private);
    // Public keys are not secrets: they stay.
    assert.equal(redactPrivateKeys(key.public), key.public);
    assert.equal(redactPrivateKeys(body(key.public)), body(key.public));
  }
});

Deno.test("redactPrivateKeys: the OpenSSH body without its header, wherever it starts", () => {
  const bare = body(OPENSSH);
  assertRedacted(bare, OPENSSH);
  assertRedacted(`No private key at "/tmp/dir/${bare}"`, OPENSSH);
  assertRedacted(
    OPENSSH.split("\n").slice(1, -1).join("\n"),
    OPENSSH,
  );
});

Deno.test("redactPrivateKeys: keys escaped in JSON (once or twice) and in GitHub annotations", () => {
  const once = JSON.stringify({ message: `Unknown option '${OPENSSH}'` });
  const out = assertRedacted(once, OPENSSH);
  assert.equal(
    JSON.parse(out).message,
    `Unknown option '${REDACTED_PRIVATE_KEY}'`,
  );
  const twice = JSON.stringify({ message: JSON.stringify(OPENSSH) });
  JSON.parse(assertRedacted(twice, OPENSSH));
  assertRedacted(OPENSSH.replaceAll("\n", "%0A"), OPENSSH);
});

Deno.test("redactPrivateKeys: a raw seed in hex or base64 after a private key header", () => {
  const hex = "9f".repeat(32);
  const seed = btoa(String.fromCharCode(...new Uint8Array(64).fill(7)));
  for (const raw of [hex, hex + hex, seed]) {
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${raw}\n`;
    const out = redactPrivateKeys(`got '${text}' here`);
    assert.ok(!out.includes(raw.slice(0, 16)), out);
    assert.ok(out.endsWith("' here"), out);
    const bare = redactPrivateKeys(`BEGIN PRIVATE KEY ${raw}`);
    assert.equal(bare, REDACTED_PRIVATE_KEY, "a header without its dashes");
  }
});

Deno.test("redactPrivateKeys: a raw Ed25519 seed after its key type", () => {
  const hex = "3c".repeat(32);
  const b64 = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));
  const b64Long = btoa(String.fromCharCode(...new Uint8Array(64).fill(9)));
  for (const seed of [hex, hex + hex, b64, b64.replace("=", ""), b64Long]) {
    for (const prefix of ["ed25519 ", "ssh-ed25519 ", "ED25519:", "ed25519="]) {
      const out = redactPrivateKeys(`Invalid key "${prefix}${seed}"`);
      assert.equal(out, `Invalid key "${prefix}${REDACTED_PRIVATE_KEY}"`);
    }
  }
});

Deno.test("redactPrivateKeys: leaves public keys, key ids, commit ids and prose alone", () => {
  for (
    const text of [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGH1Zj6Q1WPfp3Cg1MjRyNtAyHzPGivvx2PY0dqodYa a@b",
      "key SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU is not trusted",
      "commit 0123456789abcdef0123456789abcdef01234567 failed",
      "MIIE is a word; MCP configs are signed",
      "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg\n-----END SSH SIGNATURE-----",
    ]
  ) {
    assert.equal(redactPrivateKeys(text), text);
  }
});

Deno.test("redactPrivateKeys stays linear on hostile text (headers without footers, long runs)", () => {
  const started = performance.now();
  const headers = "-----BEGIN PRIVATE KEY----- ".repeat(20_000);
  assert.ok(redactPrivateKeys(headers).includes(REDACTED_PRIVATE_KEY));
  redactPrivateKeys("BEGIN AAAA ".repeat(50_000));
  redactPrivateKeys(`${"M".repeat(16)} ${"Mabcdefgh ".repeat(50_000)}`);
  // Quadratic work on any of these takes minutes.
  assert.ok(performance.now() - started < 5_000);
});

Deno.test("redactPrivateKeys: two keys are two blocks, and the text between them stays", () => {
  assert.equal(
    redactPrivateKeys(`${OPENSSH} and ${OPENSSH}`),
    `${REDACTED_PRIVATE_KEY} and ${REDACTED_PRIVATE_KEY}`,
  );
});

Deno.test("redactPrivateKeys: OpenPGP key blocks, PuTTY's .ppk and a key file in base64 (red team 5)", () => {
  const secret = body(OPENSSH);
  const pgp = [
    "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "",
    ...secret.match(/.{1,64}/g)!,
    "=AbCd",
    "-----END PGP PRIVATE KEY BLOCK-----",
  ].join("\n");
  assertRedacted(`principal "${pgp}" is not valid`, OPENSSH);
  const ppk = [
    "PuTTY-User-Key-File-3: ssh-ed25519",
    "Encryption: none",
    "Comment: k",
    "Public-Lines: 2",
    "AAAAC3NzaC1lZDI1NTE5AAAAIBGH1Zj6Q1WPfp3Cg1MjRyNtAyHzPGivvx2PY0dqodYa",
    "Private-Lines: 1",
    "AAAAIM/SX+KIqEtS7BoMrcGhdRvPxyZwMTIy8yGufyhUJNni",
    "Private-MAC: 0123abcd",
  ].join("\n");
  const shown = redactPrivateKeys(ppk);
  assert.ok(!shown.includes("AAAAIM/SX+KIqEtS"), shown);
  assert.ok(shown.includes(REDACTED_PRIVATE_KEY), shown);
  assert.ok(shown.includes("Public-Lines: 2"), shown);
  // A whole key file, base64-encoded as a CI secret holds it.
  const key = pem("ed25519", "pkcs8");
  const encoded = btoa(`${key.private}\n`);
  const out = redactPrivateKeys(
    `Cannot read the key "${encoded}": no such file`,
  );
  assert.equal(
    out,
    `Cannot read the key "${REDACTED_PRIVATE_KEY}": no such file`,
  );
  // A public key file encoded the same way is not a secret: it stays.
  const publicEncoded = btoa(`${key.public}\n`);
  assert.equal(redactPrivateKeys(publicEncoded), publicEncoded);
});
