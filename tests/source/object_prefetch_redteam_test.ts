/**
 * Red team (issue 17): a range's read-ahead on hostile input. What it holds
 * stays near its bound even when a walk waits for an object far down the
 * stream; closing it never waits on a stream git cannot write; a range that
 * excludes 60,000 commits (a server's refs) still starts git; a partial clone
 * fetches nothing for it; a SHA-256 repository's ids are kept as they are.
 *
 * Red team 16: a chain of folders with long names (rev-list prints each
 * object's whole path, so a 57 KiB push is 720 MB of lines, each up to
 * 2.4 MB) neither holds such a line nor slows a verification down.
 */

import assert from "node:assert/strict";
import { ObjectPrefetch } from "../../src/source/object_prefetch.ts";
import { dirname, join } from "node:path";
import { createTempRepo, gitEnv, type TempRepo } from "../support/repo.ts";
import {
  listCommits,
  verifyRevisions,
} from "../../src/verify/verify_history.ts";

function repoOf(repo: TempRepo) {
  return { root: repo.root, gitDir: `${repo.root}/.git` };
}

// One commit with `count` files of `size` bytes each (all different).
async function wideCommit(
  repo: TempRepo,
  count: number,
  size: number,
): Promise<string> {
  // No `gc --auto` left running in the background after 6,700 objects.
  await repo.git("config", "gc.auto", "0");
  const filler = "x".repeat(size);
  for (let i = 0; i < count; i++) {
    const text = `${i}\n${filler}`.slice(0, size);
    await Deno.mkdir(`${repo.root}/d${i % 50}`, { recursive: true });
    await Deno.writeTextFile(`${repo.root}/d${i % 50}/f${i}`, text);
  }
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "wide");
  return (await repo.git("rev-parse", "HEAD")).trim();
}

function timeout(ms: number): { promise: Promise<"hung">; clear: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<"hung">((resolve) =>
    timer = setTimeout(resolve, ms, "hung")
  );
  return { promise, clear: () => clearTimeout(timer) };
}

Deno.test("red team 17: a waiter far down a stalled stream does not make the read-ahead hold what it passes over", async () => {
  await using repo = await createTempRepo();
  const commit = await wideCommit(repo, 1500, 60 * 1024);
  const list = (await repo.git("rev-list", "--objects", commit)).trim()
    .split("\n").map((line) => line.split(" ")[0]!);
  const ahead = ObjectPrefetch.start(repoOf(repo), [commit], {
    keep: () => true,
  });
  try {
    // Let git fill the 1 MiB store and every pipe behind it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // The furthest object already asked of git: a walk waits for it.
    let at = list.length - 1;
    let far: Promise<unknown> | undefined;
    for (; at > 0 && !far; at--) far = ahead.take(list[at]!);
    assert.ok(far && at > 100, "git was not asked for enough objects");
    // What the store holds while git's answers stream in for the waiter.
    let held = ahead.heldBytes;
    const sample = setInterval(() => held = Math.max(held, ahead.heldBytes), 1);
    const limit = timeout(20_000);
    const answer = await Promise.race([far, limit.promise]);
    clearInterval(sample);
    limit.clear();
    assert.notEqual(answer, "hung");
    assert.ok(
      held <= 2 * 1024 * 1024,
      `the read-ahead held ${Math.round(held / 1024)} KiB (bound 1024 KiB)`,
    );
  } finally {
    await ahead.close();
  }
});

Deno.test("red team 17: closing a read-ahead whose store is full and whose pipes are full returns", async () => {
  await using repo = await createTempRepo();
  const commit = await wideCommit(repo, 5_000, 8);
  const ahead = ObjectPrefetch.start(repoOf(repo), [commit], {
    keep: () => true,
    maxBytes: 512,
  });
  // Nothing is taken: git fills the store, then every pipe, and waits.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const limit = timeout(20_000);
  assert.notEqual(await Promise.race([ahead.close(), limit.promise]), "hung");
  limit.clear();
});

Deno.test("red team 17: a range naming 60,000 commits it excludes (a server's held refs) is read ahead", async () => {
  await using repo = await createTempRepo();
  const first = await wideCommit(repo, 3, 8);
  await repo.write("late.json", "{}\n");
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "late");
  const last = (await repo.git("rev-parse", "HEAD")).trim();
  const ahead = ObjectPrefetch.start(repoOf(repo), [
    last,
    ...Array.from({ length: 60_000 }, () => `^${first}`),
  ], { keep: () => true });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const commit = await ahead.take(last);
    assert.equal(commit?.type, "commit");
    assert.equal(commit?.oid, last);
    // Only what the range brings: the excluded commit is not read ahead.
    assert.equal(ahead.take(first), undefined);
  } finally {
    await ahead.close();
  }
});

Deno.test("red team 17: in a partial clone the read-ahead fetches nothing (a CI clone without blobs did a fetch per blob of the range)", async () => {
  await using repo = await createTempRepo();
  await repo.git("config", "uploadpack.allowFilter", "true");
  const first = await wideCommit(repo, 3, 8);
  for (let i = 0; i < 5; i++) {
    await repo.write(`src/s${i}.txt`, `source ${i}\n`);
    await repo.write(".mcp.json", `{"v": ${i}}\n`);
    await repo.git("add", "-A");
    await repo.git("commit", "-q", "-m", `c${i}`);
  }
  const last = (await repo.git("rev-parse", "HEAD")).trim();
  const clone = join(dirname(repo.root), "clone");
  await repo.git(
    "clone",
    "-q",
    "--filter=blob:none",
    "--no-checkout",
    `file://${repo.root}`,
    clone,
  );
  const missing = async () =>
    (await repo.git(
      "-C",
      clone,
      "rev-list",
      "--objects",
      "--all",
      "--missing=print",
    ))
      .split("\n").filter((line) => line.startsWith("?")).length;
  const before = await missing();
  assert.ok(before >= 10, `the clone lacks only ${before} blobs`);
  const ahead = ObjectPrefetch.start(
    { root: clone, gitDir: join(clone, ".git") },
    [`${first}..${last}`],
    { keep: () => true },
  );
  try {
    // Trees are there: they are read ahead.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const tree = await ahead.take(
      (await repo.git("rev-parse", `${last}^{tree}`)).trim(),
    );
    assert.equal(tree?.type, "tree");
  } finally {
    await ahead.close();
  }
  assert.equal(await missing(), before, "the read-ahead fetched blobs");
});

Deno.test("red team 17: in a SHA-256 repository objects are read ahead under their 64-digit ids", async () => {
  await using repo = await createTempRepo();
  const root = join(dirname(repo.root), "sha256");
  await repo.git("init", "-q", "--object-format=sha256", root);
  const git = (...args: string[]) => repo.git("-C", root, ...args);
  for (let i = 0; i < 3; i++) {
    await Deno.writeTextFile(join(root, ".mcp.json"), `{"v": ${i}}\n`);
    await git("add", "-A");
    await git("commit", "-q", "-m", `c${i}`);
  }
  const list = (await git("rev-list", "--objects", "--reverse", "HEAD~2..HEAD"))
    .trim().split("\n").map((line) => line.split(" ")[0]!);
  assert.ok(list.length >= 4 && list.every((oid) => oid.length === 64));
  const ahead = ObjectPrefetch.start(
    { root, gitDir: join(root, ".git") },
    ["HEAD~2..HEAD"],
    { keep: () => true },
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const oid of list) {
      const object = await ahead.take(oid);
      assert.equal(object?.oid, oid);
      assert.equal(
        new TextDecoder().decode(object.bytes),
        await git("cat-file", object.type, oid),
      );
    }
  } finally {
    await ahead.close();
  }
});

// A commit whose `.mcp.json` sits at the bottom of `depth` folders with
// names of `nameLength` characters, then `after` commits that change it
// (and the last adds `late.json`): the chain's trees are a few bytes
// each once packed, while rev-list prints each one's whole path.
async function deepChain(
  repo: TempRepo,
  depth: number,
  nameLength: number,
  after: number,
): Promise<void> {
  const parts: string[] = [];
  const data = (text: string) => {
    parts.push(`data ${new TextEncoder().encode(text).length}\n${text}\n`);
  };
  const folders = Array.from(
    { length: depth },
    (_, at) => `${at}`.padEnd(nameLength, "a"),
  ).join("/");
  for (let at = 0; at <= after; at++) {
    parts.push(
      `commit refs/heads/main\ncommitter T <t@example.com> ${
        1_700_000_000 + at
      } +0000\n`,
    );
    data(`c${at}`);
    parts.push("M 100644 inline .mcp.json\n");
    data(`{"v": ${at}}\n`);
    if (at === 0) {
      parts.push(`M 100644 inline ${folders}/.mcp.json\n`);
      data("{}\n");
    }
    if (at === after) {
      parts.push("M 100644 inline late.json\n");
      data("{}\n");
    }
  }
  const child = new Deno.Command("git", {
    args: ["fast-import", "--quiet"],
    cwd: repo.root,
    env: gitEnv(repo.home),
    clearEnv: true,
    stdin: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(parts.join("")));
  await writer.close();
  assert.equal((await child.status).code, 0);
}

Deno.test("red team 16: the read-ahead never parses a rev-list line longer than a path can be", async () => {
  await using repo = await createTempRepo();
  // The deepest path is 800,000 characters.
  await deepChain(repo, 200, 4000, 1);
  let longest = 0;
  let late = false;
  const ahead = ObjectPrefetch.start(repoOf(repo), ["main"], {
    keep: (path) => {
      longest = Math.max(longest, path.length);
      late ||= path === "late.json";
      return true;
    },
  });
  try {
    // What comes before the chain is read ahead as before.
    const first = (await repo.git("rev-list", "--reverse", "main")).split(
      "\n",
    )[0]!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const commit = await ahead.take(first);
    assert.equal(commit?.oid, first);
    for (let waited = 0; waited < 2000 && !late; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(
      longest <= 4096,
      `the read-ahead parsed a path of ${longest} characters`,
    );
  } finally {
    await ahead.close();
  }
});

Deno.test("red team 16: a chain of folders with long names does not make verify --range slower than without its read-ahead", async () => {
  await using repo = await createTempRepo();
  // A 57 KiB push: rev-list prints 720 MB of paths for it.
  await deepChain(repo, 600, 4000, 60);
  const repository = repoOf(repo);
  const revs = await listCommits(repository, ["main"]);
  const time = async (range: string[] | undefined) => {
    const start = performance.now();
    const reports = await verifyRevisions(
      repository,
      revs,
      range ? { range } : {},
    );
    return { ms: performance.now() - start, reports };
  };
  const without = await time(undefined);
  const ahead = await time(["main"]);
  assert.deepEqual(ahead.reports, without.reports);
  assert.ok(
    ahead.ms <= 2 * without.ms + 1000,
    `verify --range took ${Math.round(ahead.ms)} ms, ${
      Math.round(without.ms)
    } ms without its read-ahead`,
  );
});
