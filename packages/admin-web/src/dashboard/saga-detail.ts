import type { AdminClient, SagaDto } from '@metro/admin-client';
import { badge, errorText, h, replace, time, toast } from './dom.js';
import type { Session } from './session.js';

/** What the detail panel is told when it changed a saga or is closed. */
export interface SagaDetailEvents {
  onChange(): void;
  onClose(): void;
}

function timeoutsTable(s: SagaDto): HTMLElement {
  const timeouts = Object.entries(s.timeouts);
  if (timeouts.length === 0) return h('p', { class: 'muted', 'data-testid': 'saga-no-timeouts' }, 'No pending timeout.');
  return h(
    'table',
    { class: 'grid', 'data-testid': 'saga-timeouts' },
    h('thead', {}, h('tr', {}, ...['Message', 'Due', 'Scheduled id'].map((c) => h('th', {}, c)))),
    h(
      'tbody',
      {},
      ...timeouts.map(([message, t]) =>
        h(
          'tr',
          { 'data-message': message },
          h('td', { class: 'strong' }, message),
          h('td', { class: 'nowrap' }, time(t.dueAt)),
          h('td', { class: 'mono small' }, t.id),
        ),
      ),
    ),
  );
}

function historyTable(s: SagaDto): HTMLElement {
  if (s.history.length === 0) return h('p', { class: 'muted' }, 'No message recorded.');
  return h(
    'table',
    { class: 'grid', 'data-testid': 'saga-history' },
    h('thead', {}, h('tr', {}, ...['Version', 'At', 'Message', 'Message id'].map((c) => h('th', {}, c)))),
    h(
      'tbody',
      {},
      ...s.history.map((m) =>
        h(
          'tr',
          { 'data-version': m.version },
          h('td', { class: 'num' }, m.version),
          h('td', { class: 'nowrap' }, time(m.at)),
          h('td', { class: 'strong' }, m.message),
          h('td', { class: 'mono small' }, m.messageId),
        ),
      ),
    ),
  );
}

/** Complete and delete: for roles that may operate; complete only while the saga is active. */
function sagaActions(s: SagaDto, act: (what: string, run: () => Promise<unknown>) => Promise<void>, client: AdminClient): HTMLElement {
  const { saga, key } = s;
  return h(
    'div',
    { class: 'detail-actions' },
    h(
      'button',
      {
        class: 'btn primary',
        disabled: s.status !== 'active',
        'data-testid': 'saga-complete',
        onclick: () =>
          confirm(`Complete ${saga} ${key}? Its pending timeouts are cancelled; it is kept 7 days.`) &&
          act('Completed: its timeouts are cancelled', () => client.sagas.complete.mutate({ saga, key })),
      },
      'Complete',
    ),
    h(
      'button',
      {
        class: 'btn danger',
        'data-testid': 'saga-delete',
        onclick: () => confirm(`Delete ${saga} ${key}? Its pending timeouts are cancelled.`) && act('Deleted', () => client.sagas.delete.mutate({ saga, key })),
      },
      'Delete',
    ),
  );
}

/** Renders one saga into `panel`: state machine state, version, times, pending timeouts, the messages that moved it, its state, actions. */
export async function showSagaDetail(
  client: AdminClient,
  session: Session,
  panel: HTMLElement,
  id: { saga: string; key: string },
  on: SagaDetailEvents,
): Promise<void> {
  replace(panel, h('div', { class: 'muted pad' }, 'Loading…'));
  let s: SagaDto | null;
  try {
    s = await client.sagas.get.query(id);
  } catch (err) {
    replace(panel, h('div', { class: 'error pad' }, errorText(err)));
    return;
  }
  const close = h('button', { class: 'btn ghost close', title: 'Close', onclick: on.onClose }, '×');
  if (!s) {
    replace(
      panel,
      h(
        'div',
        { class: 'detail', 'data-testid': 'saga-detail' },
        h('div', { class: 'detail-head' }, h('h2', {}, `${id.saga} ${id.key}`), close),
        h('p', { class: 'muted', 'data-testid': 'saga-gone' }, 'This saga no longer exists (deleted, or completed and pruned).'),
      ),
    );
    return;
  }
  const act = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      toast(what);
      on.onChange();
      await showSagaDetail(client, session, panel, id, on);
    } catch (err) {
      toast(errorText(err), 'error');
    }
  };
  const field = (label: string, value: Node | string | number | null) => [h('dt', {}, label), h('dd', {}, value ?? '-')];
  replace(
    panel,
    h(
      'div',
      { class: 'detail', 'data-testid': 'saga-detail' },
      h('div', { class: 'detail-head' }, h('h2', {}, `${s.saga} `, h('span', { class: 'mono' }, s.key)), badge(s.status), close),
      session.can('operate')
        ? sagaActions(s, act, client)
        : h('div', { class: 'muted', 'data-testid': 'saga-read-only' }, `Read-only for the ${session.role} role.`),
      h(
        'dl',
        { class: 'fields' },
        ...[
          field('Current state', h('span', { class: 'strong', 'data-testid': 'saga-current-state' }, s.currentState ?? '-')),
          field('Version', h('span', { 'data-testid': 'saga-version' }, s.version)),
          field('Created', time(s.createdAt)),
          field('Updated', time(s.updatedAt)),
          field('Completed', time(s.completedAt)),
          field('Kept until', time(s.expiresAt)),
        ].flat(),
      ),
      h('h3', {}, 'Pending timeouts'),
      timeoutsTable(s),
      h('h3', {}, 'Messages that moved it'),
      historyTable(s),
      h('h3', {}, 'State'),
      s.stateHidden
        ? h('p', { class: 'muted', 'data-testid': 'saga-state-hidden' }, 'Hidden: your role may not read message payloads.')
        : h('pre', { class: 'mono block', 'data-testid': 'saga-state' }, JSON.stringify(s.state, null, 2)),
    ),
  );
}
