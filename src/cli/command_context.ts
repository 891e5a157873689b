/**
 * What every command that works on a repository is given by the
 * dispatcher.
 *
 * @module
 */

import type { Repository } from "../git/repository.ts";
import type { Io } from "./io.ts";

/**
 * Streams, working folder and the repository, found on first use (so that
 * a usage error costs no git process).
 *
 * @example
 * ```ts ignore
 * const context: CommandContext = { io, repo: () => findRepository(io.cwd) };
 * ```
 */
export interface CommandContext {
  /** Streams and working folder. */
  io: Io;
  /** The repository (found on first use). */
  repo: () => Promise<Repository>;
}
