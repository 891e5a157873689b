/**
 * The signed statement: a few lines of text that bind everything a verifier
 * relies on. The SSHSIG signature covers these exact bytes, so nothing a
 * verifier trusts lives outside them. Layout (docs/FORMAT.md, "Statement"):
 *
 * ```text
 * mcp-orchestration-statement v2
 * repository 6f1c0a3e9b2d4c8e7a5f1b3d9c0e2a4b
 * path .cursor/mcp.json
 * artifact 8e91a062ff85a4180e571fd3821941aafa1b41d582582275aec426dae657c6de
 * size 412
 * signer SHA256:uOSmM4zP1b0f3lq0mW2pQ0hWbZ1sX3Ns2cB7s5e1aKc
 * signed-at 2026-11-24T10:00:00Z
 * sequence 2
 * previous 3f0c…(64 hex digits)[ 9a1b…] | none
 * ```
 *
 * Every line is `name SP value LF`, in this order, with nothing else: one
 * statement has exactly one byte encoding. Version 3 is version 2 with one
 * `file <sha-256> <path>` line per repository file the config's servers
 * run, sorted by path, after `size`; it is written only when there is at
 * least one (docs/FORMAT.md, "Server files"). Version 1 (still read, for
 * history from before repositories had an id) has no `repository` line and
 * exactly one artifact, or `none`, after `previous`.
 *
 * @module
 */

import {
  ID_PATTERN,
  KEY_ID_PREFIX,
  MAX_METADATA_BYTES,
  MAX_PREVIOUS,
  MAX_SEQUENCE,
  MAX_SERVER_FILES,
  REPOSITORY_ID_PATTERN,
  STATEMENT_HEADER,
  STATEMENT_HEADER_V1,
  STATEMENT_HEADER_V3,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { splitStrictLines } from "../format/lines.ts";

/** What a signer asserts about one version of one config. */
export interface Statement {
  /**
   * The format version: 2 names the repository it was signed for; 1 (from
   * before repositories had an id) does not; 3 is 2 with the files its
   * servers run (at least one).
   */
  version: 1 | 2 | 3;
  /** The repository id it was signed for (version 2 or 3), or `null` (version 1). */
  repository: string | null;
  /** Repository-relative, "/"-separated path of the config. */
  path: string;
  /** SHA-256 (hex) of the config's exact bytes. */
  artifact: string;
  /** The config's length in bytes. */
  size: number;
  /**
   * The repository files the config's servers run, each with the SHA-256
   * (hex) of its bytes as Git stores them, sorted by path and distinct;
   * empty before version 3, never empty in version 3. Absent means empty.
   */
  files?: readonly ServerFileId[];
  /** The signer's key id (`SHA256:…`), which must match the signature's key. */
  signer: string;
  /** When it was signed, UTC, whole seconds. */
  signedAt: Date;
  /**
   * 1 for the first signed version of this path, then more than each
   * version it follows; at most {@linkcode MAX_SEQUENCE}.
   */
  sequence: number;
  /**
   * The artifact ids of the versions this one follows, sorted and distinct:
   * none for the first version, one for an ordinary change, one per side
   * for a merge that changed the config on both sides (version 2 only).
   */
  previous: readonly string[];
}

/** One file a config's servers run, as a statement names it. */
export interface ServerFileId {
  /** Repository-relative path, as statements write paths. */
  path: string;
  /** SHA-256 (hex) of its bytes. */
  sha256: string;
}

const FIELDS_V1 = [
  "path",
  "artifact",
  "size",
  "signer",
  "signed-at",
  "sequence",
  "previous",
] as const;
const FIELDS_V2 = ["repository", ...FIELDS_V1] as const;
const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,15})$/;
const KEY_ID_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;
const MAX_PATH_LENGTH = 4096;

/**
 * Encodes a statement in its one canonical byte form.
 *
 * @param statement The statement.
 * @returns Its UTF-8 bytes.
 * @throws {ToolError} `INVALID_FORMAT` when a field cannot be encoded (e.g. a
 * path with a control character, unsorted `previous` ids).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStatement, parseStatement, type Statement } from "./statement.ts";
 * const statement: Statement = {
 *   version: 2,
 *   repository: "0".repeat(32),
 *   path: ".mcp.json",
 *   artifact: "a".repeat(64),
 *   size: 2,
 *   signer: "SHA256:" + "A".repeat(43),
 *   signedAt: new Date("2026-11-24T10:00:00Z"),
 *   sequence: 1,
 *   previous: [],
 * };
 * const bytes = formatStatement(statement);
 * assert.deepEqual(parseStatement(bytes, "example"), statement);
 * ```
 */
export function formatStatement(statement: Statement): Uint8Array {
  const problem = pathProblem(statement.path);
  if (problem) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot sign "${statement.path}": the path ${problem}`,
    );
  }
  const lines = statement.version === 1 ? [STATEMENT_HEADER_V1] : [
    statement.version === 3 ? STATEMENT_HEADER_V3 : STATEMENT_HEADER,
    `repository ${statement.repository}`,
  ];
  const text = [
    ...lines,
    `path ${statement.path}`,
    `artifact ${statement.artifact}`,
    `size ${statement.size}`,
    ...(statement.files ?? []).map((file) =>
      `file ${file.sha256} ${file.path}`
    ),
    `signer ${statement.signer}`,
    `signed-at ${formatTime(statement.signedAt)}`,
    `sequence ${statement.sequence}`,
    `previous ${
      statement.previous.length === 0 ? "none" : statement.previous.join(" ")
    }`,
    "",
  ].join("\n");
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > MAX_METADATA_BYTES) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot sign "${statement.path}": its statement would be ${bytes.length} bytes, over the limit of ${MAX_METADATA_BYTES} (too many or too long server file paths)`,
    );
  }
  // Parsing what we just wrote enforces every field rule in one place.
  parseStatement(bytes, `statement for "${statement.path}"`);
  return bytes;
}

/**
 * Parses a statement strictly: header, field names and order, each value's
 * syntax, and the final newline; nothing else is accepted.
 *
 * @param bytes The statement file's bytes.
 * @param source Where they came from, for errors.
 * @returns The statement.
 * @throws {ToolError} `INVALID_FORMAT` naming the line and the problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStatement } from "./statement.ts";
 * try {
 *   parseStatement(new TextEncoder().encode("hello\n"), "x");
 * } catch (error) {
 *   assert.ok((error as { code?: string }).code === "INVALID_FORMAT");
 * }
 * ```
 */
export function parseStatement(bytes: Uint8Array, source: string): Statement {
  const fail = (detail: string): never => {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid statement "${source}": ${detail}`,
    );
  };
  const all = splitStrictLines(bytes, fail);
  const version = parseVersion(all[0], fail);
  // Version 3's file lines sit after "size": taken out here, so the fixed
  // fields are read as in version 2.
  const { lines, files } = takeFiles(all, version, fail);
  const field = readFields(lines, version, fail);
  // Each group checks its fields in line order, so the first bad line is
  // the one reported.
  const subject = parseSubject(field, version, fail);
  const signing = parseSigning(field, fail);
  const chain = parseChain(field, version, fail);
  const statement: Statement = { version, ...subject, ...signing, ...chain };
  if (version === 3) statement.files = files;
  return statement;
}

// The index of the "size" line (0-based, header included).
const SIZE_LINE = 4;

function takeFiles(
  all: string[],
  version: 1 | 2 | 3,
  fail: Fail,
): { lines: string[]; files: ServerFileId[] } {
  if (version !== 3) return { lines: all, files: [] };
  let end = SIZE_LINE + 1;
  while (all[end]?.startsWith("file ")) end++;
  const files = all.slice(SIZE_LINE + 1, end).map((line, i) =>
    parseFileLine(line, SIZE_LINE + 2 + i, fail)
  );
  if (files.length === 0) {
    fail(
      `line ${
        SIZE_LINE + 2
      } must start with "file " (version 3 names at least one file)`,
    );
  }
  if (files.length > MAX_SERVER_FILES) {
    fail(`names more than ${MAX_SERVER_FILES} files`);
  }
  for (let i = 1; i < files.length; i++) {
    if (files[i - 1]!.path >= files[i]!.path) {
      fail("file lines must be sorted by path and distinct");
    }
  }
  return {
    lines: [...all.slice(0, SIZE_LINE + 1), ...all.slice(end)],
    files,
  };
}

function parseFileLine(line: string, number: number, fail: Fail): ServerFileId {
  const match = /^file ([0-9a-f]{64}) (.*)$/s.exec(line);
  if (!match) {
    fail(`line ${number} must be "file", 64 lowercase hex digits and a path`);
  }
  const path = match![2]!;
  const problem = pathProblem(path);
  if (problem) fail(`line ${number}: the path "${path}" ${problem}`);
  return { sha256: match![1]!, path };
}

type Fail = (detail: string) => never;
type Field = (name: string) => string;

function parseVersion(header: string | undefined, fail: Fail): 1 | 2 | 3 {
  return header === STATEMENT_HEADER
    ? 2
    : header === STATEMENT_HEADER_V3
    ? 3
    : header === STATEMENT_HEADER_V1
    ? 1
    : fail(
      `line 1 must be "${STATEMENT_HEADER}"${
        header?.startsWith("mcp-orchestration-statement ")
          ? " (an unsupported version)"
          : ""
      }`,
    );
}

// Checks the line count and each line's field name; returns a lookup of
// the values.
function readFields(lines: string[], version: 1 | 2 | 3, fail: Fail): Field {
  const fields = version === 1 ? FIELDS_V1 : FIELDS_V2;
  if (lines.length !== fields.length + 1) {
    fail(`expected ${fields.length + 1} lines, found ${lines.length}`);
  }
  const values = new Map<string, string>();
  fields.forEach((name, i) => {
    const line = lines[i + 1] ?? "";
    if (!line.startsWith(`${name} `)) {
      fail(`line ${i + 2} must start with "${name} "`);
    }
    values.set(name, line.slice(name.length + 1));
  });
  return (name) => values.get(name) ?? "";
}

// What was signed: repository, path, artifact and size.
function parseSubject(
  field: Field,
  version: 1 | 2 | 3,
  fail: Fail,
): Pick<Statement, "repository" | "path" | "artifact" | "size"> {
  const repository = version === 1 ? null : field("repository");
  if (repository !== null && !REPOSITORY_ID_PATTERN.test(repository)) {
    fail("repository must be 32 lowercase hex digits");
  }
  const path = field("path");
  const problem = pathProblem(path);
  if (problem) fail(`path "${path}" ${problem}`);
  const artifact = field("artifact");
  if (!ID_PATTERN.test(artifact)) {
    fail("artifact must be 64 lowercase hex digits");
  }
  const size = field("size");
  if (!DECIMAL_PATTERN.test(size) || !Number.isSafeInteger(Number(size))) {
    fail("size must be a decimal number without leading zeros");
  }
  return { repository, path, artifact, size: Number(size) };
}

// Who signed, and when.
function parseSigning(
  field: Field,
  fail: Fail,
): Pick<Statement, "signer" | "signedAt"> {
  const signer = field("signer");
  if (!KEY_ID_PATTERN.test(signer)) {
    fail(
      `signer must be a key id like "${KEY_ID_PREFIX}…" (43 base64 characters)`,
    );
  }
  const signedAt = field("signed-at");
  const time = parseTime(signedAt);
  if (!time) {
    fail(
      `signed-at "${signedAt}" must be a UTC time like "2026-11-24T10:00:00Z"`,
    );
  }
  return { signer, signedAt: time as Date };
}

// Where this version sits in the path's history: sequence and previous.
function parseChain(
  field: Field,
  version: 1 | 2 | 3,
  fail: Fail,
): Pick<Statement, "sequence" | "previous"> {
  const sequence = field("sequence");
  if (
    !DECIMAL_PATTERN.test(sequence) || sequence === "0" ||
    Number(sequence) > MAX_SEQUENCE
  ) {
    fail(`sequence must be a whole number from 1 to ${MAX_SEQUENCE}`);
  }
  const previous = parsePrevious(field("previous"), version, fail);
  if ((Number(sequence) === 1) !== (previous.length === 0)) {
    fail(`previous must be "none" exactly when sequence is 1`);
  }
  return { sequence: Number(sequence), previous };
}

function parsePrevious(
  text: string,
  version: 1 | 2 | 3,
  fail: Fail,
): string[] {
  if (text === "none") return [];
  const ids = text.split(" ");
  if (!ids.every((id) => ID_PATTERN.test(id))) {
    fail(
      version === 1
        ? `previous must be "none" or 64 lowercase hex digits`
        : `previous must be "none" or artifact ids (64 lowercase hex digits) separated by single spaces`,
    );
  }
  if (version === 1 && ids.length !== 1) {
    fail("a version 1 statement names one previous artifact");
  }
  if (ids.length > MAX_PREVIOUS) {
    fail(`previous names more than ${MAX_PREVIOUS} artifacts`);
  }
  // Sorted and distinct: one set of versions has one spelling.
  for (let i = 1; i < ids.length; i++) {
    if (ids[i - 1]! >= ids[i]!) {
      fail("previous artifact ids must be sorted and distinct");
    }
  }
  return ids;
}

/**
 * Tells why a repository-relative path cannot appear in a statement or the
 * index, or returns `undefined` when it can.
 *
 * @param path A candidate path.
 * @returns A reason such as "contains a control character", or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathProblem } from "./statement.ts";
 * assert.ok(pathProblem(".mcp.json") === undefined);
 * assert.ok(pathProblem("../x") !== undefined);
 * ```
 */
export function pathProblem(path: string): string | undefined {
  if (path === "") return "is empty";
  if (path.length > MAX_PATH_LENGTH) {
    return `is longer than ${MAX_PATH_LENGTH} characters`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return "contains a control character";
  if (path.includes("\\")) return "contains a backslash";
  if (path.startsWith("/")) return "is absolute";
  if (
    path.split("/").some((part) => part === "" || part === "." || part === "..")
  ) {
    return `has an empty, "." or ".." segment`;
  }
  return undefined;
}

/**
 * Formats a time as the statement writes it: UTC, whole seconds.
 *
 * @param time A time.
 * @returns e.g. `2026-11-24T10:00:00Z`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTime } from "./statement.ts";
 * assert.ok(formatTime(new Date(Date.UTC(2026, 10, 24, 10))) === "2026-11-24T10:00:00Z");
 * ```
 */
export function formatTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function parseTime(text: string): Date | undefined {
  const match = TIME_PATTERN.exec(text);
  if (!match) return undefined;
  const time = new Date(text);
  // Date accepts "2026-02-30" by rolling over; the round trip refuses it.
  return Number.isNaN(time.getTime()) || formatTime(time) !== text
    ? undefined
    : time;
}
