/**
 * A software stand-in for a FIDO token holding an `sk-ssh-ed25519@openssh.com`
 * key: it signs as PROTOCOL.u2f says a token does (SHA-256(application) ‖
 * flags ‖ counter ‖ SHA-256(data)), with the flags and counter the test
 * chooses. No test machine has a token, and OpenSSH's own tools cannot make
 * a FIDO key without one; `ssh-keygen -Y verify` checks what this makes.
 *
 * @module
 */

import {
  generateSeed,
  publicKeyFromSeed,
  signEd25519,
} from "../../src/crypto/ed25519.ts";
import { sha256 } from "../../src/crypto/sha.ts";
import { encodeBase64 } from "../../src/format/base64.ts";
import { encodeSkPublicKeyBlob, skKeyId } from "../../src/format/public_key.ts";
import { SshWriter } from "../../src/format/ssh_wire.ts";
import type { RemoteSigner } from "../../src/format/sshsig.ts";
import type { SigningKey } from "../../src/keys/key_store.ts";

/** A software FIDO key. */
export interface FidoToken {
  /** The 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The FIDO application, `ssh:` as ssh-keygen makes it. */
  application: string;
  /** Its key id, as `ssh-keygen -lf` prints it. */
  keyId: string;
  /** Its public key line, `sk-ssh-ed25519@openssh.com AAAA… comment`. */
  publicLine: string;
  /** The flags the next signatures carry (default 0x01: user present). */
  flags: number;
  /** The counter of the next signature; it goes up by one each time. */
  counter: number;
  /** A signing key for the tool, as the agent route would give. */
  signingKey(): SigningKey;
}

/**
 * Makes a software FIDO key.
 *
 * @param application The FIDO application.
 * @returns The token.
 */
export async function createFidoToken(
  application = "ssh:",
): Promise<FidoToken> {
  const seed = generateSeed();
  const publicKey = await publicKeyFromSeed(seed);
  const blob = encodeSkPublicKeyBlob(publicKey, application);
  const keyId = await skKeyId(publicKey, application);
  const token: FidoToken = {
    publicKey,
    application,
    keyId,
    publicLine: `sk-ssh-ed25519@openssh.com ${encodeBase64(blob)} token`,
    flags: 0x01,
    counter: 1,
    signingKey() {
      const signer: RemoteSigner = {
        publicKey,
        comment: "token",
        holder: "the test's FIDO token",
        sign: () => Promise.reject(new Error("a FIDO key signs through sk")),
        sk: {
          application,
          async sign(data) {
            const flags = token.flags, counter = token.counter++;
            const signed = new SshWriter()
              .raw(await sha256(new TextEncoder().encode(application)))
              .raw(Uint8Array.of(flags))
              .uint32(counter)
              .raw(await sha256(data))
              .finish();
            return {
              signature: await signEd25519(seed, signed),
              flags,
              counter,
            };
          },
        },
      };
      return { key: signer, keyId, path: "fido-token" };
    },
  };
  return token;
}
