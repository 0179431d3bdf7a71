import { ApiProblem, keyBar, problemView } from './api';

/**
 * What both pages do around their own drawing: a form whose fields are the page's address (so a
 * view can be bookmarked, and Back and Forward work), a status line, the key bar, and one place
 * where the view is loaded and drawn, or the API's refusal shown.
 */

export type ViewState<F extends string> = Record<F, string>;

export interface PageSpec<F extends string> {
  form: HTMLFormElement;
  fields: readonly F[];
  /** Values of fields the address leaves out. */
  defaults: ViewState<F>;
  status: HTMLElement;
  out: HTMLElement;
  /** What to say while the view names nothing to show; null when it does. */
  prompt(view: ViewState<F>): string | null;
  /** Fetches and draws the view; `status` is the line shown with it. */
  load(view: ViewState<F>): Promise<{ content: Node; status?: string }>;
}

export interface Page<F extends string> {
  /** Shows a view and makes it the page's address. */
  go(view: ViewState<F>): void;
  /** The view the form holds now. */
  formView(): ViewState<F>;
}

export function runPage<F extends string>(spec: PageSpec<F>): Page<F> {
  const { form, fields, status, out } = spec;
  const field = (name: F) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

  const viewFromUrl = (): ViewState<F> => {
    const q = new URLSearchParams(location.search);
    return Object.fromEntries(fields.map((name) => [name, q.get(name) ?? spec.defaults[name]])) as ViewState<F>;
  };
  const setForm = (view: ViewState<F>) => {
    for (const name of fields) field(name).value = view[name];
  };
  const formView = (): ViewState<F> => Object.fromEntries(fields.map((name) => [name, field(name).value.trim()])) as ViewState<F>;

  let bar: { refresh(): void } | undefined;
  const show = async (view: ViewState<F>): Promise<void> => {
    const prompt = spec.prompt(view);
    if (prompt !== null) {
      status.textContent = prompt;
      out.replaceChildren();
      return;
    }
    status.textContent = 'Loading…';
    try {
      const shown = await spec.load(view);
      status.textContent = shown.status ?? '';
      out.replaceChildren(shown.content);
    } catch (err) {
      status.textContent = '';
      out.replaceChildren(problemView(err));
      if (err instanceof ApiProblem && err.status === 401) bar?.refresh();
    }
  };

  const go = (view: ViewState<F>) => {
    const query = new URLSearchParams(Object.entries<string>(view).filter(([, value]) => value !== ''));
    history.pushState(null, '', `?${query}`);
    setForm(view);
    void show(view);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go(formView());
  });
  window.addEventListener('popstate', () => {
    setForm(viewFromUrl());
    void show(viewFromUrl());
  });
  setForm(viewFromUrl());
  bar = keyBar(document.querySelector<HTMLElement>('#key-bar')!, () => void show(viewFromUrl()));
  return { go, formView };
}
