/**
 * Builds the history benchmark's repository quickly and honestly: every
 * version is signed by the tool's own library (`signConfigs` from mod.ts,
 * the code `sign` runs, so the store files are exactly what the tool
 * writes), and the commits go to Git through one `git fast-import` stream
 * instead of 1,000 `git commit` processes.
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
const encoder = new TextEncoder();
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

async function artifactOf(root: string, statement: string): Promise<string> {
  const text = await Deno.readTextFile(
    join(root, STORE, "statements", statement),
  );
  const artifact = /^artifact ([0-9a-f]{64})$/m.exec(text)?.[1];
  if (!artifact) throw new Error(`Statement ${statement} names no artifact`);
  return artifact;
}

function storeFiles(statement: string, artifact: string): string[] {
  return [
    `${STORE}/statements/${statement}`,
    `${STORE}/statements/${statement}.sig`,
    `${STORE}/artifacts/${artifact}`,
  ];
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

  const importer = new Deno.Command("git", {
    args: ["fast-import", "--quiet", "--done"],
    cwd: root,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = importer.stdin.getWriter();
  const write = (data: string | Uint8Array) =>
    writer.write(typeof data === "string" ? encoder.encode(data) : data);
  const head = (await git(root, ["rev-parse", "HEAD"])).trim();
  for (let i = 0; i < commits; i++) {
    const path = paths[i % paths.length]!;
    const before = await readIndex(root);
    const oldStatement = before.get(path)!;
    const oldArtifact = await artifactOf(root, oldStatement);
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
    const newStatement = (await readIndex(root)).get(path)!;
    const changed = new Set([
      path,
      `${STORE}/index`,
      ...storeFiles(oldStatement, oldArtifact),
      ...storeFiles(newStatement, await artifactOf(root, newStatement)),
    ]);
    const message = `Update ${path} (${i + 1})\n`;
    await write(
      `commit refs/heads/main\ncommitter Bench <bench@example.com> ${seconds} +0000\n` +
        `data ${encoder.encode(message).length}\n${message}` +
        (i === 0 ? `from ${head}\n` : ""),
    );
    for (const file of changed) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await Deno.readFile(join(root, file));
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      if (bytes === undefined) {
        await write(`D ${file}\n`);
      } else {
        await write(`M 100644 inline ${file}\ndata ${bytes.length}\n`);
        await write(bytes);
        await write("\n");
      }
    }
    await write("\n");
  }
  await write("done\n");
  await writer.close();
  const status = await importer.output();
  if (status.code !== 0) {
    throw new Error(`git fast-import failed: ${decoder.decode(status.stderr)}`);
  }
  await git(root, ["reset", "-q"]);
  const dirty = await git(root, ["status", "--porcelain"]);
  if (dirty.trim()) {
    throw new Error(
      `The last commit differs from what the tool wrote:\n${dirty}`,
    );
  }
}

if (import.meta.main) {
  const [root, count, keyPath] = Deno.args;
  if (!root || !count || !keyPath || !/^\d+$/.test(count)) {
    console.error("usage: build_history.ts REPO COMMITS KEY");
    Deno.exit(2);
  }
  await buildHistory(root, Number(count), keyPath);
}
