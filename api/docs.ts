import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ApiRouter } from './context';
import { DvctError } from '../domain/errors';

/**
 * The docs page: Swagger UI served from the installed swagger-ui-dist package, so it works on a
 * machine without internet access and loads nothing from a CDN. Only the files the page needs
 * are served, from memory after the first read.
 */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

// A file of its own, not an inline script: a Content-Security-Policy that forbids inline scripts still allows it.
// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>DVCT API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/docs-initializer.js"></script>
</body>
</html>
`;

const cache = new Map<string, Promise<Buffer>>();

function asset(name: string): Promise<Buffer> {
  let file = cache.get(name);
  if (!file) {
    file = readFile(join(SWAGGER_UI_DIR, name));
    cache.set(name, file);
  }
  return file;
}

export function mountDocs(app: ApiRouter): void {
  app.get('/docs', (c) => c.html(PAGE));

  app.get('/docs/assets/docs-initializer.js', (c) =>
    c.body(INITIALIZER, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );

  app.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    const contentType = ASSETS[name];
    if (!contentType) throw new DvctError('NOT_FOUND', `There is no docs asset ${name}.`);
    const body = await asset(name);
    return c.body(new Uint8Array(body), 200, { 'content-type': contentType, 'cache-control': 'public, max-age=86400' });
  });
}
