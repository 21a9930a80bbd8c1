/* appgov roll-out dashboard: the chart of compliance per agency kind (appgov_plugin/rollout).
 *
 * Static file, no inline script, no eval (a strict CSP allows it). The figures come from the
 * canvas's data-appgov-chart attribute (JSON: labels, values, label); the same figures are
 * in the table beside the chart, which is what a screen reader and a browser without
 * scripts read: the chart is an enhancement. Chart.js is served from the package
 * (static/vendor/chartjs, MIT), never from the internet.
 */
(function () {
  "use strict";

  function draw(canvas) {
    var data;
    try { data = JSON.parse(canvas.getAttribute("data-appgov-chart") || ""); } catch (e) { return; }
    if (!data || !data.labels || !data.labels.length || typeof window.Chart !== "function") {
      return;
    }
    canvas.hidden = false;
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.label, data: data.values, backgroundColor: "#1f5fa8" }]
      },
      options: {
        animation: false,
        scales: { y: { min: 0, max: 100, ticks: { stepSize: 20 } } },
        plugins: { legend: { display: false } }
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-appgov-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
