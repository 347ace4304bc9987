/* vcash checkout page: copy buttons, a live countdown, live status (server-sent events, else polling),
   and the claim sent without leaving the page. The page works without this file. */
/* global document, window, navigator, location, EventSource */
(function () {
  'use strict'
  var card = document.querySelector('main.card')
  if (!card) return
  var d = card.dataset
  var id = d.intent
  var base = '/pay/' + encodeURIComponent(id || '')
  var query = '?lang=' + (d.lang || 'en') + (d.embed ? '&embed=1' : '')

  // Copy buttons: shown only where they work.
  Array.prototype.forEach.call(document.querySelectorAll('button.copy'), function (b) {
    var target = document.getElementById(b.getAttribute('data-copy'))
    if (!target || !navigator.clipboard) return
    b.hidden = false
    var label = b.textContent
    b.addEventListener('click', function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        b.textContent = b.getAttribute('data-done')
        b.classList.add('done')
        setTimeout(function () { b.textContent = label; b.classList.remove('done') }, 2000)
      })
    })
  })

  // Countdown to expiry, from the server's instant (the page may be opened late or left open).
  var left = document.getElementById('left')
  if (left) {
    var end = Date.parse(left.getAttribute('datetime'))
    var tick = function () {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000))
      var text = Math.floor(s / 60) + ':' + ('0' + (s % 60)).slice(-2)
      left.innerHTML = ''
      var bdi = document.createElement('bdi')
      bdi.dir = 'ltr'
      bdi.textContent = text
      left.appendChild(bdi)
      if (s < 120) left.parentNode.classList.add('late')
      if (s === 0) { clearInterval(timer); check() }
    }
    var timer = setInterval(tick, 1000)
    tick()
  }

  // Paid: back to the shop (in a modal, the merchant's page navigates: embed.js listens).
  if (d.screen === 'paid') {
    if (d.embed && d.parent && window.parent !== window) {
      window.parent.postMessage({type: 'vcash:paid', intent_id: id, redirect_url: d['return'] || null}, d.parent)
    } else if (d['return']) {
      setTimeout(function () { location.assign(d['return']) }, 1500)
    }
    return
  }
  if (d.screen !== 'pay' && d.screen !== 'waiting' && d.screen !== 'held') {
    if (d.embed && d.parent && window.parent !== window) window.parent.postMessage({type: 'vcash:closed', intent_id: id, screen: d.screen}, d.parent)
    return
  }

  // Live status: reload to the server's rendering of the new screen when anything changed.
  var version = d.version
  var reloaded = false
  var seen = function (s) {
    if (reloaded || !s) return
    if (s.screen !== d.screen || String(s.version) !== version) {
      reloaded = true
      location.replace(base + query)
    }
  }
  var check = function () {
    return fetch(base + '/status.json', {cache: 'no-store'}).then(function (r) { return r.json() }).then(seen, function () {})
  }
  var poll = function () { setInterval(check, 4000) }
  if (window.EventSource) {
    var failures = 0
    var es = new EventSource(base + '/events')
    es.addEventListener('status', function (e) { failures = 0; seen(JSON.parse(e.data)) })
    es.onerror = function () {
      // A proxy that buffers or cuts streams: poll instead.
      if (++failures >= 2) { es.close(); poll() }
    }
  } else {
    poll()
  }

  // The claim, without a page load; errors appear beside the form.
  var form = document.querySelector('form.claim')
  if (!form) return
  var err = document.getElementById('claim-error')
  form.addEventListener('submit', function (e) {
    e.preventDefault()
    var button = form.querySelector('button[type=submit]')
    button.disabled = true
    fetch(form.action, {method: 'POST', headers: {accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded'}, body: new URLSearchParams(new window.FormData(form)).toString()})
      .then(function (r) { return r.json() })
      .then(function (body) {
        if (body.status === false) {
          err.textContent = body.message
          err.hidden = false
          button.disabled = false
          return
        }
        reloaded = true
        location.replace(base + query)
      }, function () { button.disabled = false; form.submit() })
  })
})()
