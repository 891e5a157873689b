/**
 * `diff`: what changed in the MCP configs between two sides (commits,
 * artifact ids, the working tree or the index), server by server and field
 * by field, normalised across client formats (see config_diff.ts).
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import { ToolError } from "../errors.ts";
import {
  commitId,
  comparePaths,
  type Repository,
  toRepoPath,
} from "../git/repository.ts";
import type { ConfigKind } from "../configs/config_kinds.ts";
import { type ConfigDiff, diffConfig } from "../configs/config_diff.ts";
import { GitObjects } from "../source/cat_file.ts";
import { exists } from "../fs/files.ts";
import { resolve } from "node:path";
import {
  commitSide,
  type DiffSide,
  emptySide,
  resolveSide,
  sideConfigs,
  sideKind,
  type SideLabel,
  sideVersion,
} from "./diff_side.ts";

/** What to compare. */
export interface DiffOptions {
  /** The folder relative paths are read from. */
  cwd: string;
  /**
   * The operands: none (HEAD against the working tree, or the index with
   * `staged`), one (it against the working tree or the index) or two.
   */
  operands: readonly string[];
  /** Compare with the index (what the next commit holds), not the working tree. */
  staged?: boolean;
  /** Only these paths (as the user typed them). */
  paths?: readonly string[];
}

/** The configs that differ between two sides. */
export interface DiffReport {
  /** The older side. */
  from: SideLabel;
  /** The newer side. */
  to: SideLabel;
  /** One entry per config that differs, sorted by path. */
  configs: ConfigDiff[];
}

/**
 * Compares the MCP configs of two sides.
 *
 * @param repo The working tree.
 * @param options The operands, `staged`, the paths and the folder they are
 * relative to.
 * @returns What differs.
 * @throws {ToolError} `USAGE` for too many operands, an operand that names
 * neither a commit nor an artifact id, or `staged` with two operands;
 * `BAD_PATH` for an unknown artifact id, or a path that is no config on
 * either side.
 *
 * @example
 * ```ts ignore
 * const report = await diffRepository(repo, { cwd: Deno.cwd(), operands: ["HEAD~1", "HEAD"] });
 * ```
 */
export async function diffRepository(
  repo: Repository,
  options: DiffOptions,
): Promise<DiffReport> {
  const operands = splitRange(options.operands);
  if (operands.length > 2 || (options.staged && operands.length > 1)) {
    throw new ToolError(
      "USAGE",
      options.staged
        ? `"diff --staged" takes at most one revision or artifact id: it compares it with the index`
        : `"diff" takes at most two revisions or artifact ids; put paths after "--"`,
    );
  }
  const objects = GitObjects.open(repo);
  try {
    const newer = operands.length === 2
      ? operands[1]
      : options.staged
      ? ":index"
      : undefined;
    // No operand: HEAD, which before the first commit holds nothing.
    const head = operands.length === 0
      ? await commitId(repo, "HEAD")
      : undefined;
    const from = operands.length > 0
      ? await resolveSide(repo, objects, operands[0])
      : head
      ? await commitSide(objects, "HEAD", head)
      : emptySide("HEAD");
    const to = await resolveSide(repo, objects, newer);
    const paths = await namedPaths(repo, options);
    return {
      from: from.label,
      to: to.label,
      configs: await compareSides(from, to, paths),
    };
  } finally {
    await objects.close();
  }
}

// "A..B" as git reads it: A and B, an empty side being HEAD.
function splitRange(operands: readonly string[]): string[] {
  if (operands.length !== 1) return [...operands];
  const [only] = operands as [string];
  if (only.includes("...")) {
    throw new ToolError(
      "USAGE",
      `"diff" does not take "A...B": give the two sides, "diff A B"`,
    );
  }
  const at = only.indexOf("..");
  if (at < 0 || only.startsWith("-")) return [only];
  return [only.slice(0, at) || "HEAD", only.slice(at + 2) || "HEAD"];
}

async function namedPaths(
  repo: Repository,
  options: DiffOptions,
): Promise<string[] | undefined> {
  if (!options.paths || options.paths.length === 0) return undefined;
  const paths: string[] = [];
  for (const path of options.paths) {
    paths.push(await toRepoPath(repo, options.cwd, path));
  }
  return [...new Set(paths)];
}

async function compareSides(
  from: DiffSide,
  to: DiffSide,
  named: readonly string[] | undefined,
): Promise<ConfigDiff[]> {
  // Two artifacts of different paths: the two versions of one config the
  // user wants compared (in other formats, maybe).
  const one = (side: DiffSide) =>
    side.artifact?.paths.size === 1 ? [...side.artifact.paths][0] : undefined;
  const [a, b] = [one(from), one(to)];
  if (a && b && a[0] !== b[0] && !named) {
    const diff = await diffConfig(
      await sideVersion(from, a[0], a[1]),
      await sideVersion(to, b[0], b[1]),
    );
    return diff ? [diff] : [];
  }
  const targets = await targetsOf(from, to, named);
  const diffs: ConfigDiff[] = [];
  for (const [path, target] of targets) {
    // Two Git trees holding the same blob: nothing to read.
    const oldEntry = from.snapshot?.entries.get(path);
    const newEntry = to.snapshot?.entries.get(path);
    if (
      oldEntry && newEntry && oldEntry.oid === newEntry.oid &&
      oldEntry.mode === newEntry.mode &&
      sameKind(target.before.kind, target.after.kind)
    ) {
      continue;
    }
    const version = async (
      side: DiffSide,
      kind: ConfigKind,
      hidden: string | undefined,
    ) =>
      hidden === undefined
        ? await sideVersion(side, path, kind)
        : { path, kind, error: hidden };
    const diff = await diffConfig(
      await version(from, target.before.kind, target.before.hidden),
      await version(to, target.after.kind, target.after.hidden),
    );
    if (diff) diffs.push(diff);
  }
  return diffs;
}

interface Target {
  kind: ConfigKind;
  hidden?: string;
}

// The configs to compare, each with the kind either side reads it as (its
// own, or the other side's when it is none there).
async function targetsOf(
  from: DiffSide,
  to: DiffSide,
  named: readonly string[] | undefined,
): Promise<Map<string, { before: Target; after: Target }>> {
  const targets = new Map<string, { before: Target; after: Target }>();
  if (named) {
    for (const path of named) {
      const before = await sideKind(from, path);
      const after = await sideKind(to, path);
      const kind = after ?? before;
      if (!kind) {
        throw new ToolError(
          "BAD_PATH",
          `Cannot diff "${path}": it is not a recognised MCP config on either side; see "${TOOL_NAME} sign --help" for the file names`,
        );
      }
      targets.set(path, {
        before: { kind: before ?? kind },
        after: { kind: after ?? kind },
      });
    }
    return targets;
  }
  const [old, now] = await Promise.all([sideConfigs(from), sideConfigs(to)]);
  // An artifact side holds only its paths: only those are compared.
  const artifact = from.artifact || to.artifact
    ? new Set([
      ...(from.artifact?.paths.keys() ?? []),
      ...(to.artifact?.paths.keys() ?? []),
    ])
    : undefined;
  const paths = [...new Set([...old.keys(), ...now.keys()])]
    .filter((path) => !artifact || artifact.has(path))
    .sort(comparePaths);
  for (const path of paths) {
    const before = old.get(path) ?? now.get(path)!;
    const after = now.get(path) ?? old.get(path)!;
    targets.set(path, {
      before: old.has(path) ? before : { kind: before.kind },
      after: now.has(path) ? after : { kind: after.kind },
    });
  }
  return targets;
}

function sameKind(a: ConfigKind, b: ConfigKind): boolean {
  return a.client === b.client && a.format === b.format &&
    a.serversKey === b.serversKey;
}

/**
 * Splits `diff`'s operands written without `--` as `git diff` does: the
 * words before the first one that names a file in the working tree are the
 * sides (revisions or artifact ids), the rest are paths. A word that names
 * both a commit and a file is refused as ambiguous, as git refuses it: `--`
 * then says which.
 *
 * @param repo The repository.
 * @param cwd The folder paths are relative to.
 * @param words The operands, in order.
 * @returns The sides' operands and the paths.
 * @throws {ToolError} `USAGE` for an ambiguous word, or one that names
 * neither a commit, an artifact id nor a file.
 *
 * @example
 * ```ts ignore
 * const { operands, paths } = await splitDiffOperands(repo, cwd, ["HEAD~1", ".mcp.json"]);
 * ```
 */
export async function splitDiffOperands(
  repo: Repository,
  cwd: string,
  words: readonly string[],
): Promise<{ operands: string[]; paths: string[] }> {
  const operands: string[] = [];
  for (const [index, word] of words.entries()) {
    const revision = !word.startsWith("-") && !/[\n\r]/.test(word) &&
      (/^[0-9a-f]{64}$/.test(word) || await commitId(repo, word) !== undefined);
    const file = await exists(resolve(cwd, word));
    if (revision && file) {
      throw new ToolError(
        "USAGE",
        `"${word}" is both a revision and a file: put revisions before "--" and paths after it`,
      );
    }
    // The first file starts the paths. A word that is neither stays a
    // side, whose own error says what it is not (as a path missing from
    // the working tree must follow "--", as in git).
    if (file) return { operands, paths: words.slice(index) };
    operands.push(word);
  }
  return { operands, paths: [] };
}
