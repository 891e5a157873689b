/**
 * The Git attributes that apply to configs and to `.mcp-orchestration/`, as
 * Git itself reports them (`git check-attr`), and which of them make Git check
 * out other bytes than the blob it stores. A signature covers the blob; an
 * unsigned `.gitattributes` with `ident`, a `filter`, an `eol` or a
 * `working-tree-encoding` for `.mcp.json` would have every client read other
 * bytes than the signed ones. We never parse `.gitattributes` ourselves: a
 * second parser that disagreed with Git's would be the hole.
 *
 * Attributes are read in one of three settings (an {@linkcode AttributeSource}):
 * the working tree (what `sign` sees: Git reads each folder's
 * `.gitattributes` file, or the index's when the file is missing), the index
 * (what the pre-commit hook commits) and a commit's tree (history
 * verification). Git 2.39 cannot read attributes from a tree (`check-attr
 * --source` came in 2.40, the global `--attr-source` later), so for a tree we build a
 * temporary index holding only that tree's `.gitattributes` entries, in the
 * git folder, and ask `git check-attr --cached` about it.
 *
 * In every setting Git runs without the machine's system attributes
 * (`GIT_ATTR_NOSYSTEM=1`) or the user's global ones (`core.attributesFile`),
 * and with sparse checkout off (in cone mode Git would skip the
 * `.gitattributes` of folders outside the cone), so the hook, `sign` and CI
 * judge a repository by its own files. `$GIT_DIR/info/attributes` still
 * applies: it belongs to the clone doing the check, and Git has no switch to
 * ignore it. Later Git versions also honour `GIT_ATTR_SOURCE` and
 * `attr.tree`, which make Git read another tree's attributes; both come from
 * the checking machine, never from the repository's content.
 *
 * Facts about Git 2.39 the tests pin: `check-attr --cached` reads nested
 * `.gitattributes` from index entries and resolves macros (`[attr]evil ident`
 * in the top-level file; a macro in a nested file is ignored, with a
 * warning); a `.gitattributes` that is a symbolic link in the index is read
 * as its link text (so a link whose target is `.mcp.json ident` sets
 * `ident`, and a clone does check out with it); the index is searched case
 * for case, so a `.GitAttributes` entry is ignored here, although a
 * case-insensitive file system would let a later checkout read it (see
 * {@linkcode findAttributeFileLookalikes}).
 *
 * @module
 */

import { resolve } from "node:path";
import { toHex } from "../crypto/sha.ts";
import { ToolError } from "../errors.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { isErrno } from "../fs/files.ts";
import { canonicalName } from "../configs/path_names.ts";
import { comparePaths, git, type Repository } from "../git/repository.ts";
import type { SnapshotEntry } from "./snapshot.ts";

/** Where Git reads `.gitattributes` from. */
export type AttributeSource =
  /** The working tree's files, falling back to the index for a missing one. */
  | { kind: "worktree" }
  /** The index (`GIT_INDEX_FILE` is honoured, as in a hook). */
  | { kind: "index" }
  /** A commit's tree, given by its entries (such as `Snapshot.entries`). */
  | { kind: "tree"; entries: ReadonlyMap<string, SnapshotEntry> };

/**
 * One path's attributes: name → value as `git check-attr` prints it, `set`,
 * `unset` or the value (`filter=lfs` gives `lfs`). Git prints `ident=set`
 * as `set` too, so a value of `set` or `unset` may be either.
 */
export type PathAttributes = ReadonlyMap<string, string>;

/** Path → its attributes; an empty map when none applies. */
export type AttributeMap = ReadonlyMap<string, PathAttributes>;

/** What {@linkcode readCheckoutAttributes} asks Git. */
export interface AttributeQuery {
  /** Repository-relative, "/"-separated paths. */
  paths: readonly string[];
  /** Where the `.gitattributes` files are read. */
  source: AttributeSource;
  /** Earlier answers for trees; see {@linkcode AttributeCache}. */
  cache?: AttributeCache;
}

/**
 * Answers for trees, so that verifying a range of commits, most of which
 * share their `.gitattributes` blobs, starts Git once per distinct set
 * rather than per commit. Keyed by the tree's `.gitattributes` entries (path,
 * mode, object) and the paths asked about; the least recently used answer
 * goes first. One cache serves one repository.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttributeCache } from "./checkout_attributes.ts";
 * const cache = new AttributeCache(2);
 * let runs = 0;
 * const compute = () => {
 *   runs++;
 *   return Promise.resolve(new Map([[".mcp.json", new Map()]]));
 * };
 * await cache.get("a", compute);
 * await cache.get("a", compute);
 * assert.equal(runs, 1);
 * ```
 */
export class AttributeCache {
  readonly #max: number;
  readonly #answers = new Map<string, Promise<AttributeMap>>();
  /** Whether `$GIT_DIR/info/attributes` exists, once looked up. */
  infoAttributes: Promise<boolean> | undefined;

  /**
   * Creates an empty cache.
   *
   * @param maxEntries How many answers to keep.
   */
  constructor(maxEntries = 32) {
    this.#max = maxEntries;
  }

  /**
   * Returns the answer kept for `key`, or computes and keeps it. A failed
   * computation is not kept.
   *
   * @param key The query's key.
   * @param compute Computes the answer.
   * @returns The answer.
   */
  get(
    key: string,
    compute: () => Promise<AttributeMap>,
  ): Promise<AttributeMap> {
    let answer = this.#answers.get(key);
    if (answer) {
      this.#answers.delete(key); // Re-inserted below as the most recent.
    } else {
      const computing = compute();
      computing.catch(() => {
        if (this.#answers.get(key) === computing) this.#answers.delete(key);
      });
      answer = computing;
    }
    this.#answers.set(key, answer);
    while (this.#answers.size > this.#max) {
      this.#answers.delete(this.#answers.keys().next().value as string);
    }
    return answer;
  }
}

/** An attribute that makes Git check out other bytes than the stored blob. */
export interface AttributeProblem {
  /** The path it applies to. */
  path: string;
  /** The attribute, e.g. `ident`. */
  attribute: string;
  /** Its value as Git reports it, e.g. `set` or `lfs`. */
  value: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/** One attribute whose value differs between two {@linkcode AttributeMap}s. */
export interface AttributeChange {
  /** The path. */
  path: string;
  /** The attribute. */
  attribute: string;
  /** Its value before, `unspecified` when it did not apply. */
  before: string;
  /** Its value after, `unspecified` when it no longer applies. */
  after: string;
}

/**
 * Whether an attribute's value changes the bytes Git checks out: `filter`
 * runs a smudge program, `ident` expands `$Id$`, `working-tree-encoding`
 * re-encodes (each refused unless unset, as in `-ident`), and `eol=crlf`
 * adds a CR before every LF. `eol=lf` (and its old spelling `crlf=input`)
 * only stops that conversion, and `text`, `-text`, `text=auto` and `crlf`
 * (the old `text`) leave it to `core.autocrlf` / `core.eol`, the reader's
 * own configuration rather than the repository's: a whitespace-only
 * difference SECURITY.md already describes. Any other value of `eol` or
 * `crlf`, which Git would read some way of its own, is refused: refusing is
 * the safe side of an ambiguous report.
 */
function changesBytes(attribute: string, value: string): boolean {
  switch (attribute) {
    case "filter":
    case "ident":
    case "working-tree-encoding":
      return value !== "unset";
    case "eol":
      return value !== "unset" && value !== "lf";
    case "crlf":
      return !["unset", "set", "input"].includes(value);
    default:
      return false;
  }
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
// Modes Git reads attributes from; a submodule named .gitattributes is not.
const ATTRIBUTE_FILE_MODES = new Set(["100644", "100755", "120000"]);
const ATTRIBUTE_NAME = /^[-._0-9A-Za-z]+$/;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
// Independent of the machine: no system or global attributes, and sparse
// checkout off so that Git reads every folder's file.
const CHECK_ATTR = [
  "-c",
  "core.attributesFile=/dev/null",
  "-c",
  "core.sparseCheckout=false",
  "check-attr",
];
const ISOLATED_ENV = { GIT_ATTR_NOSYSTEM: "1" };

/**
 * Asks Git which attributes apply to each path, in the working tree, the
 * index or a commit's tree.
 *
 * For a tree, Git is not started at all when the tree has no
 * `.gitattributes` and the clone no `info/attributes`; otherwise the answer
 * is kept in `query.cache`, if given.
 *
 * @param repo The working tree.
 * @param query The paths, where to read attributes, and a cache for trees.
 * @returns Every path asked about, with its attributes as Git reports them.
 * @throws {ToolError} `BAD_PATH` for an empty path or one containing NUL;
 * `IO` when git fails, a tree's `.gitattributes` blob is missing, or git's
 * answer is not the expected shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { findRepository } from "../git/repository.ts";
 * import { runProcess } from "../_runtime/process.ts";
 * import { readCheckoutAttributes } from "./checkout_attributes.ts";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await runProcess("git", ["init", "-q", dir]);
 * await writeFile(join(dir, ".gitattributes"), ".mcp.json ident\n");
 * const repo = await findRepository(dir);
 * const attributes = await readCheckoutAttributes(repo, {
 *   paths: [".mcp.json"],
 *   source: { kind: "worktree" },
 * });
 * assert.equal(attributes.get(".mcp.json")?.get("ident"), "set");
 * await rm(dir, { recursive: true });
 * ```
 */
export async function readCheckoutAttributes(
  repo: Repository,
  query: AttributeQuery,
): Promise<AttributeMap> {
  const paths = [...new Set(query.paths)].sort(comparePaths);
  for (const path of paths) {
    if (path === "" || path.includes("\0")) {
      throw new ToolError(
        "BAD_PATH",
        `Cannot read the attributes of "${
          path.replaceAll("\0", "\\0")
        }": not a repository path`,
      );
    }
  }
  const { source } = query;
  if (paths.length === 0) return new Map();
  if (source.kind !== "tree") {
    return await checkAttr(repo, paths, source.kind === "index", {});
  }
  const files = attributeFiles(source.entries);
  if (files.length === 0) {
    const info = query.cache?.infoAttributes ?? hasInfoAttributes(repo);
    if (query.cache) query.cache.infoAttributes = info;
    if (!await info) return new Map(paths.map((path) => [path, new Map()]));
  }
  const compute = () => treeAttributes(repo, paths, files);
  if (!query.cache) return await compute();
  const key = JSON.stringify([repo.gitDir, files, paths]);
  return await query.cache.get(key, compute);
}

/**
 * Lists the attributes that make Git check out other bytes than the blob it
 * stores (see the module documentation), one problem per path and attribute.
 * Run it on configs and on every file under `.mcp-orchestration/`.
 *
 * @param attributes Attributes by path, from {@linkcode readCheckoutAttributes}.
 * @returns The problems, sorted by path and attribute; empty when none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findCheckoutAttributeProblems } from "./checkout_attributes.ts";
 * const problems = findCheckoutAttributeProblems(
 *   new Map([[".mcp.json", new Map([["ident", "set"], ["text", "auto"]])]]),
 * );
 * assert.deepEqual(problems.map((p) => p.attribute), ["ident"]);
 * assert.equal(
 *   problems[0]?.message,
 *   '".gitattributes" makes Git check out ".mcp.json" with "ident" set, so a client would read other bytes than the signed ones; remove that rule, or add the line "/.mcp.json -ident" at the end of ".gitattributes"',
 * );
 * ```
 */
export function findCheckoutAttributeProblems(
  attributes: AttributeMap,
): AttributeProblem[] {
  const problems: AttributeProblem[] = [];
  for (const path of [...attributes.keys()].sort(comparePaths)) {
    const values = attributes.get(path)!;
    for (const attribute of [...values.keys()].sort(comparePaths)) {
      const value = values.get(attribute)!;
      if (!changesBytes(attribute, value)) continue;
      problems.push({
        path,
        attribute,
        value,
        message: problemMessage(path, attribute, value),
      });
    }
  }
  return problems;
}

/**
 * Lists the attributes whose values differ between two answers, such as a
 * commit's and its parent's, so that a `.gitattributes` change that touches
 * a config is reported even when it is allowed.
 *
 * @param before The earlier attributes by path.
 * @param after The later attributes by path.
 * @returns The changes, sorted by path and attribute; empty when none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffCheckoutAttributes } from "./checkout_attributes.ts";
 * const changes = diffCheckoutAttributes(
 *   new Map([[".mcp.json", new Map([["text", "auto"]])]]),
 *   new Map([[".mcp.json", new Map([["text", "set"], ["diff", "unset"]])]]),
 * );
 * assert.deepEqual(changes, [
 *   { path: ".mcp.json", attribute: "diff", before: "unspecified", after: "unset" },
 *   { path: ".mcp.json", attribute: "text", before: "auto", after: "set" },
 * ]);
 * ```
 */
export function diffCheckoutAttributes(
  before: AttributeMap,
  after: AttributeMap,
): AttributeChange[] {
  const changes: AttributeChange[] = [];
  const paths = new Set([...before.keys(), ...after.keys()]);
  for (const path of [...paths].sort(comparePaths)) {
    const was = before.get(path) ?? new Map<string, string>();
    const now = after.get(path) ?? new Map<string, string>();
    const names = new Set([...was.keys(), ...now.keys()]);
    for (const attribute of [...names].sort(comparePaths)) {
      const from = was.get(attribute) ?? "unspecified";
      const to = now.get(attribute) ?? "unspecified";
      if (from !== to) {
        changes.push({ path, attribute, before: from, after: to });
      }
    }
  }
  return changes;
}

/**
 * Lists the entries whose name is not `.gitattributes` but that a
 * case-insensitive file system (macOS, Windows) or HFS+ (which ignores some
 * invisible characters) would open as `.gitattributes`. Git looks
 * `.gitattributes` up in the index case for case, so
 * {@linkcode readCheckoutAttributes} cannot see them; yet once such a file is
 * in a working tree, Git reads it there for any later checkout (a pull that
 * changes a config). Refuse them wherever attributes are checked.
 *
 * @param paths Repository-relative paths of a tree or the index.
 * @returns The lookalikes, sorted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findAttributeFileLookalikes } from "./checkout_attributes.ts";
 * assert.deepEqual(
 *   findAttributeFileLookalikes([".gitattributes", "a/.GitAttributes", "b.txt"]),
 *   ["a/.GitAttributes"],
 * );
 * ```
 */
export function findAttributeFileLookalikes(paths: Iterable<string>): string[] {
  const found: string[] = [];
  for (const path of paths) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (name === ".gitattributes") continue;
    if (canonicalName(name) === ".gitattributes") found.push(path);
  }
  return found.sort(comparePaths);
}

// "<mode> <oid>\t<path>" of each .gitattributes Git would read, sorted.
function attributeFiles(
  entries: ReadonlyMap<string, SnapshotEntry>,
): string[] {
  const files: string[] = [];
  for (const [path, entry] of entries) {
    if (path !== ".gitattributes" && !path.endsWith("/.gitattributes")) {
      continue;
    }
    if (!ATTRIBUTE_FILE_MODES.has(entry.mode)) continue;
    if (!OBJECT_ID.test(entry.oid) || path.includes("\0")) {
      throw new ToolError(
        "IO",
        `Cannot read "${path}": object "${entry.oid}" is not an object id`,
      );
    }
    files.push(`${entry.mode} ${entry.oid}\t${path}`);
  }
  return files.sort(comparePaths);
}

/**
 * Whether the clone has `$GIT_DIR/info/attributes`, which applies to every
 * path besides the repository's own `.gitattributes` files.
 *
 * @param repo The repository.
 * @returns True when the file exists (or cannot be looked at).
 * @throws {ToolError} `IO` when Git fails.
 *
 * @example
 * ```ts ignore
 * if (await hasInfoAttributes(repo)) ask();
 * ```
 */
export async function hasInfoAttributes(repo: Repository): Promise<boolean> {
  // Usually found together with the repository: no git process then.
  const known = repo.gitPaths?.["info/attributes"];
  const path = known ?? resolve(
    repo.root,
    new TextDecoder().decode(
      await git(repo, ["rev-parse", "--git-path", "info/attributes"]),
    ).trimEnd(),
  );
  try {
    await fs.stat(path);
    return true;
  } catch (error) {
    // Anything but "not there": let Git read (or fail on) it.
    return !(isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR"));
  }
}

async function treeAttributes(
  repo: Repository,
  paths: readonly string[],
  files: readonly string[],
): Promise<AttributeMap> {
  if (files.length > 0) await assertBlobsPresent(repo, files);
  // A fresh name in the git folder: the tool may not read TMPDIR, and the
  // git folder is as private as the repository. Git writes "<name>.lock"
  // beside it while it builds the index.
  const index = resolve(
    repo.gitDir,
    `mcp-orchestration-attributes-${
      toHex(crypto.getRandomValues(new Uint8Array(16)))
    }.index`,
  );
  const env = { GIT_INDEX_FILE: index };
  try {
    if (files.length > 0) {
      // A split index would leave a shared index file in the git folder,
      // and writing an index runs the repository's post-index-change hook.
      await git(repo, [
        "-c",
        "core.splitIndex=false",
        "-c",
        "core.hooksPath=/dev/null",
        "update-index",
        "-z",
        "--index-info",
      ], {
        stdin: encoder.encode(files.map((line) => `${line}\0`).join("")),
        env,
      });
      await assertIndexHolds(repo, files, env);
    }
    // Without entries the index file is never made: Git reads a missing
    // index as an empty one, and info/attributes still applies.
    return await checkAttr(repo, paths, true, env);
  } finally {
    await fs.rm(index, { force: true });
    await fs.rm(`${index}.lock`, { force: true });
  }
}

// Git reads a missing .gitattributes blob as an empty file, silently: a
// clone that lacks it must fail here, not pass with no attributes.
async function assertBlobsPresent(
  repo: Repository,
  files: readonly string[],
): Promise<void> {
  const oids = files.map((line) => line.slice(7, line.indexOf("\t")));
  const out = await git(repo, [
    "cat-file",
    "--batch-check=%(objectname) %(objecttype)",
  ], { stdin: encoder.encode(oids.map((oid) => `${oid}\n`).join("")) });
  const lines = new TextDecoder().decode(out).split("\n");
  oids.forEach((oid, i) => {
    if (lines[i] !== `${oid} blob`) {
      const path = files[i]!.slice(files[i]!.indexOf("\t") + 1);
      throw new ToolError(
        "IO",
        `Cannot read "${path}": object ${oid} is missing or not a blob`,
      );
    }
  });
}

// update-index skips a path Git refuses ("Ignoring path …") and still
// exits 0: the index must hold exactly the entries given.
async function assertIndexHolds(
  repo: Repository,
  files: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<void> {
  const out = await git(repo, ["ls-files", "-z", "-s"], { env });
  const held = new TextDecoder().decode(out).split("\0").filter((line) =>
    line !== ""
  ).map((line) => line.replace(/^(\d{6} [0-9a-f]+) 0\t/, "$1\t"));
  const missing = files.filter((line) => !held.includes(line));
  if (missing.length > 0 || held.length !== files.length) {
    const line = missing[0] ?? files[0] ?? "";
    throw new ToolError(
      "IO",
      `Cannot read the attributes in "${
        line.slice(line.indexOf("\t") + 1)
      }": Git refuses that path`,
    );
  }
}

async function checkAttr(
  repo: Repository,
  paths: readonly string[],
  cached: boolean,
  env: Readonly<Record<string, string>>,
): Promise<AttributeMap> {
  // Git matches attribute patterns without case when core.ignorecase is
  // set, as it is in every clone on macOS and Windows: ".MCP.JSON ident"
  // applies to ".mcp.json" there and not on Linux, and a "-ident" spelled in
  // another case unsets it there only. So Git is asked both ways, whatever
  // this clone says, and an attribute counts where either answer has it.
  const [exact, folded] = await Promise.all(
    ["false", "true"].map(async (ignorecase) =>
      parseCheckAttr(
        await git(
          repo,
          [
            "-c",
            `core.ignorecase=${ignorecase}`,
            ...CHECK_ATTR,
            ...(cached ? ["--cached"] : []),
            "--stdin",
            "-z",
            "-a",
          ],
          {
            stdin: encoder.encode(paths.map((path) => `${path}\0`).join("")),
            env: { ...ISOLATED_ENV, ...env },
          },
        ),
        paths,
      )
    ),
  );
  return mergeAnswers(exact!, folded!);
}

// One answer from two: where they differ, the value that changes
// checked-out bytes wins (so it is refused), else the case-sensitive one.
function mergeAnswers(exact: AttributeMap, folded: AttributeMap): AttributeMap {
  const merged = new Map<string, Map<string, string>>();
  for (const [path, attributes] of exact) {
    const other = folded.get(path) ?? new Map<string, string>();
    const values = new Map(attributes);
    for (const [attribute, value] of other) {
      const mine = values.get(attribute);
      if (
        mine === undefined ||
        (mine !== value && changesBytes(attribute, value))
      ) {
        values.set(attribute, value);
      }
    }
    merged.set(path, values);
  }
  return merged;
}

// "<path>\0<attribute>\0<value>\0", repeated; only paths we asked about,
// each attribute once per path.
function parseCheckAttr(
  out: Uint8Array,
  paths: readonly string[],
): AttributeMap {
  const result = new Map<string, Map<string, string>>(
    paths.map((path) => [path, new Map()]),
  );
  const bad = (detail: string) =>
    new ToolError(
      "IO",
      `Cannot read the output of "git check-attr": ${detail}`,
    );
  let text: string;
  try {
    text = STRICT_UTF8.decode(out);
  } catch {
    throw bad("it is not UTF-8");
  }
  if (text === "") return result;
  if (!text.endsWith("\0")) throw bad("it does not end with NUL");
  const fields = text.slice(0, -1).split("\0");
  if (fields.length % 3 !== 0) throw bad("its fields do not come in threes");
  for (let i = 0; i < fields.length; i += 3) {
    const [path, attribute, value] = fields.slice(i, i + 3) as [
      string,
      string,
      string,
    ];
    const attributes = result.get(path);
    if (!attributes) throw bad(`it names "${path}", which was not asked about`);
    if (!ATTRIBUTE_NAME.test(attribute) || attribute.startsWith("-")) {
      throw bad(`it names an attribute "${attribute}"`);
    }
    if (attributes.has(attribute)) {
      throw bad(`it lists "${attribute}" twice for "${path}"`);
    }
    if (value !== "unspecified") attributes.set(attribute, value);
  }
  return result;
}

function problemMessage(
  path: string,
  attribute: string,
  value: string,
): string {
  const slash = path.lastIndexOf("/");
  const name = path.slice(slash + 1);
  const folder = slash < 0 ? "" : `${path.slice(0, slash)}/`;
  const setting = value === "set"
    ? `"${attribute}" set`
    : `"${attribute}" set to "${value}"`;
  // A rule in the file's own folder, last in that file, overrides every
  // other .gitattributes; a name with glob or space characters would need
  // quoting, so it gets the general advice.
  const fix = /^[-._0-9A-Za-z]+$/.test(name)
    ? `add the line "/${name} -${attribute}" at the end of "${folder}.gitattributes"`
    : `unset "${attribute}" for it at the end of "${folder}.gitattributes"`;
  return `".gitattributes" makes Git check out "${path}" with ${setting}, so a client would read other bytes than the signed ones; remove that rule, or ${fix}`;
}

/** Where and how a source's attributes are asked for. */
export interface AttributeCheck {
  /** The repository Git runs in. */
  repo: Repository;
  /** Which `.gitattributes` files apply. */
  source: AttributeSource;
  /** Answers kept across commits (history verification). */
  cache?: AttributeCache;
}
