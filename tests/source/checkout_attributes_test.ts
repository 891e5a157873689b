/**
 * Which attributes Git applies to configs, asked of Git itself in the three
 * settings (working tree, index, a commit's tree), and which of them are
 * refused because Git would check out other bytes than the signed blob.
 * Real git in temporary repositories; each case runs in all three settings.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  AttributeCache,
  type AttributeMap,
  diffCheckoutAttributes,
  findAttributeFileLookalikes,
  findCheckoutAttributeProblems,
  readCheckoutAttributes,
} from "../../src/source/checkout_attributes.ts";
import { GitObjects } from "../../src/source/cat_file.ts";
import type { Repository } from "../../src/git/repository.ts";
import { commitSnapshot, readCommit } from "../../src/source/snapshot.ts";
import { createTempRepo, type TempRepo } from "../support/repo.ts";

const ON_WINDOWS = Deno.build.os === "windows";
const CONFIG = '{"mcpServers":{"a":{"command":"$Id$"}}}\n';
const SETTINGS = ["worktree", "index", "tree"] as const;
type Setting = typeof SETTINGS[number];

function repository(repo: TempRepo): Repository {
  return { root: repo.root, gitDir: join(repo.root, ".git") };
}

/** The attributes of `paths` at `rev`'s tree. */
async function treeAttributes(
  repo: TempRepo,
  rev: string,
  paths: string[],
  cache?: AttributeCache,
): Promise<AttributeMap> {
  const objects = GitObjects.open(repository(repo));
  try {
    const snapshot = await commitSnapshot(
      objects,
      await readCommit(objects, rev),
    );
    return await readCheckoutAttributes(repository(repo), {
      paths,
      source: { kind: "tree", entries: snapshot.entries },
      ...(cache ? { cache } : {}),
    });
  } finally {
    await objects.close();
  }
}

async function attributesIn(
  repo: TempRepo,
  setting: Setting,
  paths: string[],
): Promise<AttributeMap> {
  if (setting === "tree") return await treeAttributes(repo, "HEAD", paths);
  return await readCheckoutAttributes(repository(repo), {
    paths,
    source: { kind: setting },
  });
}

/** "path attribute=value" for each problem, for short assertions. */
function problemsOf(attributes: AttributeMap): string[] {
  return findCheckoutAttributeProblems(attributes).map((problem) =>
    `${problem.path} ${problem.attribute}=${problem.value}`
  );
}

/** Stages a symbolic link whose target is `target`, without making it on disk. */
async function stageLink(
  repo: TempRepo,
  path: string,
  target: string,
): Promise<void> {
  await repo.write("link target", target);
  const oid = (await repo.git("hash-object", "-w", "link target")).trim();
  await Deno.remove(join(repo.root, "link target"));
  await repo.git(
    "update-index",
    "--add",
    "--cacheinfo",
    `120000,${oid},${path}`,
  );
}

interface Case {
  name: string;
  /** Files written, staged and committed. */
  files: Record<string, string>;
  /** Symbolic links staged and committed (path → target text). */
  links?: Record<string, string>;
  /** The paths asked about. */
  paths: string[];
  /** The expected problems, "path attribute=value". */
  problems: string[];
  /** Only on a case-sensitive file system. */
  caseSensitive?: boolean;
}

const REFUSED: Case[] = [
  ["ident", ".mcp.json ident", "ident=set"],
  ["a filter", ".mcp.json filter=lfs", "filter=lfs"],
  ["a filter set", ".mcp.json filter", "filter=set"],
  [
    "working-tree-encoding",
    ".mcp.json working-tree-encoding=ISO-8859-1",
    "working-tree-encoding=ISO-8859-1",
  ],
  ["eol=crlf", ".mcp.json eol=crlf", "eol=crlf"],
  ["an eol Git does not know", ".mcp.json eol=cr", "eol=cr"],
  ["a crlf value Git does not know", ".mcp.json crlf=crlf", "crlf=crlf"],
  ["a rule for every file", "* ident", "ident=set"],
  ["a macro", "[attr]evil ident\n.mcp.json evil", "ident=set"],
  [
    "a macro that looks harmless",
    "[attr]json text filter=jq\n*.json json",
    "filter=jq",
  ],
  ["a later line winning", ".mcp.json -ident\n.mcp.json ident", "ident=set"],
].map(([name, rule, problem]) => ({
  name: `${name} ("${rule!.replaceAll("\n", "; ")}")`,
  files: { ".gitattributes": `${rule}\n`, ".mcp.json": CONFIG },
  paths: [".mcp.json"],
  problems: [`.mcp.json ${problem}`],
}));

REFUSED.push(
  {
    name: "a nested .gitattributes",
    files: {
      ".cursor/.gitattributes": "mcp.json ident\n",
      ".cursor/mcp.json": CONFIG,
    },
    paths: [".cursor/mcp.json", ".mcp.json"],
    problems: [".cursor/mcp.json ident=set"],
  },
  {
    name: "a macro from the top-level file used in a nested one",
    files: {
      ".gitattributes": "[attr]evil ident eol=crlf\n",
      "a/.gitattributes": ".mcp.json evil\n",
      "a/.mcp.json": CONFIG,
    },
    paths: ["a/.mcp.json"],
    problems: ["a/.mcp.json eol=crlf", "a/.mcp.json ident=set"],
  },
  {
    name: '"**/.mcp.json filter=x" at any depth',
    files: {
      ".gitattributes": "**/.mcp.json filter=x\n",
      ".mcp.json": CONFIG,
      "deep/er/.mcp.json": CONFIG,
    },
    paths: [".mcp.json", "deep/er/.mcp.json"],
    problems: [".mcp.json filter=x", "deep/er/.mcp.json filter=x"],
  },
  {
    name: "a rule for the store's files",
    files: {
      ".gitattributes": ".mcp-orchestration/** ident\n",
      ".mcp-orchestration/index": "x\n",
      ".mcp.json": CONFIG,
    },
    paths: [".mcp-orchestration/index", ".mcp.json"],
    problems: [".mcp-orchestration/index ident=set"],
  },
  {
    // Git 2.39 reads an index entry of mode 120000 as attributes: its link
    // text. The working tree has no such file, so Git falls back to the
    // index there too (a real link on disk is refused as ELOOP, and Git
    // falls back the same way).
    name: "a symbolic link whose target text is a rule",
    files: { "sub/.mcp.json": CONFIG },
    links: { "sub/.gitattributes": ".mcp.json ident" },
    paths: ["sub/.mcp.json"],
    problems: ["sub/.mcp.json ident=set"],
  },
  {
    name: "a path with spaces, quotes and non-ASCII letters",
    files: {
      'dir "ü" x/.gitattributes': "*.json filter=x\n",
      'dir "ü" x/mcp.json': CONFIG,
    },
    paths: ['dir "ü" x/mcp.json'],
    problems: ['dir "ü" x/mcp.json filter=x'],
  },
);

const ALLOWED: Case[] = [
  // eol=lf and crlf=input only stop the conversion to CRLF; crlf set is
  // the old spelling of text.
  ".mcp.json text eol=lf",
  ".mcp.json eol=lf",
  ".mcp.json crlf=input",
  ".mcp.json crlf",
  ".mcp.json text",
  ".mcp.json -text",
  ".mcp.json text=auto",
  ".mcp.json binary",
  ".mcp.json -ident -filter -eol -crlf -working-tree-encoding",
  ".mcp.json diff=json merge=union linguist-generated",
  "* ident\n.mcp.json -ident",
  "[attr]evil ident\n.mcp.json evil -ident",
  "*.md ident filter=lfs",
].map((rule) => ({
  name: `"${rule.replaceAll("\n", "; ")}"`,
  files: { ".gitattributes": `${rule}\n`, ".mcp.json": CONFIG },
  paths: [".mcp.json"],
  problems: [],
}));

ALLOWED.push(
  {
    name: "a nested -ident overriding the top-level * ident",
    files: {
      ".gitattributes": "* ident\n",
      "sub/.gitattributes": ".mcp.json -ident\n",
      "sub/.mcp.json": CONFIG,
    },
    paths: ["sub/.mcp.json"],
    problems: [],
  },
  {
    // Git ignores (with a warning) a macro defined outside the top level.
    name: "a macro defined in a nested file",
    files: {
      "sub/.gitattributes": "[attr]evil ident\n.mcp.json evil\n",
      "sub/.mcp.json": CONFIG,
    },
    paths: ["sub/.mcp.json"],
    problems: [],
  },
  {
    // The index is searched case for case; findAttributeFileLookalikes
    // is what refuses this name.
    name: "a .GitAttributes, which Git does not read from the index",
    files: { ".GitAttributes": ".mcp.json ident\n", ".mcp.json": CONFIG },
    paths: [".mcp.json"],
    problems: [],
    caseSensitive: true,
  },
  {
    name: "a rule in a folder the path is not in",
    files: {
      "other/.gitattributes": "* ident\n",
      ".mcp.json": CONFIG,
      "other/x": "x\n",
    },
    paths: [".mcp.json"],
    problems: [],
  },
);

for (const item of [...REFUSED, ...ALLOWED]) {
  Deno.test({
    name: `checkout attributes: ${item.name} is ${
      item.problems.length ? "refused" : "allowed"
    } in the working tree, the index and the tree`,
    ignore: (ON_WINDOWS && Object.keys(item.files).some((p) =>
      p.includes('"')
    )) ||
      (item.caseSensitive === true && Deno.build.os !== "linux"),
    async fn() {
      await using repo = await createTempRepo();
      for (const [path, text] of Object.entries(item.files)) {
        await repo.write(path, text);
      }
      await repo.git("add", "-A");
      for (const [path, target] of Object.entries(item.links ?? {})) {
        await stageLink(repo, path, target);
      }
      await repo.git("commit", "-q", "-m", "attributes");
      for (const setting of SETTINGS) {
        const attributes = await attributesIn(repo, setting, item.paths);
        assert.deepEqual(
          [...attributes.keys()].sort(),
          [...item.paths].sort(),
          setting,
        );
        assert.deepEqual(problemsOf(attributes), item.problems, setting);
      }
    },
  });
}

Deno.test("checkout attributes: the message names the path and the attribute, and how to fix it", () => {
  const problems = findCheckoutAttributeProblems(
    new Map([
      [".cursor/mcp.json", new Map([["filter", "lfs"], ["text", "set"]])],
      ["a b/.mcp.json", new Map([["ident", "set"]])],
    ]),
  );
  assert.deepEqual(problems.map((problem) => problem.message), [
    '".gitattributes" makes Git check out ".cursor/mcp.json" with "filter" set to "lfs", so a client would read other bytes than the signed ones; remove that rule, or add the line "/mcp.json -filter" at the end of ".cursor/.gitattributes"',
    '".gitattributes" makes Git check out "a b/.mcp.json" with "ident" set, so a client would read other bytes than the signed ones; remove that rule, or add the line "/.mcp.json -ident" at the end of "a b/.gitattributes"',
  ]);
});

Deno.test("checkout attributes: the suggested line really unsets the attribute", async () => {
  await using repo = await createTempRepo();
  await repo.write(".gitattributes", "[attr]evil ident\n* evil\n");
  await repo.write("sub/.gitattributes", "*.json filter=x\n");
  const paths = [".mcp.json", "sub/mcp.json"];
  const read = () =>
    readCheckoutAttributes(repository(repo), {
      paths,
      source: { kind: "worktree" },
    });
  const problems = findCheckoutAttributeProblems(await read());
  assert.equal(problems.length, 3);
  for (const problem of problems) {
    const [, line, file] = /add the line "(.*)" at the end of "(.*)"$/.exec(
      problem.message,
    )!;
    const path = join(repo.root, file!);
    const text = await Deno.readTextFile(path).catch(() => "");
    await Deno.writeTextFile(path, `${text}${line}\n`);
  }
  assert.deepEqual(problemsOf(await read()), []);
});

Deno.test("checkout attributes: a commit's tree is read, not the working tree or index", async () => {
  await using repo = await createTempRepo();
  await repo.write(".mcp.json", CONFIG);
  await repo.write(".gitattributes", ".mcp.json ident\n");
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "with ident");
  await repo.write(".gitattributes", ".mcp.json text\n");
  await repo.git("commit", "-q", "-am", "without");
  // The working tree now says filter; the index says text (committed).
  await repo.write(".gitattributes", ".mcp.json filter=x\n");
  const paths = [".mcp.json"];
  assert.deepEqual(problemsOf(await treeAttributes(repo, "HEAD~1", paths)), [
    ".mcp.json ident=set",
  ]);
  assert.deepEqual(problemsOf(await treeAttributes(repo, "HEAD", paths)), []);
  assert.deepEqual(problemsOf(await attributesIn(repo, "index", paths)), []);
  assert.deepEqual(problemsOf(await attributesIn(repo, "worktree", paths)), [
    ".mcp.json filter=x",
  ]);
  // The commit's parent and the commit differ as reported.
  assert.deepEqual(
    diffCheckoutAttributes(
      await treeAttributes(repo, "HEAD~1", paths),
      await treeAttributes(repo, "HEAD", paths),
    ),
    [
      {
        path: ".mcp.json",
        attribute: "ident",
        before: "set",
        after: "unspecified",
      },
      {
        path: ".mcp.json",
        attribute: "text",
        before: "unspecified",
        after: "set",
      },
    ],
  );
});

Deno.test("checkout attributes: the index is the one GIT_INDEX_FILE names, as in a hook", async () => {
  await using repo = await createTempRepo();
  await repo.write(".mcp.json", CONFIG);
  await repo.write(".gitattributes", ".mcp.json ident\n");
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "one");
  // A second index, as `git commit -a` or `git commit PATH` gives a hook,
  // in which .gitattributes is staged differently.
  const other = join(repo.root, ".git", "other-index");
  await Deno.copyFile(join(repo.root, ".git", "index"), other);
  await repo.write(".gitattributes", ".mcp.json text\n");
  // Git inherits GIT_INDEX_FILE from the tool's environment, as in a hook.
  Deno.env.set("GIT_INDEX_FILE", other);
  try {
    const add = await new Deno.Command("git", {
      args: ["add", ".gitattributes"],
      cwd: repo.root,
    }).output();
    assert.equal(add.code, 0, new TextDecoder().decode(add.stderr));
    assert.deepEqual(
      problemsOf(await attributesIn(repo, "index", [".mcp.json"])),
      [],
    );
  } finally {
    Deno.env.delete("GIT_INDEX_FILE");
  }
  assert.deepEqual(
    problemsOf(await attributesIn(repo, "index", [".mcp.json"])),
    [".mcp.json ident=set"],
  );
});

Deno.test("checkout attributes: sparse checkout does not hide a folder's .gitattributes", async () => {
  await using repo = await createTempRepo();
  await repo.write("sub/.gitattributes", ".mcp.json ident\n");
  await repo.write("sub/.mcp.json", CONFIG);
  await repo.write("kept/x", "x\n");
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "one");
  // In cone mode Git skips the .gitattributes of folders outside the cone.
  await repo.git("sparse-checkout", "set", "--cone", "kept");
  assert.equal(await repo.exists("sub/.gitattributes"), false);
  for (const setting of SETTINGS) {
    assert.deepEqual(
      problemsOf(await attributesIn(repo, setting, ["sub/.mcp.json"])),
      ["sub/.mcp.json ident=set"],
      setting,
    );
  }
});

Deno.test("checkout attributes: the repository's attributesFile setting is ignored, info/attributes is not", async () => {
  await using repo = await createTempRepo();
  await repo.write(".mcp.json", CONFIG);
  await repo.write("global attributes", ".mcp.json filter=x\n");
  await repo.git(
    "config",
    "core.attributesFile",
    join(repo.root, "global attributes"),
  );
  await repo.git("add", ".mcp.json");
  await repo.git("commit", "-q", "-m", "no .gitattributes");
  for (const setting of SETTINGS) {
    assert.deepEqual(
      problemsOf(await attributesIn(repo, setting, [".mcp.json"])),
      [],
      setting,
    );
  }
  // The clone's own file applies in every setting, also to a tree without
  // any .gitattributes (Git is then started after all).
  await repo.write(".git/info/attributes", ".mcp.json ident\n");
  for (const setting of SETTINGS) {
    assert.deepEqual(
      problemsOf(await attributesIn(repo, setting, [".mcp.json"])),
      [".mcp.json ident=set"],
      setting,
    );
  }
});

Deno.test("checkout attributes: a tree without .gitattributes starts no git", async () => {
  // A repository git cannot run in: any git process would fail.
  const nowhere = {
    root: "/nonexistent/repo",
    gitDir: "/nonexistent/repo/.git",
  };
  const cache = new AttributeCache();
  cache.infoAttributes = Promise.resolve(false);
  const attributes = await readCheckoutAttributes(nowhere, {
    paths: [".mcp.json", ".mcp-orchestration/index"],
    source: {
      kind: "tree",
      entries: new Map([[".mcp.json", {
        mode: "100644",
        oid: "a".repeat(40),
      }]]),
    },
    cache,
  });
  assert.deepEqual(
    [...attributes].map(([path, values]) => [path, values.size]),
    [[".mcp-orchestration/index", 0], [".mcp.json", 0]],
  );
  // With a .gitattributes, git is needed, and its failure is an error.
  await assert.rejects(
    readCheckoutAttributes(nowhere, {
      paths: [".mcp.json"],
      source: {
        kind: "tree",
        entries: new Map([[".gitattributes", {
          mode: "100644",
          oid: "a".repeat(40),
        }]]),
      },
      cache,
    }),
    { code: "IO" },
  );
});

Deno.test("checkout attributes: commits that share their .gitattributes ask git once", async () => {
  await using repo = await createTempRepo();
  await repo.write(".gitattributes", "*.md diff\n");
  for (let i = 0; i < 6; i++) {
    await repo.write(".mcp.json", `{"n":${i}}\n`);
    if (i === 3) await repo.write(".gitattributes", "*.md -diff\n");
    await repo.git("add", "-A");
    await repo.git("commit", "-q", "-m", `c${i}`);
  }
  class CountingCache extends AttributeCache {
    computed = 0;
    override get(
      key: string,
      compute: () => Promise<AttributeMap>,
    ): Promise<AttributeMap> {
      return super.get(key, () => {
        this.computed++;
        return compute();
      });
    }
  }
  const cache = new CountingCache(4);
  for (let i = 0; i < 6; i++) {
    await treeAttributes(repo, `HEAD~${i}`, [".mcp.json"], cache);
  }
  assert.equal(cache.computed, 2);
  // Other paths are another question.
  await treeAttributes(repo, "HEAD", [".mcp.json", "x.json"], cache);
  assert.equal(cache.computed, 3);
  // Bounded: with room for one answer, alternating sets recompute.
  const small = new CountingCache(1);
  for (const rev of ["HEAD", "HEAD~5", "HEAD", "HEAD~5"]) {
    await treeAttributes(repo, rev, [".mcp.json"], small);
  }
  assert.equal(small.computed, 4);
});

Deno.test("checkout attributes: the cache drops the least recently used answer, and never a failure", async () => {
  const cache = new AttributeCache(2);
  const computed: string[] = [];
  const answer = (key: string) =>
    cache.get(key, () => {
      computed.push(key);
      return Promise.resolve(new Map());
    });
  for (const key of ["a", "b", "a", "c", "a", "b"]) await answer(key);
  // "a" was used again before "c" came, so "b" went first.
  assert.deepEqual(computed, ["a", "b", "c", "b"]);
  let attempts = 0;
  const failing = () => {
    attempts++;
    return Promise.reject(new Error("git failed"));
  };
  await assert.rejects(cache.get("x", failing), /git failed/);
  await assert.rejects(cache.get("x", failing), /git failed/);
  assert.equal(attempts, 2);
});

Deno.test("checkout attributes: the temporary index is removed, also when git fails", async () => {
  await using repo = await createTempRepo();
  await repo.write(".gitattributes", ".mcp.json ident\n");
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "one");
  const oid = (await repo.git("rev-parse", "HEAD:.gitattributes")).trim();
  const before = [...Deno.readDirSync(join(repo.root, ".git"))].map((e) =>
    e.name
  ).sort();
  await treeAttributes(repo, "HEAD", [".mcp.json"]);
  // A path Git refuses fails after the index is made.
  await assert.rejects(
    readCheckoutAttributes(repository(repo), {
      paths: [".mcp.json"],
      source: {
        kind: "tree",
        entries: new Map([["a/../.gitattributes", { mode: "100644", oid }]]),
      },
    }),
    {
      code: "IO",
      message:
        'Cannot read the attributes in "a/../.gitattributes": Git refuses that path',
    },
  );
  const after = [...Deno.readDirSync(join(repo.root, ".git"))].map((e) =>
    e.name
  ).sort();
  assert.deepEqual(after, before);
});

Deno.test({
  name:
    "checkout attributes: building the temporary index runs no hook and leaves no shared index",
  ignore: ON_WINDOWS, // The hook is a shell script.
}, async () => {
  await using repo = await createTempRepo();
  await repo.write(".gitattributes", ".mcp.json ident\n");
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "one");
  const marker = join(repo.home, "hook ran");
  await repo.write(
    ".git/hooks/post-index-change",
    `#!/bin/sh\necho ran > "${marker}"\n`,
  );
  await Deno.chmod(join(repo.root, ".git/hooks/post-index-change"), 0o755);
  await repo.git("config", "core.splitIndex", "true");
  // The hook is real: git runs it when it writes an index.
  await repo.git("update-index", "--refresh");
  assert.equal(await Deno.readTextFile(marker), "ran\n");
  await Deno.remove(marker);
  const before = [...Deno.readDirSync(join(repo.root, ".git"))]
    .map((e) => e.name).sort();
  assert.deepEqual(
    problemsOf(await treeAttributes(repo, "HEAD", [".mcp.json"])),
    [".mcp.json ident=set"],
  );
  await assert.rejects(Deno.lstat(marker), Deno.errors.NotFound);
  const after = [...Deno.readDirSync(join(repo.root, ".git"))]
    .map((e) => e.name).sort();
  assert.deepEqual(after, before);
});

Deno.test("checkout attributes: a tree whose .gitattributes blob is missing is an error, not an empty file", async () => {
  await using repo = await createTempRepo();
  await repo.git("commit", "-q", "--allow-empty", "-m", "empty");
  await assert.rejects(
    readCheckoutAttributes(repository(repo), {
      paths: [".mcp.json"],
      source: {
        kind: "tree",
        entries: new Map([[".gitattributes", {
          mode: "100644",
          oid: "1".repeat(40),
        }]]),
      },
    }),
    {
      code: "IO",
      message: /Cannot read "\.gitattributes": object 1{40} is missing/,
    },
  );
});

Deno.test("checkout attributes: a submodule named .gitattributes is not read", async () => {
  await using repo = await createTempRepo();
  await repo.git("commit", "-q", "--allow-empty", "-m", "empty");
  const commit = (await repo.git("rev-parse", "HEAD")).trim();
  const attributes = await readCheckoutAttributes(repository(repo), {
    paths: ["sub/.mcp.json"],
    source: {
      kind: "tree",
      entries: new Map([["sub/.gitattributes", {
        mode: "160000",
        oid: commit,
      }]]),
    },
  });
  assert.equal(attributes.get("sub/.mcp.json")?.size, 0);
});

Deno.test("checkout attributes: an empty path or one with NUL is refused", async () => {
  await using repo = await createTempRepo();
  for (const path of ["", "a\0b"]) {
    await assert.rejects(
      readCheckoutAttributes(repository(repo), {
        paths: [path],
        source: { kind: "worktree" },
      }),
      { code: "BAD_PATH" },
    );
  }
  assert.equal(
    (await readCheckoutAttributes(repository(repo), {
      paths: [],
      source: { kind: "worktree" },
    })).size,
    0,
  );
});

Deno.test("checkout attributes: names a case-insensitive file system would open as .gitattributes", () => {
  assert.deepEqual(
    findAttributeFileLookalikes([
      ".gitattributes",
      "a/.gitattributes",
      ".GitAttributes",
      "b/.GITATTRIBUTES",
      "c/.gitattributes.",
      "d/.gitattributes  ",
      "e/.git\u200cattributes",
      "f/.gitattributeſ",
      "g/.gitattributes.txt",
      "h/gitattributes",
      ".gitattributes/x",
    ]),
    [
      ".GitAttributes",
      "b/.GITATTRIBUTES",
      "c/.gitattributes.",
      "d/.gitattributes  ",
      "e/.git\u200cattributes",
      "f/.gitattributeſ",
    ],
  );
});

Deno.test("checkout attributes: the comparison lists each changed attribute per path", () => {
  const cases: {
    before: [string, [string, string][]][];
    after: [string, [string, string][]][];
    changes: string[];
  }[] = [
    { before: [], after: [], changes: [] },
    {
      before: [[".mcp.json", [["text", "auto"]]]],
      after: [[".mcp.json", [["text", "auto"]]]],
      changes: [],
    },
    {
      before: [[".mcp.json", []]],
      after: [[".mcp.json", [["ident", "set"]]]],
      changes: [".mcp.json ident: unspecified -> set"],
    },
    {
      before: [[".mcp.json", [["filter", "lfs"], ["diff", "unset"]]]],
      after: [[".mcp.json", [["filter", "x"], ["diff", "unset"]]]],
      changes: [".mcp.json filter: lfs -> x"],
    },
    {
      // A path only one side knows compares with no attributes.
      before: [["b.json", [["eol", "crlf"]]]],
      after: [["a.json", [["text", "set"]]]],
      changes: [
        "a.json text: unspecified -> set",
        "b.json eol: crlf -> unspecified",
      ],
    },
    {
      before: [[".mcp.json", [["ident", "set"], ["text", "set"]]]],
      after: [[".mcp.json", [["ident", "unset"], ["text", "set"]]]],
      changes: [".mcp.json ident: set -> unset"],
    },
  ];
  const toMap = (entries: [string, [string, string][]][]): AttributeMap =>
    new Map(entries.map(([path, values]) => [path, new Map(values)]));
  for (const { before, after, changes } of cases) {
    assert.deepEqual(
      diffCheckoutAttributes(toMap(before), toMap(after)).map((change) =>
        `${change.path} ${change.attribute}: ${change.before} -> ${change.after}`
      ),
      changes,
    );
  }
});
