// Suppressions: search one address (the contact), list by reason and scope, unbounce with a
// note, import an opt-out list, export CSV.
import { REMOVABLE_REASONS, SUPPRESSION_REASONS } from '../../../src/domain/suppressions.js';
import { api, current, q } from '../api.js';
import { fmtTime, h, mount } from '../dom.js';
import { errorBox, main, title, type Bounce, type Suppression } from './common.js';

const NOT_REMOVABLE: Record<string, string> = {
  complaint: 'the contact complained: it is never lifted',
  unsubscribe: 'the contact unsubscribed: only the contact can change that',
  spam_trap: 'a spam trap: it is never lifted',
  global_bounce: 'a global bounce (every account): the deliverability team manages it',
};

function removable(s: { reason: string; accountId: string | null }): boolean {
  return s.accountId !== null && (REMOVABLE_REASONS as readonly string[]).includes(s.reason);
}

export async function suppressionsPage(account: string): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title(`Suppressions of ${account}`);
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const result = h('div', { 'aria-live': 'polite' });
  const status = h('p', { role: 'status', class: 'small' });

  const addr = h('input', { id: 'addr', type: 'search', name: 'address', value: params.get('address') ?? '', placeholder: 'name@example.com' });
  const search = h(
    'form',
    {
      class: 'card row',
      role: 'search',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        await showAddress(addr.value.trim());
      },
    },
    h('label', { for: 'addr' }, 'Search an address'),
    addr,
    h('button', { type: 'submit' }, 'Search'),
  );

  const reasonSel = h('select', { id: 'reason' }, h('option', { value: '' }, 'any reason'), SUPPRESSION_REASONS.map((r) => h('option', { value: r }, r.replace(/_/g, ' '))));
  const scopeSel = h('select', { id: 'scope' }, h('option', { value: '' }, 'account and global'), h('option', { value: 'account' }, 'this account'), h('option', { value: 'global' }, 'global'));
  const filter = h(
    'form',
    {
      class: 'card row',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        await list();
      },
    },
    h('label', { for: 'reason' }, 'Reason'),
    reasonSel,
    h('label', { for: 'scope' }, 'Scope'),
    scopeSel,
    h('button', { type: 'submit' }, 'List'),
  );

  const row = (s: Suppression) =>
    h(
      'tr',
      {},
      h('td', {}, s.address),
      h('td', {}, s.reason.replace(/_/g, ' ')),
      h('td', {}, s.accountId === null ? 'global' : 'this account'),
      h('td', {}, fmtTime(s.createdAt)),
      h('td', {}, removable(s) ? h('button', { type: 'button', onclick: () => unbounce(s.address) }, `Unbounce ${s.address}`) : h('span', { class: 'small' }, `Not offered: ${NOT_REMOVABLE[s.reason] ?? s.reason}`)),
    );
  const table = (items: Suppression[]) =>
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('caption', {}, 'Suppressions'),
        h('thead', {}, h('tr', {}, ['Address', 'Reason', 'Scope', 'Since', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, items.map(row)),
      ),
    );

  async function list(cursor?: string): Promise<void> {
    const page = await api<{ items: Suppression[]; next: string | null }>(
      'GET',
      `/v1/suppressions${q({ account, reason: reasonSel.value, scope: scopeSel.value, limit: 50, cursor })}`,
    );
    mount(
      result,
      page.items.length ? table(page.items) : h('p', { class: 'empty' }, 'No suppressions match.'),
      page.next ? h('button', { type: 'button', onclick: () => list(page.next!) }, 'Next page') : null,
    );
  }

  async function showAddress(address: string): Promise<void> {
    if (!address) return list();
    const d = await api<{ send: boolean; reasons: Array<{ code: string; scope: string; since: number; detail?: string }> }>(
      'GET',
      `/v1/suppressions/${encodeURIComponent(address)}${q({ account })}`,
    );
    const sup = d.reasons.filter((r) => (SUPPRESSION_REASONS as readonly string[]).includes(r.code));
    // The contact's bounces for this account (the first page, oldest first).
    const bounces = (await api<{ items: Bounce[] }>('GET', `/v1/bounces${q({ account, recipient: address, limit: 100 })}`)).items;
    const own = sup.some((r) => r.scope !== 'global');
    const a = encodeURIComponent(account);
    mount(
      result,
      h('h2', {}, address),
      h('p', {}, d.send ? 'May be mailed now: no suppression applies.' : `May not be mailed now (${d.reasons.map((r) => r.code.replace(/_/g, ' ')).join(', ')}).`),
      sup.length ? table(sup.map((r) => ({ address, reason: r.code, accountId: r.scope === 'global' ? null : account, createdAt: r.since, source: r.detail ?? null }))) : null,
      h('h3', {}, 'Its bounces for this account'),
      bounces.length
        ? h('ul', {}, bounces.map((b) => h('li', {}, h('a', { href: `#/a/${a}/bounce/${b.id}` }, `${fmtTime(b.createdAt)} · ${b.type} · ${b.category.replace(/_/g, ' ')} · ${b.reason}`))))
        : h('p', { class: 'empty' }, !own && sup.length ? 'None: it never bounced for this account; it is suppressed globally only, so it has no hard-bounce reason here.' : 'None.'),
    );
  }

  async function unbounce(address: string): Promise<void> {
    const note = h('textarea', { id: 'note', required: true, maxlength: 500, rows: 3 });
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'unbounce-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'unbounce-title' }, `Unbounce ${address}?`),
        h('p', {}, 'The account may mail this address again. Say why: the note is kept in the audit record.'),
        h('label', { for: 'note' }, 'Note (required)'),
        note,
        h('div', { class: 'row' }, h('button', { type: 'submit', value: 'ok' }, 'Unbounce'), h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel')),
      ),
    );
    document.body.appendChild(dialog);
    dialog.showModal();
    note.focus();
    const answer = await new Promise<string>((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true }));
    dialog.remove();
    if (answer !== 'ok') return;
    try {
      await api('DELETE', `/v1/suppressions/${encodeURIComponent(address)}${q({ account, note: note.value.trim() })}`);
      status.textContent = `${address} was unbounced.`;
      await showAddress(address);
    } catch (err) {
      mount(status, errorBox(err));
    }
  }

  mount(view, h('h1', {}, `Suppressions: ${account}`), search, filter, importExport(account, status), status, result);
  await (params.get('address') ? showAddress(params.get('address')!) : list());
}

/**
 * Import an opt-out list (streamed to POST /v1/suppressions/import, with the upload's progress)
 * and export the list as CSV (the API's pages, 1,000 at a time, joined in the browser).
 */
function importExport(account: string, status: HTMLElement): HTMLElement {
  const file = h('input', { id: 'optout', type: 'file', accept: '.csv,.txt,.ndjson,text/csv,text/plain,application/x-ndjson' });
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const importForm = h(
    'form',
    {
      class: 'row',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const f = file.files?.[0];
        if (!f) return;
        const type = /\.csv$/i.test(f.name) ? 'text/csv' : /\.ndjson$/i.test(f.name) ? 'application/x-ndjson' : 'text/plain';
        // XMLHttpRequest, not fetch: only it reports an upload's progress.
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `/v1/suppressions/import${q({ account })}`);
        xhr.setRequestHeader('content-type', type);
        xhr.setRequestHeader('x-csrf-token', current()?.csrf ?? '');
        progress.hidden = false;
        progress.value = 0;
        xhr.upload.onprogress = (p) => {
          if (p.lengthComputable) progress.value = Math.round((p.loaded / p.total) * 100);
        };
        xhr.onload = () => {
          progress.hidden = true;
          try {
            const r = JSON.parse(xhr.responseText) as { added?: number; lines?: number; invalid?: number; invalidLines?: number[]; error?: { message: string; code: string } };
            status.textContent = r.error
              ? `Import refused: ${r.error.message} (${r.error.code})`
              : `Imported ${f.name}: ${r.added} new suppressions from ${r.lines} lines; ${r.invalid} invalid${r.invalidLines?.length ? ` (lines ${r.invalidLines.join(', ')})` : ''}.`;
          } catch {
            status.textContent = `Import failed (HTTP ${xhr.status}).`;
          }
        };
        xhr.onerror = () => {
          progress.hidden = true;
          status.textContent = 'Import failed: the connection broke.';
        };
        xhr.send(f);
      },
    },
    h('label', { for: 'optout' }, 'Import an opt-out list (CSV, NDJSON or one address per line)'),
    file,
    h('button', { type: 'submit' }, 'Import'),
    progress,
  );
  const exportButton = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        const lines = ['address,reason,scope,created_at'];
        let cursor: string | undefined;
        do {
          const page = await api<{ items: Suppression[]; next: string | null }>('GET', `/v1/suppressions${q({ account, limit: 1000, cursor })}`);
          for (const s of page.items) lines.push([csvField(s.address), s.reason, s.accountId === null ? 'global' : 'account', new Date(s.createdAt).toISOString()].join(','));
          cursor = page.next ?? undefined;
          status.textContent = `Exporting: ${lines.length - 1} rows…`;
        } while (cursor);
        const a = h('a', { href: URL.createObjectURL(new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' })), download: `suppressions-${account}.csv` });
        a.click();
        URL.revokeObjectURL(a.href);
        status.textContent = `Exported ${lines.length - 1} suppressions.`;
      },
    },
    'Export CSV',
  );
  return h('section', { class: 'card', 'aria-label': 'Import and export' }, importForm, exportButton);
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
