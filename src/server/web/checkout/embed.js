/* vcash checkout in a modal on a merchant's page (docs/checkout.md):
     <script src="https://pay.example.com/pay/embed.js" defer></script>
     <a href="https://pay.example.com/pay/pi_…" data-vcash-checkout>Pay with Vodafone Cash / InstaPay</a>
   or window.VcashCheckout.open(checkoutUrl). When the intent is paid the page goes to its signed return_url. */
/* global document, window, location */
(function () {
  'use strict'
  var script = document.currentScript
  var origin = new URL(script ? script.src : location.href).origin
  var overlay = null
  var lastFocus = null

  function close() {
    if (!overlay) return
    overlay.remove()
    overlay = null
    document.documentElement.style.overflow = ''
    if (lastFocus) lastFocus.focus()
  }

  function open(url) {
    var u = new URL(url, origin)
    // Only this vcash's own pages: a modal is no place for anything else.
    if (u.origin !== origin || u.pathname.indexOf('/pay/pi_') !== 0) throw new Error('vcash: not a checkout URL of ' + origin)
    u.searchParams.set('embed', '1')
    close()
    lastFocus = document.activeElement
    overlay = document.createElement('div')
    overlay.setAttribute('role', 'dialog')
    overlay.setAttribute('aria-modal', 'true')
    overlay.style.cssText = 'position:fixed;inset:0;z-index:2147483647;background:rgba(15,23,42,.55);display:flex;align-items:center;justify-content:center;padding:8px'
    var box = document.createElement('div')
    box.style.cssText = 'position:relative;width:100%;max-width:480px;height:min(760px,calc(100% - 24px));background:#f3f5f9;border-radius:14px;box-shadow:0 20px 50px rgba(0,0,0,.3)'
    var frame = document.createElement('iframe')
    frame.src = u.toString()
    frame.title = 'Checkout'
    frame.setAttribute('allow', 'clipboard-write')
    frame.style.cssText = 'border:0;width:100%;height:100%;display:block;border-radius:14px'
    var x = document.createElement('button')
    x.type = 'button'
    x.setAttribute('aria-label', 'Close')
    x.textContent = '\u00d7'
    x.style.cssText = 'position:absolute;top:-14px;inset-inline-end:-14px;width:36px;height:36px;border:0;border-radius:50%;background:#fff;color:#14213d;box-shadow:0 2px 8px rgba(0,0,0,.25);font-size:22px;line-height:1;cursor:pointer'
    x.addEventListener('click', close)
    box.appendChild(frame)
    box.appendChild(x)
    overlay.appendChild(box)
    overlay.addEventListener('click', function (e) { if (e.target === overlay) close() })
    document.documentElement.style.overflow = 'hidden'
    document.body.appendChild(overlay)
    frame.focus()
  }

  window.addEventListener('message', function (e) {
    // Only the checkout page itself speaks here, and only about the intent it shows.
    if (e.origin !== origin || !e.data || typeof e.data.type !== 'string') return
    if (e.data.type === 'vcash:paid') {
      if (typeof e.data.redirect_url === 'string' && /^https?:\/\//.test(e.data.redirect_url)) location.assign(e.data.redirect_url)
    }
  })
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') close() })
  document.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('[data-vcash-checkout]') : null
    if (!a) return
    e.preventDefault()
    open(a.getAttribute('data-vcash-checkout') || a.getAttribute('href'))
  })
  window.VcashCheckout = {open: open, close: close}
})()
