/*
 * gateway tracker: a small Matomo-compatible page tracker.
 *
 * It reads the standard `_paq` queue that Matomo snippets already use and sends Matomo
 * Tracking API hits (POST with the parameters in the query string, as matomo.js does with
 * sendBeacon). Supported: setTrackerUrl, setSiteId, requireConsent, setConsentGiven,
 * rememberConsentGiven, forgetConsentGiven, appendToTrackingUrl, trackPageView, trackEvent,
 * enableLinkTracking (no-op), setCustomUrl, setDocumentTitle, setReferrerUrl, and the getters
 * getVisitorId, hasConsent, isConsentRequired for functions pushed to `_paq` (called with the
 * tracker as `this`). Unknown calls are ignored.
 *
 * With requireConsent, hits wait in page memory until setConsentGiven and are then sent in
 * order; the string given to appendToTrackingUrl is added when a hit is sent, so hits made
 * before consent carry the consent token too. The visitor id (localStorage "gw_vid") is only
 * read or written once tracking is allowed, and forgetConsentGiven deletes it.
 */
(function () {
  "use strict";
  var w = window, d = document, queued = w._paq;
  if (queued && !Array.isArray(queued)) return; // a tracker already owns _paq

  var VID = "gw_vid", HEX = "0123456789abcdef";
  var ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  var url = "", site = "", needConsent = false, consent = false, held = [], extra = "";
  var customUrl = "", title = "", ref = d.referrer, refSent = false, pv = "", vid = "";

  function rnd(n, chars) {
    var b = new Uint8Array(n), s = "";
    (w.crypto || w.msCrypto).getRandomValues(b);
    for (var i = 0; i < n; i++) s += chars[b[i] % chars.length];
    return s;
  }
  function allowed() {
    return !needConsent || consent;
  }
  function visitor() {
    if (!vid) {
      try { vid = localStorage.getItem(VID) || ""; } catch (e) { /* storage blocked */ }
      if (!/^[0-9a-f]{16}$/.test(vid)) {
        vid = rnd(16, HEX);
        try { localStorage.setItem(VID, vid); } catch (e) { /* id lives for this page only */ }
      }
    }
    return vid;
  }

  function send(p) {
    if (!url || !site) return;
    p.idsite = site;
    p._id = visitor();
    var qs = Object.keys(p).filter(function (k) { return p[k] !== "" && p[k] != null; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(p[k]); }).join("&");
    if (extra) qs += "&" + extra;
    var u = url + (url.indexOf("?") < 0 ? "?" : "&") + qs, ok = false;
    try { ok = navigator.sendBeacon(u); } catch (e) { /* not available */ }
    if (!ok && w.fetch) {
      fetch(u, { method: "POST", keepalive: true, credentials: "include", mode: "no-cors" }).catch(function () {});
    }
  }

  // Parameters are taken when the call is made (time, URL, title); _id and the appended
  // string when the hit is actually sent.
  function track(action) {
    var now = new Date();
    var p = {
      idsite: site, rec: 1, r: String(Math.random()).slice(2, 8).padEnd(6, "0"),
      h: now.getHours(), m: now.getMinutes(), s: now.getSeconds(), url: customUrl || location.href
    };
    for (var k in action) p[k] = action[k];
    if (!refSent) {
      refSent = true;
      p.urlref = ref;
    }
    p._id = "";
    p.res = screen.width + "x" + screen.height;
    p.send_image = 0;
    p.pv_id = pv;
    if (allowed()) send(p);
    else held.push(p);
  }

  var tracker = {
    setTrackerUrl: function (u) { url = String(u); },
    setSiteId: function (id) { site = String(id); },
    requireConsent: function () { needConsent = true; },
    setConsentGiven: function () {
      consent = true;
      var list = held;
      held = [];
      list.forEach(send);
    },
    rememberConsentGiven: function () { tracker.setConsentGiven(); },
    forgetConsentGiven: function () {
      consent = false;
      needConsent = true;
      held = [];
      vid = "";
      try { localStorage.removeItem(VID); } catch (e) { /* nothing stored */ }
    },
    appendToTrackingUrl: function (s) { extra = String(s || "").replace(/^&+/, ""); },
    trackPageView: function (customTitle) {
      pv = rnd(6, ALNUM);
      track({ action_name: customTitle || title || d.title });
    },
    trackEvent: function (category, action, name, value) {
      if (!category || !action) return;
      track({ e_c: category, e_a: action, e_n: name, e_v: value, ca: 1 });
    },
    enableLinkTracking: function () {},
    setCustomUrl: function (u) { customUrl = u; },
    setDocumentTitle: function (t) { title = t; },
    setReferrerUrl: function (r) { ref = r; },
    getVisitorId: function () { return allowed() ? visitor() : ""; },
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
