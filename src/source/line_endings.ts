/**
 * The working tree as Git stores it: line endings. With `core.autocrlf`
 * (Git for Windows' default), `core.eol=crlf` or a `text`/`eol=lf`
 * attribute, the file on disk can hold CRLF where the blob Git stores, and
 * the signed artifact, holds LF. Git's clean conversion of such a file, the
 * blob `git add` would store, is what the signature is compared with; Git
 * says what that conversion is (`git hash-object`), we never reimplement
 * its rules (`text=auto`'s binary heuristics, a CRLF already in the index).
 *
 * `sign` in the working tree applies the same rule the other way: it signs
 * the LF bytes Git would store (`src/sign/discover_configs.ts`).
 *
 * Which differences are then ignored is decided per format
 * ({@linkcode lineBreaksAreOutsideValues}): only CRs before LFs that Git
 * itself removes, in a file whose parser reads a CRLF as it reads an LF.
 *
 * The store's own files are content-addressed or signed, so their CRLF
 * copies are undone without asking Git ({@linkcode checkedOutStoreReader}).
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  APPROVALS_DIR,
  ARTIFACTS_DIR,
  INDEX_PATH,
  SIGNATURE_SUFFIX,
  STATEMENTS_DIR,
} from "../constants.ts";
import { sha256Hex, toHex } from "../crypto/sha.ts";
import { ToolError } from "../errors.ts";
import { git, type Repository } from "../git/repository.ts";
import type { StoreReader } from "./store_reader.ts";

const CR = 0x0d;
const LF = 0x0a;

/**
 * Whether the bytes hold a CR followed by an LF.
 *
 * @param bytes The bytes.
 * @returns True when some line ends with CRLF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasCrlf } from "./line_endings.ts";
 * assert.equal(hasCrlf(new TextEncoder().encode("a\r\nb")), true);
 * assert.equal(hasCrlf(new TextEncoder().encode("a\rb\n")), false);
 * ```
 */
export function hasCrlf(bytes: Uint8Array): boolean {
  for (let at = bytes.indexOf(CR); at >= 0; at = bytes.indexOf(CR, at + 1)) {
    if (bytes[at + 1] === LF) return true;
  }
  return false;
}

/**
 * Removes the CR of every CRLF, as Git's clean conversion does; a lone CR
 * stays.
 *
 * @param bytes The bytes.
 * @returns New bytes with each CRLF turned into LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutCrlf } from "./line_endings.ts";
 * const text = new TextDecoder().decode(withoutCrlf(new TextEncoder().encode("a\r\nb\rc\r\n")));
 * assert.equal(text, "a\nb\rc\n");
 * ```
 */
export function withoutCrlf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF) continue;
    out[length++] = bytes[i]!;
  }
  return out.slice(0, length);
}

/**
 * Whether a file of this format reads the same with CRLF as with LF line
 * endings, given the LF form Git stores. JSON and JSONC: a string cannot
 * hold a raw line break, so each CR removed was whitespace between tokens
 * (or ended a `//` comment, which CR and LF both do). YAML: every line break,
 * in any scalar, is read as LF (YAML 1.2, section 5.4). TOML: the same,
 * except inside a multi-line string (`"""`, `'''`), whose line breaks TOML
 * lets a parser keep as they are; a file with one is judged by its bytes.
 * The trust list (`lines`): its parser and ssh-keygen drop a CR before LF.
 * Any other format is judged by its bytes.
 *
 * @param format The config's format, or `lines` for the trust list.
 * @param stored The bytes Git stores (LF line endings).
 * @returns True when the CRLF and LF forms are the same config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineBreaksAreOutsideValues } from "./line_endings.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * assert.equal(lineBreaksAreOutsideValues("json", bytes("{}\n")), true);
 * assert.equal(lineBreaksAreOutsideValues("toml", bytes('a = """\nx\n"""\n')), false);
 * ```
 */
export function lineBreaksAreOutsideValues(
  format: string,
  stored: Uint8Array,
): boolean {
  switch (format) {
    case "json":
    case "jsonc":
    case "yaml":
    case "lines":
      return true;
    case "toml": {
      const text = new TextDecoder().decode(stored);
      return !text.includes('"""') && !text.includes("'''");
    }
    default:
      return false;
  }
}

/**
 * What Git would store for each of these working-tree files, when its clean
 * conversion only turns CRLF into LF: one `git hash-object --stdin-paths`
 * for all of them, with the repository's own attributes only (as
 * `check-attr` is asked in `checkout_attributes.ts`) and `core.safecrlf`
 * off (so mixed line endings are hashed, not refused). A file Git would
 * store as it is (no `core.autocrlf`, `-text`, `text=auto` on what Git deems
 * binary, such as a file with a lone CR) is left out. Call it only for files
 * whose attributes name no `filter`, `ident` or `working-tree-encoding`:
 * Git would run or apply those while hashing.
 *
 * @param repo The working tree.
 * @param files Repository-relative path → the bytes read from disk.
 * @returns Path → the LF bytes, for each file Git stores so.
 * @throws {ToolError} `IO` when git fails or answers in another shape.
 *
 * @example
 * ```ts ignore
 * const stored = await gitStoredForms(repo, new Map([[".mcp.json", bytes]]));
 * ```
 */
export async function gitStoredForms(
  repo: Repository,
  files: ReadonlyMap<string, Uint8Array>,
): Promise<Map<string, Uint8Array>> {
  const candidates = [...files].filter(([, bytes]) => hasCrlf(bytes));
  const stored = new Map<string, Uint8Array>();
  if (candidates.length === 0) return stored;
  const out = await git(repo, [
    "-c",
    "core.attributesFile=/dev/null",
    "-c",
    "core.safecrlf=false",
    "hash-object",
    "--stdin-paths",
  ], {
    stdin: new TextEncoder().encode(
      candidates.map(([path]) => `${quotePath(path)}\n`).join(""),
    ),
    env: { GIT_ATTR_NOSYSTEM: "1" },
  });
  const oids = new TextDecoder().decode(out).split("\n");
  if (oids.length !== candidates.length + 1 || oids.at(-1) !== "") {
    throw new ToolError(
      "IO",
      `Cannot read the output of "git hash-object": ${
        oids.length - 1
      } lines for ${candidates.length} files`,
    );
  }
  for (const [i, [path, bytes]] of candidates.entries()) {
    const lf = withoutCrlf(bytes);
    if (oids[i] === await blobId(lf, oids[i]!)) stored.set(path, lf);
  }
  return stored;
}

/**
 * A reader of the working tree's store that undoes a CRLF checkout of the
 * store's own files (`core.autocrlf` gives them CRLF too). Nothing here is
 * taken on trust: a statement or artifact is given without its CRs only
 * when those bytes, and not the ones on disk, hash to its name (which every
 * reader checks again); a signature is checked by its cryptography and the
 * index only says where to look, so their CRLFs are simply undone (an
 * approval is a signature too). Every
 * other file is read as it is (the trust list's parser reads CRLF itself,
 * and its signature is checked like a config's).
 *
 * @param reader The working tree's reader.
 * @returns A reader with the same files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkedOutStoreReader } from "./line_endings.ts";
 * const text = "mcp-orchestration-index v1\r\n";
 * const reader = checkedOutStoreReader({
 *   read: () => Promise.resolve(new TextEncoder().encode(text)),
 * });
 * const index = await reader.read(".mcp-orchestration/index", 100);
 * assert.equal(new TextDecoder().decode(index), "mcp-orchestration-index v1\n");
 * ```
 */
export function checkedOutStoreReader(reader: StoreReader): StoreReader {
  return {
    read: async (path, maxBytes) => {
      const bytes = await reader.read(path, maxBytes);
      if (!bytes || path === ALLOWED_SIGNERS_PATH || !hasCrlf(bytes)) {
        return bytes;
      }
      if (
        path === INDEX_PATH ||
        isStorePath(path, STATEMENTS_DIR, SIGNATURE_SUFFIX) ||
        isApprovalFile(path)
      ) {
        return withoutCrlf(bytes);
      }
      if (
        isStorePath(path, STATEMENTS_DIR, "") ||
        isStorePath(path, ARTIFACTS_DIR, "")
      ) {
        const name = path.slice(path.lastIndexOf("/") + 1);
        if (await sha256Hex(bytes) === name) return bytes;
        const lf = withoutCrlf(bytes);
        if (await sha256Hex(lf) === name) return lf;
      }
      return bytes;
    },
  };
}

const STORE_NAME = /^[0-9a-f]{64}$/;

function isStorePath(path: string, folder: string, suffix: string): boolean {
  if (!path.startsWith(`${folder}/`) || !path.endsWith(suffix)) return false;
  const name = path.slice(folder.length + 1, path.length - suffix.length);
  return STORE_NAME.test(name);
}

// An approval, `approvals/<statement id>/<key hex>.sig`: a signature too.
function isApprovalFile(path: string): boolean {
  if (!path.startsWith(`${APPROVALS_DIR}/`)) return false;
  const parts = path.slice(APPROVALS_DIR.length + 1).split("/");
  return parts.length === 2 && STORE_NAME.test(parts[0]!) &&
    isStorePath(path, `${APPROVALS_DIR}/${parts[0]}`, SIGNATURE_SUFFIX);
}

// The blob id Git gives these bytes, with the hash its answer's length
// names (SHA-1 or, in a SHA-256 repository, SHA-256).
async function blobId(bytes: Uint8Array, like: string): Promise<string> {
  const algorithm = like.length === 64 ? "SHA-256" : "SHA-1";
  const header = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const data = new Uint8Array(header.length + bytes.length);
  data.set(header);
  data.set(bytes, header.length);
  return toHex(new Uint8Array(await crypto.subtle.digest(algorithm, data)));
}

// "--stdin-paths" reads one path a line, C-quoted when it starts with '"':
// every path is quoted, so a name with a newline or a quote is read whole,
// and every byte outside printable ASCII is an octal escape.
function quotePath(path: string): string {
  let quoted = '"';
  for (const byte of new TextEncoder().encode(path)) {
    if (byte === 0x22 || byte === 0x5c) {
      quoted += `\\${String.fromCharCode(byte)}`;
    } else if (byte < 0x20 || byte >= 0x7f) {
      quoted += `\\${byte.toString(8).padStart(3, "0")}`;
    } else quoted += String.fromCharCode(byte);
  }
  return `${quoted}"`;
}
