/**
 * Passphrase-protected keys made by `ssh-keygen -t ed25519 -N`, end to
 * end: the passphrase from `MCP_ORCHESTRATION_PASSPHRASE_FILE` or typed at
 * a terminal (never echoed), a wrong one refused with nothing written, and
 * a Git hook (no terminal) refused with the SSH agent route.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cliInvocation,
  type CliResult,
  denoEnv,
  runCli,
} from "../support/cli.ts";
import { assertCliError } from "../support/errors.ts";
import { createFlow } from "../support/flow.ts";
import { createTempRepo, gitEnv, type TempRepo } from "../support/repo.ts";
import { sshVerify } from "../support/ssh_keygen.ts";

const PRINCIPAL = "alice@example.com";
const PASSPHRASE = "correct horse battery staple";
const CONFIG = '{"mcpServers":{"files":{"command":"server"}}}\n';

function cli(
  repo: TempRepo,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return runCli(args, { cwd: repo.root, home: repo.home, env });
}

async function ok(run: Promise<CliResult>): Promise<CliResult> {
  const result = await run;
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result;
}

// An Ed25519 key encrypted by ssh-keygen -N, trusted in the repository,
// and a passphrase file (with a trailing newline, as an editor saves it).
async function setUp(repo: TempRepo) {
  const dir = join(repo.home, "ssh");
  await Deno.mkdir(dir, { mode: 0o700 });
  const key = join(dir, "id_ed25519");
  const made = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "ed25519", "-N", PASSPHRASE, "-C", "alice", "-f", key],
    stdin: "null",
  }).output();
  assert.ok(made.success);
  const passphraseFile = join(dir, "passphrase");
  await Deno.writeTextFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  await repo.write(".mcp.json", CONFIG);
  await ok(cli(repo, ["trust", "add", `${key}.pub`, "--principal", PRINCIPAL]));
  return { key, passphraseFile };
}

Deno.test("passphrase: a key ssh-keygen -N encrypted signs with MCP_ORCHESTRATION_PASSPHRASE_FILE, and ssh-keygen accepts the signature", async () => {
  await using repo = await createTempRepo();
  const { key, passphraseFile } = await setUp(repo);
  const signed = JSON.parse(
    (await ok(cli(repo, ["sign", "--json", "--key", key], {
      MCP_ORCHESTRATION_PASSPHRASE_FILE: passphraseFile,
    }))).stdout,
  );
  const statement = `.mcp-orchestration/statements/${
    signed.results[0].statementId
  }`;
  const check = await sshVerify({
    allowedSigners: join(repo.root, ".mcp-orchestration/allowed_signers"),
    principal: PRINCIPAL,
    namespace: "mcp-orchestration",
    signaturePath: join(repo.root, `${statement}.sig`),
    message: await repo.read(statement),
  });
  assert.ok(check.ok, check.output);
  // Also a file with a Windows line end, through MCP_ORCHESTRATION_KEY.
  await Deno.writeTextFile(passphraseFile, `${PASSPHRASE}\r\n`);
  await repo.write(".mcp.json", CONFIG.replace("server", "server2"));
  await ok(cli(repo, ["sign"], {
    MCP_ORCHESTRATION_KEY: key,
    MCP_ORCHESTRATION_PASSPHRASE_FILE: passphraseFile,
  }));
  await ok(cli(repo, ["verify"]));
});

Deno.test("passphrase: keys show needs no passphrase: the public half is in the clear", async () => {
  await using repo = await createTempRepo();
  const { key } = await setUp(repo);
  const shown = JSON.parse(
    (await ok(cli(repo, ["keys", "show", "--json", "--key", key]))).stdout,
  );
  assert.equal(
    shown.publicKeyLine,
    (await Deno.readTextFile(`${key}.pub`)).trim(),
  );
});

Deno.test("passphrase: a wrong or missing passphrase is refused and nothing is written", async () => {
  await using repo = await createTempRepo();
  const { key, passphraseFile } = await setUp(repo);
  const before = await repo.snapshot();
  for (const wrong of ["wrong\n", `${PASSPHRASE} \n`, "\n"]) {
    await Deno.writeTextFile(passphraseFile, wrong);
    assertCliError(
      await cli(repo, ["sign", "--key", key], {
        MCP_ORCHESTRATION_PASSPHRASE_FILE: passphraseFile,
      }),
      "INVALID_KEY",
      key,
      "wrong passphrase",
      "nothing was signed",
    );
  }
  assertCliError(
    await cli(repo, ["sign", "--key", key], {
      MCP_ORCHESTRATION_PASSPHRASE_FILE: join(repo.home, "missing"),
    }),
    "KEY_NOT_FOUND",
    "MCP_ORCHESTRATION_PASSPHRASE_FILE",
  );
  // A passphrase file that others may read is refused, as a key file is.
  await Deno.writeTextFile(passphraseFile, `${PASSPHRASE}\n`);
  await Deno.chmod(passphraseFile, 0o644);
  assertCliError(
    await cli(repo, ["sign", "--key", key], {
      MCP_ORCHESTRATION_PASSPHRASE_FILE: passphraseFile,
    }),
    "KEY_PERMISSIONS",
    "chmod 600",
  );
  await Deno.chmod(passphraseFile, 0o600);
  // No file and no terminal: the agent route is named.
  assertCliError(
    await cli(repo, ["sign", "--key", key]),
    "INVALID_KEY",
    "no terminal",
    '"ssh-add KEY"',
    "--agent",
  );
  assert.deepEqual(await repo.snapshot(), before);
});

Deno.test("passphrase: the pre-commit hook, which has no terminal, refuses and names the agent route", async () => {
  await using flow = await createFlow();
  const { key } = await setUp(flow.repo);
  await ok(cli(flow.repo, ["install"]));
  await flow.repo.write(".mcp.json", CONFIG.replace("server", "server3"));
  await flow.ok(["add", "-A"]);
  const refused = await flow.git(["commit", "-q", "-m", "config"], {
    env: { MCP_ORCHESTRATION_KEY: key },
  });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /protected by a passphrase/);
  assert.match(refused.stderr, /ssh-add KEY/);
  assert.match(refused.stderr, /MCP_ORCHESTRATION_AGENT=1/);
});

// `script` (util-linux) gives the tool a terminal: the passphrase is typed
// there, and must not appear in what the terminal shows.
const SCRIPT = await new Deno.Command("script", { args: ["--version"] })
  .output().then((out) => out.success, () => false);

Deno.test({
  name: "passphrase: typed at a terminal, without echo",
  ignore: !SCRIPT || Deno.env.get("MCP_ORCHESTRATION_TEST_BIN") !== undefined,
  async fn() {
    await using repo = await createTempRepo();
    const { key } = await setUp(repo);
    const invocation = cliInvocation(["sign", "--key", key]);
    const command = [invocation.command, ...invocation.args]
      .map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
    const child = new Deno.Command("script", {
      args: ["-qec", command, "/dev/null"],
      cwd: repo.root,
      clearEnv: true,
      env: {
        ...gitEnv(repo.home),
        MCP_ORCHESTRATION_HOME: repo.home,
        NO_COLOR: "1",
        ...(await denoEnv()),
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Typed once the prompt is up: the terminal's input is read in raw mode.
    const decoder = new TextDecoder();
    let shown = "";
    const reader = child.stdout.getReader();
    while (!shown.includes("Passphrase for")) {
      const { value, done } = await reader.read();
      if (done) break;
      shown += decoder.decode(value);
    }
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(`${PASSPHRASE}\r`));
    await writer.close();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      shown += decoder.decode(value);
    }
    const out = await child.output().catch(() => undefined) ??
      { code: (await child.status).code };
    assert.equal(out.code, 0, shown);
    assert.match(shown, /Passphrase for ".*id_ed25519": /);
    assert.ok(!shown.includes(PASSPHRASE), shown);
    await ok(cli(repo, ["verify"]));
  },
});
