/*
 * The viewer's browser script, served as /assets/viewer.js (a file, so the CSP can stay script-src 'self'
 * with no inline script). Plain ES2017 for any current browser, no build step.
 *
 * - Blink comparison: a Pause/Play button for the CSS animation that alternates previous and current image.
 * - Cursor readout: over a FITS preview (`img[data-fits-pixel]`), the FITS pixel under the pointer (1-based), its
 *   value and RA/Dec from `images/<id>/pixel`, at most one request in flight (the newest position wins).
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

  document.querySelectorAll('img[data-fits-pixel]').forEach(function (img) {
    var figure = img.closest('figure')
    var readout = figure && figure.querySelector('[data-readout]')
    if (!readout) return
    var width = Number(img.getAttribute('data-fits-width'))
    var height = Number(img.getAttribute('data-fits-height'))
    var factor = Number(img.getAttribute('data-preview-factor')) || 1
    var url = img.getAttribute('data-fits-pixel')
    var busy = false
    var wanted = null
    var shown = null

    // The FITS pixel (1-based) under a pointer position, or null over the letterbox of object-fit: contain.
    function pixelAt(event) {
      var rect = img.getBoundingClientRect()
      var natW = img.naturalWidth
      var natH = img.naturalHeight
      if (!natW || !natH || !rect.width || !rect.height) return null
      var scale = Math.min(rect.width / natW, rect.height / natH)
      var left = rect.left + (rect.width - natW * scale) / 2
      var top = rect.top + (rect.height - natH * scale) / 2
      var px = (event.clientX - left) / scale
      var py = (event.clientY - top) / scale
      if (px < 0 || py < 0 || px >= natW || py >= natH) return null
      // Preview pixel (ox, row) is the mean of factor × factor image pixels; FITS row 1 is the bottom row.
      var x = Math.floor(px * factor)
      var row = Math.floor(py)
      var y = (natH - 1 - row) * factor + (factor - 1 - Math.floor((py - row) * factor))
      if (x >= width || y >= height || y < 0) return null
      return { x: x + 1, y: y + 1 }
    }

    function show(pixel, answer) {
      var text = 'pixel x ' + pixel.x + ', y ' + pixel.y + ' (FITS, 1-based)'
      if (answer) {
        text += ' · value ' + (answer.value === null ? 'masked' : Number(answer.value.toPrecision(7)))
        if (answer.sky) {
          var equatorial = /^(ICRS|FK4|FK5|FK4-NO-E|GAPPT)$/.test(answer.sky.system)
          text +=
            ' · ' +
            (equatorial ? 'RA ' : 'lon ') +
            answer.sky.raText +
            ' (' +
            answer.sky.ra.toFixed(6) +
            '°)' +
            ' · ' +
            (equatorial ? 'Dec ' : 'lat ') +
            answer.sky.decText +
            ' (' +
            answer.sky.dec.toFixed(6) +
            '°) ' +
            answer.sky.system
        } else text += ' · no sky position (no usable WCS)'
      }
      readout.textContent = text
    }

    function ask() {
      if (busy || !wanted) return
      var pixel = wanted
      wanted = null
      busy = true
      fetch(url + '?x=' + pixel.x + '&y=' + pixel.y, { headers: { accept: 'application/json' } })
        .then(function (response) {
          return response.ok ? response.json() : null
        })
        .catch(function () {
          return null
        })
        .then(function (answer) {
          busy = false
          if (shown && shown.x === pixel.x && shown.y === pixel.y) show(pixel, answer)
          ask()
        })
    }

    img.addEventListener('mousemove', function (event) {
      var pixel = pixelAt(event)
      if (!pixel || (shown && shown.x === pixel.x && shown.y === pixel.y)) return
      shown = pixel
      show(pixel, null)
      wanted = pixel
      ask()
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
