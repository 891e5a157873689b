/**
 * `sign-file`, end to end against the real `ssh-keygen`: what it writes is
 * byte for byte what `ssh-keygen -Y sign -n mcp-orchestration-release`
 * writes, `ssh-keygen -Y verify` accepts it in the release namespace only,
 * for the exact bytes only, and a repository's trust list (namespace
 * `mcp-orchestration`) does not vouch for it. Config signatures do not pass
 * as release signatures either.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, runCli } from "../support/cli.ts";
import { writeStdin } from "../support/process.ts";
import { assertCliError } from "../support/errors.ts";
import { createTempRepo, withTempDir } from "../support/repo.ts";
import { generateKey, sshSign, sshVerify } from "../support/ssh_keygen.ts";

const RELEASE = "mcp-orchestration-release";
const CONFIG = "mcp-orchestration";

interface SignFileReport {
  signer: string;
  namespace: string;
  files: { path: string; signature: string; size: number; sha256: string }[];
}

function cli(
  dir: string,
  args: string[],
  env?: Record<string, string | undefined>,
): Promise<CliResult> {
  return runCli(args, {
    cwd: dir,
    home: join(dir, "home"),
    ...(env ? { env } : {}),
  });
}

/** Runs ssh-keygen with only PATH in its environment, the message on stdin. */
async function sshKeygen(
  args: string[],
  stdin: Uint8Array,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("ssh-keygen", {
    args,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await writeStdin(child, stdin);
  const out = await child.output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    output: decoder.decode(out.stdout) + decoder.decode(out.stderr),
  };
}

async function allowedSigners(
  dir: string,
  name: string,
  line: string,
): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, line + "\n");
  return path;
}

Deno.test("sign-file: ssh-keygen verifies it in the release namespace only, for the exact bytes", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "home"));
    const key = await generateKey(dir, "release-key");
    // Over three read chunks: the streamed digest is what gets signed.
    const binary = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 13) & 0xff;
    await Deno.writeFile(join(dir, "app-linux-x64"), binary);
    const sums = new TextEncoder().encode("0000  app-linux-x64\n");
    await Deno.writeFile(join(dir, "SHA256SUMS"), sums);

    const result = await cli(dir, [
      "sign-file",
      "app-linux-x64",
      "SHA256SUMS",
      "--key",
      key.privatePath,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as SignFileReport;
    assert.equal(report.signer, key.fingerprint);
    assert.equal(report.namespace, RELEASE);
    assert.deepEqual(report.files.map((f) => f.signature), [
      "app-linux-x64.sig",
      "SHA256SUMS.sig",
    ]);

    const releaseSigners = await allowedSigners(
      dir,
      "release_signers",
      `releases@example.com namespaces="${RELEASE}" ${key.publicLine}`,
    );
    const verify = (
      namespace: string,
      signature: string,
      message: Uint8Array,
      signers = releaseSigners,
    ) =>
      sshVerify({
        allowedSigners: signers,
        principal: "releases@example.com",
        namespace,
        signaturePath: join(dir, signature),
        message,
      });
    for (
      const [signature, message] of [["app-linux-x64.sig", binary], [
        "SHA256SUMS.sig",
        sums,
      ]] as const
    ) {
      const good = await verify(RELEASE, signature, message);
      assert.ok(good.ok, good.output);
      assert.match(
        good.output,
        new RegExp(`^Good "${RELEASE}" signature for releases@example\\.com`),
      );
      // Not a config signature: the namespace is part of what was signed.
      assert.equal((await verify(CONFIG, signature, message)).ok, false);
    }
    const tampered = binary.slice();
    tampered[2 * 1024 * 1024]! ^= 1;
    assert.equal(
      (await verify(RELEASE, "app-linux-x64.sig", tampered)).ok,
      false,
    );
    // A repository's trust list vouches for configs, not for releases.
    const configSigners = await allowedSigners(
      dir,
      "config_signers",
      `releases@example.com namespaces="${CONFIG}" ${key.publicLine}`,
    );
    assert.equal(
      (await verify(RELEASE, "SHA256SUMS.sig", sums, configSigners)).ok,
      false,
    );

    // check-novalidate: a valid signature in that namespace, whoever made it.
    const novalidate = (namespace: string) =>
      sshKeygen([
        "-Y",
        "check-novalidate",
        "-n",
        namespace,
        "-s",
        join(dir, "SHA256SUMS.sig"),
      ], sums);
    const checked = await novalidate(RELEASE);
    assert.equal(checked.code, 0, checked.output);
    assert.ok(checked.output.includes(key.fingerprint), checked.output);
    assert.notEqual((await novalidate(CONFIG)).code, 0);

    // Byte for byte what ssh-keygen -Y sign writes (Ed25519 is deterministic).
    const ours = await Deno.readTextFile(join(dir, "SHA256SUMS.sig"));
    await sshSign({
      keyPath: key.privatePath,
      namespace: RELEASE,
      messagePath: join(dir, "SHA256SUMS"),
    });
    assert.equal(await Deno.readTextFile(join(dir, "SHA256SUMS.sig")), ours);
  });
});

Deno.test("sign-file: a config statement signed by sign does not pass as a release file", async () => {
  await using repo = await createTempRepo();
  const key = await generateKey(repo.home, "k");
  const run = async (args: string[]) => {
    const result = await runCli(args, { cwd: repo.root, home: repo.home });
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  await run(["trust", "add", key.publicPath, "--principal", "p"]);
  await repo.write(".mcp.json", '{"mcpServers":{}}\n');
  const report = JSON.parse(
    await run(["sign", "--key", key.privatePath, "--json"]),
  ) as { results: { path: string; statementId: string }[] };
  const id = report.results.find((r) => r.path === ".mcp.json")?.statementId;
  const statement = join(
    repo.root,
    ".mcp-orchestration",
    "statements",
    `${id}`,
  );
  // Even a key trusted in both namespaces: the signature says which one it is for.
  const signers = await allowedSigners(
    repo.home,
    "allowed_signers",
    `p namespaces="${CONFIG},${RELEASE}" ${key.publicLine}`,
  );
  const verify = async (namespace: string) =>
    await sshVerify({
      allowedSigners: signers,
      principal: "p",
      namespace,
      signaturePath: `${statement}.sig`,
      message: await Deno.readFile(statement),
    });
  assert.ok((await verify(CONFIG)).ok);
  assert.equal((await verify(RELEASE)).ok, false);
});

Deno.test("sign-file: the key comes from --key, MCP_ORCHESTRATION_KEY or the home, as for sign", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "home"));
    await Deno.writeTextFile(join(dir, "f"), "file\n");
    const byOption = await generateKey(dir, "option-key");
    const byEnv = await generateKey(dir, "env-key");
    const init = await cli(dir, ["keys", "init", "--json"]);
    assert.equal(init.code, 0, init.stderr);
    const homeKey = (JSON.parse(init.stdout) as { created: { keyId: string } })
      .created.keyId;
    const signer = async (
      args: string[],
      env?: Record<string, string>,
    ): Promise<string> => {
      const result = await cli(dir, [
        "sign-file",
        "f",
        "--force",
        "--json",
        ...args,
      ], env);
      assert.equal(result.code, 0, result.stderr);
      return (JSON.parse(result.stdout) as SignFileReport).signer;
    };
    const env = { MCP_ORCHESTRATION_KEY: byEnv.privatePath };
    assert.equal(await signer([]), homeKey);
    assert.equal(await signer([], env), byEnv.fingerprint);
    assert.equal(
      await signer(["--key", byOption.privatePath], env),
      byOption.fingerprint,
    );
  });
});

Deno.test("sign-file: refusals name the file and leave signatures alone", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "home"));
    const key = await generateKey(dir, "k");
    const other = await generateKey(dir, "other");
    await Deno.writeTextFile(join(dir, "a"), "a\n");
    const run = (args: string[], keyPath = key.privatePath) =>
      cli(dir, ["sign-file", ...args, "--key", keyPath]);

    const signed = await run(["a"]);
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, /a\.sig/);
    assert.match(
      signed.stdout,
      /ssh-keygen -Y verify -f ALLOWED_SIGNERS -I PRINCIPAL -n mcp-orchestration-release -s FILE\.sig < FILE/,
    );
    const first = await Deno.readTextFile(join(dir, "a.sig"));

    const again = await run(["a"], other.privatePath);
    assertCliError(
      again,
      "BAD_PATH",
      /Refusing to overwrite "a\.sig": it exists/,
      /--force/,
    );
    assert.equal(await Deno.readTextFile(join(dir, "a.sig")), first);

    const forced = await run(["a", "--force"], other.privatePath);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(await Deno.readTextFile(join(dir, "a.sig")), first);

    const missing = await run(["missing"]);
    assertCliError(missing, "BAD_PATH", /Cannot read "missing": no such file/);

    const usage = [
      [[], /"sign-file" needs at least one file/],
      [["a", "--namespace", CONFIG], /reserved for config statements/],
      [["a", "--namespace", "a b"], /Invalid namespace "a b"/],
      [["a", "--bogus"], /bogus/],
    ] as const;
    for (const [args, pattern] of usage) {
      const result = await run([...args]);
      assertCliError(
        result,
        "USAGE",
        pattern,
        /mcp-orchestration sign-file --help/,
      );
    }
    assert.equal(
      (await cli(dir, ["sign-file", "--help"])).code,
      0,
    );
  });
});
