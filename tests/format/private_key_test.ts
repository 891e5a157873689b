import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { join } from "node:path";
import { OPENSSH_KEY_BEGIN, OPENSSH_KEY_END } from "../../src/constants.ts";
import { generateSeed, publicKeyFromSeed } from "../../src/crypto/ed25519.ts";
import { ToolError } from "../../src/errors.ts";
import { armor, dearmor } from "../../src/format/armor.ts";
import { SshWriter } from "../../src/format/ssh_wire.ts";
import {
  formatPrivateKey,
  parsePrivateKey,
  type PrivateKey,
  readPrivateKeyHeader,
} from "../../src/format/private_key.ts";
import {
  encodePublicKeyBlob,
  formatPublicKeyLine,
  parsePublicKeyLine,
} from "../../src/format/public_key.ts";
import { runProcess } from "../../src/_runtime/process.ts";
import { generateKey } from "../support/ssh_keygen.ts";
import { assertToolError } from "../support/errors.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "private_key_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function sshKeygen(args: string[]): Promise<string> {
  const out = await runProcess("ssh-keygen", args);
  assertEquals(out.code, 0, out.stderr);
  return new TextDecoder().decode(out.stdout);
}

async function newKey(comment = "test"): Promise<PrivateKey> {
  const seed = generateSeed();
  return { seed, publicKey: await publicKeyFromSeed(seed), comment };
}

/** Every field of an openssh-key-v1 file, so a test can break exactly one. */
interface KeyLayout {
  magic: Uint8Array;
  cipher: string;
  kdf: string;
  kdfOptions: Uint8Array;
  publicBlobs: Uint8Array[];
  checkInts: [number, number];
  type: string;
  publicKey: Uint8Array;
  secret: Uint8Array;
  comment: string | Uint8Array;
  padding: number[] | "auto";
  afterSection: Uint8Array;
}

function layoutOf(key: PrivateKey): KeyLayout {
  const secret = new Uint8Array(64);
  secret.set(key.seed);
  secret.set(key.publicKey, 32);
  return {
    magic: new TextEncoder().encode("openssh-key-v1\0"),
    cipher: "none",
    kdf: "none",
    kdfOptions: new Uint8Array(),
    publicBlobs: [encodePublicKeyBlob(key.publicKey)],
    checkInts: [0x01020304, 0x01020304],
    type: "ssh-ed25519",
    publicKey: key.publicKey,
    secret,
    comment: key.comment,
    padding: "auto",
    afterSection: new Uint8Array(),
  };
}

function build(layout: KeyLayout): string {
  const section = new SshWriter()
    .uint32(layout.checkInts[0])
    .uint32(layout.checkInts[1])
    .text(layout.type)
    .bytes(layout.publicKey)
    .bytes(layout.secret)
    .bytes(
      typeof layout.comment === "string"
        ? new TextEncoder().encode(layout.comment)
        : layout.comment,
    )
    .finish();
  const padding = layout.padding === "auto"
    ? Array.from({ length: (8 - section.length % 8) % 8 }, (_, i) => i + 1)
    : layout.padding;
  const writer = new SshWriter()
    .raw(layout.magic)
    .text(layout.cipher)
    .text(layout.kdf)
    .bytes(layout.kdfOptions)
    .uint32(layout.publicBlobs.length);
  for (const blob of layout.publicBlobs) writer.bytes(blob);
  writer.bytes(
    new SshWriter().raw(section).raw(new Uint8Array(padding)).finish(),
  )
    .raw(layout.afterSection);
  return armor(writer.finish(), OPENSSH_KEY_BEGIN, OPENSSH_KEY_END);
}

Deno.test("the test layout builder reproduces a valid key", async () => {
  const key = await newKey("six ch"); // 7 padding bytes
  assertEquals(await parsePrivateKey(build(layoutOf(key)), "k"), key);
});

Deno.test("formatPrivateKey round-trips for every padding length", async () => {
  for (let length = 0; length < 9; length++) {
    const key = await newKey("c".repeat(length));
    assertEquals(await parsePrivateKey(formatPrivateKey(key), "k"), key);
  }
});

Deno.test("formatPrivateKey uses a fresh random check-int", async () => {
  const key = await newKey();
  assert(formatPrivateKey(key) !== formatPrivateKey(key));
});

Deno.test("formatPrivateKey refuses malformed keys", () => {
  for (
    const key of [
      { seed: new Uint8Array(31), publicKey: new Uint8Array(32), comment: "" },
      { seed: new Uint8Array(32), publicKey: new Uint8Array(33), comment: "" },
    ]
  ) {
    assertToolError(() => formatPrivateKey(key), "INVALID_KEY");
  }
});

Deno.test("a key made by ssh-keygen parses, and we write it back identically", async () => {
  await withTempDir(async (dir) => {
    const generated = await generateKey(dir, "alice@laptop");
    const text = await Deno.readTextFile(generated.privatePath);
    const key = await parsePrivateKey(text, generated.privatePath);
    assertEquals(key.comment, "alice@laptop");
    assertEquals(
      formatPublicKeyLine(key.publicKey, key.comment),
      generated.publicLine,
    );
    assertEquals(
      parsePublicKeyLine(generated.publicLine, generated.publicPath).key,
      key.publicKey,
    );
    // Identical but for the random check-int pair, at bytes 98 to 105:
    // magic 15, "none" 8, "none" 8, kdf options 4, count 4, public key 55, section length 4.
    const theirs = dearmor(text, OPENSSH_KEY_BEGIN, OPENSSH_KEY_END, "theirs");
    const ours = dearmor(
      formatPrivateKey(key),
      OPENSSH_KEY_BEGIN,
      OPENSSH_KEY_END,
      "ours",
    );
    assertEquals(ours.subarray(98, 102), ours.subarray(102, 106));
    ours.set(theirs.subarray(98, 106), 98);
    assertEquals(ours, theirs);
  });
});

Deno.test("ssh-keygen -y reads the keys we write", async () => {
  await withTempDir(async (dir) => {
    // Comment lengths 0 to 7 give every padding length.
    for (let length = 0; length < 8; length++) {
      const key = await newKey("k".repeat(length));
      const path = join(dir, `key${length}`);
      await Deno.writeTextFile(path, formatPrivateKey(key), { mode: 0o600 });
      const printed = await sshKeygen(["-y", "-f", path]);
      assertEquals(
        printed,
        `${formatPublicKeyLine(key.publicKey, key.comment)}\n`,
      );
    }
  });
});

Deno.test("an encrypted key with nobody to ask its passphrase is refused with advice", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "encrypted");
    await sshKeygen(["-q", "-t", "ed25519", "-N", "pass", "-f", path]);
    await assertToolError(
      parsePrivateKey(await Deno.readTextFile(path), path),
      "INVALID_KEY",
      `"${path}"`,
      "protected by a passphrase",
      "mcp-orchestration keys init",
    );
  });
});

const encoder = new TextEncoder();

Deno.test("keys ssh-keygen -N encrypts (aes256-ctr, bcrypt) read with their passphrase, as ssh-keygen -y does", async () => {
  await withTempDir(async (dir) => {
    // Several passphrases (empty-looking, long, non-ASCII) and KDF rounds.
    const cases: [string, string[]][] = [
      ["pass", []],
      ["a much longer passphrase with spaces, 'quotes' and ünïcödé", []],
      ["rounds", ["-a", "4"]],
      ["comment", ["-C", "someone@example.com with a longer comment"]],
    ];
    for (const [index, [passphrase, args]] of cases.entries()) {
      const path = join(dir, `encrypted${index}`);
      await sshKeygen([
        "-q",
        "-t",
        "ed25519",
        "-N",
        passphrase,
        "-f",
        path,
        ...args,
      ]);
      const text = await Deno.readTextFile(path);
      assertEquals(readPrivateKeyHeader(text, path).encrypted, true);
      let asked = 0;
      const key = await parsePrivateKey(text, path, {
        passphrase: () => {
          asked++;
          return Promise.resolve(encoder.encode(passphrase));
        },
      });
      assertEquals(asked, 1);
      assertEquals(
        `${formatPublicKeyLine(key.publicKey, key.comment)}\n`,
        await Deno.readTextFile(`${path}.pub`),
      );
      // The seed is the one ssh-keygen encrypted: decrypting with
      // ssh-keygen itself (-p -N "") gives the same key.
      const plain = join(dir, `plain${index}`);
      await Deno.copyFile(path, plain);
      await sshKeygen(["-q", "-p", "-P", passphrase, "-N", "", "-f", plain]);
      const unencrypted = await parsePrivateKey(
        await Deno.readTextFile(plain),
        plain,
      );
      assertEquals(key.seed, unencrypted.seed);
    }
  });
});

Deno.test("a wrong passphrase is refused by the check-ints", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "encrypted");
    await sshKeygen(["-q", "-t", "ed25519", "-N", "right", "-f", path]);
    for (const wrong of ["wrong", "", "right\n", "Right"]) {
      await assertToolError(
        parsePrivateKey(await Deno.readTextFile(path), path, {
          passphrase: () => Promise.resolve(encoder.encode(wrong)),
        }),
        "INVALID_KEY",
        `"${path}"`,
        "wrong passphrase",
      );
    }
  });
});

Deno.test("another cipher than aes256-ctr is refused by name, with the way to re-encrypt", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "gcm");
    await sshKeygen([
      "-q",
      "-t",
      "ed25519",
      "-N",
      "pass",
      "-Z",
      "aes256-gcm@openssh.com",
      "-f",
      path,
    ]);
    await assertToolError(
      parsePrivateKey(await Deno.readTextFile(path), path, {
        passphrase: () => Promise.resolve(encoder.encode("pass")),
      }),
      "INVALID_KEY",
      '"aes256-gcm@openssh.com"',
      "ssh-keygen -p -Z aes256-ctr",
    );
  });
});

Deno.test("RSA and ECDSA private keys are refused, naming their type", async () => {
  await withTempDir(async (dir) => {
    const cases: [string, string[], string][] = [
      ["rsa", ["-t", "rsa", "-b", "1024"], '"ssh-rsa"'],
      ["ecdsa", ["-t", "ecdsa"], '"ecdsa-sha2-nistp256"'],
    ];
    for (const [name, args, type] of cases) {
      const path = join(dir, name);
      await sshKeygen(["-q", "-N", "", "-f", path, ...args]);
      await assertToolError(
        parsePrivateKey(await Deno.readTextFile(path), path),
        "INVALID_KEY",
        type,
        'only "ssh-ed25519"',
      );
    }
  });
});

Deno.test("a PEM-format key is refused at its armor", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "pem");
    await sshKeygen(["-q", "-t", "ecdsa", "-m", "PEM", "-N", "", "-f", path]);
    await assertToolError(
      parsePrivateKey(await Deno.readTextFile(path), path),
      "INVALID_FORMAT",
      "-----BEGIN EC PRIVATE KEY-----",
    );
  });
});

const other = await newKey();
const BROKEN: {
  name: string;
  change: (layout: KeyLayout) => void;
  code: "INVALID_FORMAT" | "INVALID_KEY";
  fragment: string;
}[] = [
  {
    name: "wrong magic",
    change: (l) => l.magic = new TextEncoder().encode("openssh-key-v2\0"),
    code: "INVALID_FORMAT",
    fragment: "openssh-key-v1",
  },
  {
    name: "magic with a newline for its NUL",
    change: (l) => l.magic = new TextEncoder().encode("openssh-key-v1\n"),
    code: "INVALID_FORMAT",
    fragment: "openssh-key-v1",
  },
  {
    name: "a cipher with KDF none",
    change: (l) => l.cipher = "aes256-ctr",
    code: "INVALID_KEY",
    fragment: "encrypted",
  },
  {
    name: "a KDF with cipher none",
    change: (l) => l.kdf = "bcrypt",
    code: "INVALID_KEY",
    fragment: "encrypted",
  },
  {
    name: "KDF options with KDF none",
    change: (l) => l.kdfOptions = new Uint8Array([0]),
    code: "INVALID_FORMAT",
    fragment: "KDF options",
  },
  {
    name: "no key",
    change: (l) => l.publicBlobs = [],
    code: "INVALID_KEY",
    fragment: "0 keys",
  },
  {
    name: "two keys",
    change: (l) =>
      l.publicBlobs = [l.publicBlobs[0]!, encodePublicKeyBlob(other.publicKey)],
    code: "INVALID_KEY",
    fragment: "2 keys",
  },
  {
    name: "differing check-ints",
    change: (l) => l.checkInts = [1, 2],
    code: "INVALID_FORMAT",
    fragment: "check-ints",
  },
  {
    name: "a private type other than ssh-ed25519",
    change: (l) => l.type = "ssh-rsa",
    code: "INVALID_KEY",
    fragment: '"ssh-rsa"',
  },
  {
    name: "a 31-byte public key in the private section",
    change: (l) => l.publicKey = l.publicKey.subarray(1),
    code: "INVALID_FORMAT",
    fragment: "31 bytes",
  },
  {
    name: "a 32-byte secret (seed without public key)",
    change: (l) => l.secret = l.secret.subarray(0, 32),
    code: "INVALID_FORMAT",
    fragment: "32 bytes, expected 64",
  },
  {
    name: "another public key in the private section",
    change: (l) => l.publicKey = other.publicKey,
    code: "INVALID_KEY",
    fragment: "does not match",
  },
  {
    name: "another public key after the seed",
    change: (l) => l.secret.set(other.publicKey, 32),
    code: "INVALID_KEY",
    fragment: "does not match",
  },
  {
    name: "a seed that is not the public key's",
    change: (l) => l.secret.set(other.seed),
    code: "INVALID_KEY",
    fragment: "does not match",
  },
  {
    name: "another public key in the public section",
    change: (l) => l.publicBlobs = [encodePublicKeyBlob(other.publicKey)],
    code: "INVALID_KEY",
    fragment: "does not match",
  },
  {
    name: "padding with the wrong bytes",
    change: (l) => l.padding = [0, 0, 0, 0, 0, 0, 0],
    code: "INVALID_FORMAT",
    fragment: "padding",
  },
  {
    name: "padding of a whole extra block",
    change: (l) =>
      l.padding = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    code: "INVALID_FORMAT",
    fragment: "padding",
  },
  {
    name: "a private section not in 8-byte blocks",
    change: (l) => l.padding = [1, 2, 3, 4, 5, 6],
    code: "INVALID_FORMAT",
    fragment: "multiple of 8",
  },
  {
    name: "bytes after the private section",
    change: (l) => l.afterSection = new Uint8Array(8),
    code: "INVALID_FORMAT",
    fragment: "8 unexpected bytes after the private section",
  },
  {
    name: "a comment that is not UTF-8",
    change: (l) =>
      l.comment = new Uint8Array([0x73, 0x69, 0x78, 0xff, 0x63, 0x68]),
    code: "INVALID_FORMAT",
    fragment: '"comment" is not valid UTF-8',
  },
];

for (const { name, change, code, fragment } of BROKEN) {
  Deno.test(`parsePrivateKey rejects ${name}`, async () => {
    // A 6-byte comment makes the section 137 bytes, so 7 padding bytes.
    const layout = layoutOf(await newKey("six ch"));
    change(layout);
    await assertToolError(
      parsePrivateKey(build(layout), "dir/signing.key"),
      code,
      '"dir/signing.key"',
      fragment,
    );
  });
}

Deno.test("parsePrivateKey rejects truncation at every byte", async () => {
  const text = formatPrivateKey(await newKey());
  const blob = dearmor(text, OPENSSH_KEY_BEGIN, OPENSSH_KEY_END, "k");
  for (let length = 0; length < blob.length; length++) {
    const truncated = armor(
      blob.subarray(0, length),
      OPENSSH_KEY_BEGIN,
      OPENSSH_KEY_END,
    );
    await assertRejects(parsePrivateKey(truncated, "k"), ToolError);
  }
});
