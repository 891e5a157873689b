/**
 * Fixtures shared by the benchmarks: a temporary workspace (its own tool
 * home, key, Git configuration; never the real home), the tool's launchers
 * (`deno run main.ts` and `dist/mcp-orchestration`, built when missing or
 * older than the sources), and repositories of N signed configs.
 *
 * @module
 */

import { join } from "node:path";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { LAZY_IMPORTS_FLAG } from "../src/hooks/launch.ts";
import { type BenchOptions, type Launch, ROOT, run } from "./harness.ts";

/** The principal the benchmark key is trusted as. */
export const PRINCIPAL = "bench@example.com";

/** A temporary folder with everything the fixtures need. */
export interface Workspace {
  /** The temporary folder. */
  root: string;
  /** HOME and MCP_ORCHESTRATION_HOME of every child. */
  home: string;
  /** An Ed25519 private key made by ssh-keygen (the tool and git both sign with it). */
  key: string;
  /** Its public key file. */
  publicKey: string;
  /** The environment of every child process (nothing else is inherited). */
  env: Record<string, string>;
}

/**
 * Creates the workspace: folder, key, Git configuration, environment.
 *
 * @returns The workspace; remove it with {@linkcode removeWorkspace}.
 */
export async function createWorkspace(): Promise<Workspace> {
  const root = await Deno.makeTempDir({ prefix: "mcp-orchestration-bench-" });
  const home = join(root, "home");
  await Deno.mkdir(home, { mode: 0o700 });
  const key = join(root, "signing_key");
  await run("ssh-keygen", [
    "-q",
    "-t",
    "ed25519",
    "-N",
    "",
    "-C",
    PRINCIPAL,
    "-f",
    key,
  ]);
  const gitconfig = join(root, "gitconfig");
  // No automatic gc or maintenance: a background repack in the middle of
  // a measurement would be noise.
  await Deno.writeTextFile(
    gitconfig,
    "[user]\n\tname = Bench\n\temail = bench@example.com\n" +
      "[init]\n\tdefaultBranch = main\n" +
      "[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n" +
      "[advice]\n\tdetachedHead = false\n",
  );
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    MCP_ORCHESTRATION_HOME: join(home, ".mcp-orchestration"),
    MCP_ORCHESTRATION_KEY: key,
    // The real module cache: the hooks' `deno run` must not download the
    // tool's npm packages again into the temporary HOME.
    DENO_DIR: await denoDir(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: gitconfig,
    GIT_AUTHOR_NAME: "Bench",
    GIT_AUTHOR_EMAIL: PRINCIPAL,
    GIT_COMMITTER_NAME: "Bench",
    GIT_COMMITTER_EMAIL: PRINCIPAL,
    LANG: "C.UTF-8",
    TZ: "UTC",
    NO_COLOR: "1",
  };
  return { root, home, key, publicKey: `${key}.pub`, env };
}

async function denoDir(): Promise<string> {
  // `deno info` with the caller's own environment names the cache that
  // `deno run` uses there (DENO_DIR, XDG_CACHE_HOME or HOME).
  const info = JSON.parse(await run("deno", ["info", "--json"]));
  if (typeof info.denoDir !== "string") {
    throw new Error("Cannot find Deno's cache folder (deno info --json)");
  }
  return info.denoDir;
}

/**
 * Removes the workspace, or says where it is with `--keep`.
 *
 * @param workspace The workspace.
 * @param keep Keep it.
 */
export async function removeWorkspace(
  workspace: Workspace,
  keep: boolean,
): Promise<void> {
  if (keep) console.log(`(kept ${workspace.root})`);
  else await Deno.remove(workspace.root, { recursive: true });
}

// --- Launchers ---

/** A way to start the tool. */
export interface Launcher {
  /** `deno` or `bin`. */
  id: "deno" | "bin";
  /** For tables. */
  label: string;
  /** Program. */
  command: string;
  /** Arguments before the tool's own. */
  prefix: readonly string[];
  /** What `--version` printed. */
  version: string;
}

/** Where `deno task compile` puts the executable. */
export const BINARY = join(ROOT, "dist", "mcp-orchestration");

/**
 * The tool's launchers: `deno run <LAZY_IMPORTS_FLAG> <PERMISSION_FLAGS>
 * main.ts` (as the installed hooks start it) always, and the compiled
 * executable when it exists or can be built.
 *
 * @param options `noBuild` uses the executable as it is.
 * @param workspace The workspace (environment for `--version`).
 * @param notes Receives a line on what happened to the executable.
 * @returns One or two launchers.
 */
export async function toolLaunchers(
  options: Pick<BenchOptions, "noBuild">,
  workspace: Workspace,
  notes: string[],
): Promise<Launcher[]> {
  const env = { env: workspace.env };
  const prefix = [
    "run",
    LAZY_IMPORTS_FLAG,
    ...PERMISSION_FLAGS,
    join(ROOT, "main.ts"),
  ];
  const head = (await run("git", ["rev-parse", "HEAD"], { cwd: ROOT })).trim();
  const dirty =
    (await run("git", ["--no-optional-locks", "status", "--porcelain"], {
      cwd: ROOT,
    }))
      .trim();
  const launchers: Launcher[] = [{
    id: "deno",
    label: "deno run main.ts",
    command: "deno",
    prefix,
    version: `${
      (await run("deno", [...prefix, "--version"], env)).trim()
    }, checkout ${head}${dirty ? "-dirty" : ""}`,
  }];
  const binary = await binaryState(options.noBuild);
  if (binary.usable) {
    const version = (await run(BINARY, ["--version"], env)).trim();
    const kind = /\bnode \d/.test(version)
      ? "a Node single executable"
      : "a deno compile executable";
    notes.push(`dist/mcp-orchestration is ${kind}: ${version}`);
    launchers.push({
      id: "bin",
      label: "dist/mcp-orchestration",
      command: BINARY,
      prefix: [],
      version,
    });
  }
  if (binary.note) {
    console.log(`  ${binary.note}`);
    notes.push(binary.note);
  }
  return launchers;
}

async function binaryState(
  noBuild: boolean,
): Promise<{ usable: boolean; note?: string }> {
  const built = await mtime(BINARY);
  if (noBuild) {
    return built === undefined
      ? { usable: false, note: "dist/mcp-orchestration: absent (--no-build)" }
      : {
        usable: true,
        note: "dist/mcp-orchestration used as found (--no-build)",
      };
  }
  const sources = await newestSource();
  if (built !== undefined && built >= sources) return { usable: true };
  const why = built === undefined ? "missing" : "older than the sources";
  console.log(`  dist/mcp-orchestration is ${why}: deno task compile…`);
  const out = await new Deno.Command("deno", {
    args: ["task", "compile"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    const reason = new TextDecoder().decode(out.stderr).trim().split("\n")
      .at(-1);
    return {
      usable: false,
      note:
        `dist/mcp-orchestration skipped: it was ${why} and deno task compile failed (${reason})`,
    };
  }
  const route = /^route: .*$/m.exec(text)?.[0] ?? "";
  return {
    usable: true,
    note: `dist/mcp-orchestration rebuilt (it was ${why}); ${
      route.split("(")[0]!.trim()
    }`,
  };
}

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).mtime?.getTime();
  } catch {
    return undefined;
  }
}

async function newestSource(): Promise<number> {
  let newest = 0;
  const visit = async (path: string) => {
    const info = await Deno.stat(path);
    newest = Math.max(newest, info.mtime?.getTime() ?? 0);
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(path)) {
        await visit(join(path, entry.name));
      }
    }
  };
  for (const name of ["mod.ts", "main.ts", "src", "deno.json", "deno.lock"]) {
    await visit(join(ROOT, name));
  }
  return newest;
}

/**
 * A measured launch of the tool.
 *
 * @param workspace The workspace (environment).
 * @param launcher How to start the tool.
 * @param args The tool's arguments.
 * @param cwd Working folder.
 * @returns The launch.
 */
export function toolLaunch(
  workspace: Workspace,
  launcher: Launcher,
  args: readonly string[],
  cwd: string,
): Launch {
  return {
    command: launcher.command,
    args: [...launcher.prefix, ...args],
    cwd,
    env: workspace.env,
  };
}

/**
 * Runs the tool (not measured).
 *
 * @param workspace The workspace.
 * @param launcher How to start the tool.
 * @param args The tool's arguments.
 * @param cwd Working folder.
 * @returns Its standard output.
 */
export function tool(
  workspace: Workspace,
  launcher: Launcher,
  args: readonly string[],
  cwd: string,
): Promise<string> {
  return run(launcher.command, [...launcher.prefix, ...args], {
    cwd,
    env: workspace.env,
  });
}

/**
 * Runs git (not measured) in the workspace's environment.
 *
 * @param workspace The workspace.
 * @param cwd Working folder.
 * @param args Git's arguments.
 * @returns Its standard output.
 */
export function git(
  workspace: Workspace,
  cwd: string,
  args: readonly string[],
): Promise<string> {
  return run("git", args, { cwd, env: workspace.env });
}

// --- Repositories ---

/**
 * The text of a small, valid Claude Code config, different for each
 * (name, version).
 *
 * @param name Server name.
 * @param version Package version.
 * @returns JSON text ending with a newline.
 */
export function configText(name: string, version: string): string {
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
 * Seconds a step took, for the results' `fixtures` record.
 *
 * @param record Where to add the time.
 * @param name The step.
 * @param step The step itself.
 * @returns What the step returned.
 */
export async function timed<T>(
  record: Record<string, number>,
  name: string,
  step: () => Promise<T>,
): Promise<T> {
  const start = performance.now();
  const result = await step();
  const seconds = (performance.now() - start) / 1000;
  record[name] = Math.round(seconds * 100) / 100;
  console.log(`  fixture ${name}: ${seconds.toFixed(1)} s`);
  return result;
}

/**
 * Creates a committed repository of `count` signed configs,
 * `packages/pNNNNN/.mcp.json`, signed by one `sign` run of the tool.
 *
 * @param workspace The workspace.
 * @param dir The new repository's folder.
 * @param count How many configs.
 * @param launcher Which launcher signs (its output is the same either way).
 * @param record Receives the time of each step.
 */
export async function signedRepository(
  workspace: Workspace,
  dir: string,
  count: number,
  launcher: Launcher,
  record: Record<string, number>,
): Promise<void> {
  await git(workspace, workspace.root, ["init", "-q", dir]);
  await timed(record, `write ${count} configs`, async () => {
    const width = String(count - 1).length;
    for (let i = 0; i < count; i++) {
      const name = `p${String(i).padStart(width, "0")}`;
      const folder = join(dir, "packages", name);
      await Deno.mkdir(folder, { recursive: true });
      await Deno.writeTextFile(
        join(folder, ".mcp.json"),
        configText(name, "1.0.0"),
      );
    }
  });
  await tool(workspace, launcher, [
    "trust",
    "add",
    workspace.publicKey,
    "--principal",
    PRINCIPAL,
  ], dir);
  await timed(
    record,
    `sign ${count} configs (one tool run)`,
    () => tool(workspace, launcher, ["sign"], dir),
  );
  await timed(record, `git add + commit ${count} configs`, async () => {
    await git(workspace, dir, ["add", "-A"]);
    await git(workspace, dir, ["commit", "-q", "--no-verify", "-m", "Signed"]);
  });
}

/**
 * Creates a repository of `configs` signed configs and `commits` commits
 * that each change one of them (round-robin) and sign it, built by
 * bench/build_history.ts with the tool's own library (see there).
 *
 * @param workspace The workspace.
 * @param dir The new repository's folder.
 * @param options How many commits and configs, which launcher trusts the
 * key, and where the build's time goes.
 */
export async function signedHistory(
  workspace: Workspace,
  dir: string,
  options: {
    commits: number;
    configs: number;
    launcher: Launcher;
    record: Record<string, number>;
  },
): Promise<void> {
  await git(workspace, workspace.root, ["init", "-q", dir]);
  for (let i = 0; i < options.configs; i++) {
    await Deno.mkdir(join(dir, "packages", `p${i}`), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "packages", `p${i}`, ".mcp.json"),
      configText(`p${i}`, "1.0.0"),
    );
  }
  await tool(workspace, options.launcher, [
    "trust",
    "add",
    workspace.publicKey,
    "--principal",
    PRINCIPAL,
  ], dir);
  await timed(
    options.record,
    `${options.commits} signed commits (library signConfigs + git commit)`,
    () =>
      run("deno", [
        "run",
        ...PERMISSION_FLAGS,
        join(ROOT, "bench", "build_history.ts"),
        dir,
        String(options.commits),
        workspace.key,
      ], { env: workspace.env }),
  );
}
