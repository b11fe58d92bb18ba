/*
 * gateway consent banner: first layer, script blocking, embeds, the persistent settings control
 * and the page API. The settings layer (banner-settings.js) and the category details load only
 * when the visitor opens the settings.
 *
 * Embed once per page, early in <head> and before a Matomo snippet:
 *   <script src="https://GATEWAY/consent/banner.js" data-site="SLUG" defer></script>
 * The gateway base URL is this script's src without "/consent/banner.js", so the gateway may
 * live under a path of the site (https://www.example.fi/gw/) or on another host.
 * data-control="off" leaves out the floating settings button (the site then links
 * [data-gw-consent-open] elements itself).
 *
 * Markup conventions:
 *   <script type="text/plain" data-gw-category="analytics" [src=...] [data-gw-type="module"]>
 *       runs once, in the same page view, when one of its (space separated) categories is
 *       granted; data-gw-service="youtube" also lets a service granted on its own run it.
 *   <div data-gw-src="https://..." data-gw-service="youtube" data-gw-title="..."
 *        [data-gw-category="social"] [data-gw-allow="..."]></div>
 *       an embedded frame: a placeholder with a "load content" button until the service (or
 *       its category) is granted; the button records a consent for that one service.
 *   <a href="#" data-gw-consent-open>...</a>   opens the settings layer.
 *   <div data-gw-optout></div>   a switch "Analytics on this site" (Matomo-style opt-out, for
 *       the privacy page); data-gw-optout="CATEGORY" names another category. Its page loads
 *       the settings script at once, which renders it.
 *
 * Page API: window.gatewayConsent.open(), .get(), .on("change", fn), .withdraw(), and the
 * document event "gw:consent" (detail: the same object as get()).
 *
 * Nothing is written to the visitor's device and nothing but the gateway is contacted before
 * the visitor makes a choice. The choice is kept in localStorage ("gw_consent.SLUG").
 */
(function () {
  "use strict";
  var w = window, d = document, nav = navigator, DAY = 864e5;
  if (w.gatewayConsent) return;
  var me = d.currentScript || d.querySelector('script[data-site][src*="/consent/banner.js"]');
  if (!me) return;
  var site = me.getAttribute("data-site") || "";
  var base = me.src.replace(/\/consent\/banner\.js([?#].*)?$/, "");
  var url = base + "/consent/" + encodeURIComponent(site);
  var KEY = "gw_consent." + site;
  // Google Consent Mode v2 consent types, in Google's order.
  var TYPES = ("ad_storage ad_user_data ad_personalization analytics_storage functionality_storage " +
    "personalization_storage security_storage").split(" ");

  var CSS =
    ".gw-root{--gw-bg:#fff;--gw-fg:#1b1f24;--gw-b:#1d3f6e;--gw-bf:#fff;--gw-a:#0b5cad;--gw-e:#a4161a;--gw-l:#8b949e;" +
    "all:initial;display:block;font:16px/1.5 system-ui,sans-serif;font-size:max(1rem,16px);color:var(--gw-fg);" +
    "overflow-wrap:anywhere}" +
    "@media (prefers-color-scheme:dark){.gw-root{--gw-bg:#1c2128;--gw-fg:#e8edf2;--gw-b:#cfe0f5;--gw-bf:#0d1b2a;" +
    "--gw-a:#8cc4ff;--gw-e:#ffaaa5;--gw-l:#6e7781}}" +
    ".gw-root *{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:inherit;margin:0;padding:0;text-transform:none}" +
    ".gw-root [hidden],.gw-root[hidden]{display:none!important}" +
    ".gw-box{position:fixed;z-index:2147483000;background:var(--gw-bg);border:1px solid var(--gw-l);border-radius:12px;" +
    "box-shadow:0 8px 32px #0006;padding:1.25em;overflow:auto;max-height:calc(100vh - 1em)}" +
    ".gw-first{left:.5em;right:.5em;bottom:.5em;max-width:40em;margin:0 auto}" +
    ".gw-h{font-size:1.25em;font-weight:700;line-height:1.3;margin-bottom:.5em}" +
    ".gw-root p{margin-bottom:.75em}.gw-root b{font-weight:700}" +
    ".gw-root a{color:var(--gw-a);text-decoration:underline}" +
    ".gw-root :focus-visible{outline:3px solid var(--gw-a);outline-offset:2px}" +
    ".gw-box:focus{outline:0}.gw-box:focus-visible{outline:3px solid var(--gw-a);outline-offset:-4px}" +
    ".gw-btns{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,9.5em),1fr));gap:.5em;margin-top:1em}" +
    ".gw-btn{display:block;width:100%;min-height:2.75em;padding:.5em 1em;border:2px solid var(--gw-b);border-radius:8px;" +
    "background:var(--gw-b);color:var(--gw-bf);font-weight:600;text-align:center;cursor:pointer}" +
    ".gw-btn:hover{text-decoration:underline}" +
    ".gw-root .gw-err{color:var(--gw-e);font-weight:600}.gw-err:empty{display:none}" +
    ".gw-ctl{position:fixed;z-index:2147482999;left:.75em;bottom:.75em;width:2.75em;height:2.75em;border-radius:50%;" +
    "border:2px solid var(--gw-bg);background:var(--gw-b);color:var(--gw-bf);box-shadow:0 2px 8px #0006;cursor:pointer}" +
    // Over any page background: a black ring between two white ones.
    ".gw-ctl:focus-visible{outline:3px solid #000;outline-offset:2px;box-shadow:0 0 0 8px #fff}" +
    ".gw-ctl svg{display:block;margin:auto;width:60%;height:60%;fill:currentColor}" +
    ".gw-ph{height:100%;padding:1em;background:var(--gw-bg);border:1px solid var(--gw-l);border-radius:8px}" +
    ".gw-ph .gw-btn{width:auto}" +
    ".gw-if{display:block;width:100%;height:100%;border:0}" +
    "@media print{.gw-root{display:none!important}}";

  var cfg = null, lang = "", state = null, ready, layer = null, want = null, busy = null, cmDone = 0;
  var root, first, note, err, ctl, pageFocus, seq = 0, listeners = [], ran = [];

  // ---- the stored choice (storage may be blocked: then the choice lives for this page) -------
  function stored() {
    try { return JSON.parse(localStorage.getItem(KEY)); } catch (e) { return null; }
  }
  // A choice expires at the gateway's expires_at, and at the latest consent_days after it was
  // made (the policy may have shortened them); it counts only for the current policy version.
  function expiry(c) {
    return Math.min(Date.parse(c.expires_at) || 0, (c.at || 0) + (cfg ? cfg.consent_days : 400) * DAY);
  }
  function valid(c) {
    return !!c && Array.isArray(c.granted) && (!cfg || c.version === cfg.version) && expiry(c) > Date.now();
  }

  // ---- cookies ---------------------------------------------------------------------------------
  function cookie(name, value, seconds) {
    d.cookie = name + "=" + value + ";path=/;max-age=" + seconds + ";SameSite=Lax";
  }
  // Delete a cookie in every variant this page can address: each path prefix of this page,
  // host-only and each parent domain.
  function kill(name) {
    var host = location.hostname.split("."), paths = ["/"], p = "";
    location.pathname.split("/").slice(1).forEach((part) => {
      p += "/" + part;
      paths.push(p, p + "/");
    });
    paths.forEach((path) => {
      var gone = name + "=;max-age=0;path=" + path;
      d.cookie = gone;
      for (var i = 0; i < host.length - 1; i++) d.cookie = gone + ";domain=." + host.slice(i).join(".");
    });
  }
  // Delete the cookies the policy declares (wildcard patterns) for categories not granted.
  function clearCookies(granted) {
    var res = [];
    cfg.categories.forEach((c) => {
      if (c.required || granted.indexOf(c.id) >= 0) return;
      (c.cookies || []).forEach((p) => {
        res.push(new RegExp("^" + p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$"));
      });
    });
    d.cookie.split(/; */).forEach((kv) => {
      var n = kv.split("=")[0];
      if (n && res.some((r) => r.test(n))) kill(n);
    });
  }

  // ---- DOM helpers -------------------------------------------------------------------------------
  function h(tag, attrs) {
    var e = d.createElement(tag);
    for (var k in attrs) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (/^on/.test(k)) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    [].slice.call(arguments, 2).forEach(function add(c) {
      if (Array.isArray(c)) c.forEach(add);
      else if (c != null && c !== false) e.append(c);
    });
    return e;
  }
  function t(k) {
    return cfg.texts[k] || "";
  }
  function focusIn(el) {
    el.focus({ preventScroll: el === first });
  }
  function shown(el) {
    return el && el.isConnected && el.getClientRects().length > 0;
  }
  var ids = (list) => list.map((c) => c.id);
  function required() {
    return ids(cfg.categories.filter((c) => c.required));
  }
  function optional() {
    return ids(cfg.categories.filter((c) => !c.required));
  }
  function service(id) {
    return cfg.services.filter((s) => s.id === id)[0];
  }
  // May this blocked script or embed run under the granted categories and services?
  function allows(el, granted, services) {
    var id = el.getAttribute("data-gw-service"), s = service(id);
    var cats = (el.getAttribute("data-gw-category") || (s ? s.category : "")).split(/\s+/);
    return services.indexOf(id) >= 0 || cats.some((c) => c && granted.indexOf(c) >= 0);
  }

  // ---- the first layer and the persistent control -----------------------------------------------
  function build() {
    var btn = (key, fn) => {
      return h("button", { type: "button", "class": "gw-btn", onclick: fn }, t(key));
    };
    first = h("div", { "class": "gw-box gw-first", role: "dialog", "aria-labelledby": "gw-t", "aria-describedby": "gw-d",
      tabindex: "-1", hidden: true },
      h("h2", { "class": "gw-h", id: "gw-t" }, t("title")),
      h("div", { id: "gw-d" },
        h("p", null, t("description"), " ", h("a", { href: cfg.privacy_url }, t("privacy_link"))),
        note = h("p", { hidden: true })),
      err = h("p", { "class": "gw-err", role: "alert" }),
      // Every choice button has the same class, so the same size and colours: no nudging.
      h("div", { "class": "gw-btns" },
        btn("accept_all", () => { record(optional(), [], "banner"); }),
        btn("reject_all", () => { record([], [], "banner"); }),
        btn("settings", (e) => { openSettings(e.currentTarget); })));
    root = h("div", { "class": "gw-root", id: "gw-consent", lang: lang }, first);
    d.body.append(root);
    if (me.getAttribute("data-control") !== "off") {
      if (ctl) ctl.remove();
      // First in the page, so it is the first Tab stop; shown once a choice exists.
      ctl = h("button", { type: "button", "class": "gw-root gw-ctl", lang: lang, "aria-label": t("manage"),
        title: t("manage"), hidden: true, onclick: () => { openSettings(ctl); } });
      ctl.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 ' +
        '4 4 0 0 1-5-5zM8 10a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm3 5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm5-1a1.5' +
        ' 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z"/></svg>';
      d.body.prepend(ctl);
    }
  }
  // The first layer is fixed over the page: a spacer of its height at the end of the page lets
  // every element scroll clear of it, and page elements that get focus are scrolled out from
  // under it (WCAG 2.4.11).
  function firstLayer(show, focus) {
    first.hidden = !show;
    root.style.height = show ? first.offsetHeight + 16 + "px" : "";
    if (show && focus) {
      pageFocus = d.activeElement;
      focusIn(first);
    }
  }
  d.addEventListener("focusin", (e) => {
    if (!first || first.hidden || root.contains(e.target)) return;
    var a = e.target.getBoundingClientRect(), b = first.getBoundingClientRect();
    if (a.bottom > b.top && a.top < b.bottom) w.scrollBy(0, a.bottom - b.top + 8);
  });
  d.addEventListener("click", (e) => {
    var el = e.target.closest && e.target.closest("[data-gw-consent-open]");
    if (el) {
      e.preventDefault();
      openSettings(el);
    }
  });

  // ---- the settings layer, loaded on first use ------------------------------------------------------
  function getJSON(url, cache) {
    return fetch(url, { credentials: "omit", cache: cache }).then((r) => {
      if (!r.ok) throw Error(url + " " + r.status);
      return r.json();
    });
  }
  // The settings layer's script and the category details, loaded once: when the visitor opens
  // the settings, or at once when the page has an opt-out element ([data-gw-optout]), which the
  // settings script renders.
  function settings() {
    return layer = layer || Promise.all([
      getJSON(cfg.details_url),
      new Promise((ok, fail) => {
        d.head.append(h("script", { src: base + "/consent/banner-settings.js", onload: ok, onerror: fail }));
      })
    ]).then((r) => {
      var det = r[0];
      return w.gatewayConsentSettings({
        h: h, root: root, first: first, ctl: ctl, details: det, privacy_url: cfg.privacy_url, optional: optional(),
        t: (k) => det.texts[k] || t(k),
        state: () => state,
        firstLayer: firstLayer,
        record: record,
        withdraw: withdraw
      });
    });
  }
  function openSettings(from) {
    if (!cfg) {
      want = from || d.body;
      return;
    }
    settings().then((m) => { m.open(from); }, () => {
      layer = null;
      err.textContent = t("error");
      firstLayer(true, true);
    });
  }

  // ---- applying a choice ---------------------------------------------------------------------
  function gtag() {
    (w.dataLayer = w.dataLayer || []).push(arguments);
  }
  // The seven consent types for the granted categories, mapped by the policy.
  function types(granted) {
    var o = {}, map = cfg.consent_mode.map;
    TYPES.forEach((k) => {
      o[k] = k === "security_storage" || granted.some((c) => (map[c] || []).indexOf(k) >= 0)
        ? "granted" : "denied";
    });
    return o;
  }
  // Tell Matomo (matomo.js or the gateway's tracker.js) through _paq, and keep Matomo's own
  // consent cookies in line with the choice: mtm_consent_removed (Date.now() in ms, as matomo.js
  // writes it) marks a refusal, so Matomo's opt-out form shows it too. mtm_consent is never
  // kept: the banner, not a 30-year cookie, gives Matomo its consent on every page view.
  function matomo(granted, rec) {
    var q = (w._paq = w._paq || []), hours = rec ? Math.ceil((expiry(rec) - Date.now()) / 36e5) : 0;
    kill("mtm_consent");
    if (!rec) return;
    if (rec.token && granted.indexOf("analytics") >= 0) {
      q.push(["appendToTrackingUrl", "gw_consent=" + encodeURIComponent(rec.token)], ["setConsentGiven"],
        ["rememberCookieConsentGiven", hours]);
      kill("mtm_consent_removed");
      return;
    }
    q.push(["appendToTrackingUrl", ""]);
    // A Global Privacy Control refusal writes no cookie at all.
    if (rec.source === "gpc") q.push(["requireConsent"]);
    else {
      q.push(["forgetConsentGiven", hours]);
      cookie("mtm_consent_removed", Date.now(), hours * 3600);
    }
    q.push(["forgetCookieConsentGiven"]);
  }
  function embed(el, granted, services) {
    var on = allows(el, granted, services), id = el.getAttribute("data-gw-service"), s = service(id);
    var name = s ? s.name : id, title = el.getAttribute("data-gw-title"), p, n = "gw-e" + ++seq;
    if (el.gwOn === on) return;
    el.gwOn = on;
    el.textContent = "";
    if (on) {
      el.append(h("iframe", { "class": "gw-if", src: el.getAttribute("data-gw-src"), title: title || name,
        allow: el.getAttribute("data-gw-allow"), allowfullscreen: true }));
      return;
    }
    el.append(h("div", { "class": "gw-root gw-ph", lang: lang },
      title && h("p", null, h("b", null, title)),
      p = h("p", { id: n }, t("embed_text").split("{service}").join(name)),
      h("button", { type: "button", "class": "gw-btn", "aria-describedby": n, onclick: (e) => {
        if (!s) return openSettings(e.currentTarget);
        record(state ? state.granted : [], ((state && state.services) || []).concat(id), "embed").then((ok) => {
          if (ok) focusIn(el.firstChild);
          else p.textContent = t("error");
        });
      } }, t("embed_load"))));
  }
  // Run the blocked scripts the choice allows, once each; show embeds or their placeholders.
  function activate(granted, services) {
    d.querySelectorAll('script[type="text/plain"][data-gw-category],script[type="text/plain"][data-gw-service]')
      .forEach((old) => {
        if (!allows(old, granted, services)) return;
        var s = d.createElement("script");
        for (var a of old.attributes) if (a.name !== "type") s.setAttribute(a.name, a.value);
        if (old.getAttribute("data-gw-type")) s.type = old.getAttribute("data-gw-type");
        if (!old.hasAttribute("async")) s.async = false; // src scripts keep their order
        s.text = old.text;
        old.replaceWith(s);
        ran.push(s);
      });
    d.querySelectorAll("[data-gw-src]").forEach((el) => { embed(el, granted, services); });
  }
  function apply(rec) {
    var granted = rec ? rec.granted : required(), services = (rec && rec.services) || [];
    state = rec;
    if (cfg.consent_mode && rec) gtag("consent", "update", types(granted));
    matomo(granted, rec);
    clearCookies(granted);
    activate(granted, services);
    // A script that already ran cannot be unloaded: reload, so no withdrawn script keeps running.
    if (ran.some((s) => !allows(s, granted, services))) return location.reload();
    if (!rec) return;
    if (rec.chosen) {
      var back = !first.hidden && first.contains(d.activeElement);
      firstLayer(false);
      if (ctl) ctl.hidden = false;
      // The banner is gone: give focus back where the visitor was, or to the settings control.
      if (back) focusIn(shown(pageFocus) && pageFocus !== d.body ? pageFocus : ctl || d.body);
    }
    var detail = pub.get();
    listeners.forEach((fn) => {
      try { fn(detail); } catch (e) { setTimeout(() => { throw e; }); }
    });
    d.dispatchEvent(new CustomEvent("gw:consent", { detail: pub.get() }));
  }

  // ---- talking to the gateway -------------------------------------------------------------------
  function token(c) {
    return c && c.token ? "?gw_consent=" + encodeURIComponent(c.token) : "";
  }
  // Record a choice; the previous token (if any) lets the gateway supersede that record even
  // where its cookie does not reach it. Resolves true once recorded, false on failure.
  function record(granted, services, source) {
    if (busy) return busy;
    err.textContent = "";
    busy = fetch(url + token(state), {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ granted: granted, services: services, policy_version: cfg.version, lang: lang, source: source })
    }).then((r) => {
      // The policy changed while the banner was open: ask again with the new texts.
      if (r.status === 409) return askAgain();
      if (!r.ok) throw Error("consent " + r.status);
      // The answer (granted, services, consent_id, token, expires_at) and what it answered.
      return r.json().then((j) => {
        keep(Object.assign(j, { version: cfg.version, at: Date.now(), source: source,
          // A service granted from an embed does not answer the banner's question.
          chosen: source !== "embed" || !!(state && state.chosen) }));
        return true;
      });
    }).catch(() => {
      err.textContent = t("error");
      return false;
    }).then((ok) => {
      busy = null;
      return ok;
    });
    return busy;
  }
  function keep(rec) {
    try { localStorage.setItem(KEY, JSON.stringify(rec)); } catch (e) { /* this page only */ }
    apply(rec);
  }
  // The policy changed: fetch its new version past the cache and ask again with the new texts.
  function askAgain() {
    var was = state || { version: cfg.version };
    if (layer) layer.then((m) => { m.close(); });
    layer = null;
    return loadConfig("no-cache").then(() => {
      root.remove();
      start(was);
      return false;
    });
  }
  // Withdraw: recorded by the gateway (which also expires its HttpOnly cookie), then remembered
  // here as a refusal for consent_days. Resolves true when the gateway recorded it.
  function withdraw() {
    return ready.then(() => {
      var q = token(state);
      return fetch(url + q + (q ? "&" : "?") + "lang=" + lang, { method: "DELETE", credentials: "include" })
        .then((r) => r.ok, () => false)
        .then((ok) => {
          var now = Date.now();
          keep({ granted: required(), services: [], consent_id: null, token: null, version: cfg.version, at: now,
            expires_at: new Date(now + cfg.consent_days * DAY).toISOString(), source: "withdraw", chosen: true });
          return ok;
        });
    }, () => false);
  }

  // The language: <html lang>, then the browser's languages, then the site's default (the
  // gateway's answer when it does not offer the one asked for). A second request is made only
  // when the first wish is not offered but a later one is.
  function loadConfig(cache) {
    var wishes = [];
    [d.documentElement.lang].concat(nav.languages || nav.language).forEach((l) => {
      l = String(l || "").slice(0, 2).toLowerCase();
      if (l && wishes.indexOf(l) < 0) wishes.push(l);
    });
    var get = (l) => getJSON(url + "/config" + (l ? "?lang=" + l : ""), cache);
    return get(wishes[0]).then((c) => {
      var l = wishes.filter((x) => c.languages.indexOf(x) >= 0)[0];
      return l && l !== c.lang ? get(l) : c;
    }).then((c) => {
      cfg = c;
      lang = c.lang;
    });
  }

  function start(saved) {
    build();
    if (cfg.consent_mode && !cmDone++) {
      var o = types([]);
      o.wait_for_update = cfg.consent_mode.wait_for_update;
      gtag("consent", "default", o);
    }
    var c = valid(saved) ? saved : null;
    var optedOut = /(?:^|; *)mtm_consent_removed=(\d+)/.exec(d.cookie);
    if (c && optedOut && +optedOut[1] > c.at && c.granted.indexOf("analytics") >= 0) {
      // The visitor opted out in Matomo's own opt-out form since: record that as a new choice
      // (superseding the stored one, whose token is sent along).
      state = c;
      record(c.granted.filter((x) => x !== "analytics"), c.services, "banner");
    } else apply(c);
    if (state && state.chosen) return;
    if (nav.globalPrivacyControl === true || cfg.gpc) {
      // Global Privacy Control: reject all, recorded, without asking and without a cookie.
      record([], [], "gpc");
      return;
    }
    if (saved && saved.version && saved.version !== cfg.version) {
      note.textContent = t("updated") + (cfg.changes ? " " + cfg.changes : "");
      note.hidden = false;
    }
    firstLayer(true, true);
  }

  var pub = {
    open: () => { openSettings(d.activeElement); },
    get: () => state && JSON.parse(JSON.stringify(state)),
    on: (ev, fn) => {
      if (ev === "change") listeners.push(fn);
      return pub;
    },
    withdraw: withdraw
  };
  w.gatewayConsent = pub;

  // With matomo.js still to come, put the stored token first in its queue: the page view it
  // builds then carries the token even when it waits for setConsentGiven. (The token counts only
  // if it is still valid; the gateway checks.)
  var saved = stored();
  if (saved && saved.token && Array.isArray(w._paq) && expiry(saved) > Date.now() &&
      saved.granted.indexOf("analytics") >= 0) {
    w._paq.unshift(["appendToTrackingUrl", "gw_consent=" + encodeURIComponent(saved.token)]);
  }

  ready = loadConfig().then(() => {
    return new Promise((ok) => {
      if (d.readyState !== "loading") ok();
      else d.addEventListener("DOMContentLoaded", ok);
    });
  }).then(() => {
    d.head.append(h("style", null, CSS));
    start(saved);
    if (want) openSettings(want);
    if (d.querySelector("[data-gw-optout]")) settings();
  });
  ready.catch((e) => {
    // Without a config no choice can be recorded, so nothing is granted and nothing is tracked.
    if (w.console) console.warn("gateway consent banner:", e);
  });
})();
