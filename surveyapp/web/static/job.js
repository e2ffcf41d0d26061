// The clustering job page: ask the server how far the job has got every second and show it
// in place; once the job has ended, load the page again, which goes on to the clusters or
// says what went wrong. (Without JavaScript, the page refreshes itself every 2 s instead.)
(function () {
  "use strict";
  var job = document.getElementById("job");
  var stage = document.getElementById("job-stage");
  var bar = document.getElementById("job-bar");
  if (!job || !stage || !bar) {
    return;
  }
  var url = job.getAttribute("data-progress");
  var misses = 0;

  function ask() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (found) {
        misses = 0;
        if (found.state === "done" || found.state === "failed") {
          window.location.reload();
          return;
        }
        if (stage.textContent !== found.words) {
          stage.textContent = found.words;
        }
        bar.value = found.percent;
        bar.textContent = found.percent + " %";
        window.setTimeout(ask, 1000);
      })
      .catch(function () {
        misses += 1;
        if (misses >= 5) {
          window.location.reload();
          return;
        }
        window.setTimeout(ask, 2000);
      });
  }

  window.setTimeout(ask, 500);
})();
