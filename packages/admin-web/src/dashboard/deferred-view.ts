import type { AdminClient } from '@metro/admin-client';
import { errorText, h, replace, time, toast } from './dom.js';
import { payloadText, type Session } from './session.js';

/** Deferred messages: list, complete (drop as done), resume (run again). */
export class DeferredView {
  readonly el: HTMLElement;
  readonly #tbody = h('tbody');

  constructor(
    private readonly client: AdminClient,
    private readonly session: Session,
  ) {
    this.el = h(
      'section',
      { class: 'view', 'data-testid': 'deferred-view' },
      h('p', { class: 'muted intro' }, 'Messages a handler set aside with ctx.defer(). Resume runs the handler again; complete drops the message as done.'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'grid' },
          h('thead', {}, h('tr', {}, ...['#', 'Type', 'Service', 'Queue', 'Reason', 'Payload', 'Deferred', ''].map((c) => h('th', {}, c)))),
          this.#tbody,
        ),
      ),
    );
  }

  async reload(): Promise<void> {
    try {
      const page = await this.client.deferred.list.query({ limit: 100 });
      if (page.items.length === 0) return replace(this.#tbody, h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'Nothing deferred.')));
      replace(
        this.#tbody,
        ...page.items.map((d) =>
          h(
            'tr',
            { 'data-seq': d.seq },
            h('td', { class: 'num' }, d.seq),
            h('td', { class: 'strong' }, d.type),
            h('td', {}, d.service),
            h('td', {}, d.queue),
            h('td', {}, d.reason ?? '-'),
            h('td', {}, h('code', { class: 'mono small clip' }, payloadText(d))),
            h('td', { class: 'nowrap' }, time(d.deferredAt)),
            h(
              'td',
              { class: 'row-actions' },
              this.session.can('operate')
                ? h(
                    'button',
                    { class: 'btn small primary', onclick: () => this.#act(`Resumed #${d.seq}`, () => this.client.deferred.resume.mutate({ seq: d.seq })) },
                    'Resume',
                  )
                : null,
              this.session.can('operate')
                ? h(
                    'button',
                    { class: 'btn small', onclick: () => this.#act(`Completed #${d.seq}`, () => this.client.deferred.complete.mutate({ seq: d.seq })) },
                    'Complete',
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

  async #act(done: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
      toast(done);
      await this.reload();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
}
