// Polls the import job until it is done, moving the bar; then reloads for the counts and report.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var bar = document.getElementById("bar");
  var text = document.getElementById("progress-text");
  var template = text.getAttribute("data-template");
  var url = box.getAttribute("data-status-url");

  function show(job) {
    bar.value = job.percent;
    bar.textContent = job.percent + "%";
    text.textContent = template
      .replace("{done}", job.processed_rows)
      .replace("{total}", job.total_rows);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (job) {
        show(job);
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 700);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }
  window.setTimeout(poll, 300);
})();
