import type { AdminClient } from '@metro/admin-client';
import { badge, errorText, h, replace, time, toast } from './dom.js';

type AuditPage = Awaited<ReturnType<AdminClient['audit']['list']['query']>>;
type AuditEntry = AuditPage['items'][number];

/** A short form of an entry's input: `12 ids`, the filter, or the id. */
function inputText(input: unknown): string {
  if (input === null || typeof input !== 'object') return input === null || input === undefined ? '-' : String(input);
  const ids = (input as { ids?: unknown }).ids;
  return Array.isArray(ids) ? `${ids.length} ids` : JSON.stringify(input);
}

/** The audit trail (admin role): who did what, from where, with what result; filter by principal and procedure. */
export class AuditView {
  readonly el: HTMLElement;
  readonly #tbody = h('tbody');
  readonly #principal = h('input', { placeholder: 'Principal', class: 'narrow', 'data-testid': 'audit-principal' });
  readonly #procedure = h('input', { placeholder: 'Procedure (failed.retry)', class: 'narrow' });

  constructor(private readonly client: AdminClient) {
    this.el = h(
      'section',
      { class: 'view', 'data-testid': 'audit-view' },
      h(
        'form',
        { class: 'toolbar', onsubmit: (e: Event) => (e.preventDefault(), void this.reload()) },
        this.#principal,
        this.#procedure,
        h('button', { class: 'btn', type: 'submit' }, 'Apply'),
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'grid', 'data-testid': 'audit-table' },
          h('thead', {}, h('tr', {}, ...['Time', 'Principal', 'Roles', 'Address', 'Via', 'Procedure', 'Outcome', 'Count', 'Input'].map((c) => h('th', {}, c)))),
          this.#tbody,
        ),
      ),
    );
  }

  async reload(): Promise<void> {
    try {
      const principal = this.#principal.value.trim();
      const procedure = this.#procedure.value.trim();
      const page = await this.client.audit.list.query({ limit: 100, ...(principal ? { principal } : {}), ...(procedure ? { procedure } : {}) });
      if (page.items.length === 0) return replace(this.#tbody, h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'Nothing audited yet.')));
      replace(this.#tbody, ...page.items.map((e) => this.#row(e)));
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  #row(e: AuditEntry): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-procedure': e.procedure ?? '', 'data-principal': e.principal ?? '', 'data-outcome': e.outcome },
      h('td', { class: 'nowrap' }, time(e.at)),
      h('td', { class: 'strong' }, e.principal ?? '(refused)'),
      h('td', {}, e.roles.join('+') || '-'),
      h('td', { class: 'mono small' }, e.clientAddress ?? '-'),
      h('td', {}, e.transport),
      h('td', { class: 'mono small' }, e.procedure ?? e.kind),
      h('td', {}, badge(e.outcome)),
      h('td', { class: 'num' }, e.resultCount ?? '-'),
      h('td', {}, h('code', { class: 'mono small clip' }, inputText(e.input))),
    );
  }
}
