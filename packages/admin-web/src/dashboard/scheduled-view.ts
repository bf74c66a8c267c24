import type { AdminClient } from '@metro/admin-client';
import { badge, errorText, h, replace, time, toast } from './dom.js';
import { payloadText, type Session } from './session.js';

/** Scheduled messages: list by status, cancel one. */
export class ScheduledView {
  readonly el: HTMLElement;
  readonly #tbody = h('tbody');
  #status: 'pending' | 'fired' | 'cancelled' = 'pending';

  constructor(
    private readonly client: AdminClient,
    private readonly session: Session,
  ) {
    const status = h('select', {}, ...['pending', 'fired', 'cancelled'].map((s) => h('option', { value: s }, s)));
    status.addEventListener('change', () => {
      this.#status = status.value as 'pending' | 'fired' | 'cancelled';
      void this.reload();
    });
    this.el = h(
      'section',
      { class: 'view', 'data-testid': 'scheduled-view' },
      h('div', { class: 'toolbar' }, h('label', { class: 'muted' }, 'Status '), status),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'grid' },
          h('thead', {}, h('tr', {}, ...['Message', 'Status', 'Due', 'Tags', 'Payload', ''].map((c) => h('th', {}, c)))),
          this.#tbody,
        ),
      ),
    );
  }

  async reload(): Promise<void> {
    try {
      const page = await this.client.scheduled.list.query({ status: this.#status, limit: 100 });
      if (page.items.length === 0) return replace(this.#tbody, h('tr', {}, h('td', { colspan: 6, class: 'empty' }, `No ${this.#status} messages.`)));
      replace(
        this.#tbody,
        ...page.items.map((s) =>
          h(
            'tr',
            { 'data-id': s.id },
            h('td', {}, h('div', { class: 'strong' }, s.name), h('div', { class: 'muted small mono' }, s.id)),
            h('td', {}, badge(s.status)),
            h('td', { class: 'nowrap' }, time(s.dueAt)),
            h('td', {}, ...Object.entries(s.tags).map(([k, v]) => h('span', { class: 'tag' }, `${k}=${v}`))),
            h('td', {}, h('code', { class: 'mono small clip' }, payloadText(s))),
            h(
              'td',
              { class: 'row-actions' },
              s.status === 'pending' && this.session.can('operate')
                ? h(
                    'button',
                    {
                      class: 'btn small danger',
                      onclick: async () => {
                        try {
                          const r = await this.client.scheduled.cancel.mutate({ id: s.id });
                          toast(r.cancelled ? 'Cancelled' : 'It was no longer pending');
                          await this.reload();
                        } catch (err) {
                          toast(errorText(err), 'error');
                        }
                      },
                    },
                    'Cancel',
                  )
                : null,
            ),
          ),
        ),
      );
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
}
