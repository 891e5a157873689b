/**
 * Red team, round 5: attacks on adoption, the signed config.json, working-tree
 * verify against HEAD, verify --ci, redaction and init in an adopted
 * repository. Each test here FAILS on the code it was written against: it
 * shows an attack that works.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EVIL, V1, V2 } from "../support/attacks.ts";
import { CI_PERMISSION_FLAGS } from "../../src/permissions.ts";
import { runCli } from "../support/cli.ts";
import { createTempRepo } from "../support/repo.ts";
import { generateKey } from "../support/ssh_keygen.ts";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  forceCommit,
  type OpenFlow,
  push,
  sharedFlow,
  verifyHistory,
  write,
} from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";

/** Two commits before adoption, then init and its commit; main pushed. */
async function adoptedHistory(
  flow: Flow,
): Promise<{ h1: string; h2: string; adopt: string }> {
  await write(flow, { "README.md": "old project\n", ".mcp.json": V1 });
  const h1 = await forceCommit(flow, "h1: a config, before adoption");
  await write(flow, { ".mcp.json": V2 });
  const h2 = await forceCommit(flow, "h2: a change, before adoption");
  await cliOk(flow, ["init", "--principal", "alice@example.com"]);
  const adopt = await commit(flow, "adopt mcp-orchestration");
  await push(flow, "main");
  return { h1, h2, adopt };
}

// The commits of the shared adopted history, from its build.
let adoptedIds: { h1: string; h2: string; adopt: string } | undefined;

/**
 * A copy of a flow with {@linkcode adoptedHistory} and mallory's key, and
 * its commits. Made once per file (sharedFlow): every copy has the same
 * commit ids, and no test checks how it was made.
 */
async function adoptedFlow(): Promise<
  { flow: OpenFlow<"mallory">; ids: { h1: string; h2: string; adopt: string } }
> {
  const flow = await sharedFlow("adopted history", async () => {
    const flow = await createFlow({ keys: ["mallory"] });
    try {
      adoptedIds = await adoptedHistory(flow);
      return flow;
    } catch (error) {
      await flow.cleanup();
      throw error;
    }
  }, { keys: ["mallory"] });
  assert.ok(adoptedIds);
  return { flow, ids: adoptedIds };
}

/**
 * Mallory's merge request: a branch forked from the history before adoption
 * (h2), with an unsigned, evil `.mcp.json`. GitLab's merge request pipeline
 * gives CI_MERGE_REQUEST_DIFF_BASE_SHA = the merge base of the source and
 * target branches, which for such a branch is h2, a commit from before
 * adoption. A GitLab runner's clone (git init + fetch) has no
 * refs/remotes/origin/HEAD, so neither the range's base nor any default
 * branch says "adopted": the unadopted tip passes as before adoption.
 */
Deno.test({
  name:
    "redteam5: GitLab MR from a branch forked before adoption: verify --ci passes an unsigned config (diff base is pre-adoption)",
  ignore: ON_WINDOWS,
  async fn() {
    const adopted = await adoptedFlow();
    await using flow = adopted.flow;
    const { h2 } = adopted.ids;
    // The runner's clone has origin/main but no origin/HEAD (as GitLab's).
    await flow.ok(["fetch", "-q", "origin"]);
    const remoteHead = await flow.git([
      "rev-parse",
      "-q",
      "--verify",
      "refs/remotes/origin/HEAD",
    ]);
    assert.notEqual(remoteHead.code, 0, "no origin/HEAD, as in a runner");
    // The checkout hooks report h2's unsigned config (exit 1): ignored.
    await flow.git(["checkout", "-q", "-b", "mallory", h2]);
    await write(flow, { ".mcp.json": EVIL });
    const bad = await forceCommit(flow, "mallory: a better server");
    const mergeBase = (await flow.ok(["merge-base", "origin/main", bad]))
      .trim();
    assert.equal(mergeBase, h2);
    const result = await runCli(["verify", "--ci", "--json"], {
      cwd: flow.repo.root,
      home: flow.repo.home,
      env: {
        GITLAB_CI: "true",
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_MERGE_REQUEST_DIFF_BASE_SHA: mergeBase,
        CI_COMMIT_SHA: bad,
      },
      permissions: CI_PERMISSION_FLAGS,
    });
    // The merge request brings an unsigned config into a repository whose
    // default branch (the MR's target) has adopted the tool: it must fail.
    assert.notEqual(
      result.code,
      0,
      `verify --ci passed:\n${result.stdout}\n${result.stderr}`,
    );
    assert.match(result.stdout, /UNSIGNED|UNTRUSTED_TRUST_CHANGE/);
  },
});

/** The same, by hand: a range whose base is from before adoption. */
Deno.test({
  name:
    "redteam5: verify --range PRE_ADOPTION..TIP passes an unadopted tip with an unsigned config when no origin/HEAD exists",
  ignore: ON_WINDOWS,
  async fn() {
    const adopted = await adoptedFlow();
    await using flow = adopted.flow;
    const { h2 } = adopted.ids;
    await flow.ok(["fetch", "-q", "origin"]);
    await flow.git(["checkout", "-q", "-b", "mallory", h2]);
    await write(flow, { ".mcp.json": EVIL });
    const bad = await forceCommit(flow, "mallory: a better server");
    // Local main and origin/main have adopted the tool; the range does not.
    const range = await verifyHistory(flow, ["--range", `${h2}..${bad}`]);
    assert.notEqual(range.code, 0, range.text);
  },
});

/**
 * Worse, with the same range: Mallory's branch from before adoption brings
 * her own trust list (a second root of trust, as a newcomer's `init` makes
 * on a branch checked out from an old tag). Rule 5 refuses a first list
 * only when a base has adopted; the merge-base base has not, and there is
 * no origin/HEAD in a runner's clone. Her signed evil config passes.
 */
Deno.test({
  name:
    "redteam5: GitLab MR from before adoption with its own self-signed trust list passes verify --ci (second root of trust)",
  ignore: ON_WINDOWS,
  async fn() {
    const adopted = await adoptedFlow();
    await using flow = adopted.flow;
    const { h2 } = adopted.ids;
    await flow.ok(["fetch", "-q", "origin"]);
    await flow.git(["checkout", "-q", "-b", "mallory", h2]);
    await cliOk(flow, [
      "trust",
      "add",
      flow.mallory.publicPath,
      "--principal",
      "mallory@example.com",
    ]);
    await write(flow, { ".mcp.json": EVIL });
    await cliOk(flow, ["sign", "--key", flow.mallory.privatePath]);
    const bad = await forceCommit(flow, "mallory: adopt, her way");
    const mergeBase = (await flow.ok(["merge-base", "origin/main", bad]))
      .trim();
    assert.equal(mergeBase, h2);
    const result = await runCli(["verify", "--ci", "--json"], {
      cwd: flow.repo.root,
      home: flow.repo.home,
      env: {
        GITLAB_CI: "true",
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_MERGE_REQUEST_DIFF_BASE_SHA: mergeBase,
        CI_COMMIT_SHA: bad,
      },
      permissions: CI_PERMISSION_FLAGS,
    });
    assert.notEqual(
      result.code,
      0,
      `verify --ci passed:\n${result.stdout}\n${result.stderr}`,
    );
    assert.match(result.stdout, /UNTRUSTED_TRUST_CHANGE/);
  },
});

// The Ed25519 seed of an OpenSSH private key file (unencrypted), and its
// public key blob, read as PuTTYgen reads it.
function opensshParts(armored: string): { pub: Uint8Array; seed: Uint8Array } {
  const body = armored.split("\n").filter((line) =>
    line !== "" && !line.startsWith("-----")
  ).join("");
  const bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  let at = "openssh-key-v1\0".length;
  const next = () => {
    const length = view.getUint32(at);
    const out = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return out;
  };
  next(); // cipher
  next(); // kdf
  next(); // kdf options
  at += 4; // number of keys
  const pub = next();
  const priv = next();
  const inner = new DataView(priv.buffer, priv.byteOffset, priv.byteLength);
  let i = 8; // two check words
  const take = () => {
    const length = inner.getUint32(i);
    const out = priv.subarray(i + 4, i + 4 + length);
    i += 4 + length;
    return out;
  };
  take(); // key type
  take(); // public key
  const secret = take(); // seed and public key, 64 bytes
  return { pub, seed: secret.subarray(0, 32) };
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Issue 12: "trust add \"$(cat signing.key)\"" must not print the key. A
 * PuTTY key (.ppk, PuTTYgen's format, the usual one on Windows) is a private
 * key too: its Private-Lines hold the Ed25519 seed in base64. Redaction
 * knows OpenSSH, PEM and DER bodies and a seed after "ed25519", not this.
 */
Deno.test({
  name:
    "redteam5: trust add with a PuTTY private key (.ppk) prints its private seed to stderr",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    const key = await generateKey(repo.home, "putty");
    const { pub, seed } = opensshParts(
      await Deno.readTextFile(key.privatePath),
    );
    const length = new Uint8Array([0, 0, 0, 32]);
    const privateBlob = base64(new Uint8Array([...length, ...seed]));
    const publicBlob = base64(pub);
    const ppk = [
      "PuTTY-User-Key-File-3: ssh-ed25519",
      "Encryption: none",
      "Comment: eddsa-key-20261206",
      "Public-Lines: 2",
      publicBlob.slice(0, 64),
      publicBlob.slice(64),
      "Private-Lines: 1",
      privateBlob,
      `Private-MAC: ${"ab".repeat(32)}`,
    ].join("\n");
    const seedHex = [...seed].map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    for (
      const args of [
        ["trust", "add", ppk, "--principal", "alice@example.com"],
        ["trust", "add", "--principal", ppk, key.publicPath],
      ]
    ) {
      const result = await runCli(args, {
        cwd: repo.root,
        home: repo.home,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      assert.ok(
        !output.includes(privateBlob) && !output.includes(seedHex),
        `"${args[0]} ${
          args[1]
        }" printed the private seed (exit ${result.code}):\n${output}`,
      );
    }
  },
});

/**
 * An OpenPGP secret key ("-----BEGIN PGP PRIVATE KEY BLOCK-----", what
 * `gpg --armor --export-secret-keys` prints, and what a user who signs
 * commits with GnuPG may paste): the header regex stops at "PRIVATE KEY",
 * the footer regex wants dashes right after it (" BLOCK-----" is not), and
 * the tail after the header is " BLOCK", so only "…PRIVATE KEY BLOCK" is
 * replaced and every line of the key body is printed.
 */
Deno.test({
  name:
    "redteam5: an OpenPGP private key block given as --principal= is printed with its body",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    const gnupg = await Deno.makeTempDir({ dir: repo.home });
    await Deno.chmod(gnupg, 0o700);
    const gpg = async (args: string[]) => {
      const out = await new Deno.Command("gpg", {
        args: [
          "--batch",
          "--pinentry-mode",
          "loopback",
          "--passphrase",
          "",
          ...args,
        ],
        env: { GNUPGHOME: gnupg },
        stdout: "piped",
        stderr: "piped",
      }).output().catch(() => undefined);
      return out;
    };
    const made = await gpg([
      "--quick-gen-key",
      "Alice <alice@example.com>",
      "ed25519",
      "sign",
      "never",
    ]);
    if (!made?.success) return; // No GnuPG here: nothing to show.
    const exported = await gpg(["--armor", "--export-secret-keys"]);
    assert.ok(exported?.success);
    const armored = new TextDecoder().decode(exported!.stdout).trim();
    assert.match(armored, /^-----BEGIN PGP PRIVATE KEY BLOCK-----/);
    const key = await generateKey(repo.home, "alice");
    const body = armored.split("\n").filter((line) =>
      line.length >= 40 && !line.startsWith("-----")
    );
    const result = await runCli([
      "trust",
      "add",
      `--principal=${armored}`,
      key.publicPath,
    ], { cwd: repo.root, home: repo.home });
    const output = `${result.stdout}\n${result.stderr}`;
    for (const line of body) {
      assert.ok(
        !output.includes(line),
        `the private key's body was printed (exit ${result.code}):\n${output}`,
      );
    }
  },
});

/**
 * CI systems keep an SSH key in a variable as the base64 of the whole file
 * (`base64 -w0 signing.key`), and a user sets MCP_ORCHESTRATION_KEY (or
 * --key) to that variable instead of a path. The error quotes the value as
 * a path: "LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0K…" is neither
 * an armored header, nor the OpenSSH magic, nor a DER body, so it is
 * printed whole, and it decodes to the private key.
 */
Deno.test({
  name:
    "redteam5: a base64-encoded private key file given as MCP_ORCHESTRATION_KEY or --key is printed whole",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    const key = await generateKey(repo.home, "ci");
    const file = await Deno.readFile(key.privatePath);
    const encoded = btoa(String.fromCharCode(...file));
    assert.match(encoded, /^LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZ/);
    for (
      const [args, env] of [
        [["sign"], { MCP_ORCHESTRATION_KEY: encoded }],
        [["sign", "--key", encoded], {}],
      ] as const
    ) {
      const result = await runCli([...args], {
        cwd: repo.root,
        home: repo.home,
        env,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      // Any 64 characters of the encoded file past its header's encoding.
      const inner = encoded.slice(200, 264);
      assert.ok(
        !output.includes(inner),
        `${
          args.join(" ")
        } printed the encoded private key (exit ${result.code}):\n${
          output.slice(0, 400)
        }`,
      );
    }
  },
});
