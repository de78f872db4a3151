/** What the licence pages say: plain durations, text from agents shown as data, bounded arguments. */
import { describe, expect, it } from 'vitest';
import { MAX_LICENCE_MINUTES, ONE_SHOT_MINUTES as REGISTRY_ONE_SHOT } from '../../pipeline/registry/licences.ts';
import { ARGUMENTS_PREVIEW_CHARS, DURATION_PRESETS, ONE_SHOT_MINUTES, argumentsText, clientWords, durationWords, formatIn, visibleText } from '../src/lib/licence-words.ts';

describe('licence words', () => {
  it('the presets are the five DESIGN.md names, within the registry’s 7 days, and the one-shot window is the registry’s', () => {
    expect(DURATION_PRESETS.map((p) => p.label)).toEqual(['15 minutes', '1 hour', '8 hours', '1 day', '7 days']);
    expect(DURATION_PRESETS.map((p) => durationWords(p.minutes))).toEqual(['15 minutes', '1 hour', '8 hours', '1 day', '7 days']);
    expect(Math.max(...DURATION_PRESETS.map((p) => p.minutes))).toBe(MAX_LICENCE_MINUTES);
    expect(ONE_SHOT_MINUTES).toBe(REGISTRY_ONE_SHOT);
    expect(durationWords(90)).toBe('1 hour 30 minutes');
    expect(durationWords(1)).toBe('1 minute');
  });

  it('a future time reads as "in …", a past one as "now"', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(formatIn(new Date(now + 55 * 60_000), now)).toBe('in 55 min');
    expect(formatIn(new Date(now + 8 * 3600_000), now)).toBe('in 8 h');
    expect(formatIn(new Date(now + 7 * 86_400_000), now)).toBe('in 7 days');
    expect(formatIn(new Date(now - 1000), now)).toBe('now');
  });

  it('invisible and direction-changing characters from an agent are spelled out, never rendered', () => {
    expect(visibleText('itm_1\u202Eexe.txt')).toBe('itm_1\\u{202e}exe.txt');
    expect(visibleText('a\u200Bb\u2066c\u0007')).toBe('a\\u{200b}b\\u{2066}c\\u{0007}');
    expect(clientWords('Agent\u202E', '1.0')).toBe('Agent\\u{202e} 1.0');
    expect(clientWords(null, null)).toBe('an unnamed MCP client');
    expect(argumentsText({ name: 'x\u202Ey' }).full).toContain('x\\u{202e}y');
  });

  it('long arguments show a bounded preview and the whole text behind "show all"', () => {
    const short = argumentsText({ id: 'itm_1' });
    expect(short).toEqual({ preview: '{\n  "id": "itm_1"\n}', full: '{\n  "id": "itm_1"\n}', truncated: false });
    const long = argumentsText({ body: 'x'.repeat(5000) });
    expect(long.truncated).toBe(true);
    expect(long.preview.length).toBeLessThanOrEqual(ARGUMENTS_PREVIEW_CHARS + 2);
    expect(long.full).toContain('x'.repeat(5000));
  });
});
