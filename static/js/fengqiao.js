/* Fengqiao's few behaviours, kept out of the pages so a CSP without 'unsafe-inline' holds. */
(function () {
  "use strict";

  // Intake: add one more party row by cloning the formset's empty form.
  function addFormsetRow(button) {
    var prefix = button.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var target = document.getElementById(prefix + "-rows");
    if (!total || !template || !target) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    while (holder.firstElementChild) target.appendChild(holder.firstElementChild);
    total.value = String(index + 1);
    if (window.htmx) window.htmx.process(target);
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-formset-add]");
    if (add) {
      event.preventDefault();
      addFormsetRow(add);
      return;
    }
    var print = event.target.closest("[data-print]");
    if (print) {
      event.preventDefault();
      window.print();
    }
  });

  // htmx shows no 4xx answer by default; a 429 (too many requests in a while) is a message for
  // the user, so it replaces the request's target like any answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Filter selects submit their form at once (the submit button stays for keyboards and no-JS).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) el.form.requestSubmit();
  });

  // Requests from an element marked data-idle-background (a panel refreshing itself, an upload's
  // progress) are not use of the system: the header tells the server not to restart its idle clock.
  var background = function (event) {
    var elt = event.detail && event.detail.elt;
    return !!(elt && elt.closest && elt.closest("[data-idle-background]"));
  };
  document.addEventListener("htmx:configRequest", function (event) {
    if (background(event)) event.detail.headers["X-Fengqiao-Background"] = "1";
  });

  // The idle timeout (等保 level 3): a warning a minute before the server ends an unused session;
  // "continue" is a request, which starts the server's idle clock again. At the end, a reload
  // shows the sign-in page (the server has signed the session out). The time left is the
  // server's: the page's data-idle-timeout, then each answer's X-Fengqiao-Idle-Left (background
  // answers included: they tell the time left without adding to it).
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  if (timeout > 0) {
    var warning = document.getElementById("idle-warning");
    var warnTimer, endTimer;
    var arm = function (left) {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      if (warning) warning.hidden = left > 60;
      warnTimer = setTimeout(function () { if (warning) warning.hidden = false; }, Math.max(left - 60, 0) * 1000);
      endTimer = setTimeout(function () { window.location.reload(); }, (Math.max(left, 0) + 2) * 1000);
    };
    var rearm = function (header) {
      var left = parseInt(header || "", 10);
      if (!isNaN(left)) arm(left);
    };
    arm(timeout);
    document.addEventListener("click", function (event) {
      if (!event.target.closest("[data-idle-continue]")) return;
      fetch(body.getAttribute("data-keepalive-url"), { credentials: "same-origin" }).then(function (response) {
        rearm(response.headers.get("X-Fengqiao-Idle-Left"));
      });
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      var xhr = event.detail && event.detail.xhr;
      if (xhr) rearm(xhr.getResponseHeader("X-Fengqiao-Idle-Left"));
    });
  }
})();
