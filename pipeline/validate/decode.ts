/**
 * Bytes to text, refusing what is not a manifest: files over 256 KiB and invalid UTF-8.
 * The size is checked by the caller before reading (fs.stat), and again here for callers with bytes.
 */
import type { Problem } from './types.ts';

export const MAX_MANIFEST_BYTES = 256 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

export type Decoded = { ok: true; text: string } | { ok: false; problem: Problem };

export function tooLargeProblem(file: string, size: number): Problem {
  return {
    file, line: 1, column: 1, path: '', code: 'file_too_large',
    message: `the file is ${size} bytes; manifests are at most ${MAX_MANIFEST_BYTES} bytes (256 KiB). Trim long descriptions or split the connector.`,
  };
}

export function decodeManifestBytes(bytes: Uint8Array, file: string): Decoded {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) return { ok: false, problem: tooLargeProblem(file, bytes.byteLength) };
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) { line++; lineStart = i + 1; }
    const column = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
    const hex = Array.from(bytes.subarray(offset, offset + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return {
      ok: false,
      problem: { file, line, column, path: '', code: 'invalid_utf8', message: `the file is not valid UTF-8 (bytes ${hex} at byte ${offset}). Save it as UTF-8.` },
    };
  }
}

/** Byte offset of the first malformed UTF-8 sequence (overlong, surrogate, out of range, truncated). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n = 0;
    let min = 0;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; }
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}
