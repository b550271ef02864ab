/**
 * A service's personal-data policy: for each event type, which fields are personal and whose (the data subject
 * whose key seals them). One policy per slice (e.g. services/intake/src/cases/case.privacy.ts); the protector seals
 * and opens by it, the store decorator applies it on every append and read.
 */

/** Which fields of an event type are personal, and whose. Paths are dot-separated. */
export interface PersonalFieldRule {
  /** Path to the data subject's id: in `data` (relative to each element with `each`), or `metadata.<key>`. */
  readonly subject: string;
  /**
   * Where the subject's id is absent (events written before they named it): the path of the id that stands in for
   * it (e.g. the case id). Sealed all the same — never left in clear for want of a subject.
   */
  readonly fallbackSubject?: string;
  /** Paths of the fields to seal, relative to `data` (or to each element of `each`). */
  readonly fields: readonly string[];
  /** An array in `data` whose elements are each about their own subject (e.g. a group request's residents). */
  readonly each?: string;
}

export type PersonalDataPolicy = Readonly<Record<string, readonly PersonalFieldRule[]>>;

/**
 * Which sealed fields a reader opens, per event type (paths in `data`; `*` for any array index); every other sealed
 * value stays sealed. Data minimisation for readers that need little (a projection needing a name, not the health
 * data beside it) — and each value left sealed is a decryption saved.
 */
export type OpenOnly = Readonly<Record<string, readonly string[]>>;
