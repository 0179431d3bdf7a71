import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, expectProblemShape, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe('the pages', () => {
  it('serves each page without a key, as an HTML shell that allows scripts from this origin only', async () => {
    for (const [path, script] of [['/ui/lineage', '/ui/assets/lineage.js'], ['/ui/report', '/ui/assets/report.js']] as const) {
      const res = await h.request('GET', path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
      expect(res.text).toContain(`<script type="module" src="${script}"></script>`);
      expect(res.text).toContain('<div id="key-bar"></div>');
    }
  });

  it('bundles each page\'s script with its packages: no import is left for the browser to fetch', async () => {
    for (const name of ['lineage.js', 'report.js']) {
      const res = await h.request('GET', `/ui/assets/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.text.length).toBeGreaterThan(1_000);
      // No static import statement and no dynamic import() call.
      expect(res.text).not.toMatch(/(?:^|[;\n])\s*import\s*[{*"']|\}\s*from\s*["']|\bimport\(/);
    }
    // dagre is in the lineage bundle, not fetched.
    expect((await h.request('GET', '/ui/assets/lineage.js')).text).toMatch(/rankdir|network-simplex/);
  });

  it('serves the stylesheet, and 404s anything else', async () => {
    const css = await h.request('GET', '/ui/assets/style.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expectProblemShape(await h.request('GET', '/ui/assets/other.js'), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/ui/elsewhere'), 404, 'NOT_FOUND');
  });
});
