/**
 * How commit reports read in a terminal: per commit, per file.
 *
 * @module
 */

import type { CommitReport } from "../verify/verify_history.ts";
import { escapeInvisible } from "../format/quote.ts";
import { displayPath } from "./io.ts";

/**
 * Formats commit reports as text.
 *
 * @param reports One report per commit.
 * @param options `only: "failures"` leaves out the configs that passed.
 * @returns Lines ending in a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCommitReports } from "./history_report.ts";
 * const text = formatCommitReports([{ commit: "a".repeat(40), subject: "s", ok: true, results: [] }]);
 * assert.match(text, /^ok +aaaaaaaaaaaa s/);
 * ```
 */
export function formatCommitReports(
  reports: readonly CommitReport[],
  options: { only?: "failures" } = {},
): string {
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(
      `${report.ok ? "ok  " : "FAIL"}  ${
        report.commit.slice(0, 12)
      } ${report.subject}${
        report.beforeAdoption
          ? "  (before adoption: no trust list in its history, nothing to verify)"
          : ""
      }`,
    );
    for (const result of report.results) {
      if (result.note) {
        lines.push(`        note  ${displayPath(result.path)}  ${result.note}`);
      }
      if (result.ok && options.only === "failures") continue;
      lines.push(
        result.ok
          ? `        ok    ${displayPath(result.path)}`
          : `        FAIL  ${
            displayPath(result.path)
          }  ${result.code}: ${result.reason}`,
      );
    }
  }
  // A reason or a subject may quote a path raw: no line may end inside one.
  return lines.map((line) => escapeInvisible(line) + "\n").join("");
}
