/**
 * Bad input, end to end: each case runs the real CLI on a repository with a
 * trusted key and a signed config, and checks that the command fails with the
 * right exit code (1, or 2 for usage), that stderr names the file and the
 * problem, and that nothing was written: the working tree, the index, the
 * refs and `.mcp-orchestration/` are byte-identical before and after, and no
 * lock is left in `.git`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { ErrorCode } from "../../src/errors.ts";
import { type CliResult, runCli } from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import {
  createTempRepo,
  snapshotDiff,
  type TempRepo,
} from "../support/repo.ts";

const STORE = ".mcp-orchestration";
const LOCK = ".git/mcp-orchestration.lock";
const GOOD = '{"mcpServers":{"files":{"command":"npx","args":["server"]}}}\n';

/** What every case can use. */
interface Context {
  repo: TempRepo;
  /** A folder outside the repository (it holds a valid `.mcp.json`). */
  outside: string;
  /** The default signing key, made by `keys init`. */
  keyPath: string;
}

interface BadInputCase {
  name: string;
  /** Prepares the files; runs before the "before" snapshot. */
  setup?(c: Context): Promise<void>;
  /** The CLI's arguments. */
  args(c: Context): string[];
  /** The CLI's working folder (default: the repository's root). */
  cwd?(c: Context): string;
  env?(c: Context): Record<string, string>;
  /** The error's code (which sets the exit code: 2 for USAGE, else 1). */
  error: ErrorCode;
  /** Texts stderr must contain (the file and the problem). */
  stderr(c: Context): string[];
  /** Texts stderr must not contain (a misleading wording). */
  notStderr?(c: Context): string[];
  /** Undoes what `setup` did that would spoil later cases. */
  teardown?(c: Context): Promise<void>;
}

// The public key beside the default private key.
function publicOf(c: Context): string {
  return c.keyPath.replace(/\.key$/, ".pub");
}

function hex(length: number, digit = "a"): string {
  return digit.repeat(length);
}

async function sshKeygen(args: string[]): Promise<void> {
  const output = await new Deno.Command("ssh-keygen", {
    args,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `ssh-keygen ${args.join(" ")}: ${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
}

const cases: BadInputCase[] = [
  // --- Configs that do not validate ---
  {
    name: "a missing file",
    args: () => ["sign", "missing/.mcp.json"],
    error: "BAD_PATH",
    stderr: () => ['"missing/.mcp.json"', "no such file"],
  },
  {
    name: "invalid JSON, with line and column",
    setup: (c) =>
      c.repo.write("invalid/.mcp.json", '{\n  "mcpServers": {,}\n}\n'),
    args: () => ["sign", "invalid/.mcp.json"],
    error: "INVALID_CONFIG",
    stderr:
      () => ['"invalid/.mcp.json"', "line 2, column 18", "expected a value"],
  },
  {
    name: "a duplicate key in JSON",
    setup: (c) =>
      c.repo.write(
        "dup/.mcp.json",
        '{\n  "mcpServers": {},\n  "mcpServers": {}\n}\n',
      ),
    args: () => ["sign", "dup/.mcp.json"],
    error: "INVALID_CONFIG",
    stderr: () => ['"dup/.mcp.json"', "line 3", 'duplicate key "mcpServers"'],
  },
  {
    name: "a duplicate key in JSONC (.vscode/mcp.json), after a comment",
    setup: (c) =>
      c.repo.write(
        "dup/.vscode/mcp.json",
        '{\n  // tools\n  "servers": {\n    "a": {"command": "x"},\n    "a": {"command": "y"},\n  },\n}\n',
      ),
    args: () => ["sign", "dup/.vscode/mcp.json"],
    error: "INVALID_CONFIG",
    stderr: () => ['"dup/.vscode/mcp.json"', "line 5", 'duplicate key "a"'],
  },
  {
    name: "a duplicate key in TOML (.codex/config.toml)",
    setup: (c) =>
      c.repo.write(
        "dup/.codex/config.toml",
        '[mcp_servers.a]\ncommand = "x"\ncommand = "y"\n',
      ),
    args: () => ["sign", "dup/.codex/config.toml"],
    error: "INVALID_CONFIG",
    stderr: () => ['"dup/.codex/config.toml"', "line 3", "duplicate key"],
  },
  {
    name: "a VS Code config without its servers table",
    setup: (c) =>
      c.repo.write("noservers/.vscode/mcp.json", '{"mcpServers": {}}\n'),
    args: () => ["sign", "noservers/.vscode/mcp.json"],
    error: "INVALID_CONFIG",
    stderr: () => ['"noservers/.vscode/mcp.json"', 'no "servers" table'],
  },
  {
    name: "a Zed config without its context_servers table",
    setup: (c) =>
      c.repo.write("noservers/.zed/settings.json", '{"theme": "One Dark"}\n'),
    args: () => ["sign", "noservers/.zed/settings.json"],
    error: "INVALID_CONFIG",
    stderr:
      () => ['"noservers/.zed/settings.json"', 'no "context_servers" table'],
  },
  {
    name: "a UTF-8 byte-order mark (refused deliberately)",
    setup: (c) =>
      c.repo.write(
        "bom/.mcp.json",
        new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(GOOD)]),
      ),
    args: () => ["sign", "bom/.mcp.json"],
    error: "INVALID_CONFIG",
    stderr: () => ['"bom/.mcp.json"', "byte-order mark"],
  },
  {
    name: "a file over the 1 MiB limit",
    // Valid JSON padded with spaces: only its size is wrong.
    setup: (c) =>
      c.repo.write("big/.mcp.json", GOOD.padEnd(1024 * 1024 + 1, " ")),
    args: () => ["sign", "big/.mcp.json"],
    error: "INVALID_CONFIG",
    stderr: () => ['"big/.mcp.json"', "over the limit of 1048576 bytes"],
  },
  {
    name: "binary data",
    setup: (c) => c.repo.write("binary/.mcp.json", `${GOOD}\0\x01`),
    args: () => ["sign", "binary/.mcp.json"],
    error: "INVALID_CONFIG",
    stderr: () => ['"binary/.mcp.json"', "binary data", "0x00"],
  },
  // --- Paths ---
  {
    name:
      "a symlink as the config path, even to a good config in the repository",
    setup: (c) =>
      Deno.symlink("../.mcp.json", join(c.repo.root, "link", ".mcp.json")),
    args: () => ["sign", "link/.mcp.json"],
    error: "BAD_PATH",
    stderr: () => ['"link/.mcp.json"', "symbolic link"],
  },
  {
    name: "a relative path outside the repository",
    args: () => ["sign", "../x/.mcp.json"],
    error: "BAD_PATH",
    stderr: () => ['"../x/.mcp.json"', "outside the repository"],
  },
  {
    name: "an absolute path outside the repository",
    args: (c) => ["sign", join(c.outside, ".mcp.json")],
    error: "BAD_PATH",
    stderr: (c) => [join(c.outside, ".mcp.json"), "outside the repository"],
  },
  {
    name: "a path through a symlinked folder that leads outside",
    setup: (c) => Deno.symlink(c.outside, join(c.repo.root, "linked")),
    args: () => ["sign", "linked/.mcp.json"],
    error: "BAD_PATH",
    stderr: () => [
      '"linked/.mcp.json"',
      'its folder "linked" is a symbolic link',
    ],
  },
  {
    name: "a file that is not a recognised config",
    setup: (c) => c.repo.write("notes/servers.json", GOOD),
    args: () => ["sign", "notes/servers.json"],
    error: "BAD_PATH",
    stderr: () => ['"notes/servers.json"', "not a recognised MCP config"],
  },
  {
    name: "one bad file among several good ones: nothing is signed",
    async setup(c) {
      await c.repo.write("mixed/a/.mcp.json", GOOD);
      await c.repo.write("mixed/.cursor/mcp.json", GOOD);
      await c.repo.write(
        "mixed/b/.mcp.json",
        '{"mcpServers": {}, "mcpServers": {}}\n',
      );
      await c.repo.write("mixed/.vscode/mcp.json", '{"servers": {}}\n');
    },
    args: () => [
      "sign",
      "mixed/a/.mcp.json",
      "mixed/.cursor/mcp.json",
      "mixed/b/.mcp.json",
      "mixed/.vscode/mcp.json",
    ],
    error: "INVALID_CONFIG",
    stderr: () => ['"mixed/b/.mcp.json"', "duplicate key"],
  },
  {
    name: "a full sign with bad files anywhere in the tree: nothing is signed",
    args: () => ["sign"],
    error: "INVALID_CONFIG",
    stderr: () => ['"mixed/b/.mcp.json"', '"dup/.mcp.json"', '"bom/.mcp.json"'],
  },
  {
    name: "an unknown option is a usage error",
    args: () => ["sign", "--bogus", ".mcp.json"],
    error: "USAGE",
    stderr: () => ["bogus", "mcp-orchestration sign --help"],
  },
  {
    name: "a mistyped option suggests the nearest one",
    args: () => ["verify", "--rnage", "HEAD~1..HEAD"],
    error: "USAGE",
    stderr: () => [
      'Unknown option "--rnage" for "verify": did you mean "--range"?',
    ],
    notStderr: () => ["'"],
  },
  // --- inspect with ids that are not artifact ids ---
  {
    name: "inspect with a traversal path",
    args: () => ["inspect", "../../etc/passwd"],
    error: "BAD_PATH",
    stderr: () => ['"../../etc/passwd"', "outside the repository"],
  },
  {
    name: "inspect with 63 hex digits",
    args: () => ["inspect", hex(63)],
    error: "USAGE",
    stderr: () => [hex(63), "neither a file nor an artifact id"],
  },
  {
    name: "inspect with 64 uppercase hex digits",
    args: () => ["inspect", hex(64, "A")],
    error: "USAGE",
    stderr: () => [hex(64, "A"), "64 lowercase hex digits"],
  },
  {
    name: "inspect a path that does not exist",
    args: () => ["inspect", "nowhere/.mcp.json"],
    error: "BAD_PATH",
    stderr: () => ['"nowhere/.mcp.json"', "it does not exist"],
    notStderr: () => ["in the index"],
  },
  {
    name: "inspect a file that is not signed",
    setup: (c) => c.repo.write("unsigned/.mcp.json", GOOD),
    args: () => ["inspect", "unsigned/.mcp.json"],
    error: "BAD_PATH",
    stderr: () => ['"unsigned/.mcp.json" is not signed', "the signature index"],
    notStderr: () => ["does not exist", "in the index"],
    teardown: (c) =>
      Deno.remove(join(c.repo.root, "unsigned"), { recursive: true }),
  },
  {
    name: "inspect with an unknown artifact id",
    args: () => ["inspect", hex(64, "0")],
    error: "BAD_PATH",
    stderr: () => [hex(64, "0"), "No signed config has the artifact id"],
  },
  // --- Keys ---
  {
    name: "a private key readable by others (chmod 644)",
    async setup(c) {
      await c.repo.write("keycase/.mcp.json", GOOD);
      await Deno.chmod(c.keyPath, 0o644);
    },
    args: () => ["sign", "keycase/.mcp.json"],
    error: "KEY_PERMISSIONS",
    stderr: (
      c,
    ) => [
      "Permissions 0644",
      c.keyPath,
      "too open",
      `chmod 600 "${c.keyPath}"`,
    ],
    teardown: (c) => Deno.chmod(c.keyPath, 0o600),
  },
  {
    name: "no signing key at all",
    args: () => ["sign", "keycase/.mcp.json"],
    env: (c) => ({ MCP_ORCHESTRATION_HOME: join(c.outside, "empty home") }),
    error: "KEY_NOT_FOUND",
    stderr: (c) => [
      join(c.outside, "empty home", "keys", "signing.key"),
      '"mcp-orchestration keys init"',
    ],
  },
  {
    name: "--key naming a file that does not exist",
    args: (
      c,
    ) => ["sign", "--key", join(c.outside, "nope.key"), "keycase/.mcp.json"],
    error: "KEY_NOT_FOUND",
    stderr: (c) => ["No private key", join(c.outside, "nope.key")],
  },
  {
    // Tests run as root, and root reads a file whatever its mode, so
    // "chmod 000" cannot make a key unreadable here; a folder where the key
    // file should be is a key the tool cannot read on any system.
    name: "--key naming a folder (an unreadable key)",
    setup: (c) => Deno.mkdir(join(c.outside, "folder.key"), { mode: 0o700 }),
    args: (
      c,
    ) => ["sign", "--key", join(c.outside, "folder.key"), "keycase/.mcp.json"],
    error: "BAD_PATH",
    stderr: (c) => [join(c.outside, "folder.key"), "not a regular file"],
  },
  {
    // keys init writes the public key 0644: the permission check must not
    // come first and ask to "chmod 600" it.
    name: "--key naming the public key (.pub, mode 0644)",
    args: (c) => ["sign", "--key", publicOf(c), "keycase/.mcp.json"],
    error: "INVALID_KEY",
    stderr: (c) => [`"${publicOf(c)}" is a public key`, `"${c.keyPath}"`],
  },
  {
    name: "--key naming a copy of the public key without .pub (mode 0644)",
    setup: async (c) => {
      await Deno.copyFile(publicOf(c), join(c.outside, "copied"));
      await Deno.chmod(join(c.outside, "copied"), 0o644);
    },
    args: (
      c,
    ) => ["sign", "--key", join(c.outside, "copied"), "keycase/.mcp.json"],
    error: "INVALID_KEY",
    stderr: (c) => [`"${join(c.outside, "copied")}" is a public key`],
  },
  {
    name: "an encrypted key (ssh-keygen -N secret)",
    setup: (c) =>
      sshKeygen([
        "-q",
        "-t",
        "ed25519",
        "-N",
        "secret",
        "-C",
        "enc",
        "-f",
        join(c.outside, "encrypted"),
      ]),
    args: (
      c,
    ) => ["sign", "--key", join(c.outside, "encrypted"), "keycase/.mcp.json"],
    error: "INVALID_KEY",
    stderr: (
      c,
    ) => [
      join(c.outside, "encrypted"),
      "protected by a passphrase and there is no terminal",
      "ssh-add",
      "MCP_ORCHESTRATION_PASSPHRASE_FILE",
    ],
  },
  {
    name: "an RSA key",
    setup: (c) =>
      sshKeygen([
        "-q",
        "-t",
        "rsa",
        "-b",
        "2048",
        "-N",
        "",
        "-C",
        "rsa",
        "-f",
        join(c.outside, "rsa"),
      ]),
    args: (c) => ["sign", "--key", join(c.outside, "rsa"), "keycase/.mcp.json"],
    error: "INVALID_KEY",
    stderr: (
      c,
    ) => [join(c.outside, "rsa"), '"ssh-rsa"', 'only "ssh-ed25519" keys'],
  },
  // --- Repository ---
  {
    name: "a malformed .mcp-orchestration/config.json",
    setup: (c) =>
      c.repo.write(`${STORE}/config.json`, '{"version": 1, "configs": [}\n'),
    args: () => ["sign", ".mcp.json"],
    error: "INVALID_CONFIG",
    stderr:
      () => ["Invalid repository config", `"${STORE}/config.json"`, "line 1"],
    teardown: (c) => Deno.remove(join(c.repo.root, STORE, "config.json")),
  },
  {
    name: "not a git repository",
    args: () => ["sign"],
    cwd: (c) => c.outside,
    error: "NOT_A_REPOSITORY",
    stderr: (c) => ["Not inside a Git working tree", c.outside],
  },
];

Deno.test("bad input is refused with a clear message, and nothing is written", async (t) => {
  await using repo = await createTempRepo();
  const outside = join(repo.home, "outside");
  await Deno.mkdir(outside);
  await Deno.writeTextFile(join(outside, ".mcp.json"), GOOD);
  await Deno.mkdir(join(repo.root, "link"));
  const cli = (
    args: string[],
    options: { cwd?: string; env?: Record<string, string> } = {},
  ) =>
    runCli(args, {
      cwd: options.cwd ?? repo.root,
      home: repo.home,
      ...(options.env ? { env: options.env } : {}),
    });
  await mustSucceed(cli(["keys", "init"]));
  const keyPath = join(repo.home, "keys", "signing.key");
  await mustSucceed(
    cli([
      "trust",
      "add",
      join(repo.home, "keys", "signing.pub"),
      "--principal",
      "alice@example.com",
    ]),
  );
  await repo.write(".mcp.json", GOOD);
  await mustSucceed(cli(["sign"]));
  const c: Context = { repo, outside, keyPath };

  for (const bad of cases) {
    await t.step(bad.name, async () => {
      await bad.setup?.(c);
      const before = await repo.snapshot();
      const result = await cli(bad.args(c), {
        ...(bad.cwd ? { cwd: bad.cwd(c) } : {}),
        ...(bad.env ? { env: bad.env(c) } : {}),
      });
      const shown =
        `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
      assertCliError(result, bad.error);
      for (const text of bad.stderr(c)) {
        assert.ok(
          result.stderr.includes(text),
          `stderr lacks ${JSON.stringify(text)}\n${shown}`,
        );
      }
      for (const text of bad.notStderr?.(c) ?? []) {
        assert.ok(
          !result.stderr.includes(text),
          `stderr has ${JSON.stringify(text)}\n${shown}`,
        );
      }
      assert.doesNotMatch(result.stderr, /unexpected failure/, shown);
      assert.equal(result.stdout, "", shown);
      assert.deepEqual(snapshotDiff(before, await repo.snapshot()), []);
      assert.equal(await repo.exists(LOCK), false, "a lock was left in .git");
      await bad.teardown?.(c);
    });
  }

  // The signed config is still exactly as it was signed.
  const verified = await cli(["verify", ".mcp.json"]);
  assert.equal(verified.code, 0, verified.stderr);
});

Deno.test("a corrupted signature file: verify reports MALFORMED, sign re-signs and the chain continues", async () => {
  await using repo = await createTempRepo();
  const cli = (args: string[]) =>
    runCli(args, { cwd: repo.root, home: repo.home });
  await mustSucceed(cli(["keys", "init"]));
  await mustSucceed(
    cli([
      "trust",
      "add",
      join(repo.home, "keys", "signing.pub"),
      "--principal",
      "alice@example.com",
    ]),
  );
  await repo.write(".mcp.json", GOOD);
  const first = JSON.parse((await mustSucceed(cli(["sign", "--json"]))).stdout);
  const old = first.results.find((r: { path: string }) =>
    r.path === ".mcp.json"
  );
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "signed");
  const oldSignature = `${STORE}/statements/${old.statementId}.sig`;
  await repo.write(
    oldSignature,
    "-----BEGIN SSH SIGNATURE-----\nnot base64!\n-----END SSH SIGNATURE-----\n",
  );

  const broken = await cli(["verify", "--json"]);
  assert.equal(broken.code, 1, broken.stderr);
  const report = JSON.parse(broken.stdout);
  assert.equal(report.ok, false);
  assert.equal(report.results[0].code, "MALFORMED");
  assert.match(
    report.results[0].reason,
    new RegExp(`${old.statementId}\\.sig`),
  );

  // sign does not treat the damaged statement as current: it signs the same
  // bytes again, continuing the chain (sequence + 1, previous = the artifact).
  const resigned = JSON.parse(
    (await mustSucceed(cli(["sign", "--json"]))).stdout,
  );
  const fresh = resigned.results.find((r: { path: string }) =>
    r.path === ".mcp.json"
  );
  assert.equal(fresh.status, "signed");
  assert.equal(fresh.sequence, old.sequence + 1);
  assert.equal(fresh.artifact, old.artifact);
  assert.notEqual(fresh.statementId, old.statementId);
  const [inspected] = JSON.parse(
    (await mustSucceed(cli(["inspect", ".mcp.json", "--json"]))).stdout,
  );
  assert.deepEqual(inspected.previous, [old.artifact]);
  assert.equal(inspected.sequence, 2);
  assert.equal(
    await repo.exists(oldSignature),
    false,
    "the damaged signature was left behind",
  );
  assert.equal(
    await repo.exists(`${STORE}/statements/${old.statementId}`),
    false,
  );
  assert.equal(
    await repo.exists(`${STORE}/artifacts/${old.artifact}`),
    true,
    "the artifact is still needed",
  );
  assert.equal((await cli(["verify"])).code, 0);
});

async function mustSucceed(run: Promise<CliResult>): Promise<CliResult> {
  const result = await run;
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result;
}
