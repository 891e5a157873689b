/**
 * Signs MCP configs in a working tree: validate every file, build and sign a
 * statement for each changed one, verify each signature we made, and only
 * then write artifacts, statements and the index, under the repository lock
 * (the steps are in `sign_source.ts`). Any failure before the index is
 * written leaves the store as it was. The pre-commit hook's path is
 * `sign_staged.ts`.
 *
 * @module
 */

import { GitObjects } from "../source/cat_file.ts";
import { type Repository, toRepoPath } from "../git/repository.ts";
import type { SigningKey } from "../keys/key_store.ts";
import { workingTreeSource } from "../source/config_source.ts";
import { fileSystem } from "../_runtime/file_system.ts";
import { ParentVersions } from "./parent_versions.ts";
import { askGitPaths, type SignReport, signSource } from "./sign_source.ts";

/** Options for {@linkcode signConfigs}. */
export interface SignOptions {
  /** The key to sign with. */
  key: SigningKey;
  /** Folder that relative `paths` start from. */
  cwd: string;
  /** Configs to sign; default: every recognised config in the working tree. */
  paths?: readonly string[];
  /** Signing time (default: now), truncated to whole seconds. */
  now?: Date;
  /** Also sign anew what a retired key signed (`sign --resign`). */
  resign?: boolean;
  /** Sign with a key the list retires (only `keys rotate`'s own list). */
  retiring?: boolean;
}

/**
 * Signs the named configs, or every recognised config in the working tree.
 *
 * @param repo The working tree.
 * @param options Key, paths, working folder and time.
 * @returns What was signed or left alone.
 * @throws {ToolError} `INVALID_CONFIG` (file, line, reason) for a config that
 * does not validate, `BAD_PATH`, `LOCKED`, `INVALID_FORMAT` for a damaged
 * store; nothing is written then.
 *
 * @example
 * ```ts ignore
 * const report = await signConfigs(repo, { key: await loadSigningKey(), cwd: Deno.cwd() });
 * ```
 */
export async function signConfigs(
  repo: Repository,
  options: SignOptions,
): Promise<SignReport> {
  const paths: string[] = [];
  for (const path of options.paths ?? []) {
    paths.push(await toRepoPath(repo, options.cwd, path));
  }
  const objects = GitObjects.open(repo);
  try {
    return await signSource(repo, workingTreeSource(repo), {
      key: options.key,
      now: options.now ?? new Date(),
      ...(paths.length > 0 ? { paths } : {}),
      stage: false,
      createTrustList: true,
      ...(options.resign ? { resign: true } : {}),
      ...(options.retiring ? { retiring: true } : {}),
      parents: async () => ParentVersions.read(objects, await mergeHeads(repo)),
    });
  } finally {
    await objects.close();
  }
}

async function mergeHeads(repo: Repository): Promise<string[]> {
  // While a merge is being completed, its other parents are in MERGE_HEAD:
  // a version signed then must follow each side's.
  const paths = repo.gitPaths ?? await askGitPaths(repo);
  const file = paths["MERGE_HEAD"];
  if (!file || !fileSystem.existsSync(file)) return [];
  const text = await fileSystem.readFile(file, "utf8");
  return text.split("\n").filter((line) => /^[0-9a-f]{40,64}$/.test(line));
}
