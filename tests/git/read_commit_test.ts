/**
 * `readCommit` takes a commit's tree and parents exactly as Git does
 * (commit.c, `parse_commit_buffer`): the object starts with `tree <id>\n`,
 * and its parents are the `parent <id>\n` lines right after it; a `parent`
 * line anywhere later is not a parent. Commit objects with random header
 * arrangements are written with `git hash-object --literally` into real
 * repositories (SHA-1 and SHA-256), and what `readCommit` says is compared
 * with Git's own view (`git log --no-walk --format="%T %P"`), including
 * whether Git refuses the object at all; so is what `commitEdges` says of
 * the raw object, which `readCommit` only gets once Git has accepted it.
 * fast-check prints the seed and the
 * counterexample of a failing run, so `fc.assert(…, { seed, path })`
 * replays it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ToolError } from "../../src/errors.ts";
import { GitObjects } from "../../src/source/cat_file.ts";
import { commitEdges, readCommit } from "../../src/source/snapshot.ts";
import { fc } from "../support/deps.ts";
import { runIsolated } from "../support/process.ts";
import { gitEnv, withTempDir } from "../support/repo.ts";

/** A commit's tree and parents, or "refused" when it cannot be parsed. */
type View = { tree: string; parents: string[] } | "refused";

/** A repository of one hash algorithm, with real objects to point at. */
interface Fixture {
  root: string;
  home: string;
  hexLength: number;
  /** Trees that exist, and one that does not. */
  trees: string[];
  /** Commits that exist, and one that does not. */
  commits: string[];
  objects: GitObjects;
}

const IDENT = "A U Thor <author@example.com> 1700000000 +0000";

async function git(fixture: Fixture, args: string[]): Promise<string> {
  const out = await runIsolated("git", args, {
    cwd: fixture.root,
    env: gitEnv(fixture.home),
  });
  assert.equal(out.code, 0, `git ${args.join(" ")}: ${out.stderr}`);
  return out.stdout.trim();
}

/** Writes commit objects as they are, in one `git hash-object` call. */
async function writeCommits(
  fixture: Fixture,
  bodies: readonly Uint8Array[],
): Promise<string[]> {
  const dir = await Deno.makeTempDir({ dir: fixture.home });
  try {
    const paths = await Promise.all(bodies.map(async (body, at) => {
      const path = join(dir, `${at}`);
      await Deno.writeFile(path, body);
      return path;
    }));
    const out = await git(fixture, [
      "hash-object",
      "-t",
      "commit",
      "-w",
      "--literally",
      "--",
      ...paths,
    ]);
    return out.split("\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Git's own parse: `git log --no-walk` needs no parent object to exist. */
async function gitView(fixture: Fixture, id: string): Promise<View> {
  const out = await runIsolated("git", [
    "--no-replace-objects",
    "log",
    "--no-walk",
    "--format=%T %P",
    id,
  ], { cwd: fixture.root, env: gitEnv(fixture.home) });
  if (out.code !== 0) return "refused";
  const [tree, ...parents] = out.stdout.trim().split(" ");
  return { tree: tree!, parents };
}

/**
 * What `readCommit` says, and what `commitEdges` says of the raw object
 * (`readCommit` never sees what Git refuses: asked for `<id>^{commit}`,
 * `cat-file` parses the commit and reports it missing).
 */
async function ourViews(fixture: Fixture, id: string): Promise<[View, View]> {
  const raw = await fixture.objects.read(id, 1 << 20);
  assert.equal(raw?.type, "commit");
  return [
    await refusedOr(async () => {
      const commit = await readCommit(fixture.objects, id);
      assert.equal(commit.oid, id);
      return { tree: commit.tree, parents: commit.parents };
    }),
    await refusedOr(() => Promise.resolve(commitEdges(raw.bytes, id))),
  ];
}

async function refusedOr(read: () => Promise<View>): Promise<View> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ToolError) return "refused";
    throw error;
  }
}

/**
 * Creates a repository with the given object format, two real trees and
 * two real commits, and runs `fn` with it.
 */
async function withFixture(
  format: "sha1" | "sha256",
  fn: (fixture: Fixture) => Promise<void>,
): Promise<void> {
  await withTempDir(async (base) => {
    const root = join(base, "repo dir");
    const home = join(base, "home dir");
    await Deno.mkdir(home);
    await Deno.writeTextFile(join(home, "gitconfig"), "");
    const init = await runIsolated("git", [
      "init",
      "-q",
      `--object-format=${format}`,
      root,
    ], { env: gitEnv(home) });
    assert.equal(init.code, 0, init.stderr);
    const hexLength = format === "sha1" ? 40 : 64;
    const objects = GitObjects.open({ root, gitDir: join(root, ".git") });
    const fixture: Fixture = {
      root,
      home,
      hexLength,
      trees: [],
      commits: [],
      objects,
    };
    try {
      await Deno.writeTextFile(join(root, "a.txt"), "a\n");
      await git(fixture, ["update-index", "--add", "a.txt"]);
      const full = await git(fixture, ["write-tree"]);
      const empty = await git(fixture, ["mktree"]);
      const first = await git(fixture, ["commit-tree", empty, "-m", "first"]);
      const second = await git(fixture, [
        "commit-tree",
        full,
        "-p",
        first,
        "-m",
        "second",
      ]);
      // Trees and parents from separate pools: `cat-file` keeps what it
      // parsed, and an id it once took as a tree cannot be a commit later
      // in the same process (Git refuses that), which a fresh `git log`
      // would not see.
      fixture.trees.push(empty, full, "e".repeat(hexLength));
      fixture.commits.push(first, second, "c".repeat(hexLength));
      await fn(fixture);
    } finally {
      await objects.close();
    }
  });
}

// --- commit objects ---------------------------------------------------------

/** Ids Git may refuse: wrong length, the other algorithm's length, a bad character. */
function badId(pool: readonly string[]): fc.Arbitrary<string> {
  const other = pool[0]!.length === 40 ? 64 : 40;
  return fc.oneof(
    fc.constantFrom(
      "",
      "HEAD",
      pool[0]!.slice(1),
      `${pool[0]}0`,
      `${pool[0]} `,
      "a".repeat(other),
    ),
    fc.tuple(
      fc.constantFrom(...pool),
      fc.nat(),
      fc.constantFrom("g", "G", " ", "\r", "-", "\u00e9"),
    ).map(([id, at, char]) => {
      const i = at % id.length;
      return id.slice(0, i) + char + id.slice(i + 1);
    }),
  );
}

/** An id from `pool` (as is, or in capitals, which Git also reads), or a bad one. */
function anyId(pool: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...pool) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...pool).map((id) => id.toUpperCase()),
    },
    { weight: 1, arbitrary: badId(pool) },
  );
}

function treeLine(fixture: Fixture): fc.Arbitrary<string> {
  return anyId(fixture.trees).map((id) => `tree ${id}\n`);
}

function parentLine(fixture: Fixture): fc.Arbitrary<string> {
  return fc.tuple(
    fc.oneof(
      { weight: 8, arbitrary: fc.constant("parent ") },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "parent  ",
          "Parent ",
          "parent\t",
          "parents ",
        ),
      },
    ),
    anyId(fixture.commits),
    fc.oneof(
      { weight: 8, arbitrary: fc.constant("\n") },
      { weight: 1, arbitrary: fc.constantFrom("\r\n", " \n") },
    ),
  ).map(([key, id, end]) => key + id + end);
}

/** Any header line, `parent` and `tree` lines most often. */
function headerLine(fixture: Fixture): fc.Arbitrary<string> {
  const commit = fixture.commits[1]!;
  return fc.oneof(
    { weight: 6, arbitrary: parentLine(fixture) },
    { weight: 1, arbitrary: treeLine(fixture) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `author ${IDENT}\n`,
        `committer ${IDENT}\n`,
        "author J\u00f6rg <j@example.com> 1 +0100\n",
        "encoding ISO-8859-1\n",
        `gpgsig -----BEGIN PGP SIGNATURE-----\n parent ${commit}\n \n -----END PGP SIGNATURE-----\n`,
        `mergetag object ${commit}\n type commit\n tag v1\n tagger ${IDENT}\n \n parent ${commit}\n`,
        ` parent ${commit}\n`,
        `x-parent ${commit}\n`,
        "parent\n",
      ),
    },
  );
}

/** A commit object: some header lines, usually a tree first, a message, perhaps cut short. */
function commitObject(fixture: Fixture): fc.Arbitrary<Uint8Array> {
  return fc.record({
    before: fc.oneof(
      { weight: 6, arbitrary: fc.constant([]) },
      {
        weight: 1,
        arbitrary: fc.array(headerLine(fixture), {
          minLength: 1,
          maxLength: 2,
        }),
      },
    ),
    tree: fc.oneof(
      { weight: 9, arbitrary: treeLine(fixture) },
      { weight: 1, arbitrary: fc.constant("") },
    ),
    headers: fc.array(headerLine(fixture), { maxLength: 8 }),
    message: fc.constantFrom(
      "",
      "\n",
      "\nsubject\n",
      "\nno final newline",
      `\nsubject\n\nparent ${fixture.commits[0]}\n`,
      "\nwith a \u0000 byte\n",
    ),
    cut: fc.oneof(
      { weight: 4, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.nat() },
    ),
  }).map(({ before, tree, headers, message, cut }) => {
    const bytes = new TextEncoder().encode(
      before.join("") + tree + headers.join("") + message,
    );
    return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  });
}

// --- tests ------------------------------------------------------------------

for (const format of ["sha1", "sha256"] as const) {
  Deno.test(`readCommit (${format}): the parents Git sees, in the cases that matter`, async () => {
    await withFixture(format, async (fixture) => {
      const [tree, other] = fixture.trees as [string, string];
      const [first, second] = fixture.commits as [string, string];
      const header = `author ${IDENT}\ncommitter ${IDENT}\n`;
      const cases: [string, string, View][] = [
        ["a root", `tree ${tree}\n${header}\nm\n`, { tree, parents: [] }],
        [
          "a merge",
          `tree ${tree}\nparent ${first}\nparent ${second}\n${header}\nm\n`,
          { tree, parents: [first, second] },
        ],
        [
          "a parent line after committer is not a parent",
          `tree ${tree}\n${header}parent ${second}\n\nm\n`,
          { tree, parents: [] },
        ],
        [
          "a parent line after author is not a parent",
          `tree ${tree}\nparent ${first}\nauthor ${IDENT}\nparent ${second}\ncommitter ${IDENT}\n\nm\n`,
          { tree, parents: [first] },
        ],
        [
          "a second tree line is not the tree",
          `tree ${tree}\ntree ${other}\nparent ${first}\n${header}\nm\n`,
          { tree, parents: [] },
        ],
        [
          "ids in capitals are read as ids",
          `tree ${tree.toUpperCase()}\nparent ${first.toUpperCase()}\n${header}\nm\n`,
          { tree, parents: [first] },
        ],
        [
          "a tree line that is not first",
          `${header}tree ${tree}\n\nm\n`,
          "refused",
        ],
        ["no tree", `${header}\nm\n`, "refused"],
        [
          "a tree id of the wrong length",
          `tree ${tree}0\n${header}\nm\n`,
          "refused",
        ],
        [
          "a malformed parent right after the tree",
          `tree ${tree}\nparent ${first.slice(1)}\n${header}\nm\n`,
          "refused",
        ],
        [
          "a malformed parent after committer",
          `tree ${tree}\n${header}parent nonsense\n\nm\n`,
          { tree, parents: [] },
        ],
        ["nothing after the tree line", `tree ${tree}\n`, "refused"],
        [
          "nothing after a parent line",
          `tree ${tree}\nparent ${first}\n`,
          "refused",
        ],
        [
          "a parent line cut before its newline",
          `tree ${tree}\nparent ${first}`,
          { tree, parents: [] },
        ],
      ];
      const ids = await writeCommits(
        fixture,
        cases.map(([, body]) => new TextEncoder().encode(body)),
      );
      for (const [at, [name, , expected]] of cases.entries()) {
        const id = ids[at]!;
        assert.deepEqual(await gitView(fixture, id), expected, `git: ${name}`);
        const [read, parsed] = await ourViews(fixture, id);
        assert.deepEqual(read, expected, `readCommit: ${name}`);
        assert.deepEqual(parsed, expected, `commitEdges: ${name}`);
      }
    });
  });

  Deno.test(`readCommit (${format}): random commit objects read as Git reads them`, async () => {
    await withFixture(format, async (fixture) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(commitObject(fixture), { minLength: 1, maxLength: 24 }),
          async (bodies) => {
            const ids = await writeCommits(fixture, bodies);
            const views = await Promise.all(
              ids.map((id) =>
                Promise.all([gitView(fixture, id), ourViews(fixture, id)])
              ),
            );
            for (const [at, [theirs, [read, parsed]]] of views.entries()) {
              const shown = `commit ${ids[at]}:\n${
                JSON.stringify(new TextDecoder().decode(bodies[at]))
              }`;
              assert.deepEqual(read, theirs, `readCommit, ${shown}`);
              assert.deepEqual(parsed, theirs, `commitEdges, ${shown}`);
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  });
}
