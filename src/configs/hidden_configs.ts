/**
 * Configs a client could read that Git does not store here. Git lists a
 * symbolic link or a submodule as one entry, yet a client opening
 * `vendor/lib/.mcp.json` or `.cursor/mcp.json` reads straight through it.
 *
 * Found in one pass over a listing (a commit's tree, the index or the
 * working tree) and the targets of its links, never by walking beneath a
 * link, so the work grows with the number of entries, not with links ×
 * files:
 *
 * - A **submodule**, or a **link** whose target is absolute, leaves the
 *   repository, leads to its root, to a path under which the listing holds
 *   nothing (absent, untracked in a commit, ignored), or to or through
 *   another link or a submodule, is *opaque*. It is reported, as itself,
 *   when some pattern could match a path beneath it.
 * - A link to a listed **file** has nothing beneath it.
 * - A link to a listed **folder** is *see-through*: a client reads through
 *   it what the listing holds beneath the folder. It is reported when a path
 *   seen through it matches a pattern, as that path (`.cursor/mcp.json` for
 *   `.cursor -> cfg` and `cfg/mcp.json`); or, as the link itself, when the
 *   folder holds a link or a submodule through which a pattern could match,
 *   since no link is followed through another.
 *
 * Whether a path seen through a link can match is decided per folder, not
 * per link: one bottom-up pass gives each folder the pattern states from
 * which something beneath it completes a pattern (path_glob.ts,
 * `PatternAutomaton`), and each link then costs a lookup of its own path's
 * states. A link or submodule that is itself a config path is left to the
 * check of that path, which refuses it.
 *
 * @module
 */

import { MAX_TREE_ENTRIES, MAX_TREE_LINKS } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { quote as quoteTarget } from "../format/quote.ts";
import type { TreeEntry } from "../git/repository.ts";
import { canonicalName } from "./path_names.ts";
import {
  configBeneath,
  type ConfigKind,
  findConfigKind,
} from "./config_kinds.ts";
import { PatternAutomaton } from "./path_glob.ts";

/** A config, or a folder of them, that a client reads through a link or a submodule. */
export interface HiddenConfig {
  /**
   * What is reported: the link or submodule itself, or the config path a
   * client reads through a link (`.cursor/mcp.json`).
   */
  path: string;
  /** The link or submodule it is reached through. */
  via: string;
  /**
   * The listed entry beneath the link's target that the report rests on
   * (`cfg/mcp.json` for `.cursor -> cfg`); absent for an opaque entry.
   */
  source?: string;
  /** The kind of config a client would read there. */
  kind: ConfigKind;
  /** Why it cannot be verified, and what to do, for messages. */
  reason: string;
}

/** A listing and the targets of its links. */
export interface TreeListing {
  /** The entries, as a source lists them. */
  entries: readonly TreeEntry[];
  /**
   * Each link's target text, or `null` when it cannot be read (longer than
   * `MAX_LINK_TARGET_BYTES`, or unreadable): such a link is opaque. A link
   * missing here is no longer one on disk (a staged link replaced by a file
   * or folder, whose content Git lists) and is taken as a file.
   */
  links: ReadonlyMap<string, string | null>;
}

/** Options for {@linkcode findHiddenConfigs}. */
export interface HiddenConfigOptions {
  /** What is checked, for the error past a limit: "working tree", "index", a commit id. */
  label: string;
  /** Most entries checked (default {@linkcode MAX_TREE_ENTRIES}). */
  maxEntries?: number;
  /** Most links checked (default {@linkcode MAX_TREE_LINKS}). */
  maxLinks?: number;
}

/**
 * Finds the configs a client could read through the links and submodules of
 * a listing (see the module documentation for exactly which).
 *
 * @param listing The entries and their links' targets.
 * @param kinds The config kinds to recognise.
 * @param options The label for errors, and the limits.
 * @returns One report per link or submodule that hides a config, in listing order.
 * @throws {ToolError} `INVALID_FORMAT` when the listing has more entries or
 * links than the limits: verification stops rather than skip any.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BUILTIN_CONFIG_KINDS } from "./config_kinds.ts";
 * import { findHiddenConfigs } from "./hidden_configs.ts";
 * const [hidden] = findHiddenConfigs({
 *   entries: [{ path: ".cursor", type: "link" }, { path: "cfg/mcp.json", type: "file" }],
 *   links: new Map([[".cursor", "cfg"]]),
 * }, BUILTIN_CONFIG_KINDS, { label: "index" });
 * strictEqual(hidden?.path, ".cursor/mcp.json");
 * strictEqual(hidden?.via, ".cursor");
 * ```
 */
export function findHiddenConfigs(
  listing: TreeListing,
  kinds: readonly ConfigKind[],
  options: HiddenConfigOptions,
): HiddenConfig[] {
  assertTreeLimits(listing.entries, options);
  const hidden: HiddenConfig[] = [];
  const links = listing.entries.filter((entry) =>
    entry.type === "link" && listing.links.has(entry.path)
  );
  // Without links, only submodules can hide anything: no tree to build.
  const tree = links.length > 0 ? new Tree(listing) : undefined;
  const resolved = new Map<string, Resolution>();
  for (const link of links) {
    resolved.set(
      link.path,
      tree!.resolve(link.path, listing.links.get(link.path) ?? null),
    );
  }
  const automaton = new PatternAutomaton(kinds);
  if ([...resolved.values()].some((r) => r.kind === "folder")) {
    tree!.mark(automaton, resolved);
  }
  for (const entry of listing.entries) {
    // A link or submodule at a config path is that config: reading it fails.
    if (entry.type === "file" || findConfigKind(entry.path, kinds)) continue;
    const resolution = resolved.get(entry.path);
    const found = entry.type === "submodule"
      ? submoduleReport(entry.path, kinds)
      : resolution?.kind === "opaque"
      ? opaqueLinkReport(entry.path, resolution.why, kinds)
      : resolution?.kind === "folder"
      ? seeThroughReport(entry.path, resolution, tree!, automaton, kinds)
      : undefined; // A link to a file, or no longer a link.
    if (found) hidden.push(found);
  }
  return hidden;
}

/**
 * Refuses a listing over the limits on entries and links, before any link
 * target is read.
 *
 * @param entries The entries.
 * @param options The label for the error, and the limits.
 * @throws {ToolError} `INVALID_FORMAT` naming the limit.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { assertTreeLimits } from "./hidden_configs.ts";
 * throws(() => assertTreeLimits([{ path: "a", type: "link" }], { label: "index", maxLinks: 0 }));
 * ```
 */
export function assertTreeLimits(
  entries: readonly TreeEntry[],
  options: HiddenConfigOptions,
): void {
  const maxEntries = options.maxEntries ?? MAX_TREE_ENTRIES;
  const maxLinks = options.maxLinks ?? MAX_TREE_LINKS;
  let links = 0;
  for (const entry of entries) if (entry.type === "link") links++;
  const over = entries.length > maxEntries
    ? `${count(entries.length)} entries, over the limit of ${count(maxEntries)}`
    : links > maxLinks
    ? `${count(links)} symbolic links, over the limit of ${count(maxLinks)}`
    : undefined;
  if (over) {
    const what = describe(options.label);
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot check ${what} for configs behind symbolic links and submodules: ` +
        `it has ${over}, so it cannot be verified`,
    );
  }
}

// "the working tree", "the index", "commit 0123…".
function describe(label: string): string {
  return /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(label)
    ? `commit ${label}`
    : `the ${label}`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

// --- Where a link leads ---

/** Where a link leads: a listed file, a listed folder, or somewhere opaque (why, for messages). */
type Resolution =
  | { kind: "file" }
  | { kind: "folder"; node: number; target: string }
  | { kind: "opaque"; why: string };

const FOLDER = 0;
const FILE = 1;
const LINK = 2;
const SUBMODULE = 3;

/** The entry beneath a link's target that a state of the target rests on. */
interface Witness {
  /** Its path. */
  path: string;
  /** True for a link or submodule (anything may be beneath it), false for a file. */
  through: boolean;
}

/**
 * The listing as a tree of nodes, each child found by its parent's number
 * and its name, so that following a link costs one lookup per segment of
 * its target, however long the paths are.
 */
class Tree {
  readonly parent: number[] = [-1];
  readonly name: string[] = [""];
  readonly type: number[] = [FOLDER];
  /** How many segments each node's path has (0 for the root). */
  readonly depth: number[] = [0];
  /**
   * Nodes where a case-insensitive checkout would put entries of different
   * kinds in one place (a file and a folder, a link and a file spelled in
   * another case): which one ends up on disk depends on checkout order.
   */
  readonly collided = new Set<number>();
  /** Each entry's path, by node (undefined for a folder). */
  readonly path: (string | undefined)[] = [""];
  /**
   * Per folder, the pattern states from which some path beneath it can
   * complete a pattern, each with the entry it rests on ({@linkcode mark}).
   */
  readonly states: (Map<number, Witness> | undefined)[] = [];
  readonly #children = new Map<string, number>();
  readonly #links = new Map<string, number>();
  /** Nodes with something beneath them. */
  readonly #parents = new Set<number>();

  constructor(listing: TreeListing) {
    for (const entry of listing.entries) {
      const type = entry.type === "submodule"
        ? SUBMODULE
        : entry.type === "link" && listing.links.has(entry.path)
        ? LINK
        : FILE;
      // Names are folded as a macOS or Windows checkout folds them, so that
      // "CFG/mcp.json" and "cfg/README.md" are one folder here as there.
      const names = entry.path.split("/");
      let at = 0;
      for (const name of names) {
        let next = this.child(at, name);
        if (next === undefined) {
          next = this.parent.length;
          this.parent.push(at);
          this.name.push(name);
          this.type.push(FOLDER);
          this.depth.push(this.depth[at]! + 1);
          this.path.push(undefined);
          this.#children.set(`${at}/${canonicalName(name)}`, next);
          this.#parents.add(at);
        } else if (this.path[next] !== undefined) {
          this.collided.add(next); // An entry, and now a folder as well.
        }
        at = next;
      }
      if (
        this.path[at] !== undefined && this.type[at] !== type ||
        this.path[at] === undefined && this.#parents.has(at)
      ) {
        this.collided.add(at);
      }
      // A working-tree entry can also hold entries (a staged link that is a
      // folder on disk now): its type wins, so nothing is followed through it.
      this.type[at] = type;
      this.path[at] ??= entry.path;
      if (type === LINK) this.#links.set(entry.path, at);
    }
  }

  child(node: number, name: string): number | undefined {
    return this.#children.get(`${node}/${canonicalName(name)}`);
  }

  /**
   * Where the link at `path` leads, followed segment by segment as the
   * system would, but only through listed folders: anything else on the
   * way (a link, a submodule, a file, nothing) makes it opaque.
   */
  resolve(path: string, target: string | null): Resolution {
    if (target === null) return opaque("whose target cannot be read");
    const shown = quoteTarget(target);
    if (target.startsWith("/")) return opaque(`to ${shown}, an absolute path`);
    const segments = target.split("/");
    let at = this.parent[this.#links.get(path)!]!;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment === "" || segment === ".") continue;
      if (segment === "..") {
        if (at === 0) return opaque(`to ${shown}, outside the repository`);
        at = this.parent[at]!;
        continue;
      }
      const next = this.child(at, segment);
      if (next !== undefined && this.collided.has(next)) {
        return opaque(
          `to ${shown}, through "${
            this.path[next] ?? segment
          }", where a case-insensitive checkout puts a file and a folder (or a link) in one place`,
        );
      }
      const type = next === undefined ? undefined : this.type[next];
      if (next === undefined || (type === FILE && i < segments.length - 1)) {
        return opaque(`to ${shown}, under which Git has no file here`);
      }
      if (type === LINK || type === SUBMODULE) {
        const what = type === LINK ? "symbolic link" : "submodule";
        const last = segments.slice(i + 1).every((s) => s === "" || s === ".");
        return opaque(
          last
            ? `to ${shown}, itself a ${what}`
            : `to ${shown}, through the ${what} "${this.path[next]}"`,
        );
      }
      if (type === FILE) return { kind: "file" };
      at = next;
    }
    return at === 0
      ? opaque(`to ${shown}, the repository's root`)
      : { kind: "folder", node: at, target };
  }

  /**
   * Gives every folder the pattern states from which some path beneath it
   * completes a pattern: a file's name ends one, a link or submodule (not
   * followed through a second link) may have anything beneath it. Each
   * entry climbs towards the root only while it adds states a folder did
   * not have, so the pass costs one step per entry and per folder and
   * state, whatever the number of links.
   */
  mark(
    automaton: PatternAutomaton,
    resolved: ReadonlyMap<string, Resolution>,
  ): void {
    const ending = new Map<string, number[]>();
    const through = new Map<string, number[]>();
    for (let node = 1; node < this.type.length; node++) {
      const path = this.path[node];
      if (path === undefined) continue; // A folder.
      const type = this.type[node];
      const file = type === FILE ||
        (type === LINK && resolved.get(path)?.kind === "file");
      const name = this.name[node]!;
      const memo = file ? ending : through;
      let states = memo.get(name);
      if (states === undefined) {
        states = file ? automaton.endingIn(name) : automaton.through(name);
        memo.set(name, states);
      }
      if (states.length > 0) {
        this.#climb(node, states, { path, through: !file }, automaton);
      }
    }
  }

  #climb(
    node: number,
    states: readonly number[],
    witness: Witness,
    automaton: PatternAutomaton,
  ): void {
    let delta = states;
    // The root is never a see-through target: no need to mark it.
    for (let at = this.parent[node]!; at > 0; at = this.parent[at]!) {
      const marks = this.states[at] ??= new Map();
      const fresh = delta.filter((state) => !marks.has(state));
      if (fresh.length === 0) return;
      for (const state of fresh) marks.set(state, witness);
      delta = automaton.before(this.name[at]!, fresh);
      if (delta.length === 0) return;
    }
  }
}

function opaque(why: string): Resolution {
  return { kind: "opaque", why };
}

// --- Reports ---

const REPLACE_LINK =
  "replace the link with a folder of regular files in this repository, or remove it";

function submoduleReport(
  path: string,
  kinds: readonly ConfigKind[],
): HiddenConfig | undefined {
  const example = configBeneath(path, kinds);
  if (!example) return undefined;
  return {
    path,
    via: path,
    kind: example.kind,
    reason:
      `"${path}" is a submodule (a Git repository of its own): Git does not ` +
      "store its files in this repository, so MCP configs a client could read beneath " +
      `it (such as "${example.path}") cannot be verified; remove it, or make its ` +
      "configs regular files of this repository",
  };
}

function opaqueLinkReport(
  path: string,
  why: string,
  kinds: readonly ConfigKind[],
): HiddenConfig | undefined {
  const example = configBeneath(path, kinds);
  if (!example) return undefined;
  return {
    path,
    via: path,
    kind: example.kind,
    reason:
      `"${path}" is a symbolic link ${why}: Git does not store what a client reads beneath it, ` +
      `so MCP configs there (such as "${example.path}") cannot be verified; ${REPLACE_LINK}`,
  };
}

function seeThroughReport(
  path: string,
  resolution: { node: number; target: string },
  tree: Tree,
  automaton: PatternAutomaton,
  kinds: readonly ConfigKind[],
): HiddenConfig | undefined {
  const marks = tree.states[resolution.node];
  if (!marks) return undefined;
  // A state the link's own path leaves a pattern in, which something
  // beneath the target completes: a config a client reads through the link.
  let other: Witness | undefined;
  const to = `a symbolic link to ${quoteTarget(resolution.target)}`;
  // By segments: a witness may spell the target's folders in another case
  // or normalisation, of another length.
  const below = (entry: string) =>
    `${path}/${entry.split("/").slice(tree.depth[resolution.node]).join("/")}`;
  for (const state of automaton.statesAfter(path)) {
    const witness = marks.get(state);
    if (!witness) continue;
    const seen = below(witness.path);
    const kind = witness.through ? undefined : findConfigKind(seen, kinds);
    if (kind) {
      return {
        path: seen,
        via: path,
        source: witness.path,
        kind,
        reason:
          `a client reads "${witness.path}" as "${seen}" through "${path}", ${to}: ` +
          `Git stores the link, not an MCP config at "${seen}", so it cannot be signed or verified; ` +
          REPLACE_LINK,
      };
    }
    other ??= witness;
  }
  if (!other) return undefined;
  // A link or submodule beneath the target, whose content (or target) is
  // not followed: what a client reads through both is not known.
  const seen = below(other.path);
  const kind = findConfigKind(seen, kinds);
  const example = kind
    ? { path: seen, kind }
    : configBeneath(seen, kinds) ?? configBeneath(path, kinds);
  if (!example) return undefined;
  const holds = other.through
    ? "a symbolic link or submodule that is not followed through another link"
    : "named like an MCP config";
  return {
    path,
    via: path,
    source: other.path,
    kind: example.kind,
    reason:
      `"${path}" is ${to}, which holds "${other.path}", ${holds}: MCP configs ` +
      `a client could read through both (such as "${example.path}") cannot be verified; ` +
      REPLACE_LINK,
  };
}
