/**
 * The repository's revocation list, `.mcp-orchestration/revoked_keys`, in
 * OpenSSH's "list of public keys" format, so that `ssh-keygen -Y verify -r
 * FILE` and git's `gpg.ssh.revocationFile` read the same file:
 *
 * ```text
 * # revoked 2026-12-06T17:45:00Z: laptop stolen
 * ssh-ed25519 AAAAC3Nz… alice@example.com
 * ```
 *
 * Blank lines and `#` comments are allowed; every other line is one public
 * key, `TYPE BASE64 [comment]`. Where ssh-keygen skips a line it cannot
 * read (and so would silently not revoke that key), we reject the whole
 * file, naming the line: options before the key, an unknown key type, a
 * bad blob, a control character, a key listed twice. Line endings as in
 * allowed_signers: LF, or CRLF; any other CR is an error.
 *
 * @module
 */

import { MAX_REVOKED_KEYS } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { formatPublicKeyLine } from "../format/public_key.ts";
import { hasControl } from "../format/lines.ts";
import { readKeyFields, type RevokedKeyRef } from "./allowed_signers.ts";

/** One key line of a revoked_keys file. */
export interface RevokedKey extends RevokedKeyRef {
  /** The key type field, e.g. `ssh-ed25519`. */
  keyType: string;
  /** Whatever follows the key on the line, or "". */
  comment: string;
  /**
   * What the `# revoked <time>: <reason>` comment right above the key line
   * records (what `revoke` writes), when there is one: only a comment, as
   * anyone could have written it, shown and never relied on.
   */
  recorded?: { at: string; reason: string };
}

/** A parsed revoked_keys file: its exact text and its keys. */
export interface RevokedKeys {
  /** The file's text, unchanged. */
  text: string;
  /** The key lines, in file order. */
  entries: RevokedKey[];
}

/**
 * Parses a revoked_keys file strictly: any line that is not blank, a `#`
 * comment or one public key is an error naming its line.
 *
 * @param text The file's text.
 * @param source The file's name, for errors.
 * @returns The parsed file.
 * @throws {ToolError} `INVALID_FORMAT` naming the line and what is wrong.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { formatPublicKeyLine } from "../format/public_key.ts";
 * import { parseRevokedKeys } from "./revoked_keys.ts";
 * const line = formatPublicKeyLine(new Uint8Array(32).fill(9), "old laptop");
 * const file = await parseRevokedKeys(`# revoked: lost\n${line}\n`, "revoked_keys");
 * equal(file.entries[0]?.line, 2);
 * equal(file.entries[0]?.comment, "old laptop");
 * equal(file.entries[0]?.recorded, undefined);
 * ```
 */
export async function parseRevokedKeys(
  text: string,
  source: string,
): Promise<RevokedKeys> {
  const entries: RevokedKey[] = [];
  const seen = new Map<string, number>();
  let recorded: RevokedKey["recorded"];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const where = `revoked_keys "${source}": line ${i + 1}`;
    const fail = (detail: string): never => {
      throw new ToolError("INVALID_FORMAT", `Invalid ${where}: ${detail}`);
    };
    if (hasControl(line, { allowTab: true })) fail("control character");
    const rest = line.replace(/^[ \t]+/, "");
    if (rest === "" || rest.startsWith("#")) {
      const note = RECORDED.exec(rest);
      recorded = note ? { at: note[1]!, reason: note[2]! } : undefined;
      continue;
    }
    const match = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(rest);
    if (!match) fail('expected "TYPE BASE64 [comment]" (one public key)');
    const [, keyType = "", base64 = "", comment = ""] = match!;
    if (/[="]/.test(keyType)) {
      fail(
        "options before the key: ssh-keygen would skip this line and not revoke the key",
      );
    }
    const { keyId, key } = await readKeyFields(keyType, base64, where);
    const earlier = seen.get(keyId);
    if (earlier !== undefined) {
      fail(`the key ${keyId} is listed twice (line ${earlier} too)`);
    }
    seen.set(keyId, i + 1);
    if (entries.length >= MAX_REVOKED_KEYS) {
      fail(`more than ${MAX_REVOKED_KEYS} keys`);
    }
    entries.push({
      line: i + 1,
      keyType,
      keyId,
      ...(key === undefined ? {} : { key }),
      comment: comment.trim(),
      ...(recorded ? { recorded } : {}),
    });
    recorded = undefined;
  }
  return { text, entries };
}

// The comment `addRevokedKey` writes above a key line.
const RECORDED = /^# revoked (\S+): (.*)$/;

/**
 * Checks a revocation reason: one line of text, without control characters.
 *
 * @param reason What the user gave with `--reason`.
 * @returns The reason, trimmed.
 * @throws {ToolError} `USAGE` when it is empty or has a control character.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { validateReason } from "./revoked_keys.ts";
 * equal(validateReason(" laptop stolen "), "laptop stolen");
 * throws(() => validateReason(""), { code: "USAGE" });
 * ```
 */
export function validateReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed === "") {
    throw new ToolError(
      "USAGE",
      'A revocation needs a reason: --reason "TEXT" (e.g. "laptop stolen")',
    );
  }
  if (hasControl(trimmed, { allowTab: false })) {
    throw new ToolError(
      "USAGE",
      `Invalid reason ${
        JSON.stringify(reason)
      }: it must be one line without tabs or control characters`,
    );
  }
  return trimmed;
}

/**
 * Appends a revocation to a revoked_keys text: a `# revoked <time>: <reason>`
 * comment, then the key line. Every existing byte is kept; a missing final
 * newline is added first, and the file's line ending (CRLF when its first
 * line ends so) is used.
 *
 * @param text The file's current text ("" for a new file).
 * @param key The 32-byte Ed25519 key.
 * @param options The reason (see {@linkcode validateReason}), the time and
 * the key line's comment (e.g. the principals it had).
 * @returns The new text.
 * @throws {ToolError} `USAGE` for a bad reason or comment.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { addRevokedKey } from "./revoked_keys.ts";
 * const text = addRevokedKey("", new Uint8Array(32).fill(9), {
 *   reason: "lost", at: new Date("2026-12-06T17:00:00Z"), comment: "a@example.com",
 * });
 * ok(text.startsWith("# revoked 2026-12-06T17:00:00Z: lost\nssh-ed25519 "));
 * ```
 */
export function addRevokedKey(
  text: string,
  key: Uint8Array,
  options: { reason: string; at: Date; comment?: string },
): string {
  const reason = validateReason(options.reason);
  const comment = options.comment ?? "";
  if (hasControl(comment, { allowTab: false })) {
    throw new ToolError(
      "USAGE",
      `Invalid comment ${
        JSON.stringify(comment)
      }: it must be one line without tabs or control characters`,
    );
  }
  const time = options.at.toISOString().replace(/\.\d{3}Z$/, "Z");
  const firstBreak = text.indexOf("\n");
  const eol = firstBreak > 0 && text[firstBreak - 1] === "\r" ? "\r\n" : "\n";
  const prefix = text === "" || text.endsWith("\n") ? text : text + eol;
  return prefix + `# revoked ${time}: ${reason}` + eol +
    formatPublicKeyLine(key, comment === "" ? undefined : comment) + eol;
}
