import type { AdminClient, LiveStats } from '@metro/admin-client';
import { lineChart } from './chart.js';
import { errorText, h, replace, toast } from './dom.js';
import { healthPanel } from './health-panel.js';

/** Outbox and queue figures, with charts of their recent history. Fed by the live `onStats` subscription. */
export class StatsView {
  readonly el: HTMLElement;
  readonly #cards = h('div', { class: 'cards' });
  readonly #charts = h('div', { class: 'charts' });
  readonly #queues = h('tbody');
  readonly #types = h('tbody');
  readonly #health = h('div', { class: 'health', 'data-testid': 'health' });
  #history: LiveStats[] = [];

  constructor(private readonly client: AdminClient) {
    this.el = h(
      'section',
      { class: 'view', 'data-testid': 'stats-view' },
      this.#health,
      this.#cards,
      this.#charts,
      h(
        'div',
        { class: 'two-col' },
        h(
          'div',
          {},
          h('h3', {}, 'Queues'),
          h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ...['Queue', 'Depth', 'Consumers', 'Δ/s'].map((c) => h('th', {}, c)))), this.#queues),
        ),
        h(
          'div',
          {},
          h('h3', {}, 'Failures by type'),
          h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Type'), h('th', {}, 'Count'))), this.#types),
        ),
      ),
    );
  }

  /** A push from `live.onStats`. */
  onStats(stats: LiveStats): void {
    this.#history.push(stats);
    if (this.#history.length > 120) this.#history.shift();
    this.#render(stats);
  }

  async reload(): Promise<void> {
    try {
      const stats = await this.client.failed.stats.query({ bucket: 'hour' });
      replace(
        this.#types,
        ...(stats.byType.length === 0
          ? [h('tr', {}, h('td', { colspan: 2, class: 'empty' }, 'None.'))]
          : stats.byType.map((t) => h('tr', {}, h('td', {}, t.type ?? '(undecodable)'), h('td', { class: 'num' }, t.count)))),
      );
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  #render(s: LiveStats): void {
    const card = (label: string, value: string | number, tone = '') =>
      h('div', { class: `card ${tone}` }, h('div', { class: 'card-value' }, value), h('div', { class: 'card-label' }, label));
    const age = s.outbox?.oldestPendingAgeMs;
    replace(this.#health, ...healthPanel(s.health));
    replace(
      this.#cards,
      card('Failed', s.failures.failed, s.failures.failed > 0 ? 'bad' : 'good'),
      card('Retried, awaiting result', s.failures.retried),
      card('Resolved', s.failures.resolved, 'good'),
      card('Outbox pending', s.outbox?.pending ?? '-', (s.outbox?.pending ?? 0) > 100 ? 'warn' : ''),
      card('Oldest pending', age === null || age === undefined ? '-' : `${(age / 1000).toFixed(1)}s`),
      card('Sent last minute', s.outbox?.sentLastMinute ?? '-'),
    );
    replace(
      this.#charts,
      lineChart(
        this.#history.map((x) => x.outbox?.pending ?? 0),
        { label: 'Outbox pending' },
      ),
      lineChart(
        this.#history.map((x) => x.outbox?.sentLastMinute ?? 0),
        { label: 'Sent / minute' },
      ),
      lineChart(
        this.#history.map((x) => x.failures.failed),
        { label: 'Failed' },
      ),
    );
    replace(
      this.#queues,
      ...(s.queues.length === 0
        ? [h('tr', {}, h('td', { colspan: 4, class: 'empty' }, 'No queues configured (pass transport and queues to createAdminRouter).'))]
        : s.queues.map((q) =>
            h(
              'tr',
              {},
              h('td', { class: 'strong' }, q.queue),
              h('td', { class: 'num' }, q.exists ? q.depth : 'missing'),
              h('td', { class: 'num' }, q.consumers),
              h('td', { class: 'num' }, q.depthRatePerSec ?? '-'),
            ),
          )),
    );
  }
}
