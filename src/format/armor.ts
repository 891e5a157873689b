/**
 * The PEM-like armor that OpenSSH puts around private keys and SSHSIG
 * signatures: a begin line, base64 in lines of {@linkcode ARMOR_LINE_WIDTH}
 * characters, an end line. Reading accepts exactly the layout ssh-keygen
 * writes, so each blob has one armored form.
 *
 * @module
 */

import { ARMOR_LINE_WIDTH } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { quote } from "./quote.ts";

/**
 * Armors bytes exactly as ssh-keygen does.
 *
 * @param bytes The blob.
 * @param begin The begin line, e.g. `-----BEGIN SSH SIGNATURE-----`.
 * @param end The end line, e.g. `-----END SSH SIGNATURE-----`.
 * @returns The begin line, the base64 lines and the end line, each followed by "\n".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { armor } from "./armor.ts";
 * const text = armor(new Uint8Array([1, 2, 3]), "-----BEGIN X-----", "-----END X-----");
 * assert.ok(text === "-----BEGIN X-----\nAQID\n-----END X-----\n");
 * ```
 */
export function armor(bytes: Uint8Array, begin: string, end: string): string {
  const base64 = encodeBase64(bytes);
  const lines = [begin];
  for (let at = 0; at < base64.length; at += ARMOR_LINE_WIDTH) {
    lines.push(base64.slice(at, at + ARMOR_LINE_WIDTH));
  }
  lines.push(end);
  return lines.join("\n") + "\n";
}

/**
 * Removes the armor from a file's text, strictly: the begin line, base64
 * lines of {@linkcode ARMOR_LINE_WIDTH} characters (the last one may be
 * shorter), the end line, then at most one "\n". No CR, blank line or
 * whitespace is tolerated.
 *
 * @param text The file's whole text.
 * @param begin The expected begin line.
 * @param end The expected end line.
 * @param source The file's path, named in errors.
 * @returns The decoded blob.
 * @throws {ToolError} `INVALID_FORMAT` when the text is not laid out exactly so.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dearmor } from "./armor.ts";
 * const text = "-----BEGIN X-----\nAQID\n-----END X-----\n";
 * const bytes = dearmor(text, "-----BEGIN X-----", "-----END X-----", "x.txt");
 * assert.ok(bytes.join() === "1,2,3");
 * ```
 */
export function dearmor(
  text: string,
  begin: string,
  end: string,
  source: string,
): Uint8Array {
  const fail = (detail: string): never => {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid armor in "${source}": ${detail}`,
    );
  };
  if (text.includes("\r")) {
    fail(
      "it has a carriage return; CRLF line endings are not accepted (check git's core.autocrlf)",
    );
  }
  const lines = (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
  if (lines[0] !== begin) {
    fail(`line 1 is ${describeLine(lines[0] ?? "")}, expected "${begin}"`);
  }
  const last = lines.length - 1;
  if (last < 1 || lines[last] !== end) {
    fail(
      `the last line is ${describeLine(lines[last] ?? "")}, expected "${end}"`,
    );
  }
  const body = lines.slice(1, last);
  if (body.length === 0) {
    fail(`there is no base64 between "${begin}" and "${end}"`);
  }
  body.forEach((line, i) => {
    const isLast = i === body.length - 1;
    const ok = isLast
      ? line.length >= 1 && line.length <= ARMOR_LINE_WIDTH
      : line.length === ARMOR_LINE_WIDTH;
    if (!ok) {
      fail(
        `line ${i + 2} has ${line.length} characters, expected ${
          isLast ? `1 to ${ARMOR_LINE_WIDTH}` : ARMOR_LINE_WIDTH
        }`,
      );
    }
  });
  return decodeBase64(body.join(""), `armored file "${source}"`);
}

/**
 * A line for an error message without its content, unless it is an armor
 * header or footer: armored files include private keys, and a file cut
 * short ends in a line of key material that must not reach a log.
 */
function describeLine(line: string): string {
  return /^-----(BEGIN|END) [A-Z0-9 ]{1,40}-----$/.test(line)
    ? quote(line)
    : `a line of ${line.length} characters`;
}
