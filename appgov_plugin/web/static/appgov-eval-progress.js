/* The evaluation run's progress bar (Flask-Admin, appgov_plugin/evaluation/admin_runs.py):
   polls the run's JSON (done, total, status) and updates the <progress> bar, the count and
   the status; reloads the page once the run has finished (to show its summary). Without
   JavaScript the page refreshes itself (<noscript> meta refresh). */
(function () {
  "use strict";
  var box = document.querySelector(".evaluation-run-progress");
  if (!box || box.getAttribute("data-running") !== "true" || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var count = box.querySelector(".run-progress-count");
  var status = box.querySelector(".run-progress-status");

  function show(answer) {
    if (bar) {
      bar.max = answer.total || 1;
      bar.value = answer.total ? answer.done : (answer.finished ? 1 : 0);
      bar.textContent = answer.done + " / " + answer.total;
    }
    if (count) {
      count.textContent = answer.count_label; // worded by the server, in the reader's language
    }
    if (status) {
      status.textContent = answer.status_label;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (answer) {
        show(answer);
        if (answer.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 500);
})();
