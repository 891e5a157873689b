/**
 * Signs MCP configs in a working tree: validate every file, build and sign a
 * statement for each changed one, verify each signature we made, and only
 * then write artifacts, statements and the index, under the repository lock.
 * Any failure before the index is written leaves the store as it was.
 *
 * @module
 */

import {
  ALLOWED_SIGNERS_PATH,
  SIGNATURE_NAMESPACE,
  TOOL_NAME,
} from "../constants.ts";
import { errorMessage, ToolError } from "../errors.ts";
import { loadConfigKinds } from "../configs/config_kinds.ts";
import {
  type ConfigTarget,
  findConfigs,
  readConfigBytes,
} from "../configs/find_configs.ts";
import { validateConfig } from "../configs/validate_config.ts";
import { sha256Hex } from "../crypto/sha.ts";
import type { Repository } from "../git/repository.ts";
import type { SigningKey } from "../keys/key_store.ts";
import {
  createSshSignature,
  parseSshSignature,
  verifySshSignature,
} from "../signature/sshsig.ts";
import {
  formatStatement,
  parseStatement,
  type Statement,
} from "../store/statement.ts";
import {
  applyChanges,
  readIndex,
  readStatement,
  type StoreChanges,
  withLock,
  workingTreeReader,
} from "../store/store.ts";
import { findSigner, type TrustDecision } from "../trust/allowed_signers.ts";
import { readTrust } from "../trust/trust_store.ts";
import type { VerifyResult } from "../verify/verify_codes.ts";
import { verifyConfig } from "../verify/verify_config.ts";

/** Options for {@linkcode signConfigs}. */
export interface SignOptions {
  /** The key to sign with. */
  key: SigningKey;
  /** Folder that relative `paths` start from. */
  cwd: string;
  /** Configs to sign; default: every recognised config in the working tree. */
  paths?: readonly string[];
  /** Signing time (default: now), truncated to whole seconds. */
  now?: Date;
}

/** What happened to one config. */
export interface SignResult {
  /** Repository-relative path. */
  path: string;
  /** `signed`: a new statement; `unchanged`: its current signature already verifies. */
  status: "signed" | "unchanged";
  /** The current statement id. */
  statementId: string;
  /** The artifact id (SHA-256 of the bytes). */
  artifact: string;
  /** The statement's sequence number. */
  sequence: number;
}

/** The outcome of a signing run. */
export interface SignReport {
  /** One entry per config, sorted by path. */
  results: SignResult[];
  /** Index entries dropped because their config no longer exists (full runs only). */
  dropped: string[];
  /** Set when the signing key is not trusted by the repository (verify will fail). */
  untrusted?: string;
}

interface Planned {
  target: ConfigTarget;
  bytes: Uint8Array;
  artifact: string;
}

/**
 * Signs the named configs, or every recognised config in the working tree.
 *
 * @param repo The working tree.
 * @param options Key, paths, working folder and time.
 * @returns What was signed, left alone or dropped.
 * @throws {ToolError} `INVALID_CONFIG` (file, line, reason) for a config that
 * does not validate, `BAD_PATH`, `LOCKED`, `INVALID_FORMAT` for a damaged
 * store; nothing is written then.
 *
 * @example
 * ```ts ignore
 * const report = await signConfigs(repo, { key: await loadSigningKey(), cwd: Deno.cwd() });
 * ```
 */
export async function signConfigs(
  repo: Repository,
  options: SignOptions,
): Promise<SignReport> {
  const kinds = await loadConfigKinds(repo.root);
  const targets = await findConfigs(repo, {
    kinds,
    cwd: options.cwd,
    ...(options.paths ? { paths: options.paths } : {}),
  });
  const planned = await readAndValidate(repo, targets);
  const now = new Date(
    Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000,
  );
  return await withLock(repo, async () => {
    const reader = workingTreeReader(repo);
    const index = await readIndex(reader);
    const trust = await readTrust(reader);
    // Whether our key is trusted now decides whether re-signing can help.
    const mine: TrustDecision = trust
      ? findSigner(trust, options.key.key.publicKey, {
        namespace: SIGNATURE_NAMESPACE,
        at: now,
      })
      : { status: "untrusted" };
    const context = { reader, index, trust, now };
    const changes: StoreChanges = {
      artifacts: new Map(),
      statements: new Map(),
      index: new Map(index),
      obsoleteStatements: [],
      obsoleteArtifacts: [],
    };
    const results: SignResult[] = [];
    for (const item of planned) {
      const currentId = index.get(item.target.path);
      if (
        currentId &&
        isCurrent(
          await verifyConfig(context, item.target.path, item.bytes),
          options.key,
          mine,
        )
      ) {
        const current = await readStatement(reader, currentId);
        const statement = parseStatement(current!.bytes, currentId);
        results.push(
          resultOf(item.target.path, "unchanged", currentId, statement),
        );
        continue;
      }
      const previous = currentId
        ? await readChain(reader, item.target.path, currentId)
        : undefined;
      const statement: Statement = {
        path: item.target.path,
        artifact: item.artifact,
        size: item.bytes.length,
        signer: options.key.keyId,
        signedAt: now,
        sequence: previous ? previous.sequence + 1 : 1,
        previous: previous ? previous.artifact : null,
      };
      const signed = await signStatement(statement, options.key);
      changes.artifacts.set(item.artifact, item.bytes);
      changes.statements.set(signed.id, signed);
      changes.index.set(item.target.path, signed.id);
      if (currentId && currentId !== signed.id) {
        changes.obsoleteStatements.push(currentId);
      }
      if (previous && previous.artifact !== item.artifact) {
        changes.obsoleteArtifacts.push(previous.artifact);
      }
      results.push(resultOf(item.target.path, "signed", signed.id, statement));
    }
    const dropped = options.paths && options.paths.length > 0
      ? []
      : dropMissing(changes, planned);
    await pruneStillReferenced(reader, changes);
    if (changes.statements.size > 0 || dropped.length > 0) {
      await applyChanges(repo, changes);
    }
    const report: SignReport = { results, dropped };
    if (mine.status !== "trusted") {
      report.untrusted = untrustedWarning(options.key, mine);
    }
    return report;
  });
}

async function readAndValidate(
  repo: Repository,
  targets: ConfigTarget[],
): Promise<Planned[]> {
  const planned: Planned[] = [];
  const problems: string[] = [];
  let firstError: ToolError | undefined;
  for (const target of targets) {
    try {
      if (target.via) {
        throw new ToolError(
          "BAD_PATH",
          `Cannot sign "${target.path}": it is reached through "${target.via}", ` +
            "a symbolic link or submodule, which Git does not store here; make " +
            "it a regular file in this repository",
        );
      }
      const bytes = await readConfigBytes(repo, target.path);
      if (!bytes) {
        if (target.named) {
          throw new ToolError(
            "BAD_PATH",
            `Cannot sign "${target.path}": no such file`,
          );
        }
        continue;
      }
      validateConfig(target.path, bytes, target.kind);
      planned.push({ target, bytes, artifact: await sha256Hex(bytes) });
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      firstError ??= error;
      problems.push(error.message);
    }
  }
  // Report every bad file at once, but keep the first error's code.
  if (firstError) {
    throw new ToolError(firstError.code, problems.join("\n"), {
      cause: firstError,
    });
  }
  return planned;
}

async function readChain(
  reader: ReturnType<typeof workingTreeReader>,
  path: string,
  id: string,
): Promise<Statement> {
  // The new version continues the chain of the current statement: its
  // sequence plus one, and its artifact as "previous". A chain we cannot
  // read must not silently restart at 1, which history checks would flag as
  // a rollback; the user restores it or removes the index line on purpose.
  let problem: string;
  try {
    const stored = await readStatement(reader, id);
    if (stored) {
      const statement = parseStatement(stored.bytes, id);
      if (statement.path === path) return statement;
      problem = `it names "${statement.path}"`;
    } else {
      problem = "it is missing";
    }
  } catch (error) {
    problem = errorMessage(error);
  }
  throw new ToolError(
    "INVALID_FORMAT",
    `Cannot sign "${path}": its current statement "${id}" is unusable (${problem}); restore the store with ` +
      `"git checkout -- .mcp-orchestration", or delete the line for "${path}" from ".mcp-orchestration/index" ` +
      `to start its chain afresh`,
  );
}

async function signStatement(
  statement: Statement,
  key: SigningKey,
): Promise<{ id: string; bytes: Uint8Array; signature: string }> {
  const bytes = formatStatement(statement);
  const signature = await createSshSignature(bytes, key.key, {
    namespace: SIGNATURE_NAMESPACE,
  });
  // Verify our own signature before anything is written, as minisign does.
  const parsed = parseSshSignature(
    signature,
    `new signature for "${statement.path}"`,
  );
  if (!await verifySshSignature(parsed, bytes, SIGNATURE_NAMESPACE)) {
    throw new ToolError(
      "INVALID_KEY",
      `The signature just made for "${statement.path}" does not verify; nothing was written`,
    );
  }
  return { id: await sha256Hex(bytes), bytes, signature };
}

function dropMissing(changes: StoreChanges, planned: Planned[]): string[] {
  const present = new Set(planned.map((item) => item.target.path));
  const dropped: string[] = [];
  for (const [path, id] of changes.index) {
    if (present.has(path)) continue;
    changes.index.delete(path);
    changes.obsoleteStatements.push(id);
    dropped.push(path);
  }
  return dropped;
}

async function pruneStillReferenced(
  reader: ReturnType<typeof workingTreeReader>,
  changes: StoreChanges,
): Promise<void> {
  // An artifact may be shared by several paths with identical bytes: keep
  // every artifact that a statement in the new index still names.
  if (
    changes.obsoleteArtifacts.length === 0 &&
    changes.obsoleteStatements.length === 0
  ) return;
  const referenced = new Set<string>();
  for (const id of changes.index.values()) {
    const fresh = changes.statements.get(id);
    const bytes = fresh?.bytes ??
      (await readStatement(reader, id).catch(() => undefined))?.bytes;
    if (!bytes) continue;
    try {
      referenced.add(parseStatement(bytes, id).artifact);
    } catch {
      // An unreadable statement cannot keep anything alive.
    }
  }
  // A statement that goes takes its artifact along (for a dropped config it
  // was the last reference), unless a statement in the new index names it.
  for (const id of changes.obsoleteStatements) {
    const bytes = (await readStatement(reader, id).catch(() => undefined))
      ?.bytes;
    if (!bytes) continue;
    try {
      changes.obsoleteArtifacts.push(parseStatement(bytes, id).artifact);
    } catch {
      // An unreadable statement names no artifact we could trust.
    }
  }
  changes.obsoleteArtifacts = [...new Set(changes.obsoleteArtifacts)].filter((
    id,
  ) => !referenced.has(id));
  const live = new Set(changes.index.values());
  changes.obsoleteStatements = [...new Set(changes.obsoleteStatements)].filter((
    id,
  ) => !live.has(id));
}

function isCurrent(
  result: VerifyResult,
  key: SigningKey,
  mine: TrustDecision,
): boolean {
  // Re-signing cannot improve a statement that verifies, nor one whose only
  // fault is our own key, when that key is not trusted now either: the new
  // statement would fail the same way. (A key valid now but not at the old
  // signing time does help, so that case is re-signed.)
  if (result.ok) return true;
  const keyProblem = result.code === "UNTRUSTED_SIGNER" ||
    result.code === "EXPIRED_KEY";
  return keyProblem && result.signer === key.keyId && mine.status !== "trusted";
}

function untrustedWarning(key: SigningKey, mine: TrustDecision): string {
  const pub = key.path.replace(/\.key$/, ".pub");
  if (mine.status === "expired") {
    return `The signing key ${key.keyId} is in "${ALLOWED_SIGNERS_PATH}" but not valid now (${mine.reason}), ` +
      `so "verify" will report EXPIRED_KEY: sign with a currently valid key, or renew its entry`;
  }
  return `The signing key ${key.keyId} is not trusted by this repository, so "verify" will report ` +
    `UNTRUSTED_SIGNER until it is added: ${TOOL_NAME} trust add "${pub}" --principal YOUR-NAME`;
}

function resultOf(
  path: string,
  status: SignResult["status"],
  statementId: string,
  statement: Statement,
): SignResult {
  return {
    path,
    status,
    statementId,
    artifact: statement.artifact,
    sequence: statement.sequence,
  };
}
