/**
 * Names around a signed config's servers, checked against the listing of
 * where the config is (docs/FORMAT.md, "Server files"): a path equal to a
 * signed server file's up to case (a checkout that ignores case writes both
 * to one file), a program in a server's folder named like the command
 * it starts by bare name (Windows looks there before `PATH`), and an
 * environment file a server loads (`envFile`) that the statement does not
 * name (the client would load it unsigned). Kept apart
 * from the pure verifier, which imports nothing of `src/configs/`.
 *
 * @module
 */

import { canonicalName } from "../configs/path_names.ts";
import { globPattern } from "../configs/server_files.ts";
import { VerificationError } from "./errors.ts";
import type { SignedConfig } from "./signed_config.ts";

/**
 * Fails a config when a name around its servers would make a macOS or
 * Windows checkout start something else than what was signed.
 *
 * @param config The loaded config; without `paths` nothing is checked.
 * @throws {VerificationError} `TAMPERED`, naming the file.
 *
 * @example
 * ```ts ignore
 * verifyServerNames(await loadSignedConfig(context, path, bytes));
 * ```
 */
export function verifyServerNames(config: SignedConfig): void {
  if (!config.paths) return;
  const signed = new Map(
    (config.signed.statement.files ?? []).map((file) => [
      canonicalPath(file.path),
      file.path,
    ]),
  );
  const byFolder = new Map<string, Set<string>>();
  for (const command of config.bareCommands ?? []) {
    const folder = canonicalPath(command.folder);
    const names = byFolder.get(folder) ?? new Set();
    const name = canonicalName(command.name);
    for (const ext of WINDOWS_PROGRAM_EXTENSIONS) {
      // A relative command is itself signed: only its PATHEXT look-alikes.
      if (command.extensionsOnly && ext === "") continue;
      names.add(canonicalName(name + ext));
    }
    byFolder.set(folder, names);
  }
  const loaded = new Map(
    (config.envFiles ?? []).map((file) => [canonicalPath(file.path), file]),
  );
  const named = new Set(
    (config.signed.statement.files ?? []).map((f) => f.path),
  );
  const unsigned = namedButUnsigned(config);
  for (const path of config.paths) {
    const canonical = canonicalPath(path);
    const envFile = loaded.get(canonical);
    if (envFile !== undefined && !named.has(path)) {
      throw new VerificationError(
        "TAMPERED",
        `"${path}" is the environment file server "${envFile.server}" loads ("envFile"), and it is not signed: ` +
          `sign the config again to include it, or have Git ignore it`,
      );
    }
    const twin = signed.get(canonical);
    if (twin !== undefined && twin !== path) {
      throw new VerificationError(
        "TAMPERED",
        `"${path}" differs from "${twin}", which its servers run, only in case; ` +
          `a checkout that ignores case may start it instead: remove or rename it`,
      );
    }
    const name = named.has(path) ? undefined : unsigned(path, canonical);
    if (name) {
      throw new VerificationError(
        "TAMPERED",
        `"${path}" is named by server "${name.server}" ("${name.path}"), and it is not signed: ` +
          `a file added after signing (one Git ignored then) is run unsigned; ` +
          `sign the config again to include it, or remove it`,
      );
    }
    const at = canonical.lastIndexOf("/");
    const folder = at < 0 ? "" : canonical.slice(0, at);
    if (
      byFolder.get(folder)?.has(canonical.slice(at + 1))
    ) {
      throw new VerificationError(
        "TAMPERED",
        `"${path}" is named like a command its servers start by bare name; ` +
          `Windows starts it from the server's folder instead of the one on PATH: remove or rename it`,
      );
    }
  }
}

// A listed path that a server's words name (as a file, in any case; beneath
// a folder they name that the statement signs nothing of; or matched by a
// glob) and that the statement does not name: the rule would name it now.
function namedButUnsigned(
  config: SignedConfig,
): (
  path: string,
  canonical: string,
) => { path: string; server: string } | undefined {
  const names = config.named ?? [];
  const exact = new Map<string, { path: string; server: string }>();
  const folders = new Map<string, { path: string; server: string }>();
  const globs: { pattern: RegExp; name: { path: string; server: string } }[] =
    [];
  for (const name of names) {
    if (name.glob) {
      globs.push({ pattern: globPattern(name.path), name });
      continue;
    }
    const canonical = canonicalPath(name.path);
    if (!exact.has(canonical)) exact.set(canonical, name);
    if (name.folder && !folders.has(canonical)) folders.set(canonical, name);
  }
  // The folders that hold a signed file: a named folder the statement
  // covers is not judged file by file (files added later are not covered).
  const covered = new Set<string>();
  for (const file of config.signed.statement.files ?? []) {
    let folder = canonicalPath(file.path);
    for (
      let at = folder.lastIndexOf("/");
      at > 0;
      at = folder.lastIndexOf("/")
    ) {
      folder = folder.slice(0, at);
      covered.add(folder);
    }
  }
  return (path, canonical) => {
    const name = exact.get(canonical);
    if (name) return name;
    for (
      let at = canonical.lastIndexOf("/");
      at > 0;
      at = canonical.lastIndexOf("/", at - 1)
    ) {
      const folder = canonical.slice(0, at);
      const named = folders.get(folder);
      if (named && !covered.has(folder)) return named;
    }
    return globs.find(({ pattern }) => pattern.test(path))?.name;
  };
}

// What Windows tries for a bare name: itself, then PATHEXT's usual
// extensions (and PowerShell's scripts).
const WINDOWS_PROGRAM_EXTENSIONS = [
  "",
  ".exe",
  ".cmd",
  ".bat",
  ".com",
  ".ps1",
];

/**
 * The folder a path is in, as a checkout that ignores case and Windows'
 * name rules sees it: the only paths {@linkcode verifyServerNames} can
 * object to are in the canonical folders of a config's server files and of
 * its bare commands, so only those need listing.
 *
 * @param path A repository-relative path.
 * @returns Its canonical folder ("" for the root).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalFolder } from "./verify_server_names.ts";
 * assert.ok(canonicalFolder("top.txt") === "");
 * ```
 */
export function canonicalFolder(path: string): string {
  // Each segment is made canonical alone, and none becomes or loses a "/",
  // so the canonical folder is the folder's canonical path (and folders
  // repeat far more than paths, for the memory below).
  const at = path.lastIndexOf("/");
  return at < 0 ? "" : canonicalPath(path.slice(0, at));
}

/**
 * A path with each segment canonical (see {@linkcode canonicalFolder}).
 *
 * @param path A repository-relative path ("" for the root).
 * @returns The canonical path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalPath } from "./verify_server_names.ts";
 * assert.ok(canonicalPath("") === "");
 * ```
 */
export function canonicalPath(path: string): string {
  if (path === "") return "";
  // Printable ASCII with no segment ending in a dot or a space (nearly
  // every path): each segment's canonical form is its lowercase
  // (`canonicalName`), so the path's is too, without a split or the memory
  // below (a verify of 10,000 configs asks for ~150,000 paths, more distinct
  // ones than the memory keeps).
  if (PRINTABLE_ASCII.test(path) && !DOT_OR_SPACE_AT_END.test(path)) {
    return path.toLowerCase();
  }
  // Remembered: verify asks for the same folders many times per config.
  let canonical = canonicalPaths.get(path);
  if (canonical === undefined) {
    canonical = path.split("/").map(canonicalName).join("/");
    if (canonicalPaths.size >= CANONICAL_PATHS_KEPT) canonicalPaths.clear();
    canonicalPaths.set(path, canonical);
  }
  return canonical;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const DOT_OR_SPACE_AT_END = /[. ](?:\/|$)/;
const CANONICAL_PATHS_KEPT = 16_384;
const canonicalPaths = new Map<string, string>();
