/**
 * The daemon's flags (DESIGN.md: `--vault-dir` and `--socket`), defined once (VAULT_AGENT) and parsed
 * by the CLI's parser like every entry point: a misspelt flag named with the closest one and the
 * synopsis, a flag without its value refused, --help listing both flags. Pure; process.test.ts
 * runs the daemon and checks that a usage error exits 2.
 */
import { describe, expect, it } from 'vitest';
import { helpText } from '../../pipeline/cli/command-line.ts';
import { EXIT, UsageError, exitCodeFor } from '../../pipeline/cli/errors.ts';
import { VAULT_AGENT, parseVaultAgentArgs } from '../src/args.ts';

const SYNOPSIS = 'Usage: npm run vault-agent -- [--vault-dir DIR] [--socket PATH]';

const usageError = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect(exitCodeFor(err)).toBe(EXIT.usage);
    return err as UsageError;
  }
  throw new Error('expected a usage error');
};

describe('vault-agent flags', () => {
  it('take --vault-dir and --socket, as separate words or with =; none given leaves both to the environment', () => {
    expect(parseVaultAgentArgs([])).toEqual({ vaultDir: undefined, socketPath: undefined });
    expect(parseVaultAgentArgs(['--vault-dir', '/v', '--socket', '/r/a.sock'])).toEqual({ vaultDir: '/v', socketPath: '/r/a.sock' });
    expect(parseVaultAgentArgs(['--vault-dir=/v', '--socket=/r/a.sock'])).toEqual({ vaultDir: '/v', socketPath: '/r/a.sock' });
  });

  it('a flag without its value (at the end, empty, or followed by another flag) is a usage error', () => {
    for (const argv of [['--vault-dir'], ['--vault-dir', ''], ['--vault-dir=', '--socket', 's'], ['--vault-dir', '--socket', 's']]) {
      expect(usageError(() => parseVaultAgentArgs(argv)).message.split('\n')).toEqual([
        '--vault-dir needs a value (DIR).',
        SYNOPSIS,
        'Run npm run vault-agent -- --help for every option.',
      ]);
    }
  });

  it('an unknown flag or an argument is one line (with the closest flag), then the synopsis', () => {
    expect(usageError(() => parseVaultAgentArgs(['--vault-dri', 'x'])).message.split('\n').slice(0, 2)).toEqual([
      'vault-agent has no option --vault-dri. Did you mean --vault-dir?',
      SYNOPSIS,
    ]);
    expect(usageError(() => parseVaultAgentArgs(['serve'])).message).toMatch(/^vault-agent takes no arguments \(got "serve"\): everything it takes is a flag\.\n/);
  });

  it('--help lists both flags with their defaults, the environment and the exit codes', () => {
    const text = helpText(VAULT_AGENT);
    expect(text.split('\n')[0]).toBe(SYNOPSIS);
    expect(text).toMatch(/^ {2}--vault-dir DIR +where key files are written \(default: VAULT_DIR, else ~\/northstar-keys\)$/m);
    expect(text).toMatch(/^ {2}--socket PATH +the unix socket to serve on \(default: VAULT_AGENT_SOCKET/m);
    expect(text).toContain('VAULT_AGE_RECIPIENTS');
    expect(text).toMatch(/Exit codes: 0 after a clean stop.*1 when it cannot start, 2 usage error\.\n$/);
  });
});
