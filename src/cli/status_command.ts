/**
 * `status`: the repository's MCP configs at a glance, as a table (or
 * `--json`). Informational: it exits 0 whatever it finds.
 *
 * @module
 */

import { TOOL_NAME } from "../constants.ts";
import {
  type RepositoryStatus,
  repositoryStatus,
  type SignatureStatus,
} from "../app/repository_status.ts";
import type { CommandContext } from "./command_context.ts";
import {
  type CommandSpec,
  noPositionals,
  parseArguments,
} from "./command_spec.ts";
import { RESIGN_COMMAND } from "../app/resign.ts";
import { EXIT, printJson } from "./io.ts";

/** What `status` needs: streams and the repository. */
export type StatusContext = CommandContext;

/** What `status` accepts. */
export const STATUS_COMMAND: CommandSpec = { name: "status", options: {} };

/**
 * Runs `status [--json]`. The JSON is a {@linkcode RepositoryStatus} as it
 * is:
 *
 * ```json
 * {
 *   "root": "/path/to/repo",
 *   "configs": [{ "path": ".mcp.json", "client": "Claude Code", "signed": true, "ok": false,
 *     "code": "TAMPERED", "reason": "…", "signer": "SHA256:…", "principals": ["you@example.com"],
 *     "trusted": true, "signedAt": "2026-01-01T00:00:00Z", "sequence": 1,
 *     "approval": { "threshold": 2, "approvedBy": [{ "principal": "you@example.com", "keyId": "SHA256:…" }],
 *       "mayApprove": ["bob@example.com"], "rule": "rule 1 (\".mcp.json\") of .mcp-orchestration/policy.json" } }],
 *   "trustList": { "path": ".mcp-orchestration/allowed_signers", "present": true, "keys": 1,
 *     "problem": null, "signed": true, "ok": true, "code": null, "reason": "…", "signer": "SHA256:…",
 *     "principals": ["you@example.com"], "trusted": true, "signedAt": "…", "sequence": 1, "approval": null },
 *   "tombstones": [{ "path": "old/.mcp.json", "statementId": "…", "signer": "SHA256:…",
 *     "signedAt": "…", "sequence": 2 }],
 *   "hooks": { "folder": "/path/to/repo/.git/hooks", "hooksPath": null, "installed": true,
 *     "hooks": [{ "hook": "pre-commit", "path": "…", "state": "ours" }, { "hook": "pre-push", "path": "…", "state": "ours" }] },
 *   "key": { "keyId": "SHA256:…", "path": "…/signing.key", "trusted": true,
 *     "principals": ["you@example.com"], "problem": null, "request": null },
 *   "problems": []
 * }
 * ```
 *
 * `key.request` is null unless your key is not trusted in a repository
 * that has a trust list: then it is `{ "keyId", "publicKey", "principal",
 * "command", "signers" }`, the `trust add` command a trusted signer runs
 * (as `init` reports it).
 *
 * @param args The arguments after `status`.
 * @param context Streams and the repository.
 * @returns 0.
 * @throws {ToolError} On usage errors, or when the repository cannot be read.
 *
 * @example
 * ```ts ignore
 * await statusCommand(["--json"], { io, repo });
 * ```
 */
export async function statusCommand(
  args: string[],
  context: StatusContext,
): Promise<number> {
  const { values, positionals } = parseArguments(args, STATUS_COMMAND);
  noPositionals(positionals, "status");
  const status = await repositoryStatus(await context.repo());
  if (values.json) printJson(context.io, status);
  else context.io.out(formatStatus(status));
  return EXIT.ok;
}

/**
 * Formats a status for people: a summary, a table of the configs and the
 * trust list, failures with their reasons, and the tombstones.
 *
 * @param status What {@linkcode repositoryStatus} returned.
 * @returns The text, ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStatus } from "./status_command.ts";
 * const text = formatStatus({
 *   root: "/r",
 *   configs: [],
 *   trustList: { path: ".mcp-orchestration/allowed_signers", present: false, keys: 0, problem: null, signed: false,
 *     ok: false, code: null, reason: "", signer: null, principals: [], trusted: false, signedAt: null, sequence: null,
 *     approval: null },
 *   tombstones: [],
 *   hooks: { folder: "/r/.git/hooks", hooksPath: null, installed: false, hooks: [] },
 *   key: { keyId: null, path: null, trusted: false, principals: [], problem: "none", request: null },
 *   problems: [],
 *   resign: [],
 * });
 * assert.match(text, /No MCP configs found/);
 * ```
 */
export function formatStatus(status: RepositoryStatus): string {
  return [
    ...summaryLines(status),
    "",
    ...configLines(status),
    ...resignLines(status),
    ...tombstoneLines(status),
  ].join("\n") + "\n";
}

/** The configs a revoked or retired key signed, and the command. */
function resignLines(status: RepositoryStatus): string[] {
  if (status.resign.length === 0) return [];
  return [
    "",
    "To re-sign (signed by a revoked or retired key; review each, then sign them again):",
    ...status.resign.map((entry) =>
      `  ${entry.path}  ${entry.why}${entry.signer ? ` ${entry.signer}` : ""}`
    ),
    `  ${RESIGN_COMMAND}`,
  ];
}

/** Repository, key, hooks, trust list, and the problems found. */
function summaryLines(status: RepositoryStatus): string[] {
  const lines: string[] = [`Repository:  ${status.root}`];
  const key = status.key;
  lines.push(
    `Your key:    ${
      key.keyId === null
        ? `none (${TOOL_NAME} init creates one)`
        : `${key.keyId} ${
          key.trusted
            ? `(trusted as ${key.principals.join(",")})`
            : key.request
            ? "(NOT trusted here, and only a trusted signer can add it)"
            : `(NOT trusted here: ${TOOL_NAME} init adds it)`
        }`
    }`,
  );
  if (key.request) {
    const whom = key.request.signers.length > 0
      ? ` (${key.request.signers.join(", ")})`
      : "";
    lines.push(
      `             Ask a trusted signer${whom} to run, in their clone:`,
      `               ${key.request.command}`,
      `             and compare the key id ${key.request.keyId} with them over another channel first`,
    );
  }
  const hooks = status.hooks;
  const names = hooks.hooks.map((hook) => hook.hook).join(", ");
  const missing = hooks.hooks.filter((hook) => hook.state !== "ours")
    .map((hook) => `${hook.hook} ${hook.state}`).join(", ");
  lines.push(
    `Hooks:       ${
      hooks.installed
        ? `installed (${names})`
        : `NOT installed (${missing}: ${TOOL_NAME} install)`
    } in ${hooks.folder}`,
  );
  const trust = status.trustList;
  lines.push(
    `Trust list:  ${
      trust.present
        ? `${trust.keys} key${trust.keys === 1 ? "" : "s"}, ${
          trust.ok ? "signed" : trust.code ?? "FAILS"
        }${trust.signer ? ` by ${signerText(trust)}` : ""}`
        : "none"
    }${trust.problem ? ` (${trust.problem})` : ""}`,
  );
  for (const problem of status.problems) {
    if (problem !== trust.problem) lines.push(`Problem:     ${problem}`);
  }
  return lines;
}

/** The table of configs and the trust list, then their failures. */
function configLines(status: RepositoryStatus): string[] {
  const lines: string[] = [];
  const trust = status.trustList;
  const rows = [
    ...status.configs.map((config) => ({ ...config })),
    ...(trust.present ? [{ ...trust, client: "(trust list)" }] : []),
  ];
  if (status.configs.length === 0) lines.push("No MCP configs found.");
  if (rows.length === 0) return lines;
  // A column of approvals only where a policy counts them.
  const approvals = rows.some((row) => row.approval !== null);
  lines.push(
    ...table([
      [
        "PATH",
        "CLIENT",
        "STATUS",
        "SIGNER",
        "TRUSTED",
        ...(approvals ? ["APPROVALS"] : []),
        "SIGNED AT",
        "SEQ",
      ],
      ...rows.map((row) => [
        row.path,
        row.client,
        row.ok ? "ok" : row.code ?? "FAILS",
        row.signer ? signerText(row, true) : "-",
        row.signer ? (row.trusted ? "yes" : "NO") : "-",
        ...(approvals ? [approvalText(row)] : []),
        row.signedAt ?? "-",
        row.sequence === null ? "-" : String(row.sequence),
      ]),
    ]),
  );
  const failing = rows.filter((row) => !row.ok && row.code !== "UNSIGNED");
  if (failing.length > 0) {
    lines.push("", "Failures:");
    for (const row of failing) {
      lines.push(`  ${row.path}: ${row.code}: ${row.reason}`);
    }
  }
  return lines;
}

// "2/2 alice@…, bob@…": principals counted against the rule's threshold.
function approvalText(status: SignatureStatus): string {
  const approval = status.approval;
  if (!approval) return "-";
  const names = approval.approvedBy.map((a) => a.principal).join(",");
  return `${approval.approvedBy.length}/${approval.threshold}${
    names ? ` ${names}` : ""
  }`;
}

/** The index entries whose file is gone. */
function tombstoneLines(status: RepositoryStatus): string[] {
  if (status.tombstones.length === 0) return [];
  return [
    "",
    "Deleted configs still in the signature index (tombstones):",
    ...status.tombstones.map((t) =>
      `  ${t.path}  deleted, last signed ${t.signedAt ?? "(unknown)"}${
        t.signer ? ` by ${t.signer}` : ""
      }${t.sequence === null ? "" : ` (sequence ${t.sequence})`}`
    ),
  ];
}

// The table shows a key id's first characters, as git shows short commit
// ids; the summary lines and --json give it whole.
function signerText(status: SignatureStatus, short = false): string {
  const id = short && status.signer && status.signer.length > 15
    ? `${status.signer.slice(0, 15)}…`
    : `${status.signer}`;
  return status.principals.length > 0
    ? `${status.principals.join(",")} (${id})`
    : id;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!))
      .join("  ").trimEnd()
  );
}
