/**
 * The repository's trust list, `.mcp-orchestration/allowed_signers`, in
 * OpenSSH's allowed_signers format (`ssh-keygen(1)`, ALLOWED SIGNERS), so
 * that `ssh-keygen -Y verify` and git's `gpg.ssh.allowedSignersFile` read the
 * same file:
 *
 * ```text
 * # comment
 * alice@example.com,ali@example.org namespaces="mcp-orchestration",valid-before="20270101000000Z" ssh-ed25519 AAAAC3Nz… laptop
 * ```
 *
 * Parsing follows OpenSSH 9.2 (`sshsig.c`): principals field (it may be
 * double-quoted), then optional comma-separated options (keywords are
 * case-insensitive; values must be double-quoted, `\"` escapes a quote), then
 * key type, base64 blob and an optional comment. Where ssh-keygen logs a
 * malformed line and skips it, we reject the whole file, naming the line: a
 * trust file is either valid or not. Deliberately stricter than OpenSSH:
 * control characters, impossible calendar dates (`20260230`) and seconds
 * above 59 are rejected rather than normalised, and base64 must be canonical.
 * Dates live in `validity_date.ts`, and the `namespaces` pattern lists in
 * `ssh_pattern.ts`.
 *
 * Line endings: lines end with LF; a CR before the LF is accepted and ignored
 * (ssh-keygen accepts CRLF files too). Any other CR is an error. Editing
 * keeps every untouched byte, including each line's own ending.
 *
 * @module
 */

import { equalBytes } from "../bytes/equal_bytes.ts";
import {
  KEY_ID_PATTERN,
  KEY_ID_PREFIX,
  REPOSITORY_ID_PATTERN,
  REPOSITORY_LINE_PREFIX,
  RETIRED_LINE_PREFIX,
  SIGNATURE_NAMESPACE,
  SK_SSH_ED25519,
  SSH_ED25519,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "../format/base64.ts";
import { SshReader } from "../format/ssh_wire.ts";
import { hasControl } from "../format/lines.ts";
import {
  decodePublicKeyBlob,
  decodeSkPublicKeyBlob,
  formatPublicKeyLine,
  keyId,
} from "../format/public_key.ts";
import { matchPatternList } from "./ssh_pattern.ts";
import { iso, parseSshTime, sshTime, wholeSeconds } from "./validity_date.ts";

/** One key line of an allowed_signers file. */
export interface AllowedSigner {
  /** 1-based line number in the file. */
  line: number;
  /** The comma-separated principal patterns of the first field. */
  principals: string[];
  /** The `namespaces="…"` pattern list; `undefined` means every namespace. */
  namespaces?: string[];
  /** From `valid-after`: the key is valid at or after this instant. */
  validAfter?: Date;
  /** From `valid-before`: the key is valid at or before this instant. */
  validBefore?: Date;
  /** Whether the line has `cert-authority` (we never trust such a line). */
  certAuthority: boolean;
  /** The key type field, e.g. `ssh-ed25519` or `ssh-rsa`. */
  keyType: string;
  /** The 32-byte Ed25519 key when `keyType` is `ssh-ed25519`, else `undefined`. */
  key?: Uint8Array;
  /**
   * The 32-byte key and FIDO application when `keyType` is
   * `sk-ssh-ed25519@openssh.com` (a key on a hardware token), else `undefined`.
   */
  sk?: { key: Uint8Array; application: string };
  /** The OpenSSH `SHA256:…` fingerprint of the key blob (any key type). */
  keyId: string;
  /** Whatever follows the key on the line, or "". */
  comment: string;
}

/** A parsed allowed_signers file: its exact text and its key lines. */
export interface AllowedSigners {
  /** The file's text, unchanged. */
  text: string;
  /** The key lines, in file order. */
  entries: AllowedSigner[];
  /**
   * The repository id its `# mcp-orchestration-repository <id>` line names,
   * or `undefined` for a list from before repositories had ids.
   */
  repository?: string;
  /**
   * The key ids its `# mcp-orchestration-retired <key id>` lines name (each
   * has a key line): keys replaced by `keys rotate`, whose signatures count
   * only where a parent commit already had them.
   */
  retired?: ReadonlySet<string>;
  /**
   * The keys of `.mcp-orchestration/revoked_keys` (read beside the list by
   * `readTrust`): never trusted, whatever a line says.
   */
  revoked?: readonly RevokedKeyRef[];
}

/** A revoked key, as the trust list carries it (see `revoked_keys.ts`). */
export interface RevokedKeyRef {
  /** The key's id, `SHA256:…`. */
  keyId: string;
  /** The 32-byte key when it is an Ed25519 key. */
  key?: Uint8Array;
  /** Its line in the revoked_keys file. */
  line: number;
}

/** Options for {@linkcode formatAllowedSigner}. */
export interface FormatAllowedSignerOptions {
  /** The signer's identity, e.g. an e-mail address (see {@linkcode validatePrincipal}). */
  principal: string;
  /** First instant the key is valid; rounded up to a whole second. */
  validAfter?: Date;
  /** Last instant the key is valid; rounded down to a whole second. */
  validBefore?: Date;
  /** Free text after the key. */
  comment?: string;
}

/** Options for {@linkcode findSigner}. */
export interface FindSignerOptions {
  /** The signature's namespace. */
  namespace: string;
  /** The instant at which the key must be valid (compared in whole seconds, like ssh-keygen). */
  at: Date;
  /**
   * For a key on a FIDO token: its application and key id. Then only
   * `sk-ssh-ed25519@openssh.com` lines with this key and application count.
   */
  sk?: { application: string; keyId: string };
}

/** What the trust list says about one key. */
export type TrustDecision =
  | { status: "trusted"; entry: AllowedSigner }
  /** No plain Ed25519 entry with this key allows this namespace. */
  | { status: "untrusted" }
  /** The key is listed for this namespace, but no such entry is valid at `at`. */
  | { status: "expired"; entry: AllowedSigner; reason: string }
  /** The key is in revoked_keys: never trusted, whatever a line says. */
  | { status: "revoked"; keyId: string; line: number }
  /**
   * The key is trusted by `entry`, and retired (`keys rotate`): its
   * signatures count only where a parent commit already had them.
   */
  | { status: "retired"; entry: AllowedSigner };

// Key type names that OpenSSH 9.2 reads (sshkey.c); a line's second field is
// its key type when it is one of these, and its options otherwise.
const KEY_TYPES = new Set([
  "ssh-ed25519",
  "ssh-ed25519-cert-v01@openssh.com",
  "sk-ssh-ed25519@openssh.com",
  "sk-ssh-ed25519-cert-v01@openssh.com",
  "ssh-rsa",
  "ssh-rsa-cert-v01@openssh.com",
  "rsa-sha2-256",
  "rsa-sha2-512",
  "rsa-sha2-256-cert-v01@openssh.com",
  "rsa-sha2-512-cert-v01@openssh.com",
  "ssh-dss",
  "ssh-dss-cert-v01@openssh.com",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "ecdsa-sha2-nistp384-cert-v01@openssh.com",
  "ecdsa-sha2-nistp521-cert-v01@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
]);
// Type names OpenSSH accepts on a line for a blob of another name.
const BLOB_TYPE_ALIASES: Record<string, string> = {
  "rsa-sha2-256": "ssh-rsa",
  "rsa-sha2-512": "ssh-rsa",
  "rsa-sha2-256-cert-v01@openssh.com": "ssh-rsa-cert-v01@openssh.com",
  "rsa-sha2-512-cert-v01@openssh.com": "ssh-rsa-cert-v01@openssh.com",
  "webauthn-sk-ecdsa-sha2-nistp256@openssh.com":
    "sk-ecdsa-sha2-nistp256@openssh.com",
};
const SPACE = /[ \t]/;

/**
 * Parses an allowed_signers file strictly: any malformed line is an error.
 *
 * @param text The file's text.
 * @param source The file's path, for errors.
 * @returns The text and its key lines.
 * @throws {ToolError} `INVALID_FORMAT` naming the line and the problem, e.g.
 * `Invalid allowed_signers "a": line 3: unknown option "foo"`.
 *
 * @example
 * ```ts
 * import { deepEqual, equal } from "node:assert/strict";
 * import { formatAllowedSigner, parseAllowedSigners } from "./allowed_signers.ts";
 * const line = formatAllowedSigner(new Uint8Array(32).fill(7), { principal: "alice@example.com" });
 * const file = await parseAllowedSigners(`# team\n${line}\n`, "allowed_signers");
 * equal(file.entries[0]?.line, 2);
 * deepEqual(file.entries[0]?.namespaces, ["mcp-orchestration"]);
 * ```
 */
export async function parseAllowedSigners(
  text: string,
  source: string,
): Promise<AllowedSigners> {
  const entries: AllowedSigner[] = [];
  let repository: string | undefined;
  const retired = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith("\r") ? lines[i]!.slice(0, -1) : lines[i]!;
    const retiredId = _retiredLine(
      line,
      `allowed_signers "${source}": line ${i + 1}`,
    );
    if (retiredId !== undefined) {
      if (retired.has(retiredId)) {
        throw new ToolError(
          "INVALID_FORMAT",
          `Invalid allowed_signers "${source}": line ${
            i + 1
          }: the key ${retiredId} is retired twice (line ${
            retired.get(retiredId)
          } too)`,
        );
      }
      retired.set(retiredId, i + 1);
      continue;
    }
    const id = _repositoryLine(
      line,
      `allowed_signers "${source}": line ${i + 1}`,
    );
    if (id !== undefined) {
      if (repository !== undefined) {
        throw new ToolError(
          "INVALID_FORMAT",
          `Invalid allowed_signers "${source}": line ${
            i + 1
          }: a second repository id line (a list names one repository)`,
        );
      }
      repository = id;
      continue;
    }
    const parsed = _parseLine(
      line,
      `allowed_signers "${source}": line ${i + 1}`,
    );
    if (parsed === undefined) continue;
    const { blob, ...fields } = parsed;
    entries.push({
      line: i + 1,
      ...fields,
      keyId: fields.key === undefined
        ? await _blobKeyId(blob)
        : await keyId(fields.key),
    });
  }
  for (const [id, line] of retired) {
    if (!entries.some((entry) => entry.keyId === id)) {
      throw new ToolError(
        "INVALID_FORMAT",
        `Invalid allowed_signers "${source}": line ${line}: it retires ${id}, which no key line lists ` +
          `(a retired key keeps its line, so that what it signed before still verifies)`,
      );
    }
  }
  return {
    text,
    entries,
    ...(repository === undefined ? {} : { repository }),
    ...(retired.size === 0 ? {} : { retired: new Set(retired.keys()) }),
  };
}

/**
 * Formats the line that retires a key in a trust list.
 *
 * @param id The key id (`SHA256:…`).
 * @returns The line, without its line ending.
 * @throws {ToolError} `INVALID_FORMAT` for a malformed key id.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { formatRetiredLine } from "./allowed_signers.ts";
 * const id = "SHA256:" + "A".repeat(43);
 * equal(formatRetiredLine(id), "# mcp-orchestration-retired " + id);
 * ```
 */
export function formatRetiredLine(id: string): string {
  if (!KEY_ID_PATTERN.test(id)) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid key id "${id}": expected "SHA256:" and 43 base64 digits`,
    );
  }
  return `${RETIRED_LINE_PREFIX}${id}`;
}

// A comment line retiring a key, or undefined for any other line. Like the
// repository line, one that looks meant to be one but is not exactly one is
// an error.
function _retiredLine(line: string, where: string): string | undefined {
  if (!/^[ \t]*#[ \t]*mcp-orchestration-retired\b/.test(line)) {
    return undefined;
  }
  const id = line.slice(RETIRED_LINE_PREFIX.length);
  if (!line.startsWith(RETIRED_LINE_PREFIX) || !KEY_ID_PATTERN.test(id)) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid ${where}: a retired key line must be exactly "${RETIRED_LINE_PREFIX}" and a key id (SHA256:…)`,
    );
  }
  return id;
}

/**
 * Formats the line that names a repository in its trust list.
 *
 * @param id The repository id (32 lowercase hex digits).
 * @returns The line, without its line ending.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { formatRepositoryLine } from "./allowed_signers.ts";
 * equal(formatRepositoryLine("0".repeat(32)), "# mcp-orchestration-repository " + "0".repeat(32));
 * ```
 */
export function formatRepositoryLine(id: string): string {
  if (!REPOSITORY_ID_PATTERN.test(id)) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid repository id "${id}": expected 32 lowercase hex digits`,
    );
  }
  return `${REPOSITORY_LINE_PREFIX}${id}`;
}

/**
 * Adds a repository id line at the top of a trust list's text.
 *
 * @param text The list's text (without a repository line).
 * @param id The repository id.
 * @returns The new text; every other line is kept byte for byte.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { addRepositoryLine } from "./allowed_signers.ts";
 * equal(addRepositoryLine("# team\n", "0".repeat(32)), `# mcp-orchestration-repository ${"0".repeat(32)}\n# team\n`);
 * ```
 */
export function addRepositoryLine(text: string, id: string): string {
  return `${formatRepositoryLine(id)}\n${text}`;
}

// A comment line naming the repository, or undefined for any other line. A
// line that looks meant to be one but is not exactly one is an error: two
// readers must never disagree on which repository a list names.
function _repositoryLine(line: string, where: string): string | undefined {
  if (!/^[ \t]*#[ \t]*mcp-orchestration-repository\b/.test(line)) {
    return undefined;
  }
  const id = line.slice(REPOSITORY_LINE_PREFIX.length);
  if (
    !line.startsWith(REPOSITORY_LINE_PREFIX) || !REPOSITORY_ID_PATTERN.test(id)
  ) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid ${where}: a repository id line must be exactly "${REPOSITORY_LINE_PREFIX}" and 32 lowercase hex digits`,
    );
  }
  return id;
}

/**
 * Writes one allowed_signers line for an Ed25519 key, limited to our
 * namespace: `principal namespaces="mcp-orchestration"[,valid-after="…"][,valid-before="…"] ssh-ed25519 … [comment]`.
 * Dates are written as `YYYYMMDDHHMMSSZ` (UTC).
 *
 * @param key The 32-byte Ed25519 public key.
 * @param options The principal, an optional validity window and a comment.
 * @returns The line, without a newline.
 * @throws {ToolError} `USAGE` for a bad principal, date or comment, or when
 * `validBefore` is not after `validAfter`; the key module's error for a bad key.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { formatAllowedSigner } from "./allowed_signers.ts";
 * const line = formatAllowedSigner(new Uint8Array(32).fill(7), {
 *   principal: "alice@example.com",
 *   validBefore: new Date("2027-01-01T00:00:00Z"),
 * });
 * ok(line.startsWith(
 *   'alice@example.com namespaces="mcp-orchestration",valid-before="20270101000000Z" ssh-ed25519 ',
 * ));
 * ```
 */
export function formatAllowedSigner(
  key: Uint8Array,
  options: FormatAllowedSignerOptions,
): string {
  validatePrincipal(options.principal);
  const opts = [`namespaces="${SIGNATURE_NAMESPACE}"`];
  const after = options.validAfter === undefined
    ? undefined
    : wholeSeconds(options.validAfter, "valid-after", { round: "up" });
  const before = options.validBefore === undefined
    ? undefined
    : wholeSeconds(options.validBefore, "valid-before", { round: "down" });
  if (after !== undefined && before !== undefined && before <= after) {
    throw new ToolError(
      "USAGE",
      `Invalid validity: valid-before "${
        iso(before)
      }" is not after valid-after "${iso(after)}"`,
    );
  }
  if (after !== undefined) opts.push(`valid-after="${sshTime(after)}"`);
  if (before !== undefined) opts.push(`valid-before="${sshTime(before)}"`);
  const comment = options.comment ?? "";
  if (hasControl(comment, { allowTab: false })) {
    throw new ToolError(
      "USAGE",
      `Invalid comment "${comment}": it must be one line without tabs or control characters`,
    );
  }
  const keyLine = comment.trim() === ""
    ? formatPublicKeyLine(key)
    : formatPublicKeyLine(key, comment);
  return `${options.principal} ${opts.join(",")} ${keyLine}`;
}

/**
 * Appends a line to an allowed_signers text, keeping every existing byte. A
 * missing final newline is added first; the new line ends with the file's
 * line ending (CRLF when its first line ends so, else LF).
 *
 * @param text The file's current text ("" for a new file).
 * @param line One key line, e.g. from {@linkcode formatAllowedSigner}.
 * @returns The new text. The caller checks for duplicates first.
 * @throws {ToolError} `INVALID_FORMAT` when `line` is not one valid key line.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { addAllowedSigner, formatAllowedSigner } from "./allowed_signers.ts";
 * const line = formatAllowedSigner(new Uint8Array(32).fill(7), { principal: "bob@example.com" });
 * equal(addAllowedSigner("# team", line), `# team\n${line}\n`);
 * ```
 */
export function addAllowedSigner(text: string, line: string): string {
  if (_parseLine(line, "allowed_signers entry") === undefined) {
    throw new ToolError(
      "INVALID_FORMAT",
      "Invalid allowed_signers entry: it is blank or a comment",
    );
  }
  const firstBreak = text.indexOf("\n");
  const eol = firstBreak > 0 && text[firstBreak - 1] === "\r" ? "\r\n" : "\n";
  const prefix = text === "" || text.endsWith("\n") ? text : text + eol;
  return prefix + line + eol;
}

/**
 * Removes every key line whose key id or one of whose principals equals the
 * selector. Whole lines go (a line listing other principals too included);
 * all other bytes stay.
 *
 * @param file The parsed file.
 * @param selector A key id (`SHA256:…`) or an exact principal.
 * @returns The new text and the removed entries (none when nothing matched).
 * @throws {ToolError} `USAGE` when the selector is empty.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { formatAllowedSigner, parseAllowedSigners, removeAllowedSigners } from "./allowed_signers.ts";
 * const a = formatAllowedSigner(new Uint8Array(32).fill(1), { principal: "a@example.com" });
 * const b = formatAllowedSigner(new Uint8Array(32).fill(2), { principal: "b@example.com" });
 * const file = await parseAllowedSigners(`${a}\n# keep\n${b}\n`, "allowed_signers");
 * const { text, removed } = removeAllowedSigners(file, "a@example.com");
 * equal(text, `# keep\n${b}\n`);
 * equal(removed[0]?.line, 1);
 * ```
 */
export function removeAllowedSigners(
  file: AllowedSigners,
  selector: string,
): { text: string; removed: AllowedSigner[] } {
  if (selector === "") {
    throw new ToolError("USAGE", "Missing key id or principal to remove");
  }
  const removed = file.entries.filter((entry) =>
    entry.keyId === selector || entry.principals.includes(selector)
  );
  const lines = new Set(removed.map((entry) => entry.line));
  // Each piece keeps its own line ending, so what stays is byte-identical.
  const pieces = file.text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const text = pieces.filter((_, i) => !lines.has(i + 1)).join("");
  return { text, removed };
}

/**
 * Decides whether a key may sign in a namespace at an instant. Only plain
 * (not `cert-authority`) `ssh-ed25519` lines count; among those whose
 * `namespaces` allow the namespace (OpenSSH pattern-list rules: `*`, `?`,
 * `!` negation), any one valid at `at` makes the key trusted.
 *
 * @param file The parsed file.
 * @param key The 32-byte Ed25519 public key of the signature.
 * @param options The signature's namespace and the instant to check.
 * @returns `revoked` when revoked_keys lists the key (whatever its lines
 * say); `trusted` with the fitting entry, or `retired` with it when a
 * retired key line names the key; `expired` with the first entry and why,
 * when entries for this key and namespace exist but none is valid at `at`;
 * else `untrusted`.
 * @throws Never.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { findSigner, formatAllowedSigner, parseAllowedSigners } from "./allowed_signers.ts";
 * const key = new Uint8Array(32).fill(7);
 * const file = await parseAllowedSigners(formatAllowedSigner(key, { principal: "a@example.com" }), "x");
 * const at = new Date();
 * equal(findSigner(file, key, { namespace: "mcp-orchestration", at }).status, "trusted");
 * equal(findSigner(file, key, { namespace: "git", at }).status, "untrusted");
 * ```
 */
export function findSigner(
  file: AllowedSigners,
  key: Uint8Array,
  options: FindSignerOptions,
): TrustDecision {
  // A revoked key is refused before any line is looked at: revocation wins
  // over a line that lists it (under any principal).
  const sk = options.sk;
  const revoked = file.revoked?.find((ref) =>
    (ref.key !== undefined && equalBytes(ref.key, key)) ||
    (sk !== undefined && ref.keyId === sk.keyId)
  );
  if (revoked) {
    return { status: "revoked", keyId: revoked.keyId, line: revoked.line };
  }
  const candidates = file.entries.filter((entry) =>
    !entry.certAuthority &&
    (sk === undefined
      ? entry.keyType === SSH_ED25519 &&
        entry.key !== undefined && equalBytes(entry.key, key)
      : entry.keyType === SK_SSH_ED25519 && entry.sk !== undefined &&
        entry.sk.application === sk.application &&
        equalBytes(entry.sk.key, key)) &&
    (entry.namespaces === undefined ||
      matchPatternList(options.namespace, entry.namespaces))
  );
  const first = candidates[0];
  if (first === undefined) return { status: "untrusted" };
  // ssh-keygen compares whole seconds (time(NULL)) against the file's times.
  const at = Math.floor(options.at.getTime() / 1000) * 1000;
  const reasons: string[] = [];
  for (const entry of candidates) {
    if (entry.validAfter !== undefined && at < entry.validAfter.getTime()) {
      reasons.push(
        `line ${entry.line}: not valid before "${iso(entry.validAfter)}"`,
      );
    } else if (
      entry.validBefore !== undefined && at > entry.validBefore.getTime()
    ) {
      reasons.push(
        `line ${entry.line}: expired after "${iso(entry.validBefore)}"`,
      );
    } else {
      return file.retired?.has(entry.keyId)
        ? { status: "retired", entry }
        : { status: "trusted", entry };
    }
  }
  return { status: "expired", entry: first, reason: reasons.join("; ") };
}

/**
 * Checks a principal we are about to write into the file.
 *
 * @param principal The principal, e.g. `alice@example.com`.
 * @returns Nothing.
 * @throws {ToolError} `USAGE` when it is empty, has whitespace, a control
 * character, a comma or a double quote, starts with `#`, or has a pattern
 * character (`*`, `?`, or a leading `!`), which OpenSSH would read as a
 * wildcard or negation.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { validatePrincipal } from "./allowed_signers.ts";
 * validatePrincipal("alice@example.com");
 * throws(() => validatePrincipal("alice smith"), { code: "USAGE" });
 * ```
 */
export function validatePrincipal(principal: string): void {
  const problem = principal === ""
    ? "it is empty"
    : /\s/.test(principal) || hasControl(principal, { allowTab: false })
    ? "it has whitespace or a control character"
    : principal.includes(",")
    ? "it has a comma, which separates principals"
    : principal.includes('"')
    ? "it has a double quote"
    : principal.startsWith("#")
    ? 'it starts with "#", which makes the line a comment'
    : /[*?]/.test(principal) || principal.startsWith("!")
    ? 'it has a pattern character ("*", "?" or a leading "!")'
    : undefined;
  if (problem !== undefined) {
    throw new ToolError(
      "USAGE",
      `Invalid principal "${principal}": ${problem}`,
    );
  }
}

interface _ParsedLine extends Omit<AllowedSigner, "line" | "keyId"> {
  blob: Uint8Array;
}

/** Parses one line (without its line ending); `undefined` for blank and comment lines. */
function _parseLine(line: string, where: string): _ParsedLine | undefined {
  const fail = (detail: string, cause?: unknown): never => {
    throw new ToolError("INVALID_FORMAT", `Invalid ${where}: ${detail}`, {
      cause,
    });
  };
  if (hasControl(line, { allowTab: true })) fail("control character");
  let rest = line.replace(/^[ \t]+/, "");
  if (rest === "" || rest.startsWith("#")) return undefined;

  // Principals end at the first blank; a double quote opens a quoted stretch
  // that may hold blanks (OpenSSH's strdelimw()).
  const stop = rest.search(/[ \t"]/);
  if (stop < 0) fail("missing key");
  let principalsText = rest.slice(0, stop);
  if (rest[stop] === '"') {
    const close = rest.indexOf('"', stop + 1);
    if (close < 0) fail("unterminated quote in principals");
    principalsText += rest.slice(stop + 1, close);
    rest = rest.slice(close + 1);
  } else {
    rest = rest.slice(stop);
  }
  rest = rest.replace(/^[ \t]+/, "");
  if (rest === "") fail("missing key");

  if (KEY_TYPES.has(principalsText) && !KEY_TYPES.has(_token(rest))) {
    fail(
      `missing principals: the line starts with key type "${principalsText}"`,
    );
  }

  let options: ReturnType<typeof _parseOptions> = { certAuthority: false };
  if (!KEY_TYPES.has(_token(rest))) {
    const end = _optionsEnd(rest);
    if (end < 0) fail("unterminated quote in options");
    options = _parseOptions(rest.slice(0, end), fail);
    rest = rest.slice(end).replace(/^[ \t]+/, "");
    if (rest === "") fail("missing key");
  }
  const keyType = _token(rest);
  if (!KEY_TYPES.has(keyType)) fail(`unknown key type "${keyType}"`);
  rest = rest.slice(keyType.length).replace(/^[ \t]+/, "");
  const base64 = _token(rest);
  if (base64 === "") fail("missing key");
  const comment = rest.slice(base64.length).replace(/^[ \t]+/, "");

  const { blob, key } = _decodeKey(keyType, base64, where, fail);
  let sk: AllowedSigner["sk"];
  if (keyType === SK_SSH_ED25519) {
    try {
      sk = decodeSkPublicKeyBlob(blob, where);
    } catch (error) {
      fail(`invalid "${keyType}" key`, error);
    }
  }
  return {
    principals: principalsText.split(","),
    ...options,
    keyType,
    ...(key === undefined ? {} : { key }),
    ...(sk === undefined ? {} : { sk }),
    comment,
    blob,
  };
}

/**
 * Decodes a line's key: an Ed25519 key in full, any other type only as far
 * as its blob's type name, which must match the line's.
 */
function _decodeKey(
  keyType: string,
  base64: string,
  where: string,
  fail: (detail: string, cause?: unknown) => never,
): { blob: Uint8Array; key?: Uint8Array } {
  let blob: Uint8Array = new Uint8Array();
  let key: Uint8Array | undefined;
  let blobType = SSH_ED25519;
  try {
    blob = decodeBase64(base64, where);
    if (keyType === SSH_ED25519) key = decodePublicKeyBlob(blob, where);
    else blobType = new SshReader(blob, where).text("key type");
  } catch (error) {
    fail(`invalid "${keyType}" key`, error);
  }
  if (
    key === undefined && blobType !== (BLOB_TYPE_ALIASES[keyType] ?? keyType)
  ) {
    fail(`key type "${keyType}" does not match the key's type "${blobType}"`);
  }
  return key === undefined ? { blob } : { blob, key };
}

/**
 * Parses the options field as OpenSSH's sshsigopt_parse() does. One
 * scanning loop with its cursor shared by small closures, kept whole so it
 * reads beside OpenSSH's C.
 */
function _parseOptions(
  text: string,
  fail: (detail: string) => never,
): Pick<
  AllowedSigner,
  "certAuthority" | "namespaces" | "validAfter" | "validBefore"
> {
  let certAuthority = false;
  let namespaces: string[] | undefined;
  let validAfter: Date | undefined;
  let validBefore: Date | undefined;
  let at = 0;
  const named = (name: string): boolean =>
    text.slice(at, at + name.length + 1).toLowerCase() === `${name}=`;
  const value = (name: string): string => {
    at += name.length + 1;
    if (text[at] !== '"') {
      fail(`option "${name}" needs a value in double quotes`);
    }
    let out = "";
    for (at++; at < text.length && text[at] !== '"'; at++) {
      if (text[at] === "\\" && text[at + 1] === '"') at++;
      out += text[at];
    }
    if (at >= text.length) fail(`unterminated quote in option "${name}"`);
    at++;
    return out;
  };
  const time = (name: string, seen: Date | undefined): Date => {
    if (seen !== undefined) fail(`more than one "${name}" option`);
    const raw = value(name);
    const date = parseSshTime(raw);
    if (date === undefined) fail(`invalid "${name}" time "${raw}"`);
    return date!;
  };
  while (at < text.length) {
    const start = at;
    if (text.slice(at, at + 14).toLowerCase() === "cert-authority") {
      certAuthority = true;
      at += 14;
    } else if (named("namespaces")) {
      if (namespaces !== undefined) fail('more than one "namespaces" option');
      namespaces = value("namespaces").split(",");
    } else if (named("valid-after")) {
      validAfter = time("valid-after", validAfter);
    } else if (named("valid-before")) {
      validBefore = time("valid-before", validBefore);
    }
    if (at >= text.length) break;
    // Like OpenSSH, an empty option between two commas is skipped.
    if (text[at] !== ",") fail(`unknown option "${_optionAt(text, start)}"`);
    at++;
    if (at >= text.length) fail("unexpected end of options");
  }
  if (
    validAfter !== undefined && validBefore !== undefined &&
    validBefore <= validAfter
  ) {
    fail('"valid-before" is not after "valid-after"');
  }
  return {
    certAuthority,
    ...(namespaces === undefined ? {} : { namespaces }),
    ...(validAfter === undefined ? {} : { validAfter }),
    ...(validBefore === undefined ? {} : { validBefore }),
  };
}

/** Returns the text up to the first blank. */
function _token(text: string): string {
  const end = text.search(SPACE);
  return end < 0 ? text : text.slice(0, end);
}

/** Index of the first unquoted blank (or the end); -1 for an unterminated quote. */
function _optionsEnd(text: string): number {
  let quoted = false;
  let at = 0;
  for (; at < text.length && (quoted || !SPACE.test(text[at]!)); at++) {
    if (text[at] === "\\" && text[at + 1] === '"') at++;
    else if (text[at] === '"') quoted = !quoted;
  }
  return quoted ? -1 : at;
}

/** The option starting at `start`, up to the next unquoted comma, for errors. */
function _optionAt(text: string, start: number): string {
  let quoted = false;
  let at = start;
  for (; at < text.length && (quoted || text[at] !== ","); at++) {
    if (text[at] === "\\" && text[at + 1] === '"') at++;
    else if (text[at] === '"') quoted = !quoted;
  }
  return text.slice(start, at);
}

/**
 * Reads an OpenSSH public key as `TYPE BASE64` (the fields of a key line),
 * as this module reads a line's key: any key type OpenSSH knows, decoded in
 * full for Ed25519, else as far as the blob's type name.
 *
 * @param keyType The type field.
 * @param base64 The key blob field.
 * @param where Where the key is, for errors.
 * @returns The key id, and the 32-byte key for an Ed25519 key.
 * @throws {ToolError} `INVALID_FORMAT` for an unknown type or a bad blob.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { formatPublicKeyLine, keyId } from "../format/public_key.ts";
 * import { readKeyFields } from "./allowed_signers.ts";
 * const key = new Uint8Array(32).fill(3);
 * const [type, base64] = formatPublicKeyLine(key).split(" ");
 * equal((await readKeyFields(type!, base64!, "x")).keyId, await keyId(key));
 * ```
 */
export async function readKeyFields(
  keyType: string,
  base64: string,
  where: string,
): Promise<{ keyId: string; key?: Uint8Array }> {
  const fail = (detail: string, cause?: unknown): never => {
    throw new ToolError("INVALID_FORMAT", `Invalid ${where}: ${detail}`, {
      cause,
    });
  };
  if (!KEY_TYPES.has(keyType)) fail(`unknown key type "${keyType}"`);
  const { blob, key } = _decodeKey(keyType, base64, where, fail);
  return key === undefined
    ? { keyId: await _blobKeyId(blob) }
    : { keyId: await keyId(key), key };
}

/** SHA256 fingerprint of a non-Ed25519 key blob (Ed25519 keys go through keyId()). */
async function _blobKeyId(blob: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", blob as Uint8Array<ArrayBuffer>),
  );
  return KEY_ID_PREFIX + encodeBase64(digest).replace(/=+$/, "");
}
