/**
 * `keys init` and `keys show`, end to end, checked against the real
 * `ssh-keygen`: the files and modes `keys init` creates, that it never
 * overwrites a key, how `--regenerate` retires one, and which key `show` and
 * `sign` use (`--key`, `MCP_ORCHESTRATION_KEY`, the default).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, runCli } from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import { createTempRepo, type TempRepo } from "../support/repo.ts";
import { generateKey, sshVerify } from "../support/ssh_keygen.ts";

interface KeyInfo {
  keyId: string;
  publicKeyLine: string;
  privateKeyPath: string;
  publicKeyPath: string;
}

function cli(
  repo: TempRepo,
  args: string[],
  env?: Record<string, string | undefined>,
): Promise<CliResult> {
  return runCli(args, {
    cwd: repo.root,
    home: repo.home,
    ...(env ? { env } : {}),
  });
}

async function ok(run: Promise<CliResult>): Promise<CliResult> {
  const result = await run;
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result;
}

/** Runs ssh-keygen with only PATH in its environment; returns its stdout. */
async function sshKeygen(args: string[]): Promise<string> {
  const output = await new Deno.Command("ssh-keygen", {
    args,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.ok(
    output.success,
    `ssh-keygen ${args.join(" ")}: ${decoder.decode(output.stderr)}`,
  );
  return decoder.decode(output.stdout);
}

/** `ssh-keygen -lf`'s fingerprint, `SHA256:…`. */
async function fingerprint(path: string): Promise<string> {
  return (await sshKeygen(["-lf", path])).split(" ")[1] ?? "";
}

/** The type and base64 of a public key line, without the comment. */
function keyPart(line: string): string {
  return line.trim().split(" ").slice(0, 2).join(" ");
}

function mode(info: Deno.FileInfo): number {
  return (info.mode ?? 0) & 0o777;
}

Deno.test({
  name:
    "keys init makes a 0600 key in a 0700 folder, never overwrites it, and --regenerate retires it",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using repo = await createTempRepo();
    const keys = join(repo.home, "keys");
    const privatePath = join(keys, "signing.key");
    const publicPath = join(keys, "signing.pub");

    const init = await ok(cli(repo, ["keys", "init", "--json"]));
    const { created } = JSON.parse(init.stdout) as { created: KeyInfo };
    assert.equal(created.privateKeyPath, privatePath);
    assert.equal(created.publicKeyPath, publicPath);
    assert.equal(mode(await Deno.stat(keys)), 0o700);
    assert.equal(mode(await Deno.lstat(privatePath)), 0o600);
    assert.ok((await Deno.lstat(publicPath)).isFile);

    // ssh-keygen reads the private key and derives the same public key.
    const publicLine = await Deno.readTextFile(publicPath);
    assert.equal(
      keyPart(await sshKeygen(["-y", "-f", privatePath])),
      keyPart(publicLine),
    );
    assert.equal(keyPart(created.publicKeyLine), keyPart(publicLine));
    assert.equal(created.keyId, await fingerprint(publicPath));
    const shown = JSON.parse(
      (await ok(cli(repo, ["keys", "show", "--json"]))).stdout,
    ) as KeyInfo;
    assert.equal(shown.keyId, await fingerprint(privatePath));
    assert.equal(shown.keyId, created.keyId);

    // A second init is refused and changes nothing.
    const oldPrivate = await Deno.readFile(privatePath);
    const oldPublic = await Deno.readFile(publicPath);
    const again = await cli(repo, ["keys", "init"]);
    assertCliError(
      again,
      "KEY_EXISTS",
      privatePath,
      /already exists/,
      /--regenerate/,
      created.keyId,
    );
    assert.deepEqual(await Deno.readFile(privatePath), oldPrivate);
    assert.deepEqual(await Deno.readFile(publicPath), oldPublic);

    // --regenerate moves the old pair into keys/retired/, unchanged, and
    // reports both key ids.
    const regenerated = JSON.parse(
      (await ok(cli(repo, ["keys", "init", "--regenerate", "--json"]))).stdout,
    ) as { created: KeyInfo; retired: KeyInfo };
    assert.equal(regenerated.retired.keyId, created.keyId);
    assert.notEqual(regenerated.created.keyId, created.keyId);
    assert.equal(regenerated.created.keyId, await fingerprint(privatePath));
    const retiredDir = join(keys, "retired");
    assert.ok(regenerated.retired.privateKeyPath.startsWith(retiredDir + "/"));
    assert.ok(regenerated.retired.publicKeyPath.startsWith(retiredDir + "/"));
    assert.deepEqual(
      await Deno.readFile(regenerated.retired.privateKeyPath),
      oldPrivate,
    );
    assert.deepEqual(
      await Deno.readFile(regenerated.retired.publicKeyPath),
      oldPublic,
    );
    assert.equal(
      mode(await Deno.lstat(regenerated.retired.privateKeyPath)),
      0o600,
    );
    assert.equal(
      await fingerprint(regenerated.retired.privateKeyPath),
      created.keyId,
    );
    assert.notDeepEqual(await Deno.readFile(privatePath), oldPrivate);
    assert.equal(mode(await Deno.lstat(privatePath)), 0o600);

    // The text form names both ids too; the earlier retired key stays.
    const text = await ok(cli(repo, ["keys", "init", "--regenerate"]));
    assert.ok(
      text.stdout.includes(`Retired key ${regenerated.created.keyId}`),
      text.stdout,
    );
    const newest = JSON.parse(
      (await ok(cli(repo, ["keys", "show", "--json"]))).stdout,
    ) as KeyInfo;
    assert.ok(text.stdout.includes(`Created key ${newest.keyId}`), text.stdout);
    const retiredNames = [];
    for await (const entry of Deno.readDir(retiredDir)) {
      retiredNames.push(entry.name);
    }
    assert.equal(
      retiredNames.filter((name) => name.endsWith(".key")).length,
      2,
    );
    assert.deepEqual(
      await Deno.readFile(regenerated.retired.privateKeyPath),
      oldPrivate,
    );
  },
});

Deno.test("keys show and sign use --key PATH, else MCP_ORCHESTRATION_KEY, with an ssh-keygen key", async () => {
  await using repo = await createTempRepo();
  const alice = await generateKey(repo.home, "alice");
  const bob = await generateKey(repo.home, "bob");

  const byFlag = JSON.parse(
    (await ok(
      cli(repo, ["keys", "show", "--key", alice.privatePath, "--json"]),
    )).stdout,
  ) as KeyInfo;
  assert.equal(byFlag.keyId, alice.fingerprint);
  assert.equal(byFlag.publicKeyLine, alice.publicLine);
  assert.equal(byFlag.privateKeyPath, alice.privatePath);

  const byEnv = JSON.parse(
    (await ok(
      cli(repo, ["keys", "show", "--json"], {
        MCP_ORCHESTRATION_KEY: bob.privatePath,
      }),
    )).stdout,
  ) as KeyInfo;
  assert.equal(byEnv.keyId, bob.fingerprint);
  const text = await ok(
    cli(repo, ["keys", "show"], { MCP_ORCHESTRATION_KEY: bob.privatePath }),
  );
  assert.equal(text.stdout, `${bob.fingerprint}\n${bob.publicLine}\n`);

  // --key wins over the environment.
  const both = JSON.parse(
    (await ok(
      cli(repo, ["keys", "show", "--key", alice.privatePath, "--json"], {
        MCP_ORCHESTRATION_KEY: bob.privatePath,
      }),
    )).stdout,
  ) as KeyInfo;
  assert.equal(both.keyId, alice.fingerprint);

  // Signing with each: the statements verify with the tool and with ssh-keygen.
  await repo.write(".mcp.json", '{"mcpServers":{}}\n');
  await repo.write("sub/.mcp.json", '{"mcpServers":{"x":{"command":"y"}}}\n');
  await ok(
    cli(repo, [
      "trust",
      "add",
      alice.publicPath,
      "--principal",
      "alice@example.com",
    ]),
  );
  await ok(
    cli(repo, [
      "trust",
      "add",
      bob.publicLine,
      "--principal",
      "bob@example.com",
    ]),
  );
  const signedByAlice = JSON.parse(
    (await ok(
      cli(repo, ["sign", "--key", alice.privatePath, "--json", ".mcp.json"]),
    )).stdout,
  );
  assert.equal(signedByAlice.signer, alice.fingerprint);
  const signedByBob = JSON.parse(
    (await ok(
      cli(repo, ["sign", "--json", "sub/.mcp.json"], {
        MCP_ORCHESTRATION_KEY: bob.privatePath,
      }),
    )).stdout,
  );
  assert.equal(signedByBob.signer, bob.fingerprint);

  const verified = JSON.parse(
    (await ok(cli(repo, ["verify", "--json"]))).stdout,
  );
  assert.deepEqual(
    verified.results.map((
      r: { path: string; signer: string; principals: string[] },
    ) => [r.path, r.signer, r.principals]),
    [
      [".mcp.json", alice.fingerprint, ["alice@example.com"]],
      ["sub/.mcp.json", bob.fingerprint, ["bob@example.com"]],
    ],
  );
  for (
    const [report, principal] of [[signedByAlice, "alice@example.com"], [
      signedByBob,
      "bob@example.com",
    ]] as const
  ) {
    const id = report.results[0].statementId;
    const statement = `.mcp-orchestration/statements/${id}`;
    const check = await sshVerify({
      allowedSigners: join(repo.root, ".mcp-orchestration/allowed_signers"),
      principal,
      namespace: "mcp-orchestration",
      signaturePath: join(repo.root, `${statement}.sig`),
      message: await repo.read(statement),
    });
    assert.ok(check.ok, check.output);
  }
});

Deno.test("keys show without a key says how to create one", async () => {
  await using repo = await createTempRepo();
  const result = await cli(repo, ["keys", "show"]);
  assertCliError(result, "KEY_NOT_FOUND");
  assert.equal(result.stdout, "");
  assert.ok(
    result.stderr.includes(join(repo.home, "keys", "signing.key")),
    result.stderr,
  );
  assert.match(result.stderr, /"mcp-orchestration keys init"/);
  // Looking does not create anything.
  assert.equal(
    await Deno.lstat(join(repo.home, "keys")).then(() => true, () => false),
    false,
  );
});

/** Every entry under `dir`: relative path to kind, mode and content. */
async function tree(dir: string, prefix = ""): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const info = await Deno.lstat(path);
    const key = prefix + entry.name;
    if (info.isDirectory) {
      entries.set(key, `dir ${mode(info).toString(8)}`);
      for (const [k, v] of await tree(path, `${key}/`)) entries.set(k, v);
    } else {
      const bytes = await Deno.readFile(path);
      entries.set(key, `file ${mode(info).toString(8)} ${bytes.join(",")}`);
    }
  }
  return entries;
}

Deno.test({
  name:
    "keys init moves a signing.pub without signing.key to keys/retired/ instead of overwriting it",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using repo = await createTempRepo();
    const keys = join(repo.home, "keys");
    await Deno.mkdir(keys, { mode: 0o700 });
    await Deno.chmod(keys, 0o700);
    // A real public key, as a user may already have trusted it somewhere.
    const other = await generateKey(repo.home, "stale");
    const stale = new TextEncoder().encode(other.publicLine + "\n");
    await Deno.writeFile(join(keys, "signing.pub"), stale);

    const { created } = JSON.parse(
      (await ok(cli(repo, ["keys", "init", "--json"]))).stdout,
    ) as { created: KeyInfo };
    assert.equal(created.keyId, await fingerprint(created.publicKeyPath));
    assert.equal(created.keyId, await fingerprint(created.privateKeyPath));
    assert.notEqual(created.keyId, other.fingerprint);

    const retired = await tree(join(keys, "retired"));
    assert.equal(retired.size, 1, [...retired.keys()].join(" "));
    const name = [...retired.keys()][0] ?? "";
    assert.match(name, /^signing-\d{8}T\d{6}Z\.pub$/);
    assert.deepEqual(await Deno.readFile(join(keys, "retired", name)), stale);
  },
});

Deno.test({
  name: "keys init refuses a key folder that group or others can write",
  ignore: Deno.build.os === "windows",
  async fn(t) {
    const cases = [
      { name: "keys/ writable by group", folder: "keys", mode: 0o770 },
      { name: "keys/ writable by others", folder: "keys", mode: 0o702 },
      {
        name: "keys/retired/ writable by group",
        folder: "keys/retired",
        mode: 0o730,
        existingKey: true,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await using repo = await createTempRepo();
        const keys = join(repo.home, "keys");
        if (c.existingKey) await ok(cli(repo, ["keys", "init"]));
        const folder = join(repo.home, c.folder);
        await Deno.mkdir(folder, { recursive: true });
        await Deno.chmod(folder, c.mode);
        const before = await tree(keys);

        for (
          const args of [["keys", "init"], ["keys", "init", "--regenerate"]]
        ) {
          const result = await cli(repo, args);
          assertCliError(
            result,
            "KEY_PERMISSIONS",
            `"${folder}"`,
            `chmod 700 "${folder}"`,
            /too open/,
          );
          assert.equal(result.stdout, "");
          // Nothing created, moved or repaired behind the user's back.
          assert.deepEqual(await tree(keys), before);
          assert.equal(mode(await Deno.stat(folder)), c.mode);
        }
      });
    }
  },
});

Deno.test({
  name: "concurrent keys init --regenerate runs keep every retired key intact",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using repo = await createTempRepo();
    const keys = join(repo.home, "keys");
    const retiredDir = join(keys, "retired");
    const { created: first } = JSON.parse(
      (await ok(cli(repo, ["keys", "init", "--json"]))).stdout,
    ) as { created: KeyInfo };
    const firstBytes = await Deno.readFile(first.privateKeyPath);

    // Started together, they retire keys within the same second and, without
    // care, all want the same retired name.
    const runs = await Promise.all(
      Array.from(
        { length: 6 },
        () => cli(repo, ["keys", "init", "--regenerate", "--json"]),
      ),
    );
    const created: string[] = [];
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      created.push(
        (JSON.parse(run.stdout) as { created: KeyInfo }).created.keyId,
      );
    }

    const names: string[] = [];
    for await (const entry of Deno.readDir(retiredDir)) names.push(entry.name);
    const keyNames = names.filter((name) => name.endsWith(".key")).sort();
    assert.equal(keyNames.length, runs.length, names.join(" "));
    const retiredIds = [];
    let firstFound = 0;
    for (const name of keyNames) {
      const path = join(retiredDir, name);
      const id = await fingerprint(path);
      retiredIds.push(id);
      assert.equal(await fingerprint(path.replace(/\.key$/, ".pub")), id);
      assert.equal(mode(await Deno.lstat(path)), 0o600);
      if (id === first.keyId) {
        firstFound++;
        assert.deepEqual(await Deno.readFile(path), firstBytes);
      }
    }
    assert.equal(firstFound, 1);
    const current = await fingerprint(first.privateKeyPath);
    assert.equal(await fingerprint(first.publicKeyPath), current);
    assert.deepEqual(
      [...retiredIds, current].sort(),
      [first.keyId, ...created].sort(),
    );
  },
});
