/**
 * The internal type that verification works on: one config, parsed once by
 * the loader (`src/verify/load_signed.ts`), with everything the pure verifier
 * (`verifier.ts`) needs to decide, so that the verifier reads nothing itself.
 *
 * @module
 */

import type { SshSignature } from "../format/sshsig.ts";
import type { Statement } from "../store/statement.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import type { Requirement } from "../trust/threshold.ts";

/** A statement as loaded from a store: hashed to its name, parsed strictly. */
export interface CheckedStatement {
  /** The statement id: the SHA-256 (hex) of `bytes`, checked. */
  id: string;
  /** The statement file's exact bytes (what the signature covers). */
  bytes: Uint8Array;
  /** The parsed statement. */
  statement: Statement;
  /** The signature file's text as stored (not parsed), or undefined when absent. */
  signatureText: string | undefined;
}

/** A statement with its signature, both parsed strictly. */
export interface SignedStatement extends CheckedStatement {
  /** The signature file's armored text, parsed into `signature`. */
  signatureText: string;
  /** The parsed SSHSIG signature. */
  signature: SshSignature;
}

/** The store's copy of the signed bytes, as the loader found it. */
export type StoredArtifact =
  | { status: "present"; bytes: Uint8Array }
  | { status: "missing" }
  | { status: "unreadable"; reason: string };

/**
 * A file that the statement says the config's servers run, as the loader
 * found it in the same place as the config (working tree, commit, index).
 */
export type StoredServerFile =
  | { status: "present"; bytes: Uint8Array }
  | { status: "missing" }
  | { status: "unreadable"; reason: string };

/**
 * One approval file of the statement, as stored: read, not parsed or
 * verified (the verifier decides whether it counts).
 */
export interface StoredApproval {
  /** Its repository-relative path, `approvals/<statement id>/<key hex>.sig`. */
  path: string;
  /** The hex SHA-256 of the public key blob its name claims. */
  keyHex: string;
  /** The armored signature text (a CRLF checkout's CRs undone). */
  signatureText: string;
}

/** One config and everything that decides whether it verifies. */
export interface SignedConfig {
  /** The config's repository-relative path. */
  path: string;
  /** The config's bytes as they are now. */
  bytes: Uint8Array;
  /** The statement the index names for `path`, with its signature. */
  signed: SignedStatement;
  /** The stored artifact the statement names. */
  artifact: StoredArtifact;
  /** Each file the statement names (`statement.files`), by path. */
  files?: ReadonlyMap<string, StoredServerFile>;
  /**
   * The repository's paths in the canonical folders of the server files
   * and of the bare commands, when the reader lists them; undefined skips
   * the checks on names around the servers.
   */
  paths?: readonly string[];
  /**
   * The commands its servers start by bare name (`npx`), each with the
   * server's folder ("" for the root), as `bareCommands` in
   * `src/configs/server_files.ts` finds them.
   */
  bareCommands?: readonly {
    name: string;
    folder: string;
    extensionsOnly?: boolean;
  }[];
  /**
   * The environment files its servers load when they exist (`envFile`), as
   * `envFiles` in `src/configs/server_files.ts` finds them.
   */
  envFiles?: readonly { path: string; server: string }[];
  /**
   * Every path its servers' words name, existing or not, as `namedPaths` in
   * `src/configs/server_files.ts` finds them: one that names a listed file
   * the statement does not name fails the config.
   */
  named?: readonly {
    path: string;
    server: string;
    folder: boolean;
    glob: boolean;
  }[];
  /**
   * The approvals found for the statement, by the keys the loader was asked
   * to look for (`LoadContext.approvers`), sorted by key hex; undefined when
   * it was asked for none.
   */
  approvals?: readonly StoredApproval[];
  /**
   * What the repository's policy asks of this path; undefined when there is
   * no policy (one trusted signature is enough).
   */
  requirement?: Requirement;
  /** The trusted signers, or undefined when the repository has none. */
  trust: AllowedSigners | undefined;
  /** The repository id the statement must name (undefined: none). */
  repository: string | undefined;
  /** The verification time. */
  now: Date;
}
