import {formatMoney, type Piastres} from '../../../core/money.js'
import {SCRIPT, STYLESHEET} from './assets.js'
import {html, type SafeHtml} from './html.js'
import {type Lang, LANGS, type MessageKey} from './i18n.js'

/** What every page render is given: the language, the form token, where we are. */
export interface View {
  lang: Lang
  t: (k: MessageKey) => string
  /** The session's CSRF token, put in every form. */
  csrf: string
  /** The request's path and query, for the language switch. */
  here: string
  /** Badge counts in the navigation. */
  counts?: {held: number; unmatched: number}
}

export function makeView(lang: Lang, csrf: string, here: string): View {
  const words = LANGS[lang]
  return {lang, t: (k) => words[k], csrf, here}
}

const DATE_FMT: Record<Lang, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', {timeZone: 'Africa/Cairo', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}),
  // Latin digits in both languages: amounts, phones and times are compared against SMS and receipts.
  ar: new Intl.DateTimeFormat('ar-EG-u-nu-latn', {timeZone: 'Africa/Cairo', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}),
}

export function when(v: View, iso: string | null | undefined): string {
  if (!iso) return '—'
  const t = Date.parse(iso)
  return Number.isNaN(t) ? iso : DATE_FMT[v.lang].format(t)
}

/** Piastres as "1,234.50" (integer arithmetic; grouping on the decimal string). */
export function money(p: Piastres): string {
  const [whole, frac] = formatMoney(p).split('.') as [string, string]
  return `${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${frac}`
}

export function egp(v: View, p: Piastres): SafeHtml {
  return html`<span class="ltr">${money(p)}</span> ${v.t('egp')}`
}

export function csrfField(v: View): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${v.csrf}">`
}

const NAV: [string, MessageKey, 'held' | 'unmatched' | null][] = [
  ['/dashboard', 'navOverview', null],
  ['/dashboard/transactions', 'navTransactions', null],
  ['/dashboard/held', 'navHeld', 'held'],
  ['/dashboard/unmatched', 'navUnmatched', 'unmatched'],
  ['/dashboard/intents', 'navIntents', null],
  ['/dashboard/deliveries', 'navDeliveries', null],
  ['/dashboard/stores', 'navStores', null],
]

function switchHref(v: View): string {
  const u = new URL(v.here, 'http://x')
  u.searchParams.set('lang', v.lang === 'ar' ? 'en' : 'ar')
  u.searchParams.delete('done')
  u.searchParams.delete('err')
  return u.pathname + u.search
}

/** The page shell. `section` is the nav entry to mark current. */
export function page(v: View, o: {title: string; section?: string; body: SafeHtml; signedIn?: boolean}): string {
  const signedIn = o.signedIn ?? true
  return html`<!doctype html>
<html lang="${v.lang}" dir="${v.lang === 'ar' ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>${o.title} · ${v.t('appName')}</title>
<link rel="stylesheet" href="${STYLESHEET.path}">
<script src="${SCRIPT.path}" defer></script>
</head>
<body data-live-msg="${v.t('liveUpdated')}">
<a class="skip" href="#main">${v.t('skip')}</a>
<header class="top">
<a class="brand" href="/dashboard">vcash</a>
${signedIn ? html`<nav class="nav" aria-label="${v.t('mainNav')}">${NAV.map(([href, key, count]) => {
    const n = count && v.counts ? v.counts[count] : 0
    return html`<a href="${href}"${o.section === href ? html` aria-current="page"` : ''}>${v.t(key)}${n > 0 ? html`<span class="count">${n}</span>` : ''}</a>`
  })}</nav>` : ''}
<div class="tools">
<a href="${switchHref(v)}" lang="${v.lang === 'ar' ? 'en' : 'ar'}">${v.t('switchLang')}</a>
${signedIn ? html`<form method="post" action="/dashboard/logout">${csrfField(v)}<button type="submit">${v.t('signOut')}</button></form>` : ''}
</div>
</header>
<main id="main">
${o.body}
</main>
<div id="live-status" class="live" role="status" aria-live="polite"></div>
</body>
</html>
`.value
}
