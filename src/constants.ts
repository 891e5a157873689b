/**
 * The on-disk vocabulary of mcp-orchestration: names, magic strings, sizes
 * and limits. Every format module takes its constants from here, so one file
 * shows everything a byte-level reader needs (see docs/FORMAT.md).
 *
 * @module
 */

/** The command's name, as users type it. */
export const TOOL_NAME = "mcp-orchestration";

/** The tool's version; `--version` prints it. */
export const VERSION = "0.1.0";

/** The SSHSIG namespace of every signature the tool makes or accepts. */
export const SIGNATURE_NAMESPACE = "mcp-orchestration";
/**
 * The default SSHSIG namespace of `sign-file`, in which releases are signed.
 * SSHSIG signs the namespace along with the message, so a release signature
 * never verifies as a config signature, nor the other way round.
 */
export const RELEASE_SIGNATURE_NAMESPACE = "mcp-orchestration-release";

// --- Repository layout (all paths are repository-relative, "/"-separated) ---

/** The folder, at the repository's root, that holds signatures and trust. */
export const STORE_DIR = ".mcp-orchestration";
/** The trusted signers, in OpenSSH allowed_signers format. */
export const ALLOWED_SIGNERS_PATH = `${STORE_DIR}/allowed_signers`;
/** Optional repository settings: extra config patterns. */
export const REPO_CONFIG_PATH = `${STORE_DIR}/config.json`;
/** Optional team policy: who must sign which paths, and how many. */
export const POLICY_PATH = `${STORE_DIR}/policy.json`;
/** Revoked public keys, in the list format `ssh-keygen -Y verify -r` reads. */
export const REVOKED_KEYS_PATH = `${STORE_DIR}/revoked_keys`;
/** Co-signatures: `<statement id>/<key hex>.sig`, one per approving key. */
export const APPROVALS_DIR = `${STORE_DIR}/approvals`;
/** The index from a config's path to its current statement id. */
export const INDEX_PATH = `${STORE_DIR}/index`;
/** Content-addressed config bytes, one file per artifact id. */
export const ARTIFACTS_DIR = `${STORE_DIR}/artifacts`;
/** Signed statements (`<id>`) and their SSHSIG signatures (`<id>.sig`). */
export const STATEMENTS_DIR = `${STORE_DIR}/statements`;
/** File name suffix of a statement's armored signature. */
export const SIGNATURE_SUFFIX = ".sig";

// --- User key layout (under $MCP_ORCHESTRATION_HOME, default ~/.mcp-orchestration) ---

/** Environment variable that moves the tool's home folder. */
export const HOME_ENV = "MCP_ORCHESTRATION_HOME";
/** Environment variable naming a private key file to sign with. */
export const KEY_ENV = "MCP_ORCHESTRATION_KEY";
/** Environment variable that, set to `1`, signs through the SSH agent (as `--agent`). */
export const AGENT_ENV = "MCP_ORCHESTRATION_AGENT";
/** Environment variable naming a file that holds the private key's passphrase. */
export const PASSPHRASE_FILE_ENV = "MCP_ORCHESTRATION_PASSPHRASE_FILE";
/** Default home folder name, inside the user's home. */
export const HOME_DIR_NAME = ".mcp-orchestration";
/** Key folder inside the tool's home. */
export const KEYS_DIR_NAME = "keys";
/** Private key file name. */
export const PRIVATE_KEY_NAME = "signing.key";
/** Public key file name. */
export const PUBLIC_KEY_NAME = "signing.pub";
/** Folder (inside the key folder) where `keys init --regenerate` retires old keys. */
export const RETIRED_KEYS_DIR_NAME = "retired";

// --- Limits ---

/** Largest config file the tool signs or verifies, in bytes (1 MiB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Largest statement, signature, index or key file the tool reads, in bytes. */
export const MAX_METADATA_BYTES = 64 * 1024;
/** Largest index file (it grows with the number of configs), in bytes. */
export const MAX_INDEX_BYTES = 16 * 1024 * 1024;
/**
 * Largest `allowed_signers` file, in bytes (1 MiB): about 6,000 keys, far
 * more than a team has, and a bound on what history verification parses and
 * keeps per trust-list version.
 */
export const MAX_TRUST_BYTES = 1024 * 1024;
/**
 * Deepest nesting of objects and arrays a config may have (TOML: inline
 * tables and arrays). Real MCP configs nest about 5 deep; the limit keeps
 * recursive parsers far from the stack's end, so a verdict never depends on
 * how deep the caller's stack already is.
 */
export const MAX_CONFIG_DEPTH = 64;
/**
 * Most entries (files, symbolic links, submodules) of one commit's tree, the
 * index or the working tree that the check of links and submodules takes
 * (docs/FORMAT.md, "Links and submodules"). It reads each entry once; the
 * largest Git repository made public, Windows' (about 3.5 million files),
 * stays below. Past it, verification stops with an error: nothing is skipped.
 */
export const MAX_TREE_ENTRIES = 5_000_000;
/**
 * Most symbolic links in one commit's tree, the index or the working tree.
 * Each costs one read of its target (a Git object, or `readlink`) of at most
 * {@linkcode MAX_LINK_TARGET_BYTES}, so the limit caps that work at 100,000
 * reads; trees hold a link per thousands of files, not one per fifty. Past
 * it, verification stops with an error: nothing is skipped.
 */
export const MAX_TREE_LINKS = 100_000;
/**
 * Longest symbolic link target read, in bytes (Linux's `PATH_MAX`): a longer
 * one cannot be followed by the system, and is treated as one whose content
 * is unknown.
 */
export const MAX_LINK_TARGET_BYTES = 4096;
/** Most entries in the repository config's `configs` list. */
export const MAX_REPO_CONFIG_PATTERNS = 100;
/** Longest pattern, server key or client name in the repository config, in characters. */
export const MAX_REPO_CONFIG_STRING = 256;

// --- Identifiers ---

/** An artifact or statement id: SHA-256 as 64 lowercase hex digits. */
export const ID_PATTERN = /^[0-9a-f]{64}$/;
/** Prefix of an OpenSSH SHA-256 key fingerprint (our key id). */
export const KEY_ID_PREFIX = "SHA256:";

// --- OpenSSH formats (openssh-portable PROTOCOL.key, PROTOCOL.sshsig) ---

/** SSH key type name of Ed25519 keys and signatures. */
export const SSH_ED25519 = "ssh-ed25519";
/**
 * Key and signature type of Ed25519 keys on a FIDO token
 * (openssh-portable PROTOCOL.u2f): verified, never made by the tool.
 */
export const SK_SSH_ED25519 = "sk-ssh-ed25519@openssh.com";
/** The "user present" flag of a FIDO signature: the token was touched. */
export const SK_FLAG_USER_PRESENT = 0x01;
/** Ed25519 public key length, in bytes. */
export const ED25519_PUBLIC_KEY_BYTES = 32;
/** Ed25519 private seed length, in bytes. */
export const ED25519_SEED_BYTES = 32;
/** Ed25519 signature length, in bytes. */
export const ED25519_SIGNATURE_BYTES = 64;

/** Magic bytes at the start of an openssh-key-v1 private key blob (NUL-terminated). */
export const OPENSSH_KEY_MAGIC = "openssh-key-v1\0";
/** PEM armor of an OpenSSH private key. */
// Assembled, so that secret scanners (and this project's own pre-stop check)
// do not mistake the armor line for a committed key.
export const OPENSSH_KEY_BEGIN = "-----BEGIN OPENSSH " + "PRIVATE KEY-----";
/** PEM armor end of an OpenSSH private key. */
export const OPENSSH_KEY_END = "-----END OPENSSH PRIVATE KEY-----";

/** Magic preamble of an SSHSIG blob and of the data it signs. */
export const SSHSIG_MAGIC = "SSHSIG";
/** The only SSHSIG version. */
export const SSHSIG_VERSION = 1;
/** Hash algorithm we use when signing (ssh-keygen's default). */
export const SSHSIG_SIGNING_HASH = "sha512";
/** Hash algorithms PROTOCOL.sshsig allows, which we accept when verifying. */
export const SSHSIG_HASHES = ["sha256", "sha512"] as const;
/** Armor of an SSHSIG signature. */
export const SSHSIG_BEGIN = "-----BEGIN SSH SIGNATURE-----";
/** Armor end of an SSHSIG signature. */
export const SSHSIG_END = "-----END SSH SIGNATURE-----";
/** Base64 line width inside both armors, as ssh-keygen writes them. */
export const ARMOR_LINE_WIDTH = 70;
/** Cipher and KDF name of an unencrypted openssh-key-v1 key. */
export const OPENSSH_KEY_NONE = "none";
/** Block size the private section of an unencrypted openssh-key-v1 key is padded to. */
export const OPENSSH_KEY_BLOCK_SIZE = 8;
/** The one cipher of encrypted keys the tool reads (`ssh-keygen -N`'s default). */
export const OPENSSH_KEY_CIPHER = "aes256-ctr";
/** The KDF of encrypted keys (`ssh-keygen -N`). */
export const OPENSSH_KEY_KDF = "bcrypt";
/** The private section's block size under `aes256-ctr` (AES's block). */
export const OPENSSH_KEY_CIPHER_BLOCK_SIZE = 16;
/** More KDF rounds than this is not a key ssh-keygen wrote (its default is 16). */
export const OPENSSH_KEY_MAX_ROUNDS = 10_000;

// --- Signed statement (docs/FORMAT.md, "Statement") ---

/** First line of a statement of format version 1 (no repository binding). */
export const STATEMENT_HEADER_V1 = "mcp-orchestration-statement v1";
/** First line of a statement of format version 2, which names its repository. */
export const STATEMENT_HEADER = "mcp-orchestration-statement v2";
/**
 * First line of a statement of format version 3: version 2 plus the
 * repository files the config's servers run (docs/FORMAT.md, "Server
 * files"). Written only for a config that runs such files.
 */
export const STATEMENT_HEADER_V3 = "mcp-orchestration-statement v3";
/** Most server files one statement may name. */
export const MAX_SERVER_FILES = 64;
/** Largest server file (script) that is signed. */
export const MAX_SERVER_FILE_BYTES = 16 * 1024 * 1024;
/**
 * Largest sequence number a statement may carry (2^31 - 1): a config signed
 * ten times a day for 500,000 years stays below it, and every implementation
 * holds it in a 32-bit integer.
 */
export const MAX_SEQUENCE = 2_147_483_647;
/**
 * Most `previous` artifacts one statement may name: one per side of a merge
 * that changed the config on each side (octopus merges included).
 */
export const MAX_PREVIOUS = 64;

// --- Repository id (docs/FORMAT.md, "Repository id") ---

/**
 * The `allowed_signers` comment line that names the repository:
 * `# mcp-orchestration-repository <32 hex digits>`. ssh-keygen and Git read
 * it as a comment; we bind every version 2 statement to it.
 */
export const REPOSITORY_LINE_PREFIX = "# mcp-orchestration-repository ";
/**
 * The `allowed_signers` comment line that retires a key (`keys rotate`):
 * `# mcp-orchestration-retired SHA256:<key id>`. ssh-keygen and Git read it
 * as a comment; we accept the key's signatures only where they were already
 * in a parent commit (docs/FORMAT.md, "Retired keys").
 */
export const RETIRED_LINE_PREFIX = "# mcp-orchestration-retired ";
/** A key id as OpenSSH prints it: `SHA256:` and 43 unpadded base64 digits. */
export const KEY_ID_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;
/** Most revoked keys one revoked_keys file may list. */
export const MAX_REVOKED_KEYS = 10_000;
/** A repository id: 128 random bits as 32 lowercase hex digits. */
export const REPOSITORY_ID_PATTERN = /^[0-9a-f]{32}$/;

/** First line of the index file: the format and its version. */
export const INDEX_HEADER = "mcp-orchestration-index v1";
