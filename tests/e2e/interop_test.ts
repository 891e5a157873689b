/**
 * Interoperability with stock OpenSSH: what the tool writes, `ssh-keygen`
 * reads and verifies, and what `ssh-keygen` makes (keys, signatures), the
 * tool accepts. Nothing here is checked against the tool's own code alone.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { formatStatement, type VerifyResult } from "../../mod.ts";
import { type CliResult, runCli } from "../support/cli.ts";
import { writeStdin } from "../support/process.ts";
import { createTempRepo, type TempRepo } from "../support/repo.ts";
import { generateKey, sshSign } from "../support/ssh_keygen.ts";

const STORE = ".mcp-orchestration";
const ALLOWED_SIGNERS = `${STORE}/allowed_signers`;
const NAMESPACE = "mcp-orchestration";
const CONFIG =
  '{"mcpServers":{"files":{"command":"npx","args":["-y","@modelcontextprotocol/server-filesystem","."]}}}\n';
const SUB_CONFIG =
  '{"mcpServers":{"git":{"command":"uvx","args":["mcp-server-git"]}}}\n';

interface KeygenResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real ssh-keygen with no agent and no user config, in `cwd`. */
async function sshKeygen(
  args: string[],
  options: { cwd?: string; stdin?: Uint8Array } = {},
): Promise<KeygenResult> {
  const path = Deno.env.get("PATH");
  const child = new Deno.Command("ssh-keygen", {
    args,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    clearEnv: true,
    env: path === undefined ? {} : { PATH: path },
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) await writeStdin(child, options.stdin);
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function sha256(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function cli(
  repo: TempRepo,
  args: string[],
  env?: Record<string, string>,
): Promise<CliResult> {
  return runCli(args, {
    cwd: repo.root,
    home: repo.home,
    ...(env ? { env } : {}),
  });
}

async function cliJson<T>(
  repo: TempRepo,
  args: string[],
  env?: Record<string, string>,
): Promise<T> {
  const result = await cli(repo, [...args, "--json"], env);
  assert.equal(result.code, 0, `"${args.join(" ")}" failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function verifyJson(
  repo: TempRepo,
): Promise<{ code: number; results: VerifyResult[] }> {
  const result = await cli(repo, ["verify", "--json"]);
  assert.ok(
    result.code === 0 || result.code === 1,
    `verify failed to run: ${result.stderr}`,
  );
  return {
    code: result.code,
    results: (JSON.parse(result.stdout) as { results: VerifyResult[] }).results,
  };
}

async function withRepo(fn: (repo: TempRepo) => Promise<void>): Promise<void> {
  const repo = await createTempRepo();
  try {
    await fn(repo);
  } finally {
    await repo.cleanup();
  }
}

interface KeyInfo {
  keyId: string;
  publicKeyLine: string;
  privateKeyPath: string;
  publicKeyPath: string;
}

interface SignReport {
  signer: string;
  results: {
    path: string;
    status: string;
    statementId: string;
    artifact: string;
  }[];
}

Deno.test("interop: ssh-keygen verifies what sign wrote, without mcp-orchestration", async () => {
  await withRepo(async (repo) => {
    const { created } = await cliJson<{ created: KeyInfo }>(repo, [
      "keys",
      "init",
    ]);
    await cliJson(repo, [
      "trust",
      "add",
      created.publicKeyPath,
      "--principal",
      "alice@example.com",
    ]);
    await repo.write(".mcp.json", CONFIG);
    const report = await cliJson<SignReport>(repo, ["sign"]);
    const id = report.results[0]?.statementId ?? "";
    assert.match(id, /^[0-9a-f]{64}$/);
    const statementFile = `${STORE}/statements/${id}`;
    const signatureFile = `${statementFile}.sig`;
    const statement = await repo.read(statementFile);

    // The recipe: ssh-keygen -Y verify … < statement, run from the repository's root.
    const verify = (
      principal: string,
      namespace: string,
      message: Uint8Array,
    ) =>
      sshKeygen(
        [
          "-Y",
          "verify",
          "-f",
          ALLOWED_SIGNERS,
          "-I",
          principal,
          "-n",
          namespace,
          "-s",
          signatureFile,
        ],
        { cwd: repo.root, stdin: message },
      );
    const good = await verify("alice@example.com", NAMESPACE, statement);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(
      good.stdout,
      /^Good "mcp-orchestration" signature for alice@example\.com with ED25519 key /,
    );
    assert.ok(good.stdout.includes(created.keyId), good.stdout);
    // ssh-keygen is not a rubber stamp: other bytes, namespace or principal fail.
    const changed = new TextEncoder().encode(
      new TextDecoder().decode(statement).replace(
        /^sequence 1$/m,
        "sequence 2",
      ),
    );
    assert.notEqual(
      (await verify("alice@example.com", NAMESPACE, changed)).code,
      0,
    );
    assert.notEqual(
      (await verify("alice@example.com", "git", statement)).code,
      0,
    );
    assert.notEqual(
      (await verify("mallory@example.com", NAMESPACE, statement)).code,
      0,
    );

    const found = await sshKeygen([
      "-Y",
      "find-principals",
      "-f",
      ALLOWED_SIGNERS,
      "-s",
      signatureFile,
    ], {
      cwd: repo.root,
    });
    assert.equal(found.code, 0, found.stderr);
    assert.equal(found.stdout, "alice@example.com\n");

    // sha256sum of the config is the statement's artifact line, and its size the size line.
    const text = new TextDecoder().decode(statement);
    const config = await repo.read(".mcp.json");
    assert.match(text, new RegExp(`^artifact ${sha256(config)}$`, "m"));
    assert.match(text, new RegExp(`^size ${config.length}$`, "m"));
    assert.match(text, /^path \.mcp\.json$/m);
    assert.ok(text.includes(`\nsigner ${created.keyId}\n`), text);
    // The artifact holds exactly the config's bytes, and the statement hashes to its id.
    assert.deepEqual(
      await repo.read(`${STORE}/artifacts/${sha256(config)}`),
      config,
    );
    assert.equal(sha256(statement), id);
  });
});

Deno.test("interop: an ssh-keygen key signs via --key and via MCP_ORCHESTRATION_KEY", async () => {
  await withRepo(async (repo) => {
    const byOption = await generateKey(repo.home, "ci-key");
    const byEnv = await generateKey(repo.home, "env-key");
    assert.equal(
      (await cliJson<KeyInfo>(repo, [
        "keys",
        "show",
        "--key",
        byOption.privatePath,
      ])).keyId,
      byOption.fingerprint,
    );
    const env = { MCP_ORCHESTRATION_KEY: byEnv.privatePath };
    assert.equal(
      (await cliJson<KeyInfo>(repo, ["keys", "show"], env)).keyId,
      byEnv.fingerprint,
    );
    // --key wins over the environment.
    assert.equal(
      (await cliJson<KeyInfo>(repo, [
        "keys",
        "show",
        "--key",
        byOption.privatePath,
      ], env)).keyId,
      byOption.fingerprint,
    );

    await cliJson(repo, [
      "trust",
      "add",
      byOption.publicPath,
      "--principal",
      "ci@example.com",
    ]);
    await cliJson(repo, [
      "trust",
      "add",
      byEnv.publicLine,
      "--principal",
      "env@example.com",
    ]);
    await repo.write(".mcp.json", CONFIG);
    const first = await cliJson<SignReport>(repo, [
      "sign",
      "--key",
      byOption.privatePath,
    ]);
    assert.equal(first.signer, byOption.fingerprint);
    let verified = await verifyJson(repo);
    assert.equal(verified.code, 0, JSON.stringify(verified.results));
    assert.equal(verified.results[0]?.signer, byOption.fingerprint);
    assert.deepEqual(verified.results[0]?.principals, ["ci@example.com"]);

    await repo.write(".mcp.json", SUB_CONFIG);
    const second = await cliJson<SignReport>(repo, ["sign"], env);
    assert.equal(second.signer, byEnv.fingerprint);
    assert.equal(second.results[0]?.status, "signed");
    verified = await verifyJson(repo);
    assert.equal(verified.code, 0, JSON.stringify(verified.results));
    assert.equal(verified.results[0]?.signer, byEnv.fingerprint);
    assert.deepEqual(verified.results[0]?.principals, ["env@example.com"]);

    // Neither run fell back to a default key: there is none.
    assert.equal(
      await Deno.stat(join(repo.home, "keys")).then(() => true, () => false),
      false,
    );
  });
});

Deno.test("interop: a signature made by ssh-keygen -Y sign over our statement verifies once its key is trusted", async () => {
  await withRepo(async (repo) => {
    const key = await generateKey(repo.home, "external");
    const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    // One config per hash algorithm that PROTOCOL.sshsig allows.
    const cases = [
      { path: ".mcp.json", bytes: CONFIG, options: [] },
      {
        path: "sub/.mcp.json",
        bytes: SUB_CONFIG,
        options: ["-O", "hashalg=sha256"],
      },
    ];
    // The trust list starts as the repository's id alone, which the
    // statements name (format version 2).
    const repository = "0123456789abcdef0123456789abcdef";
    await repo.write(
      ALLOWED_SIGNERS,
      `# mcp-orchestration-repository ${repository}\n`,
    );
    const index: string[] = [];
    for (const { path, bytes, options } of cases) {
      await repo.write(path, bytes);
      const artifact = sha256(bytes);
      await repo.write(`${STORE}/artifacts/${artifact}`, bytes);
      const statement = formatStatement({
        version: 2,
        repository,
        path,
        artifact,
        size: new TextEncoder().encode(bytes).length,
        signer: key.fingerprint,
        signedAt,
        sequence: 1,
        previous: [],
      });
      const id = sha256(statement);
      const statementFile = `${STORE}/statements/${id}`;
      await repo.write(statementFile, statement);
      if (options.length === 0) {
        await sshSign({
          keyPath: key.privatePath,
          namespace: NAMESPACE,
          messagePath: join(repo.root, statementFile),
        });
      } else {
        const signed = await sshKeygen([
          "-Y",
          "sign",
          "-f",
          key.privatePath,
          "-n",
          NAMESPACE,
          ...options,
          statementFile,
        ], {
          cwd: repo.root,
        });
        assert.equal(signed.code, 0, signed.stderr);
      }
      assert.ok(await repo.exists(`${statementFile}.sig`));
      index.push(`${id} ${path}`);
    }
    await repo.write(
      `${STORE}/index`,
      ["mcp-orchestration-index v1", ...index].join("\n") + "\n",
    );

    // The signature itself is accepted; only trust is missing.
    let verified = await verifyJson(repo);
    assert.equal(verified.code, 1);
    assert.deepEqual(verified.results.map((r) => r.code), [
      "UNTRUSTED_SIGNER",
      "UNTRUSTED_SIGNER",
    ]);

    await cliJson(repo, [
      "trust",
      "add",
      key.publicPath,
      "--principal",
      "external@example.com",
    ]);
    verified = await verifyJson(repo);
    assert.equal(verified.code, 0, JSON.stringify(verified.results, null, 2));
    assert.deepEqual(verified.results.map((r) => [r.path, r.ok, r.signer]), [
      [".mcp.json", true, key.fingerprint],
      ["sub/.mcp.json", true, key.fingerprint],
    ]);
  });
});

Deno.test("interop: ssh-keygen reads the key that keys init wrote", async () => {
  await withRepo(async (repo) => {
    const { created } = await cliJson<{ created: KeyInfo }>(repo, [
      "keys",
      "init",
    ]);
    const shown = await cliJson<KeyInfo>(repo, ["keys", "show"]);
    assert.equal(shown.keyId, created.keyId);
    const privatePath = join(repo.home, "keys", "signing.key");
    const publicPath = join(repo.home, "keys", "signing.pub");
    assert.equal(shown.privateKeyPath, privatePath);

    const derived = await sshKeygen(["-y", "-f", privatePath]);
    assert.equal(derived.code, 0, derived.stderr);
    const publicLine = (await Deno.readTextFile(publicPath)).trim();
    assert.equal(publicLine, shown.publicKeyLine);
    // ssh-keygen -y prints "type base64 comment"; compare type and key.
    const typeAndKey = (line: string) =>
      line.trim().split(" ").slice(0, 2).join(" ");
    assert.equal(typeAndKey(derived.stdout), typeAndKey(publicLine));
    assert.match(
      typeAndKey(publicLine),
      /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/,
    );

    for (const file of [privatePath, publicPath]) {
      const listed = await sshKeygen(["-lf", file]);
      assert.equal(listed.code, 0, listed.stderr);
      // "256 SHA256:… comment (ED25519)"
      assert.equal(listed.stdout.split(" ")[1], shown.keyId, listed.stdout);
      assert.match(listed.stdout, /^256 SHA256:\S+ .*\(ED25519\)\n$/);
    }
  });
});
