/**
 * scripts/release.ts, end to end on small stand-ins for the built files (a
 * shell script that runs the tool from source stands in for the executable,
 * so the release signs with it as it would with the real one): the release
 * folder passes `sha256sum --check` and `ssh-keygen -Y verify`, the commands
 * the script prints work for a user who downloaded one file and fail once
 * that file or `SHA256SUMS` is changed, and a file built from another commit
 * or a dirty working tree is refused.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import {
  checkWorkingTree,
  platformName,
  ReleaseError,
  workingTreeState,
} from "../../scripts/release.ts";
import { VERSION } from "../../src/constants.ts";
import { cliInvocation, denoEnv } from "../support/cli.ts";
import { createTempRepo, gitEnv, withTempDir } from "../support/repo.ts";
import { generateKey, sshVerify } from "../support/ssh_keygen.ts";

const RELEASE_SCRIPT = fileURLToPath(
  new URL("../../scripts/release.ts", import.meta.url),
);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RELEASE = "mcp-orchestration-release";
const EXE = `mcp-orchestration-${VERSION}-${platformName()}`;

async function output(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...options,
      ...(options.env ? { clearEnv: true } : {}),
    }).output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${command}: not found` };
    }
    throw error;
  }
}

// The release needs a git checkout (it names the commit) that git reads in
// the isolated environment the script gets, a POSIX shell for the stand-in
// executable, and the two tools a user checks a download with.
const HEAD = (await output("git", ["rev-parse", "HEAD"], {
  cwd: ROOT,
  env: gitEnv(ROOT),
})).stdout.trim();
const CAN_RUN = Deno.build.os !== "windows" && /^[0-9a-f]{40}$/.test(HEAD) &&
  (await output("sha256sum", ["--version"])).code === 0;

/** Single-quotes a string for sh. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Lays out a build folder as `deno task compile` and `deno task bundle`
 * leave it: `mcp-orchestration` (here a script that answers `--version`
 * with a build stamp and runs the tool for everything else),
 * `npm/mcp-orchestration.cjs` and its part `npm/mcp-orchestration.mcp-sdk.cjs`,
 * and an npm tarball.
 */
async function fakeDist(
  dir: string,
  stamp: string = `${HEAD}-dirty`,
): Promise<string> {
  const dist = join(dir, "dist");
  await Deno.mkdir(join(dist, "npm"), { recursive: true });
  const version = `mcp-orchestration ${VERSION} (commit ${stamp}, deno 2.9.6)`;
  const exe = join(dist, "mcp-orchestration");
  // The tool as the end-to-end tests run it: from source, or the executable
  // in MCP_ORCHESTRATION_TEST_BIN.
  const tool = cliInvocation([]);
  await Deno.writeTextFile(
    exe,
    `#!/bin/sh\n` +
      `if [ "$1" = "--version" ]; then echo ${
        shellQuote(version)
      }; exit 0; fi\n` +
      `exec ${[tool.command, ...tool.args].map(shellQuote).join(" ")} "$@"\n`,
  );
  await Deno.chmod(exe, 0o755);
  await Deno.writeTextFile(
    join(dist, "npm", "mcp-orchestration.cjs"),
    `#!/usr/bin/env node\nconsole.log(${
      JSON.stringify(version.replace("deno 2.9.6", "node"))
    });\n`,
  );
  await Deno.writeTextFile(
    join(dist, "npm", "mcp-orchestration.mcp-sdk.cjs"),
    "exports.importMcpSdk = () => Promise.reject(new Error('fake'));\n",
  );
  await Deno.writeFile(
    join(dist, "npm", `mcp-orchestration-${VERSION}.tgz`),
    crypto.getRandomValues(new Uint8Array(2048)),
  );
  // Another version's tarball is not part of this release.
  await Deno.writeTextFile(
    join(dist, "npm", "mcp-orchestration-0.0.1.tgz"),
    "",
  );
  return dist;
}

async function runRelease(
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = join(dir, "home");
  await Deno.mkdir(home, { recursive: true });
  return await output(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-run",
    RELEASE_SCRIPT,
    ...args,
  ], {
    cwd: dir,
    env: {
      ...gitEnv(home),
      ...await denoEnv(),
      MCP_ORCHESTRATION_HOME: home,
      NO_COLOR: "1",
    },
  });
}

/** The indented lines under the printed heading that starts with `heading`. */
function printedBlock(stdout: string, heading: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((line) => line.startsWith(heading));
  assert.ok(start >= 0, `no "${heading}" in:\n${stdout}`);
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("  ")) break;
    block.push(line.slice(2));
  }
  return block;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

Deno.test({
  name:
    "release: SHA256SUMS and every file are signed, and the printed commands check a download",
  ignore: !CAN_RUN,
  async fn() {
    await withTempDir(async (dir) => {
      const dist = await fakeDist(dir);
      const key = await generateKey(dir, "release-key");
      const result = await runRelease(dir, [
        "--no-build",
        "--allow-dirty",
        "--dist",
        dist,
        "--key",
        key.privatePath,
      ]);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      const out = join(dist, "release", VERSION);
      const names = [
        EXE,
        `mcp-orchestration-${VERSION}.cjs`,
        `mcp-orchestration-${VERSION}.mcp-sdk.cjs`,
        `mcp-orchestration-${VERSION}.tgz`,
      ];
      const listed: string[] = [];
      for await (const entry of Deno.readDir(join(dist, "release"))) {
        listed.push(entry.name);
      }
      assert.deepEqual(listed, [VERSION], "no partial folder is left");
      const files: string[] = [];
      for await (const entry of Deno.readDir(out)) files.push(entry.name);
      assert.deepEqual(
        files.sort(),
        [...names, "SHA256SUMS"].flatMap((n) => [n, `${n}.sig`]).sort(),
      );
      // The executable is the build's, byte for byte, and still executable.
      assert.deepEqual(
        await Deno.readFile(join(out, EXE)),
        await Deno.readFile(join(dist, "mcp-orchestration")),
      );
      assert.equal((await Deno.stat(join(out, EXE))).mode! & 0o111, 0o111);

      // SHA256SUMS: sha256sum's own format, checked independently here.
      const expected = [];
      for (const name of [...names].sort()) {
        expected.push(
          `${sha256(await Deno.readFile(join(out, name)))}  ${name}\n`,
        );
      }
      assert.equal(
        await Deno.readTextFile(join(out, "SHA256SUMS")),
        expected.join(""),
      );
      const checked = await output("sha256sum", [
        "--check",
        "--strict",
        "SHA256SUMS",
      ], {
        cwd: out,
      });
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);

      // Every signature verifies with ssh-keygen in the release namespace,
      // and none in the config namespace.
      const signers = join(dir, "allowed_signers");
      await Deno.writeTextFile(
        signers,
        `mcp-orchestration namespaces="mcp-orchestration-release,mcp-orchestration" ${key.publicLine}\n`,
      );
      for (const name of [...names, "SHA256SUMS"]) {
        const verify = async (namespace: string) =>
          await sshVerify({
            allowedSigners: signers,
            principal: "mcp-orchestration",
            namespace,
            signaturePath: join(out, `${name}.sig`),
            message: await Deno.readFile(join(out, name)),
          });
        const good = await verify(RELEASE);
        assert.ok(good.ok, `${name}: ${good.output}`);
        assert.ok(good.output.includes(key.fingerprint), good.output);
        assert.equal((await verify("mcp-orchestration")).ok, false, name);
      }

      // The printed allowed_signers line and commands, as a user runs them
      // in a folder holding one download, SHA256SUMS and SHA256SUMS.sig.
      assert.ok(
        result.stdout.includes(
          `Signed by ${key.fingerprint} in namespace "${RELEASE}".`,
        ),
        result.stdout,
      );
      const publishBlock = printedBlock(
        result.stdout,
        "Publish the signing key",
      );
      assert.deepEqual(publishBlock, [
        `mcp-orchestration namespaces="${RELEASE}" ${
          key.publicLine.split(" ").slice(0, 2).join(" ")
        }`,
      ]);
      const userCommands = printedBlock(
        result.stdout,
        "A user checks a download",
      );
      const oneByOne = printedBlock(result.stdout, "or file by file");
      assert.equal(userCommands.length, 3, result.stdout);
      assert.deepEqual(oneByOne, [
        `ssh-keygen -Y verify -f allowed_signers -I mcp-orchestration -n ${RELEASE} -s ${EXE}.sig < ${EXE}`,
      ]);
      const download = join(dir, "download");
      await Deno.mkdir(download);
      for (const name of [EXE, `${EXE}.sig`, "SHA256SUMS", "SHA256SUMS.sig"]) {
        await Deno.copyFile(join(out, name), join(download, name));
      }
      const asUser = (commands: string[]) =>
        output("sh", ["-c", ["set -e", ...commands].join("\n")], {
          cwd: download,
          env: { PATH: Deno.env.get("PATH") ?? "" },
        });
      const ok = await asUser(userCommands);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, new RegExp(`^${EXE}: OK$`, "m"));
      assert.match(ok.stdout, /^Good "mcp-orchestration-release" signature/m);
      const single = await asUser([userCommands[0]!, ...oneByOne]);
      assert.equal(single.code, 0, single.stdout + single.stderr);

      // A changed download fails both ways.
      const exe = await Deno.readFile(join(download, EXE));
      await Deno.writeFile(join(download, EXE), new Uint8Array([...exe, 0x0a]));
      assert.notEqual((await asUser(userCommands)).code, 0);
      assert.notEqual((await asUser([userCommands[0]!, ...oneByOne])).code, 0);
      // So does a SHA256SUMS changed to match it.
      const forged = (await Deno.readTextFile(join(out, "SHA256SUMS"))).replace(
        sha256(exe),
        sha256(await Deno.readFile(join(download, EXE))),
      );
      await Deno.writeTextFile(join(download, "SHA256SUMS"), forged);
      const forgedRun = await asUser(userCommands);
      assert.notEqual(forgedRun.code, 0);
      assert.doesNotMatch(forgedRun.stdout, /: OK$/m);

      // A version is released once.
      const again = await runRelease(dir, [
        "--no-build",
        "--allow-dirty",
        "--dist",
        dist,
        "--key",
        key.privatePath,
      ]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /exists: a version is released once/);
    });
  },
});

Deno.test({
  name:
    "release: refuses files built from another commit or missing, and leaves nothing",
  ignore: !CAN_RUN,
  async fn() {
    await withTempDir(async (dir) => {
      const key = await generateKey(dir, "k");
      const args = (dist: string) => [
        "--no-build",
        "--allow-dirty",
        "--dist",
        dist,
        "--key",
        key.privatePath,
      ];
      const other = HEAD.replace(/^./, HEAD[0] === "0" ? "1" : "0");
      const stale = await fakeDist(join(dir, "stale"), other);
      const refused = await runRelease(dir, args(stale));
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(
        refused.stderr,
        new RegExp(`it was built from ${other}, but HEAD is ${HEAD}`),
      );
      assert.equal(
        await Deno.lstat(join(stale, "release")).then(() => true, () => false),
        false,
      );

      const fromSource = await fakeDist(join(dir, "source"));
      await Deno.writeTextFile(
        join(fromSource, "mcp-orchestration"),
        `#!/bin/sh\necho "mcp-orchestration ${VERSION} (from source, deno 2.9.6)"\n`,
      );
      const unstamped = await runRelease(dir, args(fromSource));
      assert.equal(unstamped.code, 1);
      assert.match(unstamped.stderr, /names no commit/);

      const partial = await fakeDist(join(dir, "partial"));
      await Deno.remove(join(partial, "npm", "mcp-orchestration.cjs"));
      const missing = await runRelease(dir, args(partial));
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Missing ".*mcp-orchestration\.cjs"/);

      // The bundle without the part that "mcp" loads is not a release.
      const noPart = await fakeDist(join(dir, "no-part"));
      await Deno.remove(join(noPart, "npm", "mcp-orchestration.mcp-sdk.cjs"));
      const partMissing = await runRelease(dir, args(noPart));
      assert.equal(partMissing.code, 1);
      assert.match(
        partMissing.stderr,
        /Missing ".*mcp-orchestration\.mcp-sdk\.cjs"/,
      );

      const noTarball = await runRelease(dir, [
        ...args(await fakeDist(join(dir, "tarball"))),
        "--npm-tarball",
        join(dir, "none.tgz"),
      ]);
      assert.equal(noTarball.code, 1);
      assert.match(noTarball.stderr, /Missing ".*none\.tgz" \(--npm-tarball\)/);

      const usage = await runRelease(dir, ["--dist", partial]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--dist reads files that are already built/);
    });
  },
});

Deno.test("release: a working tree with changes is refused unless allowed", async () => {
  await using repo = await createTempRepo();
  await repo.write("a.txt", "a\n");
  await repo.git("add", "a.txt");
  await repo.git("commit", "-q", "-m", "a");
  const head = (await repo.git("rev-parse", "HEAD")).trim();
  const env = gitEnv(repo.home);
  const clean = await workingTreeState(repo.root, { env });
  assert.deepEqual(clean, { head, changes: [] });
  checkWorkingTree(clean, false);

  await repo.write("a.txt", "changed\n");
  await repo.write("new.txt", "new\n");
  const dirty = await workingTreeState(repo.root, { env });
  assert.deepEqual(dirty.changes, [" M a.txt", "?? new.txt"]);
  assert.throws(() => checkWorkingTree(dirty, false), (error: unknown) => {
    assert.ok(error instanceof ReleaseError);
    assert.match(error.message, /^The working tree has changes/);
    assert.match(error.message, / M a\.txt/);
    assert.match(error.message, /--allow-dirty/);
    assert.ok(error.message.includes(`${head}-dirty`));
    return true;
  });
  checkWorkingTree(dirty, true);
});
