/* appgov's charts: one script for every chart of the package (the evaluation dashboard,
 * appgov_plugin/evaluation/dashboard.py; it also reads the roll-out dashboard's figures).
 *
 * Static file, no inline script, no eval (a strict CSP allows it). Each chart is a
 * <canvas data-appgov-chart="JSON" role="img" aria-label="..." hidden>; the same figures are
 * in the table beside it, which is what a screen reader and a browser without scripts read:
 * the chart is an enhancement, shown once drawn. Chart.js is served from the package
 * (static/vendor/chartjs, MIT), never from the internet.
 *
 * The JSON: {type: "bar"|"line", labels: [...], datasets: [{label, data: ["12", null, ...]}],
 * horizontal, stacked, max, axisTitle, locale ("zh-TW"|"en"), font (a CSS font stack)}.
 * Numbers come as decimal text (exact on the server) and are read with Number(). The
 * roll-out dashboard's older form {labels, values, label} is read as one bar dataset of
 * percentages (0-100).
 */
(function () {
  "use strict";

  // a CJK-capable stack first: Traditional Chinese labels render with a real CJK face
  var FONT = '"Noto Sans CJK TC", "Noto Sans TC", "PingFang TC", "Microsoft JhengHei", sans-serif';
  // colours with at least 3:1 contrast on white (WCAG 1.4.11); the legend and the table
  // name every series, so nothing is told by colour alone
  var COLOURS = ["#1f5fa8", "#a84f00", "#2e7d32", "#6a1b9a", "#b71c1c", "#455a64"];
  var POINTS = ["circle", "triangle", "rect", "rectRot", "crossRot", "star"];
  var DASHES = [[], [6, 4], [2, 3], [8, 3, 2, 3], [1, 2], [10, 5]];

  function number(value) {
    if (value === null || value === undefined || value === "") { return null; }
    var parsed = Number(value);
    return isFinite(parsed) ? parsed : null;
  }

  function normalise(data) {
    if (data.datasets) { return data; }
    // the roll-out dashboard's form: one series of percentages
    return {
      type: "bar",
      labels: data.labels,
      datasets: [{ label: data.label, data: data.values }],
      max: 100,
      legend: false
    };
  }

  function config(canvas, data) {
    var line = data.type === "line";
    var horizontal = !!data.horizontal && !line;
    var datasets = data.datasets.map(function (set, index) {
      var colour = COLOURS[index % COLOURS.length];
      var out = {
        label: set.label,
        data: set.data.map(number),
        backgroundColor: colour,
        borderColor: colour
      };
      if (line) {
        out.fill = false;
        out.spanGaps = true;
        out.borderWidth = 2;
        out.pointStyle = POINTS[index % POINTS.length];
        out.pointRadius = 4;
        out.borderDash = DASHES[index % DASHES.length];
      }
      return out;
    });
    var value = { beginAtZero: true, ticks: {} };
    if (data.max !== null && data.max !== undefined) { value.max = number(data.max); }
    if (data.axisTitle) { value.title = { display: true, text: data.axisTitle }; }
    if (data.stacked) { value.stacked = true; }
    var category = { stacked: !!data.stacked, ticks: { autoSkip: !horizontal } };
    var scales = horizontal ? { x: value, y: category } : { x: category, y: value };
    var options = {
      animation: false,
      locale: data.locale || document.documentElement.lang || "zh-TW",
      indexAxis: horizontal ? "y" : "x",
      scales: scales,
      plugins: { legend: { display: data.legend !== false, labels: { usePointStyle: line } } }
    };
    if (horizontal) {
      // a bar per row: the height grows with the rows (the width is the column's)
      var width = (canvas.parentNode && canvas.parentNode.clientWidth) || 600;
      var height = 60 + data.labels.length * 28 * Math.max(1, datasets.length / 1.5);
      options.aspectRatio = Math.max(0.35, Math.min(5, width / height));
    }
    return { type: line ? "line" : "bar", data: { labels: data.labels, datasets: datasets }, options: options };
  }

  function draw(canvas) {
    var data;
    try { data = JSON.parse(canvas.getAttribute("data-appgov-chart") || ""); } catch (e) { return; }
    if (!data || !data.labels || !data.labels.length || typeof window.Chart !== "function") {
      return;
    }
    data = normalise(data);
    window.Chart.defaults.font.family = data.font || FONT;
    canvas.hidden = false;
    // eslint-disable-next-line no-new
    new window.Chart(canvas, config(canvas, data));
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
