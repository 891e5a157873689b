/**
 * Every command README.md tells a user to run is run by a test. Each fenced
 * block of README.md carries a mark (tests/support/readme.ts): this file
 * checks that every block has one and that tests/support/readme.ts's table
 * says where it runs or why it cannot, and runs the blocks that need no
 * build: the tool from a checkout, the usage block, the CI command, the
 * husky hooks and the release checks. The blocks that need a build, npm or
 * a server run in tests/dist/readme_test.ts.
 *
 * Each block runs as written, through `bash -e` (the first failing command
 * fails the block), in a temporary repository with its own `HOME` and
 * `MCP_ORCHESTRATION_HOME`, with `mcp-orchestration` on `PATH` started as
 * tests/support/cli.ts starts the tool; placeholders (`your-repo`,
 * `ssh-ed25519 AAAA…`, `FILE`) are replaced by real values, each checked
 * to be in the block. Each group also checks that its block fails when
 * what it guards is broken, so that a block that cannot fail is noticed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../../src/constants.ts";
import { MOD_PATH } from "../support/cli.ts";
import {
  describeRun,
  fencedBlocks,
  fillPlaceholders,
  isShellBlock,
  README_BLOCKS,
  README_PATH,
  readmeBlock,
  runShell,
} from "../support/readme.ts";
import { connectMcp } from "../support/mcp_client.ts";
import { createTempRepo, gitEnv, withTempDir } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const HERE = "tests/docs/readme_test.ts";
const CONFIG = '{"mcpServers":{"files":{"command":"mcp-fs","args":["."]}}}\n';
const EVIL = '{"mcpServers":{"files":{"command":"curl-evil","args":["."]}}}\n';

/** Runs shell code and fails the test unless it exits 0. */
async function sh(
  code: string,
  options: { cwd: string; home: string; env?: Record<string, string> },
): Promise<string> {
  const result = await runShell(code, options);
  assert.equal(result.code, 0, `${code}\n${describeRun(result)}`);
  return result.stdout + result.stderr;
}

// --- the marks ----------------------------------------------------------------

Deno.test("fencedBlocks finds fences at any indentation, with the mark before each", () => {
  const text = [
    "# t",
    "<!-- runnable: one -->",
    "",
    "```sh",
    "echo 1",
    "```",
    "- item",
    "",
    "  <!-- not-runnable: two -->",
    "  ```yaml",
    "  a: 1",
    "    b: 2",
    "  ```",
    "text",
    "```",
    "plain",
    "```",
  ].join("\n");
  assert.deepEqual(fencedBlocks(text), [
    {
      line: 4,
      lang: "sh",
      code: "echo 1\n",
      mark: { kind: "runnable", name: "one" },
    },
    {
      line: 10,
      lang: "yaml",
      code: "a: 1\n  b: 2\n",
      mark: { kind: "not-runnable", name: "two" },
    },
    { line: 15, lang: "", code: "plain\n" },
  ]);
  assert.throws(() => fencedBlocks("```sh\necho\n"), /never closed/);
});

Deno.test("README.md: every fenced block is marked, and the table says where each runs or why it cannot", async () => {
  const blocks = fencedBlocks(await Deno.readTextFile(README_PATH));
  assert.ok(blocks.some(isShellBlock), "README.md has no shell block");
  const seen = new Set<string>();
  for (const block of blocks) {
    assert.ok(
      block.mark,
      `README.md line ${block.line}: a \`\`\`${block.lang} block with no "<!-- runnable: NAME -->" or "<!-- not-runnable: NAME -->" before it`,
    );
    const { kind, name } = block.mark;
    assert.ok(!seen.has(name), `README.md: two blocks are named "${name}"`);
    seen.add(name);
    const plan = README_BLOCKS[name];
    assert.ok(
      plan,
      `README.md line ${block.line}: "${name}" is not in tests/support/readme.ts's README_BLOCKS`,
    );
    assert.equal(
      "runBy" in plan ? "runnable" : "not-runnable",
      kind,
      `README.md line ${block.line}: "${name}" is marked ${kind}, README_BLOCKS says otherwise`,
    );
  }
  assert.deepEqual(
    Object.keys(README_BLOCKS).filter((name) => !seen.has(name)),
    [],
    "README_BLOCKS names blocks that README.md does not have",
  );
  assert.deepEqual(
    Object.keys(RUN_HERE).sort(),
    Object.entries(README_BLOCKS)
      .filter(([, plan]) => "runBy" in plan && plan.runBy === HERE)
      .map(([name]) => name)
      .sort(),
    `the blocks ${HERE} runs are not the ones README_BLOCKS gives it`,
  );
});

Deno.test({
  name: "runShell stops at the first failing command, as a block must",
  ignore: ON_WINDOWS,
  async fn() {
    await withTempDir(async (dir) => {
      const result = await runShell("true\nfalse\necho reached\n", {
        cwd: dir,
        home: dir,
      });
      assert.equal(result.code, 1);
      assert.doesNotMatch(result.stdout, /reached/);
      const piped = await runShell("false | cat\n", { cwd: dir, home: dir });
      assert.equal(piped.code, 1);
    });
  },
});

// --- the blocks ---------------------------------------------------------------

/** The blocks this file runs, each a test. */
const RUN_HERE: Record<string, () => Promise<void>> = {
  "run-from-checkout": runFromCheckout,
  "usage": usageAndCi,
  "review-diff": reviewDiff,
  "lint": lint,
  "other-ci": usageAndCi,
  "server-install": server,
  "server-hook-d": server,
  "husky-pre-commit": husky,
  "husky-pre-push": husky,
  "team-policy": team,
  "team-approve": team,
  "team-revoke": team,
  "team-log": team,
  "release-verify": release,
  "release-verify-file": release,
  "mcp-client-config": mcpClientConfig,
};

/**
 * Reviewing with diff: a commit through the hook changes a server's
 * arguments, then the working tree and the index change others; the block
 * shows each, and its JSON parses.
 */
async function reviewDiff(): Promise<void> {
  await using repo = await createTempRepo();
  const at = { cwd: repo.root, home: repo.home };
  await repo.write(".mcp.json", CONFIG);
  await sh(
    `mcp-orchestration init --principal alice@example.com
git add -A && git commit -qm "Sign MCP configs"`,
    at,
  );
  await repo.write(".mcp.json", EVIL);
  const committed = await sh(`git commit -qam "Another server command"`, at);
  assert.match(committed, /\.mcp\.json: ~ files: command/);
  await repo.write(
    ".mcp.json",
    '{"mcpServers":{"files":{"command":"curl-evil","args":["."]},"web":{"url":"https://example.com/mcp"}}}\n',
  );
  await sh("git add .mcp.json", at);
  await repo.write(".mcp.json", CONFIG);
  const output = await sh(
    fillPlaceholders(await readmeBlock("review-diff"), []),
    at,
  );
  // The working tree: back to mcp-fs; the index: a server added; the
  // commit: the command changed; then the same as JSON.
  assert.match(
    output,
    /→ working tree\n\.mcp\.json \(Claude Code\): modified\n {2}~ files\n {6}command: curl-evil → mcp-fs\n/,
  );
  assert.match(
    output,
    /→ index\n\.mcp\.json \(Claude Code\): modified\n {2}\+ web \(http: https:\/\/example\.com\/mcp\)\n/,
  );
  assert.match(
    output,
    /→ HEAD \([0-9a-f]{12}\)\n\.mcp\.json \(Claude Code\): modified\n {2}~ files\n {6}command: mcp-fs → curl-evil\n/,
  );
  // stdout, then stderr: the JSON is the list that ends stdout.
  const start = output.indexOf("\n[") + 1;
  const json = output.slice(start, output.indexOf("\n]\n", start) + 2);
  assert.deepEqual(JSON.parse(json)[0].servers[0].fields, [
    {
      field: "command",
      change: "modified",
      before: "mcp-fs",
      after: "curl-evil",
    },
  ]);
}

/**
 * Lint: the block warns and exits 0; once the policy blocks a rule it
 * breaks, the same block fails.
 */
async function lint(): Promise<void> {
  await using repo = await createTempRepo();
  await repo.write(
    ".mcp.json",
    JSON.stringify({
      mcpServers: {
        github: { command: "npx", args: ["-y", "server-github"] },
        docs: { url: "http://docs.example.com/mcp" },
      },
    }),
  );
  const at = { cwd: repo.root, home: repo.home };
  const code = fillPlaceholders(await readmeBlock("lint"), []);
  const output = await sh(code, at);
  assert.match(output, /warning\[unpinned-package\] server "github"/);
  assert.match(output, /warning\[insecure-http\] server "docs"/);
  assert.match(output, /"blocked": \[\]/);
  await repo.write(
    ".mcp-orchestration/policy.json",
    JSON.stringify({
      format: "mcp-orchestration-policy v1",
      version: 1,
      groups: { leads: ["alice@example.com"] },
      trust: { groups: ["leads"], threshold: 1 },
      rules: [],
      lint: { block: ["insecure-http"] },
    }),
  );
  const blocked = await runShell(code, at);
  assert.equal(blocked.code, 1, describeRun(blocked));
  assert.match(blocked.stdout, /blocked\[insecure-http\]/);
}

/** Running the tool: `deno run <flags> main.ts init` in a repository. */
async function runFromCheckout(): Promise<void> {
  await using repo = await createTempRepo();
  await repo.write(".mcp.json", CONFIG);
  const code = fillPlaceholders(await readmeBlock("run-from-checkout"), [
    ["main.ts <command>", `"$README_MAIN" init`],
  ]);
  const env = { README_MAIN: MOD_PATH };
  const output = await sh(code, { cwd: repo.root, home: repo.home, env });
  assert.match(output, /\.mcp\.json/);
  // init made the key, the trust list, the hooks, and signed the config.
  assert.ok(await repo.exists(".mcp-orchestration/allowed_signers"));
  assert.ok(await repo.exists(".git/hooks/pre-commit"));
  await sh("mcp-orchestration verify", { cwd: repo.root, home: repo.home });
  // A tampered config fails the same command's verify.
  await repo.write(".mcp.json", EVIL);
  const tampered = await runShell(
    code.replace(`"$README_MAIN" init`, `"$README_MAIN" verify`),
    { cwd: repo.root, home: repo.home, env },
  );
  assert.equal(tampered.code, 1, describeRun(tampered));
  assert.match(tampered.stdout, /TAMPERED/);
}

/**
 * Usage, on a repository whose history already holds a config, with a
 * remote: init, the commit, status, verify, verify --range. Then the CI
 * command, in a full clone of the branch: it passes, and fails once a
 * tampered config is committed past the hooks.
 */
async function usageAndCi(): Promise<void> {
  await using repo = await createTempRepo();
  await using remote = await createTempRepo({ bare: true });
  const at = { cwd: repo.root, home: repo.home };
  await repo.write("README.md", "hello\n");
  await repo.write(".mcp.json", CONFIG);
  await sh(
    `git add -A && git commit -qm "Before adoption"
git remote add origin "$README_REMOTE" && git push -q origin main`,
    { ...at, env: { README_REMOTE: remote.root } },
  );

  const usage = fillPlaceholders(await readmeBlock("usage"), [
    ["cd your-repo", `cd "$README_REPO"`],
  ]);
  const output = await sh(usage, {
    cwd: repo.home,
    home: repo.home,
    env: { README_REPO: repo.root },
  });
  assert.match(output, /\.mcp\.json/);
  assert.match(await repo.git("log", "-1", "--format=%s"), /Sign MCP configs/);
  assert.equal(await repo.git("status", "--porcelain"), "");

  // The branch reaches the remote through the pre-push hook init installed.
  await sh("git push -q origin HEAD:refs/heads/feature", at);
  const clone = join(repo.home, "clone");
  await sh(`git clone -q --branch feature "$README_REMOTE" clone`, {
    cwd: repo.home,
    home: repo.home,
    env: { README_REMOTE: remote.root },
  });
  const ci = fillPlaceholders(await readmeBlock("other-ci"), []);
  await sh(ci, { cwd: clone, home: repo.home });
  await Deno.writeTextFile(join(clone, ".mcp.json"), EVIL);
  await sh(`git commit -q --no-verify -am "Tamper"`, {
    cwd: clone,
    home: repo.home,
  });
  const failed = await runShell(ci, { cwd: clone, home: repo.home });
  assert.equal(failed.code, 1, describeRun(failed));
  assert.match(failed.stdout, /TAMPERED/);
}

/**
 * The server blocks: a client repository signed with init pushes to a bare
 * repository set up with `install --server`, and to one whose own
 * pre-receive runs every hook in pre-receive.d (as Gitea, Forgejo and
 * GitLab do) with the two-line hook the README writes there. In each, an
 * honest push passes and a tampered commit pushed past the client's hooks
 * is refused, the server's branch unchanged.
 */
async function server(): Promise<void> {
  await using repo = await createTempRepo();
  const at = { cwd: repo.root, home: repo.home };
  await repo.write(".mcp.json", CONFIG);
  await sh(
    `mcp-orchestration init && git add -A && git commit -qm "Sign MCP configs"`,
    at,
  );
  const bare = join(repo.home, "project.git");
  const dispatched = join(repo.home, "repo.git");
  await sh(
    `git init -q --bare "$README_BARE" && git init -q --bare "$README_D"
mkdir "$README_D/hooks/pre-receive.d"
cat >"$README_D/hooks/pre-receive" <<'HOOK'
#!/bin/sh
data=$(cat)
for hook in "$GIT_DIR"/hooks/pre-receive.d/*; do
  [ -x "$hook" ] || continue
  printf '%s\n' "$data" | "$hook" || exit $?
done
HOOK
chmod 755 "$README_D/hooks/pre-receive"`,
    { ...at, env: { README_BARE: bare, README_D: dispatched } },
  );
  const install = fillPlaceholders(await readmeBlock("server-install"), [
    ["/srv/git/project.git", `"$README_BARE"`],
  ]);
  await sh(install, { ...at, env: { README_BARE: bare } });
  const hookD = fillPlaceholders(await readmeBlock("server-hook-d"), [
    [
      "/var/lib/gitea/data/gitea-repositories/owner/repo.git",
      `"$README_D"`,
    ],
  ]);
  await sh(hookD, { ...at, env: { README_D: dispatched } });

  for (const remote of [bare, dispatched]) {
    const env = { README_REMOTE: remote };
    await sh(`git push -q "$README_REMOTE" HEAD:refs/heads/main`, {
      ...at,
      env,
    });
    const before = await repo.git("-C", remote, "rev-parse", "main");
    await repo.write(".mcp.json", EVIL);
    await sh(`git commit -q --no-verify -am "Tamper"`, at);
    const refused = await runShell(
      `git push --no-verify "$README_REMOTE" HEAD:refs/heads/main`,
      { ...at, env },
    );
    assert.equal(refused.code, 1, describeRun(refused));
    assert.match(refused.stderr, /remote: .*TAMPERED/);
    assert.equal(await repo.git("-C", remote, "rev-parse", "main"), before);
    await sh("git reset -q --hard HEAD~1", at);
  }
}

/**
 * The team blocks, in order, on a repository where alice (the home key)
 * signed .mcp.json and trusts bob and carol, all pushed: the policy block
 * commits what `policy init` writes; a 2-of-2 rule for .mcp.json then
 * leaves it pending, and the approve block fails when alice runs it (her
 * approval of her own statement adds nothing, so there is nothing to
 * commit) and lets verify and the push through when bob does; the revoke
 * block, for the key carol signed .cursor/mcp.json with, lists that config
 * to re-sign, and leaves it signed again.
 */
async function team(): Promise<void> {
  await using repo = await createTempRepo();
  await using remote = await createTempRepo({ bare: true });
  const at = { cwd: repo.root, home: repo.home };
  const people = {
    README_REMOTE: remote.root,
    BOB: join(repo.home, "bob"),
    CAROL: join(repo.home, "carol"),
  };
  await repo.write(".mcp.json", CONFIG);
  await sh(
    `mcp-orchestration init --principal alice@example.com
git add -A && git commit -qm "Sign MCP configs"
git remote add origin "$README_REMOTE" && git push -q -u origin main
MCP_ORCHESTRATION_HOME="$BOB" mcp-orchestration keys init
MCP_ORCHESTRATION_HOME="$CAROL" mcp-orchestration keys init
mcp-orchestration trust add "$BOB/keys/signing.pub" --principal bob@example.com
mcp-orchestration trust add "$CAROL/keys/signing.pub" --principal carol@example.com
git add -A && git commit -qm "Trust bob and carol" && git push -q`,
    { ...at, env: people },
  );

  await sh(fillPlaceholders(await readmeBlock("team-policy"), []), at);
  assert.match(await repo.git("log", "-1", "--format=%s"), /Team policy/);
  const policy = JSON.parse(
    new TextDecoder().decode(
      await repo.read(".mcp-orchestration/policy.json"),
    ),
  );
  policy.version = 2;
  policy.groups = {
    trusted: ["alice@example.com", "bob@example.com"],
    leads: ["alice@example.com", "bob@example.com"],
  };
  policy.rules = [
    { pattern: ".mcp.json", groups: ["leads"], threshold: 2 },
    { pattern: "**", groups: ["trusted"], threshold: 1 },
  ];
  await repo.write(
    ".mcp-orchestration/policy.json",
    JSON.stringify(policy, null, 2) + "\n",
  );
  await sh(`git commit -qam "Two signers for .mcp.json"`, at);
  const pending = await runShell("mcp-orchestration verify", at);
  assert.equal(pending.code, 1, describeRun(pending));
  assert.match(pending.stdout, /PENDING_APPROVAL/);

  const approve = fillPlaceholders(await readmeBlock("team-approve"), []);
  const byAlice = await runShell(approve, at);
  assert.notEqual(byAlice.code, 0, describeRun(byAlice));
  const byBob = await sh(approve, {
    ...at,
    env: { MCP_ORCHESTRATION_HOME: people.BOB },
  });
  assert.match(byBob, /approved/);
  await sh("mcp-orchestration verify", at);
  assert.equal(
    await repo.git("rev-parse", "HEAD"),
    await repo.git("rev-parse", "origin/main"),
  );

  await repo.write(".cursor/mcp.json", CONFIG);
  await sh(`git add -A && git commit -qm "Cursor"`, {
    ...at,
    env: { MCP_ORCHESTRATION_HOME: people.CAROL },
  });
  const carol = JSON.parse(
    await sh("mcp-orchestration keys show --json", {
      ...at,
      env: { MCP_ORCHESTRATION_HOME: people.CAROL },
    }).then((out) => out.slice(out.indexOf("{"), out.lastIndexOf("}") + 1)),
  ).keyId as string;
  const revoke = await sh(
    fillPlaceholders(await readmeBlock("team-revoke"), [["SHA256:…", carol]]),
    at,
  );
  assert.match(revoke, /\.cursor\/mcp\.json/);
  assert.match(
    await repo.git("log", "-1", "--format=%s"),
    /Revoke a stolen key/,
  );
  const after = await sh("mcp-orchestration verify --json", at);
  assert.match(after, /"ok": true/);
  assert.ok(await repo.exists(".mcp-orchestration/revoked_keys"));

  // The audit trail of all this: who signed, who approved, what was revoked.
  await sh("git push -q origin main", at);
  const log = await sh(
    fillPlaceholders(await readmeBlock("team-log"), []),
    at,
  );
  assert.match(log, /^signed {3}\.mcp\.json {2}\(sequence 1\)$/m);
  assert.match(log, /^approved \.mcp\.json$/m);
  assert.match(log, /^revoked SHA256:/m);
  assert.match(log, /^policy {3}version 2 \(was 1\)$/m);
  assert.match(log, /laptop stolen/);
  assert.match(log, /"type": "approved"/);
  assert.doesNotMatch(log, /FAILED/);
}

/**
 * The husky lines, as husky 9 runs them: `core.hooksPath=.husky/_`, whose
 * hooks run `.husky/<hook>` with `sh -e` and git's arguments and input. The
 * pre-commit line signs a new config into the commit; the pre-push line
 * lets it through and refuses a tampered commit made with `--no-verify`.
 */
async function husky(): Promise<void> {
  await using repo = await createTempRepo();
  await using remote = await createTempRepo({ bare: true });
  const at = { cwd: repo.root, home: repo.home };
  const husky = join(repo.root, ".husky");
  await Deno.mkdir(join(husky, "_"), { recursive: true });
  for (const hook of ["pre-commit", "pre-push"]) {
    const block = fillPlaceholders(await readmeBlock(`husky-${hook}`), []);
    await Deno.writeTextFile(join(husky, hook), block);
    const stub = join(husky, "_", hook);
    await Deno.writeTextFile(
      stub,
      `#!/bin/sh\nexec sh -e "$(dirname "$0")/../${hook}" "$@"\n`,
    );
    await Deno.chmod(stub, 0o755);
  }
  await sh(
    `git config core.hooksPath .husky/_
git remote add origin "$README_REMOTE"
mcp-orchestration keys init
mcp-orchestration trust add "$MCP_ORCHESTRATION_HOME/keys/signing.pub" --principal test@example.com
mcp-orchestration sign
git add -A && git commit -qm "Trust"`,
    { ...at, env: { README_REMOTE: remote.root } },
  );
  await repo.write(".mcp.json", CONFIG);
  await sh(`git add .mcp.json && git commit -qm "Add a config"`, at);
  const tree = await repo.git("ls-tree", "-r", "--name-only", "HEAD");
  assert.match(tree, /^\.mcp-orchestration\/statements\/[0-9a-f]{64}\.sig$/m);
  await sh("mcp-orchestration verify --rev HEAD", at);
  await sh("git push -q origin main", at);

  await repo.write(".mcp.json", EVIL);
  await sh(`git commit -q --no-verify -am "Tamper"`, at);
  const pushed = await runShell("git push -q origin main", at);
  assert.notEqual(pushed.code, 0, describeRun(pushed));
  assert.match(pushed.stdout + pushed.stderr, /TAMPERED/);
  assert.equal(
    await remote.git("rev-parse", "main"),
    await repo.git("rev-parse", "HEAD~1"),
  );
}

/**
 * Checking a release download, on a release folder signed the way
 * scripts/release.ts signs one (`sign-file`): both blocks pass, and fail
 * once a file or SHA256SUMS is changed.
 */
async function release(): Promise<void> {
  await withTempDir(async (dir) => {
    const home = join(dir, "home");
    const folder = join(dir, "release");
    await Deno.mkdir(home);
    await Deno.mkdir(folder);
    const binary = `mcp-orchestration-${VERSION}-linux-x64`;
    const bundle = `mcp-orchestration-${VERSION}.cjs`;
    await Deno.writeTextFile(join(folder, binary), "#!/bin/sh\necho binary\n");
    await Deno.writeTextFile(join(folder, bundle), "console.log(1);\n");
    const at = { cwd: folder, home };
    await sh(
      `sha256sum "$1" "$2" > SHA256SUMS
mcp-orchestration keys init
mcp-orchestration sign-file SHA256SUMS "$1" "$2"`.replace(
        /"\$(\d)"/g,
        (_, n: string) => `'${n === "1" ? binary : bundle}'`,
      ),
      at,
    );
    const [type, key] = (await Deno.readTextFile(
      join(home, "keys", "signing.pub"),
    )).split(" ");
    const all = fillPlaceholders(await readmeBlock("release-verify"), [
      ["ssh-ed25519 AAAA…", `${type} ${key}`],
    ]);
    const one = fillPlaceholders(await readmeBlock("release-verify-file"), [
      ["FILE", binary],
    ]);
    const output = await sh(all, at);
    assert.match(
      output,
      /Good "mcp-orchestration-release" signature for mcp-orchestration with ED25519 key SHA256:/,
    );
    assert.ok(output.includes(`${binary}: OK`), output);
    await sh(one, at);

    // A changed file fails both; a changed SHA256SUMS fails the first.
    const original = await Deno.readTextFile(join(folder, binary));
    await Deno.writeTextFile(join(folder, binary), original + "evil\n");
    for (const code of [all, one]) {
      const result = await runShell(code, at);
      assert.notEqual(result.code, 0, describeRun(result));
    }
    await Deno.writeTextFile(join(folder, binary), original);
    const sums = await Deno.readTextFile(join(folder, "SHA256SUMS"));
    await Deno.writeTextFile(join(folder, "SHA256SUMS"), sums + sums);
    const result = await runShell(all, at);
    assert.notEqual(result.code, 0, describeRun(result));
    assert.doesNotMatch(result.stdout + result.stderr, /Good "/);
  });
}

/**
 * As an MCP server: the client config, signed by init like any other config,
 * starts the server the way a client would (its command from PATH), whose
 * verify tool then finds that config signed; changed, it fails.
 */
async function mcpClientConfig(): Promise<void> {
  await using repo = await createTempRepo();
  const block = fillPlaceholders(await readmeBlock("mcp-client-config"), []);
  await repo.write(".mcp.json", block);
  const at = { cwd: repo.root, home: repo.home };
  await sh("mcp-orchestration init --principal you@example.com\n", at);
  const entry = JSON.parse(block).mcpServers["mcp-orchestration"];
  const PATH = [join(repo.home, "bin"), gitEnv(repo.home).PATH ?? ""].join(":");
  {
    await using session = await connectMcp({
      ...at,
      command: [entry.command, ...entry.args],
      env: { PATH },
    });
    const { tools } = await session.client.listTools();
    assert.ok(tools.some((tool) => tool.name === "sign"));
    const result = await session.client.callTool({
      name: "verify",
      arguments: { paths: [".mcp.json"] },
    });
    assert.equal(result.isError, false, JSON.stringify(result.content));
  }
  // Another program under the same name: verify fails, through the server too.
  await repo.write(
    ".mcp.json",
    block.replace('"args": ["mcp"]', '"args": ["mcp", "--repo", "/"]'),
  );
  const changed = await runShell("mcp-orchestration verify .mcp.json\n", at);
  assert.equal(changed.code, 1, describeRun(changed));
  assert.match(changed.stdout, /TAMPERED/);
  await using session = await connectMcp({
    ...at,
    command: [entry.command, ...entry.args],
    env: { PATH },
  });
  const result = await session.client.callTool({
    name: "verify",
    arguments: { paths: [".mcp.json"] },
  });
  assert.equal(result.isError, true);
  assert.match(JSON.stringify(result.content), /TAMPERED/);
}

// One test per function: blocks that share a setup run together.
for (const fn of new Set(Object.values(RUN_HERE))) {
  const names = Object.keys(RUN_HERE).filter((name) => RUN_HERE[name] === fn);
  Deno.test({
    name: `README.md, ${names.join(" and ")}: runs as written`,
    ignore: ON_WINDOWS,
    fn,
  });
}
