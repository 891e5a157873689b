/**
 * Verification failures as GitHub Actions workflow commands
 * (`::error file=PATH,title=CODE::REASON`), so that a pull request shows each
 * one on the file it concerns (`verify --format github`).
 *
 * A path, a reason and a commit subject come from the repository, that is,
 * from whoever wrote the commits. The runner reads its log line by line and
 * obeys any line that starts with `::`, so none of that text may end a line:
 * it is escaped as GitHub's runner unescapes it (`%25`, `%0D`, `%0A`, and in
 * a property also `%3A` and `%2C`), and every other control character
 * becomes a visible `\u001b`-style escape ({@linkcode escapeControls}). The
 * lines then hold no control character but their final newline, which is
 * what the CLI's own output escaping expects: it leaves them unchanged.
 *
 * @module
 */

import type { VerifyResult } from "../verify/verify_codes.ts";
import type { CommitReport } from "../verify/verify_history.ts";
import { escapeControls } from "./io.ts";

/**
 * Escapes the message of a workflow command (the text after its second `::`).
 *
 * @param text Any text.
 * @returns The text on one line: `%`, CR and LF as `%25`, `%0D` and `%0A`,
 *   other control characters as `\u001b`-style escapes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeGithubData } from "./github_annotations.ts";
 * assert.equal(escapeGithubData("100%\r\nnext::x\u001b"), "100%25%0D%0Anext::x\\u001b");
 * ```
 */
export function escapeGithubData(text: string): string {
  return escapeControls(
    text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A"),
  );
}

/**
 * Escapes a property value of a workflow command (`file=…`, `title=…`).
 *
 * @param text Any text.
 * @returns As {@linkcode escapeGithubData}, and `:` and `,` as `%3A` and
 *   `%2C`, so that the value can neither end the properties nor start another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeGithubProperty } from "./github_annotations.ts";
 * assert.equal(escapeGithubProperty("a,b:c%/.mcp.json"), "a%2Cb%3Ac%25/.mcp.json");
 * ```
 */
export function escapeGithubProperty(text: string): string {
  return escapeGithubData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/**
 * Formats one failed result as an `::error` annotation on its file.
 *
 * @param result A result that failed (its `code` is the annotation's title).
 * @param commit The commit it was found in (history verification), if any.
 * @returns One line, ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { githubAnnotation } from "./github_annotations.ts";
 * assert.equal(
 *   githubAnnotation(
 *     { path: ".mcp.json", ok: false, code: "TAMPERED", reason: "changed" },
 *     { commit: "0123456789abcdef", subject: "Edit" },
 *   ),
 *   "::error file=.mcp.json,title=TAMPERED::changed (commit 0123456789ab Edit)\n",
 * );
 * ```
 */
export function githubAnnotation(
  result: VerifyResult,
  commit?: Pick<CommitReport, "commit" | "subject">,
): string {
  const where = commit
    ? ` (commit ${commit.commit.slice(0, 12)} ${commit.subject})`
    : "";
  return `::error file=${escapeGithubProperty(result.path)},title=${
    escapeGithubProperty(result.code ?? "FAILED")
  }::${escapeGithubData(result.reason + where)}\n`;
}

/**
 * Formats the failures of a working-tree verification as annotations.
 *
 * @param results One result per config.
 * @returns One line per failed result (none for those that passed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatGithubResults } from "./github_annotations.ts";
 * const text = formatGithubResults([
 *   { path: "a/.mcp.json", ok: true, reason: "signed" },
 *   { path: ".mcp.json", ok: false, code: "UNSIGNED", reason: "not signed" },
 * ]);
 * assert.equal(text, "::error file=.mcp.json,title=UNSIGNED::not signed\n");
 * ```
 */
export function formatGithubResults(results: readonly VerifyResult[]): string {
  return results.filter((result) => !result.ok)
    .map((result) => githubAnnotation(result)).join("");
}

/**
 * Formats the failures of history verification as annotations, each naming
 * its commit, and its notes (a changed `.gitattributes`) as notices.
 *
 * @param reports One report per commit.
 * @returns One line per failed result, commit by commit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatGithubCommitReports } from "./github_annotations.ts";
 * const text = formatGithubCommitReports([{
 *   commit: "f".repeat(40),
 *   subject: "Add, then: 50%",
 *   ok: false,
 *   results: [{ path: "x/.mcp.json", ok: false, code: "UNTRUSTED_SIGNER", reason: "unknown key" }],
 * }]);
 * assert.equal(
 *   text,
 *   "::error file=x/.mcp.json,title=UNTRUSTED_SIGNER::unknown key (commit ffffffffffff Add, then: 50%25)\n",
 * );
 * ```
 */
export function formatGithubCommitReports(
  reports: readonly CommitReport[],
): string {
  return reports.flatMap((report) =>
    report.results.filter((result) => !result.ok || result.note)
      .map((result) =>
        result.ok
          ? `::notice file=${
            escapeGithubProperty(result.path)
          },title=ATTRIBUTES::${
            escapeGithubData(
              `${result.note} (commit ${
                report.commit.slice(0, 12)
              } ${report.subject})`,
            )
          }\n`
          : githubAnnotation(result, report)
      )
  ).join("");
}
