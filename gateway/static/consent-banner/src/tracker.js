/*
 * gateway tracker: a small Matomo-compatible page tracker.
 *
 * It reads the standard `_paq` queue that Matomo snippets already use and sends Matomo
 * Tracking API hits exactly as matomo.js does with sendBeacon: POST, empty body, every parameter
 * in the query string (fetch with keepalive where sendBeacon is missing or refuses).
 *
 * Supported calls: setTrackerUrl, setSiteId, requireConsent, setConsentGiven,
 * rememberConsentGiven, forgetConsentGiven, forgetCookieConsentGiven, appendToTrackingUrl,
 * trackPageView, trackEvent, enableLinkTracking, enableHeartBeatTimer, setCustomUrl,
 * setDocumentTitle, setReferrerUrl, and the getters getVisitorId, hasConsent, isConsentRequired
 * for functions pushed to `_paq` (called with the tracker as `this`). Other calls
 * (rememberCookieConsentGiven, setDomains, ...) are ignored.
 *
 * Consent. With requireConsent, hits wait in page memory until setConsentGiven and are then sent
 * in order; after forgetConsentGiven (a refusal or a withdrawal) they are dropped, and a later
 * setConsentGiven replays nothing from before. The string given to appendToTrackingUrl (the
 * gateway's consent token) and the visitor id are added when a hit is sent, so hits made before
 * consent carry the token too. The tracker never sets a cookie and remembers no consent across
 * pages: the banner gives it on every page (rememberConsentGiven is setConsentGiven). The visitor
 * id (16 hex, localStorage "gw_vid", sent as `_id`) is read or made only once setConsentGiven was
 * called on the page; without it hits go out without any identifier. forgetConsentGiven and
 * forgetCookieConsentGiven delete it.
 *
 * Page views. trackPageView starts a new page view id (`pv_id`). Once a page view was tracked,
 * history.pushState / replaceState and popstate that change the URL (not just its #fragment)
 * count a new page view 100 ms later (so the application can set document.title first), with the
 * previous page view's URL as referrer. A page view the site tracks itself for the new URL within
 * that time is not counted twice. Every hit carries the current page's referrer (`urlref`).
 *
 * Links (enableLinkTracking). A click or middle click on a link with a `download` attribute or a
 * common file extension sends `download=<url>`; on a link to another host (www. ignored) it sends
 * `link=<url>`.
 *
 * Heartbeat (enableHeartBeatTimer(seconds = 15), at least 1), as in matomo.js 3: once the page
 * view was sent, a `ping=1` hit goes out whenever the last hit is that many seconds old, while
 * the page is visible and has the focus.
 */
(function () {
  var w = window, d = document, loc = location, queued = w._paq;
  if (queued && !Array.isArray(queued)) return; // a tracker already owns _paq

  var VID = "gw_vid";
  var DOWNLOAD = /\.(7z|csv|dmg|docx?|epub|exe|gz|mov|mp[34]|msi|od[pst]|pdf|pptx?|rar|rtf|tar|txt|xlsx?|zip)$/i;
  // Unset (undefined) means empty or false.
  var url, site, needConsent, consent, extra, customUrl, title, vid, pv, here, beat;
  var held = [], ref = d.referrer, shown = 0, lastSent = 0;

  var hex = (n) => crypto.getRandomValues(new Uint8Array(n)).reduce((s, b) => s + (b & 15).toString(16), "");
  var allowed = () => !needConsent || consent;
  var page = () => loc.href.split("#")[0];
  var host = (h) => h.replace(/^www\./, "");

  var send = (p) => {
    if (!url || !site) return;
    if (consent) {
      try {
        vid = vid || localStorage[VID];
        if (!/^[\da-f]{16}$/.test(vid)) localStorage[VID] = vid = hex(16);
      } catch (e) { /* storage blocked: the id lives for this page only, or is not sent */ }
      p._id = vid;
    }
    if (p.action_name != null) shown = p.pv_id; // this page view was sent
    lastSent = Date.now();
    var v, u = url + "rec=1";
    for (var k in p) if ((v = [p[k]] + "")) u += "&" + k + "=" + encodeURIComponent(v); // not "", null, undefined
    if (extra) u += "&" + extra;
    navigator.sendBeacon(u) ||
      fetch(u, { method: "POST", keepalive: true, credentials: "include", mode: "no-cors" }).catch(() => {});
  };

  // Parameters are taken when the call is made (time, URL, title); _id and the appended
  // string when the hit is actually sent.
  var track = (action) => {
    var now = new Date();
    var p = Object.assign(action, {
      idsite: site, r: hex(6), h: now.getHours(), m: now.getMinutes(), s: now.getSeconds(),
      url: customUrl || loc.href, urlref: ref, res: screen.width + "x" + screen.height,
      send_image: 0, pv_id: pv
    });
    if (allowed()) send(p);
    else if (held) held.push(p); // no list after a refusal: dropped
  };

  // Single-page applications: a history change to another URL is a new page view.
  var navigated = () => setTimeout(() => {
    if (pv && page() != here) {
      ref = here;
      customUrl = title = "";
      tracker.trackPageView();
    }
  }, 100);
  ["pushState", "replaceState"].forEach((name) => {
    var original = history[name];
    history[name] = function () {
      original.apply(this, arguments); // returns nothing
      navigated();
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
      if (shown == pv && allowed() && !d.hidden && d.hasFocus()) track({ ping: 1 });
      due = beat;
    }
    setTimeout(tick, due);
  };

  var give = () => {
    var list = held || [];
    consent = true;
    held = [];
    list.forEach(send);
  };

  var forgetId = () => {
    vid = "";
    try { delete localStorage[VID]; } catch (e) { /* nothing stored */ }
  };

  var tracker = {
    setTrackerUrl: (u) => { url = u + (/\?/.test(u) ? "&" : "?"); },
    setSiteId: (id) => { site = id; },
    requireConsent: () => { needConsent = true; },
    setConsentGiven: give,
    rememberConsentGiven: give,
    forgetConsentGiven: () => {
      consent = false;
      needConsent = true;
      held = 0;
      forgetId();
    },
    forgetCookieConsentGiven: forgetId,
    appendToTrackingUrl: (s) => { extra = s; },
    trackPageView: (customTitle) => {
      pv = hex(6);
      here = page(); // the referrer of the next page view: without #fragment, like document.referrer
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
      var [f, ...args] = [].concat(call);
      if ((f = tracker[f] || f).call) f.apply(tracker, args); // else unknown: ignored
    } catch (e) {
      console.error(e);
    }
  };

  // Like matomo.js, configuration calls apply before the rest of the queue, in order.
  var isFirst = (c) => /^(setTrackerUrl|setSiteId|requireConsent)$/.test(c && c[0]);
  (queued || []).sort((a, b) => isFirst(b) - isFirst(a)).forEach(run); // a stable sort
  w._paq = { push: (...calls) => calls.forEach(run) };
})();
