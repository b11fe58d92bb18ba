/*
 * gateway consent banner.
 *
 * Embed once per page:
 *   <script src="https://GATEWAY/consent/banner.js" data-site="SLUG" async></script>
 *
 * The gateway base URL is this script's own src without "/consent/banner.js", so the gateway
 * may live under a path of the site (https://www.example.fi/gw/) or on another host.
 *
 * Page API:
 *   <a href="#" data-gw-consent-open>...</a>   opens the settings layer
 *   window.gwConsent.open() / .withdraw() / .get()
 *   document "gw:consent" event, detail {granted, consent_id}
 *   <script type="text/plain" data-gw-category="analytics" [data-gw-type="module"]>  runs
 *   only once its category is granted.
 *
 * Nothing is written to the visitor's device before a choice is made.
 */
(function () {
  "use strict";
  var w = window, d = document;
  if (w.gwConsent) return;
  var me = d.currentScript || d.querySelector('script[data-site][src*="consent/banner.js"]');
  if (!me) return;
  var site = me.getAttribute("data-site") || "";
  var base = me.src.replace(/\/consent\/banner\.js([?#].*)?$/, "");
  var api = base + "/consent/" + encodeURIComponent(site);
  var KEY = "gw_consent." + site;

  // Short built-in strings, used only when the site's config does not provide the key.
  var FALLBACK = {
    fi: { error: "Valintaa ei voitu tallentaa. Yritä uudelleen.", close: "Sulje", always_on: "aina käytössä", cookies: "Evästeet" },
    sv: { error: "Valet kunde inte sparas. Försök igen.", close: "Stäng", always_on: "alltid på", cookies: "Kakor" },
    en: { error: "Your choice could not be saved. Please try again.", close: "Close", always_on: "always on", cookies: "Cookies" }
  };

  var CSS =
    ".gw-root{--gw-bg:#fff;--gw-fg:#1b1f24;--gw-mut:#47515c;--gw-b:#1d3f6e;--gw-bf:#fff;--gw-a:#0b5cad;--gw-e:#a4161a;--gw-l:#c9d1d9;" +
    "all:initial;display:block;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:16px;font-size:max(1rem,16px);" +
    "line-height:1.5;color:var(--gw-fg);overflow-wrap:anywhere}" +
    "@media (prefers-color-scheme:dark){.gw-root{--gw-bg:#1c2128;--gw-fg:#e8edf2;--gw-mut:#c0c9d2;--gw-b:#cfe0f5;--gw-bf:#0d1b2a;--gw-a:#8cc4ff;--gw-e:#ffaaa5;--gw-l:#4b5563}}" +
    ".gw-root *{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:inherit;margin:0;padding:0;text-transform:none}" +
    ".gw-root [hidden]{display:none!important}" +
    ".gw-box{position:fixed;z-index:2147483000;background:var(--gw-bg);color:var(--gw-fg);border:1px solid var(--gw-l);border-radius:12px;" +
    "box-shadow:0 8px 32px rgba(0,0,0,.28);padding:1.25em;overflow:auto;max-height:calc(100vh - 1em)}" +
    ".gw-first{left:.5em;right:.5em;bottom:.5em;max-width:40em;margin:0 auto}" +
    ".gw-ov{position:fixed;top:0;left:0;right:0;bottom:0;z-index:2147483000;background:rgba(0,0,0,.55)}" +
    ".gw-modal{top:50%;left:50%;transform:translate(-50%,-50%);width:calc(100% - 1em);max-width:42em}" +
    ".gw-h{font-size:1.25em;font-weight:700;line-height:1.3;margin-bottom:.5em}" +
    ".gw-root p{margin-bottom:.75em}" +
    ".gw-root a{color:var(--gw-a);text-decoration:underline}" +
    ".gw-root :focus-visible{outline:3px solid var(--gw-a);outline-offset:2px}" +
    ".gw-box:focus{outline:0}.gw-box:focus-visible{outline:3px solid var(--gw-a);outline-offset:-4px}" +
    ".gw-btns{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,9.5em),1fr));gap:.5em;margin-top:1em}" +
    ".gw-btn{display:block;width:100%;min-height:2.75em;padding:.5em 1em;border:2px solid var(--gw-b);border-radius:8px;" +
    "background:var(--gw-b);color:var(--gw-bf);font-weight:600;text-align:center;cursor:pointer}" +
    ".gw-btn:hover{text-decoration:underline}.gw-btn[disabled]{cursor:progress}" +
    ".gw-top{display:flex;align-items:flex-start;justify-content:space-between;gap:1em}" +
    ".gw-x{flex:none;width:2.5em;height:2.5em;border:2px solid var(--gw-l);border-radius:8px;background:transparent;font-size:1.1em;line-height:1;cursor:pointer}" +
    ".gw-cat{border-top:1px solid var(--gw-l);padding-top:.75em;margin-top:.75em}" +
    ".gw-row{display:flex;align-items:center;gap:.6em;margin-bottom:.25em}" +
    ".gw-row input{flex:none;width:1.5em;height:1.5em;min-width:24px;min-height:24px;accent-color:var(--gw-b);cursor:pointer}" +
    ".gw-row label{font-weight:700;cursor:pointer}" +
    ".gw-cat p,.gw-svc{color:var(--gw-mut);font-size:.95em}" +
    ".gw-svc{list-style:disc;padding-left:1.25em;margin-bottom:.5em}.gw-svc li{margin-bottom:.25em}" +
    ".gw-svc b{font-weight:700;color:var(--gw-fg)}" +
    ".gw-root .gw-err{color:var(--gw-e);font-weight:600;margin:.75em 0 0}.gw-err:empty{display:none}" +
    "@media print{.gw-root{display:none!important}}";

  var cfg = null, lang = "en", root, first, ov, modal;
  var opener = null, pageFocus = null, busy = false, wantOpen = null, inerted = [];

  // ---- storage (never throws: storage may be blocked) -------------------------------------
  function stored() {
    try { return JSON.parse(localStorage.getItem(KEY)); } catch (e) { return null; }
  }
  function save(v) {
    try { localStorage.setItem(KEY, JSON.stringify(v)); } catch (e) { /* keep in page only */ }
  }
  function forget() {
    try { localStorage.removeItem(KEY); } catch (e) { /* nothing stored */ }
  }
  // A stored choice counts while it is unexpired and, once the config is known, for its version.
  function valid(c) {
    if (!c || !c.token || !Array.isArray(c.granted)) return false;
    if (cfg && c.version !== cfg.version) return false;
    var x = c.expires_at;
    var t = typeof x === "number" ? (x < 1e12 ? x * 1000 : x) : Date.parse(x);
    return t > Date.now();
  }
  function current() {
    var c = stored();
    return valid(c) ? c : null;
  }

  // ---- texts ----------------------------------------------------------------------------------
  function pick(o) {
    if (o == null) return "";
    if (typeof o === "string") return o;
    return o[lang] || o[cfg.default_language] || Object.keys(o).map(function (k) { return o[k]; })[0] || "";
  }
  function t(k) {
    var tx = cfg.texts || {};
    return (tx[lang] || {})[k] || (tx[cfg.default_language] || {})[k] || (FALLBACK[lang] || FALLBACK.en)[k] || "";
  }
  function chooseLang() {
    var l = (d.documentElement.getAttribute("lang") || "").slice(0, 2).toLowerCase();
    var ls = cfg.languages || [];
    return ls.indexOf(l) >= 0 ? l : cfg.default_language || ls[0] || "en";
  }

  // ---- DOM ------------------------------------------------------------------------------------
  function h(tag, attrs) {
    var e = d.createElement(tag);
    for (var k in attrs) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === "onclick") e.addEventListener("click", v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    (function add(list) {
      list.forEach(function (c) {
        if (c == null || c === false || c === "") return;
        if (Array.isArray(c)) add(c);
        else e.append(c);
      });
    })([].slice.call(arguments, 2));
    return e;
  }
  function optional() {
    return cfg.categories.filter(function (c) { return !c.required; }).map(function (c) { return c.id; });
  }
  function required() {
    return cfg.categories.filter(function (c) { return c.required; }).map(function (c) { return c.id; });
  }
  function btn(key, fn) {
    return h("button", { type: "button", "class": "gw-btn", onclick: fn }, t(key));
  }
  // Without a privacy_url of its own the site links to the notice the gateway renders.
  function privacyLink() {
    var u = cfg.privacy_url || base + "/privacy/" + encodeURIComponent(site) + "?lang=" + lang;
    return [" ", h("a", { href: u }, t("privacy_link") || u)];
  }
  // Every choice button has the same class, so the same size and colours (no nudging).
  function buttons(pre, post) {
    return h("div", { "class": "gw-btns" }, pre,
      btn("accept_all", function () { record(optional()); }),
      btn("reject_all", function () { record([]); }),
      post);
  }

  function build() {
    if (root) { uninert(); root.remove(); }
    var cats = cfg.categories.map(function (c, i) {
      var id = "gw-c" + i;
      var svcs = (c.services || []).map(function (s) {
        var purpose = pick(s.purpose);
        return h("li", null, h("b", null, s.name), s.provider ? " (" + s.provider + ")" : "",
          purpose ? ": " + purpose : "",
          s.cookies && s.cookies.length ? [h("br"), t("cookies") + ": " + s.cookies.join(", ")] : null);
      });
      return h("div", { "class": "gw-cat" },
        h("div", { "class": "gw-row" },
          h("input", { type: "checkbox", id: id, "data-cat": c.id, checked: !!c.required, disabled: !!c.required,
            "aria-describedby": id + "d" }),
          h("label", { "for": id }, pick(c.title), c.required ? " (" + t("always_on") + ")" : "")),
        h("p", { id: id + "d" }, pick(c.description)),
        svcs.length ? h("ul", { "class": "gw-svc" }, svcs) : null);
    });
    first = h("div", { "class": "gw-box gw-first", role: "dialog", "aria-labelledby": "gw-t", "aria-describedby": "gw-d",
      tabindex: "-1", hidden: true },
      h("h2", { "class": "gw-h", id: "gw-t" }, t("title")),
      h("p", { id: "gw-d" }, t("description"), privacyLink()),
      h("p", { "class": "gw-upd", hidden: true }, t("updated")),
      h("p", { "class": "gw-err", role: "alert" }),
      buttons(null, btn("settings", function (e) { openSettings(e.currentTarget); })));
    modal = h("div", { "class": "gw-box gw-modal", role: "dialog", "aria-modal": "true", "aria-labelledby": "gw-st",
      "aria-describedby": "gw-sd", tabindex: "-1" },
      h("div", { "class": "gw-top" },
        h("h2", { "class": "gw-h", id: "gw-st" }, t("settings_title") || t("settings")),
        h("button", { type: "button", "class": "gw-x", "aria-label": t("close"), onclick: closeSettings },
          h("span", { "aria-hidden": "true" }, "\u00d7"))),
      h("p", { id: "gw-sd" }, t("settings_description") || t("description"), privacyLink()),
      cats,
      h("p", { "class": "gw-err", role: "alert" }),
      buttons(btn("save", function () {
        record([].filter.call(boxes(), function (b) { return b.checked && !b.disabled; })
          .map(function (b) { return b.getAttribute("data-cat"); }));
      }), null));
    ov = h("div", { "class": "gw-ov", hidden: true }, modal);
    root = h("div", { "class": "gw-root", id: "gw-consent", lang: lang }, first, ov);
    d.body.append(root);
  }
  function boxes() {
    return modal.querySelectorAll("input[data-cat]");
  }
  function setError(on) {
    [].forEach.call(root.querySelectorAll(".gw-err"), function (p) { p.textContent = on ? t("error") : ""; });
  }
  function focusIn(el) {
    try { el.focus({ preventScroll: true }); } catch (e) { el.focus(); }
  }
  function visible(el) {
    return el && el.isConnected && el.getClientRects().length > 0;
  }

  // The first layer is fixed over the page: a spacer of its height at the end of the page lets
  // every element scroll clear of it, and page elements that get focus are scrolled out from
  // under it (WCAG 2.4.11).
  function pad(on) {
    root.style.height = on ? first.offsetHeight + 16 + "px" : "";
  }
  function unobscure(el) {
    var a = el.getBoundingClientRect(), b = first.getBoundingClientRect();
    if (a.bottom > b.top && a.top < b.bottom && a.right > b.left && a.left < b.right) w.scrollBy(0, a.bottom - b.top + 8);
  }
  function inert() {
    [].forEach.call(d.body.children, function (el) {
      if (el !== root && !el.hasAttribute("inert")) { el.setAttribute("inert", ""); inerted.push(el); }
    });
  }
  function uninert() {
    inerted.forEach(function (el) { el.removeAttribute("inert"); });
    inerted = [];
  }

  function showFirst(focus, updated) {
    setError(false);
    first.querySelector(".gw-upd").hidden = !(updated && t("updated"));
    first.hidden = false;
    pad(true);
    if (focus) {
      if (!root.contains(d.activeElement)) pageFocus = d.activeElement;
      focusIn(first);
    }
  }
  function hideAll() {
    first.hidden = true;
    ov.hidden = true;
    uninert();
    pad(false);
  }
  function openSettings(from) {
    if (!cfg || !root) { wantOpen = from || true; return; }
    opener = from && from.nodeType === 1 ? from : d.activeElement;
    if (!root.contains(opener)) pageFocus = opener;
    var g = (current() || { granted: [] }).granted;
    [].forEach.call(boxes(), function (b) { b.checked = b.disabled || g.indexOf(b.getAttribute("data-cat")) >= 0; });
    setError(false);
    first.hidden = true;
    pad(false);
    ov.hidden = false;
    inert();
    focusIn(modal);
  }
  function closeSettings() {
    ov.hidden = true;
    uninert();
    if (!current()) showFirst(false);
    var o = opener;
    opener = null;
    if (visible(o)) focusIn(o);
    else if (!first.hidden) focusIn(first);
  }
  // After a choice the banner disappears: give focus back to where the visitor was.
  function restoreFocus() {
    var o = opener && !root.contains(opener) ? opener : pageFocus;
    opener = pageFocus = null;
    if (visible(o) && o !== d.body) focusIn(o);
    else if (root.contains(d.activeElement)) d.activeElement.blur();
  }

  d.addEventListener("keydown", function (e) {
    if (!ov || ov.hidden) return;
    if (e.key === "Escape" || e.key === "Esc") {
      e.preventDefault();
      closeSettings();
    } else if (e.key === "Tab") {
      var f = [].filter.call(modal.querySelectorAll("a[href],button,input"), function (x) { return !x.disabled; });
      var a = d.activeElement, z = f[f.length - 1];
      if (e.shiftKey && (a === f[0] || a === modal || !modal.contains(a))) { e.preventDefault(); focusIn(z); }
      else if (!e.shiftKey && (a === z || !modal.contains(a))) { e.preventDefault(); focusIn(f[0]); }
    }
  });
  d.addEventListener("focusin", function (e) {
    if (!root || root.contains(e.target)) return;
    if (!ov.hidden) focusIn(modal);
    else if (!first.hidden) unobscure(e.target);
  });
  d.addEventListener("click", function (e) {
    var el = e.target && e.target.closest && e.target.closest("[data-gw-consent-open]");
    if (el) {
      e.preventDefault();
      openSettings(el);
    }
  });

  // ---- applying a choice ----------------------------------------------------------------------
  function activate(granted) {
    [].forEach.call(d.querySelectorAll('script[type="text/plain"][data-gw-category]'), function (old) {
      if (granted.indexOf(old.getAttribute("data-gw-category")) < 0) return;
      var s = d.createElement("script");
      [].forEach.call(old.attributes, function (a) { if (a.name !== "type") s.setAttribute(a.name, a.value); });
      var ty = old.getAttribute("data-gw-type");
      if (ty) s.type = ty;
      if (!old.hasAttribute("async")) s.async = false;
      s.text = old.text;
      old.parentNode.replaceChild(s, old);
    });
  }
  // Delete first-party cookies the policy declares for categories that are not granted.
  function clearCookies(granted) {
    var res = [];
    cfg.categories.forEach(function (c) {
      if (c.required || granted.indexOf(c.id) >= 0) return;
      (c.services || []).forEach(function (s) {
        (s.cookies || []).forEach(function (p) {
          res.push(new RegExp("^" + String(p).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$"));
        });
      });
    });
    if (!res.length) return;
    var host = location.hostname.split(".");
    d.cookie.split(/;\s*/).forEach(function (kv) {
      var n = kv.split("=")[0];
      if (!n || !res.some(function (r) { return r.test(n); })) return;
      var gone = n + "=; Max-Age=0; path=/";
      d.cookie = gone;
      for (var i = 0; i < host.length - 1; i++) d.cookie = gone + "; domain=." + host.slice(i).join(".");
    });
  }
  function apply(granted, rec) {
    var has = function (id) { return granted.indexOf(id) >= 0; };
    var paq = (w._paq = w._paq || []);
    if (has("analytics") && rec && rec.token) {
      paq.push(["appendToTrackingUrl", "gw_consent=" + encodeURIComponent(rec.token)]);
      paq.push(["setConsentGiven"]);
    } else {
      paq.push(["appendToTrackingUrl", ""]);
      paq.push(["forgetConsentGiven"]);
    }
    if (typeof w.gtag === "function") {
      var v = function (b) { return b ? "granted" : "denied"; };
      var m = v(has("marketing"));
      w.gtag("consent", "update", { analytics_storage: v(has("analytics")), ad_storage: m, ad_user_data: m, ad_personalization: m });
    }
    clearCookies(granted);
    activate(granted);
    if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", function () { activate(granted); });
    d.dispatchEvent(new CustomEvent("gw:consent", { detail: { granted: granted.slice(), consent_id: rec ? rec.consent_id : null } }));
  }

  // ---- talking to the gateway -----------------------------------------------------------------
  function loadConfig() {
    return fetch(api + "/config", { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("config " + r.status);
      return r.json();
    }).then(function (c) {
      cfg = c;
      cfg.categories = cfg.categories || [];
      lang = chooseLang();
    });
  }
  function record(granted) {
    if (busy) return;
    busy = true;
    setError(false);
    fetch(api, {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ granted: granted, policy_version: cfg.version, lang: lang })
    }).then(function (r) {
      if (r.status === 409) {
        // The policy changed while the banner was open: ask again with the new texts.
        forget();
        return loadConfig().then(function () { hideAll(); build(); showFirst(true, true); });
      }
      if (!r.ok) throw new Error("consent " + r.status);
      return r.json().then(function (j) {
        var rec = { token: j.token, granted: j.granted || granted, version: cfg.version, expires_at: j.expires_at, consent_id: j.consent_id };
        save(rec);
        hideAll();
        restoreFocus();
        apply(rec.granted, rec);
      });
    }).catch(function () {
      setError(true);
    }).then(function () {
      busy = false;
    });
  }
  function withdraw() {
    var c = stored();
    var q = c && c.token ? "?gw_consent=" + encodeURIComponent(c.token) : "";
    return fetch(api + q, { method: "DELETE", credentials: "include" })
      .then(function (r) { return r.ok; }, function () { return false; })
      .then(function (ok) {
        forget();
        if (cfg) {
          apply(required(), null);
          if (root) {
            ov.hidden = true;
            uninert();
            showFirst(true);
          }
        } else {
          var paq = (w._paq = w._paq || []);
          paq.push(["appendToTrackingUrl", ""]);
          paq.push(["forgetConsentGiven"]);
        }
        return ok;
      });
  }

  w.gwConsent = {
    open: function () { openSettings(d.activeElement); },
    withdraw: withdraw,
    get: function () {
      var c = current();
      return c ? { granted: c.granted.slice(), consent_id: c.consent_id, expires_at: c.expires_at, version: c.version, token: c.token } : null;
    }
  };

  function domReady() {
    return new Promise(function (res) {
      if (d.body) res();
      else d.addEventListener("DOMContentLoaded", res);
    });
  }

  loadConfig().then(domReady).then(function () {
    var st = d.createElement("style");
    st.textContent = CSS;
    (d.head || d.body).append(st);
    build();
    var c = stored();
    if (valid(c)) apply(c.granted, c);
    else showFirst(true, !!(c && c.version && c.version !== cfg.version));
    if (wantOpen) {
      var o = wantOpen;
      wantOpen = null;
      openSettings(o === true ? null : o);
    }
  }).catch(function (e) {
    // Without a config no choice can be recorded, so nothing is granted and nothing is tracked.
    if (w.console) console.warn("gateway consent banner:", e);
  });
})();
