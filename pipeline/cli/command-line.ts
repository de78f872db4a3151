/**
 * One definition per command: its flags (with their help), its arguments and what it does. The
 * parser (node:util parseArgs, strict), the one-line synopsis shown with every usage error and the
 * `--help` text are all made from it, so help cannot leave out a flag the command accepts.
 * Pure: no file, no environment, no process.
 */
import { parseArgs } from 'node:util';
import { didYouMean } from '../validate/suggest.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import { UsageError } from './errors.ts';

export const PROGRAM = 'npm run connectors --';

export type FlagSpec =
  | { type: 'boolean'; help: string }
  /** `value` names the value in the synopsis (`--data-dir DIR`); an empty value is a usage error. */
  | { type: 'string'; value: string; help: string; required?: boolean };

export interface CommandSpec<F extends Record<string, FlagSpec> = Record<string, FlagSpec>, N extends string = string> {
  name: N;
  /** The words that run it, before its flags. Default: `npm run connectors -- <name>`; `npm start --` for npm start. */
  program?: string;
  /** One line: what the command does. */
  summary: string;
  flags: F;
  /** Positional arguments; none when absent. */
  args?: { synopsis: string; min: number; max: number; help: string };
  /** Said when arguments are given to a command that takes none (why, and what to do instead). */
  noArgsHint?: string;
  /** More lines for --help (environment, defaults). */
  notes?: string;
  /** The exit-codes line of --help, for an entry point whose codes mean something else (default: EXIT_CODES). */
  exitCodes?: string;
}

/** What the exit codes of `npm run connectors` and `npm start` mean (DESIGN.md, "Command contract"). */
export const EXIT_CODES = 'Exit codes: 0 success (warnings allowed), 1 invalid input or a failed check, 2 usage error.';

export type FlagValues<F extends Record<string, FlagSpec>> = {
  [K in keyof F]?: F[K] extends { type: 'boolean' } ? boolean : string;
};

/** Declares a command, keeping its literal name and flag names for typed values. */
export function defineCommand<const N extends string, const F extends Record<string, FlagSpec>>(spec: CommandSpec<F, N>): CommandSpec<F, N> {
  return spec;
}

const flagWords = (name: string, f: FlagSpec) => (f.type === 'string' ? `--${name} ${f.value}` : `--${name}`);

/** The arguments and flags, required flags without brackets. */
function argumentWords(spec: CommandSpec): string[] {
  const flags = Object.entries(spec.flags).map(([name, f]) => (f.type === 'string' && f.required ? flagWords(name, f) : `[${flagWords(name, f)}]`));
  return [...(spec.args ? [spec.args.synopsis] : []), ...flags];
}

/** `plan [--full] [--json] [--database-url URL] [--data-dir DIR]`, required flags without brackets. */
export function synopsis(spec: CommandSpec): string {
  return [spec.name, ...argumentWords(spec)].join(' ');
}

/** What the user types before the flags: `npm run connectors -- plan`, `npm start --`. */
export function invocation(spec: CommandSpec): string {
  return spec.program ?? `${PROGRAM} ${spec.name}`;
}

export function usageLine(spec: CommandSpec): string {
  return ['Usage:', invocation(spec), ...argumentWords(spec)].join(' ');
}

/** The whole `<command> --help`: synopsis, summary, every argument and flag, notes. */
export function helpText(spec: CommandSpec): string {
  const rows: [string, string][] = [];
  if (spec.args) rows.push([spec.args.synopsis, spec.args.help]);
  for (const [name, f] of Object.entries(spec.flags)) rows.push([flagWords(name, f), f.help]);
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 3;
  const lines = [usageLine(spec), '', spec.summary, '', 'Options:'];
  for (const [left, right] of rows) {
    wrap(right, HELP_COLUMNS - 2 - width).forEach((text, i) => lines.push(`  ${(i === 0 ? left : '').padEnd(width)}${text}`));
  }
  if (spec.notes) lines.push('', spec.notes);
  lines.push('', spec.exitCodes ?? EXIT_CODES);
  return `${lines.join('\n')}\n`;
}

const HELP_COLUMNS = 100;

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out;
}

/** True when the arguments ask for help (before any `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

export interface ParsedCommandLine<F extends Record<string, FlagSpec>> {
  values: FlagValues<F>;
  positionals: string[];
}

/**
 * Parses `args` strictly against the command's flags. An unknown flag (with the closest known one),
 * a flag without its value, an empty value, or the wrong number of arguments is a UsageError that
 * ends with the command's synopsis.
 */
export function parseCommandLine<F extends Record<string, FlagSpec>>(spec: CommandSpec<F>, args: string[]): ParsedCommandLine<F> {
  const fail = (message: string): never => {
    throw new UsageError(`${message}\n${usageLine(spec)}\nRun ${invocation(spec)} --help for every option.`);
  };
  const options = Object.fromEntries(Object.entries(spec.flags).map(([name, f]) => [name, { type: f.type }]));
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(e.message)?.[1] : undefined;
    if (unknown !== undefined) {
      const known = Object.keys(spec.flags).map((n) => `--${n}`);
      fail(`${spec.name} has no option ${escapeControl(unknown)}.${didYouMean(unknown.replace(/=.*$/, ''), known)}`);
    }
    // `--vault-dir` at the end, or followed by another flag (`--vault-dir --socket x`, "ambiguous").
    const missing = /^Option '--([a-z-]+)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(e.message)?.[1];
    const flag = missing === undefined ? undefined : spec.flags[missing];
    if (flag?.type === 'string') fail(`--${missing} needs a value (${flag.value}).`);
    fail(escapeControl(e.message.replace(/\n/g, ' ')));
  }
  const values = parsed!.values as Record<string, string | boolean | undefined>;
  for (const [name, f] of Object.entries(spec.flags)) {
    if (f.type === 'string' && values[name] === '') fail(`--${name} needs a value (${f.value}).`);
  }
  const positionals = parsed!.positionals;
  const shown = () => `"${escapeControl(positionals.join(' '))}"`;
  if (!spec.args && positionals.length > 0) {
    fail(`${spec.name} takes no arguments (got ${shown()})${spec.noArgsHint ? `: ${spec.noArgsHint}` : '.'}`);
  }
  if (spec.args && positionals.length < spec.args.min) fail(`${spec.name} needs ${spec.args.synopsis}: it is missing.`);
  if (spec.args && positionals.length > spec.args.max) fail(`${spec.name} takes ${spec.args.max === 1 ? 'one' : `at most ${spec.args.max}`} ${spec.args.synopsis} (got ${shown()}).`);
  return { values: values as FlagValues<F>, positionals };
}
