// TEMPORARY STUB (coordinator): replaced by helper P's module at merge.
/** What a path needs: how many distinct principals, from which set. */
export interface Requirement {
  eligible: ReadonlySet<string> | "any";
  threshold: number;
  source: string;
}
export interface CountedKey {
  keyId: string;
  principals: readonly string[];
}
export function countApprovals(
  keys: readonly CountedKey[],
  requirement: Requirement,
): {
  count: number;
  met: boolean;
  matched: { keyId: string; principal: string }[];
} {
  const owner = new Map<string, string>();
  const distinct = [...new Map(keys.map((k) => [k.keyId, k])).values()];
  const eligible = (p: string) =>
    requirement.eligible === "any" || requirement.eligible.has(p);
  const tryKey = (key: CountedKey, seen: Set<string>): boolean => {
    for (const p of key.principals.filter(eligible)) {
      if (seen.has(p)) continue;
      seen.add(p);
      const holder = owner.get(p);
      if (
        holder === undefined ||
        tryKey(distinct.find((k) => k.keyId === holder)!, seen)
      ) {
        owner.set(p, key.keyId);
        return true;
      }
    }
    return false;
  };
  for (const key of distinct) tryKey(key, new Set());
  const matched = [...owner].map(([principal, keyId]) => ({
    keyId,
    principal,
  }));
  return {
    count: matched.length,
    met: matched.length >= requirement.threshold,
    matched,
  };
}
