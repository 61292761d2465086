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

// Confirmations: every form or button with hx-confirm="question" asks in one styled <dialog> ("No" / "Yes, do
// it"), never the browser's confirm(). Its answers are the element's data-confirm-yes/-no labels, else those of the
// nearest ancestor that has them (#page in base.html carries the default ones, in the page's language).
function confirmLabeller(elt) {
  return elt.closest ? elt.closest("[data-confirm-yes]") : null;
}

document.addEventListener("htmx:confirm", function (event) {
  var elt = event.detail.elt;
  if (!event.detail.question || !elt.closest || !confirmLabeller(elt)) return;
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
  var labels = confirmLabeller(elt) || elt;
  no.textContent = labels.getAttribute("data-confirm-no") || "No";
  var yes = document.createElement("button");
  yes.type = "button";
  yes.textContent = labels.getAttribute("data-confirm-yes");
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
// user is deciding about stays where it is. A hidden tab does not poll either.
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail.elt;
  if (!elt.hasAttribute || !elt.hasAttribute("data-poll")) return;
  if (document.querySelector("dialog.confirm[open]") || document.hidden) {
    event.preventDefault();
  } else if (elt.canalSkip > 0) {
    elt.canalSkip--;
    event.preventDefault();
  }
});

// Polls answered 304 (nothing changed, blueprints/imports/views.py) in a row space out: the next one after the
// first comes at the interval, after the second at twice and then at 4 times it (2, 4, 8 s on My imports: a
// change shows within 8 s), which bench/polling.py measures. A change swaps in a new region, which starts over.
document.addEventListener("htmx:afterRequest", function (event) {
  var elt = event.detail.elt;
  if (elt.hasAttribute && elt.hasAttribute("data-poll") && event.detail.xhr && event.detail.xhr.status === 304) {
    elt.canalUnchanged = Math.min((elt.canalUnchanged || 0) + 1, 3);
    elt.canalSkip = Math.pow(2, elt.canalUnchanged - 1) - 1;
  }
});

// A refused form keeps what was typed across a reload. The server leaves the address bar on the page the form
// was sent from (blueprints/__init__.py, _keep_a_reloadable_url); the values wait in this tab's sessionStorage
// until that page is reloaded (they are put back), the form is accepted, or the tab shows another page.
// Passwords, files and hidden inputs (the CSRF token, one-time tokens) are never kept.
var FORM_DRAFTS = "canal:form-drafts";

function currentPage() { return location.pathname + location.search; }

function readDrafts() {
  var drafts = null;
  try { drafts = JSON.parse(sessionStorage.getItem(FORM_DRAFTS) || "null"); } catch (e) { drafts = null; }
  return drafts && drafts.page === currentPage() ? drafts : {page: currentPage(), forms: {}};
}

function writeDrafts(drafts) {
  try {
    if (Object.keys(drafts.forms).length) sessionStorage.setItem(FORM_DRAFTS, JSON.stringify(drafts));
    else sessionStorage.removeItem(FORM_DRAFTS);
  } catch (e) { /* storage disabled or full: nothing is kept */ }
}

function draftKey(form) { return form.getAttribute("action") || form.getAttribute("hx-post") || form.id || ""; }

function draftFields(form) {
  return Array.prototype.filter.call(form.elements, function (el) {
    return el.name && el.name !== "csrf_token" && !/^(password|file|hidden|submit|button|reset|image)$/.test(el.type);
  });
}

function draftOf(form) {
  var values = {};
  draftFields(form).forEach(function (el) {
    var list = values[el.name] || (values[el.name] = []);
    if (el.type === "checkbox" || el.type === "radio") {
      if (el.checked) list.push(el.value);
    } else if (el.type === "select-multiple") {
      Array.prototype.forEach.call(el.selectedOptions, function (option) { list.push(option.value); });
    } else {
      list.push(el.value);
    }
  });
  return values;
}

function restoreDraft(form, values) {
  var seen = {};
  draftFields(form).forEach(function (el) {
    var list = values[el.name];
    if (!list) return;
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = list.indexOf(el.value) !== -1;
    } else if (el.type === "select-multiple") {
      Array.prototype.forEach.call(el.options, function (option) { option.selected = list.indexOf(option.value) !== -1; });
    } else {
      var index = seen[el.name] || 0;
      seen[el.name] = index + 1;
      var value = list[index];
      var offered = el.tagName !== "SELECT" || Array.prototype.some.call(el.options, function (o) { return o.value === value; });
      if (value !== undefined && offered) el.value = value;
    }
  });
  var details = form.closest("details");  // e.g. "Send to another address": show the form that was being filled
  if (details) details.open = true;
}

function formOf(elt) {
  if (!elt || !elt.tagName) return null;
  return elt.tagName === "FORM" ? elt : (elt.form || elt.closest("form"));
}

document.addEventListener("htmx:beforeSwap", function (event) {
  var config = event.detail.requestConfig || {};
  var form = formOf(config.elt);
  if (!form || !config.verb || config.verb.toLowerCase() === "get") return;
  var drafts = readDrafts();
  var status = event.detail.xhr.status;
  if (status === 422) {
    drafts.forms[draftKey(form)] = draftOf(form);
  } else if (status < 400) {
    delete drafts.forms[draftKey(form)];
  } else {
    return;
  }
  writeDrafts(drafts);
});

function updateDraft(event) {  // typing after the error: the latest values are what a reload brings back
  var form = formOf(event.target);
  if (!form) return;
  var drafts = readDrafts();
  if (!drafts.forms[draftKey(form)]) return;
  drafts.forms[draftKey(form)] = draftOf(form);
  writeDrafts(drafts);
}
document.addEventListener("input", updateDraft);
document.addEventListener("change", updateDraft);

function forgetOtherPagesDrafts() { writeDrafts(readDrafts()); }  // readDrafts() is empty for another page
document.addEventListener("htmx:pushedIntoHistory", forgetOtherPagesDrafts);
document.addEventListener("htmx:replacedInHistory", forgetOtherPagesDrafts);

document.addEventListener("DOMContentLoaded", function () {
  var navigation = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
  var drafts = readDrafts();
  if (!navigation || navigation.type !== "reload") {
    drafts.forms = {};  // a new visit starts empty
  } else {
    Array.prototype.forEach.call(document.forms, function (form) {
      var values = drafts.forms[draftKey(form)];
      if (values) restoreDraft(form, values);
    });
  }
  writeDrafts(drafts);
});

// The header's links fold into "Menu" on a narrow screen (base.html renders the <details> open, so without this
// script every link stays on screen). A boosted navigation renders a new header: folded again.
var NARROW = window.matchMedia("(max-width: 767px)");
function fitSiteMenu() {
  var menu = document.getElementById("site-menu");
  if (menu) menu.open = !NARROW.matches;
}
document.addEventListener("DOMContentLoaded", fitSiteMenu);
document.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.elt === document.body || event.detail.elt.querySelector && event.detail.elt.querySelector("#site-menu")) fitSiteMenu();
});
NARROW.addEventListener("change", fitSiteMenu);

// Back to a search page restores htmx's snapshot of it: copy what was typed into the value attribute first, so
// the search box shows the query of the results it stands above.
document.addEventListener("htmx:beforeHistorySave", function () {
  document.querySelectorAll("input[type=search]").forEach(function (input) { input.setAttribute("value", input.value); });
});
