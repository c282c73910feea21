// The pages' few behaviours, here rather than inline: the Content-Security-Policy runs scripts
// from our own files only. Listeners sit on the document, so content htmx swaps in works too.
"use strict";

document.addEventListener("submit", function (event) {
  // A reply draft: the disposition follows the chosen reason (without JavaScript the form shows a
  // separate disposition select instead, in <noscript>).
  var form = event.target;
  var reason = form.querySelector("#reason-select");
  var disposition = form.querySelector("#disposition-field");
  if (reason && disposition && reason.selectedOptions.length) {
    disposition.value = reason.selectedOptions[0].dataset.disposition;
  }
});

document.addEventListener("click", function (event) {
  var target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  if (target.closest("[data-print]")) {
    window.print();
  } else if (target.closest("a[data-back]") && window.history.length > 1) {
    event.preventDefault();  // the link itself leads home
    window.history.back();
  }
});

document.addEventListener("htmx:beforeSwap", function (event) {
  // The register's refusals (a date it cannot use, an export too large) come as 400 with the
  // results' fragment saying why: show it, as the page would without htmx.
  var detail = event.detail;
  if (detail.xhr.status === 400 && detail.target && detail.target.id === "register-results") {
    detail.shouldSwap = true;
    detail.isError = false;
  }
});
