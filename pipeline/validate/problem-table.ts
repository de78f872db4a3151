/**
 * The README's table of problem codes, made from the catalogue (problem-codes.ts). It sits between
 * two markers; problem-codes.test.ts fails when it differs from the catalogue, and running this
 * file rewrites it: `npx tsx pipeline/validate/problem-table.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { problemCodesTable } from './problem-codes.ts';

export const TABLE_START = '<!-- problem-codes:start (generated from pipeline/validate/problem-codes.ts) -->';
export const TABLE_END = '<!-- problem-codes:end -->';

/** The README's text with the table between the markers replaced by the catalogue's; undefined without the markers. */
export function withProblemTable(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return undefined;
  return `${readme.slice(0, start + TABLE_START.length)}\n${problemCodesTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md');
  const next = withProblemTable(readFileSync(file, 'utf8'));
  if (next === undefined) {
    console.error(`README.md has no ${TABLE_START} ... ${TABLE_END} block: add the two markers where the table belongs.`);
    process.exitCode = 1;
  } else {
    writeFileSync(file, next);
    console.log('README.md: problem code table written.');
  }
}
