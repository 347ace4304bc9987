/**
 * The customer's checkout page (contract §6), rendered on the server as one small HTML document:
 * no framework, no inline script or style (the CSP forbids both), every value escaped. The page is
 * complete without JavaScript (a form POST, a meta refresh while waiting); checkout.js adds the
 * copy buttons, the live countdown and live status.
 */
import type {Lang} from '../../../core/messages.js'
import type {IntentRecord, PayTo, Provider} from '../../../core/model.js'
import {formatMoney} from '../../../core/money.js'

export interface PageInput {
  intent: IntentRecord
  storeName: string
  payTo: PayTo[]
  lang: Lang
  now: Date
  /** Opened in the merchant's modal (embed.js): no redirect of its own, the parent navigates. */
  embed: boolean
  /** The claim form's token (bound to the intent). */
  csrf: string
  /** The signed return URL (paid, and the final screens), or null without return_url. */
  returnUrl: string | null
  /** The origin allowed to frame the page, told to embed.js in postMessage. */
  parentOrigin: string | null
  /** Versioned asset URLs (`?v=<hash>`): cached for a year, replaced on upgrade. */
  assets: {css: string; js: string}
  /** A problem with the last claim, shown beside the form. */
  error?: string | null
  /** The phone as the payer typed it (kept in the field after an error). */
  typedPhone?: string
  /** The bank fields as typed (kept after an error; the bank section stays open). */
  typedBank?: {reference: string; payerName: string; payerAddress: string}
  graceMs: number
}

const T = {
  en: {
    title: 'Pay', amount: 'Amount to pay', order: 'Order', egp: 'EGP', expiresIn: 'Time left to pay', expiresAt: 'until',
    step1: 'Send exactly this amount to', step2: 'Then enter the wallet number you paid from', copy: 'Copy', copied: 'Copied',
    phone: 'Your wallet number', phoneHint: 'The Vodafone Cash, e& money, Orange Cash or InstaPay number the money came from.',
    bank: 'Paid by InstaPay from a bank account?', reference: 'Transaction reference', referenceHint: 'Shown in your bank app after the transfer.',
    bankOr: 'Or, if you do not have the reference:', payerName: 'The name on your bank account', payerNameHint: 'As your bank writes it, e.g. Mohamed Ahmed Ali.',
    payerAddress: 'Your InstaPay address', payerAddressHint: 'e.g. yourname@instapay',
    submit: 'I have paid', change: 'Paid from another number?',
    waitingTitle: 'Waiting for your transfer', waiting: 'We will confirm as soon as the transfer from {who} reaches the store. This page updates by itself.',
    heldTitle: 'Your payment is being reviewed', held: 'The transfer arrived and the store is checking it. You can close this page; the store will confirm your order.',
    paidTitle: 'Payment received', paid: 'Thank you. {amount} EGP was received for order {order}.', returning: 'Taking you back to {store}…', continue: 'Continue',
    rejectedTitle: 'Payment not accepted', rejected: 'The store could not accept this transfer. Please contact {store} about order {order}.',
    expiredTitle: 'This payment link has expired', expired: 'Nothing more can be paid here. If you already sent money, contact {store} with the number you paid from.',
    cancelledTitle: 'This payment was cancelled', cancelled: '{store} cancelled this payment. Do not send money to it.',
    back: 'Back to {store}', notFoundTitle: 'Payment link not found', notFound: 'Check the link you were given, or ask the store for a new one.',
    minutes: 'min', providers: {vodafone_cash: 'Vodafone Cash', instapay: 'InstaPay', etisalat_cash: 'e& money', orange_cash: 'Orange Cash'},
    other: 'العربية', noWallets: 'The store has not set up its receiving wallet yet. Please contact the store.', by: 'Payments checked by vcash',
  },
  ar: {
    title: 'ادفع', amount: 'المبلغ المطلوب', order: 'طلب رقم', egp: 'جنيه', expiresIn: 'الوقت المتبقي للدفع', expiresAt: 'حتى',
    step1: 'حوّل هذا المبلغ بالضبط إلى', step2: 'ثم اكتب رقم المحفظة التي حوّلت منها', copy: 'نسخ', copied: 'تم النسخ',
    phone: 'رقم محفظتك', phoneHint: 'رقم فودافون كاش أو e& money أو أورنچ كاش أو إنستاباي الذي حوّلت منه.',
    bank: 'حوّلت عن طريق إنستاباي من حساب بنكي؟', reference: 'الرقم المرجعي للعملية', referenceHint: 'يظهر في تطبيق البنك بعد التحويل.',
    bankOr: 'أو، إن لم يكن معك الرقم المرجعي:', payerName: 'الاسم على حسابك البنكي', payerNameHint: 'كما يكتبه البنك، مثل محمد أحمد علي.',
    payerAddress: 'عنوان إنستاباي الخاص بك', payerAddressHint: 'مثل yourname@instapay',
    submit: 'تم التحويل', change: 'حوّلت من رقم آخر؟',
    waitingTitle: 'في انتظار تحويلك', waiting: 'سنؤكد الدفع فور وصول التحويل من {who} إلى المتجر. هذه الصفحة تتحدث تلقائياً.',
    heldTitle: 'دفعتك قيد المراجعة', held: 'وصل التحويل والمتجر يراجعه الآن. يمكنك إغلاق هذه الصفحة، وسيؤكد المتجر طلبك.',
    paidTitle: 'تم استلام الدفع', paid: 'شكراً لك. تم استلام {amount} جنيه للطلب رقم {order}.', returning: 'جارٍ الرجوع إلى {store}…', continue: 'متابعة',
    rejectedTitle: 'لم يتم قبول الدفع', rejected: 'لم يتمكن المتجر من قبول هذا التحويل. برجاء التواصل مع {store} بخصوص الطلب رقم {order}.',
    expiredTitle: 'انتهت صلاحية رابط الدفع', expired: 'لا يمكن الدفع من هنا بعد الآن. إذا كنت قد حوّلت بالفعل، تواصل مع {store} واذكر الرقم الذي حوّلت منه.',
    cancelledTitle: 'تم إلغاء هذا الدفع', cancelled: 'ألغى {store} هذا الدفع. لا تحوّل أي مبلغ له.',
    back: 'الرجوع إلى {store}', notFoundTitle: 'رابط الدفع غير موجود', notFound: 'تأكد من الرابط الذي وصلك، أو اطلب رابطاً جديداً من المتجر.',
    minutes: 'دقيقة', providers: {vodafone_cash: 'فودافون كاش', instapay: 'إنستاباي', etisalat_cash: 'e& money', orange_cash: 'أورنچ كاش'},
    other: 'English', noWallets: 'لم يضبط المتجر محفظة الاستلام بعد. برجاء التواصل مع المتجر.', by: 'يتم التحقق من المدفوعات بواسطة vcash',
  },
} as const

export type Texts = (typeof T)['en']

export function texts(lang: Lang): Texts {
  return T[lang] as Texts
}

const ESC: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;'}

/** Text and attribute values alike: the store's name and the payer's input are someone's typing. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!)
}

/** A message with {placeholders}, each value escaped. */
function fill(template: string, values: Record<string, string>): string {
  return esc(template).replace(/\{(\w+)\}/g, (_m, k: string) => `<bdi>${esc(values[k] ?? '')}</bdi>`)
}

/** Money as the customer reads it: thousands grouped ("1,250.50"); the exact piastres, never rounded. */
function shown(amount: number): string {
  return formatMoney(amount).replace(/\B(?=(\d{3})+\.)/g, ',')
}

const cairo = new Intl.DateTimeFormat('en-GB', {timeZone: 'Africa/Cairo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'})

/** The screen an intent is on: what the customer needs to see next. */
export type Screen = 'pay' | 'waiting' | 'held' | 'paid' | 'rejected' | 'expired' | 'cancelled'

export function screenOf(i: IntentRecord, now: Date, graceMs: number): Screen {
  switch (i.status) {
    case 'paid': return 'paid'
    case 'awaiting_approval': return 'held'
    case 'rejected': return 'rejected'
    case 'expired': return 'expired'
    case 'cancelled': return 'cancelled'
    default: {
      // The sweep runs every half minute: past expiry the page already says so.
      const end = Date.parse(i.expiresAt) + (i.payer && Date.parse(i.payer.at) < Date.parse(i.expiresAt) ? graceMs : 0)
      if (now.getTime() >= end) return 'expired'
      return i.payer ? 'waiting' : 'pay'
    }
  }
}

function shell(o: {lang: Lang; title: string; assets: PageInput['assets']; refresh: string | null; body: string; dataset: Record<string, string>}): string {
  const data = Object.entries(o.dataset).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('')
  return `<!doctype html>
<html lang="${o.lang}" dir="${o.lang === 'ar' ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${esc(o.title)}</title>
<link rel="stylesheet" href="${esc(o.assets.css)}">
<script src="${esc(o.assets.js)}" defer></script>
${o.refresh ?? ''}</head>
<body>
<main class="card"${data}>
${o.body}
</main>
</body>
</html>
`
}

function langSwitch(lang: Lang, embed: boolean, t: Texts): string {
  const other: Lang = lang === 'ar' ? 'en' : 'ar'
  return `<a class="lang" href="?lang=${other}${embed ? '&amp;embed=1' : ''}" hreflang="${other}" lang="${other}">${esc(t.other)}</a>`
}

function header(p: PageInput, t: Texts): string {
  return `<header class="top"><p class="store"><bdi>${esc(p.storeName)}</bdi></p>${langSwitch(p.lang, p.embed, t)}</header>`
}

function amountBlock(p: PageInput, t: Texts): string {
  return `<section class="amount" aria-label="${esc(t.amount)}"><p class="label">${esc(t.amount)}</p><p class="value"><bdi class="num" dir="ltr">${esc(shown(p.intent.amount))}</bdi> <span class="cur">${esc(t.egp)}</span></p><p class="order">${esc(t.order)} <bdi>${esc(p.intent.orderId)}</bdi></p></section>`
}

function wallets(payTo: PayTo[], t: Texts): string {
  if (payTo.length === 0) return `<p class="notice">${esc(t.noWallets)}</p>`
  const items = payTo.map((w, i) => `<li class="wallet p-${w.provider}"><span class="provider">${esc(t.providers[w.provider as Provider])}</span><span class="number" dir="ltr" id="w${i}">${esc(w.wallet)}</span><button type="button" class="copy" data-copy="w${i}" data-done="${esc(t.copied)}" hidden>${esc(t.copy)}</button></li>`)
  return `<ul class="wallets">${items.join('')}</ul>`
}

function countdown(p: PageInput, t: Texts): string {
  const left = Math.max(0, Date.parse(p.intent.expiresAt) - p.now.getTime())
  const mins = Math.ceil(left / 60_000)
  return `<p class="countdown">${esc(t.expiresIn)}: <time id="left" datetime="${esc(p.intent.expiresAt)}"><bdi dir="ltr">${mins}</bdi> ${esc(t.minutes)}</time> <span class="until">(${esc(t.expiresAt)} <bdi dir="ltr">${cairo.format(new Date(p.intent.expiresAt))}</bdi>)</span></p>`
}

function claimForm(p: PageInput, t: Texts, again: boolean): string {
  const hasBank = p.payTo.some((w) => w.provider === 'instapay')
  const phone = p.typedPhone ?? p.intent.payer?.phone ?? p.intent.customerPhone ?? ''
  const err = p.error ? `<p class="error" id="claim-error" role="alert">${esc(p.error)}</p>` : `<p class="error" id="claim-error" role="alert" hidden></p>`
  const form = `<form class="claim" method="post" action="/pay/${esc(p.intent.id)}/claim?lang=${p.lang}${p.embed ? '&amp;embed=1' : ''}" novalidate>
<input type="hidden" name="csrf" value="${esc(p.csrf)}">
<label for="phone">${esc(t.phone)}</label>
<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" dir="ltr" maxlength="20" placeholder="01XXXXXXXXX" value="${esc(phone)}" aria-describedby="phone-hint${p.error ? ' claim-error' : ''}">
<p class="hint" id="phone-hint">${esc(t.phoneHint)}</p>
${hasBank ? bankFields(p, t) : ''}
${err}
<button type="submit" class="primary">${esc(t.submit)}</button>
</form>`
  return again ? `<details class="again"${p.error ? ' open' : ''}><summary>${esc(t.change)}</summary>${form}</details>` : form
}

/**
 * A bank InstaPay credit's SMS has no payer phone: the payer names it by its reference, the name on
 * their account (as the bank writes it) or their InstaPay address. Open after an error in one of them.
 */
function bankFields(p: PageInput, t: Texts): string {
  const b = p.typedBank ?? {reference: '', payerName: '', payerAddress: ''}
  const open = p.error && (b.reference || b.payerName || b.payerAddress) ? ' open' : ''
  return `<details class="bank"${open}><summary>${esc(t.bank)}</summary>
<label for="reference">${esc(t.reference)}</label><input id="reference" name="reference" type="text" inputmode="numeric" dir="ltr" maxlength="40" autocomplete="off" value="${esc(b.reference)}" aria-describedby="reference-hint"><p class="hint" id="reference-hint">${esc(t.referenceHint)}</p>
<p class="or">${esc(t.bankOr)}</p>
<label for="payer_name">${esc(t.payerName)}</label><input id="payer_name" name="payer_name" type="text" dir="auto" maxlength="100" autocomplete="name" value="${esc(b.payerName)}" aria-describedby="payer_name-hint"><p class="hint" id="payer_name-hint">${esc(t.payerNameHint)}</p>
<label for="payer_address">${esc(t.payerAddress)}</label><input id="payer_address" name="payer_address" type="text" dir="ltr" maxlength="80" autocomplete="off" autocapitalize="none" spellcheck="false" value="${esc(b.payerAddress)}" aria-describedby="payer_address-hint"><p class="hint" id="payer_address-hint">${esc(t.payerAddressHint)}</p>
</details>`
}

function finalScreen(p: PageInput, t: Texts, kind: 'paid' | 'rejected' | 'expired' | 'cancelled'): string {
  const vals = {store: p.storeName, order: p.intent.orderId, amount: shown(p.intent.amount)}
  const title = {paid: t.paidTitle, rejected: t.rejectedTitle, expired: t.expiredTitle, cancelled: t.cancelledTitle}[kind]
  const text = {paid: t.paid, rejected: t.rejected, expired: t.expired, cancelled: t.cancelled}[kind]
  const link = p.returnUrl
    ? `<a class="button ${kind === 'paid' ? 'primary' : ''}" href="${esc(p.returnUrl)}"${p.embed ? ' target="_top"' : ''} id="return">${kind === 'paid' ? esc(t.continue) : fill(t.back, vals)}</a>`
    : ''
  const returning = kind === 'paid' && p.returnUrl ? `<p class="sub">${fill(t.returning, vals)}</p>` : ''
  return `<section class="result ${kind}" role="status"><div class="icon" aria-hidden="true"></div><h1>${esc(title)}</h1><p>${fill(text, vals)}</p>${returning}${link}</section>`
}

/** The whole page for an intent, on whatever screen its state calls for. */
export function renderCheckout(p: PageInput): {html: string; screen: Screen} {
  const t = texts(p.lang)
  const screen = screenOf(p.intent, p.now, p.graceMs)
  const head = header(p, t)
  let body: string
  // Without JavaScript the page reloads itself while the outcome is still open; with it, checkout.js listens instead.
  let refresh: string | null = null
  if (screen === 'pay') {
    body = `${head}${amountBlock(p, t)}${countdown(p, t)}<ol class="steps"><li><h2>${esc(t.step1)}</h2>${wallets(p.payTo, t)}</li><li><h2>${esc(t.step2)}</h2>${claimForm(p, t, false)}</li></ol>`
  } else if (screen === 'waiting') {
    const who = p.intent.payer?.phone ?? p.intent.payer?.reference ?? p.intent.payer?.address ?? p.intent.payer?.name ?? ''
    body = `${head}${amountBlock(p, t)}<section class="result waiting" role="status"><div class="icon spinner" aria-hidden="true"></div><h1>${esc(t.waitingTitle)}</h1><p>${fill(t.waiting, {who})}</p></section>${countdown(p, t)}<h2>${esc(t.step1)}</h2>${wallets(p.payTo, t)}${claimForm(p, t, true)}`
    refresh = '<noscript><meta http-equiv="refresh" content="5"></noscript>\n'
  } else if (screen === 'held') {
    body = `${head}${amountBlock(p, t)}<section class="result held" role="status"><div class="icon" aria-hidden="true"></div><h1>${esc(t.heldTitle)}</h1><p>${esc(t.held)}</p></section>`
    refresh = '<noscript><meta http-equiv="refresh" content="20"></noscript>\n'
  } else {
    body = `${head}${finalScreen(p, t, screen)}`
    // Paid: back to the shop in a moment, script or not (in a modal the parent page navigates instead).
    if (screen === 'paid' && p.returnUrl && !p.embed) refresh = `<meta http-equiv="refresh" content="3;url=${esc(p.returnUrl)}">\n`
  }
  body += `<footer class="foot">${esc(t.by)}</footer>`
  const dataset: Record<string, string> = {intent: p.intent.id, screen, lang: p.lang, version: String(p.intent.version)}
  if (p.embed) dataset.embed = '1'
  if (p.embed && p.parentOrigin) dataset.parent = p.parentOrigin
  if (screen === 'paid' && p.returnUrl) dataset.return = p.returnUrl
  const title = screen === 'pay' || screen === 'waiting' ? `${t.title} ${shown(p.intent.amount)} ${t.egp} · ${p.storeName}` : `${{paid: t.paidTitle, held: t.heldTitle, rejected: t.rejectedTitle, expired: t.expiredTitle, cancelled: t.cancelledTitle}[screen]} · ${p.storeName}`
  return {html: shell({lang: p.lang, title, assets: p.assets, refresh, body, dataset}), screen}
}

export function renderNotFound(lang: Lang, assets: PageInput['assets']): string {
  const t = texts(lang)
  const body = `<header class="top"><p class="store">&nbsp;</p>${langSwitch(lang, false, t)}</header><section class="result expired" role="status"><div class="icon" aria-hidden="true"></div><h1>${esc(t.notFoundTitle)}</h1><p>${esc(t.notFound)}</p></section><footer class="foot">${esc(t.by)}</footer>`
  return shell({lang, title: t.notFoundTitle, assets, refresh: null, body, dataset: {screen: 'not_found', lang}})
}
