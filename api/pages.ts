import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DvctError } from '../domain/errors';
import type { ApiRouter } from './context';

/**
 * The lineage and provider-report pages. Each page is a static HTML shell with no data in it: the
 * browser asks for an API key and reads everything through the authenticated /v1 API, so the
 * API's visibility rules are the pages' rules too. The scripts are TypeScript under ui/, bundled
 * with the installed packages (esbuild, dagre) on first request and kept in memory: nothing comes
 * from a CDN and there is nothing extra to start.
 */

const UI_DIR = fileURLToPath(new URL('../ui/', import.meta.url));

const BUNDLES: Record<string, string> = { 'lineage.js': 'lineage/main.ts', 'report.js': 'report/main.ts' };

/** Scripts and styles from this origin only; nothing inline. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const bundles = new Map<string, Promise<string>>();

function bundle(name: string, entry: string): Promise<string> {
  let code = bundles.get(name);
  if (!code) {
    code = build({
      entryPoints: [join(UI_DIR, entry)],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
    }).then((result) => result.outputFiles[0]!.text);
    // A failed build is not kept: the next request tries again.
    code.catch(() => bundles.delete(name));
    bundles.set(name, code);
  }
  return code;
}

function shell(title: string, script: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>DVCT · ${title}</title>
  <link rel="stylesheet" href="/ui/assets/style.css">
</head>
<body>
  <header>
    <h1>DVCT <span>${title}</span></h1>
    <nav><a href="/ui/lineage">Lineage</a> <a href="/ui/report">Provider report</a> <a href="/docs">API</a></nav>
    <div id="key-bar"></div>
  </header>
  <main>
${main}
  </main>
  <script type="module" src="/ui/assets/${script}"></script>
</body>
</html>
`;
}

const depthOptions = Array.from({ length: 10 }, (_, i) => `<option value="${i + 1}">${i + 1}</option>`).join('');

const LINEAGE_PAGE = shell(
  'Lineage',
  'lineage.js',
  `    <form id="lineage-form" class="controls">
      <label>Node <input name="node" placeholder="node-…" size="42" autocomplete="off"></label>
      <label>Direction <select name="direction">
        <option value="both">backward and forward</option>
        <option value="backward">backward: where it came from</option>
        <option value="forward">forward: where it went</option>
      </select></label>
      <label>Depth <select name="depth">${depthOptions}</select></label>
      <button type="submit">Show</button>
    </form>
    <ul class="legend">
      <li class="kind-raw-data">raw data</li><li class="kind-chain-data">chain data</li><li class="kind-final-data">final data</li>
      <li class="note">Thick border: the node in the centre. Click a node to centre on it. Links: use case (data contract) and the points the use allocated.</li>
    </ul>
    <p id="status" aria-live="polite"></p>
    <div id="graph"></div>`,
);

const REPORT_PAGE = shell(
  'Provider report',
  'report.js',
  `    <form id="report-form" class="controls">
      <label>Participant <input name="participant" placeholder="org-…" autocomplete="off"></label>
      <label>From <input type="date" name="from"></label>
      <label>To <input type="date" name="to"></label>
      <button type="submit">Show</button>
    </form>
    <p id="status" aria-live="polite"></p>
    <section id="report"></section>`,
);

export function mountPages(app: ApiRouter): void {
  const html = (page: string) => () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP } });
  app.get('/ui/lineage', html(LINEAGE_PAGE));
  app.get('/ui/report', html(REPORT_PAGE));

  app.get('/ui/assets/style.css', async (c) =>
    c.body(await readFile(join(UI_DIR, 'shared/style.css'), 'utf8'), 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  app.get('/ui/assets/:name', async (c) => {
    const name = c.req.param('name');
    const entry = BUNDLES[name];
    if (!entry) throw new DvctError('NOT_FOUND', `There is no page asset ${name}.`);
    return c.body(await bundle(name, entry), 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
  });
}
