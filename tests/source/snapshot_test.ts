/**
 * Git objects read through one `cat-file --batch` session: blobs of any size
 * come back byte for byte, and trees that git fsck would refuse (duplicate
 * names, names that walk out of their folder, invalid UTF-8) are refused
 * here too, so that two byte-different trees never read as one.
 */

import assert from "node:assert/strict";
import { GitObjects } from "../../src/source/cat_file.ts";
import { commitSnapshot, readCommit } from "../../src/source/snapshot.ts";
import { createTempRepo } from "../support/repo.ts";
import { writeStdin } from "../support/process.ts";

async function gitWithInput(
  cwd: string,
  args: string[],
  input: Uint8Array,
): Promise<string> {
  const child = new Deno.Command("git", {
    args,
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await writeStdin(child, input);
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

/** A raw tree object: entries of "<mode> <name>\0<20-byte id>". */
function rawTree(entries: [string, Uint8Array, string][]): Uint8Array {
  const parts: number[] = [];
  for (const [mode, name, id] of entries) {
    parts.push(
      ...new TextEncoder().encode(`${mode} `),
      ...name,
      0,
      ...hexToBytes(id),
    );
  }
  return Uint8Array.from(parts);
}

Deno.test("cat-file: a multi-megabyte blob reads back byte for byte, and the next object after it too", async () => {
  await using repo = await createTempRepo();
  const big = crypto.getRandomValues(new Uint8Array(65536)).map((b) => b);
  const blob = new Uint8Array(5 * 1024 * 1024);
  for (let at = 0; at < blob.length; at += big.length) {
    blob.set(big.subarray(0, Math.min(big.length, blob.length - at)), at);
  }
  const bigId = await gitWithInput(
    repo.root,
    ["hash-object", "-w", "--stdin"],
    blob,
  );
  const smallId = await gitWithInput(repo.root, [
    "hash-object",
    "-w",
    "--stdin",
  ], new TextEncoder().encode("after\n"));
  const objects = GitObjects.open({
    root: repo.root,
    gitDir: `${repo.root}/.git`,
  });
  try {
    const read = await objects.read(bigId, blob.length);
    assert.equal(read?.bytes.length, blob.length);
    assert.ok(read!.bytes.every((b, i) => b === blob[i]));
    await assert.rejects(objects.read(bigId, 1024), /over the limit/);
    assert.equal(
      new TextDecoder().decode((await objects.read(smallId, 100))!.bytes),
      "after\n",
    );
    assert.equal(await objects.read("0".repeat(40), 10), undefined);
  } finally {
    await objects.close();
  }
});

Deno.test("trees git fsck would refuse are refused", async (t) => {
  await using repo = await createTempRepo();
  const blob = await gitWithInput(
    repo.root,
    ["hash-object", "-w", "--stdin"],
    new TextEncoder().encode("{}\n"),
  );
  const enc = (text: string) => new TextEncoder().encode(text);
  const cases: [string, [string, Uint8Array, string][], RegExp][] = [
    ["a name listed twice", [["100644", enc(".mcp.json"), blob], [
      "100644",
      enc(".mcp.json"),
      blob,
    ]], /twice/],
    [
      "a name with a slash",
      [["100644", enc("a/.mcp.json"), blob]],
      /forbidden/,
    ],
    ["a dot-dot name", [["100644", enc(".."), blob]], /forbidden/],
    ["a .git entry", [["100644", enc(".GIT"), blob]], /forbidden/],
    [
      "a name that is not UTF-8",
      [["100644", Uint8Array.of(0xff, 0x2e), blob]],
      /UTF-8/,
    ],
    ["an unknown mode", [["100600", enc("x"), blob]], /mode/],
    ["a zero-padded mode", [["0100644", enc("x"), blob]], /mode "0100644"/],
    // Named in the message as a decoder reads it, not byte for byte.
    [
      "a mode that is not digits",
      [["10064\u00e9", enc("x"), blob]],
      /mode "10064\u00e9"/,
    ],
    [
      "a long mode",
      [["1006441006441", enc("x"), blob]],
      /mode "1006441006441"/,
    ],
  ];
  const objects = GitObjects.open({
    root: repo.root,
    gitDir: `${repo.root}/.git`,
  });
  try {
    // The control: a well-formed tree reads.
    const good = await gitWithInput(repo.root, [
      "hash-object",
      "-w",
      "-t",
      "tree",
      "--literally",
      "--stdin",
    ], rawTree([["100644", enc(".mcp.json"), blob]]));
    const goodCommit = await gitWithInput(repo.root, [
      "commit-tree",
      good,
      "-m",
      "good",
    ], new Uint8Array());
    const snapshot = await commitSnapshot(
      objects,
      await readCommit(objects, goodCommit),
    );
    assert.deepEqual([...snapshot.entries.keys()], [".mcp.json"]);
    for (const [name, entries, error] of cases) {
      await t.step(name, async () => {
        const tree = await gitWithInput(repo.root, [
          "hash-object",
          "-w",
          "-t",
          "tree",
          "--literally",
          "--stdin",
        ], rawTree(entries));
        const commit = await gitWithInput(repo.root, [
          "commit-tree",
          tree,
          "-m",
          name,
        ], new Uint8Array());
        await assert.rejects(
          commitSnapshot(objects, await readCommit(objects, commit)),
          error,
        );
      });
    }
  } finally {
    await objects.close();
  }
});

Deno.test("a commit's snapshot lists exactly what git ls-tree -r lists: modes, ids, long, non-ASCII and nested names", async () => {
  await using repo = await createTempRepo();
  const long = `${"n".repeat(200)}.json`; // Past the short-name path.
  const files: Record<string, string> = {
    ".mcp.json": "{}\n",
    [long]: "{}\n",
    "caf\u00e9/\u00fcber.json": "{}\n",
    "a/b/c/d.json": "{}\n",
    "bin/run.sh": "#!/bin/sh\n",
  };
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${repo.root}/${path}`.replace(/\/[^/]*$/, ""), {
      recursive: true,
    });
    await Deno.writeTextFile(`${repo.root}/${path}`, text);
  }
  await Deno.chmod(`${repo.root}/bin/run.sh`, 0o755);
  await Deno.symlink(".mcp.json", `${repo.root}/link.json`);
  await repo.git("add", "-A");
  await repo.git("commit", "-q", "-m", "files");
  const listed = new Map<string, { mode: string; oid: string }>();
  const out = await repo.git("ls-tree", "-r", "-z", "--full-tree", "HEAD");
  for (const line of out.split("\0").filter((l) => l !== "")) {
    const [meta, path] = line.split("\t") as [string, string];
    const [mode, , oid] = meta.split(" ") as [string, string, string];
    listed.set(path, { mode, oid });
  }
  assert.equal(listed.size, 6);
  assert.equal(listed.get("bin/run.sh")?.mode, "100755");
  assert.equal(listed.get("link.json")?.mode, "120000");
  const objects = GitObjects.open({
    root: repo.root,
    gitDir: `${repo.root}/.git`,
  });
  try {
    const snapshot = await commitSnapshot(
      objects,
      await readCommit(objects, "HEAD"),
    );
    assert.deepEqual(
      [...snapshot.entries].sort(([a], [b]) => a < b ? -1 : 1),
      [...listed].sort(([a], [b]) => a < b ? -1 : 1),
    );
  } finally {
    await objects.close();
  }
});
