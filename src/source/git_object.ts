/**
 * A Git object as read from `git cat-file --batch`: its id, type and bytes
 * (shared by the object reader and its read-ahead).
 *
 * @module
 */

/** An object's header and bytes. */
export interface GitObject {
  /** Its object id (hex). */
  oid: string;
  /** `blob`, `tree`, `commit` or `tag`. */
  type: string;
  /** Its bytes. */
  bytes: Uint8Array;
}
