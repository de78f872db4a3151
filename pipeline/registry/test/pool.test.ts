/**
 * What counts as a lost registry connection (one plain line, a retry) and what does not (a real
 * error, said as it is). The real losses are provoked on PostgreSQL in pipeline/start/test/lost-connection.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CommitUnknownError } from '../../sentinel/sync.ts';
import { isConnectionLost, lostReason } from '../pool.ts';

const withCode = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);

describe('isConnectionLost', () => {
  it('a terminated backend, a server shutting down, a socket reset or refused, pg\'s own "Connection terminated" are losses', () => {
    expect(isConnectionLost(withCode('terminating connection due to administrator command', { code: '57P01' }))).toBe(true);
    expect(isConnectionLost(withCode('the database system is shutting down', { code: '57P03' }))).toBe(true);
    expect(isConnectionLost(withCode('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read' }))).toBe(true);
    expect(isConnectionLost(withCode('connect ENOENT /x/run/.s.PGSQL.5432', { code: 'ENOENT', syscall: 'connect' }))).toBe(true);
    expect(isConnectionLost(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('a loss wrapped by a caller (a migration failing) is still a loss', () => {
    const cause = new Error('Connection terminated unexpectedly');
    expect(isConnectionLost(new Error('registry migration failed: Connection terminated unexpectedly', { cause }))).toBe(true);
  });

  it('SQL errors, a missing file and a COMMIT whose fate is unknown are not "lost before anything was written"', () => {
    expect(isConnectionLost(withCode('relation "x" does not exist', { code: '42P01' }))).toBe(false);
    expect(isConnectionLost(withCode("ENOENT: no such file or directory, open 'connectors/x/manifest.yaml'", { code: 'ENOENT', syscall: 'open' }))).toBe(false);
    expect(isConnectionLost(new CommitUnknownError('the connection to the registry was lost while the sync was committing'))).toBe(false);
    expect(isConnectionLost('Connection terminated')).toBe(false);
  });

  it('lostReason is the first line of the message', () => {
    expect(lostReason(new Error('terminating connection due to administrator command\nDETAIL: x'))).toBe('terminating connection due to administrator command');
  });
});
