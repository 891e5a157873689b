/**
 * Property: countApprovals agrees with a direct count, by brute force over
 * every way of giving each key one of its eligible principals (or none), of
 * random keys, principals and rules.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import type { Requirement } from "../../src/trust/policy.ts";
import { countApprovals, type CountedKey } from "../../src/trust/threshold.ts";
import { fc } from "../support/deps.ts";

const PRINCIPALS = ["alice", "bob", "carol", "dave", "erin"];
const KEYS = ["k1", "k2", "k3", "k4", "k5", "k6"];

/** The largest number of distinct principals distinct keys can stand for. */
function bruteForce(
  keys: readonly CountedKey[],
  requirement: Requirement,
): number {
  const eligible = (p: string) =>
    requirement.eligible === "any" || requirement.eligible.has(p);
  const byKey = new Map<string, Set<string>>();
  for (const key of keys) {
    const set = byKey.get(key.keyId) ?? new Set();
    key.principals.filter(eligible).forEach((p) => set.add(p));
    byKey.set(key.keyId, set);
  }
  const options = [...byKey.values()].map((set) => [undefined, ...set]);
  let best = 0;
  const walk = (index: number, used: Set<string>) => {
    if (index === options.length) {
      best = Math.max(best, used.size);
      return;
    }
    for (const choice of options[index]!) {
      if (choice === undefined) walk(index + 1, used);
      else if (!used.has(choice)) {
        walk(index + 1, new Set([...used, choice]));
      }
    }
  };
  walk(0, new Set());
  return best;
}

const key = fc.record({
  keyId: fc.constantFrom(...KEYS),
  principals: fc.uniqueArray(fc.constantFrom(...PRINCIPALS), { maxLength: 3 }),
});
const requirement = fc.record({
  eligible: fc.oneof(
    fc.constant("any" as const),
    fc.uniqueArray(fc.constantFrom(...PRINCIPALS), { minLength: 1 }).map((
      list,
    ) => new Set(list)),
  ),
  threshold: fc.integer({ min: 1, max: 5 }),
  source: fc.constant("random rule"),
});

Deno.test("countApprovals agrees with a brute-force count", () => {
  fc.assert(
    fc.property(fc.array(key, { maxLength: 8 }), requirement, (keys, rule) => {
      const result = countApprovals(keys, rule);
      const expected = bruteForce(keys, rule);
      equal(result.count, expected);
      equal(result.met, expected >= rule.threshold);
      // What it reports is a real matching: distinct keys, distinct
      // principals, each pair on one key's line and eligible.
      equal(new Set(result.matched.map((m) => m.keyId)).size, result.count);
      equal(new Set(result.matched.map((m) => m.principal)).size, result.count);
      for (const { keyId, principal } of result.matched) {
        ok(
          keys.some((k) =>
            k.keyId === keyId && k.principals.includes(principal)
          ),
        );
        ok(rule.eligible === "any" || rule.eligible.has(principal));
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("countApprovals does not depend on the order of the keys", () => {
  fc.assert(
    fc.property(fc.array(key, { maxLength: 8 }), requirement, (keys, rule) => {
      deepEqual(
        countApprovals([...keys].reverse(), rule).count,
        countApprovals(keys, rule).count,
      );
    }),
  );
});
