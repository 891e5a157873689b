/**
 * mcp-orchestration signs MCP configuration files (`.mcp.json`,
 * `.cursor/mcp.json`, `.vscode/mcp.json`, …) in a Git repository with
 * OpenSSH-compatible Ed25519 signatures, and verifies who signed exactly
 * which bytes.
 *
 * This module is the library: the exports below. The command line is
 * `main.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStatement, VERIFY_CODES } from "./mod.ts";
 * assert.ok(typeof parseStatement === "function" && "TAMPERED" in VERIFY_CODES);
 * ```
 *
 * @module
 */

export { type ErrorCode, ToolError } from "./src/errors.ts";
export { SIGNATURE_NAMESPACE, VERSION } from "./src/constants.ts";
export { findRepository, type Repository } from "./src/git/repository.ts";
export {
  initKey,
  type KeyInfo,
  loadSigningKey,
  showKey,
  type SigningKey,
} from "./src/keys/key_store.ts";
export { loadSigner, type SignerOptions } from "./src/keys/signer.ts";
export {
  type AgentKey,
  agentSigner,
  listAgentKeys,
} from "./src/keys/ssh_agent.ts";
export {
  formatPublicKeyLine,
  keyId,
  parsePublicKeyLine,
} from "./src/format/public_key.ts";
export {
  formatPrivateKey,
  parsePrivateKey,
  type PrivateKey,
} from "./src/format/private_key.ts";
export {
  createSshSignature,
  parseSshSignature,
  type RemoteSigner,
  signatureKeyId,
  type SkSignatureFields,
  type SshSignature,
  verifySshSignature,
} from "./src/format/sshsig.ts";
export {
  formatStatement,
  parseStatement,
  type Statement,
} from "./src/store/statement.ts";
export { signConfigs, type SignOptions } from "./src/sign/sign_configs.ts";
export { type SignReport, type SignResult } from "./src/sign/sign_source.ts";
export {
  signStaged,
  stagedChanges,
  type StagedReport,
} from "./src/sign/sign_staged.ts";
export {
  type ApprovalResult,
  approveConfigs,
  type ApproveOptions,
  type Approver,
  type ApproveReport,
} from "./src/app/approve.ts";
export { approvalPath, keyHexOf } from "./src/store/approvals.ts";
export {
  type CommitReport,
  listCommits,
  verifyRevisions,
} from "./src/verify/verify_history.ts";
export {
  parsePushUpdates,
  type PushUpdate,
  verifyPush,
} from "./src/verify/verify_push.ts";
export {
  installHooks,
  type InstallReport,
  uninstallHooks,
} from "./src/hooks/install.ts";
export {
  type VerifyOptions,
  verifyRepository,
} from "./src/verify/verify_repository.ts";
export {
  VERIFY_CODES,
  type VerifyCode,
  type VerifyResult,
} from "./src/verify/verify_codes.ts";
export { inspect, type Inspection } from "./src/app/inspect.ts";
export {
  type DiffOptions,
  type DiffReport,
  diffRepository,
} from "./src/app/diff.ts";
export { type SideLabel } from "./src/app/diff_side.ts";
export { type ConfigKind } from "./src/configs/config_kinds.ts";
export {
  type ConfigDiff,
  type ConfigVersion,
  diffConfig,
} from "./src/configs/config_diff.ts";
export {
  type Change,
  diffServers,
  type FieldChange,
  type ServerChange,
  type ViewField,
} from "./src/configs/server_diff.ts";
export { type SettingChange } from "./src/configs/settings_diff.ts";
export {
  type ServerView,
  serverViews,
  type Transport,
} from "./src/configs/server_view.ts";
export {
  LINT_RULE_IDS,
  LINT_RULES,
  type LintFinding,
  type LintRule,
  type LintRuleId,
} from "./src/configs/lint_rules.ts";
export { lintConfig } from "./src/configs/lint_config.ts";
export { type LintReport, lintRepository } from "./src/app/lint_repository.ts";
export {
  auditLog,
  type AuditLogOptions,
  type LogEvent,
} from "./src/app/audit_log.ts";
export {
  INIT_STEPS,
  InitError,
  type InitOptions,
  type InitReport,
  initRepository,
  type InitStep,
  type InitStepName,
} from "./src/app/init_repository.ts";
export {
  type ConfigStatus,
  type RepositoryStatus,
  repositoryStatus,
  type StatusOptions,
  type Tombstone,
  type TrustListStatus,
} from "./src/app/repository_status.ts";
export { type TrustRequest } from "./src/app/trust_request.ts";
export {
  addTrustedKey,
  readTrustList,
  removeTrustedKeys,
} from "./src/trust/trust_store.ts";
export { main } from "./src/cli/main.ts";

// Hooks installed by earlier versions start `mod.ts` itself. A library
// module that did nothing would let their commits and pushes through
// unchecked, so it refuses, loudly, and says how to move the hooks.
if (import.meta.main) {
  const { currentProcess } = await import("./src/_runtime/current_process.ts");
  currentProcess.writeErr(
    'error[USAGE]: mod.ts is the library; the command line is main.ts beside it. Hooks that start mod.ts were installed by an older version: run "mcp-orchestration install" again\n',
  );
  currentProcess.setExitCode(2);
}
