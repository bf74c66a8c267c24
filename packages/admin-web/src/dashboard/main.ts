import { connect, savedToken, saveToken, type AdminClient } from './api.js';
import { AuditView } from './audit-view.js';
import { DeferredView } from './deferred-view.js';
import { errorText, h, replace, toast } from './dom.js';
import { FailedView } from './failed-view.js';
import { ScheduledView } from './scheduled-view.js';
import { SagasView } from './sagas-view.js';
import { loadSession, type Session } from './session.js';
import { StatsView } from './stats-view.js';

const root = document.getElementById('app')!;

function login(message?: string): void {
  const input = h('input', { type: 'password', placeholder: 'Admin token', autocomplete: 'current-password', 'data-testid': 'token', required: true });
  const error = h('div', { class: 'error' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'login-card',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const client = connect(input.value);
        try {
          await client.session.whoami.query();
          saveToken(input.value);
          await client.close();
          await start(input.value);
        } catch (err) {
          await client.close();
          error.textContent = errorText(err);
        }
      },
    },
    h('div', { class: 'brand big' }, h('span', { class: 'logo' }, 'M'), 'Metro admin'),
    h('p', { class: 'muted' }, 'Sign in with an admin token (METRO_ADMIN_TOKEN on the server).'),
    input,
    h('button', { class: 'btn primary wide', type: 'submit', 'data-testid': 'login' }, 'Sign in'),
    error,
  );
  replace(root, h('div', { class: 'login' }, form));
  input.focus();
}

async function start(token: string): Promise<void> {
  const live = h('span', { class: 'live off', 'data-testid': 'live', title: 'Live updates' }, 'offline');
  const client: AdminClient = connect(token, () => {
    live.className = 'live off';
    live.textContent = 'reconnecting';
  });
  let session: Session;
  try {
    session = await loadSession(client);
  } catch (err) {
    saveToken(null);
    return login(errorText(err));
  }
  const failed = new FailedView(client, session);
  const stats = new StatsView(client);
  const views = {
    failed,
    deferred: new DeferredView(client, session),
    scheduled: new ScheduledView(client, session),
    sagas: new SagasView(client, session),
    stats,
    // The audit trail is the admin role's: other roles get no tab (the server refuses them anyway).
    ...(session.can('audit') ? { audit: new AuditView(client) } : {}),
  };
  type Name = keyof typeof views | 'audit';
  const labels: Record<Name, string> = {
    failed: 'Failed',
    deferred: 'Deferred',
    scheduled: 'Scheduled',
    sagas: 'Sagas',
    stats: 'Outbox & queues',
    audit: 'Audit',
  };
  const failedCount = h('span', { class: 'count', 'data-testid': 'failed-count' }, '');
  const tabs = (Object.keys(views) as Name[]).map((name) =>
    h('a', { href: `#${name}`, class: 'tab', 'data-view': name }, labels[name], name === 'failed' ? failedCount : null),
  );
  const main = h('main', {});
  const show = () => {
    const name = (location.hash.slice(1) || 'failed') as Name;
    const view = (views as Partial<Record<Name, { el: HTMLElement; reload(): Promise<void> }>>)[name] ?? failed;
    for (const tab of tabs) tab.classList.toggle('active', tab.dataset['view'] === name);
    replace(main, view.el);
    void view.reload();
  };
  replace(
    root,
    h(
      'header',
      { class: 'top' },
      h('div', { class: 'brand' }, h('span', { class: 'logo' }, 'M'), 'Metro admin'),
      h('nav', {}, ...tabs),
      h(
        'div',
        { class: 'who' },
        live,
        h('span', { class: 'muted', 'data-testid': 'principal' }, session.principal),
        h('span', { class: 'role', 'data-testid': 'role' }, session.role),
        h('button', { class: 'btn ghost small', onclick: async () => (saveToken(null), await client.close(), location.reload()) }, 'Sign out'),
      ),
    ),
    main,
  );
  window.addEventListener('hashchange', show);
  show();

  client.live.onFailure.subscribe(undefined, {
    onStarted: () => {
      live.className = 'live on';
      live.textContent = 'live';
    },
    onData: (f) => {
      failed.onLiveFailure(f);
      toast(`New failure: ${f.type ?? 'message'} — ${f.error.message}`);
    },
    onError: (err) => toast(`Live updates: ${errorText(err)}`, 'error'),
  });
  client.live.onStats.subscribe(undefined, {
    onData: (s) => {
      failedCount.textContent = s.failures.failed > 0 ? String(s.failures.failed) : '';
      stats.onStats(s);
      if (main.firstChild === failed.el) void failed.reload();
    },
  });
}

const token = savedToken();
if (token) void start(token);
else login();
