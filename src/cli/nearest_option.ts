/**
 * The option a mistyped one was probably meant to be (`--rnage` →
 * `--range`), by edit distance, suggested only when it is close.
 *
 * @module
 */

/**
 * The edit distance between two words, counting an insertion, a deletion, a
 * substitution or a swap of two neighbouring letters as one edit (the
 * optimal string alignment distance), so that `rnage` is one edit from
 * `range`.
 *
 * @param a One word.
 * @param b The other.
 * @returns The number of edits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { editDistance } from "./nearest_option.ts";
 * assert.equal(editDistance("rnage", "range"), 1);
 * assert.equal(editDistance("json", "rev"), 4);
 * ```
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between a's first i letters and b's first j.
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (
        i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]
      ) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known option nearest to an unknown one, when it is close: at most one
 * edit for every three letters (and at least one edit allowed, at most two),
 * ignoring case. The first of equally near options wins.
 *
 * @param unknown The unknown option's name, without dashes.
 * @param known The command's options' names, without dashes.
 * @returns The nearest name, or undefined when none is close.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nearestOption } from "./nearest_option.ts";
 * assert.equal(nearestOption("rnage", ["rev", "range", "format"]), "range");
 * assert.equal(nearestOption("verbose", ["rev", "range", "format"]), undefined);
 * ```
 */
export function nearestOption(
  unknown: string,
  known: readonly string[],
): string | undefined {
  const word = unknown.toLowerCase();
  const allowed = Math.min(2, Math.max(1, Math.floor(word.length / 3)));
  let nearest: string | undefined;
  let nearestDistance = allowed + 1;
  for (const name of known) {
    const distance = editDistance(word, name.toLowerCase());
    if (distance < nearestDistance) {
      nearest = name;
      nearestDistance = distance;
    }
  }
  return nearest;
}
