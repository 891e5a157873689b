/**
 * Builds the history benchmark's repository quickly and honestly: every
 * version is signed by the tool's own library (`signConfigs` from mod.ts,
 * the code `sign` runs, so the store files are exactly what the tool
 * writes), and each version is committed before the next is signed, since
 * a new version follows the one the last commit holds (HEAD).
 *
 * The repository must hold the configs and a trust list naming the key,
 * uncommitted. This signs them all and commits (the root commit), then
 * makes COMMITS commits that each change one config, round-robin, each
 * signed at its own second. At the end the index is reset to HEAD and the
 * working tree must be clean: the last commit holds exactly what the tool
 * wrote.
 *
 * Runs with the tool's own permissions:
 * `deno run <PERMISSION_FLAGS> bench/build_history.ts REPO COMMITS KEY`.
 *
 * @module
 */

import { join } from "node:path";
import { findRepository, loadSigningKey, signConfigs } from "../mod.ts";

const STORE = ".mcp-orchestration";
const decoder = new TextDecoder();

async function git(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(
      `git ${args.join(" ")} failed: ${decoder.decode(out.stderr)}`,
    );
  }
  return decoder.decode(out.stdout);
}

/** path → statement id, from the store's index. */
async function readIndex(root: string): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(join(root, STORE, "index"));
  const entries = new Map<string, string>();
  for (const line of text.split("\n").slice(1)) {
    if (line) entries.set(line.slice(65), line.slice(0, 64));
  }
  return entries;
}

function configText(name: string, version: string): string {
  const config = {
    mcpServers: {
      [name]: {
        command: "npx",
        args: ["-y", `@example/mcp-server-${name}@${version}`],
        env: { API_TOKEN: "${API_TOKEN}" },
      },
    },
  };
  return JSON.stringify(config, null, 2) + "\n";
}

/**
 * Builds the history.
 *
 * @param root The repository (configs and trust list written, nothing committed).
 * @param commits How many commits after the root commit.
 * @param keyPath The private key to sign with.
 */
export async function buildHistory(
  root: string,
  commits: number,
  keyPath: string,
): Promise<void> {
  const repo = await findRepository(root);
  const key = await loadSigningKey({ keyPath });
  // Signing times run up to a minute ago, one second apart.
  const start = Math.floor(Date.now() / 1000) - commits - 60;
  await signConfigs(repo, { key, cwd: root, now: new Date(start * 1000) });
  const date = `${start} +0000`;
  await git(root, ["add", "-A"]);
  await git(root, ["commit", "-q", "--no-verify", "-m", "Signed configs"], {
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  });
  const paths = [...(await readIndex(root)).keys()].filter((p) =>
    !p.startsWith(`${STORE}/`)
  );
  for (let i = 0; i < commits; i++) {
    const path = paths[i % paths.length]!;
    const name = path.split("/").at(-2)!;
    await Deno.writeTextFile(
      join(root, path),
      configText(name, `1.${i + 1}.0`),
    );
    const seconds = start + 1 + i;
    await signConfigs(repo, {
      key,
      cwd: root,
      paths: [path],
      now: new Date(seconds * 1000),
    });
    await git(root, ["add", "-A"]);
    const when = `${seconds} +0000`;
    await git(
      root,
      ["commit", "-q", "--no-verify", "-m", `Update ${path} (${i + 1})`],
      {
        GIT_AUTHOR_DATE: when,
        GIT_COMMITTER_DATE: when,
        GIT_AUTHOR_NAME: "Bench",
        GIT_AUTHOR_EMAIL: "bench@example.com",
        GIT_COMMITTER_NAME: "Bench",
        GIT_COMMITTER_EMAIL: "bench@example.com",
      },
    );
  }
  const dirty = await git(root, ["status", "--porcelain"]);
  if (dirty.trim()) {
    throw new Error(
      `The last commit differs from what the tool wrote:\n${dirty}`,
    );
  }
}

/**
 * Builds a history whose every commit changes one line of a large trust
 * list (the memory case of review item 12): `lines` keys besides the
 * signer's, each commit replacing one of them, each list version signed.
 *
 * @param root The repository (a config and a trust list naming the key,
 * nothing committed).
 * @param commits How many commits after the root commit.
 * @param keyPath The private key to sign with.
 * @param lines How many other keys the list holds.
 */
export async function buildTrustHistory(
  root: string,
  commits: number,
  keyPath: string,
  lines: number,
): Promise<void> {
  const repo = await findRepository(root);
  const key = await loadSigningKey({ keyPath });
  const listPath = join(root, STORE, "allowed_signers");
  const own = await Deno.readTextFile(listPath);
  const keyLine = (i: number, round: number) => {
    // Any 32 bytes pass for a key in allowed_signers: it is never used.
    const blob = new Uint8Array(51);
    blob.set([0, 0, 0, 11], 0);
    blob.set(new TextEncoder().encode("ssh-ed25519"), 4);
    blob.set([0, 0, 0, 32], 15);
    new DataView(blob.buffer).setUint32(19, i);
    new DataView(blob.buffer).setUint32(23, round);
    return `member${i}@example.com namespaces="mcp-orchestration" ssh-ed25519 ${
      btoa(String.fromCharCode(...blob))
    }`;
  };
  const members = Array.from({ length: lines }, (_, i) => keyLine(i, 0));
  const start = Math.floor(Date.now() / 1000) - commits - 60;
  const commit = async (seconds: number, message: string) => {
    await git(root, ["add", "-A"]);
    const when = `${seconds} +0000`;
    await git(root, ["commit", "-q", "--no-verify", "-m", message], {
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_DATE: when,
    });
  };
  for (let i = 0; i <= commits; i++) {
    if (i > 0) members[i % lines] = keyLine(i % lines, i);
    await Deno.writeTextFile(listPath, `${own}${members.join("\n")}\n`);
    await signConfigs(repo, {
      key,
      cwd: root,
      ...(i > 0 ? { paths: [`${STORE}/allowed_signers`] } : {}),
      now: new Date((start + i) * 1000),
    });
    await commit(start + i, i === 0 ? "Signed configs" : `Rotate member ${i}`);
  }
}

if (import.meta.main) {
  const [root, count, keyPath, mode, lines] = Deno.args;
  if (
    !root || !count || !keyPath || !/^\d+$/.test(count) ||
    (mode !== undefined &&
      (mode !== "--trust-lines" || !/^\d+$/.test(lines ?? "")))
  ) {
    console.error("usage: build_history.ts REPO COMMITS KEY [--trust-lines N]");
    Deno.exit(2);
  }
  if (mode) {
    await buildTrustHistory(root, Number(count), keyPath, Number(lines));
  } else await buildHistory(root, Number(count), keyPath);
}
