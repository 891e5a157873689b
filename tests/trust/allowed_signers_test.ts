import {
  deepEqual,
  equal,
  match,
  notEqual,
  ok,
  throws,
} from "node:assert/strict";
import { parsePublicKeyLine } from "../../src/format/public_key.ts";
import {
  addAllowedSigner,
  type AllowedSigner,
  findSigner,
  formatAllowedSigner,
  parseAllowedSigners,
  removeAllowedSigners,
  validatePrincipal,
} from "../../src/trust/allowed_signers.ts";
import { writeStdin } from "../support/process.ts";

const SOURCE = ".mcp-orchestration/allowed_signers";
const NS = "mcp-orchestration";
const DAY = 86_400_000;

// --- Fixture: real keys and signatures from ssh-keygen, in a temporary folder ---

interface Key {
  /** Private key file. */
  path: string;
  /** `type base64`, as in the .pub file without its comment. */
  pub: string;
  type: string;
  base64: string;
  /** The 32-byte Ed25519 key, or null for other types. */
  key: Uint8Array | null;
  /** `ssh-keygen -lf`'s fingerprint. */
  fingerprint: string;
}

interface Fixture {
  dir: string;
  alice: Key;
  bob: Key;
  rsa: Key;
  /** Path of a signature of `message` by `key` in `namespace` (made once). */
  sign(key: Key, namespace: string): Promise<string>;
  /** Runs `ssh-keygen -Y verify` on `message` against an allowed_signers text. */
  sshVerify(
    text: string,
    options: { principal: string; namespace?: string; signer?: Key; at?: Date },
  ): Promise<{ ok: boolean; output: string }>;
}

const message = new TextEncoder().encode('{"mcpServers":{}}\n');

async function run(
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("ssh-keygen", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) await writeStdin(child, stdin);
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

async function makeKey(dir: string, name: string, type: string): Promise<Key> {
  const path = `${dir}/${name}`;
  const made = await run([
    "-q",
    "-t",
    type,
    ...(type === "rsa" ? ["-b", "2048"] : []),
    "-N",
    "",
    "-C",
    name,
    "-f",
    path,
  ]);
  equal(made.code, 0, made.output);
  const line = (await Deno.readTextFile(`${path}.pub`)).trim();
  const [keyType = "", base64 = ""] = line.split(" ");
  const listed = await run(["-lf", `${path}.pub`]);
  equal(listed.code, 0, listed.output);
  const fingerprint = listed.output.split(" ")[1] ?? "";
  match(fingerprint, /^SHA256:/);
  return {
    path,
    pub: `${keyType} ${base64}`,
    type: keyType,
    base64,
    key: keyType === "ssh-ed25519"
      ? parsePublicKeyLine(line, `${path}.pub`).key
      : null,
    fingerprint,
  };
}

// Made once for the whole file: three ssh-keygen keys (one RSA) per test
// cost seconds and tell nothing more. Tests only read the keys; signatures
// are made once per key and namespace, and each sshVerify writes its own
// allowed_signers file, so sharing the folder is safe (tests in one file run
// one after another).
let shared: Promise<Fixture> | undefined;

async function withFixture(
  test: (fx: Fixture) => void | Promise<void>,
): Promise<void> {
  if (shared === undefined) {
    const dir = await Deno.makeTempDir({ prefix: "allowed_signers_test_" });
    // The module's end, whichever test ran last.
    globalThis.addEventListener("unload", () => {
      Deno.removeSync(dir, { recursive: true });
    });
    shared = makeFixture(dir);
  }
  await test(await shared);
}

async function makeFixture(dir: string): Promise<Fixture> {
  await Deno.writeFile(`${dir}/message`, message);
  const [alice, bob, rsa] = await Promise.all([
    makeKey(dir, "alice", "ed25519"),
    makeKey(dir, "bob", "ed25519"),
    makeKey(dir, "rsa", "rsa"),
  ]);
  const signatures = new Map<string, string>();
  let files = 0;
  const fx: Fixture = {
    dir,
    alice,
    bob,
    rsa,
    async sign(key, namespace) {
      const sigPath = `${key.path}.${namespace}.sig`;
      if (!signatures.has(sigPath)) {
        const signed = await run([
          "-Y",
          "sign",
          "-n",
          namespace,
          "-f",
          key.path,
        ], message);
        equal(signed.code, 0, signed.output);
        await Deno.writeTextFile(
          sigPath,
          signed.output.slice(signed.output.indexOf("-----BEGIN")),
        );
        signatures.set(sigPath, sigPath);
      }
      return sigPath;
    },
    async sshVerify(text, options) {
      const file = `${dir}/allowed_signers.${files++}`;
      await Deno.writeTextFile(file, text);
      const namespace = options.namespace ?? NS;
      const sig = await fx.sign(options.signer ?? alice, namespace);
      const time = options.at === undefined ? [] : [
        `-Overify-time=${
          options.at.toISOString().replace(/\.\d{3}Z$/, "Z").replace(
            /[-:T]/g,
            "",
          )
        }`,
      ];
      const result = await run(
        [
          "-Y",
          "verify",
          "-f",
          file,
          "-I",
          options.principal,
          "-n",
          namespace,
          "-s",
          sig,
          ...time,
        ],
        message,
      );
      return { ok: result.code === 0, output: result.output };
    },
  };
  return fx;
}

/** The fields of an entry, in a form deepEqual can compare. */
interface Summary {
  line: number;
  principals: string[];
  namespaces: string[] | null;
  validAfter: string | null;
  validBefore: string | null;
  certAuthority: boolean;
  keyType: string;
  key: string | null;
  keyId: string;
  comment: string;
}

function hex(bytes: Uint8Array | null | undefined): string | null {
  return bytes == null
    ? null
    : Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function summarize(entry: AllowedSigner): Summary {
  return {
    line: entry.line,
    principals: entry.principals,
    namespaces: entry.namespaces ?? null,
    validAfter: entry.validAfter?.toISOString() ?? null,
    validBefore: entry.validBefore?.toISOString() ?? null,
    certAuthority: entry.certAuthority,
    keyType: entry.keyType,
    key: hex(entry.key),
    keyId: entry.keyId,
    comment: entry.comment,
  };
}

function expected(key: Key, fields: Partial<Summary> = {}): Summary {
  return {
    line: 1,
    principals: ["p"],
    namespaces: null,
    validAfter: null,
    validBefore: null,
    certAuthority: false,
    keyType: key.type,
    key: hex(key.key),
    keyId: key.fingerprint,
    comment: "",
    ...fields,
  };
}

async function parseError(
  text: string,
): Promise<{ code: string; message: string }> {
  try {
    await parseAllowedSigners(text, SOURCE);
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error(`parsed without error: ${JSON.stringify(text)}`);
}

// --- Parsing ---

interface ParseCase {
  name: string;
  text: (fx: Fixture) => string;
  want: (fx: Fixture) => Summary[];
  /** When set: what real ssh-keygen says about alice's signature for this principal now. */
  ssh?: { principal: string; accepts: boolean };
}

const PARSE_CASES: ParseCase[] = [
  {
    name: "plain line",
    text: (fx) => `p ${fx.alice.pub}\n`,
    want: (fx) => [expected(fx.alice)],
    ssh: { principal: "p", accepts: true },
  },
  {
    name: "comment with spaces after the key",
    text: (fx) => `p ${fx.alice.pub} alice's laptop  2026\n`,
    want: (fx) => [expected(fx.alice, { comment: "alice's laptop  2026" })],
  },
  {
    name: "several principals, with a wildcard",
    text: (fx) => `a@x.org,b@y.org,*@corp.example ${fx.alice.pub}\n`,
    want: (
      fx,
    ) => [
      expected(fx.alice, {
        principals: ["a@x.org", "b@y.org", "*@corp.example"],
      }),
    ],
    ssh: { principal: "b@y.org", accepts: true },
  },
  {
    name: "options in any order, keywords in any case",
    text: (fx) =>
      `p VALID-BEFORE="20300101000000Z",Namespaces="git,mcp-*",Cert-Authority ${fx.alice.pub} c\n`,
    want: (fx) => [
      expected(fx.alice, {
        namespaces: ["git", "mcp-*"],
        validBefore: "2030-01-01T00:00:00.000Z",
        certAuthority: true,
        comment: "c",
      }),
    ],
    // cert-authority: ssh-keygen, like us, never accepts the plain key.
    ssh: { principal: "p", accepts: false },
  },
  {
    name: "quoted option value holding a comma, a blank and an escaped quote",
    text: (fx) =>
      `p namespaces="a b,mcp-orchestration,x\\"y" ${fx.alice.pub}\n`,
    want: (
      fx,
    ) => [
      expected(fx.alice, { namespaces: ["a b", "mcp-orchestration", 'x"y'] }),
    ],
    ssh: { principal: "p", accepts: true },
  },
  {
    name: "quoted principal holding a blank",
    text: (fx) => `"alice smith@x.org" ${fx.alice.pub}\n`,
    want: (fx) => [expected(fx.alice, { principals: ["alice smith@x.org"] })],
    ssh: { principal: "alice smith@x.org", accepts: true },
  },
  {
    name: "tabs and leading blanks",
    text: (fx) =>
      ` \tp\tnamespaces="mcp-orchestration"\t \t${fx.alice.type}\t${fx.alice.base64}\tc\n`,
    want: (fx) => [expected(fx.alice, { namespaces: [NS], comment: "c" })],
    ssh: { principal: "p", accepts: true },
  },
  {
    name: "comments, blank and blank-only lines count for line numbers",
    text: (fx) => `# team\n\n \t\n  # indented comment\np ${fx.alice.pub}\n`,
    want: (fx) => [expected(fx.alice, { line: 5 })],
    ssh: { principal: "p", accepts: true },
  },
  {
    name: "CRLF line endings are read like LF",
    text: (fx) =>
      `# team\r\np namespaces="mcp-orchestration" ${fx.alice.pub} me\r\nq ${fx.bob.pub}\r\n`,
    want: (fx) => [
      expected(fx.alice, { line: 2, namespaces: [NS], comment: "me" }),
      expected(fx.bob, { line: 3, principals: ["q"] }),
    ],
    ssh: { principal: "p", accepts: true },
  },
  {
    name: "empty options between commas are skipped, as OpenSSH does",
    text: (fx) =>
      `p ,namespaces="mcp-*",,valid-after="20200101Z" ${fx.alice.pub}\n`,
    want: (
      fx,
    ) => [
      expected(fx.alice, {
        namespaces: ["mcp-*"],
        validAfter: "2020-01-01T00:00:00.000Z",
      }),
    ],
    ssh: { principal: "p", accepts: true },
  },
  {
    name: "UTC suffixes Z, z and UTC",
    text: (fx) =>
      `p valid-after="202001011230z",valid-before="20300101000000UTC" ${fx.alice.pub}\n`,
    want: (fx) => [
      expected(fx.alice, {
        validAfter: "2020-01-01T12:30:00.000Z",
        validBefore: "2030-01-01T00:00:00.000Z",
      }),
    ],
    ssh: { principal: "p", accepts: true },
  },
  {
    name: "a time without Z is local time",
    text: (fx) => `p valid-after="20260102030405" ${fx.alice.pub}\n`,
    want: (
      fx,
    ) => [
      expected(fx.alice, {
        validAfter: new Date(2026, 0, 2, 3, 4, 5).toISOString(),
      }),
    ],
  },
  {
    name: "non-Ed25519 keys are kept, without a key",
    text: (fx) => `r ${fx.rsa.pub} build server\np ${fx.alice.pub}`,
    want: (fx) => [
      expected(fx.rsa, { principals: ["r"], comment: "build server" }),
      expected(fx.alice, { line: 2 }),
    ],
  },
  {
    name: "rsa-sha2-256 names an ssh-rsa key, as in OpenSSH",
    text: (fx) => `r rsa-sha2-256 ${fx.rsa.base64}\n`,
    want: (
      fx,
    ) => [expected(fx.rsa, { principals: ["r"], keyType: "rsa-sha2-256" })],
  },
  {
    name: "empty file",
    text: () => "",
    want: () => [],
  },
];

Deno.test("parseAllowedSigners reads every variation of the format", async (t) => {
  await withFixture(async (fx) => {
    for (const c of PARSE_CASES) {
      await t.step(c.name, async () => {
        const text = c.text(fx);
        const file = await parseAllowedSigners(text, SOURCE);
        equal(file.text, text);
        deepEqual(file.entries.map(summarize), c.want(fx));
        if (c.ssh !== undefined) {
          const ours = findSigner(file, fx.alice.key!, {
            namespace: NS,
            at: new Date(),
          });
          equal(ours.status === "trusted", c.ssh.accepts, "our decision");
          const theirs = await fx.sshVerify(text, {
            principal: c.ssh.principal,
          });
          equal(theirs.ok, c.ssh.accepts, `ssh-keygen: ${theirs.output}`);
        }
      });
    }
  });
});

interface MalformedCase {
  name: string;
  line: (fx: Fixture) => string;
  detail: string;
  /** Whether ssh-keygen -Y verify -I p rejects it too (false: we are deliberately stricter). */
  sshRejects: boolean;
}

const MALFORMED_CASES: MalformedCase[] = [
  {
    name: "unknown option",
    line: (fx) => `p foo ${fx.alice.pub}`,
    detail: 'unknown option "foo"',
    sshRejects: true,
  },
  {
    name: "unknown option after a known one",
    line: (fx) => `p namespaces="x,y",no-touch-required ${fx.alice.pub}`,
    detail: 'unknown option "no-touch-required"',
    sshRejects: true,
  },
  {
    name: "flag option with a value",
    line: (fx) => `p cert-authority="yes" ${fx.alice.pub}`,
    detail: 'unknown option "cert-authority="yes""',
    sshRejects: true,
  },
  {
    name: "principal only",
    line: () => "p",
    detail: "missing key",
    sshRejects: true,
  },
  {
    name: "options but no key",
    line: () => 'p namespaces="x"',
    detail: "missing key",
    sshRejects: true,
  },
  {
    name: "key type but no key",
    line: () => "p ssh-ed25519",
    detail: "missing key",
    sshRejects: true,
  },
  {
    name: "public key line without principals",
    line: (fx) => `${fx.alice.pub} alice`,
    detail: 'missing principals: the line starts with key type "ssh-ed25519"',
    sshRejects: true,
  },
  {
    name: "unknown key type after options",
    line: (fx) => `p namespaces="x" ssh-foo ${fx.alice.base64}`,
    detail: 'unknown key type "ssh-foo"',
    sshRejects: true,
  },
  {
    name: "bad base64",
    line: () => "p ssh-ed25519 !!!!",
    detail: 'invalid "ssh-ed25519" key',
    sshRejects: true,
  },
  {
    name: "truncated key",
    line: (fx) => `p ssh-ed25519 ${fx.alice.base64.slice(0, 64)}`,
    detail: 'invalid "ssh-ed25519" key',
    sshRejects: true,
  },
  {
    name: "RSA key labelled ssh-ed25519",
    line: (fx) => `p ssh-ed25519 ${fx.rsa.base64}`,
    detail: 'invalid "ssh-ed25519" key',
    sshRejects: true,
  },
  {
    name: "Ed25519 key labelled ssh-rsa",
    line: (fx) => `p ssh-rsa ${fx.alice.base64}`,
    detail: 'key type "ssh-rsa" does not match the key\'s type "ssh-ed25519"',
    sshRejects: true,
  },
  {
    name: "unterminated quote in options",
    line: (fx) => `p namespaces="x ${fx.alice.pub}`,
    detail: "unterminated quote in options",
    sshRejects: true,
  },
  {
    name: "unterminated quote in principals",
    line: (fx) => `"p ${fx.alice.pub}`,
    detail: "unterminated quote in principals",
    sshRejects: true,
  },
  {
    name: "unquoted date (ssh-keygen 9.2 needs quotes)",
    line: (fx) => `p valid-after=20200101 ${fx.alice.pub}`,
    detail: 'option "valid-after" needs a value in double quotes',
    sshRejects: true,
  },
  {
    name: "namespaces twice",
    line: (fx) =>
      `p namespaces="a",namespaces="mcp-orchestration" ${fx.alice.pub}`,
    detail: 'more than one "namespaces" option',
    sshRejects: true,
  },
  {
    name: "valid-before twice",
    line: (fx) =>
      `p valid-before="20990101",valid-before="20990102" ${fx.alice.pub}`,
    detail: 'more than one "valid-before" option',
    sshRejects: true,
  },
  {
    name: "trailing comma",
    line: (fx) => `p namespaces="mcp-orchestration", ${fx.alice.pub}`,
    detail: "unexpected end of options",
    sshRejects: true,
  },
  {
    name: "month 13, day 40",
    line: (fx) => `p valid-after="20261340" ${fx.alice.pub}`,
    detail: 'invalid "valid-after" time "20261340"',
    sshRejects: true,
  },
  {
    name: "date before 1970",
    line: (fx) => `p valid-after="19691231Z" ${fx.alice.pub}`,
    detail: 'invalid "valid-after" time "19691231Z"',
    sshRejects: true,
  },
  {
    name: "valid-before equal to valid-after",
    line: (fx) =>
      `p valid-after="20200101Z",valid-before="20200101Z" ${fx.alice.pub}`,
    detail: '"valid-before" is not after "valid-after"',
    sshRejects: true,
  },
  {
    name: "February 30 (ssh-keygen rolls it over to March 2)",
    line: (fx) => `p valid-before="20990230" ${fx.alice.pub}`,
    detail: 'invalid "valid-before" time "20990230"',
    sshRejects: false,
  },
  {
    name: "second 60 (glibc accepts it)",
    line: (fx) => `p valid-before="20990101000060Z" ${fx.alice.pub}`,
    detail: 'invalid "valid-before" time "20990101000060Z"',
    sshRejects: false,
  },
  {
    name: "control character in the comment",
    line: (fx) => `p ${fx.alice.pub} x\x1b[2Jy`,
    detail: "control character",
    sshRejects: false,
  },
];

Deno.test("parseAllowedSigners rejects malformed lines with their line number", async (t) => {
  await withFixture(async (fx) => {
    // A valid control: the same file around the bad line parses, and ssh-keygen accepts it.
    const good = `# team\n\np ${fx.alice.pub}\nq ${fx.bob.pub}\n`;
    equal((await parseAllowedSigners(good, SOURCE)).entries.length, 2);
    ok((await fx.sshVerify(good, { principal: "p" })).ok);
    for (const c of MALFORMED_CASES) {
      await t.step(c.name, async () => {
        const bad = c.line(fx);
        const text = `# team\n\n${bad}\nq ${fx.bob.pub}\n`;
        deepEqual(await parseError(text), {
          code: "INVALID_FORMAT",
          message: `Invalid allowed_signers "${SOURCE}": line 3: ${c.detail}`,
        });
        // ssh-keygen logs a malformed line and skips it, so the probe holds
        // only the bad line: alice's signature must then fail for "p".
        const probe = `# team\n\n${bad}\n`;
        const ssh = await fx.sshVerify(probe, { principal: "p" });
        equal(!ssh.ok, c.sshRejects, `ssh-keygen: ${ssh.output}`);
        // And it failed because of line 3, not for want of a line for "p".
        if (c.sshRejects && !c.name.includes("without principals")) {
          match(ssh.output, /:3: /);
        }
      });
    }
  });
});

Deno.test("parseAllowedSigners rejects a stray carriage return that is not part of CRLF", async () => {
  await withFixture(async (fx) => {
    const { code, message: text } = await parseError(`p\r${fx.alice.pub}\n`);
    equal(code, "INVALID_FORMAT");
    equal(
      text,
      `Invalid allowed_signers "${SOURCE}": line 1: control character`,
    );
  });
});

// --- Writing ---

Deno.test("formatAllowedSigner writes the exact line, restricted to our namespace", async (t) => {
  await withFixture(async (fx) => {
    const key = fx.alice.key!;
    const cases: {
      name: string;
      options: Parameters<typeof formatAllowedSigner>[1];
      line: string;
    }[] = [
      {
        name: "principal only",
        options: { principal: "alice@example.com" },
        line:
          `alice@example.com namespaces="mcp-orchestration" ${fx.alice.pub}`,
      },
      {
        name: "window and comment",
        options: {
          principal: "alice@example.com",
          validAfter: new Date("2026-01-31T12:00:00Z"),
          validBefore: new Date("2027-01-31T12:00:00Z"),
          comment: "alice laptop",
        },
        line:
          `alice@example.com namespaces="mcp-orchestration",valid-after="20260131120000Z",` +
          `valid-before="20270131120000Z" ${fx.alice.pub} alice laptop`,
      },
      {
        name: "sub-second times round inwards",
        options: {
          principal: "a",
          validAfter: new Date("2026-01-31T12:00:00.001Z"),
          validBefore: new Date("2026-01-31T12:00:05.999Z"),
        },
        line:
          `a namespaces="mcp-orchestration",valid-after="20260131120001Z",valid-before="20260131120005Z" ${fx.alice.pub}`,
      },
      {
        name: "empty comment is left out",
        options: { principal: "a", comment: "" },
        line: `a namespaces="mcp-orchestration" ${fx.alice.pub}`,
      },
      {
        name: "blank comment is left out",
        options: { principal: "a", comment: "  " },
        line: `a namespaces="mcp-orchestration" ${fx.alice.pub}`,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const line = formatAllowedSigner(key, c.options);
        equal(line, c.line);
        const [entry] = (await parseAllowedSigners(line, SOURCE)).entries;
        equal(entry?.keyId, fx.alice.fingerprint);
        deepEqual(entry?.principals, [c.options.principal]);
      });
    }
  });
});

Deno.test("formatAllowedSigner refuses what would not read back", () => {
  const key = new Uint8Array(32).fill(3);
  const cases: {
    name: string;
    options: Parameters<typeof formatAllowedSigner>[1];
  }[] = [
    { name: "bad principal", options: { principal: "alice smith" } },
    {
      name: "window of zero length",
      options: {
        principal: "a",
        validAfter: new Date("2026-01-01T00:00:00Z"),
        validBefore: new Date("2026-01-01T00:00:00Z"),
      },
    },
    {
      name: "window empty after rounding",
      options: {
        principal: "a",
        validAfter: new Date("2026-01-01T00:00:00.200Z"),
        validBefore: new Date("2026-01-01T00:00:00.800Z"),
      },
    },
    {
      name: "invalid date",
      options: { principal: "a", validBefore: new Date(Number.NaN) },
    },
    {
      name: "date before 1970",
      options: { principal: "a", validAfter: new Date("1969-12-31T00:00:00Z") },
    },
    {
      name: "year 10000",
      options: {
        principal: "a",
        validBefore: new Date("+010000-01-01T00:00:00Z"),
      },
    },
    {
      name: "comment with a newline",
      options: { principal: "a", comment: "x\nevil ssh-ed25519 AAAA" },
    },
    {
      name: "comment with a tab",
      options: { principal: "a", comment: "x\ty" },
    },
  ];
  for (const c of cases) {
    throws(
      () => formatAllowedSigner(key, c.options),
      { code: "USAGE" },
      c.name,
    );
  }
});

Deno.test("validatePrincipal accepts plain identities and refuses what the format would misread", () => {
  for (
    const good of [
      "alice@example.com",
      "ci-bot",
      "a.b+c@x.y",
      "o'brien@x.org",
      "ünïcode@x",
    ]
  ) {
    validatePrincipal(good);
  }
  for (
    const bad of [
      "",
      "a b",
      "a\tb",
      "a\nb",
      "a,b",
      'a"b',
      "#a",
      "a*",
      "a?b",
      "!a",
      "a\u0000",
      "a\u00a0b",
    ]
  ) {
    throws(
      () => validatePrincipal(bad),
      { code: "USAGE" },
      JSON.stringify(bad),
    );
  }
});

// --- Editing keeps every other byte ---

Deno.test("addAllowedSigner and removeAllowedSigners keep all other bytes", async (t) => {
  await withFixture(async (fx) => {
    const bases: { name: string; text: string; eol: string }[] = [
      { name: "new file", text: "", eol: "\n" },
      { name: "comment only", text: "# trusted signers\n", eol: "\n" },
      { name: "no final newline", text: "# trusted signers", eol: "\n" },
      {
        name: "foreign entries, odd spacing, trailing blanks",
        text:
          `  # indented\n\nbob@x\tnamespaces="git"\t${fx.bob.pub}  trailing  \n*@corp cert-authority ${fx.bob.pub} ca\n` +
          `r ${fx.rsa.pub}\n\n`,
        eol: "\n",
      },
      { name: "CRLF file", text: `# c\r\nr ${fx.rsa.pub}\r\n`, eol: "\r\n" },
      {
        name: "CRLF file without final newline",
        text: `# c\r\nr ${fx.rsa.pub}`,
        eol: "\r\n",
      },
    ];
    const line = formatAllowedSigner(fx.alice.key!, {
      principal: "alice@example.com",
    });
    for (const base of bases) {
      await t.step(base.name, async () => {
        const added = addAllowedSigner(base.text, line);
        const kept = base.text === "" || base.text.endsWith("\n")
          ? base.text
          : base.text + base.eol;
        equal(added, kept + line + base.eol);

        const file = await parseAllowedSigners(added, SOURCE);
        const last = file.entries.at(-1);
        equal(last?.keyId, fx.alice.fingerprint);
        equal(last?.line, added.split("\n").length - 1);

        for (const selector of [fx.alice.fingerprint, "alice@example.com"]) {
          const { text, removed } = removeAllowedSigners(file, selector);
          equal(text, kept, selector);
          deepEqual(removed.map((e) => e.line), [last?.line]);
        }
      });
    }
  });
});

Deno.test("removeAllowedSigners removes whole lines by key id or exact principal", async (t) => {
  await withFixture(async (fx) => {
    const text = [
      "# team",
      `alice@x,carol@x ${fx.alice.pub} shared line`,
      `bob@x namespaces="git" ${fx.bob.pub}\r`,
      "",
      `alice@x ${fx.alice.pub} second alice line`,
      `*@x cert-authority ${fx.bob.pub}`,
      `r ${fx.rsa.pub}`,
    ].join("\n"); // no final newline
    const file = await parseAllowedSigners(text, SOURCE);
    const lines = text.split("\n");
    const without = (...numbers: number[]) =>
      lines.filter((_, i) => !numbers.includes(i + 1)).join("\n") +
      (numbers.includes(lines.length) ? "\n" : "");
    const cases: { selector: string; removed: number[] }[] = [
      { selector: fx.alice.fingerprint, removed: [2, 5] },
      { selector: "carol@x", removed: [2] },
      { selector: "bob@x", removed: [3] },
      { selector: fx.bob.fingerprint, removed: [3, 6] },
      { selector: fx.rsa.fingerprint, removed: [7] },
      { selector: "*@x", removed: [6] },
      { selector: "alice", removed: [] },
      { selector: "SHA256:doesnotexist", removed: [] },
    ];
    for (const c of cases) {
      await t.step(c.selector, () => {
        const result = removeAllowedSigners(file, c.selector);
        deepEqual(result.removed.map((e) => e.line), c.removed);
        equal(
          result.text,
          c.removed.length === 0 ? text : without(...c.removed),
        );
      });
    }
    throws(() => removeAllowedSigners(file, ""), { code: "USAGE" });
  });
});

Deno.test("addAllowedSigner refuses anything but one key line", async () => {
  await withFixture((fx) => {
    const line = formatAllowedSigner(fx.alice.key!, { principal: "a" });
    for (
      const bad of [
        `${line}\nb ${fx.bob.pub}`,
        `${line}\r`,
        "# comment",
        "",
        "  ",
        `a foo ${fx.alice.pub}`,
      ]
    ) {
      throws(() => addAllowedSigner("# team\n", bad), {
        code: "INVALID_FORMAT",
      }, JSON.stringify(bad));
    }
  });
});

// --- Trust decisions, checked against ssh-keygen -Y verify -O verify-time ---

interface TrustCase {
  name: string;
  lines: (fx: Fixture) => string[];
  signer?: "alice" | "bob";
  namespace?: string;
  at?: string;
  status: "trusted" | "untrusted" | "expired";
  /** The entry's line, for trusted and expired. */
  line?: number;
  reason?: string;
}

const T = "2026-06-01T12:00:00Z";
const TS = "20260601120000Z";

const TRUST_CASES: TrustCase[] = [
  {
    name: "no namespaces option: every namespace",
    lines: (fx) => [`p ${fx.alice.pub}`],
    status: "trusted",
    line: 1,
  },
  {
    name: "no namespaces option, git namespace",
    lines: (fx) => [`p ${fx.alice.pub}`],
    namespace: "git",
    status: "trusted",
    line: 1,
  },
  {
    name: "our namespace",
    lines: (fx) => [`p namespaces="mcp-orchestration" ${fx.alice.pub}`],
    status: "trusted",
    line: 1,
  },
  {
    name: "git-only key is not trusted for us",
    lines: (fx) => [`p namespaces="git" ${fx.alice.pub}`],
    status: "untrusted",
  },
  {
    name: "git-only key, git namespace",
    lines: (fx) => [`p namespaces="git" ${fx.alice.pub}`],
    namespace: "git",
    status: "trusted",
    line: 1,
  },
  {
    name: "our key, git namespace",
    lines: (fx) => [`p namespaces="mcp-orchestration" ${fx.alice.pub}`],
    namespace: "git",
    status: "untrusted",
  },
  {
    name: "wildcard *",
    lines: (fx) => [`p namespaces="*" ${fx.alice.pub}`],
    status: "trusted",
    line: 1,
  },
  {
    name: "wildcard mcp-*",
    lines: (fx) => [`p namespaces="git,mcp-*" ${fx.alice.pub}`],
    status: "trusted",
    line: 1,
  },
  {
    name: "wildcard ?",
    lines: (fx) => [`p namespaces="?cp-orchestratio?" ${fx.alice.pub}`],
    status: "trusted",
    line: 1,
  },
  {
    name: "? needs a character",
    lines: (fx) => [`p namespaces="mcp-orchestration?" ${fx.alice.pub}`],
    status: "untrusted",
  },
  {
    name: "prefix is not a match",
    lines: (fx) => [`p namespaces="mcp" ${fx.alice.pub}`],
    status: "untrusted",
  },
  {
    name: "match is case-sensitive",
    lines: (fx) => [`p namespaces="MCP-ORCHESTRATION" ${fx.alice.pub}`],
    status: "untrusted",
  },
  {
    name: "negation vetoes a wildcard",
    lines: (fx) => [`p namespaces="*,!mcp-orchestration" ${fx.alice.pub}`],
    status: "untrusted",
  },
  {
    name: "negation of another namespace",
    lines: (fx) => [`p namespaces="!git,*" ${fx.alice.pub}`],
    status: "trusted",
    line: 1,
  },
  {
    name: "negation alone allows nothing",
    lines: (fx) => [`p namespaces="!git" ${fx.alice.pub}`],
    status: "untrusted",
  },
  {
    name: "empty namespaces allows nothing",
    lines: (fx) => [`p namespaces="" ${fx.alice.pub}`],
    status: "untrusted",
  },
  {
    name: "a sub-pattern of 1022 characters still counts",
    lines: (
      fx,
    ) => [
      `p namespaces="mcp-orchestration,${"x".repeat(1022)}" ${fx.alice.pub}`,
    ],
    status: "trusted",
    line: 1,
  },
  {
    name: "a sub-pattern of 1023 characters voids the list, as in OpenSSH",
    lines: (
      fx,
    ) => [
      `p namespaces="mcp-orchestration,${"x".repeat(1023)}" ${fx.alice.pub}`,
    ],
    status: "untrusted",
  },
  {
    name: "another key",
    lines: (fx) => [`p ${fx.bob.pub}`],
    status: "untrusted",
  },
  {
    name: "cert-authority line is not a plain key",
    lines: (fx) => [`p cert-authority ${fx.alice.pub}`],
    status: "untrusted",
  },
  {
    name: "RSA lines and comments around a trusted line",
    lines: (fx) => ["# team", `p ${fx.rsa.pub}`, "", `p ${fx.alice.pub}`],
    status: "trusted",
    line: 4,
  },
  { name: "RSA only", lines: (fx) => [`p ${fx.rsa.pub}`], status: "untrusted" },
  {
    name: "expired",
    lines: (fx) => [`p valid-before="20200101000000Z" ${fx.alice.pub}`],
    status: "expired",
    line: 1,
    reason: 'line 1: expired after "2020-01-01T00:00:00Z"',
  },
  {
    name: "not yet valid",
    lines: (fx) => [`p valid-after="20990101Z" ${fx.alice.pub}`],
    status: "expired",
    line: 1,
    reason: 'line 1: not valid before "2099-01-01T00:00:00Z"',
  },
  {
    name: "valid-after, one second early",
    lines: (fx) => [`p valid-after="${TS}" ${fx.alice.pub}`],
    at: "2026-06-01T11:59:59Z",
    status: "expired",
    line: 1,
  },
  {
    name: "valid-after, at the instant",
    lines: (fx) => [`p valid-after="${TS}" ${fx.alice.pub}`],
    at: T,
    status: "trusted",
    line: 1,
  },
  {
    name: "valid-before, at the instant",
    lines: (fx) => [`p valid-before="${TS}" ${fx.alice.pub}`],
    at: T,
    status: "trusted",
    line: 1,
  },
  {
    name: "valid-before, within the same second",
    lines: (fx) => [`p valid-before="${TS}" ${fx.alice.pub}`],
    at: "2026-06-01T12:00:00.999Z",
    status: "trusted",
    line: 1,
  },
  {
    name: "valid-before, one second late",
    lines: (fx) => [`p valid-before="${TS}" ${fx.alice.pub}`],
    at: "2026-06-01T12:00:01Z",
    status: "expired",
    line: 1,
  },
  {
    name: "listed twice: one entry in its window wins",
    lines: (
      fx,
    ) => [
      `p valid-before="20200101Z" ${fx.alice.pub}`,
      `p valid-after="20200101Z" ${fx.alice.pub}`,
    ],
    status: "trusted",
    line: 2,
  },
  {
    name: "listed twice: both outside their windows",
    lines: (
      fx,
    ) => [
      `p valid-before="20200101Z" ${fx.alice.pub}`,
      `p valid-after="20990101Z" ${fx.alice.pub}`,
    ],
    status: "expired",
    line: 1,
    reason:
      'line 1: expired after "2020-01-01T00:00:00Z"; line 2: not valid before "2099-01-01T00:00:00Z"',
  },
  {
    name: "an expired entry for our namespace beside a valid git-only one",
    lines: (
      fx,
    ) => [
      `p namespaces="git" ${fx.alice.pub}`,
      `p namespaces="mcp-*",valid-before="20200101Z" ${fx.alice.pub}`,
    ],
    status: "expired",
    line: 2,
  },
  {
    name: "the same file, git namespace",
    lines: (
      fx,
    ) => [
      `p namespaces="git" ${fx.alice.pub}`,
      `p namespaces="mcp-*",valid-before="20200101Z" ${fx.alice.pub}`,
    ],
    namespace: "git",
    status: "trusted",
    line: 1,
  },
  {
    name: "bob's signature among alice's lines",
    lines: (
      fx,
    ) => [
      `p ${fx.alice.pub}`,
      `p namespaces="git" ${fx.bob.pub}`,
      `p ${fx.bob.pub}`,
    ],
    signer: "bob",
    status: "trusted",
    line: 3,
  },
];

Deno.test("findSigner decides as ssh-keygen -Y verify does", async (t) => {
  await withFixture(async (fx) => {
    for (const c of TRUST_CASES) {
      await t.step(c.name, async () => {
        const text = c.lines(fx).join("\n") + "\n";
        const file = await parseAllowedSigners(text, SOURCE);
        const signer = c.signer === "bob" ? fx.bob : fx.alice;
        const namespace = c.namespace ?? NS;
        const at = new Date(c.at ?? T);
        const decision = findSigner(file, signer.key!, { namespace, at });
        equal(decision.status, c.status);
        if (decision.status !== "untrusted") equal(decision.entry.line, c.line);
        if (decision.status === "expired" && c.reason !== undefined) {
          equal(decision.reason, c.reason);
        }
        // Every line uses principal "p", so ssh-keygen sees the same candidates.
        const ssh = await fx.sshVerify(text, {
          principal: "p",
          namespace,
          signer,
          at: new Date(Math.floor(at.getTime() / 1000) * 1000),
        });
        equal(ssh.ok, c.status === "trusted", `ssh-keygen: ${ssh.output}`);
      });
    }
  });
});

// --- Interop: files we write, read by real ssh-keygen ---

Deno.test("ssh-keygen -Y verify accepts a file we write, and honours its limits", async () => {
  await withFixture(async (fx) => {
    const now = Date.now();
    let text = "# mcp-orchestration trusted signers\n";
    text = addAllowedSigner(
      text,
      `bob@example.com namespaces="git" ${fx.bob.pub} git only`,
    );
    text = addAllowedSigner(
      text,
      formatAllowedSigner(fx.alice.key!, {
        principal: "alice@example.com",
        validAfter: new Date(now - DAY),
        validBefore: new Date(now + DAY),
        comment: "alice laptop",
      }),
    );
    const good = await fx.sshVerify(text, { principal: "alice@example.com" });
    ok(good.ok, good.output);
    match(
      good.output,
      /Good "mcp-orchestration" signature for alice@example.com/,
    );
    const file = await parseAllowedSigners(text, SOURCE);
    equal(
      findSigner(file, fx.alice.key!, { namespace: NS, at: new Date(now) })
        .status,
      "trusted",
    );

    // The namespace we write limits the key: a git signature by the same key fails.
    const git = await fx.sshVerify(text, {
      principal: "alice@example.com",
      namespace: "git",
    });
    equal(git.ok, false, git.output);
    equal(
      findSigner(file, fx.alice.key!, { namespace: "git", at: new Date(now) })
        .status,
      "untrusted",
    );

    // After removal, ssh-keygen no longer accepts alice, and bob's line still works for git.
    const { text: removedText, removed } = removeAllowedSigners(
      file,
      fx.alice.fingerprint,
    );
    equal(removed.length, 1);
    equal(
      (await fx.sshVerify(removedText, { principal: "alice@example.com" })).ok,
      false,
    );
    const bob = await fx.sshVerify(removedText, {
      principal: "bob@example.com",
      namespace: "git",
      signer: fx.bob,
    });
    ok(bob.ok, bob.output);
  });
});

Deno.test("ssh-keygen -Y verify rejects an expired or not-yet-valid entry we write", async (t) => {
  await withFixture(async (fx) => {
    const now = Date.now();
    const windows: {
      name: string;
      validAfter: Date;
      validBefore: Date;
      valid: boolean;
      output?: RegExp;
    }[] = [
      {
        name: "current (control)",
        validAfter: new Date(now - DAY),
        validBefore: new Date(now + DAY),
        valid: true,
      },
      {
        name: "expired",
        validAfter: new Date(now - 2 * DAY),
        validBefore: new Date(now - DAY),
        valid: false,
        output: /key has expired/,
      },
      {
        name: "not yet valid",
        validAfter: new Date(now + DAY),
        validBefore: new Date(now + 2 * DAY),
        valid: false,
        output: /key is not yet valid/,
      },
    ];
    for (const w of windows) {
      await t.step(w.name, async () => {
        const line = formatAllowedSigner(fx.alice.key!, {
          principal: "alice@example.com",
          validAfter: w.validAfter,
          validBefore: w.validBefore,
        });
        const text = addAllowedSigner("", line);
        const ssh = await fx.sshVerify(text, {
          principal: "alice@example.com",
        });
        equal(ssh.ok, w.valid, ssh.output);
        if (w.output !== undefined) match(ssh.output, w.output);
        const decision = findSigner(
          await parseAllowedSigners(text, SOURCE),
          fx.alice.key!,
          {
            namespace: NS,
            at: new Date(now),
          },
        );
        equal(decision.status, w.valid ? "trusted" : "expired");
      });
    }
  });
});

Deno.test("key ids are ssh-keygen's fingerprints, for Ed25519 and other keys", async () => {
  await withFixture(async (fx) => {
    const file = await parseAllowedSigners(
      `a ${fx.alice.pub}\nb ${fx.bob.pub}\nr ${fx.rsa.pub}\n`,
      SOURCE,
    );
    deepEqual(file.entries.map((e) => e.keyId), [
      fx.alice.fingerprint,
      fx.bob.fingerprint,
      fx.rsa.fingerprint,
    ]);
    notEqual(fx.alice.fingerprint, fx.bob.fingerprint);
  });
});

Deno.test("times without Z are local time, for us as for ssh-keygen", async () => {
  // Asia/Kolkata is UTC+05:30 all year: 12:00 local is 06:30Z.
  const env = { TZ: "Asia/Kolkata" };
  const script = `
    import { parseAllowedSigners } from "${new URL(
    "../../src/trust/allowed_signers.ts",
    import.meta.url,
  )}";
    import { parseValidityDate } from "${new URL(
    "../../src/trust/validity_date.ts",
    import.meta.url,
  )}";
    const line = Deno.args[0];
    const file = await parseAllowedSigners(line, "x");
    console.log(JSON.stringify([
      parseValidityDate("20260601120000", "a").toISOString(),
      parseValidityDate("2026-06-01T12:00", "a").toISOString(),
      parseValidityDate("2026-06-01", "a").toISOString(),
      file.entries[0].validBefore.toISOString(),
    ]));
  `;
  await withFixture(async (fx) => {
    const text = `p valid-before="20260601120000" ${fx.alice.pub}\n`;
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", script, text],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(child.stderr);
    equal(child.code, 0, stderr);
    deepEqual(JSON.parse(new TextDecoder().decode(child.stdout)), [
      "2026-06-01T06:30:00.000Z",
      "2026-06-01T06:30:00.000Z",
      "2026-05-31T18:30:00.000Z",
      "2026-06-01T06:30:00.000Z",
    ]);
    // ssh-keygen in the same zone puts the boundary at the same instant.
    await Deno.writeTextFile(`${fx.dir}/local`, text);
    const sig = await fx.sign(fx.alice, NS);
    const verify = (time: string) =>
      new Deno.Command("ssh-keygen", {
        args: [
          "-Y",
          "verify",
          "-f",
          `${fx.dir}/local`,
          "-I",
          "p",
          "-n",
          NS,
          "-s",
          sig,
          `-Overify-time=${time}`,
        ],
        env,
        stdin: "piped",
        stdout: "null",
        stderr: "null",
      }).spawn();
    for (
      const [time, accepted] of [["20260601063000Z", true], [
        "20260601063001Z",
        false,
      ]] as const
    ) {
      const process = verify(time);
      await writeStdin(process, message);
      equal((await process.status).success, accepted, time);
    }
  });
});
