// retold pages: no article text is ever inserted as HTML here (textContent only).
"use strict";
(function () {
  // compare form: one submission at a time, and say that work is going on
  var form = document.getElementById("compare-form");
  if (form) {
    form.addEventListener("submit", function () {
      var button = document.getElementById("compare-submit");
      if (button) { button.disabled = true; button.textContent = "Comparing…"; }
    });
  }
  // job page: poll the status endpoint until the job ends
  var box = document.getElementById("job");
  if (box && box.dataset.state !== "done" && box.dataset.state !== "failed") {
    var id = box.dataset.job;
    var poll = function () {
      fetch("/api/jobs/" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          var p = job.result || job.progress || {};
          document.getElementById("job-state").textContent = job.state;
          document.getElementById("job-seconds").textContent = job.seconds;
          var parts = [];
          Object.keys(p).forEach(function (k) {
            var v = p[k];
            if (typeof v === "number" || typeof v === "string") parts.push(k.replace(/_/g, " ") + " " + v);
          });
          document.getElementById("job-counts").textContent = parts.join(", ");
          var bar = document.getElementById("job-progress");
          if (typeof p.done === "number" && p.total) { bar.max = p.total; bar.value = p.done; }
          if (job.state === "done" || job.state === "failed") {
            window.location.reload();  // the server renders the final summary
          } else {
            setTimeout(poll, 500);
          }
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 300);
  }
})();
