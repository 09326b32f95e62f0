/*
 * The viewer's browser script, served as /assets/viewer.js (a file, so the CSP can stay script-src 'self'
 * with no inline script). Plain ES2017 for any current browser, no build step.
 *
 * - Blink comparison: a Pause/Play button for the CSS animation that alternates previous and current image.
 * - Live alerts: on the newest page of the recent-alerts list, an EventSource on `events` inserts each
 *   new alert at the top. Items are built with DOM calls and `textContent` only, never from markup, so
 *   whatever a stream is called it is shown as text. The item layout matches `render-alert-list.ts`.
 */
'use strict'
;(function () {
  document.querySelectorAll('[data-blink]').forEach(function (blink) {
    var button = blink.querySelector('[data-blink-toggle]')
    if (!button) return
    button.hidden = false
    button.addEventListener('click', function () {
      var paused = blink.classList.toggle('paused')
      button.textContent = paused ? 'Play' : 'Pause'
      button.setAttribute('aria-pressed', paused ? 'true' : 'false')
    })
  })

  var list = document.getElementById('alert-list')
  if (!list || list.getAttribute('data-live') !== 'true' || typeof EventSource === 'undefined') return
  var status = document.querySelector('[data-live-status]')
  var empty = document.querySelector('[data-empty]')
  var current = list.getAttribute('data-current')

  function setStatus(text, online) {
    if (!status) return
    status.hidden = false
    status.textContent = text
    status.classList.toggle('offline', !online)
  }

  function formatTime(iso) {
    return (
      String(iso)
        .replace('T', ' ')
        .replace(/\.\d+Z$|Z$/, '') + ' UTC'
    )
  }

  function span(className, text) {
    var element = document.createElement('span')
    element.className = className
    element.textContent = text
    return element
  }

  function item(alert) {
    var li = document.createElement('li')
    li.className = 'fresh'
    li.setAttribute('data-alert', String(alert.number))
    var link = document.createElement('a')
    link.href = '?alert_num=' + encodeURIComponent(String(alert.number))
    if (String(alert.number) === current) link.setAttribute('aria-current', 'page')
    link.appendChild(span('num', '#' + alert.number))
    // The thumbnail, as render-alert-list.ts renders it (by image id only).
    var thumb = document.createElement('img')
    thumb.className = 'thumb'
    thumb.setAttribute('src', 'thumbnails/' + encodeURIComponent(String(alert.image.imageId)))
    thumb.setAttribute('alt', '')
    thumb.setAttribute('width', '96')
    thumb.setAttribute('height', '72')
    thumb.setAttribute('loading', 'lazy')
    thumb.setAttribute('decoding', 'async')
    link.appendChild(thumb)
    link.appendChild(span('what', alert.image.stream + ' · image ' + (alert.image.imageNum === null ? '?' : alert.image.imageNum)))
    var when = span('when', alert.event.eventType.replace(/_/g, ' ') + ' · ')
    var time = document.createElement('time')
    time.dateTime = alert.alert.createdAt
    time.textContent = formatTime(alert.alert.createdAt)
    when.appendChild(time)
    link.appendChild(when)
    li.appendChild(link)
    return li
  }

  var source = new EventSource('events?after=' + encodeURIComponent(list.getAttribute('data-after') || '0'))
  source.addEventListener('open', function () {
    setStatus('live', true)
  })
  source.addEventListener('error', function () {
    setStatus(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting', false)
  })
  source.addEventListener('alert', function (event) {
    var alert
    try {
      alert = JSON.parse(event.data)
    } catch (error) {
      return
    }
    if (typeof alert.number !== 'number') return
    var known = list.querySelectorAll('li[data-alert]')
    for (var index = 0; index < known.length; index += 1) {
      if (known[index].getAttribute('data-alert') === String(alert.number)) return
    }
    var before = list.firstElementChild
    // Newest first: a late-committed lower number goes below the higher ones already shown.
    while (before && Number(before.getAttribute('data-alert')) > alert.number) before = before.nextElementSibling
    list.insertBefore(item(alert), before)
    if (empty) empty.hidden = true
  })
})()
