/**
 * The PR pointers: which pull request and which commits a check was about. pr-check saves them as a
 * small artifact for pr-comment; pr-comment receives them as flags. Either way they are untrusted
 * (the artifact is written by a job that runs the PR's own code, and a PR can add a workflow of the
 * same name that uploads anything), so they are parsed strictly here and then checked against
 * GitHub itself (pull-request.ts): they only ever say which PR to look at, never what is in it.
 */
import { terminalJson } from '../validate/terminal-text.ts';

export interface PrPointers {
  pr: number;
  /** 40 lower-case hex digits. */
  head: string;
  base: string | null;
}

export type PointersResult = { ok: true; pointers: PrPointers } | { ok: false; message: string };

/** The artifact's file format version. */
export const POINTERS_SCHEMA = 1;
/** GitHub's issue numbers are positive 32-bit integers. */
const MAX_PR = 2 ** 31 - 1;
/** The artifact is a few dozen bytes; anything much larger is not ours. */
export const MAX_POINTERS_BYTES = 4096;

export const isCommitSha = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{40}$/.test(v);

/** A value shown in a message: short, quoted, nothing that a terminal obeys. */
function shown(v: unknown): string {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return terminalJson(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function prNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= MAX_PR ? v : null;
  if (typeof v === 'string' && /^[1-9][0-9]{0,9}$/.test(v)) return Number(v) <= MAX_PR ? Number(v) : null;
  return null;
}

/** From flags (strings) or the artifact's JSON (a number and strings); every field is checked. */
export function parsePointers(raw: { pr?: unknown; head?: unknown; base?: unknown }): PointersResult {
  const pr = prNumber(raw.pr);
  if (pr === null) return { ok: false, message: `the PR number must be a whole number from 1 to ${MAX_PR}, got ${shown(raw.pr)}` };
  if (!isCommitSha(raw.head)) return { ok: false, message: `the head must be a commit SHA of 40 lower-case hex digits, got ${shown(raw.head)}` };
  if (raw.base !== undefined && raw.base !== null && !isCommitSha(raw.base)) {
    return { ok: false, message: `the base must be a commit SHA of 40 lower-case hex digits, got ${shown(raw.base)}` };
  }
  return { ok: true, pointers: { pr, head: raw.head, base: (raw.base as string | undefined) ?? null } };
}

/** The artifact's text: `{"schema":1,"pr":7,"head":"…","base":"…"}`. */
export function serializePointers(p: PrPointers): string {
  return `${JSON.stringify({ schema: POINTERS_SCHEMA, pr: p.pr, head: p.head, base: p.base })}\n`;
}

/** The artifact back, as untrusted text. */
export function parsePointersFile(text: string): PointersResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_POINTERS_BYTES) return { ok: false, message: `the pointers file is over ${MAX_POINTERS_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the pointers file is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'the pointers file is not a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.schema !== POINTERS_SCHEMA) return { ok: false, message: `the pointers file has schema ${shown(v.schema)}, not ${POINTERS_SCHEMA}` };
  return parsePointers(v);
}
