// Canal's few behaviours that htmx attributes don't cover. Loaded as a file: the CSP allows no inline script.
document.addEventListener("htmx:responseError", function (event) {
  // A failed htmx request (403, 404, 500...) is not swapped; tell the user instead of doing nothing.
  var flashes = document.getElementById("flashes");
  if (!flashes) return;
  var p = document.createElement("p");
  p.className = "flash flash-error";
  p.setAttribute("role", "alert");
  p.textContent = (document.documentElement.lang === "es" ? "No se pudo completar la acción (" : "The action could not be completed (") + event.detail.xhr.status + ").";
  flashes.replaceChildren(p);
});

// The login form tells the server the browser's time zone, used as the user's default at first login.
function fillBrowserTimezone(root) {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  root.querySelectorAll("input[data-browser-timezone]").forEach(function (input) { input.value = zone; });
}
document.addEventListener("DOMContentLoaded", function () { fillBrowserTimezone(document); });
document.addEventListener("htmx:load", function (event) { fillBrowserTimezone(event.detail.elt); });

// Confirmations: a form or button with hx-confirm="question" and data-confirm-yes/-no labels asks in a
// <dialog> ("No" / "Yes, do it") instead of the browser's confirm(). Elements without the labels keep confirm().
document.addEventListener("htmx:confirm", function (event) {
  var elt = event.detail.elt;
  if (!event.detail.question || !elt.hasAttribute || !elt.hasAttribute("data-confirm-yes")) return;
  event.preventDefault();
  if (elt.hasAttribute("data-confirmed")) {  // re-submitted after "yes" (see below): go ahead
    elt.removeAttribute("data-confirmed");
    event.detail.issueRequest(true);
    return;
  }
  askToConfirm(elt, event.detail.question, function () {
    // A polling table may have replaced the element while the dialog was open: use its successor.
    var current = elt.isConnected ? elt : (elt.id ? document.getElementById(elt.id) : null);
    if (current === elt) {
      event.detail.issueRequest(true);
    } else if (current && current.requestSubmit) {
      current.setAttribute("data-confirmed", "");
      current.requestSubmit();
    }
  });
});

function askToConfirm(elt, question, onYes) {
  var dialog = document.createElement("dialog");
  dialog.className = "confirm";
  var article = document.createElement("article");
  var text = document.createElement("p");
  text.textContent = question;
  var footer = document.createElement("footer");
  var no = document.createElement("button");
  no.type = "button";
  no.className = "secondary";
  no.textContent = elt.getAttribute("data-confirm-no") || "No";
  var yes = document.createElement("button");
  yes.type = "button";
  yes.textContent = elt.getAttribute("data-confirm-yes");
  no.addEventListener("click", function () { dialog.close(); });
  yes.addEventListener("click", function () { dialog.close(); onYes(); });
  dialog.addEventListener("close", function () { dialog.remove(); });
  footer.append(no, yes);
  article.append(text, footer);
  dialog.append(article);
  document.body.append(dialog);
  dialog.showModal();
  no.focus();
}

// While a confirmation dialog is open, polling regions (data-poll) skip their refresh, so the row the
// user is deciding about stays where it is.
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail.elt;
  if (elt.hasAttribute && elt.hasAttribute("data-poll") && document.querySelector("dialog.confirm[open]")) {
    event.preventDefault();
  }
});
