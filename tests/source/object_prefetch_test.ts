/**
 * Reading a range's objects ahead (`ObjectPrefetch`, `GitObjects.readAhead`):
 * what comes from the stream is byte for byte what git stores, under the id
 * git reports; what the stream does not hold, or holds too large for the
 * caller, reads as without it; a range git refuses changes nothing; and the
 * store stays bounded while a walk takes from it.
 */

import assert from "node:assert/strict";
import { GitObjects } from "../../src/source/cat_file.ts";
import { ObjectPrefetch } from "../../src/source/object_prefetch.ts";
import { commitSnapshot, readCommit } from "../../src/source/snapshot.ts";
import { createTempRepo, type TempRepo } from "../support/repo.ts";

// A history of `count` commits, each changing one of three files (one in a
// folder whose only file is a copy of another, so that rev-list lists the
// folder without its file) and adding a large blob in the last one.
async function history(repo: TempRepo, count: number): Promise<string[]> {
  const commits: string[] = [];
  for (let i = 0; i < count; i++) {
    await repo.write(`conf/c${i % 3}.json`, `{"v": ${i}}\n`);
    await repo.write(`copy/p${i % 3}/c.json`, `{"v": ${i}}\n`);
    await repo.write(".mcp-orchestration/index", `line ${i}\n`);
    await repo.write(`src/s${i}.txt`, `source ${i}\n`);
    await repo.git("add", "-A");
    await repo.git("commit", "-q", "-m", `c${i}`);
    commits.push((await repo.git("rev-parse", "HEAD")).trim());
  }
  return commits;
}

function repoOf(repo: TempRepo) {
  return { root: repo.root, gitDir: `${repo.root}/.git` };
}

// Every object of a commit's tree, as `git cat-file` gives it.
async function catFile(repo: TempRepo, oid: string): Promise<string> {
  return (await repo.git("cat-file", "-p", oid)).trim();
}

Deno.test("read ahead: every object a walk of the range reads is git's own, and most come from the stream", async () => {
  await using repo = await createTempRepo();
  const commits = await history(repo, 12);
  const ahead = ObjectPrefetch.start(repoOf(repo), [
    `${commits[0]}..${commits.at(-1)}`,
  ], { keep: (path) => path.startsWith(".mcp-orchestration/") });
  const taken: string[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)); // Named by now.
    const list = (await repo.git(
      "rev-list",
      "--objects",
      `${commits[0]}..${commits.at(-1)}`,
    )).trim().split("\n").map((line) => line.split(" "));
    for (const [oid, path] of list) {
      const object = await ahead.take(oid!);
      if (!object) continue;
      taken.push(path ?? "(commit)");
      assert.equal(object.oid, oid);
      assert.equal(
        object.type,
        (await repo.git("cat-file", "-t", oid!)).trim(),
      );
      const bytes = new TextDecoder().decode(object.bytes);
      if (object.type === "blob") {
        assert.equal(bytes.trim(), await catFile(repo, oid!));
      } else {
        assert.equal(
          object.bytes.length,
          Number((await repo.git("cat-file", "-s", oid!)).trim()),
        );
      }
    }
    // Commits, root trees, folders (the copy's, whose file is an old blob,
    // by its name) and the store's blobs; not the sources.
    assert.ok(taken.includes("(commit)"));
    assert.ok(taken.includes("copy/p1"), taken.join(", "));
    assert.ok(taken.includes(".mcp-orchestration/index"));
    assert.ok(!taken.some((path) => path.startsWith("src/")), taken.join());
    // Taken once: the second time, it is not there.
    assert.equal(ahead.take(commits.at(-1)!), undefined);
  } finally {
    await ahead.close();
  }
});

Deno.test("read ahead: GitObjects reads the same snapshots with and without it, and keeps its size limit", async () => {
  await using repo = await createTempRepo();
  const commits = await history(repo, 8);
  const range = [`${commits[0]}..${commits.at(-1)}`];
  const plain = GitObjects.open(repoOf(repo));
  const ahead = GitObjects.open(repoOf(repo));
  ahead.readAhead(range, { keep: () => true });
  try {
    for (const commit of commits.slice(1)) {
      const one = await readCommit(plain, commit);
      const two = await readCommit(ahead, commit);
      assert.deepEqual(two, one);
      const mine = await commitSnapshot(ahead, two);
      const theirs = await commitSnapshot(plain, one);
      assert.deepEqual([...mine.entries], [...theirs.entries]);
      for (const [path] of theirs.entries) {
        assert.deepEqual(
          await mine.read(path, 1 << 20),
          await theirs.read(path, 1 << 20),
        );
      }
    }
    // The size limit holds for an object from the stream as for any other.
    const last = await readCommit(ahead, commits.at(-1)!);
    await assert.rejects(ahead.read(last.tree, 8), /over the limit of 8 bytes/);
  } finally {
    await plain.close();
    await ahead.close();
  }
});

Deno.test("read ahead: a range git refuses reads everything the usual way", async () => {
  await using repo = await createTempRepo();
  const commits = await history(repo, 3);
  const objects = GitObjects.open(repoOf(repo));
  objects.readAhead(["no-such-branch..HEAD"], { keep: () => true });
  try {
    const info = await readCommit(objects, commits[2]!);
    const snapshot = await commitSnapshot(objects, info);
    assert.equal(
      new TextDecoder().decode(
        await snapshot.read(".mcp-orchestration/index", 1024),
      ),
      "line 2\n",
    );
  } finally {
    await objects.close();
  }
});

Deno.test("read ahead: a bound far below the range's size loses nothing taken in order, and a waiter past the bound is answered", async () => {
  await using repo = await createTempRepo();
  const commits = await history(repo, 30);
  const range = [`${commits[0]}..${commits.at(-1)}`];
  const list = (await repo.git(
    "rev-list",
    "--objects",
    "--in-commit-order",
    "--reverse",
    ...range,
  )).trim().split("\n").map((line) => line.split(" ")[0]!);
  const inOrder = ObjectPrefetch.start(repoOf(repo), range, {
    keep: () => true,
    maxBytes: 512,
  });
  try {
    // Once rev-list has named them (an object asked for before that is read
    // the usual way), every one comes, though they are 100 times the bound.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const oid of list) {
      assert.equal((await inOrder.take(oid))?.oid, oid);
    }
  } finally {
    await inOrder.close();
  }
  const lastFirst = ObjectPrefetch.start(repoOf(repo), range, {
    keep: () => true,
    maxBytes: 512,
  });
  try {
    // Give git time to fill the store up to its bound, then ask for the
    // range's last object: the reader must go on past the bound for it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      lastFirst.take(list.at(-1)!),
      new Promise((resolve) => timer = setTimeout(resolve, 10_000, "hung")),
    ]);
    clearTimeout(timer);
    assert.notEqual(late, "hung");
    assert.equal((late as { oid: string } | undefined)?.oid, list.at(-1));
  } finally {
    await lastFirst.close();
  }
});

// The range's objects, commit by commit, in the stream's order.
async function objectsByCommit(
  repo: TempRepo,
  range: string[],
): Promise<string[][]> {
  const lines = (await repo.git(
    "rev-list",
    "--objects",
    "--in-commit-order",
    "--reverse",
    "--topo-order",
    ...range,
  )).trim().split("\n");
  const commits: string[][] = [];
  for (const line of lines) {
    if (!line.includes(" ")) commits.push([]);
    commits.at(-1)!.push(line.split(" ")[0]!);
  }
  return commits;
}

// Takes the objects of each commit after those of the one `ahead` commits
// later, as history does (it walks the next commits' trees while it
// verifies one): how many of the earlier ones the store no longer held.
async function walkAhead(
  repo: TempRepo,
  range: string[],
  options: { ahead: number; behindCommits?: number; maxBytes: number },
): Promise<number> {
  const commits = await objectsByCommit(repo, range);
  const prefetch = ObjectPrefetch.start(repoOf(repo), range, {
    keep: () => true,
    maxBytes: options.maxBytes,
    ...(options.behindCommits === undefined
      ? {}
      : { behindCommits: options.behindCommits }),
  });
  let lost = 0;
  const taken = new Set<string>();
  const take = async (oid: string) => {
    if (taken.has(oid)) return;
    taken.add(oid);
    const object = await prefetch.take(oid);
    if (object) assert.equal(object.oid, oid);
    else lost++;
  };
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)); // Named by now.
    for (let i = 0; i < commits.length; i++) {
      for (const oid of commits[i + options.ahead] ?? []) await take(oid);
      for (const oid of commits[i]!) await take(oid);
    }
  } finally {
    await prefetch.close();
  }
  return lost;
}

Deno.test("read ahead: a walk that takes the next commits' objects first keeps the earlier ones within behindCommits", async () => {
  await using repo = await createTempRepo();
  const commits = await history(repo, 40);
  const range = [`${commits[0]}..${commits.at(-1)}`];
  // The store holds a quarter of the range: git runs ahead until it is full.
  const maxBytes = 8 * 1024;
  // Told how far behind the walk comes back, the store keeps those objects
  // and drops only what lies further behind.
  assert.equal(
    await walkAhead(repo, range, { ahead: 3, behindCommits: 3, maxBytes }),
    0,
  );
  // Not told, it takes them for passed over once a later commit's objects
  // are taken, and drops them while it is full: they would be read again,
  // one round trip each (history read 4,500 of 11,000 objects twice so).
  assert.ok(
    await walkAhead(repo, range, { ahead: 3, maxBytes }) > 0,
  );
});
