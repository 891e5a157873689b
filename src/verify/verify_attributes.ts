/**
 * Git attributes that would make a client read other bytes than the signed
 * ones: `ident`, `filter`, `eol`, `crlf` or `working-tree-encoding` on a
 * config, on the trust list, the index or `config.json` (whose working-tree
 * bytes `verify` trusts as they are), and `.gitattributes` look-alikes that a
 * case-insensitive file system would read. Each is a failure with code
 * `UNSAFE_ATTRIBUTES`, in the working tree, the index and every commit.
 * Git answers which attributes apply (src/source/checkout_attributes.ts); we
 * never parse `.gitattributes` ourselves.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  INDEX_PATH,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
} from "../constants.ts";
import {
  type AttributeCheck,
  type AttributeMap,
  diffCheckoutAttributes,
  findAttributeFileLookalikes,
  findCheckoutAttributeProblems,
  hasInfoAttributes,
  readCheckoutAttributes,
} from "../source/checkout_attributes.ts";
import { canonicalName } from "../configs/path_names.ts";
import type { VerifyResult } from "./verify_codes.ts";

/** Files of the store whose checked-out bytes are used as they are. */
const READ_AS_CHECKED_OUT = [
  ALLOWED_SIGNERS_PATH,
  INDEX_PATH,
  REPO_CONFIG_PATH,
  POLICY_PATH,
  REVOKED_KEYS_PATH,
];

/**
 * The attributes of the configs and of the store files read as they are.
 *
 * @param check Where the attributes come from.
 * @param listing Every path of the source (to skip Git when no
 * `.gitattributes` can apply).
 * @param configs The configs' paths.
 * @returns The attributes, or an empty map when no `.gitattributes` exists.
 * @throws {ToolError} `IO` when Git fails.
 *
 * @example
 * ```ts ignore
 * const attributes = await readAttributes({ repo, source: { kind: "index" } }, listing, [".mcp.json"]);
 * ```
 */
export async function readAttributes(
  check: AttributeCheck,
  listing: readonly string[],
  configs: readonly string[],
): Promise<AttributeMap> {
  const paths = [...new Set([...configs, ...READ_AS_CHECKED_OUT])];
  // A tree's own files are found by the query itself; the working tree and
  // the index are read by Git only when some .gitattributes is there.
  if (
    check.source.kind !== "tree" &&
    !listing.some((path) =>
      path === ".gitattributes" || path.endsWith("/.gitattributes")
    )
  ) {
    const info = check.cache?.infoAttributes ?? hasInfoAttributes(check.repo);
    if (check.cache) check.cache.infoAttributes = info;
    if (!await info) return new Map();
  }
  return await readCheckoutAttributes(check.repo, {
    paths,
    source: check.source,
    ...(check.cache ? { cache: check.cache } : {}),
  });
}

/**
 * The failures that attributes and `.gitattributes` look-alikes cause.
 *
 * @param attributes What {@linkcode readAttributes} returned.
 * @param listing Every path of the source.
 * @returns One `UNSAFE_ATTRIBUTES` failure per affected path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attributeFailures } from "./verify_attributes.ts";
 * const failures = attributeFailures(new Map([[".mcp.json", new Map([["ident", "set"]])]]), []);
 * assert.equal(failures[0]?.code, "UNSAFE_ATTRIBUTES");
 * ```
 */
export function attributeFailures(
  attributes: AttributeMap,
  listing: readonly string[],
): VerifyResult[] {
  const failures = new Map<string, VerifyResult>();
  for (const problem of findCheckoutAttributeProblems(attributes)) {
    if (failures.has(problem.path)) continue;
    failures.set(problem.path, {
      path: problem.path,
      ok: false,
      code: "UNSAFE_ATTRIBUTES",
      reason: problem.message,
    });
  }
  for (const [path, reason] of foldedFolderFiles(attributes, listing)) {
    failures.set(path, {
      path,
      ok: false,
      code: "UNSAFE_ATTRIBUTES",
      reason,
    });
  }
  for (const path of findAttributeFileLookalikes(listing)) {
    failures.set(path, {
      path,
      ok: false,
      code: "UNSAFE_ATTRIBUTES",
      reason:
        `Git ignores "${path}" here, but a case-insensitive file system (macOS, Windows) reads it as ".gitattributes" ` +
        `at checkout, where its rules could change what a client reads; rename or remove it`,
    });
  }
  return [...failures.values()];
}

// Attribute files in a folder that only a case-insensitive file system
// takes for a config's folder (".Cursor/.gitattributes" beside
// ".cursor/mcp.json"): Git, which matches index paths by their bytes,
// ignores them when asked, but such a checkout reads them from disk.
function foldedFolderFiles(
  attributes: AttributeMap,
  listing: readonly string[],
): Map<string, string> {
  const fold = (folder: string) =>
    folder.split("/").map(canonicalName).join("/");
  const folders = new Map<string, { folder: string; path: string }>();
  for (const path of attributes.keys()) {
    const segments = path.split("/");
    for (let end = 1; end < segments.length; end++) {
      const folder = segments.slice(0, end).join("/");
      if (!folders.has(fold(folder))) {
        folders.set(fold(folder), { folder, path });
      }
    }
  }
  const found = new Map<string, string>();
  for (const file of listing) {
    const slash = file.lastIndexOf("/");
    if (
      slash < 0 || canonicalName(file.slice(slash + 1)) !== ".gitattributes"
    ) {
      continue;
    }
    const folder = file.slice(0, slash);
    const twin = folders.get(fold(folder));
    if (!twin || twin.folder === folder) continue;
    found.set(
      file,
      `"${file}" is in "${folder}", which a case-insensitive file system (macOS, Windows) takes for ` +
        `"${twin.folder}": its rules would apply to "${twin.path}" there, though Git ignores them here; ` +
        "rename the folder or remove the file",
    );
  }
  return found;
}

/**
 * Notes on what a commit changed in the attributes of configs and store
 * files, so that a reviewer sees it even when nothing unsafe came of it.
 *
 * @param before The parent's attributes.
 * @param after The commit's.
 * @returns One passing result per changed path, with a note.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attributeNotes } from "./verify_attributes.ts";
 * const notes = attributeNotes(new Map(), new Map([[".mcp.json", new Map([["diff", "unset"]])]]));
 * assert.match(notes[0]?.note ?? "", /"diff"/);
 * ```
 */
export function attributeNotes(
  before: AttributeMap,
  after: AttributeMap,
): VerifyResult[] {
  const byPath = new Map<string, string[]>();
  for (const change of diffCheckoutAttributes(before, after)) {
    const list = byPath.get(change.path) ?? [];
    list.push(`"${change.attribute}" ${change.before} → ${change.after}`);
    byPath.set(change.path, list);
  }
  return [...byPath].map(([path, changes]) => ({
    path,
    ok: true,
    reason: "its Git attributes changed",
    note: `this commit changes its Git attributes (.gitattributes): ${
      changes.join(", ")
    }`,
  }));
}
