/**
 * Keeps private keys out of what the tool prints. A user who pastes a
 * private key where a public one belongs (`trust add "$(cat signing.key)"`)
 * must not see it echoed back into a terminal or a CI log by an error
 * message that quotes the argument.
 *
 * What counts as a private key:
 * - an armored block whose header names a private key (OpenSSH
 *   `BEGIN OPENSSH PRIVATE KEY` between dashes, PEM `BEGIN PRIVATE KEY`,
 *   `RSA`, `EC`, `ENCRYPTED`, …), with whatever follows the header up to its
 *   `END` line, or, without one, every base64 run after it (a raw 32- or
 *   64-byte seed in hex or base64 included);
 * - a raw Ed25519 seed, 32 or 64 bytes in hex or base64, after a key type
 *   (`ed25519 <seed>`, `ssh-ed25519:<seed>`);
 * - the base64 body of such a block without its header: text that decodes
 *   to `openssh-key-v1\0`, or to a DER sequence that opens with a version
 *   number (PKCS#1, SEC1 and PKCS#8 private keys do; public keys do not).
 *
 * Text escaped inside a JSON string (`\n` for a newline) or a GitHub
 * annotation (`%0A`) is recognised too, so `--json` and `--format github`
 * output is redacted the same way and stays valid.
 *
 * @module
 */

/** What stands in for a private key in printed text. */
export const REDACTED_PRIVATE_KEY =
  "[redacted: that is a private key; give its public key (.pub)]";

// Base64 characters, then the separators that may split a key's lines:
// whitespace, a newline, carriage return or tab escaped in a JSON string, or
// a line break escaped in a GitHub annotation (%0A).
const B64 = "[A-Za-z0-9+/]";
const SEPARATOR = String.raw`(?:\s|\\+[nrt]|%0[AD])+`;
const B64_RUN = `${B64}+={0,2}(?:${SEPARATOR}${B64}+={0,2})*`;
// Dashes optional: a header split into words, or half-copied, still counts.
// OpenPGP's armor says "PRIVATE KEY BLOCK".
const HEADER = String
  .raw`-*\s*BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?\s*-*`;
const FOOTER = String
  .raw`-{2,}\s*END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?\s*-{2,}`;
// Bounded, so that a long line of capitals cannot make the search quadratic.
const HEADER_RE = new RegExp(HEADER, "g");
const FOOTER_RE = new RegExp(FOOTER, "g");
// Without a footer: the separator and base64 lines (or hex seed) after it.
const TAIL_RE = new RegExp(`(?:${SEPARATOR})?(?:${B64_RUN})?`, "y");
// "openssh-key-v1\0" encoded from the start of a line: b3BlbnNzaC1rZXktdjEA.
const OPENSSH_MAGIC = "b3BlbnNzaC1rZXktdjE";
// An OpenSSH body wherever it starts, even glued to a path ("dir/b3Bl…") or
// to the "n" of an escaped newline ("\\nb3Bl…").
const OPENSSH_BODY = new RegExp(
  `${OPENSSH_MAGIC}${B64}*={0,2}(?:${SEPARATOR}${B64}+={0,2})*`,
  "g",
);
// A header-less DER body: a base64 run long enough to hold a key's first bytes.
const BODY = new RegExp(`${B64}{16,}={0,2}(?:${SEPARATOR}${B64}+={0,2})*`, "g");
// A raw Ed25519 seed (32 bytes) or seed and public key (64 bytes), in hex
// or base64, after a key type: "ed25519 <seed>", "ssh-ed25519:<seed>". A
// public key line ("ssh-ed25519 AAAAC3Nz…", 68 characters) is neither size.
const RAW_SEED = new RegExp(
  String
    .raw`((?:ssh-)?ed25519[:=\s]+)(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{64}|${B64}{86}(?:==)?|${B64}{43}=?)(?![A-Za-z0-9+/=])`,
  "gi",
);
// PuTTY's .ppk: the private half is the base64 after "Private-Lines: N".
const PPK_PRIVATE = new RegExp(
  String.raw`(Private-Lines:\s*\d+)(?:${SEPARATOR}${B64_RUN})?`,
  "g",
);
// A whole key file in base64, as CI secrets often hold one: it starts with
// the encoding of "-----BEGIN" ("LS0tLS1CRUdJTi"). Redacted when what it
// encodes names a private key.
const ENCODED_FILE = new RegExp(
  `LS0tLS1CRUdJTi${B64}*={0,2}(?:${SEPARATOR}${B64}+={0,2})*`,
  "g",
);
// Cheap tests that let text without any key pass untouched.
const MAYBE_ARMORED = /PRIVATE KEY/;
const MAYBE_DER = /(?:^|[^A-Za-z0-9+/])M[A-Za-z0-9+/]{15}/;

/**
 * Replaces every private key in a text by {@linkcode REDACTED_PRIVATE_KEY}.
 *
 * @param text Text about to be printed (a message, a report, JSON).
 * @returns The text, with nothing in it that reads as a private key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactPrivateKeys } from "./redact.ts";
 * // A key's frame, built so that no scanner takes this file for a key.
 * const [begin, end] = ["BEGIN", "END"].map((w) => `-----${w} OPENSSH PRIVATE KEY-----`);
 * const key = `${begin}\nb3BlbnNzaC1rZXktdjEAAAAA\n${end}`;
 * assert.equal(
 *   redactPrivateKeys(`Unknown option '${key}'`),
 *   "Unknown option '[redacted: that is a private key; give its public key (.pub)]'",
 * );
 * ```
 */
export function redactPrivateKeys(text: string): string {
  let result = text;
  if (MAYBE_ARMORED.test(result)) {
    result = redactArmored(result);
  }
  if (result.includes(OPENSSH_MAGIC)) {
    result = result.replace(OPENSSH_BODY, REDACTED_PRIVATE_KEY);
  }
  if (MAYBE_DER.test(result)) result = result.replace(BODY, redactBody);
  if (/ed25519/i.test(result)) {
    result = result.replace(RAW_SEED, `$1${REDACTED_PRIVATE_KEY}`);
  }
  if (result.includes("Private-Lines:")) {
    result = result.replace(PPK_PRIVATE, `$1 ${REDACTED_PRIVATE_KEY}`);
  }
  if (result.includes("LS0tLS1CRUdJTi")) {
    result = result.replace(ENCODED_FILE, redactEncodedFile);
  }
  return result;
}

// A base64 run that encodes "-----BEGIN …": redacted unless its header
// names something other than a private key (a certificate, a public key).
function redactEncodedFile(run: string): string {
  const start = run.replace(/[^A-Za-z0-9+/]/g, "").slice(0, 96);
  let header = "";
  try {
    header = atob(start.slice(0, start.length - (start.length % 4)));
  } catch {
    return REDACTED_PRIVATE_KEY;
  }
  return /^-----BEGIN (?:CERTIFICATE|PUBLIC KEY|SSH2 PUBLIC KEY)/.test(header)
    ? run
    : REDACTED_PRIVATE_KEY;
}

// Each header up to the first footer after it (so two keys stay two
// blocks), or, without one, the base64 lines after it. Footers are searched
// forward only, once each: linear however many headers there are.
function redactArmored(text: string): string {
  let out = "";
  let at = 0;
  let footer: RegExpExecArray | null | undefined;
  HEADER_RE.lastIndex = 0;
  for (let header; (header = HEADER_RE.exec(text)) !== null;) {
    const start = header.index;
    let end = start + header[0].length;
    if (footer !== null && (footer === undefined || footer.index < end)) {
      FOOTER_RE.lastIndex = end;
      footer = FOOTER_RE.exec(text);
    }
    if (footer) {
      end = footer.index + footer[0].length;
    } else {
      TAIL_RE.lastIndex = end;
      end += TAIL_RE.exec(text)?.[0].length ?? 0;
    }
    out += text.slice(at, start) + REDACTED_PRIVATE_KEY;
    at = end;
    HEADER_RE.lastIndex = end;
  }
  return out + text.slice(at);
}

// A run may join other words before the key's first line ("AAAA… MIIE…"):
// the key starts at the first chunk from which the rest reads as one.
function redactBody(run: string): string {
  const chunk = new RegExp(`${B64}+={0,2}`, "g");
  for (const match of run.matchAll(chunk)) {
    // Only the first 12 characters matter: a bounded slice keeps a long run
    // of ordinary words linear.
    if (
      match[0].startsWith("M") &&
      isPrivateKeyBody(run.slice(match.index, match.index + 256))
    ) {
      return run.slice(0, match.index) + REDACTED_PRIVATE_KEY;
    }
  }
  return run;
}

/**
 * Whether a base64 run, once its separators are removed, starts with the
 * bytes of a DER private key.
 */
function isPrivateKeyBody(run: string): boolean {
  const compact = run.replace(new RegExp(SEPARATOR, "g"), "");
  if (!compact.startsWith("M")) return false;
  let bytes: number[];
  try {
    bytes = [...atob(compact.slice(0, 12))].map((c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  return isDerPrivateKeyStart(bytes);
}

// SEQUENCE (short or long length) then INTEGER of one byte 0 or 1: the
// version that opens PKCS#1 (RSA), SEC1 (EC) and PKCS#8 private keys. A
// public key's SubjectPublicKeyInfo opens with a nested SEQUENCE instead.
function isDerPrivateKeyStart(bytes: readonly number[]): boolean {
  if (bytes[0] !== 0x30 || bytes[1] === undefined) return false;
  const lengthBytes = bytes[1] < 0x80 ? 0 : bytes[1] - 0x80;
  if (lengthBytes > 2) return false;
  const at = 2 + lengthBytes;
  return bytes[at] === 0x02 && bytes[at + 1] === 0x01 &&
    (bytes[at + 2] === 0x00 || bytes[at + 2] === 0x01);
}
