/**
 * The dashboard's payment intents: the list (status filter, search by order) and one intent with
 * its audit, its transfer, cancel, and a match by hand. Everything passes through `html` (escaped):
 * order ids, metadata and payer names are the merchant's or the customer's typing.
 */
import {INTENT_STATUSES} from '../../../core/intents.js'
import type {IntentRecord, IntentStatus, StoreRecord, TransactionRecord} from '../../../core/model.js'
import {html, type SafeHtml} from './html.js'
import type {MessageKey} from './i18n.js'
import {csrfField, egp, page, type View, when} from './layout.js'
import {statusBadge} from './pages.js'

export function intentBadge(v: View, s: IntentStatus): SafeHtml {
  return html`<span class="badge b-${s}">${v.t(`istatus_${s}` as MessageKey)}</span>`
}

/** What the payer told the checkout page: a phone, a bank reference, the name on the account or an InstaPay address. */
function payerOf(i: IntentRecord): SafeHtml | string {
  const p = i.payer
  if (!p) return '—'
  const said = p.phone ?? p.reference ?? p.address ?? null
  if (said) return html`<span class="ltr mono">${said}</span>`
  return p.name ? html`<bdi>${p.name}</bdi>` : '—'
}

export interface IntentFilters {
  status?: string
  q?: string
}

export function intentsPage(v: View, d: {stores: StoreRecord[]; items: IntentRecord[]; filters: IntentFilters; flash: SafeHtml}): string {
  const f = d.filters
  const stores = new Map(d.stores.map((s) => [s.id, s]))
  const many = d.stores.length > 1
  const body = html`<h1>${v.t('intents')}</h1>${d.flash}
<p class="muted">${v.t('intentsHelp')}</p>
<form class="card filters" method="get" action="/dashboard/intents" role="search">
<label>${v.t('status')}<select name="status"><option value="">${v.t('anyStatus')}</option>${INTENT_STATUSES.map((s) => html`<option value="${s}"${f.status === s ? html` selected` : ''}>${v.t(`istatus_${s}` as MessageKey)}</option>`)}</select></label>
<label>${v.t('searchOrder')}<input type="search" name="q" value="${f.q ?? ''}" dir="ltr" autocomplete="off"></label>
<button type="submit">${v.t('filter')}</button> <a class="button" href="/dashboard/intents">${v.t('clear')}</a>
</form>
<section class="card" id="live-intents" data-live>${d.items.length === 0 ? html`<p class="empty">${v.t('nothingYet')}</p>` : html`<table class="rows"><thead><tr><th>${v.t('createdAt')}</th>${many ? html`<th>${v.t('store')}</th>` : ''}<th>${v.t('orderId')}</th><th class="num">${v.t('amount')}</th><th>${v.t('status')}</th><th>${v.t('payer')}</th><th>${v.t('expiresAt')}</th></tr></thead><tbody>
${d.items.map((i) => html`<tr>
<td class="nowrap" data-label="${v.t('createdAt')}"><a href="/dashboard/intents/${i.id}">${when(v, i.createdAt)}</a></td>
${many ? html`<td data-label="${v.t('store')}">${stores.get(i.storeId)?.name ?? i.storeId}</td>` : ''}
<td data-label="${v.t('orderId')}"><a class="mono" href="/dashboard/intents/${i.id}">${i.orderId}</a></td>
<td class="num" data-label="${v.t('amount')}">${egp(v, i.amount)}</td>
<td data-label="${v.t('status')}">${intentBadge(v, i.status)}</td>
<td data-label="${v.t('payer')}">${payerOf(i)}</td>
<td class="nowrap" data-label="${v.t('expiresAt')}">${when(v, i.expiresAt)}</td>
</tr>`)}
</tbody></table>`}</section>`
  return page(v, {title: v.t('intents'), section: '/dashboard/intents', body})
}

/** The form that pays a pending intent with one of the unclaimed transfers of its amount. */
function matchByHand(v: View, i: IntentRecord, candidates: TransactionRecord[]): SafeHtml {
  if (candidates.length === 0) return html`<p class="empty">${v.t('noCandidates')}</p>`
  return html`<form class="inline" method="post" action="/dashboard/intents/${i.id}/match" data-confirm="${v.t('confirmMatchIntent')}">${csrfField(v)}
<label class="small">${v.t('transferToUse')} <select name="transaction_id">${candidates.map((t) => html`<option value="${t.id}">${when(v, t.receivedAt)} · ${t.senderPhone ?? t.senderName ?? t.reference ?? t.id}</option>`)}</select></label>
<button class="primary" type="submit">${v.t('payIntent')}</button></form>`
}

export function intentPage(v: View, d: {intent: IntentRecord; store: StoreRecord | undefined; tx: TransactionRecord | undefined; candidates: TransactionRecord[]; flash: SafeHtml}): string {
  const i = d.intent
  const t = d.tx
  const body = html`<p><a href="/dashboard/intents">${v.t('intents')}</a></p>
<h1>${v.t('intent')} <span class="mono ltr">${i.id}</span> ${intentBadge(v, i.status)}</h1>${d.flash}
<div class="grid2" id="live-intent" data-live>
<div>
<section class="card"><dl class="kv">
<dt>${v.t('orderId')}</dt><dd class="mono">${i.orderId}</dd>
<dt>${v.t('amount')}</dt><dd>${egp(v, i.amount)}</dd>
<dt>${v.t('store')}</dt><dd>${d.store ? html`<a href="/dashboard/stores/${d.store.id}">${d.store.name}</a>` : i.storeId}</dd>
<dt>${v.t('createdAt')}</dt><dd>${when(v, i.createdAt)}</dd>
<dt>${v.t('expiresAt')}</dt><dd>${when(v, i.expiresAt)}</dd>
<dt>${v.t('payer')}</dt><dd>${payerOf(i)}${i.payer ? html` <span class="small muted">(${when(v, i.payer.at)})</span>` : ''}</dd>
${i.customerPhone ? html`<dt>${v.t('phone')}</dt><dd><span class="ltr mono">${i.customerPhone}</span></dd>` : ''}
<dt>${v.t('checkoutPage')}</dt><dd><a class="mono" href="/pay/${i.id}">/pay/${i.id}</a></dd>
${i.returnUrl ? html`<dt>${v.t('returnUrl')}</dt><dd class="mono">${i.returnUrl}</dd>` : ''}
${i.metadata ? html`<dt>${v.t('metadata')}</dt><dd><pre class="sms mono" dir="ltr">${JSON.stringify(i.metadata, null, 2)}</pre></dd>` : ''}
</dl></section>
<section class="card"><h2>${v.t('auditTrail')}</h2><table class="rows"><thead><tr><th>${v.t('time')}</th><th>${v.t('by')}</th><th>${v.t('change')}</th><th>${v.t('why')}</th></tr></thead><tbody>
${i.audit.map((a) => html`<tr><td data-label="${v.t('time')}">${when(v, a.at)}</td><td data-label="${v.t('by')}" class="mono">${a.by}</td><td data-label="${v.t('change')}">${a.from ? html`${intentBadge(v, a.from)} → ` : ''}${intentBadge(v, a.to)}</td><td data-label="${v.t('why')}">${a.why}</td></tr>`)}
</tbody></table></section>
</div>
<div>
<section class="card"><h2>${v.t('transaction')}</h2>${t ? html`<dl class="kv">
<dt>id</dt><dd><a class="mono" href="/dashboard/transactions/${t.id}">${t.id}</a> ${statusBadge(v, t.status)}</dd>
<dt>${v.t('amount')}</dt><dd>${egp(v, t.amount)}</dd>
<dt>${v.t('phone')}</dt><dd><span class="ltr mono">${t.senderPhone ?? '—'}</span></dd>
<dt>${v.t('senderName')}</dt><dd>${t.senderName ?? '—'}</dd>
<dt>${v.t('reference')}</dt><dd class="mono">${t.reference ?? '—'}</dd>
<dt>${v.t('receivedAt')}</dt><dd>${when(v, t.receivedAt)}</dd>
</dl>` : html`<p class="empty">${v.t('noTransfer')}</p>`}</section>
${i.status === 'pending' ? html`<section class="card"><h2>${v.t('matchIntent')}</h2><p class="muted small">${v.t('matchIntentHelp')}</p>${matchByHand(v, i, d.candidates)}</section>
<section class="card"><h2>${v.t('cancelIntent')}</h2><p class="muted small">${v.t('cancelHelp')}</p><form class="inline" method="post" action="/dashboard/intents/${i.id}/cancel" data-confirm="${v.t('confirmCancel')}">${csrfField(v)}<button class="danger" type="submit">${v.t('cancelIntent')}</button></form></section>` : ''}
</div>
</div>`
  return page(v, {title: `${v.t('intent')} ${i.orderId}`, section: '/dashboard/intents', body})
}
