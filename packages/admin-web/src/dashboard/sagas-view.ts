import type { AdminClient, SagaDto } from '@metro/admin-client';
import { badge, errorText, h, replace, time, toast } from './dom.js';
import { showSagaDetail } from './saga-detail.js';
import type { Session } from './session.js';

type Status = 'active' | 'completed' | '';

/** Sagas: listed by saga, status and current state; a detail panel per saga with complete and delete for operators. */
export class SagasView {
  readonly el: HTMLElement;
  readonly #tbody = h('tbody');
  readonly #panel = h('aside', { class: 'panel' });
  readonly #saga = h('input', { placeholder: 'Saga (order)', class: 'narrow', 'data-testid': 'saga-filter-saga' });
  readonly #state = h('input', { placeholder: 'Current state', class: 'narrow', 'data-testid': 'saga-filter-state' });
  readonly #status = h(
    'select',
    { 'data-testid': 'saga-filter-status' },
    ...(['active', 'completed', ''] as const).map((s) => h('option', { value: s }, s || 'any status')),
  );
  #open: { saga: string; key: string } | null = null;

  constructor(
    private readonly client: AdminClient,
    private readonly session: Session,
  ) {
    this.#status.addEventListener('change', () => void this.reload());
    this.el = h(
      'section',
      { class: 'view', 'data-testid': 'sagas-view' },
      h('p', { class: 'muted intro' }, 'Long-running processes of @metro/saga: each row is one saga instance, moved by the messages it handles.'),
      h(
        'form',
        { class: 'toolbar', onsubmit: (e: Event) => (e.preventDefault(), void this.reload()) },
        this.#saga,
        this.#state,
        this.#status,
        h('button', { class: 'btn', type: 'submit' }, 'Apply'),
      ),
      h(
        'div',
        { class: 'split' },
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'grid', 'data-testid': 'sagas-table' },
            h('thead', {}, h('tr', {}, ...['Saga', 'Key', 'State', 'Status', 'Version', 'Timeouts', 'Last message', 'Updated'].map((c) => h('th', {}, c)))),
            this.#tbody,
          ),
        ),
        this.#panel,
      ),
    );
  }

  async reload(): Promise<void> {
    try {
      const saga = this.#saga.value.trim();
      const currentState = this.#state.value.trim();
      const status = this.#status.value as Status;
      const page = await this.client.sagas.list.query({
        limit: 100,
        ...(saga ? { saga } : {}),
        ...(currentState ? { currentState } : {}),
        ...(status ? { status } : {}),
      });
      if (page.items.length === 0) replace(this.#tbody, h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No saga matches.')));
      else replace(this.#tbody, ...page.items.map((s) => this.#row(s)));
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  #row(s: SagaDto): HTMLTableRowElement {
    const open = this.#open?.saga === s.saga && this.#open.key === s.key;
    return h(
      'tr',
      { 'data-saga': s.saga, 'data-key': s.key, class: open ? 'active' : '', onclick: () => this.#show({ saga: s.saga, key: s.key }) },
      h('td', { class: 'strong' }, s.saga),
      h('td', { class: 'mono small' }, s.key),
      h('td', { 'data-testid': 'saga-row-state' }, s.currentState ?? '-'),
      h('td', {}, badge(s.status)),
      h('td', { class: 'num' }, s.version),
      h('td', { class: 'num' }, Object.keys(s.timeouts).length),
      h('td', {}, s.history.at(-1)?.message ?? '-'),
      h('td', { class: 'nowrap' }, time(s.updatedAt)),
    );
  }

  #show(id: { saga: string; key: string }): void {
    this.#open = id;
    this.el.classList.add('with-panel');
    void this.reload();
    void showSagaDetail(this.client, this.session, this.#panel, id, {
      onChange: () => void this.reload(),
      onClose: () => {
        this.#open = null;
        this.el.classList.remove('with-panel');
        replace(this.#panel);
        void this.reload();
      },
    });
  }
}
