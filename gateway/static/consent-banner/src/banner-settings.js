/*
 * gateway consent banner: the settings layer.
 *
 * banner.js loads this script, together with the site's category details, only when the
 * visitor opens the settings (or at once on a page with an opt-out element), and calls
 * window.gatewayConsentSettings(core) once. The layer is a modal dialog: the rest of the page is
 * inert, Tab and Shift+Tab stay inside it, Escape and the close button close it, and focus
 * returns to the element that opened it. Its "My data" button posts the visitor's consent token
 * to the gateway's own-data page in a new tab (a form body, so the token reaches no URL or log).
 *
 * The opt-out element, <div data-gw-optout></div> on the site's privacy page: a labelled
 * checkbox "Analytics on this site" showing whether analytics is granted now. Changing it
 * records a choice (source "optout") that keeps every other category and service as it is.
 */
(function () {
  "use strict";
  var d = document;
  var CSS =
    ".gw-ov{position:fixed;top:0;left:0;right:0;bottom:0;z-index:2147483001;background:#0009}" +
    ".gw-modal{top:50%;left:50%;transform:translate(-50%,-50%);width:calc(100% - 1em);max-width:42em}" +
    ".gw-top{display:flex;align-items:flex-start;justify-content:space-between;gap:1em}" +
    ".gw-x{flex:none;width:2.5em;height:2.5em;border:2px solid var(--gw-l);border-radius:8px;background:transparent;" +
    "font-size:1.1em;line-height:1;cursor:pointer}" +
    ".gw-cat{border-top:1px solid var(--gw-l);padding-top:.75em;margin-top:.75em}" +
    ".gw-row{display:flex;align-items:center;gap:.6em;margin-bottom:.25em}" +
    ".gw-row input{flex:none;width:1.5em;height:1.5em;min-width:24px;min-height:24px;accent-color:var(--gw-b);cursor:pointer}" +
    ".gw-row label{font-weight:700;cursor:pointer}" +
    ".gw-cat p,.gw-svc{font-size:.95em}" +
    ".gw-svc{list-style:disc;padding-left:1.25em;margin-bottom:.5em}.gw-svc li{margin-bottom:.25em}" +
    ".gw-root .gw-note{border-left:4px solid var(--gw-a);padding-left:.75em}" +
    ".gw-wd{margin-top:.75em}" +
    ".gw-lnk{min-height:24px;border:0;background:none;color:var(--gw-a);text-decoration:underline;cursor:pointer}" +
    ".gw-my{margin-top:.75em}" +
    ".gw-opt{background:var(--gw-bg);border:1px solid var(--gw-l);border-radius:8px;padding:.75em 1em}" +
    ".gw-opt p{margin:.25em 0 0}";

  window.gatewayConsentSettings = (k) => {
    var h = k.h, t = k.t, det = k.details, opener = null, inerted = [], boxes = [];
    var ov, modal, note, err, wd, my, tok, seq = 0;
    var choose = (g) => k.record(g, [], "banner");

    function btn(key, fn) {
      return h("button", { type: "button", "class": "gw-btn", onclick: fn }, t(key));
    }
    // One service: what it is for, who provides it, its cookies and its own privacy notice.
    function serviceItem(s) {
      var facts = [];
      if (s.provider) facts.push(t("provider") + ": " + s.provider);
      if (s.cookies && s.cookies.length) facts.push(t("cookies") + ": " + s.cookies.join(", "));
      return h("li", null, h("b", null, s.name), s.purpose ? ": " + s.purpose : "",
        facts.length ? [h("br"), facts.join(". ")] : null,
        s.privacy_url ? [" ", h("a", { href: s.privacy_url }, s.name + ": " + t("privacy_link").toLowerCase())] : null);
    }
    function category(c) {
      var id = "gw-c-" + c.id, box = h("input", { type: "checkbox", id: id, value: c.id, disabled: !!c.required,
        "aria-describedby": id + "-d" });
      boxes.push(box);
      return h("div", { "class": "gw-cat" },
        h("div", { "class": "gw-row" }, box,
          h("label", { "for": id }, c.title, c.required ? " (" + t("always_on") + ")" : "")),
        h("p", { id: id + "-d" }, c.description),
        c.services && c.services.length ? h("ul", { "class": "gw-svc" }, c.services.map(serviceItem)) : null);
    }
    // A choice closes the layer once the gateway recorded it; a failure is shown in the layer.
    function act(promise) {
      err.textContent = "";
      promise.then((ok) => {
        if (ok) close();
        else err.textContent = t("error");
      });
    }

    modal = h("div", { "class": "gw-box gw-modal", role: "dialog", "aria-modal": "true", "aria-labelledby": "gw-st",
      "aria-describedby": "gw-sd", tabindex: "-1" },
      h("div", { "class": "gw-top" },
        h("h2", { "class": "gw-h", id: "gw-st" }, t("settings_title")),
        h("button", { type: "button", "class": "gw-x", "aria-label": t("close"), onclick: () => { close(); } },
          h("span", { "aria-hidden": "true" }, "\u00d7"))),
      h("p", { id: "gw-sd" }, t("settings_description"), " ", h("a", { href: k.privacy_url }, t("privacy_link"))),
      note = h("p", { "class": "gw-note", hidden: true }, t("gpc_note")),
      k.details.categories.map(category),
      err = h("p", { "class": "gw-err", role: "alert" }),
      h("div", { "class": "gw-btns" },
        // A category choice replaces services granted one by one from embeds.
        btn("save", () => {
          act(choose(boxes.filter((b) => b.checked && !b.disabled).map((b) => b.value)));
        }),
        btn("accept_all", () => { act(choose(k.optional)); }),
        btn("reject_all", () => { act(choose([])); })),
      wd = h("div", { "class": "gw-btns gw-wd" },
        btn("withdraw", () => {
          // Withdrawing is remembered here even if the gateway cannot be reached.
          k.withdraw().then(close);
        })),
      // What the gateway keeps about this browser: opened with the token in a POST body.
      my = det.my_data_url && h("form", { "class": "gw-my", method: "post", action: det.my_data_url,
        target: "_blank", rel: "noopener noreferrer" },
        tok = h("input", { type: "hidden", name: "gw_consent" }),
        h("button", { type: "submit", "class": "gw-lnk" }, t("my_data"))));
    ov = h("div", { "class": "gw-ov", hidden: true }, modal);
    k.root.append(ov);
    d.head.append(h("style", null, CSS));

    function focusables() {
      return [].filter.call(modal.querySelectorAll("a[href],button,input"),
        (x) => !x.disabled && x.getClientRects().length);
    }
    d.addEventListener("keydown", (e) => {
      if (ov.hidden) return;
      if (e.key === "Escape" || e.key === "Esc") {
        e.preventDefault();
        close();
      } else if (e.key === "Tab") {
        var f = focusables(), i = f.indexOf(d.activeElement);
        if (e.shiftKey ? i <= 0 : i < 0 || i === f.length - 1) {
          e.preventDefault();
          f[e.shiftKey ? f.length - 1 : 0].focus();
        }
      }
    });
    // Focus that lands outside (a click on the overlay, a script) is brought back in.
    d.addEventListener("focusin", (e) => {
      if (!ov.hidden && !modal.contains(e.target)) modal.focus();
    });

    function open(from) {
      var st = k.state(), g = st ? st.granted : [], svc = st ? st.services || [] : [];
      opener = from && from.nodeType === 1 ? from : null;
      // Every optional category is off unless the visitor granted it.
      boxes.forEach((b) => { b.checked = b.disabled || g.indexOf(b.value) >= 0; });
      note.hidden = !(st && st.source === "gpc");
      wd.hidden = !(st && st.token && (svc.length || k.optional.some((c) => g.indexOf(c) >= 0)));
      if (my) {
        tok.value = (st && st.token) || "";
        my.hidden = !tok.value;
      }
      err.textContent = "";
      k.firstLayer(false);
      ov.hidden = false;
      [].forEach.call(d.body.children, (el) => {
        if (el !== k.root && !el.hasAttribute("inert")) {
          el.setAttribute("inert", "");
          inerted.push(el);
        }
      });
      modal.focus();
    }
    function close() {
      if (ov.hidden) return;
      ov.hidden = true;
      inerted.forEach((el) => { el.removeAttribute("inert"); });
      inerted = [];
      var st = k.state(), o = opener;
      opener = null;
      // Closed without a choice: the first layer asks again.
      if (!(st && st.chosen)) k.firstLayer(true);
      if (o && o.isConnected && o.getClientRects().length) o.focus();
      else if (!k.first.hidden) k.first.focus();
      else if (k.ctl && !k.ctl.hidden) k.ctl.focus();
    }

    // ---- opt-out elements ---------------------------------------------------------------------
    function optout(el) {
      var cat = det.categories.filter((c) => c.id === "analytics" && !c.required)[0];
      if (!cat) return;
      var own = cat.services.map((s) => s.id), n = "gw-o" + ++seq, box, state, oerr;
      function show() {
        var st = k.state(), on = !!st && st.granted.indexOf("analytics") >= 0;
        box.checked = on;
        state.textContent = t(on ? "optout_on" : "optout_off");
      }
      el.textContent = "";
      el.append(h("div", { "class": "gw-root gw-opt", lang: det.lang },
        h("div", { "class": "gw-row" },
          box = h("input", { type: "checkbox", id: n, "aria-describedby": n + "-d", onchange: () => {
            var st = k.state(), g = (st ? st.granted : []).filter((c) => c !== "analytics");
            var sv = ((st && st.services) || []).filter((s) => own.indexOf(s) < 0);
            box.disabled = true;
            oerr.textContent = "";
            k.record(box.checked ? g.concat("analytics") : g, sv, "optout").then((ok) => {
              box.disabled = false;
              if (!ok) oerr.textContent = t("error");
              show();
              box.focus();
            });
          } }),
          h("label", { "for": n }, t("optout_label"))),
        state = h("p", { id: n + "-d" }),
        oerr = h("p", { "class": "gw-err", role: "alert" })));
      show();
      d.addEventListener("gw:consent", show);
    }
    d.querySelectorAll("[data-gw-optout]").forEach(optout);

    return { open: open, close: close };
  };
})();
