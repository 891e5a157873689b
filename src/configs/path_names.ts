/**
 * How file systems that ignore case see a name: the one rule every check
 * that must see paths as a macOS or Windows checkout does (config
 * patterns, links, `.gitattributes` look-alikes) shares.
 *
 * @module
 */

/** Characters HFS+ ignores in file names, as Git's `is_hfs_dotgit` lists them. */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The form of a path segment that two names a file system treats as one
 * file share: Unicode NFC, without the characters HFS+ ignores, case folded
 * (upper then lower, so that letters such as "ſ" fold to the ASCII they
 * match), without the trailing dots and spaces Windows drops (unless
 * nothing else is left).
 *
 * @param segment One path segment.
 * @returns Its canonical form.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { canonicalName } from "./path_names.ts";
 * equal(canonicalName(".GitAttributes. "), ".gitattributes");
 * equal(canonicalName("Cafe\u0301"), canonicalName("caf\u00e9"));
 * ```
 */
export function canonicalName(segment: string): string {
  // Printable ASCII (nearly every name): NFC leaves it as it is, it holds
  // none of the ignored characters, and folding is lowercasing.
  const folded = PRINTABLE_ASCII.test(segment)
    ? segment.toLowerCase()
    : segment.normalize("NFC").replace(HFS_IGNORED, "")
      .toUpperCase().toLowerCase();
  const trimmed = folded.replace(/[. ]+$/, "");
  return trimmed === "" ? folded : trimmed;
}
