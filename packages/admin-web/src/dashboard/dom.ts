/** An `on*` listener of {@link h}; an async one that rejects is reported on the console, never left unhandled. */
type Listener = (event: Event) => unknown;
/** Attributes of {@link h}: DOM properties, `on*` listeners, `data-*`/`aria-*` attributes. */
type Attrs = Record<string, string | number | boolean | null | undefined | Listener>;

function listen(el: Element, type: string, listener: Listener): void {
  el.addEventListener(type, (event) => {
    const result = listener(event);
    if (result instanceof Promise) result.catch((err: unknown) => console.error(`metro admin: ${type} handler failed`, err));
  });
}
type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element. Text is always set as text (never parsed as HTML), so data from messages is safe.
 *
 * @example
 * ```ts
 * h('button', { class: 'btn', onclick: () => retry() }, 'Retry');
 * ```
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') listen(el, key.slice(2), value);
    else if (key === 'class') el.className = String(value);
    else if (key === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else if (key === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A coloured status pill. */
export function badge(status: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${status}`, 'data-status': status }, status);
}

/** `12:00:05` today, else `Jan 31 12:00`. */
export function time(iso: string | null): string {
  if (!iso) return '-';
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour12: false })
    : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false })}`;
}

let toastTimer: number | undefined;

/** A short message at the bottom of the screen. */
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', role: 'status' });
    document.body.append(el);
  }
  el.textContent = message;
  el.className = `toast toast-${kind} show`;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => el?.classList.remove('show'), 3500);
}

/** The message of an error from the API. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
