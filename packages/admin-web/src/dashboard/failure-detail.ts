import type { AdminClient, FailureDetail } from '@metro/admin-client';
import { badge, errorText, h, replace, time, toast } from './dom.js';
import type { Session } from './session.js';

/** Renders one failed message in full into `panel`: fields, error and stack, payload editor, headers, actions. */
export async function showFailureDetail(
  client: AdminClient,
  session: Session,
  panel: HTMLElement,
  id: string,
  onChange: () => void,
  onClose: () => void,
): Promise<void> {
  replace(panel, h('div', { class: 'muted pad' }, 'Loading…'));
  let f: FailureDetail;
  try {
    f = await client.failed.get.query({ id });
  } catch (err) {
    replace(panel, h('div', { class: 'error pad' }, errorText(err)));
    return;
  }
  const editor = h('textarea', { class: 'mono editor', spellcheck: false, 'data-testid': 'payload-editor', rows: 10 });
  editor.value = JSON.stringify(f.payload, null, 2);
  const act = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      toast(what);
      onChange();
      await showFailureDetail(client, session, panel, id, onChange, onClose);
    } catch (err) {
      toast(errorText(err), 'error');
    }
  };
  const field = (label: string, value: Node | string | number | null) => [h('dt', {}, label), h('dd', {}, value ?? '-')];
  const operates = session.can('operate');
  const canRetry = f.status === 'failed';
  replace(
    panel,
    h(
      'div',
      { class: 'detail', 'data-testid': 'failure-detail' },
      h(
        'div',
        { class: 'detail-head' },
        h('h2', {}, f.type ?? '(undecodable message)'),
        badge(f.status),
        h('button', { class: 'btn ghost close', title: 'Close', onclick: onClose }, '×'),
      ),
      operates ? detailActions(f, act, client) : h('div', { class: 'muted', 'data-testid': 'detail-read-only' }, `Read-only for the ${session.role} role.`),
      h(
        'dl',
        { class: 'fields' },
        ...[
          field('Failure id', h('span', { class: 'mono' }, f.id)),
          field('Message id', h('span', { class: 'mono' }, f.messageId)),
          field('Topic', f.topic),
          field('Service', f.service),
          field('Queue', f.queue),
          field('Handler', f.handler),
          field('Reason', f.reason),
          field('Attempts', f.attempts),
          field('Operator retries', f.retryCount),
          field('First failed', time(f.firstFailedAt)),
          field('Last failed', time(f.lastFailedAt)),
          field('Resolved', time(f.resolvedAt)),
          field('Correlation', h('span', { class: 'mono' }, f.correlationId ?? '-')),
          field('Trace', h('span', { class: 'mono' }, f.traceId ?? '-')),
        ].flat(),
      ),
      h('h3', {}, 'Error'),
      h('div', { class: 'error-box' }, h('strong', {}, `${f.error.name}${f.error.code ? ` [${f.error.code}]` : ''}`), ': ', f.error.message),
      f.error.stack ? h('pre', { class: 'mono block stack' }, f.error.stack) : null,
      h('h3', {}, 'Payload'),
      f.payloadHidden
        ? h('p', { class: 'muted', 'data-testid': 'payload-hidden' }, 'Hidden: your role may not read message payloads.')
        : f.payload === null
          ? h('pre', { class: 'mono block' }, f.bodyEncoding === 'base64' ? `(binary, base64) ${f.body}` : f.body)
          : h(
              'div',
              {},
              editor,
              h(
                'button',
                {
                  class: 'btn',
                  disabled: !canRetry,
                  hidden: !operates,
                  'data-testid': 'detail-edit-retry',
                  onclick: () => {
                    let payload: unknown;
                    try {
                      payload = JSON.parse(editor.value);
                    } catch (err) {
                      toast(`Payload is not valid JSON: ${errorText(err)}`, 'error');
                      return;
                    }
                    void act('Edited and retried', () => client.failed.editAndRetry.mutate({ id, payload }));
                  },
                },
                'Edit payload & retry',
              ),
            ),
      h('h3', {}, 'Headers'),
      h('pre', { class: 'mono block' }, JSON.stringify(f.headers, null, 2)),
      h('details', {}, h('summary', {}, 'Envelope'), h('pre', { class: 'mono block' }, JSON.stringify(f.envelope, null, 2))),
    ),
  );
}

/** Retry, delete, and restore (of a deleted one): for roles that may change failures. */
function detailActions(f: FailureDetail, act: (what: string, run: () => Promise<unknown>) => Promise<void>, client: AdminClient): HTMLElement {
  const id = f.id;
  return h(
    'div',
    { class: 'detail-actions' },
    h(
      'button',
      {
        class: 'btn primary',
        disabled: f.status !== 'failed',
        'data-testid': 'detail-retry',
        onclick: () => act('Retried: the message is back in its queue', () => client.failed.retry.mutate({ id })),
      },
      'Retry',
    ),
    f.status === 'deleted'
      ? h(
          'button',
          { class: 'btn', 'data-testid': 'detail-restore', onclick: () => act('Restored: it is failed again', () => client.failed.restore.mutate({ id })) },
          'Restore',
        )
      : h(
          'button',
          {
            class: 'btn danger',
            'data-testid': 'detail-delete',
            onclick: () => confirm('Delete this failed message?') && act('Deleted', () => client.failed.delete.mutate({ id })),
          },
          'Delete',
        ),
  );
}
