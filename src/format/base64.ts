/**
 * Standard, padded base64 (RFC 4648 §4), decoded canonically: every byte
 * string has exactly one accepted encoding, so no changed character of a key
 * or signature file can decode to the same bytes.
 *
 * @module
 */

import { ToolError } from "../errors.ts";

const BASE64_PATTERN =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// btoa and String.fromCharCode take arguments on the stack; chunks keep them small.
const CHUNK = 0x8000;

/**
 * Encodes bytes as standard, padded base64.
 *
 * @param bytes The bytes.
 * @returns Their base64 text, without line breaks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeBase64 } from "./base64.ts";
 * assert.ok(encodeBase64(new TextEncoder().encode("hi")) === "aGk=");
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let at = 0; at < bytes.length; at += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(at, at + CHUNK));
  }
  return btoa(binary);
}

/**
 * Decodes canonical standard base64: correct padding, zero unused bits, no
 * whitespace, no URL-safe characters.
 *
 * @param text The base64 text.
 * @param what What the text is (e.g. `public key "a.pub"`), for errors.
 * @returns The decoded bytes.
 * @throws {ToolError} `INVALID_FORMAT` when the text is not canonical base64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeBase64 } from "./base64.ts";
 * assert.ok(decodeBase64("aGk=", "greeting").length === 2);
 * ```
 */
export function decodeBase64(text: string, what: string): Uint8Array {
  if (!BASE64_PATTERN.test(text)) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid base64 in ${what}: only standard, padded base64 without whitespace is accepted`,
    );
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // The pattern cannot see unused low bits in the last character ("aGl=" vs
  // "aGk="): they must be zero, so each byte string has one encoding.
  if (unusedBits(text) !== 0) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid base64 in ${what}: the last character has non-zero unused bits`,
    );
  }
  return bytes;
}

const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The bits of the last data character that encode no byte: the low four
// before "==", the low two before "=", none without padding.
function unusedBits(text: string): number {
  if (text.endsWith("==")) return ALPHABET.indexOf(text.at(-3)!) & 0x0f;
  if (text.endsWith("=")) return ALPHABET.indexOf(text.at(-2)!) & 0x03;
  return 0;
}
