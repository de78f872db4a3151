import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInApi, type StandInApi } from '../stand-in-api.ts';

const KEY = 'stand-in-test-key';
let api: StandInApi;
beforeAll(async () => {
  api = await startStandInApi({ apiKey: KEY });
});
afterAll(() => api.close());

describe('the stand-in API', () => {
  it('listens on 127.0.0.1 on a free port', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 401 without a bearer token, with a wrong one, and with the key not as a bearer token', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${KEY}`, `Bearer ${KEY}x`]) {
      const res = await fetch(`${api.url}/items`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(KEY);
    }
  });

  it('lists items and deletes one with the right key, recording each Authorization header', async () => {
    const before = api.received.length;
    const headers = { authorization: `Bearer ${KEY}` };
    const list = await fetch(`${api.url}/items`, { headers });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(3);
    const gone = await fetch(`${api.url}/items/itm_3`, { method: 'DELETE', headers });
    expect(await gone.json()).toEqual({ deleted: 'itm_3' });
    const again = await fetch(`${api.url}/items/itm_3`, { method: 'DELETE', headers });
    expect(again.status).toBe(404);
    expect(api.received.slice(before)).toEqual([
      { method: 'GET', path: '/items', authorization: `Bearer ${KEY}` },
      { method: 'DELETE', path: '/items/itm_3', authorization: `Bearer ${KEY}` },
      { method: 'DELETE', path: '/items/itm_3', authorization: `Bearer ${KEY}` },
    ]);
  });
});
