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
