/**
 * The pages' only way to data: the authenticated JSON API, with the key the person typed in. The
 * page itself carries no data, so the API's own rules decide what each key sees. The key is kept
 * in sessionStorage: it lives as long as the tab and is never sent anywhere but this API.
 */

const KEY_ITEM = 'dvct-api-key';

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_ITEM);
}

/** GET a JSON document; a problem+json answer becomes an ApiProblem, a 401 also forgets the key. */
export async function apiGet<T>(path: string): Promise<T> {
  const key = storedKey();
  if (!key) throw new ApiProblem(401, 'UNAUTHENTICATED', 'Enter an API key first.');
  const res = await fetch(path, { headers: { authorization: `Bearer ${key}`, accept: 'application/json' } });
  const body = (await res.json().catch(() => null)) as (T & { code?: string; detail?: string }) | null;
  if (res.ok && body) return body;
  if (res.status === 401) forgetKey();
  throw new ApiProblem(res.status, body?.code ?? 'INTERNAL', body?.detail ?? `The API answered HTTP ${res.status}.`);
}

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

export function svgElement<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

/**
 * The key bar every page has: a form until a key is stored, then a way to forget the key. `onKey`
 * runs whenever a key becomes available (at once if one is stored); `refresh` redraws the bar, e.g.
 * after the API refused the key.
 */
export function keyBar(host: HTMLElement, onKey: () => void): { refresh(): void } {
  const render = () => {
    host.replaceChildren();
    if (storedKey()) {
      const forget = element('button', { type: 'button', id: 'forget-key' }, 'Forget key');
      forget.addEventListener('click', () => {
        forgetKey();
        location.reload();
      });
      host.append(element('span', { class: 'key-status' }, 'API key set for this tab'), forget);
      return;
    }
    const input = element('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', placeholder: 'dvct_… or the operator key', required: '' });
    const form = element('form', { id: 'key-form' }, element('label', { for: 'api-key' }, 'API key '), input, element('button', { type: 'submit' }, 'Use key'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY_ITEM, input.value.trim());
      render();
      onKey();
    });
    host.append(form, element('span', { class: 'hint' }, 'Kept in this tab only; every request goes to the DVCT API with it.'));
  };
  render();
  if (storedKey()) onKey();
  return { refresh: render };
}

/** A problem shown in place of the content, with the API's own words. */
export function problemView(err: unknown): HTMLElement {
  const message = err instanceof ApiProblem ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  return element('p', { class: 'problem', role: 'alert' }, message);
}
