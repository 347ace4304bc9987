/**
 * The dashboard's pages as pure functions from records to HTML. Everything shown passes through
 * `html` (escaped): SMS bodies, payer and sender names, customer names and URLs come from outside.
 */
import type {NotificationRecord, SmsRecord, StoreRecord, TransactionRecord, TransactionStatus} from '../../../core/model.js'
import {formatMoney} from '../../../core/money.js'
import type {TransactionTotal} from '../../../storage/storage.js'
import {html, qs, type SafeHtml} from './html.js'
import {type MessageKey} from './i18n.js'
import {csrfField, egp, money, page, type View, when} from './layout.js'

export const STATUSES: TransactionStatus[] = ['PENDING', 'AWAITING_APPROVAL', 'COMPLETED', 'REJECTED', 'EXPIRED']

function badge(v: View, status: string, key: MessageKey): SafeHtml {
  return html`<span class="badge b-${status}">${v.t(key)}</span>`
}

const statusBadge = (v: View, s: TransactionStatus) => badge(v, s, `status_${s}` as MessageKey)
const stateBadge = (v: View, s: NotificationRecord['state']) => badge(v, s, `state_${s}` as MessageKey)

/** A flash message chosen by key from a fixed list (never text from the URL), or an error's own message. */
export function flash(v: View, done: string | undefined, error: string | undefined): SafeHtml {
  const key = `done_${done}`
  if (done && key in (LANG_KEYS)) return html`<p class="flash ok" role="status">${v.t(key as MessageKey)}</p>`
  if (error) return html`<p class="flash bad" role="alert">${v.t('failed')}: ${error}</p>`
  return html``
}
const LANG_KEYS: Record<string, true> = {done_approved: true, done_rejected: true, done_matched: true, done_redelivered: true, done_replayed: true, done_replay_failed: true, done_saved: true}

function storeName(stores: Map<string, StoreRecord>, id: string): string {
  return stores.get(id)?.name ?? id
}

function customer(t: TransactionRecord): string {
  return [t.userName, t.clientId ? `#${t.clientId}` : null].filter(Boolean).join(' ') || '—'
}

// --- overview ---

export interface OverviewData {
  stores: StoreRecord[]
  today: TransactionTotal[]
  week: TransactionTotal[]
  days: {date: string; amount: number; count: number}[]
  held: number
  unmatched: number
  failing: NotificationRecord[]
  recent: TransactionRecord[]
}

function sum(list: TransactionTotal[], pred: (t: TransactionTotal) => boolean = () => true): {amount: number; count: number} {
  let amount = 0
  let count = 0
  for (const t of list) if (pred(t)) {
    amount += t.amount
    count += t.count
  }
  return {amount, count}
}

/** Bars drawn on the server (no chart library, nothing to run): one per day, today darker. */
export function barChart(v: View, days: OverviewData['days']): SafeHtml {
  const w = 700
  const h = 200
  const pad = 24
  const max = Math.max(1, ...days.map((d) => d.amount))
  const slot = (w - pad) / days.length
  const bars = days.map((d, i) => {
    const bh = Math.round((d.amount / max) * (h - pad - 16))
    const x = Math.round(pad / 2 + i * slot + slot * 0.15)
    const y = h - pad - bh
    const label = `${d.date}: ${money(d.amount)} ${v.t('egp')} (${d.count})`
    return html`<g><title>${label}</title><rect class="bar${i === days.length - 1 ? ' today' : ''}" x="${x}" y="${y}" width="${Math.round(slot * 0.7)}" height="${Math.max(bh, d.amount > 0 ? 2 : 0)}" rx="3"></rect>${(days.length - 1 - i) % 2 === 0 ? html`<text x="${x + Math.round(slot * 0.35)}" y="${h - 8}" text-anchor="middle">${d.date.slice(5)}</text>` : ''}</g>`
  })
  const total = days.reduce((a, d) => a + d.amount, 0)
  return html`<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="${v.t('chartLabel')}: ${money(total)} ${v.t('egp')}"><line class="axis" x1="0" y1="${h - pad}" x2="${w}" y2="${h - pad}"></line>${bars}</svg>`
}

export function overviewPage(v: View, d: OverviewData): string {
  const stores = new Map(d.stores.map((s) => [s.id, s]))
  const today = sum(d.today)
  const week = sum(d.week)
  const todayDone = sum(d.today, (t) => t.status === 'COMPLETED')
  const perStore = d.stores.map((s) => ({s, today: sum(d.today, (t) => t.storeId === s.id), week: sum(d.week, (t) => t.storeId === s.id)}))
  const body = html`<h1>${v.t('navOverview')}</h1>
<div id="live-stats" data-live>
<div class="stats">
<div class="stat"><div class="label">${v.t('today')}</div><div class="value">${egp(v, today.amount)}</div><div class="sub">${today.count} ${v.t('transfers')} · ${todayDone.count} ${v.t('confirmed')}</div></div>
<div class="stat"><div class="label">${v.t('thisWeek')}</div><div class="value">${egp(v, week.amount)}</div><div class="sub">${week.count} ${v.t('transfers')}</div></div>
<a class="stat${d.held > 0 ? ' attention' : ''}" href="/dashboard/held"><div class="label">${v.t('heldForApproval')}</div><div class="value">${d.held}</div></a>
<a class="stat${d.unmatched > 0 ? ' attention' : ''}" href="/dashboard/unmatched"><div class="label">${v.t('unmatchedReceipts')}</div><div class="value">${d.unmatched}</div></a>
<a class="stat${d.failing.length > 0 ? ' attention' : ''}" href="/dashboard/deliveries?state=failed"><div class="label">${v.t('deliveriesFailing')}</div><div class="value">${d.failing.length}</div></a>
</div>
<div class="grid2">
<section class="card chart" aria-labelledby="chart-h"><h2 id="chart-h">${v.t('chartTitle')}</h2>${barChart(v, d.days)}</section>
<section class="card" aria-labelledby="stores-h"><h2 id="stores-h">${v.t('perStore')}</h2>
<table><thead><tr><th>${v.t('store')}</th><th class="num">${v.t('today')}</th><th class="num">${v.t('thisWeek')}</th></tr></thead><tbody>
${perStore.map((r) => html`<tr><td><a href="/dashboard/stores/${r.s.id}">${r.s.name}</a></td><td class="num">${egp(v, r.today.amount)}</td><td class="num">${egp(v, r.week.amount)}</td></tr>`)}
</tbody></table></section>
</div>
<div class="grid2">
<section class="card" aria-labelledby="recent-h"><h2 id="recent-h">${v.t('recent')}</h2>${txTable(v, d.recent, stores, {showStore: d.stores.length > 1})}<p><a href="/dashboard/transactions">${v.t('seeAll')}</a></p></section>
<section class="card" aria-labelledby="failing-h"><h2 id="failing-h">${v.t('failingDeliveries')}</h2>
${d.failing.length === 0 ? html`<p class="empty">${v.t('noneFailing')}</p>` : html`<ul>${d.failing.slice(0, 8).map((n) => html`<li><a href="/dashboard/deliveries/${n.id}">${n.event}</a> ${stateBadge(v, n.state)} <span class="small muted">${n.lastError ?? ''}</span></li>`)}</ul>`}
</section>
</div>
</div>`
  return page(v, {title: v.t('navOverview'), section: '/dashboard', body})
}

// --- transactions ---

function txTable(v: View, items: TransactionRecord[], stores: Map<string, StoreRecord>, o: {showStore: boolean; actions?: (t: TransactionRecord) => SafeHtml}): SafeHtml {
  if (items.length === 0) return html`<p class="empty">${v.t('nothingYet')}</p>`
  return html`<table class="rows"><thead><tr><th>${v.t('time')}</th>${o.showStore ? html`<th>${v.t('store')}</th>` : ''}<th class="num">${v.t('amount')}</th><th>${v.t('phone')}</th><th>${v.t('senderName')}</th><th>${v.t('reference')}</th><th>${v.t('status')}</th><th>${v.t('customer')}</th>${o.actions ? html`<th>${v.t('actions')}</th>` : ''}</tr></thead><tbody>
${items.map((t) => html`<tr>
<td class="nowrap" data-label="${v.t('time')}"><a href="/dashboard/transactions/${t.id}">${when(v, t.receivedAt)}</a></td>
${o.showStore ? html`<td data-label="${v.t('store')}">${storeName(stores, t.storeId)}</td>` : ''}
<td class="num" data-label="${v.t('amount')}">${egp(v, t.amount)}</td>
<td class="nowrap" data-label="${v.t('phone')}"><span class="ltr mono">${t.senderPhone ?? '—'}</span></td>
<td data-label="${v.t('senderName')}">${t.senderName ?? '—'}</td>
<td data-label="${v.t('reference')}"><span class="mono">${t.reference ?? '—'}</span></td>
<td data-label="${v.t('status')}">${statusBadge(v, t.status)}</td>
<td data-label="${v.t('customer')}">${customer(t)}</td>
${o.actions ? html`<td class="actions">${o.actions(t)}</td>` : ''}
</tr>`)}
</tbody></table>`
}

export interface TxFilters {
  status?: string
  store?: string
  since?: string
  until?: string
  q?: string
}

export function transactionsPage(v: View, d: {stores: StoreRecord[]; items: TransactionRecord[]; next: string | null; filters: TxFilters; cursor?: string; flash: SafeHtml}): string {
  const f = d.filters
  const stores = new Map(d.stores.map((s) => [s.id, s]))
  const selected = (a: string | undefined, b: string) => (a === b ? html` selected` : '')
  const body = html`<h1>${v.t('navTransactions')}</h1>${d.flash}
<form class="card filters" method="get" action="/dashboard/transactions" role="search">
<label>${v.t('status')}<select name="status"><option value="">${v.t('anyStatus')}</option>${STATUSES.map((s) => html`<option value="${s}"${selected(f.status, s)}>${v.t(`status_${s}` as MessageKey)}</option>`)}</select></label>
${d.stores.length > 1 ? html`<label>${v.t('store')}<select name="store"><option value="">${v.t('anyStore')}</option>${d.stores.map((s) => html`<option value="${s.id}"${selected(f.store, s.id)}>${s.name}</option>`)}</select></label>` : ''}
<label>${v.t('since')}<input type="date" name="since" value="${f.since ?? ''}"></label>
<label>${v.t('until')}<input type="date" name="until" value="${f.until ?? ''}"></label>
<label>${v.t('search')}<input type="search" name="q" value="${f.q ?? ''}" dir="ltr" autocomplete="off"></label>
<button type="submit">${v.t('filter')}</button> <a class="button" href="/dashboard/transactions">${v.t('clear')}</a>
</form>
<section class="card" id="live-tx" data-live${d.cursor ? html` data-paged` : ''}>${txTable(v, d.items, stores, {showStore: d.stores.length > 1})}
<nav class="pager" aria-label="pages">${d.cursor ? html`<a href="/dashboard/transactions${qs({...f})}">${v.t('firstPage')}</a>` : ''}${d.next ? html`<a href="/dashboard/transactions${qs({...f, cursor: d.next})}">${v.t('nextPage')}</a>` : ''}</nav>
</section>`
  return page(v, {title: v.t('navTransactions'), section: '/dashboard/transactions', body})
}

function approveForms(v: View, t: TransactionRecord, back: string): SafeHtml {
  return html`<form class="inline" method="post" action="/dashboard/transactions/${t.id}/approve" data-confirm="${v.t('confirmApprove')}">${csrfField(v)}<input type="hidden" name="back" value="${back}"><button class="primary" type="submit">${v.t('approve')}</button></form>
<form class="inline" method="post" action="/dashboard/transactions/${t.id}/reject" data-confirm="${v.t('confirmReject')}">${csrfField(v)}<input type="hidden" name="back" value="${back}"><label class="small">${v.t('rejectReason')} <input name="reason" maxlength="200" required></label><button class="danger" type="submit">${v.t('reject')}</button></form>`
}

function matchForm(v: View, t: TransactionRecord, back: string): SafeHtml {
  return html`<form class="inline" method="post" action="/dashboard/transactions/${t.id}/match" data-confirm="${v.t('confirmMatch')}">${csrfField(v)}<input type="hidden" name="back" value="${back}">
<label class="small">${v.t('userName')} <input name="user_name" maxlength="200"></label>
<label class="small">${v.t('clientId')} <input name="client_id" maxlength="64" dir="ltr"></label>
<button class="primary" type="submit">${v.t('match')}</button></form>`
}

export function queuePage(v: View, kind: 'held' | 'unmatched', d: {stores: StoreRecord[]; items: TransactionRecord[]; next: string | null; cursor?: string; flash: SafeHtml}): string {
  const stores = new Map(d.stores.map((s) => [s.id, s]))
  const path = `/dashboard/${kind}`
  const body = html`<h1>${v.t(kind === 'held' ? 'heldForApproval' : 'unmatchedReceipts')}</h1>${d.flash}
<p class="muted">${v.t(kind === 'held' ? 'heldHelp' : 'unmatchedHelp')}</p>
<section class="card" id="live-queue" data-live>${txTable(v, d.items, stores, {showStore: d.stores.length > 1, actions: (t) => (kind === 'held' ? approveForms(v, t, path) : matchForm(v, t, path))})}
<nav class="pager" aria-label="pages">${d.cursor ? html`<a href="${path}">${v.t('firstPage')}</a>` : ''}${d.next ? html`<a href="${path}${qs({cursor: d.next})}">${v.t('nextPage')}</a>` : ''}</nav></section>`
  return page(v, {title: v.t(kind === 'held' ? 'navHeld' : 'navUnmatched'), section: path, body})
}

export function transactionPage(v: View, d: {tx: TransactionRecord; store: StoreRecord | undefined; sms: SmsRecord | undefined; notifications: NotificationRecord[]; flash: SafeHtml}): string {
  const t = d.tx
  const back = `/dashboard/transactions/${t.id}`
  const body = html`<p><a href="/dashboard/transactions">${v.t('navTransactions')}</a></p>
<h1>${v.t('transaction')} <span class="mono ltr">${t.id}</span> ${statusBadge(v, t.status)}</h1>${d.flash}
<div class="grid2" id="live-detail" data-live>
<div>
<section class="card"><dl class="kv">
<dt>${v.t('amount')}</dt><dd>${egp(v, t.amount)}</dd>
<dt>${v.t('store')}</dt><dd>${d.store ? html`<a href="/dashboard/stores/${d.store.id}">${d.store.name}</a>` : t.storeId}</dd>
<dt>${v.t('provider')}</dt><dd>${t.provider}</dd>
<dt>${v.t('phone')}</dt><dd><span class="ltr mono">${t.senderPhone ?? '—'}</span></dd>
<dt>${v.t('senderName')}</dt><dd>${t.senderName ?? '—'}</dd>
<dt>${v.t('reference')}</dt><dd class="mono">${t.reference ?? '—'}</dd>
<dt>${v.t('balance')}</dt><dd>${t.balance === null ? '—' : egp(v, t.balance)}</dd>
<dt>${v.t('occurredAt')}</dt><dd>${when(v, t.occurredAt)}</dd>
<dt>${v.t('receivedAt')}</dt><dd>${when(v, t.receivedAt)}</dd>
<dt>${v.t('customer')}</dt><dd>${customer(t)}</dd>
${t.orderId ? html`<dt>${v.t('orderId')}</dt><dd class="mono">${t.orderId}</dd>` : ''}
${t.heldBy.length > 0 ? html`<dt>${v.t('heldBecause')}</dt><dd>${t.heldBy.join(', ')}</dd>` : ''}
</dl></section>
${t.status === 'AWAITING_APPROVAL' ? html`<section class="card"><h2>${v.t('heldForApproval')}</h2>${approveForms(v, t, back)}</section>` : ''}
${t.status === 'PENDING' ? html`<section class="card"><h2>${v.t('match')}</h2><p class="muted small">${v.t('matchHelp')}</p>${matchForm(v, t, back)}</section>` : ''}
<section class="card"><h2>${v.t('auditTrail')}</h2><table class="rows"><thead><tr><th>${v.t('time')}</th><th>${v.t('by')}</th><th>${v.t('change')}</th><th>${v.t('why')}</th></tr></thead><tbody>
${t.audit.map((a) => html`<tr><td data-label="${v.t('time')}">${when(v, a.at)}</td><td data-label="${v.t('by')}" class="mono">${a.by}</td><td data-label="${v.t('change')}">${a.from ? html`${statusBadge(v, a.from)} → ` : ''}${statusBadge(v, a.to)}</td><td data-label="${v.t('why')}">${a.why}</td></tr>`)}
</tbody></table></section>
</div>
<div>
<section class="card"><h2>${v.t('smsText')}</h2>${d.sms ? html`<p class="small muted">${v.t('smsSender')}: <span class="mono">${d.sms.sender}</span> · ${when(v, d.sms.receivedAt)} · ${d.sms.source}</p><pre class="sms" dir="auto">${d.sms.body}</pre>` : html`<p class="empty">—</p>`}</section>
<section class="card"><h2>${v.t('notifications')}</h2>${d.notifications.length === 0 ? html`<p class="empty">${v.t('nothingYet')}</p>` : html`<ul>${d.notifications.map((n) => html`<li><a href="/dashboard/deliveries/${n.id}">${n.event}</a> ${stateBadge(v, n.state)} <span class="small muted">${n.attempts.length} ${v.t('attempts')}</span></li>`)}</ul>`}</section>
</div>
</div>`
  return page(v, {title: `${v.t('transaction')} ${t.id}`, section: '/dashboard/transactions', body})
}

// --- deliveries ---

export function deliveriesPage(v: View, d: {stores: StoreRecord[]; items: NotificationRecord[]; state?: string; flash: SafeHtml}): string {
  const stores = new Map(d.stores.map((s) => [s.id, s]))
  const states: NotificationRecord['state'][] = ['failed', 'pending', 'delivered']
  const body = html`<h1>${v.t('navDeliveries')}</h1>${d.flash}
<form class="card filters" method="get" action="/dashboard/deliveries"><label>${v.t('state')}<select name="state"><option value="">${v.t('anyState')}</option>${states.map((s) => html`<option value="${s}"${d.state === s ? html` selected` : ''}>${v.t(`state_${s}` as MessageKey)}</option>`)}</select></label><button type="submit">${v.t('filter')}</button></form>
<section class="card" id="live-deliveries" data-live>${d.items.length === 0 ? html`<p class="empty">${v.t('nothingYet')}</p>` : html`<table class="rows"><thead><tr><th>${v.t('time')}</th><th>${v.t('event')}</th>${d.stores.length > 1 ? html`<th>${v.t('store')}</th>` : ''}<th>${v.t('transaction')}</th><th>${v.t('state')}</th><th class="num">${v.t('attempts')}</th><th>${v.t('lastError')}</th></tr></thead><tbody>
${d.items.map((n) => html`<tr><td data-label="${v.t('time')}"><a href="/dashboard/deliveries/${n.id}">${when(v, n.createdAt)}</a></td><td data-label="${v.t('event')}">${n.event}</td>${d.stores.length > 1 ? html`<td data-label="${v.t('store')}">${storeName(stores, n.storeId)}</td>` : ''}<td data-label="${v.t('transaction')}"><a class="mono" href="/dashboard/transactions/${n.transactionId}">${n.transactionId}</a></td><td data-label="${v.t('state')}">${stateBadge(v, n.state)}</td><td class="num" data-label="${v.t('attempts')}">${n.attempts.length}</td><td data-label="${v.t('lastError')}" class="small">${n.lastError ?? '—'}</td></tr>`)}
</tbody></table>`}</section>`
  return page(v, {title: v.t('navDeliveries'), section: '/dashboard/deliveries', body})
}

export function deliveryPage(v: View, d: {n: NotificationRecord; store: StoreRecord | undefined; flash: SafeHtml}): string {
  const n = d.n
  const back = `/dashboard/deliveries/${n.id}`
  const body = html`<p><a href="/dashboard/deliveries">${v.t('navDeliveries')}</a></p>
<h1>${v.t('delivery')} <span class="mono ltr">${n.id}</span> ${stateBadge(v, n.state)}</h1>${d.flash}
<div id="live-delivery" data-live>
<section class="card"><dl class="kv">
<dt>${v.t('event')}</dt><dd>${n.event}</dd>
<dt>${v.t('store')}</dt><dd>${d.store?.name ?? n.storeId}</dd>
<dt>${v.t('transaction')}</dt><dd><a class="mono" href="/dashboard/transactions/${n.transactionId}">${n.transactionId}</a></dd>
<dt>${v.t('callback')}</dt><dd>${v.t(`callback_${n.channel}` as MessageKey)}</dd>
<dt>${v.t('nextAttempt')}</dt><dd>${when(v, n.nextAttemptAt)}</dd>
<dt>${v.t('lastError')}</dt><dd>${n.lastError ?? '—'}</dd>
</dl></section>
<section class="card"><h2>${v.t('attempts')}</h2>${n.attempts.length === 0 ? html`<p class="empty">${v.t('nothingYet')}</p>` : html`<table class="rows"><thead><tr><th>${v.t('time')}</th><th>${v.t('url')}</th><th class="num">${v.t('httpStatus')}</th><th class="num">${v.t('duration')}</th><th>${v.t('error')}</th><th>${v.t('response')}</th></tr></thead><tbody>
${n.attempts.map((a) => html`<tr><td data-label="${v.t('time')}">${when(v, a.at)}${a.replay ? ' ↻' : ''}</td><td data-label="${v.t('url')}" class="mono">${a.url}</td><td class="num" data-label="${v.t('httpStatus')}">${a.status ?? '—'}</td><td class="num" data-label="${v.t('duration')}">${a.durationMs} ms</td><td data-label="${v.t('error')}" class="small">${a.error ?? '—'}</td><td data-label="${v.t('response')}" class="mono small">${a.responseExcerpt ?? ''}</td></tr>`)}
</tbody></table>`}</section>
</div>
<section class="card"><h2>${v.t('actions')}</h2>
${n.state !== 'delivered' ? html`<form class="inline" method="post" action="/dashboard/deliveries/${n.id}/redeliver">${csrfField(v)}<button class="primary" type="submit">${v.t('redeliver')}</button></form>` : ''}
${n.channel !== 'none' ? html`<form class="inline" method="post" action="/dashboard/deliveries/${n.id}/replay">${csrfField(v)}<button type="submit">${v.t('replay')}</button></form>` : ''}
<form class="inline" method="post" action="/dashboard/deliveries/${n.id}/replay">${csrfField(v)}<input type="hidden" name="back" value="${back}"><label class="small">${v.t('replayUrl')} <input type="url" name="to" required dir="ltr" placeholder="http://localhost:3000/webhook"></label><button type="submit">${v.t('replayTo')}</button></form>
</section>
<section class="card"><h2>${v.t('payload')}</h2><pre class="sms mono" dir="ltr">${JSON.stringify(n.payload, null, 2)}</pre></section>`
  return page(v, {title: `${v.t('delivery')} ${n.id}`, section: '/dashboard/deliveries', body})
}

// --- stores ---

export function storesPage(v: View, d: {stores: StoreRecord[]}): string {
  const body = html`<h1>${v.t('stores')}</h1>
<section class="card"><table class="rows"><thead><tr><th>${v.t('name')}</th><th>id</th><th>${v.t('callback')}</th><th>${v.t('mode')}</th></tr></thead><tbody>
${d.stores.map((s) => html`<tr><td data-label="${v.t('name')}"><a href="/dashboard/stores/${s.id}">${s.name}</a></td><td data-label="id" class="mono">${s.id}</td><td data-label="${v.t('callback')}">${v.t(`callback_${s.callback.kind}` as MessageKey)}</td><td data-label="${v.t('mode')}">${v.t(`mode_${s.mode}` as MessageKey)}</td></tr>`)}
</tbody></table></section>`
  return page(v, {title: v.t('stores'), section: '/dashboard/stores', body})
}

export type FieldErrors = Record<string, string>

/** The settings form; `values` are what was typed (after a refused save) or the store's own. */
export function storePage(v: View, d: {store: StoreRecord; errors?: FieldErrors; values?: Record<string, string | boolean>; flash: SafeHtml; tokens?: {apiToken: string; deviceToken: string}}): string {
  const s = d.store
  const cb = s.callback
  const vals: Record<string, string | boolean> = d.values ?? {
    name: s.name,
    callback: cb.kind,
    callback_url: cb.kind === 'none' ? '' : cb.url,
    whmcs_identifier: cb.kind === 'whmcs' ? cb.identifier : '',
    whmcs_secret: '',
    rate: s.rate,
    currency_label: s.currencyLabel,
    anti_spam: s.antiSpam.enabled,
    hold_over: s.antiSpam.rules.amountOver === null ? '' : formatMoney(s.antiSpam.rules.amountOver),
    hold_first: s.antiSpam.rules.firstPayment,
    hold_failed: s.antiSpam.rules.failedChecksBefore === null ? '' : String(s.antiSpam.rules.failedChecksBefore),
    hold_duplicates: s.antiSpam.rules.duplicatePending,
    pay_to: (s.payTo ?? []).map((p) => `${p.provider}:${p.wallet}`).join('\n'),
    match_window: String(s.matchWindowMinutes),
    require_token: s.requireToken,
    mode: s.mode,
  }
  const err = (name: string) => (d.errors?.[name] ? html`<span class="err" id="${name}-err">${d.errors[name]}</span>` : '')
  const described = (name: string, hint = false) => {
    const ids = [d.errors?.[name] ? `${name}-err` : '', hint ? `${name}-hint` : ''].filter(Boolean).join(' ')
    return ids ? html` aria-describedby="${ids}"${d.errors?.[name] ? html` aria-invalid="true"` : ''}` : ''
  }
  const text = (name: string, key: MessageKey, o: {type?: string; ltr?: boolean; hint?: string} = {}) => html`<div class="field"><label for="f-${name}">${v.t(key)}</label><input id="f-${name}" name="${name}" type="${o.type ?? 'text'}" value="${String(vals[name] ?? '')}"${o.ltr ? html` dir="ltr"` : ''}${described(name, Boolean(o.hint))}>${o.hint ? html`<span class="hint" id="${name}-hint">${o.hint}</span>` : ''}${err(name)}</div>`
  const check = (name: string, key: MessageKey) => html`<div class="check"><input type="checkbox" id="f-${name}" name="${name}" value="1"${vals[name] === true ? html` checked` : ''}><label for="f-${name}">${v.t(key)}</label></div>`
  const select = (name: string, key: MessageKey, options: [string, MessageKey][]) => html`<div class="field"><label for="f-${name}">${v.t(key)}</label><select id="f-${name}" name="${name}"${described(name)}>${options.map(([value, label]) => html`<option value="${value}"${vals[name] === value ? html` selected` : ''}>${v.t(label)}</option>`)}</select>${err(name)}</div>`
  const body = html`<p><a href="/dashboard/stores">${v.t('stores')}</a></p>
<h1>${s.name} <span class="mono small muted ltr">${s.id}</span></h1>${d.flash}
${d.tokens ? html`<section class="card" aria-labelledby="tok-h"><h2 id="tok-h">${v.t('newTokens')}</h2>
<p>${v.t('apiToken')}</p><div class="secret mono ltr" id="tok-api">${d.tokens.apiToken}</div><button type="button" data-copy="tok-api" data-copied="${v.t('copied')}">${v.t('copy')}</button>
<p>${v.t('deviceToken')}</p><div class="secret mono ltr" id="tok-device">${d.tokens.deviceToken}</div><button type="button" data-copy="tok-device" data-copied="${v.t('copied')}">${v.t('copy')}</button>
</section>` : ''}
<form class="card" method="post" action="/dashboard/stores/${s.id}" novalidate>${csrfField(v)}
<h2>${v.t('settings')}</h2>
${text('name', 'name')}
${select('callback', 'callback', [['none', 'callback_none'], ['get', 'callback_get'], ['webhook', 'callback_webhook'], ['whmcs', 'callback_whmcs']])}
${text('callback_url', 'callbackUrl', {type: 'url', ltr: true})}
${text('whmcs_identifier', 'whmcsIdentifier', {ltr: true})}
${text('whmcs_secret', 'whmcsSecret', {type: 'password', ltr: true, hint: v.t('whmcsSecretKeep')})}
${text('rate', 'rate', {ltr: true})}
${text('currency_label', 'currencyLabel')}
${check('anti_spam', 'antiSpam')}
${text('hold_over', 'holdOver', {ltr: true})}
${check('hold_first', 'holdFirst')}
${text('hold_failed', 'holdFailed', {type: 'number', ltr: true})}
${check('hold_duplicates', 'holdDuplicates')}
<div class="field"><label for="f-pay_to">${v.t('payTo')}</label><textarea id="f-pay_to" name="pay_to" dir="ltr" rows="3"${described('pay_to', true)}>${String(vals.pay_to ?? '')}</textarea><span class="hint" id="pay_to-hint">${v.t('payToHint')}</span>${err('pay_to')}</div>
${text('match_window', 'matchWindow', {type: 'number', ltr: true})}
${check('require_token', 'requireToken')}
${select('mode', 'mode', [['production', 'mode_production'], ['development', 'mode_development']])}
<button class="primary" type="submit">${v.t('save')}</button>
</form>
<form class="card" method="post" action="/dashboard/stores/${s.id}/rotate" data-confirm="${v.t('confirmRotate')}">${csrfField(v)}
<h2>${v.t('rotate')}</h2><p class="muted small">${v.t('rotateHelp')}</p><button class="danger" type="submit">${v.t('rotate')}</button></form>`
  return page(v, {title: `${s.name} · ${v.t('settings')}`, section: '/dashboard/stores', body})
}

// --- sign-in and errors ---

export function messagePage(v: View, o: {title: string; message: string; signedIn: boolean; command?: boolean}): string {
  const body = html`<h1>${o.title}</h1><section class="card"><p>${o.message}</p>${o.command ? html`<p>${v.t('signInHelp')}</p><pre class="sms mono" dir="ltr">vcash dashboard</pre>` : ''}</section>`
  return page(v, {title: o.title, body, signedIn: o.signedIn})
}
