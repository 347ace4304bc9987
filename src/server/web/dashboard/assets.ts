import crypto from 'node:crypto'

/**
 * The dashboard's only two static files, kept as strings so `tsc` ships them in dist/ with no
 * copy step. Served under a content hash with a year's cache; no inline style or script
 * anywhere, so the CSP can say `'self'` and nothing else.
 */
const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1b1f24;--muted:#57606a;--line:#d8dee4;--brand:#0a5c4a;--brand-ink:#fff;--ok:#116329;--ok-bg:#dafbe1;--warn:#7d4e00;--warn-bg:#fff8c5;--bad:#a40e26;--bad-bg:#ffebe9;--info:#0550ae;--info-bg:#ddf4ff;--radius:10px}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans Arabic",Tahoma,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--info)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.skip{position:absolute;inset-inline-start:-999px}.skip:focus{inset-inline-start:8px;top:8px;background:#fff;padding:8px;z-index:9}
.top{background:var(--brand);color:var(--brand-ink);display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px;padding:8px 16px}
.brand{color:#fff;font-weight:700;font-size:18px;text-decoration:none;margin-inline-end:8px}
.nav{display:flex;gap:2px;overflow-x:auto;flex:1 1 auto;order:3;width:100%;scrollbar-width:none}
.nav a{color:#e6f4ef;text-decoration:none;padding:8px 10px;border-radius:8px;white-space:nowrap}
.nav a[aria-current=page]{background:rgba(255,255,255,.18);color:#fff;font-weight:600}
.nav .count{display:inline-block;min-width:1.4em;padding:0 .4em;margin-inline-start:4px;border-radius:99px;background:#ffd33d;color:#3b2300;font-size:12px;text-align:center}
.tools{display:flex;gap:8px;align-items:center;margin-inline-start:auto}
.tools a,.tools button{color:#fff;background:transparent;border:1px solid rgba(255,255,255,.5);border-radius:8px;padding:4px 10px;font:inherit;font-size:14px;cursor:pointer;text-decoration:none}
@media(min-width:900px){.nav{order:0;width:auto}}
main{max-width:1200px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:4px 0 16px}h2{font-size:17px;margin:0 0 12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:16px;margin-bottom:16px}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-bottom:16px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:12px 14px;text-decoration:none;color:inherit;display:block}
.stat .label{color:var(--muted);font-size:13px}.stat .value{font-size:22px;font-weight:700;font-variant-numeric:tabular-nums}.stat .sub{color:var(--muted);font-size:13px}
.stat.attention{border-color:#d4a72c;background:#fffbe6}
.grid2{display:grid;gap:16px}@media(min-width:900px){.grid2{grid-template-columns:3fr 2fr}}
table{border-collapse:collapse;width:100%}
th,td{text-align:start;padding:8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:13px;color:var(--muted);font-weight:600}
td.num,th.num{text-align:end;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;overflow-wrap:anywhere}
.ltr{direction:ltr;unicode-bidi:isolate}
.badge{display:inline-block;padding:1px 8px;border-radius:99px;font-size:12px;font-weight:600;white-space:nowrap}
.b-COMPLETED,.b-delivered{background:var(--ok-bg);color:var(--ok)}.b-PENDING,.b-pending{background:var(--info-bg);color:var(--info)}
.b-AWAITING_APPROVAL{background:var(--warn-bg);color:var(--warn)}.b-REJECTED,.b-failed{background:var(--bad-bg);color:var(--bad)}.b-EXPIRED{background:#eaeef2;color:#424a53}
.flash{padding:10px 14px;border-radius:var(--radius);margin-bottom:16px;border:1px solid}
.flash.ok{background:var(--ok-bg);color:var(--ok);border-color:#aceebb}.flash.bad{background:var(--bad-bg);color:var(--bad);border-color:#ffcecb}
.nowrap,.nowrap .mono{white-space:nowrap;overflow-wrap:normal}.muted{color:var(--muted)}.small{font-size:13px}
form.inline{display:inline-flex;flex-wrap:wrap;gap:6px;align-items:center;margin:2px 0}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end}
.filters label,.field{display:flex;flex-direction:column;gap:4px;font-size:13px;color:var(--muted)}
.field{margin-bottom:12px}.field .hint{font-size:12px}.field .err{color:var(--bad);font-size:13px}
.check{display:flex;gap:8px;align-items:center;margin-bottom:10px}
input,select,textarea{font:inherit;color:var(--ink);padding:7px 9px;border:1px solid #8c959f;border-radius:8px;background:#fff;min-height:38px;max-width:100%}
textarea{min-height:80px;width:100%}
button,.button{font:inherit;padding:7px 14px;border-radius:8px;border:1px solid #8c959f;background:#f6f8fa;color:var(--ink);cursor:pointer;min-height:38px;text-decoration:none;display:inline-block}
button.primary{background:var(--ok);border-color:var(--ok);color:#fff}button.danger{background:#fff;border-color:var(--bad);color:var(--bad)}
button:disabled{opacity:.6;cursor:progress}
pre.sms{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;border:1px solid var(--line);border-radius:8px;padding:12px;margin:0;font:14px/1.6 inherit}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}
.chart svg{width:100%;height:auto;display:block}.chart .bar{fill:#2da44e}.chart .bar.today{fill:var(--brand)}.chart .axis{stroke:var(--line)}.chart text{font-size:11px;fill:#57606a}
.pager{display:flex;gap:12px;margin-top:12px}
.secret{background:#fff8c5;border:1px solid #d4a72c;border-radius:8px;padding:10px;margin:6px 0 12px}
.live{position:fixed;inset-inline-end:12px;bottom:12px;background:#1b1f24;color:#fff;padding:6px 12px;border-radius:99px;font-size:13px;opacity:0;transition:opacity .3s;pointer-events:none}
.live.show{opacity:.92}
.empty{color:var(--muted);padding:12px 0}
@media(max-width:700px){
 table.rows thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
 table.rows tr{display:block;border:1px solid var(--line);border-radius:var(--radius);margin-bottom:10px;background:var(--card);padding:6px 10px}
 table.rows td{display:flex;justify-content:space-between;gap:12px;border:0;padding:4px 0;text-align:end}
 table.rows td::before{content:attr(data-label);color:var(--muted);font-size:13px;text-align:start}
 table.rows td.actions{display:block}table.rows td.actions::before{content:none}
 main{padding:12px}
}
`

const JS = `'use strict';
(function () {
  var body = document.body
  document.addEventListener('submit', function (e) {
    var f = e.target
    var q = f.getAttribute('data-confirm')
    if (q && !window.confirm(q)) { e.preventDefault(); return }
    setTimeout(function () { f.querySelectorAll('button').forEach(function (b) { b.disabled = true }) }, 0)
  })
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-copy]')
    if (!b || !navigator.clipboard) return
    var el = document.getElementById(b.getAttribute('data-copy'))
    if (el) navigator.clipboard.writeText(el.textContent.trim()).then(function () { b.textContent = b.getAttribute('data-copied') || 'OK' })
  })
  var regions = document.querySelectorAll('[data-live]')
  if (!window.EventSource || regions.length === 0) return
  var status = document.getElementById('live-status')
  var timer = null
  var busy = false
  function edited(el) {
    var inputs = el.querySelectorAll('input:not([type=hidden]),textarea,select')
    for (var i = 0; i < inputs.length; i++) {
      var x = inputs[i]
      if (x === document.activeElement) return true
      if (x.tagName === 'SELECT' ? x.selectedIndex !== 0 : x.type === 'checkbox' ? x.checked !== x.defaultChecked : x.value !== x.defaultValue) return true
    }
    return false
  }
  function refresh() {
    timer = null
    if (busy) { timer = setTimeout(refresh, 500); return }
    busy = true
    fetch(location.href, {credentials: 'same-origin', headers: {'x-vcash-live': '1'}}).then(function (r) {
      return r.ok ? r.text() : null
    }).then(function (text) {
      if (!text) return
      var doc = new DOMParser().parseFromString(text, 'text/html')
      var changed = false
      document.querySelectorAll('[data-live]').forEach(function (el) {
        var next = doc.getElementById(el.id)
        if (!next || next.innerHTML === el.innerHTML || edited(el)) return
        el.replaceWith(document.importNode(next, true))
        changed = true
      })
      if (changed && status) {
        status.textContent = body.getAttribute('data-live-msg')
        status.classList.add('show')
        setTimeout(function () { status.classList.remove('show') }, 2500)
      }
    }).catch(function () {}).then(function () { busy = false })
  }
  var es = new EventSource('/dashboard/events')
  es.addEventListener('change', function () { if (!timer) timer = setTimeout(refresh, 300) })
})()
`

function asset(body: string, type: string): {body: string; type: string; path: string} {
  const hash = crypto.createHash('sha256').update(body).digest('hex').slice(0, 12)
  const ext = type.startsWith('text/css') ? 'css' : 'js'
  return {body, type, path: `/dashboard/static/dashboard.${hash}.${ext}`}
}

export const STYLESHEET = asset(CSS.trim(), 'text/css; charset=utf-8')
export const SCRIPT = asset(JS.trim(), 'text/javascript; charset=utf-8')
