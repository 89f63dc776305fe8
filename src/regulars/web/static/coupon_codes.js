// Polls a code-making job until it is done, moving the bar; then reloads for the download.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var bar = document.getElementById("bar");
  var text = document.getElementById("progress-text");
  var template = text.getAttribute("data-template");
  var url = box.getAttribute("data-status-url");
  var lang = document.documentElement.lang;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (job) {
        bar.value = job.percent;
        text.textContent = template
          .replace("{done}", Number(job.done).toLocaleString(lang))
          .replace("{total}", Number(job.count).toLocaleString(lang));
        if (job.status === "running") window.setTimeout(poll, 700);
        else window.location.reload();
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 300);
})();
