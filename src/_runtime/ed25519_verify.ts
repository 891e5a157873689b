/**
 * Ed25519 verification on the calling thread, where the runtime has it and it
 * is cheaper than WebCrypto: Node's `crypto.verify`. Node's
 * `crypto.subtle.verify` sends every signature to libuv's thread pool and
 * back, and history verification awaits one per commit, so the main thread
 * mostly waited for those round trips. Both are OpenSSL's Ed25519, the same
 * verdicts. Under Deno there is none: touching `node:crypto` there starts the
 * Node compatibility layer, and WebCrypto's own cost is lower.
 *
 * The Node builds' entry point (src/cli/node_main.ts) hands it to
 * `src/crypto/ed25519.ts` (`useSyncEd25519Verify`), which gates a native
 * "valid" with the checks of strict RFC 8032 first, and leaves every
 * "invalid" to noble, as with WebCrypto.
 *
 * @module
 */

import type nodeCrypto from "node:crypto";
import { nodeBuiltin, nodeProcess } from "./runtime.ts";

/**
 * Verifies one Ed25519 signature synchronously.
 *
 * @returns Whether it verifies; false for a key the runtime refuses.
 */
export type SyncEd25519Verify = (
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
) => boolean;

const KEY_CACHE_LIMIT = 1024;

/**
 * The runtime's synchronous Ed25519 verification: Node's, under Node.
 *
 * @param crypto Node's `node:crypto` (under Node, the runtime's own when not
 * given; under Deno only when given, as tests do).
 * @returns The verifier, or undefined under Deno.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { syncEd25519Verifier } from "./ed25519_verify.ts";
 * assert.equal(syncEd25519Verifier(), undefined); // under `deno test`
 * ```
 */
export function syncEd25519Verifier(
  crypto?: typeof nodeCrypto,
): SyncEd25519Verify | undefined {
  const node = crypto ??
    (nodeProcess() ? nodeBuiltin<typeof nodeCrypto>("node:crypto") : undefined);
  if (!node?.verify || !node.createPublicKey) return undefined;
  const keys = new Map<string, nodeCrypto.KeyObject | null>();
  const keyOf = (publicKey: Uint8Array): nodeCrypto.KeyObject | null => {
    let name = "";
    for (const byte of publicKey) name += String.fromCharCode(byte);
    let key = keys.get(name);
    if (key === undefined) {
      // As a JSON Web Key (RFC 8037): the raw key, base64url.
      const x = btoa(name).replaceAll("+", "-").replaceAll("/", "_")
        .replace(/=+$/, "");
      try {
        key = node.createPublicKey({
          key: { kty: "OKP", crv: "Ed25519", x },
          format: "jwk",
        });
      } catch {
        key = null;
      }
      if (keys.size >= KEY_CACHE_LIMIT) keys.clear();
      keys.set(name, key);
    }
    return key;
  };
  return (signature, message, publicKey) => {
    const key = keyOf(publicKey);
    if (!key) return false;
    try {
      return node.verify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}
