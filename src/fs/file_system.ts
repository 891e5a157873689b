/**
 * Moved to `src/_runtime/file_system.ts`; this re-export keeps old import
 * paths compiling until they are updated.
 *
 * @module
 */

export {
  type FileHandle,
  type FileSystem,
  fileSystem,
  type OpenConstants,
  type Stats,
  type SyncReadHandle,
} from "../_runtime/file_system.ts";
