import type { LiveStats } from '@metro/admin-client';
import { badge, h } from './dom.js';

type HealthReport = NonNullable<LiveStats['health']>;

/**
 * The health of the components the admin server checks (`createAdminRouter({ health })`): the
 * overall status and readiness, then one row per check with its status and what to do.
 *
 * @example
 * ```ts
 * replace(container, ...healthPanel(stats.health));
 * ```
 */
export function healthPanel(report: HealthReport | null): HTMLElement[] {
  if (report === null) {
    return [h('h3', {}, 'Health'), h('p', { class: 'muted' }, 'No components to check (pass health: [metro, relay, worker] to createAdminRouter).')];
  }
  const rows = Object.entries(report.checks).map(([name, check]) =>
    h('tr', { 'data-check': name }, h('td', { class: 'strong' }, name), h('td', {}, badge(check.status)), h('td', {}, check.message)),
  );
  return [
    h('h3', {}, 'Health ', badge(report.status), h('span', { class: 'muted' }, report.ready ? ' ready' : ' not ready', report.live ? '' : ', not live')),
    h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ...['Check', 'Status', 'Message'].map((c) => h('th', {}, c)))), h('tbody', {}, ...rows)),
  ];
}
