/**
 * Counting signatures against a policy requirement: how many distinct
 * principals, each backed by a distinct key, have signed. A key line may
 * carry several principals and a principal several keys, so the count is a
 * maximum bipartite matching between keys and eligible principals: the same
 * key twice, or two keys of one principal, never count twice.
 *
 * @module
 */

/** What a signed version of one path needs. */
export interface Requirement {
  /** The principals whose keys count, or "any": every trusted key's principals. */
  eligible: ReadonlySet<string> | "any";
  /** How many distinct principals (each with a distinct key) must sign. */
  threshold: number;
  /** Where the requirement comes from, for messages. */
  source: string;
}

/** A key with a valid signature by a trusted key, and its trust-list principals. */
export interface CountedKey {
  /** The key's id (e.g. its `SHA256:…` fingerprint); equal ids are one key. */
  keyId: string;
  /** The principals of its trust-list line(s). */
  principals: readonly string[];
}

/** The result of {@linkcode countApprovals}. */
export interface ApprovalCount {
  /** Distinct principals matched to distinct keys. */
  count: number;
  /** Whether `count` reaches the requirement's threshold. */
  met: boolean;
  /** One pair per counted principal, in the order of the keys. */
  matched: { keyId: string; principal: string }[];
}

/**
 * Counts the distinct eligible principals that distinct keys stand for
 * (a maximum matching; with `eligible: "any"`, every principal of a key is
 * eligible, still one per principal and one per key).
 *
 * @param keys Keys whose signatures are valid and trusted (duplicates allowed).
 * @param requirement The eligible principals and the threshold.
 * @returns The count, whether it meets the threshold, and who was counted.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { countApprovals } from "./threshold.ts";
 * const requirement = { eligible: new Set(["alice", "bob"]), threshold: 2, source: "rule 1" };
 * equal(countApprovals([{ keyId: "k1", principals: ["alice"] }, { keyId: "k1", principals: ["alice"] }], requirement).met, false);
 * equal(countApprovals([{ keyId: "k1", principals: ["alice"] }, { keyId: "k2", principals: ["bob"] }], requirement).count, 2);
 * ```
 */
export function countApprovals(
  keys: readonly CountedKey[],
  requirement: Requirement,
): ApprovalCount {
  // One entry per distinct key, with the union of its eligible principals.
  const byKey = new Map<string, Set<string>>();
  for (const key of keys) {
    const principals = byKey.get(key.keyId) ?? new Set<string>();
    for (const principal of key.principals) {
      if (
        requirement.eligible === "any" || requirement.eligible.has(principal)
      ) {
        principals.add(principal);
      }
    }
    byKey.set(key.keyId, principals);
  }
  const keyIds = [...byKey.keys()];
  // Kuhn's augmenting paths: principal -> index of the key it is matched to.
  const owner = new Map<string, number>();
  const augment = (key: number, visited: Set<string>): boolean => {
    for (const principal of byKey.get(keyIds[key]!)!) {
      if (visited.has(principal)) continue;
      visited.add(principal);
      const current = owner.get(principal);
      if (current === undefined || augment(current, visited)) {
        owner.set(principal, key);
        return true;
      }
    }
    return false;
  };
  for (let key = 0; key < keyIds.length; key++) augment(key, new Set());
  const matched = [...owner].sort(([, a], [, b]) => a - b).map((
    [principal, key],
  ) => ({ keyId: keyIds[key]!, principal }));
  return {
    count: matched.length,
    met: matched.length >= requirement.threshold,
    matched,
  };
}
