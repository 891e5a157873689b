/**
 * The npm package, as a user meets it: scripts/build.ts builds it from the
 * current sources, `npm pack` packs it, npm installs the tarball into a
 * temporary prefix, and the installed `mcp-orchestration` command (Node, no
 * Deno) runs `init`, a commit signed by the hook it installed, and
 * `verify`, and its MCP server answers the SDK's client; `npx <tarball>`
 * runs it too. Nothing comes from the network: the package has no
 * dependencies (the MCP SDK is bundled in, apart from the main script:
 * only `mcp` loads it).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildNpmPackage,
  BUNDLE_NAME,
  sourceCommit,
} from "../../scripts/build.ts";
import { VERSION } from "../../src/constants.ts";
import { formatShellCommand } from "../../src/hooks/launch.ts";
import { sha256 } from "../support/flow.ts";
import { connectMcp } from "../support/mcp_client.ts";
import { runIsolated } from "../support/process.ts";
import { createTempRepo, gitEnv, withTempDir } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const PART_NAME = "mcp-orchestration.mcp-sdk.cjs";
// The bundler's comment above each module it inlines names its path.
const SDK_SOURCE =
  /^\/\/ .*\/@modelcontextprotocol\/sdk\/.*\/server\/mcp\.js$/m;
const ZOD_SOURCE = /^\/\/ .*\/zod\/[^/]+\/v4\/core\/schemas\.js$/m;
const CONFIG = '{"mcpServers":{"files":{"command":"npx","args":["server"]}}}\n';

async function ok(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<string> {
  const out = await runIsolated(command, args, options);
  assert.equal(
    out.code,
    0,
    `"${command} ${
      args.join(" ")
    }" exited ${out.code}:\n${out.stderr}${out.stdout}`,
  );
  return out.stdout;
}

Deno.test({
  name:
    "npm package: packed, installed into a prefix, it runs init, a hooked commit and verify under Node",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await withTempDir(async (work) => {
      const commit = await sourceCommit();
      const packageDir = await buildNpmPackage(commit, join(work, "package"));
      // Built again, both scripts are the same bytes: the split is
      // deterministic (the single executable is not: its V8 code caches).
      const again = await buildNpmPackage(commit, join(work, "again"));
      for (const name of [BUNDLE_NAME, PART_NAME]) {
        assert.deepEqual(
          await Deno.readFile(join(again, name)),
          await Deno.readFile(join(packageDir, name)),
          name,
        );
      }
      // npm's own state stays in the test's folders; nothing is fetched.
      const env = {
        ...gitEnv(repo.home),
        MCP_ORCHESTRATION_HOME: repo.home,
        npm_config_cache: join(work, "npm-cache"),
        npm_config_update_notifier: "false",
        npm_config_audit: "false",
        npm_config_fund: "false",
        NO_COLOR: "1",
      };

      const packed = JSON.parse(
        await ok("npm", [
          "pack",
          packageDir,
          "--pack-destination",
          work,
          "--json",
        ], {
          cwd: work,
          env,
        }),
      ) as { filename: string; files: { path: string }[] }[];
      assert.deepEqual(
        packed[0]!.files.map((file) => file.path).sort(),
        ["README.md", BUNDLE_NAME, PART_NAME, "package.json"],
      );
      // The MCP SDK and zod are in the part, which only `mcp` loads; the
      // main script, which every hook starts, leaves them out.
      const main = await Deno.readTextFile(join(packageDir, BUNDLE_NAME));
      const part = await Deno.readTextFile(join(packageDir, PART_NAME));
      for (const sdk of [SDK_SOURCE, ZOD_SOURCE]) {
        assert.doesNotMatch(main, sdk);
        assert.match(part, sdk);
      }
      const tarball = join(work, packed[0]!.filename);
      assert.equal(packed[0]!.filename, `mcp-orchestration-${VERSION}.tgz`);

      const prefix = join(work, "prefix");
      await ok(
        "npm",
        ["install", "--global", "--offline", "--prefix", prefix, tarball],
        { cwd: work, env },
      );
      const bin = join(prefix, "bin", "mcp-orchestration");

      const version = await ok(bin, ["--version"], { cwd: repo.root, env });
      assert.equal(
        version,
        `mcp-orchestration ${VERSION} (commit ${commit}, node ${
          (await ok("node", ["-p", "process.versions.node"], {
            cwd: work,
            env,
          }))
            .trim()
        })\n`,
      );

      await Deno.writeTextFile(join(repo.root, ".mcp.json"), CONFIG);
      await ok(bin, ["init"], { cwd: repo.root, env });
      // The hooks call Node and the installed command by absolute path (npm's
      // link to the script, which an upgrade of the package keeps valid).
      const node = (await ok("node", ["-p", "process.execPath"], {
        cwd: work,
        env,
      })).trim();
      const hook = await Deno.readTextFile(
        join(repo.root, ".git", "hooks", "pre-commit"),
      );
      assert.ok(
        hook.includes(
          `exec ${
            formatShellCommand([node, bin, "hook", "pre-commit"])
          } "$@"\n`,
        ),
        hook,
      );

      await ok("git", ["add", "--all"], { cwd: repo.root, env });
      await ok("git", ["commit", "--quiet", "-m", "first"], {
        cwd: repo.root,
        env,
      });
      await Deno.writeTextFile(
        join(repo.root, ".mcp.json"),
        CONFIG.replace("server", "server2"),
      );
      await ok("git", ["commit", "--quiet", "-am", "second"], {
        cwd: repo.root,
        env,
      });
      // The hook signed the second version: its bytes are stored by id.
      const tree = await ok("git", ["ls-tree", "-r", "--name-only", "HEAD"], {
        cwd: repo.root,
        env,
      });
      const id = sha256(
        await ok("git", ["show", "HEAD:.mcp.json"], { cwd: repo.root, env }),
      );
      assert.ok(tree.includes(`.mcp-orchestration/artifacts/${id}\n`), tree);

      await ok(bin, ["verify"], { cwd: repo.root, env });
      await ok(bin, ["verify", "--range", "HEAD~1..HEAD"], {
        cwd: repo.root,
        env,
      });
      await Deno.writeTextFile(
        join(repo.root, ".mcp.json"),
        CONFIG.replace("server", "evil"),
      );
      const tampered = await runIsolated(bin, ["verify"], {
        cwd: repo.root,
        env,
      });
      assert.equal(tampered.code, 1, tampered.stderr + tampered.stdout);
      assert.match(tampered.stdout, /TAMPERED/);

      // Its MCP server too: the MCP SDK comes from the package's second
      // script, beside the one npm linked, and nothing is fetched.
      {
        await using session = await connectMcp({
          cwd: repo.root,
          home: repo.home,
          command: [bin, "mcp"],
          env,
        });
        const verified = await session.client.callTool({
          name: "verify",
          arguments: { paths: [".mcp.json"] },
        });
        assert.equal(verified.isError, true);
        assert.match(JSON.stringify(verified.structuredContent), /TAMPERED/);
      }

      // npx runs the same package straight from the tarball.
      const npx = await ok("npx", [
        "--yes",
        "--offline",
        "--package",
        tarball,
        "--",
        "mcp-orchestration",
        "--version",
      ], { cwd: work, env });
      assert.match(npx, new RegExp(`\\(commit ${commit}, node `));
    });
  },
});

Deno.test({
  name:
    "npm bundle: built twice the same; mcp loads its part beside the script, renamed as a release names it, and refuses one missing or from another build",
  ignore: ON_WINDOWS,
  async fn() {
    await using repo = await createTempRepo();
    await withTempDir(async (work) => {
      const commit = await sourceCommit();
      const packageDir = await buildNpmPackage(commit, join(work, "package"));
      // Built again, both scripts are the same bytes: the split is
      // deterministic (the single executable is not: its V8 code caches).
      const again = await buildNpmPackage(commit, join(work, "again"));
      for (const name of [BUNDLE_NAME, PART_NAME]) {
        assert.deepEqual(
          await Deno.readFile(join(again, name)),
          await Deno.readFile(join(packageDir, name)),
          name,
        );
      }
      const env = {
        ...gitEnv(repo.home),
        MCP_ORCHESTRATION_HOME: repo.home,
        NO_COLOR: "1",
      };
      // A release folder's names (scripts/release.ts).
      const release = join(work, "release");
      await Deno.mkdir(release);
      const script = join(release, `mcp-orchestration-${VERSION}.cjs`);
      await Deno.copyFile(join(packageDir, BUNDLE_NAME), script);
      await Deno.copyFile(
        join(packageDir, PART_NAME),
        join(release, `mcp-orchestration-${VERSION}.mcp-sdk.cjs`),
      );
      {
        await using session = await connectMcp({
          cwd: repo.root,
          home: repo.home,
          command: ["node", script, "mcp"],
          env,
        });
        const tools = await session.client.listTools();
        assert.ok(tools.tools.some((tool) => tool.name === "verify"));
      }

      // The script copied alone: every other command runs, mcp says what
      // it lacks (standard input is not a terminal here, as under a client).
      const alone = join(work, "alone");
      await Deno.mkdir(alone);
      await Deno.copyFile(
        join(packageDir, BUNDLE_NAME),
        join(alone, BUNDLE_NAME),
      );
      await ok("node", [join(alone, BUNDLE_NAME), "status"], {
        cwd: repo.root,
        env,
      });
      // Beside it, files of other names that Node's require would run in
      // the part's place (red team 14): the same name with ".js" added, and
      // a folder of the part's name whose package.json names a file
      // elsewhere. Neither runs.
      const marker = join(work, "planted part ran");
      const planted = (what: string) =>
        `require("node:fs").appendFileSync(${JSON.stringify(marker)}, ${
          JSON.stringify(what + "\n")
        });\n`;
      await Deno.writeTextFile(
        join(alone, `${PART_NAME}.js`),
        planted(`${PART_NAME}.js`),
      );
      const mcp = await runIsolated("node", [join(alone, BUNDLE_NAME), "mcp"], {
        cwd: repo.root,
        env,
      });
      assert.notEqual(mcp.code, 0);
      assert.match(
        mcp.stderr,
        new RegExp(
          `Cannot load "${alone}/mcp-orchestration\\.mcp-sdk\\.cjs", the part of this build that "mcp" needs: ENOENT`,
        ),
      );
      await Deno.remove(join(alone, `${PART_NAME}.js`));
      await Deno.mkdir(join(alone, PART_NAME));
      await Deno.writeTextFile(
        join(alone, PART_NAME, "package.json"),
        JSON.stringify({ main: "../../elsewhere.cjs" }),
      );
      await Deno.writeTextFile(
        join(work, "elsewhere.cjs"),
        planted("elsewhere.cjs"),
      );
      const folder = await runIsolated(
        "node",
        [join(alone, BUNDLE_NAME), "mcp"],
        { cwd: repo.root, env },
      );
      assert.notEqual(folder.code, 0);
      assert.match(folder.stderr, /the part of this build that "mcp" needs/);
      assert.equal(
        await Deno.readTextFile(marker).catch(() => ""),
        "",
        "a file of another name ran as the part",
      );
      await Deno.remove(join(alone, PART_NAME), { recursive: true });

      // Beside a part of another build (stamped with another commit).
      const other = commit.replace(/^./, commit[0] === "0" ? "1" : "0");
      const part = await Deno.readTextFile(join(packageDir, PART_NAME));
      assert.ok(part.includes(`"${commit}"`));
      await Deno.writeTextFile(
        join(alone, PART_NAME),
        planted(PART_NAME) + part.replaceAll(`"${commit}"`, `"${other}"`),
      );
      // Only mcp loads a part: no other command, hook or verification.
      for (const args of [["--version"], ["status"], ["verify"], ["help"]]) {
        await runIsolated("node", [join(alone, BUNDLE_NAME), ...args], {
          cwd: repo.root,
          env,
        });
      }
      assert.equal(
        await Deno.readTextFile(marker).catch(() => ""),
        "",
        "a command other than mcp loaded the part",
      );
      const mixed = await runIsolated(
        "node",
        [join(alone, BUNDLE_NAME), "mcp"],
        { cwd: repo.root, env },
      );
      assert.notEqual(mixed.code, 0);
      assert.ok(
        mixed.stderr.includes(
          `Cannot use "${alone}/${PART_NAME}": it comes from build "${other}", but this script is from build "${commit}": install both files of one build`,
        ),
        mixed.stderr,
      );
      // The plant is live: mcp read that file, and its stamp is checked
      // once it has run (the folder's writer could as well change the
      // script; docs/SECURITY.md).
      assert.equal(await Deno.readTextFile(marker), `${PART_NAME}\n`);
    });
  },
});
