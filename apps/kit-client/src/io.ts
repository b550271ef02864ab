/** Where a command writes: results to `out` (stdout), progress and diagnostics to `err` (stderr). */
export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The exit codes (sysexits.h where one fits), as `kit --help` documents them. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** EX_TEMPFAIL: no answer (network down, server busy) or the store is in use — try again later. */
  tempFail: 75,
  /** EX_NOPERM: the server refused the token (401/403). */
  noPerm: 77,
  /** EX_CONFIG: bad or missing configuration, or a data directory of another kit. */
  config: 78,
} as const;
