import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from '../../scripts/paths';

/**
 * Debian's Chromium driven by playwright-core, headless, for tests of the pages the API serves.
 * Nothing is downloaded by Playwright: the browser is the system package, installed here with
 * apt-get when missing and the tests run as root, or named by CHROMIUM_PATH.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots and other things a person looks at after a run; git-ignored. */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0 || process.env.CHROMIUM_PATH) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (\`apt-get install -y chromium\`, as root) or set CHROMIUM_PATH.`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, yet there is no ${CHROMIUM}.`);
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No sandbox: CI runs as root, where Chromium refuses its sandbox. No background calls home.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
}

/** The API's pages served on a free loopback port, and a browser to open them. */
export interface PagesInBrowser {
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function openPagesInBrowser(app: { fetch: (request: Request) => Response | Promise<Response> }): Promise<PagesInBrowser> {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium().catch((err: unknown) => {
    server.close();
    throw err;
  });
  return {
    base,
    browser,
    async close() {
      await browser.close();
      server.close();
    },
  };
}
