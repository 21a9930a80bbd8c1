/* The host layout's behaviour (templates/base.html, _form.html). A static file, not inline
   script: the Content-Security-Policy (sample_host/security.py) allows no inline script. */
(function () {
  "use strict";

  /* A wide table scrolls inside its own box, never the page: wrap any table a template left
     unwrapped, and let a keyboard reach the boxes that do scroll -- again whenever the window
     changes size (a phone turned, a window narrowed): a box that scrolls gets a tab stop, one
     that no longer scrolls loses the stop this script gave it. */
  var boxes = [];
  document.querySelectorAll("main table").forEach(function (table) {
    var box = table.closest(".table-responsive");
    if (!box) {
      box = document.createElement("div");
      box.className = "table-responsive";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
    if (boxes.indexOf(box) < 0) {
      boxes.push(box);
    }
  });
  function reachScrollingBoxes() {
    boxes.forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-stop", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-stop")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-stop");
      }
    });
  }
  reachScrollingBoxes();
  window.addEventListener("resize", reachScrollingBoxes);

  /* A form's error summary (_form.html error_summary): move to it; a link in it moves to its
     field (label in view, input focused). */
  var summaries = document.querySelectorAll(".error-summary[tabindex]");
  if (summaries.length) {
    summaries[0].focus();
  }
  summaries.forEach(function (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var input = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!input) { return; }
      event.preventDefault();
      var group = input.closest("fieldset");
      var label = group ? group.querySelector("legend") : document.querySelector("label[for='" + input.id + "']");
      (label || input).scrollIntoView();
      input.focus({preventScroll: true});
    });
  });
})();
