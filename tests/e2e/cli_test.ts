/**
 * The command line as a user meets it: help and version, exit codes for
 * usage errors, the `trust` commands, the JSON shapes of `sign`, `verify`
 * and `inspect`, and how signing a working tree evolves the store: nothing
 * changes when nothing changed, a new version continues its path's chain and
 * replaces the old files, identical bytes share one artifact, relative paths
 * work from a subfolder, and a deleted config leaves the index.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { VERSION } from "../../mod.ts";
import { escapeControls } from "../../src/cli/io.ts";
import { type CliResult, runCli, TEST_BIN_ENV } from "../support/cli.ts";
import { assertCliError, cliError } from "../support/errors.ts";
import {
  createTempRepo,
  snapshotDiff,
  type TempRepo,
} from "../support/repo.ts";
import { generateKey } from "../support/ssh_keygen.ts";

const TOOL = "mcp-orchestration";
const STORE = ".mcp-orchestration";
const KEY_ID = /^SHA256:[A-Za-z0-9+/]{43}$/;
const ID = /^[0-9a-f]{64}$/;

const COMMANDS = [
  "keys",
  "keys init",
  "keys show",
  "trust",
  "trust add",
  "trust list",
  "trust remove",
  "sign",
  "verify",
  "inspect",
];

interface SignResult {
  path: string;
  status: "signed" | "unchanged";
  statementId: string;
  artifact: string;
  sequence: number;
}

interface SignReport {
  signer: string;
  results: SignResult[];
  dropped: string[];
  untrusted: string | null;
}

interface VerifyReport {
  ok: boolean;
  verified: number;
  failed: number;
  results: {
    path: string;
    ok: boolean;
    code?: string;
    reason: string;
    statementId?: string;
    signer?: string;
    signedAt?: string;
    sequence?: number;
    principals?: string[];
  }[];
}

interface Inspection {
  path: string;
  artifact: string;
  signer: string;
  sequence: number;
  previous: string[];
  statementId: string;
  statementFile: string;
  signatureFile: string;
  statement: string;
  signature: string;
  verification: { ok: boolean; code?: string } | null;
}

function cli(
  repo: TempRepo,
  args: string[],
  cwd = repo.root,
): Promise<CliResult> {
  return runCli(args, { cwd, home: repo.home });
}

async function ok(run: Promise<CliResult>): Promise<CliResult> {
  const result = await run;
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result;
}

async function json<T>(run: Promise<CliResult>): Promise<T> {
  return JSON.parse((await ok(run)).stdout) as T;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

Deno.test("--help and -h for the tool and every command; --version", async () => {
  await using repo = await createTempRepo();
  const runs: [string[], string][] = [];
  for (const flag of ["--help", "-h"]) {
    runs.push([[flag], TOOL]);
    for (const name of COMMANDS) {
      runs.push([[...name.split(" "), flag], `${TOOL} ${name}`]);
    }
  }
  runs.push([["help"], TOOL]);
  const results = await Promise.all(runs.map(([args]) => cli(repo, args)));
  results.forEach((result, i) => {
    const [args, mention] = runs[i]!;
    const what = `"${args.join(" ")}": ${result.stderr}`;
    assert.equal(result.code, 0, what);
    assert.equal(result.stderr, "", what);
    assert.ok(result.stdout.includes(`Usage: ${mention}`), what);
  });
  // The tool's help lists every command.
  for (
    const name of COMMANDS.filter((name) =>
      name.includes(" ") || ["sign", "verify", "inspect"].includes(name)
    )
  ) {
    assert.ok(
      results[0]!.stdout.includes(`  ${name} `),
      `--help does not list "${name}"`,
    );
  }

  for (const flag of ["--version", "-V"]) {
    const version = await cli(repo, [flag]);
    assert.equal(version.code, 0);
    // A build names its commit; `deno run main.ts` runs from source.
    const origin = Deno.env.get(TEST_BIN_ENV)
      ? "commit [0-9a-f]{40}(-dirty)?"
      : "from source";
    assert.match(
      version.stdout,
      new RegExp(
        `^${TOOL} ${
          VERSION.replaceAll(".", "\\.")
        } \\(${origin}, (deno|node) [0-9][^)]*\\)\n$`,
      ),
    );
  }
});

Deno.test("usage errors exit 2 with a hint on stderr", async (t) => {
  await using repo = await createTempRepo();
  const publicKey = (await generateKey(repo.home, "k")).publicPath;
  const cases: { args: string[]; stderr: string[] }[] = [
    { args: [], stderr: [`Usage: ${TOOL} <command>`] },
    {
      args: ["frobnicate"],
      stderr: ['Unknown command "frobnicate"', `${TOOL} --help`],
    },
    { args: ["--bogus"], stderr: ['Unknown command "--bogus"'] },
    { args: ["sign", "--bogus"], stderr: ["--bogus", `${TOOL} sign --help`] },
    { args: ["verify", "-x"], stderr: ["-x", `${TOOL} verify --help`] },
    { args: ["sign", "--key"], stderr: ["--key", `${TOOL} sign --help`] },
    { args: ["keys"], stderr: [`Usage: ${TOOL} keys`] },
    { args: ["trust"], stderr: [`Usage: ${TOOL} trust`] },
    { args: ["keys", "frob"], stderr: ['Unknown command "keys frob"'] },
    { args: ["trust", "frob"], stderr: ['Unknown command "trust frob"'] },
    {
      args: ["keys", "init", "extra"],
      stderr: ['"keys init" takes no arguments'],
    },
    {
      args: ["trust", "add", publicKey],
      stderr: ["--principal", `${TOOL} trust add --help`],
    },
    {
      args: ["trust", "add", "--principal", "a@b"],
      stderr: ['"trust add" takes one public key'],
    },
    {
      args: ["trust", "remove"],
      stderr: ['"trust remove" takes one key id or principal'],
    },
    {
      args: ["inspect"],
      stderr: [
        '"inspect" takes one path or artifact id',
        `${TOOL} inspect --help`,
      ],
    },
    {
      args: ["inspect", "a", "b"],
      stderr: ['"inspect" takes one path or artifact id'],
    },
  ];
  const before = await repo.snapshot();
  for (const c of cases) {
    await t.step(`"${c.args.join(" ")}"`, async () => {
      const result = await cli(repo, c.args);
      const what =
        `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
      assert.equal(result.code, 2, what);
      assert.equal(result.stdout, "", what);
      // A group or the tool alone prints its help; anything else is an error.
      if (c.stderr.some((text) => text.startsWith("Usage: "))) {
        assert.equal(cliError(result), undefined, what);
      } else {
        assertCliError(result, "USAGE");
      }
      for (const text of c.stderr) {
        assert.ok(
          result.stderr.includes(text),
          `stderr lacks ${JSON.stringify(text)}\n${what}`,
        );
      }
    });
  }
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
});

Deno.test("trust add, list and remove", async () => {
  await using repo = await createTempRepo();
  const alice = await generateKey(repo.home, "alice");
  const bob = await generateKey(repo.home, "bob");
  const carol = await generateKey(repo.home, "carol");

  // A .pub file, and a key line as one argument.
  const added = await ok(
    cli(repo, [
      "trust",
      "add",
      alice.publicPath,
      "--principal",
      "alice@example.com",
    ]),
  );
  assert.ok(added.stdout.includes(alice.fingerprint), added.stdout);
  assert.ok(added.stdout.includes('"alice@example.com"'), added.stdout);
  // The first list gets the repository's id, on line 1; later adds keep it.
  const id = /^Gave this repository the id ([0-9a-f]{32}) /m.exec(
    added.stdout,
  )?.[1];
  assert.ok(id, added.stdout);
  const line = await json<{ keyId: string; line: string; principal: string }>(
    cli(repo, [
      "trust",
      "add",
      bob.publicLine,
      "--principal",
      "bob@example.com",
      "--json",
    ]),
  );
  assert.equal(line.keyId, bob.fingerprint);
  assert.equal(line.principal, "bob@example.com");
  assert.equal("repository" in line, false, "a second id was made");
  assert.match(
    line.line,
    /^bob@example\.com namespaces="mcp-orchestration" ssh-ed25519 AAAA/,
  );
  await ok(cli(repo, [
    "trust",
    "add",
    carol.publicPath,
    "--principal",
    "carol@example.com",
    "--valid-after",
    "20200101Z",
    "--valid-before",
    "2099-12-31T00:00:00Z",
  ]));

  // The same key again is refused, in either form and under any principal.
  const signers = join(STORE, "allowed_signers");
  const trusted = await repo.read(signers);
  for (const key of [alice.publicPath, alice.publicLine]) {
    const duplicate = await cli(repo, [
      "trust",
      "add",
      key,
      "--principal",
      "other@example.com",
    ]);
    assertCliError(
      duplicate,
      "TRUST",
      /already trusted as "alice@example\.com"/,
      alice.fingerprint,
    );
  }
  // A private key is refused: the user meant its .pub file.
  const secret = await cli(repo, [
    "trust",
    "add",
    alice.privatePath,
    "--principal",
    "x@example.com",
  ]);
  assertCliError(secret, "USAGE", /is a private key/);
  assert.deepEqual(await repo.read(signers), trusted);

  const list = await json<Record<string, unknown>[]>(
    cli(repo, ["trust", "list", "--json"]),
  );
  assert.deepEqual(list, [
    {
      keyId: alice.fingerprint,
      principals: ["alice@example.com"],
      keyType: "ssh-ed25519",
      namespaces: ["mcp-orchestration"],
      validAfter: null,
      validBefore: null,
      certAuthority: false,
      line: 2,
    },
    {
      keyId: bob.fingerprint,
      principals: ["bob@example.com"],
      keyType: "ssh-ed25519",
      namespaces: ["mcp-orchestration"],
      validAfter: null,
      validBefore: null,
      certAuthority: false,
      line: 3,
    },
    {
      keyId: carol.fingerprint,
      principals: ["carol@example.com"],
      keyType: "ssh-ed25519",
      namespaces: ["mcp-orchestration"],
      validAfter: "2020-01-01T00:00:00.000Z",
      validBefore: "2099-12-31T00:00:00.000Z",
      certAuthority: false,
      line: 4,
    },
  ]);
  assert.equal(
    new TextDecoder().decode(await repo.read(signers)).split("\n")[0],
    `# mcp-orchestration-repository ${id}`,
  );
  const text = await ok(cli(repo, ["trust", "list"]));
  assert.equal(text.stdout.trim().split("\n").length, 3);
  assert.ok(
    text.stdout.includes(`${bob.fingerprint}  bob@example.com`),
    text.stdout,
  );

  // Remove by key id, then by principal; an unknown one is an error.
  const byId = await json<{ keyId: string; principals: string[] }[]>(
    cli(repo, ["trust", "remove", alice.fingerprint, "--json"]),
  );
  assert.deepEqual(byId, [{
    keyId: alice.fingerprint,
    principals: ["alice@example.com"],
  }]);
  const byPrincipal = await ok(
    cli(repo, ["trust", "remove", "carol@example.com"]),
  );
  assert.ok(
    byPrincipal.stdout.includes(`Removed ${carol.fingerprint}`),
    byPrincipal.stdout,
  );
  const before = await repo.snapshot();
  for (const unknown of ["nobody@example.com", alice.fingerprint]) {
    const missing = await cli(repo, ["trust", "remove", unknown]);
    assertCliError(missing, "TRUST", `"${unknown}"`, /No entry/);
  }
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
  const left = await json<{ keyId: string }[]>(
    cli(repo, ["trust", "list", "--json"]),
  );
  assert.deepEqual(left.map((entry) => entry.keyId), [bob.fingerprint]);
});

Deno.test("sign with no config to sign writes nothing, not even a trust list", async () => {
  await using repo = await createTempRepo();
  await ok(cli(repo, ["keys", "init"]));
  const before = await repo.snapshot();
  const signed = await ok(cli(repo, ["sign"]));
  assert.match(signed.stdout, /No MCP configs to sign/);
  assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
  assert.equal(await repo.exists(STORE), false);
});

Deno.test("sign, verify and inspect: JSON shapes and how the store evolves", async () => {
  await using repo = await createTempRepo();
  const X = '{"mcpServers":{"files":{"command":"npx","args":["server"]}}}\n';
  const Y = '{"mcpServers":{"cursor":{"command":"uvx"}}}\n';
  await repo.write(".mcp.json", X);
  await repo.write("pkg/.mcp.json", X); // the same bytes at two paths
  await repo.write(".cursor/mcp.json", Y);
  const { created } = await json<
    { created: { keyId: string; publicKeyPath: string } }
  >(
    cli(repo, ["keys", "init", "--json"]),
  );
  const statementFiles = (
    id: string,
  ) => [`${STORE}/statements/${id}`, `${STORE}/statements/${id}.sig`];
  const artifactFile = (id: string) => `${STORE}/artifacts/${id}`;

  // --- First signing, before the key is trusted: signed, with a warning. ---
  const untrustedRun = await ok(cli(repo, ["sign", "--json"]));
  const first = JSON.parse(untrustedRun.stdout) as SignReport;
  assert.equal(first.signer, created.keyId);
  assert.match(first.signer, KEY_ID);
  assert.match(first.untrusted ?? "", /trust add/);
  assert.match(untrustedRun.stderr, /^warning: .*not trusted/);
  // With no trust list yet, sign starts one that holds only the
  // repository's id, so that what it signs is bound to this repository.
  const idOnly = new TextDecoder().decode(
    await repo.read(`${STORE}/allowed_signers`),
  );
  assert.match(idOnly, /^# mcp-orchestration-repository [0-9a-f]{32}\n$/);
  assert.deepEqual(
    first.results.map((r) => [r.path, r.status, r.sequence, r.artifact]),
    [
      [".cursor/mcp.json", "signed", 1, sha256(Y)],
      [".mcp.json", "signed", 1, sha256(X)],
      ["pkg/.mcp.json", "signed", 1, sha256(X)],
      [".mcp-orchestration/allowed_signers", "signed", 1, sha256(idOnly)],
    ],
  );
  for (const r of first.results) assert.match(r.statementId, ID);
  const ids = new Map(first.results.map((r) => [r.path, r.statementId]));
  assert.notEqual(ids.get(".mcp.json"), ids.get("pkg/.mcp.json"));

  const untrusted = await cli(repo, ["verify", "--json"]);
  assert.equal(untrusted.code, 1);
  const untrustedReport = JSON.parse(untrusted.stdout) as VerifyReport;
  assert.equal(untrustedReport.ok, false);
  assert.deepEqual(
    untrustedReport.results.map((r) => r.code),
    Array(3).fill("UNTRUSTED_SIGNER"),
  );

  // --- Trusted: verify passes without re-signing. ---
  await ok(
    cli(repo, [
      "trust",
      "add",
      created.publicKeyPath,
      "--principal",
      "alice@example.com",
    ]),
  );
  const verified = await json<VerifyReport>(cli(repo, ["verify", "--json"]));
  assert.equal(verified.ok, true);
  assert.equal(verified.verified, 3);
  assert.equal(verified.failed, 0);
  for (const r of verified.results) {
    assert.equal(r.ok, true);
    assert.equal(r.code, undefined);
    assert.equal(r.statementId, ids.get(r.path));
    assert.equal(r.signer, created.keyId);
    assert.deepEqual(r.principals, ["alice@example.com"]);
    assert.equal(r.sequence, 1);
    assert.match(r.signedAt ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }

  // --- Signing again changes nothing (once the trust list that "trust add"
  // changed is signed too). ---
  const trustSigned = await json<SignReport>(cli(repo, ["sign", "--json"]));
  assert.deepEqual(
    trustSigned.results.filter((r) => r.status === "signed").map((r) => r.path),
    [".mcp-orchestration/allowed_signers"],
  );
  const unchangedBefore = await repo.snapshot();
  const again = await ok(cli(repo, ["sign"]));
  assert.deepEqual(
    again.stdout.trim().split("\n").map((line) =>
      line.split(/\s+/).slice(0, 2).join(" ")
    ),
    [
      "unchanged .cursor/mcp.json",
      "unchanged .mcp.json",
      "unchanged pkg/.mcp.json",
      "unchanged .mcp-orchestration/allowed_signers",
    ],
  );
  assert.equal(again.stderr, "");
  const againJson = await json<SignReport>(cli(repo, ["sign", "--json"]));
  assert.ok(
    againJson.results.every((r) =>
      r.status === "unchanged" &&
      (r.statementId === ids.get(r.path) ||
        (r.path === ".mcp-orchestration/allowed_signers" &&
          r.statementId === trustSigned.results.at(-1)?.statementId))
    ),
  );
  assert.equal(againJson.untrusted, null);
  assert.deepEqual(snapshotDiff(unchangedBefore, await repo.snapshot()), []);

  // --- inspect by artifact id: both paths with these bytes. ---
  const both = await json<Inspection[]>(
    cli(repo, ["inspect", sha256(X), "--json"]),
  );
  assert.deepEqual(both.map((i) => i.path), [".mcp.json", "pkg/.mcp.json"]);
  for (const i of both) {
    assert.equal(i.artifact, sha256(X));
    assert.equal(i.statementId, ids.get(i.path));
    assert.equal(i.statementFile, `${STORE}/statements/${i.statementId}`);
    assert.equal(i.signatureFile, `${i.statementFile}.sig`);
    assert.equal(sha256(i.statement), i.statementId);
    assert.match(i.signature, /^-----BEGIN SSH SIGNATURE-----\n/);
    assert.equal(i.verification?.ok, true);
  }
  const inspectText = await ok(cli(repo, ["inspect", sha256(X)]));
  assert.match(inspectText.stdout, /^path: +\.mcp\.json$/m);
  assert.match(inspectText.stdout, /^path: +pkg\/\.mcp\.json$/m);
  assert.match(inspectText.stdout, /^status: +verified$/m);

  // --- An edited config: TAMPERED, then a new version continuing the
  // chain of the last commit. ---
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "signed");
  const Z =
    '{"mcpServers":{"files":{"command":"npx","args":["server","--ro"]}}}\n';
  await repo.write(".mcp.json", Z);
  const tampered = await cli(repo, ["verify", "--json"]);
  assert.equal(tampered.code, 1);
  assert.deepEqual(
    (JSON.parse(tampered.stdout) as VerifyReport).results.map((
      r,
    ) => [r.path, r.ok, r.code]),
    [[".cursor/mcp.json", true, undefined], [".mcp.json", false, "TAMPERED"], [
      "pkg/.mcp.json",
      true,
      undefined,
    ]],
  );
  const second = await json<SignReport>(cli(repo, ["sign", "--json"]));
  assert.deepEqual(second.results.map((r) => [r.path, r.status, r.sequence]), [
    [".cursor/mcp.json", "unchanged", 1],
    [".mcp.json", "signed", 2],
    ["pkg/.mcp.json", "unchanged", 1],
    [".mcp-orchestration/allowed_signers", "unchanged", 1],
  ]);
  const [edited] = await json<Inspection[]>(
    cli(repo, ["inspect", ".mcp.json", "--json"]),
  );
  assert.equal(edited?.sequence, 2);
  assert.deepEqual(edited?.previous, [sha256(X)]);
  assert.equal(edited?.artifact, sha256(Z));
  assert.match(
    edited?.statement ?? "",
    new RegExp(`^previous ${sha256(X)}$`, "m"),
  );
  for (const file of statementFiles(ids.get(".mcp.json")!)) {
    assert.equal(await repo.exists(file), false, `${file} was not removed`);
  }
  // pkg/.mcp.json still has the old bytes, so their artifact stays.
  assert.equal(await repo.exists(artifactFile(sha256(X))), true);
  assert.equal((await ok(cli(repo, ["verify"]))).code, 0);

  // --- From a subfolder, paths are relative to it. ---
  const W = '{"mcpServers":{"pkg":{"command":"pkg-server"}}}\n';
  await repo.write("pkg/.mcp.json", W);
  const pkg = join(repo.root, "pkg");
  const fromSub = await json<SignReport>(
    cli(repo, ["sign", "--json", ".mcp.json", "../.cursor/mcp.json"], pkg),
  );
  assert.deepEqual(fromSub.results.map((r) => [r.path, r.status, r.sequence]), [
    [".cursor/mcp.json", "unchanged", 1],
    ["pkg/.mcp.json", "signed", 2],
  ]);
  const [pkgInspection] = await json<Inspection[]>(
    cli(repo, ["inspect", ".mcp.json", "--json"], pkg),
  );
  assert.equal(pkgInspection?.path, "pkg/.mcp.json");
  assert.deepEqual(pkgInspection?.previous, [sha256(X)]);
  for (
    const file of [
      ...statementFiles(ids.get("pkg/.mcp.json")!),
      artifactFile(sha256(X)),
    ]
  ) {
    assert.equal(await repo.exists(file), false, `${file} was not removed`);
  }
  const gone = await cli(repo, ["inspect", sha256(X)]);
  assertCliError(gone, "BAD_PATH", /No signed config has the artifact id/);

  // --- A deleted config: its index line stays, as a tombstone, so that
  // re-adding an older signed version later is caught as a rollback. ---
  await Deno.remove(join(repo.root, ".cursor/mcp.json"));
  const full = await ok(cli(repo, ["sign"]));
  assert.doesNotMatch(full.stdout, /\.cursor/);
  const index = new TextDecoder().decode(await repo.read(`${STORE}/index`));
  assert.match(index, / \.cursor\/mcp\.json\n/);
  for (const file of statementFiles(ids.get(".cursor/mcp.json")!)) {
    assert.equal(await repo.exists(file), true, `${file} was removed`);
  }
  const last = await json<VerifyReport>(cli(repo, ["verify", "--json"]));
  assert.deepEqual(last.results.map((r) => [r.path, r.ok]), [[
    ".mcp.json",
    true,
  ], ["pkg/.mcp.json", true]]);
});

// Control characters that a terminal obeys: a raw one in the output means a
// file name could hide or rewrite what the user reads.
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

Deno.test("escapeControls makes every terminal control visible, keeping JSON valid", () => {
  const cases: [string, string][] = [
    ["plain text\n\tindented", "plain text\n\tindented"],
    ["a\u001b[8mb", "a\\u001b[8mb"],
    [
      "\u0000\u0007\u0008\u000b\u000c\r",
      "\\u0000\\u0007\\u0008\\u000b\\u000c\\u000d",
    ],
    ["del\u007f", "del\\u007f"],
    ["c1\u0080\u009b\u009f", "c1\\u0080\\u009b\\u009f"],
    ["\u00a0é✓", "\u00a0é✓"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(escapeControls(input), expected, JSON.stringify(input));
  }
  const value = { path: "x\u001b[8m\u009b2J\u007f/.mcp.json" };
  const json = escapeControls(JSON.stringify(value, null, 2));
  assert.doesNotMatch(json, RAW_CONTROL);
  assert.deepEqual(JSON.parse(json), value);
});

Deno.test("verify and errors print no raw control character from a file name", async () => {
  await using repo = await createTempRepo();
  // ESC [8m hides what follows; U+009B is the 8-bit CSI, raw in JSON.
  const folder = "x\u001b[8m hidden \u009b2J\u007f";
  const path = `${folder}/.mcp.json`;
  const shown = "x\\u001b[8m hidden \\u009b2J\\u007f/.mcp.json";
  // A report's path column is quoted as well (src/cli/io.ts, displayPath).
  const listed = '"x\\u001b[8m hidden \\u{9b}2J\\u{7f}/.mcp.json"';
  await repo.write(path, '{"mcpServers":{}}\n');
  await ok(cli(repo, ["keys", "init"]));

  const text = await cli(repo, ["verify"]);
  assert.equal(text.code, 1, text.stderr);
  assert.doesNotMatch(text.stdout + text.stderr, RAW_CONTROL);
  assert.ok(text.stdout.includes(`FAIL  ${listed}  `), text.stdout);

  const run = await cli(repo, ["verify", "--json"]);
  assert.equal(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stdout + run.stderr, RAW_CONTROL);
  const report = JSON.parse(run.stdout) as VerifyReport;
  assert.deepEqual(report.results.map((r) => [r.path, r.ok]), [[path, false]]);

  // Error messages naming the path are escaped too.
  for (
    const args of [["sign", path], ["inspect", `${path}\u001b]0;title\u0007`]]
  ) {
    const failed = await cli(repo, args);
    assert.equal(failed.code, 1, failed.stderr);
    assert.doesNotMatch(failed.stdout + failed.stderr, RAW_CONTROL);
    assert.ok(failed.stderr.includes(shown), failed.stderr);
  }
});
