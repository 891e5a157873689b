/**
 * Benchmark 1, commit latency: `git add` + `git commit` of a change to one
 * MCP config, signed by our pre-commit hook (installed by each launcher in
 * its own repository), against the same commit signed by Git's own SSH
 * commit signing and against a plain commit; and a commit that touches no
 * MCP config (the hook's fixed cost) against a plain one.
 *
 * Run alone: `deno task bench commit [--quick] [--keep] [--no-build]`.
 *
 * @module
 */

import { join } from "node:path";
import {
  type BenchOptions,
  type BenchResult,
  type CaseResult,
  type Contender,
  evaluate,
  machineInfo,
  METHOD,
  parseBenchArgs,
  ROOT,
  runCase,
  type Target,
  writeResult,
} from "./harness.ts";
import {
  configText,
  createWorkspace,
  git,
  type Launcher,
  PRINCIPAL,
  removeWorkspace,
  timed,
  tool,
  toolLaunchers,
  type Workspace,
} from "./fixtures.ts";
import { updatePerformanceDoc } from "./report.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";

/** Source files beside the config, so the repositories are not empty toys. */
const FILLER_FILES = 100;

interface CommitRepo {
  id: string;
  label: string;
  dir: string;
  /**
   * Whether the commit should carry new signatures (hook), a gpgsig
   * (git-ssh), or the floor hook's `floor.out` (floor).
   */
  signs: "hook" | "git-ssh" | "floor" | "none";
}

/**
 * Runs the commit benchmark.
 *
 * @param options Command-line options.
 * @returns The result, also written to bench/results/commit.json.
 */
export async function commitBench(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const notes: string[] = [];
  const fixtures: Record<string, number> = {};
  const workspace = await createWorkspace();
  try {
    const launchers = await toolLaunchers(options, workspace, notes);
    const machine = await machineInfo(
      Object.fromEntries(launchers.map((l) => [`tool (${l.id})`, l.version])),
    );
    const repos = await timed(
      fixtures,
      "repositories",
      () => createRepos(workspace, launchers),
    );
    const runs = options.quick ? 6 : 20;
    const warmup = options.quick ? 1 : 3;
    const hooks = repos.filter((r) => r.signs === "hook");

    console.log("commit changing one MCP config");
    const configCase = await runCase({
      id: "commit-config",
      title: "git add + git commit of a change to one MCP config",
      contenders: repos.map((repo) => commitContender(workspace, repo, true)),
      reference: "git-ssh",
      pairs: hooks.map((h) => [h.id, "plain"] as [string, string]),
    }, { runs, warmup });

    console.log("commit touching no MCP config");
    const otherCase = await runCase({
      id: "commit-other",
      title:
        "git add + git commit of a change to README.md only (the hook's fixed cost)",
      contenders: repos.filter((r) =>
        r.signs !== "git-ssh" && r.signs !== "floor"
      ).map((repo) => commitContender(workspace, repo, false)),
      reference: "plain",
    }, { runs, warmup });

    console.log("start-up: --version against a trivial script");
    const startCase = await runCase({
      id: "startup",
      title:
        "`--version` against a one-line script of the same runtime (Deno's or Node's start-up alone)",
      contenders: await startupContenders(workspace, launchers),
      reference: "trivial-deno",
      pairs: launchers.some((l) => l.id === "bin")
        ? [["version-bin", "trivial-node"]]
        : [],
    }, { runs, warmup });

    const cases = [configCase, otherCase, startCase];
    const result: BenchResult = {
      name: "commit",
      title: "1. Commit latency",
      description:
        "`git add` + `git commit` of a change to one MCP config in a small repository " +
        `(${FILLER_FILES} source files, one .mcp.json), each contender in its own repository: ` +
        "our pre-commit hook signing it (installed by `init` run through each launcher, so the hook " +
        "starts that launcher), Git's own SSH commit signing (gpg.format=ssh, user.signingkey = an " +
        "ssh-keygen Ed25519 key file, commit.gpgsign=true), and a plain commit. Then a commit " +
        "touching only README.md, where the hook finds no MCP config: its fixed cost. Peak RSS " +
        "is the largest process of the commit (git, ssh-keygen or the hook). Last, start-up: " +
        "`--version` through each launcher against a one-line script of its runtime " +
        '(`deno run` of `console.log("ok")`, `node -e 0`): what loading the tool adds.',
      date: new Date().toISOString(),
      quick: options.quick,
      seconds: 0,
      machine,
      method: [...METHOD],
      fixtures,
      cases,
      targets: [
        ...commitTargets(configCase, otherCase, launchers),
        ...startupTargets(startCase, launchers),
      ],
      notes,
    };
    result.seconds = Math.round((performance.now() - started) / 100) / 10;
    await writeResult(result);
    return result;
  } finally {
    await removeWorkspace(workspace, options.keep);
  }
}

async function createRepos(
  workspace: Workspace,
  launchers: readonly Launcher[],
): Promise<CommitRepo[]> {
  const repos: CommitRepo[] = [
    { id: "plain", label: "plain commit", dir: "", signs: "none" },
    {
      id: "git-ssh",
      label: "git SSH commit signing",
      dir: "",
      signs: "git-ssh",
    },
    {
      id: "floor-deno",
      label: "floor: a deno run hook that only asks git (bench/floor_hook.ts)",
      dir: "",
      signs: "floor",
    },
    ...launchers.map((l): CommitRepo => ({
      id: `hook-${l.id}`,
      label: `pre-commit hook (${l.label})`,
      dir: "",
      signs: "hook",
    })),
  ];
  for (const repo of repos) {
    repo.dir = join(workspace.root, `commit-${repo.id}`);
    await git(workspace, workspace.root, ["init", "-q", repo.dir]);
    await Deno.mkdir(join(repo.dir, "src"));
    for (let i = 0; i < FILLER_FILES; i++) {
      await Deno.writeTextFile(
        join(repo.dir, "src", `module_${i}.ts`),
        `export const value${i} = ${i};\n`,
      );
    }
    await Deno.writeTextFile(join(repo.dir, "README.md"), "# Project\n");
    await Deno.writeTextFile(
      join(repo.dir, ".mcp.json"),
      configText("github", "1.0.0"),
    );
    if (repo.signs === "git-ssh") {
      await git(workspace, repo.dir, ["config", "gpg.format", "ssh"]);
      await git(workspace, repo.dir, [
        "config",
        "user.signingkey",
        workspace.key,
      ]);
      await git(workspace, repo.dir, ["config", "commit.gpgsign", "true"]);
    }
    if (repo.signs === "floor") await installFloorHook(workspace, repo.dir);
    const launcher = launchers.find((l) => repo.id === `hook-${l.id}`);
    if (launcher) {
      // init: trust the key (MCP_ORCHESTRATION_KEY), install the hooks
      // through this launcher, sign the config.
      await tool(
        workspace,
        launcher,
        ["init", "--principal", PRINCIPAL],
        repo.dir,
      );
      const hook = await Deno.readTextFile(
        (await git(workspace, repo.dir, [
          "rev-parse",
          "--path-format=absolute",
          "--git-path",
          "hooks/pre-commit",
        ])).trim(),
      );
      const calls = launcher.id === "deno" ? "main.ts" : launcher.command;
      if (!hook.includes(calls)) {
        throw new Error(
          `The hook installed by ${launcher.label} does not call it`,
        );
      }
    }
    await git(workspace, repo.dir, ["add", "-A"]);
    await git(workspace, repo.dir, ["commit", "-q", "-m", "Initial"]);
  }
  return repos;
}

// The floor hook (bench/floor_hook.ts) started as the tool's hook starts
// `deno run`: the same Deno, quiet, with the tool's permissions, from a sh
// stub.
async function installFloorHook(
  workspace: Workspace,
  dir: string,
): Promise<void> {
  const hook = (await git(workspace, dir, [
    "rev-parse",
    "--path-format=absolute",
    "--git-path",
    "hooks/pre-commit",
  ])).trim();
  const script = join(ROOT, "bench", "floor_hook.ts");
  await Deno.writeTextFile(
    hook,
    `#!/bin/sh\nexec '${Deno.execPath()}' run --quiet ${
      PERMISSION_FLAGS.join(" ")
    } '${script}'\n`,
    { mode: 0o755 },
  );
}

function commitContender(
  workspace: Workspace,
  repo: CommitRepo,
  config: boolean,
): Contender {
  let version = 0;
  const path = config ? ".mcp.json" : "README.md";
  const label = repo.id === "plain" && !config ? "plain commit" : repo.label;
  return {
    id: repo.id,
    label,
    launch: {
      command: "sh",
      args: [
        "-c",
        'git add -- "$1" && git commit -q -m "$2"',
        "sh",
        path,
        config ? "Update the MCP config" : "Update the README",
      ],
      cwd: repo.dir,
      env: workspace.env,
    },
    before: async () => {
      version++;
      const file = join(repo.dir, path);
      if (config) {
        await Deno.writeTextFile(file, configText("github", `1.${version}.0`));
      } else {
        await Deno.writeTextFile(file, `line ${version}\n`, { append: true });
      }
    },
    check: async () => {
      const changed = (await git(workspace, repo.dir, [
        "diff-tree",
        "--no-commit-id",
        "--name-only",
        "-r",
        "HEAD",
      ])).trim().split("\n");
      const store = changed.filter((p) => p.startsWith(".mcp-orchestration/"));
      if (!changed.includes(path)) {
        throw new Error(`${repo.id}: the commit does not contain ${path}`);
      }
      if (repo.signs === "hook" && config && store.length === 0) {
        throw new Error(`${repo.id}: the hook did not sign ${path}`);
      }
      if (store.length > 0 && !config) {
        throw new Error(`${repo.id}: the hook signed a commit without configs`);
      }
      if (repo.signs === "floor" && !changed.includes("floor.out")) {
        throw new Error(`${repo.id}: the floor hook staged no floor.out`);
      }
      if (repo.signs === "git-ssh") {
        const commit = await git(workspace, repo.dir, [
          "cat-file",
          "commit",
          "HEAD",
        ]);
        if (!commit.includes("gpgsig -----BEGIN SSH SIGNATURE-----")) {
          throw new Error("git-ssh: the commit carries no SSH signature");
        }
      }
    },
  };
}

// --version through each launcher, and the same runtime running a one-line
// script: the tool's own start-up cost is the difference.
async function startupContenders(
  workspace: Workspace,
  launchers: readonly Launcher[],
): Promise<Contender[]> {
  const script = join(workspace.root, "trivial.ts");
  await Deno.writeTextFile(script, 'console.log("ok");\n');
  const at = (command: string, args: string[]) => ({
    command,
    args,
    cwd: workspace.root,
    env: workspace.env,
  });
  const expect = (text: string) => (output: { stdout: string }) => {
    if (!output.stdout.startsWith(text)) {
      throw new Error(`Expected "${text}" on stdout, got "${output.stdout}"`);
    }
  };
  const contenders: Contender[] = [{
    id: "trivial-deno",
    label: "deno run of a one-line script",
    launch: at("deno", ["run", script]),
    check: expect("ok"),
  }];
  for (const launcher of launchers) {
    contenders.push({
      id: `version-${launcher.id}`,
      label: `--version (${launcher.label})`,
      launch: at(launcher.command, [...launcher.prefix, "--version"]),
      check: expect("mcp-orchestration "),
    });
  }
  // The README's command, as a user types it: without the lazy-imports
  // flag, Deno reads every command's modules before the first line runs.
  contenders.push({
    id: "version-deno-plain",
    label: "--version (deno run main.ts, the README's command)",
    launch: at("deno", [
      "run",
      ...PERMISSION_FLAGS,
      join(ROOT, "main.ts"),
      "--version",
    ]),
    check: expect("mcp-orchestration "),
  });
  if (launchers.some((l) => l.id === "bin")) {
    contenders.push({
      id: "trivial-node",
      label: "node -e 0",
      launch: at("node", ["-e", "0"]),
    });
  }
  return contenders;
}

function startupTargets(
  startCase: CaseResult,
  launchers: readonly Launcher[],
): Target[] {
  // Each launcher, and the README's plain `deno run` command.
  const ids = [...launchers.map((l) => l.id), "deno-plain"];
  return ids.map((launcher) => {
    const id = `version-${launcher}`;
    const base = launcher === "bin" ? "trivial-node" : "trivial-deno";
    const ratio = startCase.ratios.find((r) => r.a === id && r.b === base);
    return evaluate({
      description: `--version ≤ 1.5× a trivial ${
        launcher === "bin" ? "node -e 0" : "deno run script"
      }`,
      short: `vs ${base}`,
      contender: id,
      case: startCase.id,
      ...(ratio ? { value: ratio.ratio.median } : {}),
      limit: 1.5,
      comparison: "<=",
      unit: "×",
      how: `median of per-round ratios ${id} / ${base}`,
    });
  });
}

function commitTargets(
  configCase: CaseResult,
  otherCase: CaseResult,
  launchers: readonly Launcher[],
): Target[] {
  return launchers.flatMap((l) => {
    const id = `hook-${l.id}`;
    const vsSsh = configCase.ratios.find((r) =>
      r.a === id && r.b === "git-ssh"
    );
    const fixed = otherCase.ratios.find((r) => r.a === id && r.b === "plain");
    return [
      evaluate({
        description: "hook-signed commit ≤ 3× a git-SSH-signed commit",
        short: "vs git-ssh",
        contender: id,
        case: configCase.id,
        ...(vsSsh ? { value: vsSsh.ratio.median } : {}),
        limit: 3,
        comparison: "<=",
        unit: "×",
        how: "median of per-round ratios hook / git-ssh",
      }),
      evaluate({
        description:
          "a commit touching no MCP config adds < 25 ms over a plain commit",
        short: "added to a plain commit",
        contender: id,
        case: otherCase.id,
        ...(fixed ? { value: fixed.differenceMs.median } : {}),
        limit: 25,
        comparison: "<",
        unit: "ms",
        how: "median of per-round differences hook − plain",
      }),
    ];
  });
}

if (import.meta.main) {
  const options = parseBenchArgs(Deno.args);
  await commitBench(options);
  await updatePerformanceDoc();
}
