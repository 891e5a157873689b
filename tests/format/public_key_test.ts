import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { join } from "node:path";
import { publicKeyFromSeed } from "../../src/crypto/ed25519.ts";
import { encodeBase64 } from "../../src/format/base64.ts";
import { SshWriter } from "../../src/format/ssh_wire.ts";
import {
  decodePublicKeyBlob,
  encodePublicKeyBlob,
  formatPublicKeyLine,
  keyId,
  parsePublicKeyLine,
} from "../../src/format/public_key.ts";
import { runProcess } from "../../src/_runtime/process.ts";
import { generateKey } from "../support/ssh_keygen.ts";
import { assertToolError } from "../support/errors.ts";

async function keygen(
  dir: string,
  name: string,
  args: string[],
): Promise<string> {
  const path = join(dir, name);
  const out = await runProcess("ssh-keygen", [
    "-q",
    "-N",
    "",
    "-C",
    name,
    "-f",
    path,
    ...args,
  ]);
  assertEquals(out.code, 0, out.stderr);
  return (await Deno.readTextFile(`${path}.pub`)).trim();
}

const KEY = new Uint8Array(32).map((_, i) => i);

Deno.test('the public key blob is string "ssh-ed25519" ‖ string key', () => {
  const blob = encodePublicKeyBlob(KEY);
  assertEquals(
    blob,
    new SshWriter().text("ssh-ed25519").bytes(KEY).finish(),
  );
  assertEquals(decodePublicKeyBlob(blob, "a.pub"), KEY);
});

Deno.test("encodePublicKeyBlob refuses keys that are not 32 bytes", () => {
  for (const length of [0, 31, 33]) {
    assertToolError(
      () => encodePublicKeyBlob(new Uint8Array(length)),
      "INVALID_KEY",
    );
  }
});

const BAD_BLOBS: [string, Uint8Array, string[]][] = [
  ["empty", new Uint8Array(), ["truncated"]],
  [
    "RSA",
    new SshWriter().text("ssh-rsa").bytes(new Uint8Array([1, 0, 1])).bytes(KEY)
      .finish(),
    ['"ssh-rsa"', "only", "ssh-ed25519"],
  ],
  [
    "ECDSA",
    new SshWriter().text("ecdsa-sha2-nistp256").text("nistp256").bytes(
      new Uint8Array(65),
    ).finish(),
    ['"ecdsa-sha2-nistp256"'],
  ],
  [
    "certificate",
    new SshWriter().text("ssh-ed25519-cert-v01@openssh.com").bytes(KEY)
      .finish(),
    ['"ssh-ed25519-cert-v01@openssh.com"'],
  ],
  [
    "31-byte key",
    new SshWriter().text("ssh-ed25519").bytes(KEY.subarray(1)).finish(),
    ["31 bytes, expected 32"],
  ],
  [
    "33-byte key",
    new SshWriter().text("ssh-ed25519").bytes(new Uint8Array(33)).finish(),
    ["33 bytes, expected 32"],
  ],
  ["truncated key", encodePublicKeyBlob(KEY).subarray(0, 40), ["truncated"]],
  [
    "trailing bytes",
    new SshWriter().raw(encodePublicKeyBlob(KEY)).uint32(0).finish(),
    ["4 unexpected bytes"],
  ],
];

for (const [name, blob, fragments] of BAD_BLOBS) {
  Deno.test(`decodePublicKeyBlob rejects a ${name} blob`, () => {
    assertToolError(
      () => decodePublicKeyBlob(blob, "k.pub"),
      "INVALID_FORMAT",
      '"k.pub"',
      ...fragments,
    );
  });
}

Deno.test("public key lines round-trip, with and without comment", () => {
  for (const comment of ["", "me@host", "two words", "tab\there", "é ✓"]) {
    const line = formatPublicKeyLine(KEY, comment);
    assertEquals(parsePublicKeyLine(line, "a.pub"), { key: KEY, comment });
    assertEquals(parsePublicKeyLine(`${line}\n`, "a.pub").comment, comment);
  }
  assertEquals(formatPublicKeyLine(KEY), formatPublicKeyLine(KEY, ""));
  assert(
    !formatPublicKeyLine(KEY).includes(" ", 12),
    "no separator without comment",
  );
});

Deno.test("formatPublicKeyLine refuses a comment that spans lines", () => {
  for (const comment of ["a\nb", "a\rb", "a\0b", "a\x7fb"]) {
    assertToolError(() => formatPublicKeyLine(KEY, comment), "INVALID_FORMAT");
  }
});

const blob64 = encodeBase64(encodePublicKeyBlob(KEY));
const rsaBlob64 = encodeBase64(
  new SshWriter().text("ssh-rsa").bytes(new Uint8Array([1, 0, 1])).bytes(KEY)
    .finish(),
);
const BAD_LINES: [string, string, string[]][] = [
  ["an empty line", "", ["expected"]],
  ["a type only", "ssh-ed25519", ["expected"]],
  ["a leading space", ` ssh-ed25519 ${blob64}`, ["expected"]],
  ["an RSA line", `ssh-rsa ${rsaBlob64} me`, ['"ssh-rsa"', "only"]],
  ["a line saying ed25519 over an RSA blob", `ssh-ed25519 ${rsaBlob64}`, [
    '"ssh-ed25519"',
    '"ssh-rsa"',
  ]],
  ["a truncated blob", `ssh-ed25519 ${blob64.slice(0, 64)}`, ["truncated"]],
  // An Ed25519 blob is 51 bytes, so its base64 never has padding.
  ["base64 with a character missing", `ssh-ed25519 ${blob64.slice(1)}`, [
    "base64",
  ]],
  ["base64 with padding added", `ssh-ed25519 ${blob64}====`, ["base64"]],
  ["URL-safe base64", `ssh-ed25519 ${blob64.replace("C3", "-_")}`, ["base64"]],
  ["two lines", `ssh-ed25519 ${blob64} a\nssh-ed25519 ${blob64} b`, [
    "more than one line",
  ]],
  ["a CR inside", `ssh-ed25519 ${blob64} a\rb`, ["control"]],
  ["options before the type", `namespaces="x" ssh-ed25519 ${blob64}`, [
    '"namespaces=\\"x\\""',
  ]],
];

for (const [name, line, fragments] of BAD_LINES) {
  Deno.test(`parsePublicKeyLine rejects ${name}`, () => {
    assertToolError(
      () => parsePublicKeyLine(line, "k.pub"),
      "INVALID_FORMAT",
      '"k.pub"',
      ...fragments,
    );
  });
}

Deno.test("keys made by ssh-keygen: lines, blobs and key ids agree", async () => {
  const dir = await Deno.makeTempDir({ prefix: "public_key_test_" });
  try {
    for (const name of ["alice", "bob", "carol"]) {
      const generated = await generateKey(dir, name);
      const parsed = parsePublicKeyLine(
        await Deno.readTextFile(generated.publicPath),
        generated.publicPath,
      );
      assertEquals(parsed.comment, name);
      assertEquals(
        formatPublicKeyLine(parsed.key, parsed.comment),
        generated.publicLine,
      );
      assertEquals(await keyId(parsed.key), generated.fingerprint);
    }
    // With an empty comment ssh-keygen writes a trailing space.
    const bare = join(dir, "bare");
    const out = await runProcess("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "",
      "-f",
      bare,
    ]);
    assertEquals(out.code, 0, out.stderr);
    const text = await Deno.readTextFile(`${bare}.pub`);
    const parsed = parsePublicKeyLine(text, `${bare}.pub`);
    assertEquals(parsed.comment, "");
    assertEquals(`${formatPublicKeyLine(parsed.key)} \n`, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keyId of our own key matches ssh-keygen -lf", async () => {
  const dir = await Deno.makeTempDir({ prefix: "public_key_test_" });
  try {
    const key = await publicKeyFromSeed(
      crypto.getRandomValues(new Uint8Array(32)),
    );
    const path = join(dir, "ours.pub");
    await Deno.writeTextFile(path, `${formatPublicKeyLine(key, "ours")}\n`);
    const out = await runProcess("ssh-keygen", ["-lf", path]);
    assertEquals(out.code, 0, out.stderr);
    const printed = new TextDecoder().decode(out.stdout);
    assertEquals(printed, `256 ${await keyId(key)} ours (ED25519)\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RSA and ECDSA public keys from ssh-keygen are refused clearly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "public_key_test_" });
  try {
    const cases: [string, string[], string][] = [
      ["rsa", ["-t", "rsa", "-b", "1024"], "ssh-rsa"],
      ["ecdsa", ["-t", "ecdsa"], "ecdsa-sha2-nistp256"],
    ];
    for (const [name, args, type] of cases) {
      const line = await keygen(dir, name, args);
      assertToolError(
        () => parsePublicKeyLine(line, `${name}.pub`),
        "INVALID_FORMAT",
        `"${type}"`,
        'only "ssh-ed25519"',
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
