// Conveniences for the staff console. Every page works without them (a refresh link, plain forms).
// 1. Staying current: a page with data-poll (a complaint, an inbox view) asks that URL for its version every 20 s.
//    A new version reloads the page when nothing has been typed or ticked; otherwise it is announced.
// 2. Keys: an element with data-key="x" is focused (or clicked, for a button) when x is pressed outside a field;
//    j and k move between rows marked data-row, o opens the marked row, ? shows the list of keys.
(function () {
  "use strict";
  var body = document.body;
  var poll = body.getAttribute("data-poll");
  var seen = body.getAttribute("data-version");

  function typed() {  // anything typed, ticked or chosen that a reload would lose
    return Array.prototype.some.call(document.querySelectorAll("textarea, input, select"), function (field) {
      if (field.type === "checkbox" || field.type === "radio") { return field.checked !== field.defaultChecked; }
      if (field.tagName === "SELECT") {  // a single select without a selected option starts on its first
        var defaults = Array.prototype.filter.call(field.options, function (o) { return o.defaultSelected; });
        if (!defaults.length && !field.multiple && field.options.length) { defaults = [field.options[0]]; }
        return Array.prototype.some.call(field.options, function (o) { return o.selected !== (defaults.indexOf(o) >= 0); });
      }
      return (field.type === "text" || field.type === "search" || field.tagName === "TEXTAREA" ||
        !field.getAttribute("type")) && field.value !== field.defaultValue;
    });
  }

  function announce() {
    var live = document.getElementById("live");
    if (live) {
      live.hidden = false;
      live.textContent = live.getAttribute("data-text");
    }
  }

  if (poll && seen) {
    window.setInterval(function () {
      // redirect "manual": signed out, the poll must not follow to the sign-in page (whose fresh CSRF cookie would
      // break a sign-in under way in another tab)
      fetch(poll, { credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (data) {
          if (!data || String(data.version) === seen) { return; }
          seen = String(data.version);
          if (typed()) { announce(); } else { window.location.reload(); }
        })
        .catch(function () { /* offline for a moment: try again at the next tick */ });
    }, window.consolePollMs || 20000);  // a test may poll faster
  }

  // 3. An SMS reply's length in parts, as complaint_view.sms_segments counts it.
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" +
    "¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENDED = "^{}\\[~]|€\f";
  function segments(text) {
    var gsm = Array.prototype.every.call(text, function (c) { return GSM.indexOf(c) >= 0 || GSM_EXTENDED.indexOf(c) >= 0; });
    var units = gsm ? Array.prototype.reduce.call(text, function (n, c) { return n + (GSM_EXTENDED.indexOf(c) >= 0 ? 2 : 1); }, 0)
      : text.length;  // UTF-16 code units
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var count = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / multi);
    return { count: count, characters: units, encoding: gsm ? "GSM-7" : "UCS-2" };
  }
  var counter = document.querySelector("[data-format]");
  var draft = document.getElementById("message");
  if (counter && draft) {
    draft.addEventListener("input", function () {
      var s = segments(draft.value);
      counter.textContent = counter.getAttribute("data-format").replace("{count}", s.count)
        .replace("{characters}", s.characters).replace("{encoding}", s.encoding);
    });
  }

  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
  var current = -1;
  function mark(index) {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
    var link = rows[current].querySelector("a");
    if (link) { link.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) { return; }
    var key = event.key;
    if (key === "j" || key === "k") { mark(current + (key === "j" ? 1 : -1)); event.preventDefault(); return; }
    if (key === "o" && current >= 0) {
      var open = rows[current].querySelector("a");
      if (open) { open.click(); }
      return;
    }
    if (key === "?") {
      var help = document.getElementById("keys");
      if (help) { help.hidden = !help.hidden; }
      return;
    }
    var element = document.querySelector('[data-key="' + key.replace(/["\\]/g, "") + '"]');
    if (!element) { return; }
    event.preventDefault();
    if (element.tagName === "BUTTON") { element.click(); } else { element.focus(); }
  });
}());
