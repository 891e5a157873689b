import { deepEqual, equal } from "node:assert/strict";
import type { Requirement } from "../../src/trust/policy.ts";
import { countApprovals } from "../../src/trust/threshold.ts";

function rule(principals: string[] | "any", threshold: number): Requirement {
  return {
    eligible: principals === "any" ? "any" : new Set(principals),
    threshold,
    source: "test",
  };
}

Deno.test("countApprovals: the same key twice counts once", () => {
  const key = { keyId: "k1", principals: ["alice"] };
  const result = countApprovals([key, key], rule(["alice", "bob"], 2));
  deepEqual([result.count, result.met], [1, false]);
});

Deno.test("countApprovals: two keys of one principal count once", () => {
  const result = countApprovals([
    { keyId: "k1", principals: ["alice"] },
    { keyId: "k2", principals: ["alice"] },
  ], rule(["alice", "bob"], 2));
  deepEqual([result.count, result.met], [1, false]);
});

Deno.test("countApprovals: a key outside the rule's groups never counts", () => {
  const result = countApprovals([
    { keyId: "k1", principals: ["alice"] },
    { keyId: "k2", principals: ["fred"] },
  ], rule(["alice", "sam"], 2));
  deepEqual(result.matched, [{ keyId: "k1", principal: "alice" }]);
  equal(result.met, false);
});

Deno.test("countApprovals: one key with two principals counts once, and matching finds the best pairing", () => {
  // k1 could stand for alice or bob; k2 only for alice: the maximum is 2.
  const result = countApprovals([
    { keyId: "k1", principals: ["alice", "bob"] },
    { keyId: "k2", principals: ["alice"] },
  ], rule(["alice", "bob"], 2));
  deepEqual([result.count, result.met], [2, true]);
  deepEqual(result.matched, [
    { keyId: "k1", principal: "bob" },
    { keyId: "k2", principal: "alice" },
  ]);
  const alone = countApprovals(
    [{ keyId: "k1", principals: ["alice", "bob"] }],
    rule(["alice", "bob"], 2),
  );
  equal(alone.count, 1);
});

Deno.test('countApprovals: "any" counts every principal, one per principal and one per key', () => {
  const result = countApprovals([
    { keyId: "k1", principals: ["alice"] },
    { keyId: "k2", principals: ["alice"] },
    { keyId: "k3", principals: ["bob"] },
  ], rule("any", 1));
  deepEqual([result.count, result.met], [2, true]);
  equal(countApprovals([], rule("any", 1)).met, false);
});
