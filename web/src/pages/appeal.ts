// Appeal: the form where the plan allows it, and the status of those filed.
import { api, q } from '../api.js';
import { fmtTime, h, mount } from '../dom.js';
import { errorBox, go, main, title, type Appeal, type Health } from './common.js';

export async function appealPage(account: string, health: Health): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title(`Appeal for ${account}`);
  const appeals = (await api<{ items: Appeal[] }>('GET', `/v1/appeals${q({ account })}`)).items;
  const status = h('p', { role: 'status' });
  const box = (id: string, text: string) => h('div', { class: 'check' }, h('input', { type: 'checkbox', id, name: id, required: true }), h('label', { for: id }, text));
  const form = health.canAppeal
    ? h(
        'form',
        {
          class: 'card',
          onsubmit: async (e: Event) => {
            e.preventDefault();
            const f = e.target as HTMLFormElement;
            const v = (n: string) => (f.elements.namedItem(n) as HTMLInputElement | HTMLTextAreaElement);
            try {
              const r = await api<{ appealId: number }>('POST', `/v1/accounts/${encodeURIComponent(account)}/appeals`, {
                importedOptOutList: (v('importedOptOutList') as HTMLInputElement).checked,
                cleanedLists: (v('cleanedLists') as HTMLInputElement).checked,
                mailedWithinYear: (v('mailedWithinYear') as HTMLInputElement).checked,
                contactsSource: v('contactsSource').value.trim(),
                message: v('message').value.trim(),
              });
              status.textContent = `Appeal ${r.appealId} filed. The deliverability team will decide.`;
              go(location.hash);
            } catch (err) {
              mount(status, errorBox(err));
            }
          },
        },
        h('h2', {}, 'Appeal the suspension'),
        box('importedOptOutList', 'I imported the opt-out list of my previous provider'),
        box('cleanedLists', 'I cleaned my lists of bounced and unengaged contacts'),
        box('mailedWithinYear', 'Every contact was mailed within the last year'),
        h('label', { for: 'contactsSource' }, 'Where did the contacts come from?'),
        h('textarea', { id: 'contactsSource', name: 'contactsSource', required: true, maxlength: 2000, rows: 3 }),
        h('label', { for: 'message' }, 'What happened, and what changed?'),
        h('textarea', { id: 'message', name: 'message', required: true, maxlength: 10000, rows: 5 }),
        h('button', { type: 'submit' }, 'Submit the appeal'),
      )
    : h('p', { class: 'card' }, health.status === 'suspended' ? (health.banner ?? 'No appeal can be filed now.') : 'Marketing is not suspended: there is nothing to appeal.');
  mount(view, h('h1', {}, `Appeal: ${account}`), form, status, h('h2', {}, 'Appeals filed'), appealsTable(appeals, false));
}

export function appealsTable(items: Appeal[], admin: boolean, decide?: (a: Appeal, d: 'reinstate' | 'deny', reason: string) => Promise<void>): HTMLElement {
  if (!items.length) return h('p', { class: 'empty' }, admin ? 'No open appeals.' : 'None.');
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('caption', {}, 'Appeals'),
      h('thead', {}, h('tr', {}, [...(admin ? ['Account'] : []), 'Filed', 'State', 'Where the contacts came from', 'Message', admin ? 'Decision' : 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        items.map((a) => {
          let last: Node = h('span', {}, a.decisionReason ?? '');
          if (admin && decide) {
            const id = `reason-${a.id}`;
            const reason = h('input', { id, type: 'text', required: true, maxlength: 2000 });
            const act = (d: 'reinstate' | 'deny') => async () => {
              if (!reason.value.trim()) {
                reason.setCustomValidity('Give a reason');
                reason.reportValidity();
                return;
              }
              await decide(a, d, reason.value.trim());
            };
            last = h('div', { class: 'decide' }, h('label', { for: id }, `Reason for ${a.accountId}`), reason, h('button', { type: 'button', onclick: act('reinstate') }, `Reinstate ${a.accountId}`), h('button', { type: 'button', onclick: act('deny') }, `Deny ${a.accountId}`));
          }
          return h(
            'tr',
            {},
            admin ? h('td', {}, h('a', { href: `#/a/${encodeURIComponent(a.accountId)}/health` }, a.accountId)) : null,
            h('td', {}, fmtTime(a.filedAt)),
            h('td', {}, a.state),
            h('td', {}, String(a.form.contactsSource ?? '')),
            h('td', {}, String(a.form.message ?? '')),
            h('td', {}, last),
          );
        }),
      ),
    ),
  );
}
