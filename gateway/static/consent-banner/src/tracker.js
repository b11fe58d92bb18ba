/*
 * gateway tracker: a small Matomo-compatible page tracker.
 *
 * It reads the standard `_paq` queue that Matomo snippets already use and sends Matomo
 * Tracking API hits exactly as matomo.js does with sendBeacon: POST, empty body, every parameter
 * in the query string (fetch with keepalive where sendBeacon is missing or refuses).
 *
 * Supported calls: setTrackerUrl, setSiteId, requireConsent, setConsentGiven,
 * rememberConsentGiven, forgetConsentGiven, appendToTrackingUrl, trackPageView, trackEvent,
 * enableLinkTracking, enableHeartBeatTimer, setCustomUrl, setDocumentTitle, setReferrerUrl, and
 * the getters getVisitorId, hasConsent, isConsentRequired for functions pushed to `_paq` (called
 * with the tracker as `this`). Unknown calls (cookie consent, setDomains, ...) are ignored.
 *
 * Consent. With requireConsent, hits wait in page memory until setConsentGiven and are then sent
 * in order; after forgetConsentGiven they are dropped, not kept. The string given to
 * appendToTrackingUrl (the gateway's consent token) and the visitor id are added when a hit is
 * sent, so hits made before consent carry the token too. The tracker never sets a cookie. The
 * visitor id (16 hex, localStorage "gw_vid", sent as `_id`) exists only once consent was given on
 * the page (setConsentGiven or rememberConsentGiven); forgetConsentGiven deletes it. Without
 * consent hits go out without any identifier.
 *
 * Page views. trackPageView starts a new page view id (`pv_id`). Once a page view was tracked,
 * history.pushState / replaceState and popstate that change the URL (not just its #fragment)
 * count a new page view shortly after (so the application can set document.title), with the
 * previous page's URL as referrer. A page view the site tracks itself for the new URL within that
 * time is not counted twice.
 *
 * Links (enableLinkTracking). A click (or middle click) on a link with a `download` attribute or
 * a common file extension sends `download=<url>`; on a link to another host (www. ignored) it
 * sends `link=<url>`.
 *
 * Heartbeat (enableHeartBeatTimer(seconds = 15), at least 1). Once a page view was sent, a
 * `ping=1` hit goes out when the last hit is that many seconds old, while the page is visible and
 * has focus, for at most 30 minutes after the last page view, event or click: a tab left open
 * does not keep a visit alive for ever.
 */
(function () {
  "use strict";
  var w = window, d = document, loc = location, queued = w._paq;
  if (queued && !Array.isArray(queued)) return; // a tracker already owns _paq

  var VID = "gw_vid";
  var DOWNLOAD = /\.(7z|aac|apk|avi|bz2|csv|dmg|docx?|epub|exe|flac|gz|ics|iso|jar|m4a|mkv|mov|mp[34]|mpe?g|msi|od[pst]|ogg|pdf|pkg|pptx?|rar|rtf|tar|tgz|txt|wav|webm|wmv|xlsx?|xz|zip)$/i;
  var url = "", site = "", needConsent = false, consent = false, refused = false;
  var held = [], extra = "", customUrl = "", title = "", ref = d.referrer, vid = "";
  var pv = "", pvHere = "", pvUrl = "", viewed = false, links = false;
  var beat = 0, timer = 0, lastSent = 0, lastAction = 0;

  function hex(n) {
    return [].map.call(crypto.getRandomValues(new Uint8Array(n)), function (b) {
      return (b & 15).toString(16);
    }).join("");
  }
  function allowed() {
    return !needConsent || consent;
  }
  function page(u) {
    return u.split("#")[0];
  }
  function host(h) {
    return h.replace(/^www\./, "");
  }

  function send(p) {
    if (!url || !site) return;
    p.idsite = site;
    if (consent) {
      if (!vid) {
        try { vid = localStorage.getItem(VID) || ""; } catch (e) { /* storage blocked */ }
        if (!/^[0-9a-f]{16}$/.test(vid)) {
          vid = hex(16);
          try { localStorage.setItem(VID, vid); } catch (e) { /* id lives for this page only */ }
        }
      }
      p._id = vid;
    }
    if (p.action_name != null) viewed = true;
    lastSent = Date.now();
    var qs = Object.keys(p).filter(function (k) { return p[k] !== "" && p[k] != null; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(p[k]); }).join("&");
    if (extra) qs += "&" + extra;
    var u = url + (url.indexOf("?") < 0 ? "?" : "&") + qs;
    try { if (navigator.sendBeacon(u)) return; } catch (e) { /* not available */ }
    fetch(u, { method: "POST", keepalive: true, credentials: "include", mode: "no-cors" }).catch(function () {});
  }

  // Parameters are taken when the call is made (time, URL, title); _id and the appended
  // string when the hit is actually sent.
  function track(action) {
    var now = new Date();
    var p = {
      idsite: site, rec: 1, r: String(Math.random()).slice(2, 8).padEnd(6, "0"),
      h: now.getHours(), m: now.getMinutes(), s: now.getSeconds(), url: customUrl || loc.href,
      urlref: ref, res: screen.width + "x" + screen.height, send_image: 0, pv_id: pv
    };
    for (var k in action) p[k] = action[k];
    if (!action.ping) lastAction = +now;
    if (allowed()) send(p);
    else if (!refused) held.push(p);
  }

  // Single-page applications: a history change to another URL is a new page view.
  function navigated() {
    setTimeout(function () {
      if (pv && page(loc.href) != pvHere) {
        ref = pvUrl;
        customUrl = title = "";
        tracker.trackPageView();
      }
    }, 100);
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      navigated();
      return result;
    };
  });
  w.addEventListener("popstate", navigated);

  function click(e) {
    var a = e.target.closest && e.target.closest("a,area"), href = a && a.href, p = {};
    if (e.button > 1 || !/^https?:/i.test(href)) return;
    if (a.hasAttribute("download") || DOWNLOAD.test(a.pathname)) p.download = href;
    else if (host(a.hostname) != host(loc.hostname)) p.link = href;
    else return;
    track(p);
  }

  function tick() {
    clearTimeout(timer);
    var now = Date.now(), due = lastSent + beat - now;
    if (due <= 0) {
      if (viewed && allowed() && !d.hidden && d.hasFocus() && now - lastAction < 18e5) track({ ping: 1 });
      due = beat;
    }
    timer = setTimeout(tick, due);
  }

  var tracker = {
    setTrackerUrl: function (u) { url = String(u); },
    setSiteId: function (id) { site = String(id); },
    requireConsent: function () { needConsent = true; },
    setConsentGiven: function () {
      consent = true;
      refused = false;
      var list = held;
      held = [];
      list.forEach(send);
    },
    rememberConsentGiven: function () { tracker.setConsentGiven(); },
    forgetConsentGiven: function () {
      consent = false;
      needConsent = refused = true;
      held = [];
      vid = "";
      try { localStorage.removeItem(VID); } catch (e) { /* nothing stored */ }
    },
    appendToTrackingUrl: function (s) { extra = String(s || "").replace(/^&+/, ""); },
    trackPageView: function (customTitle) {
      pv = hex(6);
      pvHere = page(loc.href);
      pvUrl = customUrl || loc.href;
      track({ action_name: customTitle || title || d.title });
    },
    trackEvent: function (category, action, name, value) {
      if (category && action) track({ e_c: category, e_a: action, e_n: name, e_v: value, ca: 1 });
    },
    enableLinkTracking: function () {
      if (!links) {
        links = true;
        d.addEventListener("click", click, true);
        d.addEventListener("auxclick", click, true);
      }
    },
    enableHeartBeatTimer: function (seconds) {
      beat = 1e3 * Math.max(seconds || 15, 1);
      tick();
    },
    setCustomUrl: function (u) { customUrl = u; },
    setDocumentTitle: function (t) { title = t; },
    setReferrerUrl: function (r) { ref = r; },
    getVisitorId: function () { return consent ? vid : ""; },
    hasConsent: function () { return allowed(); },
    isConsentRequired: function () { return needConsent; }
  };

  // A call is ["method", args...] or [function () {...}, args...] (run with the tracker as this).
  function run(call) {
    try {
      if (!call) return;
      var f = typeof call === "function" ? call : call[0];
      if (typeof f === "string") f = Object.prototype.hasOwnProperty.call(tracker, f) && tracker[f];
      if (typeof f === "function") f.apply(tracker, [].slice.call(call, 1));
    } catch (e) {
      if (w.console) console.error(e);
    }
  }

  // Like matomo.js, configuration calls apply before the rest of the queue, in order.
  var FIRST = ["setTrackerUrl", "setSiteId", "requireConsent"];
  var isFirst = function (c) { return !!c && FIRST.indexOf(c[0]) >= 0; };
  queued = queued || [];
  queued.filter(isFirst).forEach(run);
  queued.filter(function (c) { return !isFirst(c); }).forEach(run);
  w._paq = { push: function () { [].forEach.call(arguments, run); } };
})();
