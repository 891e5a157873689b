/**
 * The real `ssh-keygen`, as an independent implementation to check the
 * tool's keys and signatures against: it makes keys, signs files and
 * verifies signatures exactly as a user with stock OpenSSH would.
 *
 * @module
 */

import { join } from "node:path";
import { writeStdin } from "./process.ts";

/** A key pair made by `ssh-keygen`. */
export interface GeneratedKey {
  /** Path of the unencrypted OpenSSH private key (mode 0600). */
  privatePath: string;
  /** Path of the public key, `privatePath + ".pub"`. */
  publicPath: string;
  /** The public key file's line, `ssh-ed25519 AAAA… name`, without newline. */
  publicLine: string;
  /** OpenSSH fingerprint, `SHA256:…`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** Options for {@linkcode sshVerify}. */
export interface SshVerifyOptions {
  /** Path of an OpenSSH allowed_signers file. */
  allowedSigners: string;
  /** The principal the signature must be made by. */
  principal: string;
  /** The SSHSIG namespace the signature must carry. */
  namespace: string;
  /** Path of the armored signature. */
  signaturePath: string;
  /** The signed bytes, given to ssh-keygen on stdin. */
  message: string | Uint8Array;
}

/** Options for {@linkcode sshSign}. */
export interface SshSignOptions {
  /** Path of the private key. */
  keyPath: string;
  /** The SSHSIG namespace. */
  namespace: string;
  /** Path of the file to sign. */
  messagePath: string;
}

/**
 * Makes an Ed25519 key pair without passphrase:
 * `ssh-keygen -q -t ed25519 -N "" -C name -f dir/name`.
 *
 * @param dir Folder for the two key files.
 * @param name File name of the private key, also the key's comment.
 * @returns The key's paths, public line and fingerprint.
 * @throws {Error} When ssh-keygen fails, e.g. because the key exists.
 */
export async function generateKey(
  dir: string,
  name: string,
): Promise<GeneratedKey> {
  const privatePath = join(dir, name);
  const publicPath = `${privatePath}.pub`;
  await _sshKeygen([
    "-q",
    "-t",
    "ed25519",
    "-N",
    "",
    "-C",
    name,
    "-f",
    privatePath,
  ]);
  const publicLine = (await Deno.readTextFile(publicPath)).trim();
  // "256 SHA256:… name (ED25519)"
  const listed = await _sshKeygen(["-lf", publicPath]);
  const fingerprint = listed.stdout.split(" ")[1] ?? "";
  if (!fingerprint.startsWith("SHA256:")) {
    throw new Error(`Cannot read the fingerprint: "${listed.stdout.trim()}"`);
  }
  return { privatePath, publicPath, publicLine, fingerprint };
}

/**
 * Verifies a signature with
 * `ssh-keygen -Y verify -f allowedSigners -I principal -n namespace -s signaturePath`,
 * the message on stdin.
 *
 * @param options The trust file, principal, namespace, signature and message.
 * @returns `ok` when ssh-keygen accepts, and everything it printed.
 */
export async function sshVerify(
  options: SshVerifyOptions,
): Promise<{ ok: boolean; output: string }> {
  const result = await _sshKeygen([
    "-Y",
    "verify",
    "-f",
    options.allowedSigners,
    "-I",
    options.principal,
    "-n",
    options.namespace,
    "-s",
    options.signaturePath,
  ], { stdin: options.message, check: false });
  return {
    ok: result.code === 0,
    output: (result.stdout + result.stderr).trim(),
  };
}

/**
 * Signs a file with `ssh-keygen -Y sign -f keyPath -n namespace messagePath`,
 * replacing an existing signature (ssh-keygen would ask, and without a
 * terminal keep the old one while still exiting 0).
 *
 * @param options The private key, namespace and file.
 * @returns The path of the armored signature, `messagePath + ".sig"`.
 * @throws {Error} When ssh-keygen fails.
 */
export async function sshSign(options: SshSignOptions): Promise<string> {
  const signaturePath = `${options.messagePath}.sig`;
  await Deno.remove(signaturePath).catch((error: unknown) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await _sshKeygen([
    "-Y",
    "sign",
    "-f",
    options.keyPath,
    "-n",
    options.namespace,
    options.messagePath,
  ]);
  return signaturePath;
}

async function _sshKeygen(
  args: string[],
  options: { stdin?: string | Uint8Array; check?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = Deno.env.get("PATH");
  const child = new Deno.Command("ssh-keygen", {
    args,
    // No agent, no user config: only the files named on the command line.
    clearEnv: true,
    env: path === undefined ? {} : { PATH: path },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) await writeStdin(child, options.stdin);
  const output = await child.output();
  const decoder = new TextDecoder();
  const result = {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
  if ((options.check ?? true) && result.code !== 0) {
    throw new Error(
      `Cannot run "ssh-keygen ${
        args.join(" ")
      }": exit ${result.code}: ${result.stderr.trim()}`,
    );
  }
  return result;
}
