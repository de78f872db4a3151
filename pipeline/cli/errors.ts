/**
 * The few typed errors the CLI maps to exit codes, in one place.
 * Library code throws these (or returns results); only entry files set process.exitCode.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
/** Bad input the user can fix: an invalid manifest, a bad slug, an existing folder. */
export class InputError extends Error {
  override name = 'InputError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  return EXIT.failed;
}
