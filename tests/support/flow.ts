/**
 * A "flow" for end-to-end tests of the hooks and of history verification: a
 * real temporary repository with a bare remote "origin", in which git runs
 * as a user would run it, so the hooks that `install` (or `init`) writes
 * really run. The helpers commit through the hooks or past them, push, and
 * read `verify --rev` / `verify --range` reports.
 *
 * Each test file sets up its own starting state on top of
 * {@linkcode createFlow}: which keys exist, who is trusted, what is
 * committed and pushed. A state that every test of a file starts from is
 * made once and copied ({@linkcode sharedFlow}): starting the tool, git and
 * ssh-keygen is most of an end-to-end test's time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { initKey } from "../../mod.ts";
import { type CliResult, denoEnv, runCli } from "./cli.ts";
import {
  copyTempRepo,
  createTempRepo,
  gitEnv,
  keepShared,
  type TempRepo,
} from "./repo.ts";
import { type GeneratedKey, generateKey } from "./ssh_keygen.ts";

const decoder = new TextDecoder();

/** What a finished git child left. */
export interface GitResult {
  /** Exit code. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
  /** Standard output as git wrote it. */
  bytes: Uint8Array;
}

/** A repository whose hooks run when git does, and its bare remote "origin". */
export interface Flow {
  /** The repository; its path contains a space. */
  repo: TempRepo;
  /** The bare repository that is the remote "origin". */
  remote: TempRepo;
  /** Runs git as a user would (hooks run; the home's key unless env says otherwise); any exit code. */
  git(
    args: string[],
    options?: { cwd?: string; env?: Record<string, string> },
  ): Promise<GitResult>;
  /** Runs git and fails the test on a non-zero exit; returns stdout. */
  ok(args: string[], options?: { cwd?: string }): Promise<string>;
  /** Runs the real CLI in the repository. */
  cli(args: string[]): Promise<CliResult>;
}

/** Options for {@linkcode createFlow}. */
export interface FlowOptions<K extends string> {
  /** Keys to make with ssh-keygen in the home's "other keys" folder; each becomes a property of the flow, trusted by nobody. */
  keys?: readonly K[];
}

/** A flow with ssh-keygen keys, one property per name in `K`. */
export type FlowWithKeys<K extends string> = Flow & Record<K, GeneratedKey>;

/** A flow with its keys, removed by `cleanup()` or `await using`. */
export type OpenFlow<K extends string> =
  & FlowWithKeys<K>
  & AsyncDisposable
  & { cleanup(): Promise<void> };

/** A report of `verify --rev` or `verify --range` with `--json`. */
export interface HistoryReport {
  /** Whether every commit verified. */
  ok: boolean;
  /** One entry per verified commit. */
  commits: {
    commit: string;
    subject: string;
    ok: boolean;
    results: { path: string; ok: boolean; code?: string }[];
  }[];
}

/**
 * Creates a repository with a bare remote "origin", and the keys asked for.
 *
 * The repository's path contains a space. Nothing is installed or trusted yet.
 *
 * @param options `keys`: names of ssh-keygen keys to make, e.g. `["mallory"]`.
 * @returns The flow; remove it with `cleanup()` or `await using`.
 */
export async function createFlow<K extends string = never>(
  options: FlowOptions<K> = {},
): Promise<OpenFlow<K>> {
  const repo = await createTempRepo();
  let remote: Awaited<ReturnType<typeof createTempRepo>> | undefined;
  async function cleanup(): Promise<void> {
    await repo.cleanup();
    await remote?.cleanup();
  }
  try {
    remote = await createTempRepo({ bare: true });
    assert.ok(repo.root.includes(" "), repo.root);
    await repo.git("remote", "add", "origin", remote.root);
    const keys = {} as Record<K, GeneratedKey>;
    if (options.keys?.length) {
      const dir = join(repo.home, "other keys");
      await Deno.mkdir(dir, { mode: 0o700 });
      for (const name of options.keys) {
        keys[name] = await generateKey(dir, name);
      }
    }
    const flow = _flow(repo, remote);
    return Object.assign(flow, keys, {
      cleanup,
      [Symbol.asyncDispose]: cleanup,
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
}

// The flow's methods over a repository and its remote.
function _flow(repo: TempRepo, remote: TempRepo): Flow {
  const flow: Flow = {
    repo,
    remote,
    async git(args, options = {}) {
      const out = await new Deno.Command("git", {
        args,
        cwd: options.cwd ?? repo.root,
        clearEnv: true,
        env: {
          ...gitEnv(repo.home),
          ...(await denoEnv()),
          MCP_ORCHESTRATION_HOME: repo.home,
          ...options.env,
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
        bytes: out.stdout,
      };
    },
    async ok(args, options = {}) {
      const result = await flow.git(args, options);
      assert.equal(
        result.code,
        0,
        `"git ${args.join(" ")}" failed: ${result.stderr}`,
      );
      return result.stdout;
    },
    cli: (args) => runCli(args, { cwd: repo.root, home: repo.home }),
  };
  return flow;
}

const sharedFlows = new Map<string, Promise<unknown>>();

/**
 * A fresh copy of a starting state that `build` makes once per test file:
 * the first call runs `build` and keeps its flow as the original; every call
 * returns a copy of it (`cp -a` of the repository, its home and the bare
 * remote, with the remote's URL and the keys' paths moved to the copy).
 *
 * For a state that the tests of a file build identically (keys made by
 * ssh-keygen, `init`, the first commits and push), and only when no test
 * checks its making: every copy has the original's keys, commit ids and
 * dates. A later test run removes the originals, once their test process
 * has ended (Linux) or six hours on.
 *
 * @param name Names the state within the test file, e.g. "signed history".
 * @param build Makes the state in a new flow, with the keys of `options`.
 * @param options `keys`: the names of the flow's ssh-keygen keys.
 * @returns A copy of the flow; remove it with `cleanup()` or `await using`.
 * @throws Error when `build` or a copy fails.
 *
 * @example
 * ```ts ignore
 * await using flow = await sharedFlow("hooks", async () => {
 *   const flow = await createFlow();
 *   await installHooks(flow, "alice@example.com");
 *   return flow;
 * });
 * ```
 */
export async function sharedFlow<K extends string = never>(
  name: string,
  build: () => Promise<OpenFlow<K>>,
  options: FlowOptions<K> = {},
): Promise<OpenFlow<K>> {
  let original = sharedFlows.get(name) as Promise<OpenFlow<K>> | undefined;
  if (!original) {
    original = _keepOriginal(build);
    sharedFlows.set(name, original);
    // A failed build is reported by the test that ran it; the next one retries.
    original.catch(() => sharedFlows.delete(name));
  }
  const source = await original;
  const repo = await copyTempRepo(source.repo);
  let remote: Awaited<ReturnType<typeof copyTempRepo>> | undefined;
  async function cleanup(): Promise<void> {
    await repo.cleanup();
    await remote?.cleanup();
  }
  try {
    remote = await copyTempRepo(source.remote, { bare: true });
    const config = join(repo.root, ".git", "config");
    const text = await Deno.readTextFile(config);
    assert.ok(text.includes(source.remote.root), text);
    await Deno.writeTextFile(
      config,
      text.replaceAll(source.remote.root, remote.root),
    );
    const keys = {} as Record<K, GeneratedKey>;
    const from = dirname(source.repo.root);
    const to = dirname(repo.root);
    for (const name of options.keys ?? []) {
      const key = source[name];
      assert.ok(key.privatePath.startsWith(`${from}/`), key.privatePath);
      assert.ok(key.publicPath.startsWith(`${from}/`), key.publicPath);
      keys[name] = {
        ...key,
        privatePath: to + key.privatePath.slice(from.length),
        publicPath: to + key.publicPath.slice(from.length),
      };
    }
    return Object.assign(_flow(repo, remote), keys, {
      cleanup,
      [Symbol.asyncDispose]: cleanup,
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
}

// Builds an original and lists its folders for removal.
async function _keepOriginal<K extends string>(
  build: () => Promise<OpenFlow<K>>,
): Promise<OpenFlow<K>> {
  const flow = await build();
  await keepShared([dirname(flow.repo.root), dirname(flow.remote.root)]);
  return flow;
}

/**
 * Makes the home's default key, trusts it as `principal`, installs the hooks.
 *
 * The key is made by the library (`initKey`), the rest by the real CLI.
 *
 * @param flow The flow.
 * @param principal Who the key belongs to, e.g. "alice@example.com".
 * @returns Nothing; the test fails if a step does.
 */
export async function installHooks(
  flow: Flow,
  principal: string,
): Promise<void> {
  const { created } = await initKey({ home: flow.repo.home });
  await cliOk(flow, [
    "trust",
    "add",
    created.publicKeyPath,
    "--principal",
    principal,
  ]);
  await cliOk(flow, ["install"]);
}

/**
 * A fresh copy of a flow in which {@linkcode installHooks} ran: the home's
 * default key, trusted as `principal` in the working tree (not committed),
 * and the hooks installed. Made once per test file ({@linkcode sharedFlow}).
 *
 * @param principal Who the key belongs to, e.g. "alice@example.com".
 * @returns The flow; remove it with `cleanup()` or `await using`.
 * @throws Error when a step fails.
 *
 * @example
 * ```ts ignore
 * await using flow = await flowWithHooks("alice@example.com");
 * await commit(flow, "signed", { ".mcp.json": "{}\n" });
 * ```
 */
export async function flowWithHooks(
  principal: string,
): Promise<OpenFlow<never>> {
  return await sharedFlow(`hooks installed for ${principal}`, async () => {
    const flow = await createFlow();
    try {
      await installHooks(flow, principal);
      return flow;
    } catch (error) {
      await flow.cleanup();
      throw error;
    }
  });
}

/**
 * Runs the real CLI in the repository and fails the test on a non-zero exit.
 *
 * @param flow The flow.
 * @param args The tool's arguments.
 * @returns The CLI's result.
 */
export async function cliOk(flow: Flow, args: string[]): Promise<CliResult> {
  const result = await flow.cli(args);
  assert.equal(result.code, 0, `"${args.join(" ")}" failed: ${result.stderr}`);
  return result;
}

/**
 * Writes files in the repository's working tree, creating their folders.
 *
 * @param flow The flow.
 * @param files Root-relative path to text.
 * @returns Nothing.
 */
export async function write(
  flow: Flow,
  files: Record<string, string>,
): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await flow.repo.write(path, text);
  }
}

/**
 * Writes files, stages everything and commits with the hooks; fails the test if refused.
 *
 * @param flow The flow.
 * @param message The commit message.
 * @param files Root-relative path to text, written first.
 * @param env Extra environment for `git commit`, e.g. `MCP_ORCHESTRATION_KEY`.
 * @returns The new HEAD commit.
 */
export async function commit(
  flow: Flow,
  message: string,
  files: Record<string, string> = {},
  env?: Record<string, string>,
): Promise<string> {
  await write(flow, files);
  await flow.ok(["add", "-A"]);
  const result = await flow.git(
    ["commit", "-q", "-m", message],
    env ? { env } : {},
  );
  assert.equal(result.code, 0, `commit "${message}": ${result.stderr}`);
  return await head(flow);
}

/**
 * Stages everything and commits past the hooks (`--no-verify`).
 *
 * As an attacker (or a hurried user) would.
 *
 * @param flow The flow.
 * @param message The commit message.
 * @returns The new HEAD commit.
 */
export async function forceCommit(
  flow: Flow,
  message: string,
): Promise<string> {
  await flow.ok(["add", "-A"]);
  await flow.ok(["commit", "-q", "--no-verify", "-m", message]);
  return await head(flow);
}

/**
 * The commit a revision names, by `git rev-parse`.
 *
 * @param flow The flow.
 * @param rev The revision, e.g. "main~1".
 * @param cwd Where to run git (a linked worktree); the repository by default.
 * @returns The full commit id.
 */
export async function revParse(
  flow: Flow,
  rev: string,
  cwd?: string,
): Promise<string> {
  return (await flow.ok(["rev-parse", rev], cwd ? { cwd } : {})).trim();
}

/**
 * The repository's HEAD commit.
 *
 * @param flow The flow.
 * @returns The full commit id.
 */
export async function head(flow: Flow): Promise<string> {
  return await revParse(flow, "HEAD");
}

/**
 * Pushes to "origin" with the hooks; fails the test if refused.
 *
 * @param flow The flow.
 * @param refspec What to push, e.g. "main".
 * @returns Nothing.
 */
export async function push(flow: Flow, refspec: string): Promise<void> {
  const result = await flow.git(["push", "-q", "origin", refspec]);
  assert.equal(result.code, 0, `push ${refspec}: ${result.stderr}`);
}

/**
 * Reads a file of the repository's working tree as UTF-8.
 *
 * @param flow The flow.
 * @param path Root-relative path.
 * @returns The file's text.
 */
export async function readText(flow: Flow, path: string): Promise<string> {
  return decoder.decode(await flow.repo.read(path));
}

/**
 * Runs `verify ARGS --json` (`--rev` or `--range`) and parses its report.
 *
 * Fails the test if it prints no JSON.
 *
 * @param flow The flow.
 * @param args The arguments after `verify`, e.g. `["--rev", "HEAD"]`.
 * @returns The exit code, the report, and the report as indented JSON.
 */
export async function verifyHistory(
  flow: Flow,
  args: string[],
): Promise<{ code: number; report: HistoryReport; text: string }> {
  const result = await flow.cli(["verify", ...args, "--json"]);
  let report: HistoryReport;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    return assert.fail(
      `verify ${
        args.join(" ")
      } printed no JSON (exit ${result.code}): ${result.stderr}`,
    );
  }
  return { code: result.code, report, text: JSON.stringify(report, null, 2) };
}

/**
 * The SHA-256 of some text (as UTF-8) or bytes.
 *
 * @param data The text or bytes.
 * @returns The digest in lowercase hex.
 */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
