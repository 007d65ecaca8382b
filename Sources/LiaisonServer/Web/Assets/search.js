// Search as you type: the results refresh from the server as the officer types. Without this
// script the form still searches when it is sent.
"use strict";
(function () {
  var form = document.getElementById("search-form");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch) return;
  var timer = null;
  var latest = 0;
  function refresh() {
    var query = new URLSearchParams(new FormData(form));
    var asked = ++latest;
    fetch("/search/results?" + query.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // A session that ended leads to the sign-in page: go there rather than show it in the results.
        if (response.redirected) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || asked !== latest) return;
        results.innerHTML = html;
        history.replaceState(null, "", "/search?" + query.toString());
      })
      .catch(function () {});
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
