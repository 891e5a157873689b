/**
 * docs/LINT.md's list of rules is src's: every rule of
 * src/configs/lint_rules.ts, in its order, with what it catches, why and its
 * fix word for word, so a rule added or reworded later cannot go
 * undocumented.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  LINT_RULE_IDS,
  LINT_RULES,
  type LintRuleId,
} from "../../src/configs/lint_rules.ts";

const START = "<!-- rules: generated from src/configs/lint_rules.ts -->\n";
const END = "<!-- end of rules -->";

function documented(ids: readonly LintRuleId[]): string {
  return ids.map((id) => {
    const rule = LINT_RULES[id];
    return `### \`${id}\`\n\n- **Catches:** ${rule.catches}.\n- **Why:** ${rule.why}.\n- **Fix:** ${rule.fix}.\n`;
  }).join("\n");
}

Deno.test("docs/LINT.md lists every lint rule as src/configs/lint_rules.ts has it", async () => {
  const text = await Deno.readTextFile(
    new URL("../../docs/LINT.md", import.meta.url),
  );
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  assert.ok(start >= 0 && end > start, "docs/LINT.md has no generated rules");
  // deno fmt wraps the lines: compare the words.
  const words = (value: string) => value.replace(/\s+/g, " ").trim();
  assert.equal(
    words(text.slice(start + START.length, end)),
    words(documented(LINT_RULE_IDS)),
    "regenerate the rules of docs/LINT.md from src/configs/lint_rules.ts",
  );
  // The comparison means something only if it sees a change.
  assert.notEqual(
    words(documented(LINT_RULE_IDS.slice(1))),
    words(documented(LINT_RULE_IDS)),
  );
});
