import type { AdminClient, FailureSummary } from '@metro/admin-client';
import { badge, errorText, h, replace, time, toast } from './dom.js';
import { showFailureDetail } from './failure-detail.js';
import type { Session } from './session.js';

type Filter = {
  text?: string;
  type?: string;
  service?: string;
  status?: 'failed' | 'retried' | 'resolved' | 'deleted';
  reason?: 'handler' | 'decode' | 'validation' | 'expired' | 'no-handler' | 'oversized' | 'delivery-limit';
};

/** The failed-messages view: filters, search, live table, selection, bulk actions, detail panel. */
export class FailedView {
  readonly el: HTMLElement;
  #filter: Filter = {};
  #items: FailureSummary[] = [];
  #selected = new Set<string>();
  #fresh = new Set<string>();
  #cursors: Array<string | undefined> = [undefined];
  #next: string | null = null;
  #detailId: string | null = null;
  readonly #tbody = h('tbody');
  readonly #panel = h('aside', { class: 'panel' });
  readonly #count = h('span', { class: 'muted' });
  readonly #pager = h('div', { class: 'pager' });
  #reloading: Promise<void> | undefined;

  constructor(
    private readonly client: AdminClient,
    private readonly session: Session,
  ) {
    const text = h('input', { type: 'search', placeholder: 'Search error, type or message id…', 'data-testid': 'filter-text', class: 'grow' });
    const type = h('input', { placeholder: 'Type', class: 'narrow' });
    const service = h('input', { placeholder: 'Service', class: 'narrow' });
    const status = h(
      'select',
      { 'data-testid': 'filter-status' },
      h('option', { value: '' }, 'Open (not deleted)'),
      ...['failed', 'retried', 'resolved', 'deleted'].map((s) => h('option', { value: s }, s)),
    );
    const reason = h(
      'select',
      {},
      h('option', { value: '' }, 'Any reason'),
      ...['handler', 'decode', 'validation', 'expired', 'no-handler', 'oversized', 'delivery-limit'].map((s) => h('option', { value: s }, s)),
    );
    const apply = () => {
      this.#filter = {
        ...(text.value.trim() ? { text: text.value.trim() } : {}),
        ...(type.value.trim() ? { type: type.value.trim() } : {}),
        ...(service.value.trim() ? { service: service.value.trim() } : {}),
        ...(status.value ? { status: status.value as Filter['status'] } : {}),
        ...(reason.value ? { reason: reason.value as Filter['reason'] } : {}),
      };
      this.#cursors = [undefined];
      this.#selected.clear();
      void this.reload();
    };
    const form = h(
      'form',
      { class: 'toolbar', onsubmit: (e: Event) => (e.preventDefault(), apply()) },
      text,
      type,
      service,
      status,
      reason,
      h('button', { class: 'btn', type: 'submit' }, 'Apply'),
    );
    status.addEventListener('change', apply);
    reason.addEventListener('change', apply);
    const selectAll = h('input', {
      type: 'checkbox',
      title: 'Select page',
      onchange: (e: Event) => {
        const on = (e.target as HTMLInputElement).checked;
        for (const f of this.#items) {
          if (on) this.#selected.add(f.id);
          else this.#selected.delete(f.id);
        }
        this.#render();
      },
    });
    this.el = h(
      'section',
      { class: 'view', 'data-testid': 'failed-view' },
      form,
      h('div', { class: 'actions' }, this.#count, ...this.#actions()),
      h(
        'div',
        { class: 'split' },
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'grid', 'data-testid': 'failed-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { class: 'check' }, selectAll),
                ...['Status', 'Type', 'Service', 'Error', 'Attempts', 'Last failed'].map((c) => h('th', {}, c)),
              ),
            ),
            this.#tbody,
          ),
          this.#pager,
        ),
        this.#panel,
      ),
    );
  }

  /** The bulk actions the role allows: none for a viewer (the server would refuse them with 403). */
  #actions(): Array<HTMLElement> {
    if (!this.session.can('operate')) {
      return [h('span', { class: 'muted', 'data-testid': 'read-only' }, `Read-only: the ${this.session.role} role cannot retry, delete or restore.`)];
    }
    return [
      h('button', { class: 'btn primary', 'data-testid': 'retry-selected', onclick: () => this.#retrySelected() }, 'Retry selected'),
      h('button', { class: 'btn danger', onclick: () => this.#deleteSelected() }, 'Delete selected'),
      h('button', { class: 'btn', 'data-testid': 'restore-selected', onclick: () => this.#restoreSelected() }, 'Restore selected'),
      h('span', { class: 'spacer' }),
      h('button', { class: 'btn', 'data-testid': 'retry-all', onclick: () => this.#retryAll() }, 'Retry all matching'),
    ];
  }

  /** A new failure arrived over the WebSocket. */
  onLiveFailure(failure: FailureSummary): void {
    this.#fresh.add(failure.id);
    if (this.#cursors.length === 1) void this.reload();
  }

  async reload(): Promise<void> {
    if (this.#reloading) return this.#reloading;
    this.#reloading = (async () => {
      try {
        const cursor = this.#cursors[this.#cursors.length - 1];
        const page = await this.client.failed.list.query({ filter: this.#filter, limit: 50, ...(cursor ? { cursor } : {}) });
        const previous = new Map(this.#items.map((f) => [f.id, f.status]));
        this.#items = page.items;
        this.#next = page.nextCursor;
        this.#render();
        const open = this.#detailId === null ? undefined : page.items.find((f) => f.id === this.#detailId);
        if (open && previous.get(open.id) !== undefined && previous.get(open.id) !== open.status) this.#showDetail(open.id);
      } catch (err) {
        toast(errorText(err), 'error');
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  #render(): void {
    if (this.#items.length === 0) {
      replace(this.#tbody, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No failed messages match. All quiet.')));
    } else {
      replace(this.#tbody, ...this.#items.map((f) => this.#row(f)));
    }
    this.#count.textContent = this.#selected.size > 0 ? `${this.#selected.size} selected` : `${this.#items.length}${this.#next ? '+' : ''} shown`;
    replace(
      this.#pager,
      h('button', { class: 'btn ghost', disabled: this.#cursors.length === 1, onclick: () => (this.#cursors.pop(), void this.reload()) }, '‹ Newer'),
      h('span', { class: 'muted' }, `Page ${this.#cursors.length}`),
      h(
        'button',
        { class: 'btn ghost', disabled: this.#next === null, onclick: () => (this.#cursors.push(this.#next ?? undefined), void this.reload()) },
        'Older ›',
      ),
    );
  }

  #row(f: FailureSummary): HTMLTableRowElement {
    const check = h('input', {
      type: 'checkbox',
      checked: this.#selected.has(f.id),
      onclick: (e: Event) => e.stopPropagation(),
      onchange: (e: Event) => {
        if ((e.target as HTMLInputElement).checked) this.#selected.add(f.id);
        else this.#selected.delete(f.id);
        this.#count.textContent = `${this.#selected.size} selected`;
      },
    });
    const classes = [this.#fresh.has(f.id) ? 'fresh' : '', this.#detailId === f.id ? 'active' : ''].join(' ').trim();
    return h(
      'tr',
      { 'data-id': f.id, 'data-type': f.type ?? '', class: classes, onclick: () => this.#open(f.id) },
      h('td', { class: 'check' }, check),
      h('td', {}, badge(f.status)),
      h('td', {}, h('div', { class: 'strong' }, f.type ?? '(undecodable)'), h('div', { class: 'muted small' }, f.topic ?? f.queue)),
      h('td', {}, f.service),
      h('td', { class: 'error-cell' }, h('span', { class: 'mono small code' }, f.error.code ?? f.error.name), ' ', f.error.message),
      h('td', { class: 'num' }, f.attempts),
      h('td', { class: 'nowrap' }, time(f.lastFailedAt)),
    );
  }

  #open(id: string): void {
    this.#detailId = id;
    this.#fresh.delete(id);
    this.el.classList.add('with-panel');
    this.#render();
    this.#showDetail(id);
  }

  #showDetail(id: string): void {
    void showFailureDetail(
      this.client,
      this.session,
      this.#panel,
      id,
      () => void this.reload(),
      () => {
        this.#detailId = null;
        this.el.classList.remove('with-panel');
        replace(this.#panel);
        this.#render();
      },
    );
  }

  async #retrySelected(): Promise<void> {
    if (this.#selected.size === 0) return toast('Select messages first', 'error');
    try {
      const r = await this.client.failed.retryMany.mutate({ ids: [...this.#selected] });
      toast(`Retried ${r.retried}${r.skipped ? `, skipped ${r.skipped} (not failed)` : ''}`);
      this.#selected.clear();
      await this.reload();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  async #deleteSelected(): Promise<void> {
    if (this.#selected.size === 0) return toast('Select messages first', 'error');
    if (!confirm(`Delete ${this.#selected.size} failed messages?`)) return;
    try {
      const r = await this.client.failed.deleteMany.mutate({ ids: [...this.#selected] });
      toast(`Deleted ${r.deleted}`);
      this.#selected.clear();
      await this.reload();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  async #restoreSelected(): Promise<void> {
    if (this.#selected.size === 0) return toast('Select deleted messages first', 'error');
    try {
      const r = await this.client.failed.restoreMany.mutate({ ids: [...this.#selected] });
      toast(`Restored ${r.restored}${r.restored < this.#selected.size ? ` (${this.#selected.size - r.restored} were not deleted)` : ''}`);
      this.#selected.clear();
      await this.reload();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  async #retryAll(): Promise<void> {
    const { status: _ignored, ...filter } = this.#filter;
    if (!confirm('Retry every failed message matching the current filter?')) return;
    try {
      const r = await this.client.failed.retryMany.mutate({ filter });
      toast(`Retried ${r.retried} messages${r.more ? '; more match: run it again' : ''}`);
      await this.reload();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
}
