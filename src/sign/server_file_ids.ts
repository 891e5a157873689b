/**
 * Signing's side of server files: which repository files a config's
 * servers run ({@linkcode serverFiles}), each read from the same source as
 * the config (the index for the pre-commit hook) and hashed, so the
 * statement names the exact bytes Git stores. A file that is missing, a
 * symbolic link, beneath one, or a submodule is refused: a signature must
 * not vouch for what it cannot see.
 *
 * @module
 */

import {
  MAX_SERVER_FILE_BYTES,
  MAX_SERVER_FILES,
  TOOL_NAME,
} from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { sha256Hex } from "../crypto/sha.ts";
import type { ConfigKind } from "../configs/config_kinds.ts";
import { type ServerFile, serverFiles } from "../configs/server_files.ts";
import { parseConfig } from "../configs/validate_config.ts";
import type { TreeEntry } from "../git/repository.ts";
import type { ConfigSource } from "../source/config_source.ts";
import type { ServerFileId } from "../store/statement.ts";

/**
 * The files a config's servers run, with the SHA-256 of their bytes.
 *
 * @param source Where the config was read (files are read there too).
 * @param config The config's path, bytes and kind.
 * @param options `list`: the source's listing, when the caller lists it
 * once for many configs (else `source.list()` is called).
 * @returns Sorted by path; empty when its servers run no repository file.
 * @throws {ToolError} `BAD_PATH` for a file outside the repository, missing,
 * a link or beneath one, a submodule, or too many or too large files.
 *
 * @example
 * ```ts ignore
 * const files = await serverFileIds(source, { path, bytes, kind });
 * ```
 */
export async function serverFileIds(
  source: ConfigSource,
  config: { path: string; bytes: Uint8Array; kind: ConfigKind },
  options: { list?: () => Promise<readonly TreeEntry[]> } = {},
): Promise<ServerFileId[]> {
  const root = await parseConfig(config.path, config.bytes, {
    format: config.kind.format,
  });
  const listing = await (options.list?.() ?? source.list());
  const refs = serverFiles(config.path, root, config.kind, {
    paths: listingPaths(listing),
  });
  if (refs.length === 0) return [];
  const paths = new Set<string>();
  for (const ref of refs) {
    for (const path of expand(config.path, ref, listing, source.label)) {
      paths.add(path);
    }
  }
  if (paths.size > MAX_SERVER_FILES) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot sign "${config.path}": its servers run ${paths.size} repository files, more than ${MAX_SERVER_FILES}`,
    );
  }
  const ids: ServerFileId[] = [];
  for (const path of [...paths].sort((a, b) => a < b ? -1 : a > b ? 1 : 0)) {
    ids.push({
      path,
      sha256: await sha256Hex(await read(source, config.path, path)),
    });
  }
  return ids;
}

// A file is itself; a folder (`uv run --directory ./srv`) is every file
// beneath it. A link on the way, or a submodule, is refused.
function expand(
  configPath: string,
  ref: ServerFile,
  listing: readonly TreeEntry[],
  label: string,
): string[] {
  const refuse = (problem: string): never => {
    throw new ToolError(
      "BAD_PATH",
      `Cannot sign "${configPath}": server "${ref.server}" runs "${ref.path}", ${problem}`,
    );
  };
  const under = ref.path === "." ? "" : `${ref.path}/`;
  for (const entry of listing) {
    if (
      entry.type !== "file" &&
      (entry.path === ref.path || under.startsWith(`${entry.path}/`) ||
        (under !== "" && entry.path.startsWith(under)) || under === "")
    ) {
      refuse(
        `and "${entry.path}" is a ${
          entry.type === "link" ? "symbolic link" : "submodule"
        }: a signature cannot cover what it points to`,
      );
    }
  }
  if (!ref.folder && listing.some((entry) => entry.path === ref.path)) {
    return [ref.path];
  }
  const files = listing.filter((entry) => entry.path.startsWith(under))
    .map((entry) => entry.path);
  if (files.length === 0) {
    return refuse(
      `which is not a file in the ${label}; add it (git add), or fix the config`,
    );
  }
  if (files.length > MAX_SERVER_FILES) {
    refuse(
      `a folder of ${files.length} files, more than ${MAX_SERVER_FILES}; name the server's files more narrowly`,
    );
  }
  return files;
}

async function read(
  source: ConfigSource,
  configPath: string,
  path: string,
): Promise<Uint8Array> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await source.reader.read(path, MAX_SERVER_FILE_BYTES);
  } catch (error) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot sign "${configPath}": its servers run "${path}", which cannot be read: ${
        errorMessage(error)
      }`,
      { cause: error },
    );
  }
  if (!bytes) {
    throw new ToolError(
      "BAD_PATH",
      `Cannot sign "${configPath}": its servers run "${path}", which is missing; restore it, or run "${TOOL_NAME} sign" after fixing the config`,
    );
  }
  return bytes;
}

// The paths of a listing, made once per listing: signing many configs
// asks for the same listing's paths once per config.
const pathsOfListing = new WeakMap<readonly TreeEntry[], readonly string[]>();
function listingPaths(listing: readonly TreeEntry[]): readonly string[] {
  let paths = pathsOfListing.get(listing);
  if (paths === undefined) {
    paths = listing.map((entry) => entry.path);
    pathsOfListing.set(listing, paths);
  }
  return paths;
}
