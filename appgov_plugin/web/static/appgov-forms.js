/* appgov declarative forms: progressive enhancement (docs/forms.md, "Rendering contract").
 *
 * Static file, no inline script, no eval (a strict CSP allows it). Without it every field
 * is shown and the server validates the same rules.
 *  - data-appgov-shown-when: hide the field's wrapper and disable its inputs while false;
 *  - data-appgov-required-when: "required" / aria-required while true;
 *  - rows: live totals (data-appgov-total), "add a row" reveals a spare row or clones one;
 *  - computed (data-appgov-check): value fetched from data-appgov-url when an argument changes.
 */
(function () {
  "use strict";

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function controls(form, name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  // The answer of field `name`: a string, a list (tick boxes), a boolean (one tick box),
  // or null when not shown / not in the form.
  function answer(form, name) {
    var els = controls(form, name).filter(function (el) { return !el.disabled; });
    if (!els.length) { return null; }
    var first = els[0];
    if (first.type === "radio") {
      var checked = els.filter(function (el) { return el.checked; });
      return checked.length ? checked[0].value : null;
    }
    if (first.type === "checkbox") {
      // a multichoice's boxes carry data-appgov-many; a lone tick box is a boolean
      if (els.length === 1 && !first.hasAttribute("data-appgov-many")) { return first.checked; }
      return els.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
    }
    return first.value;
  }

  function holds(form, condition) {
    var value = answer(form, condition.field);
    var wanted = condition["in"] || [];
    if (value === null || value === "") { return false; }
    if (Array.isArray(value)) {
      return value.some(function (v) { return wanted.indexOf(v) !== -1; });
    }
    if (typeof value === "boolean") { return wanted.indexOf(value) !== -1; }
    return wanted.some(function (w) { return String(w) === value; });
  }

  function allHold(form, conditions) {
    return (conditions || []).every(function (c) { return holds(form, c); });
  }

  function wrapper(el) {
    return el.closest("[data-appgov-field]") || el.closest("fieldset") ||
      el.closest(".form-group") || el.parentElement;
  }

  function applyConditions(form) {
    // twice: a field hidden now can hide another one
    for (var pass = 0; pass < 2; pass++) {
      form.querySelectorAll("[data-appgov-shown-when]").forEach(function (el) {
        var show = allHold(form, parse(el.getAttribute("data-appgov-shown-when")));
        var box = wrapper(el);
        box.hidden = !show;
        box.querySelectorAll("input, select, textarea, button").forEach(function (input) {
          if (input.hasAttribute("data-appgov-add-row")) { return; }
          input.disabled = !show;
        });
      });
    }
    form.querySelectorAll("[data-appgov-required-when]").forEach(function (el) {
      var required = allHold(form, parse(el.getAttribute("data-appgov-required-when")));
      if (el.type === "radio" || el.type === "checkbox") {
        el.setAttribute("aria-required", required ? "true" : "false");
        return;
      }
      el.required = required;
      el.setAttribute("aria-required", required ? "true" : "false");
    });
  }

  // -- rows ---------------------------------------------------------------------------
  function wholeNumber(text) {
    var plain = (text || "").normalize("NFKC").replace(/[\s,，]/g, "")
      .replace(/^(NT\$|\$|新臺幣|新台幣)/i, "").replace(/元$/, "");
    return /^-?[0-9]+$/.test(plain) ? BigInt(plain) : null;
  }

  function updateTotals(group) {
    group.querySelectorAll("[data-appgov-total]").forEach(function (out) {
      var column = out.getAttribute("data-appgov-total");
      var sum = BigInt(0);
      group.querySelectorAll('[data-appgov-column="' + column + '"]').forEach(function (input) {
        if (input.disabled) { return; }
        var n = wholeNumber(input.value);
        if (n !== null) { sum += n; }
      });
      out.value = sum.toLocaleString(document.documentElement.lang || undefined);
      out.textContent = out.value;
    });
  }

  function isBlankRow(row) {
    return Array.prototype.every.call(row.querySelectorAll("input, select, textarea"), function (el) {
      return el.type === "checkbox" ? !el.checked : !el.value;
    });
  }

  function setUpRows(group) {
    var body = group.querySelector("tbody");
    var button = group.querySelector("[data-appgov-add-row]");
    var limits = parse(group.getAttribute("data-appgov-rows")) || {};
    var spares = Array.prototype.slice.call(body.querySelectorAll("tr[data-appgov-spare]"));
    // keep one blank row visible (and those needed for min_rows), hide the others
    var visible = body.querySelectorAll("tr:not([data-appgov-spare])").length;
    spares.forEach(function (row) {
      if (visible < Math.max(1, limits.min || 0) || !isBlankRow(row)) { visible++; return; }
      row.hidden = true;
    });
    function refreshButton() {
      var rows = body.querySelectorAll("tr").length;
      var hidden = body.querySelectorAll("tr[hidden]").length;
      button.hidden = hidden === 0 && rows >= (limits.max || rows);
    }
    if (button) {
      refreshButton();
      button.addEventListener("click", function () {
        var next = body.querySelector("tr[hidden]");
        if (!next) {
          var rows = body.querySelectorAll("tr");
          var last = rows[rows.length - 1];
          var index = Number(last.getAttribute("data-appgov-row")) + 1;
          next = last.cloneNode(true);
          next.setAttribute("data-appgov-row", String(index));
          next.querySelector("th").textContent = String(index + 1);
          next.querySelectorAll("input, select, textarea").forEach(function (el) {
            ["id", "name"].forEach(function (attr) {
              var v = el.getAttribute(attr);
              if (v) { el.setAttribute(attr, v.replace(/-\d+-/, "-" + index + "-")); }
            });
            var label = el.getAttribute("aria-label");
            if (label) { el.setAttribute("aria-label", label.replace(/\d+(?=\D*$)/, String(index + 1))); }
            if (el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
            el.removeAttribute("aria-invalid");
            el.removeAttribute("aria-describedby");
            el.classList.remove("is-invalid");
          });
          next.querySelectorAll(".invalid-feedback").forEach(function (e) { e.remove(); });
          body.appendChild(next);
        }
        next.hidden = false;
        var first = next.querySelector("input, select, textarea");
        if (first) { first.focus(); }
        refreshButton();
      });
    }
    group.addEventListener("input", function () { updateTotals(group); });
    updateTotals(group);
  }

  // -- computed values ----------------------------------------------------------------
  function setUpComputed(form, out) {
    var url = out.getAttribute("data-appgov-url");
    var args = parse(out.getAttribute("data-appgov-args")) || {};
    if (!url) { return; }
    var names = Object.keys(args).map(function (k) { return args[k]; });
    var pending = null;
    function refresh() {
      var query = new URLSearchParams();
      var complete = true;
      Object.keys(args).forEach(function (param) {
        var value = answer(form, args[param]);
        if (value === null || value === "") { complete = false; return; }
        query.set(param, Array.isArray(value) ? value.join(",") : String(value));
      });
      if (!complete) { out.value = "—"; out.textContent = "—"; return; }
      if (pending) { pending.abort(); }
      pending = new AbortController();
      fetch(url + "?" + query.toString(), {
        headers: { Accept: "application/json" }, credentials: "same-origin", signal: pending.signal
      }).then(function (r) { return r.ok ? r.json() : { value: null }; })
        .then(function (body) {
          var v = body.value;
          var text = (v === null || v === undefined) ? "—" :
            (typeof v === "number" ? v.toLocaleString(document.documentElement.lang || undefined) : String(v));
          out.value = text;
          out.textContent = text;
        }).catch(function () { /* keep the value the server rendered */ });
    }
    form.addEventListener("change", function (event) {
      if (names.indexOf(event.target.name) !== -1) { refresh(); }
    });
  }

  function setUp(form) {
    if (form.getAttribute("data-appgov-ready")) { return; }
    form.setAttribute("data-appgov-ready", "1");
    form.querySelectorAll("fieldset[data-appgov-rows]").forEach(setUpRows);
    form.querySelectorAll("output[data-appgov-check]").forEach(function (out) {
      setUpComputed(form, out);
    });
    applyConditions(form);
    form.addEventListener("change", function () { applyConditions(form); });
    form.addEventListener("input", function () { applyConditions(form); });
  }

  function start() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-appgov-shown-when], [data-appgov-required-when], " +
        "fieldset[data-appgov-rows], output[data-appgov-check]")) {
        setUp(form);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
