/* Flask-Admin's behaviour without inline event handlers, which the host's
   Content-Security-Policy (sample_host/security.py) does not run. The host's copies of
   admin/actions.html, admin/model/row_actions.html and admin/model/layout.html carry data
   attributes instead of onclick; this file acts on them. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    /* "With selected" actions: Flask-Admin's actions.js does the work. */
    var action = target.closest("[data-model-action]");
    if (action) {
      event.preventDefault();
      if (window.modelActions) { window.modelActions.execute(action.getAttribute("data-model-action")); }
      return;
    }
    /* A button that asks first (delete a record). */
    var asking = target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    /* Flask-Admin's placeholder links (href="javascript:void(0)") never navigate: running a
       javascript: URL is inline script. Their own handlers (menus, filters) still run. */
    var link = target.closest("a[href^='javascript:']");
    if (link) { event.preventDefault(); }
  }, true);
  /* A column description's help icon (Flask-Admin's a[data-role=tooltip]) has no text: its
     description becomes its accessible name, read before Bootstrap's tooltip moves the
     title away (WCAG 2.4.4, 4.1.2). */
  document.querySelectorAll("a[data-role='tooltip']").forEach(function (icon) {
    var text = icon.getAttribute("title") || icon.getAttribute("data-original-title");
    if (text && !icon.getAttribute("aria-label")) { icon.setAttribute("aria-label", text); }
  });
})();
