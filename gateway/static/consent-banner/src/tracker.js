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
  var w = window, d = document, loc = location, queued = w._paq;
  if (queued && !Array.isArray(queued)) return; // a tracker already owns _paq

  var VID = "gw_vid";
  var DOWNLOAD = /\.(7z|apk|avi|csv|dmg|docx?|epub|exe|gz|iso|mov|mp[34]|msi|od[pst]|pdf|pptx?|rar|rtf|tar|txt|wav|xlsx?|zip)$/i;
  var url = "", site = "", needConsent = false, consent = false, refused = false;
  var held = [], extra = "", customUrl = "", title = "", ref = d.referrer, vid = "";
  var pv = "", here = "";
  var beat = 0, lastSent = 0, lastAction = 0;

  var hex = (n) => [].map.call(crypto.getRandomValues(new Uint8Array(n)), (b) => (b & 15).toString(16)).join("");
  var allowed = () => !needConsent || consent;
  var page = (u) => u.split("#")[0];
  var host = (h) => h.replace(/^www\./, "");

  var send = (p) => {
    if (!url || !site) return;
    if (consent) {
      try {
        vid = vid || localStorage[VID];
        if (!/^[0-9a-f]{16}$/.test(vid)) localStorage[VID] = vid = hex(16);
      } catch (e) { /* storage blocked: the id lives for this page only, or is not sent */ }
      p._id = vid;
    }
    lastSent = Date.now();
    var u = url + (/\?/.test(url) ? "&" : "?") + "idsite=" + site;
    for (var k in p) if (p[k] !== "" && p[k] != null) u += "&" + k + "=" + encodeURIComponent(p[k]);
    if (extra) u += "&" + extra;
    navigator.sendBeacon(u) ||
      fetch(u, { method: "POST", keepalive: true, credentials: "include", mode: "no-cors" }).catch(() => {});
  };

  // Parameters are taken when the call is made (time, URL, title); _id and the appended
  // string when the hit is actually sent.
  var track = (action) => {
    var now = new Date();
    var p = {
      rec: 1, r: hex(6), h: now.getHours(), m: now.getMinutes(), s: now.getSeconds(),
      url: customUrl || loc.href, urlref: ref, res: screen.width + "x" + screen.height,
      send_image: 0, pv_id: pv
    };
    Object.assign(p, action);
    if (!action.ping) lastAction = +now;
    if (allowed()) send(p);
    else if (!refused) held.push(p);
  };

  // Single-page applications: a history change to another URL is a new page view.
  var navigated = () => setTimeout(() => {
    if (pv && page(loc.href) != page(here)) {
      ref = here;
      customUrl = title = "";
      tracker.trackPageView();
    }
  }, 100);
  ["pushState", "replaceState"].forEach((name) => {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      navigated();
      return result;
    };
  });
  w.addEventListener("popstate", navigated);

  var click = (e) => {
    var a = e.target.closest("a,area"), href = a && a.href, p = {};
    if (e.button > 1 || !/^https?:/i.test(href)) return;
    if (a.hasAttribute("download") || DOWNLOAD.test(a.pathname)) p.download = href;
    else if (host(a.hostname) != host(loc.hostname)) p.link = href;
    else return;
    track(p);
  };

  var tick = () => {
    var now = Date.now(), due = lastSent + beat - now;
    if (due <= 0) {
      if (pv && allowed() && !d.hidden && d.hasFocus() && now - lastAction < 18e5) track({ ping: 1 });
      due = beat;
    }
    setTimeout(tick, due);
  };

  var tracker = {
    setTrackerUrl: (u) => { url = u; },
    setSiteId: (id) => { site = encodeURIComponent(id); },
    requireConsent: () => { needConsent = true; },
    setConsentGiven: () => {
      var list = held;
      consent = true;
      refused = false;
      held = [];
      list.forEach(send);
    },
    rememberConsentGiven: () => tracker.setConsentGiven(),
    forgetConsentGiven: () => {
      consent = false;
      needConsent = refused = true;
      held = [];
      vid = "";
      try { delete localStorage[VID]; } catch (e) { /* nothing stored */ }
    },
    appendToTrackingUrl: (s) => { extra = s; },
    trackPageView: (customTitle) => {
      pv = hex(6);
      here = loc.href;
      track({ action_name: customTitle || title || d.title });
    },
    trackEvent: (category, action, name, value) => {
      if (category && action) track({ e_c: category, e_a: action, e_n: name, e_v: value, ca: 1 });
    },
    enableLinkTracking: () => {
      d.addEventListener("click", click, true);
      d.addEventListener("auxclick", click, true);
    },
    enableHeartBeatTimer: (seconds) => {
      if (!beat) setTimeout(tick);
      beat = 1e3 * Math.max(seconds || 15, 1);
    },
    setCustomUrl: (u) => { customUrl = u; },
    setDocumentTitle: (t) => { title = t; },
    setReferrerUrl: (r) => { ref = r; },
    getVisitorId: () => (consent ? vid : ""),
    hasConsent: allowed,
    isConsentRequired: () => needConsent
  };

  // A call is ["method", args...] or [function () {...}, args...] (run with the tracker as this).
  var run = (call) => {
    try {
      var f = typeof call == "function" ? call : call[0];
      if (typeof f == "string") f = tracker[f];
      if (f) f.apply(tracker, [].slice.call(call, 1));
    } catch (e) {
      console.error(e);
    }
  };

  // Like matomo.js, configuration calls apply before the rest of the queue, in order.
  var isFirst = (c) => c && ["setTrackerUrl", "setSiteId", "requireConsent"].indexOf(c[0]) >= 0;
  queued = queued || [];
  queued.filter(isFirst).forEach(run);
  queued.filter((c) => !isFirst(c)).forEach(run);
  w._paq = { push: (...calls) => calls.forEach(run) };
})();
