/**
 * The one way a statement is read from a store: read its bytes (and its
 * signature), check that they hash to the statement's name (the content
 * address), and parse both strictly. A store file that does not hash to its
 * name is MALFORMED wherever it is read, so that no sequence, chain or
 * display rests on bytes nobody checked.
 *
 * @module
 */

import {
  MAX_CONFIG_BYTES,
  MAX_METADATA_BYTES,
  MAX_SERVER_FILE_BYTES,
} from "../constants.ts";
import { isTrustFile, type Policy, requirementFor } from "../trust/policy.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { sha256Hex } from "../crypto/sha.ts";
import { parseSshSignature } from "../format/sshsig.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import { VerificationError } from "./errors.ts";
import type {
  CheckedStatement,
  SignedConfig,
  SignedStatement,
  StoredApproval,
  StoredArtifact,
  StoredServerFile,
} from "./signed_config.ts";
import { approvalPath, keyHexOf } from "../store/approvals.ts";
import type { StoreIndex } from "../store/index_file.ts";
import { parseStatement } from "../store/statement.ts";
import {
  artifactPath,
  readStatement,
  signaturePath,
  statementPath,
} from "../store/store.ts";
import type { StoreReader } from "../source/store_reader.ts";
import {
  BUILTIN_CONFIG_KINDS,
  findConfigKind,
} from "../configs/config_kinds.ts";
import { bareCommands, envFiles, namedPaths } from "../configs/server_files.ts";
import { parseConfig } from "../configs/validate_config.ts";
import { canonicalFolder, canonicalPath } from "./verify_server_names.ts";

/**
 * Loads a statement without parsing its signature (for chaining and display,
 * where the signature was checked already or is shown as it is).
 *
 * @param reader Where to read.
 * @param id The statement id.
 * @returns The checked statement, or undefined when its file is absent.
 * @throws {VerificationError} `MALFORMED` when the file cannot be read, does
 * not hash to its name, or does not parse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadStatement } from "./load_signed.ts";
 * const none = await loadStatement({ read: () => Promise.resolve(undefined) }, "c".repeat(64));
 * assert.ok(none === undefined);
 * ```
 */
export async function loadStatement(
  reader: StoreReader,
  id: string,
): Promise<CheckedStatement | undefined> {
  return await load(reader, id, false);
}

/**
 * Loads a statement and its signature.
 *
 * @param reader Where to read.
 * @param id The statement id.
 * @returns The checked statement and signature, or undefined when the
 * statement file is absent.
 * @throws {VerificationError} `MALFORMED` when either file cannot be read,
 * the statement does not hash to its name, the signature is missing, or
 * either does not parse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSigned } from "./load_signed.ts";
 * const none = await loadSigned({ read: () => Promise.resolve(undefined) }, "c".repeat(64));
 * assert.ok(none === undefined);
 * ```
 */
export async function loadSigned(
  reader: StoreReader,
  id: string,
): Promise<SignedStatement | undefined> {
  return await load(reader, id, true);
}

/** What {@linkcode loadSignedConfig} reads a config's signature from. */
export interface LoadContext {
  /** Where the store's files are read from. */
  reader: StoreReader;
  /** The index (path → statement id). */
  index: StoreIndex;
  /** The trusted signers, or undefined when the repository has none. */
  trust: AllowedSigners | undefined;
  /**
   * The repository id statements must name; by default the trust list's
   * (`trust.repository`). Set apart from `trust` when a new trust list is
   * checked against the list before it: the approval comes from the old
   * list, the binding from the new one.
   */
  repository?: string | undefined;
  /**
   * The 32-byte public keys whose approvals of the statement to read
   * (`approvals/<statement id>/<key hex>.sig`, docs/FORMAT.md "Approvals"):
   * the keys that could count towards its threshold. Absent: none are read
   * and `SignedConfig.approvals` stays undefined.
   */
  approvers?: readonly Uint8Array[];
  /** The verification time. */
  now: Date;
  /**
   * The repository's policy (undefined: none, and one trusted signature is
   * enough): each config then carries its rule's requirement and the
   * approvals of the keys that could count for it.
   */
  policy?: Policy | undefined;
  /**
   * Set when a trust file's change is judged (against the list and policy
   * before it): its policy's "trust" rule then applies. Otherwise a trust
   * file needs one trusted signature, as its changes were judged already.
   */
  judgeTrustChange?: boolean;
}

/**
 * Loads everything that decides whether one config verifies: the statement
 * the index names, its signature, and the stored artifact.
 *
 * @param context Index, trust list, store reader and time.
 * @param path The config's repository-relative path.
 * @param bytes The config's bytes as they are now.
 * @returns The signed config, for the pure verifier.
 * @throws {VerificationError} `UNSIGNED` when the index names no statement,
 * `MALFORMED` when the statement or its signature is missing or damaged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSignedConfig } from "./load_signed.ts";
 * const context = { reader: { read: () => Promise.resolve(undefined) }, index: new Map(), trust: undefined, now: new Date() };
 * await assert.rejects(loadSignedConfig(context, ".mcp.json", new Uint8Array()), { code: "UNSIGNED" });
 * ```
 */
export async function loadSignedConfig(
  context: LoadContext,
  path: string,
  bytes: Uint8Array,
): Promise<SignedConfig> {
  const id = context.index.get(path);
  if (!id) {
    throw new VerificationError(
      "UNSIGNED",
      `"${path}" has no signed statement: sign it with "mcp-orchestration sign"`,
    );
  }
  const signed = await loadSigned(context.reader, id);
  if (!signed) {
    throw new VerificationError(
      "MALFORMED",
      `the statement "${id}" that the signature index names is missing`,
    );
  }
  return {
    path,
    bytes,
    signed,
    artifact: await readArtifact(context.reader, signed.statement.artifact),
    files: await readServerFiles(context.reader, signed.statement.files ?? []),
    ...await serverSurroundings(
      context.reader,
      path,
      bytes,
      signed.statement.files ?? [],
    ),
    ...(context.approvers ||
        (context.policy && (context.judgeTrustChange || !isTrustFile(path)))
      ? await approvalsFor(context, path, signed)
      : {}),
    trust: context.trust,
    repository: "repository" in context
      ? context.repository
      : context.trust?.repository,
    now: context.now,
  };
}

/**
 * Turns a loader's failure into the error a command reports, naming what
 * could not be done; any other error passes through unchanged.
 *
 * @param error What the loader threw.
 * @param what What could not be done, e.g. `Cannot sign ".mcp.json"`.
 * @returns A `ToolError` (`INVALID_FORMAT`) for a loader failure, else `error`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VerificationError } from "./errors.ts";
 * import { loadFailure } from "./load_signed.ts";
 * const error = loadFailure(new VerificationError("MALFORMED", "bad"), "Cannot show it");
 * assert.ok((error as Error).message === "Cannot show it: bad");
 * ```
 */
export function loadFailure(error: unknown, what: string): unknown {
  if (!(error instanceof VerificationError)) return error;
  return new ToolError("INVALID_FORMAT", `${what}: ${error.message}`, {
    cause: error,
  });
}

async function load(
  reader: StoreReader,
  id: string,
  withSignature: true,
): Promise<SignedStatement | undefined>;
async function load(
  reader: StoreReader,
  id: string,
  withSignature: false,
): Promise<CheckedStatement | undefined>;
async function load(
  reader: StoreReader,
  id: string,
  withSignature: boolean,
): Promise<CheckedStatement | SignedStatement | undefined> {
  try {
    const stored = await readStatement(reader, id);
    if (!stored) return undefined;
    if (await sha256Hex(stored.bytes) !== id) {
      throw new VerificationError(
        "MALFORMED",
        `the statement file "${statementPath(id)}" does not hash to its name`,
      );
    }
    const statement = parseStatement(stored.bytes, statementPath(id));
    const checked = { id, bytes: stored.bytes, statement };
    if (!withSignature) {
      return { ...checked, signatureText: stored.signature };
    }
    if (stored.signature === undefined) {
      throw new VerificationError(
        "MALFORMED",
        `the signature "${signaturePath(id)}" is missing`,
      );
    }
    return {
      ...checked,
      signatureText: stored.signature,
      signature: parseSshSignature(stored.signature, signaturePath(id)),
    };
  } catch (error) {
    if (error instanceof VerificationError) throw error;
    throw new VerificationError("MALFORMED", errorMessage(error), {
      cause: error,
    });
  }
}

// Each approver's file, probed by name (a key that approved nothing has
// none): a reader that remembers what it read (history verification) then
// ties the result to exactly these paths, present or absent. An approval
// that cannot be read (a link, too large, not UTF-8) makes the statement
// MALFORMED, as its own signature would.
async function readApprovals(
  reader: StoreReader,
  id: string,
  approvers: readonly Uint8Array[],
): Promise<StoredApproval[]> {
  const hexes = new Set<string>();
  for (const key of approvers) hexes.add(await keyHexOf(key));
  const found: StoredApproval[] = [];
  for (const keyHex of [...hexes].sort()) {
    const path = approvalPath(id, keyHex);
    let bytes: Uint8Array | undefined;
    let signatureText: string;
    try {
      bytes = await reader.read(path, MAX_METADATA_BYTES);
      if (!bytes) continue;
      signatureText = new TextDecoder("utf-8", {
        fatal: true,
        ignoreBOM: true,
      }).decode(bytes);
    } catch (error) {
      throw new VerificationError(
        "MALFORMED",
        error instanceof TypeError
          ? `the approval "${path}" is not valid UTF-8`
          : errorMessage(error),
        { cause: error },
      );
    }
    found.push({ path, keyHex, signatureText });
  }
  return found;
}

async function readArtifact(
  reader: StoreReader,
  id: string,
): Promise<StoredArtifact> {
  try {
    const bytes = await reader.read(artifactPath(id), MAX_CONFIG_BYTES);
    return bytes ? { status: "present", bytes } : { status: "missing" };
  } catch (error) {
    return { status: "unreadable", reason: errorMessage(error) };
  }
}

// The files the servers run, read where the config is: a change to one of
// them changes what the config starts.
async function readServerFiles(
  reader: StoreReader,
  files: readonly { path: string }[],
): Promise<Map<string, StoredServerFile>> {
  const found = new Map<string, StoredServerFile>();
  for (const { path } of files) {
    try {
      const bytes = await reader.read(path, MAX_SERVER_FILE_BYTES);
      found.set(
        path,
        bytes ? { status: "present", bytes } : { status: "missing" },
      );
    } catch (error) {
      found.set(path, { status: "unreadable", reason: errorMessage(error) });
    }
  }
  return found;
}

// The paths in the folders of the server files, of the commands the
// servers start by bare name and of the environment files they load, and
// those commands and files, for the checks on names around them
// (verify_server_names.ts looks at nothing else); nothing when the reader
// cannot list (a config that does not parse starts nothing the verifier can
// tell).
async function serverSurroundings(
  reader: StoreReader,
  path: string,
  bytes: Uint8Array,
  files: readonly { path: string }[],
): Promise<
  Pick<SignedConfig, "paths" | "bareCommands" | "envFiles" | "named">
> {
  if (!reader.list && !reader.listIn) return {};
  const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS);
  const root = kind
    ? await parseConfig(path, bytes, { format: kind.format })
      .catch(() => undefined)
    : undefined;
  const commands = kind && root ? bareCommands(path, root, kind) : undefined;
  const loaded = kind && root ? envFiles(path, root, kind) : [];
  const named = kind && root ? namedPaths(path, root, kind) : [];
  const folders = new Set([
    ...files.map((file) => canonicalFolder(file.path)),
    ...(commands ?? []).map((command) => canonicalPath(command.folder)),
    ...loaded.map((file) => canonicalFolder(file.path)),
    ...named.flatMap((name) => namedFolders(name)),
  ]);
  // A glob with a wildcard before its last segment ("lib/**/*.jar") names
  // files at any depth below its fixed folder: all of them are listed.
  const below = new Set(named.flatMap((name) => deepGlobFolder(name)));
  const inside = (folder: string) =>
    [...below].some((top) =>
      top === "" || folder === top || folder.startsWith(`${top}/`)
    );
  const paths = folders.size === 0 && below.size === 0
    ? []
    : reader.listIn
    ? await reader.listIn(folders, below)
    : listedIn(
      await reader.list!(),
      folders,
      below.size > 0 ? inside : undefined,
    );
  return {
    paths,
    ...(commands ? { bareCommands: commands } : {}),
    ...(loaded.length > 0 ? { envFiles: loaded } : {}),
    ...(named.length > 0 ? { named } : {}),
  };
}

// The paths of a listing whose canonical folder is one of `folders`, or
// (with `inside`) one it accepts, in the listing's order: what filtering
// the listing gives, through an index of it by canonical folder made once
// per listing (an array never changed once listed). Filtering the whole
// listing for each config made verifying N configs cost N × N names made
// canonical.
function listedIn(
  listing: readonly { path: string }[],
  folders: ReadonlySet<string>,
  inside: ((folder: string) => boolean) | undefined,
): string[] {
  let index = listingFolders.get(listing);
  if (index === undefined) {
    index = new Map();
    listing.forEach((entry, at) => {
      const folder = canonicalFolder(entry.path);
      const ats = index!.get(folder);
      if (ats) ats.push(at);
      else index!.set(folder, [at]);
    });
    listingFolders.set(listing, index);
  }
  const picked: number[] = [];
  const pick = (ats: readonly number[] | undefined) => {
    for (const at of ats ?? []) picked.push(at);
  };
  if (inside) {
    for (const [folder, ats] of index) {
      if (folders.has(folder) || inside(folder)) pick(ats);
    }
  } else {
    for (const folder of folders) pick(index.get(folder));
  }
  return picked.sort((a, b) => a - b).map((at) => listing[at]!.path);
}

// Per listing, the positions of its entries by canonical folder.
const listingFolders = new WeakMap<
  readonly { path: string }[],
  Map<string, number[]>
>();

// The canonical folders whose listing shows what a named path is: its own
// folder, itself when a word names it as a path (a folder's files), and
// for a glob the folder before its first wildcard.
function namedFolders(
  name: { path: string; folder: boolean; glob: boolean },
): string[] {
  if (name.glob) {
    const segments = name.path.split("/");
    const at = segments.findIndex((segment) => /[*?[{]/.test(segment));
    return [canonicalPath(segments.slice(0, Math.max(0, at)).join("/"))];
  }
  return name.folder
    ? [canonicalFolder(name.path), canonicalPath(name.path)]
    : [canonicalFolder(name.path)];
}

// The fixed folder of a glob whose wildcard is not in its last segment
// (`lib/**/*.jar`, `srv/*/main.py`), whose files may be at any depth below.
function deepGlobFolder(
  name: { path: string; glob: boolean },
): string[] {
  if (!name.glob) return [];
  const segments = name.path.split("/");
  const at = segments.findIndex((segment) => /[*?[{]/.test(segment));
  if (at < 0 || at === segments.length - 1) return [];
  return [canonicalPath(segments.slice(0, at).join("/"))];
}

// What the policy asks of a path, and the approval files of the keys that
// could count for it: the keys of the rule's principals (any listed key when
// the rule takes any principal), the statement's own signer aside; or the
// keys the caller names. Probed by name, so that nothing else is read.
async function approvalsFor(
  context: LoadContext,
  path: string,
  signed: SignedStatement,
): Promise<Pick<SignedConfig, "requirement" | "approvals">> {
  const requirement = context.policy
    ? requirementFor(context.policy, path)
    : undefined;
  const eligible = requirement?.eligible ?? "any";
  const keys = context.approvers ??
    (context.trust?.entries ?? []).filter((entry) =>
      entry.key !== undefined && entry.keyId !== signed.statement.signer &&
      (eligible === "any" ||
        entry.principals.some((principal) => eligible.has(principal)))
    ).map((entry) => entry.key!);
  return {
    ...(requirement ? { requirement } : {}),
    approvals: await readApprovals(context.reader, signed.id, keys),
  };
}
