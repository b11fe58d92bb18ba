/*
 * A test double of Matomo's matomo.js, for the banner's browser tests. The real file cannot be
 * shipped or fetched here; this one behaves as matomo.js documents the parts the banner drives
 * (developer.matomo.org/guides/tracking-consent; js/piwik.js):
 *
 * - `_paq` calls queued before the script loads run in matomo.js order: the "apply first"
 *   configuration calls first, in their own order, then the rest in queue order.
 * - Each request's query string is built when the tracking call is made, including the string
 *   given to appendToTrackingUrl at that moment.
 * - With requireConsent and no consent, requests wait in page memory; setConsentGiven sends
 *   them unchanged except for an added `consent=1`.
 * - Consent state lives in the first-party cookies mtm_consent, mtm_consent_removed and
 *   mtm_cookie_consent, whose values are Date.now() in milliseconds; mtm_consent_removed blocks
 *   all tracking even without requireConsent; forgetConsentGiven (alias optUserOut) writes it.
 * - Hits go out with navigator.sendBeacon as a POST with the parameters in the query string.
 * - The visitor cookie _pk_id.<idsite>.<hash> is written only with consent.
 *
 * Everything it does is recorded in window.fakeMatomo: calls (name and arguments, in the order
 * applied) and sent (the query strings sent).
 */
(function () {
  "use strict";
  var w = window, d = document;
  var queue = Array.isArray(w._paq) ? w._paq : [];
  var YEARS_30 = 30 * 365 * 24 * 3600 * 1000;
  var APPLY_FIRST = ["forgetCookieConsentGiven", "requireCookieConsent", "disableCookies", "setTrackerUrl",
    "setCookieDomain", "setSiteId", "enableLinkTracking", "setCookieConsentGiven", "requireConsent",
    "setConsentGiven"];
  var trackerUrl = "", siteId = "", appended = "", consentRequired = false, consentGiven = false;
  var cookieConsentRequired = false, waiting = [], visitorId = "";
  var log = (w.fakeMatomo = { calls: [], sent: [] });

  function getCookie(name) {
    var m = new RegExp("(?:^|; )" + name.replace(/\./g, "\\.") + "=([^;]*)").exec(d.cookie);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function setCookie(name, value, ms) {
    d.cookie = name + "=" + encodeURIComponent(value) + ";expires=" + new Date(Date.now() + ms).toUTCString() +
      ";path=/;SameSite=Lax";
  }
  function deleteCookie(name) {
    d.cookie = name + "=;expires=Thu, 01 Jan 1970 00:00:00 GMT;path=/;SameSite=Lax";
  }
  function hours(h) {
    return h ? h * 3600 * 1000 : YEARS_30;
  }
  function visitorCookie() {
    return "_pk_id." + siteId + ".1fff";
  }
  // refreshConsentStatus(): an mtm_consent_removed cookie always wins.
  function hasConsent() {
    if (getCookie("mtm_consent_removed")) return false;
    return !consentRequired || consentGiven || !!getCookie("mtm_consent");
  }
  function cookiesAllowed() {
    return hasConsent() && (!cookieConsentRequired || !!getCookie("mtm_cookie_consent") || consentGiven);
  }
  function visitor() {
    if (!visitorId) {
      var hex = "";
      for (var i = 0; i < 16; i++) hex += "0123456789abcdef"[Math.floor(Math.random() * 16)];
      visitorId = (getCookie(visitorCookie()).split(".")[0]) || hex;
    }
    if (cookiesAllowed()) setCookie(visitorCookie(), visitorId + "." + Math.floor(Date.now() / 1000) + ".", 33955200000);
    return visitorId;
  }

  // getRequest(): the query string is complete when the tracking call is made.
  function request(params) {
    var q = "idsite=" + encodeURIComponent(siteId) + "&rec=1&r=" + String(Math.random()).slice(2, 8);
    Object.keys(params).forEach(function (k) {
      if (params[k] != null && params[k] !== "") q += "&" + k + "=" + encodeURIComponent(params[k]);
    });
    q += "&_id=" + (cookiesAllowed() ? visitor() : "") + "&send_image=0";
    if (appended) q += "&" + appended;
    return q;
  }
  function send(q) {
    log.sent.push(q);
    navigator.sendBeacon(trackerUrl + (trackerUrl.indexOf("?") < 0 ? "?" : "&") + q);
  }
  // sendRequest(): without consent the request waits in page memory (consentRequestsQueue).
  function sendRequest(q) {
    if (!trackerUrl) return;
    if (consentRequired && !hasConsent()) {
      waiting.push(q);
      return;
    }
    if (!hasConsent()) return;
    send(q);
  }

  var tracker = {
    setTrackerUrl: function (u) { trackerUrl = u; },
    setSiteId: function (id) { siteId = String(id); },
    enableLinkTracking: function () {},
    appendToTrackingUrl: function (s) { appended = s; },
    requireConsent: function () { consentRequired = true; },
    requireCookieConsent: function () { cookieConsentRequired = true; },
    setConsentGiven: function () {
      consentGiven = true;
      deleteCookie("mtm_consent_removed");
      var held = waiting;
      waiting = [];
      held.forEach(function (q) { send(q + "&consent=1"); });
    },
    rememberConsentGiven: function (h) {
      setCookie("mtm_consent", Date.now(), hours(h));
      tracker.setConsentGiven();
    },
    forgetConsentGiven: function (h) {
      deleteCookie("mtm_consent");
      setCookie("mtm_consent_removed", Date.now(), hours(h));
      tracker.forgetCookieConsentGiven();
      consentGiven = false;
      tracker.requireConsent();
    },
    setCookieConsentGiven: function () {},
    rememberCookieConsentGiven: function (h) { setCookie("mtm_cookie_consent", Date.now(), hours(h)); },
    forgetCookieConsentGiven: function () {
      deleteCookie("mtm_cookie_consent");
      deleteCookie(visitorCookie());
    },
    trackPageView: function (title) {
      sendRequest(request({ action_name: title || d.title, url: location.href, urlref: d.referrer }));
    },
    trackEvent: function (category, action, name) {
      sendRequest(request({ e_c: category, e_a: action, e_n: name, url: location.href }));
    }
  };
  tracker.optUserOut = tracker.forgetConsentGiven;

  function apply(call) {
    var f = tracker[call[0]];
    log.calls.push([call[0]].concat([].slice.call(call, 1)));
    if (f) f.apply(tracker, [].slice.call(call, 1));
  }
  APPLY_FIRST.forEach(function (name) {
    queue = queue.filter(function (call) {
      if (call[0] !== name) return true;
      apply(call);
      return false;
    });
  });
  queue.forEach(apply);
  w._paq = { push: function () { [].forEach.call(arguments, apply); } };
})();
