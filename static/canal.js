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

// Polls space out while nothing changes and come closer as things do: each poll answered 304 (nothing changed,
// blueprints/imports/views.py) moves the region's level up one, to 3 at most, and each answered with only the
// rows that changed (HX-Reswap: none, the rows out of band) moves it down one; the next poll comes after the
// interval at levels 0 and 1, twice it at 2, 4 times it at 3 (2, 4, 8 s on My imports: a change shows within
// 8 s, and an import that moves at every poll is polled every 2 s). bench/polling.py (next_poll) measures this
// rule. A poll answered with the whole table swaps in a new region, which starts at level 0; one answered with
// the moved rows keeps its region, which from then on names the version it was given (its ETag).
document.addEventListener("htmx:afterRequest", function (event) {
  var elt = event.detail.elt, xhr = event.detail.xhr;
  if (!elt.hasAttribute || !elt.hasAttribute("data-poll") || !xhr) return;
  var level = elt.canalLevel || 0;
  if (xhr.status === 304) {
    level = Math.min(level + 1, 3);
  } else if (xhr.status === 200 && elt.isConnected && xhr.getResponseHeader("HX-Reswap") === "none"
             && xhr.getResponseHeader("ETag")) {
    elt.setAttribute("hx-headers", JSON.stringify({"If-None-Match": xhr.getResponseHeader("ETag")}));
    level = Math.max(level - 1, 0);
  } else {
    return;
  }
  elt.canalLevel = level;
  elt.canalSkip = Math.pow(2, Math.max(level - 1, 0)) - 1;
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

// After an htmx swap the keyboard focus goes to what changed, and what it says is read out (issue 23, a11y):
// a refused form's first invalid field (or its autofocus field if that is empty: a password to type again); in
// content swapped in place of the focused control (Add to cart), the same control again; on a new page (a boosted
// link or form), the main region. A swap that left the focused control alone (search as you type, a poll
// elsewhere) leaves the focus there. The status and alert messages and field errors of a swap the user asked for
// (not a poll), and a new page's title, go to #announcer: a live region that is already in the page when its text
// changes (one that arrives with the swap is not read by every screen reader).
var swapFocus = null;

function controlKey(elt) {  // what tells a control from the others: one "Update" button per cart line, by its form
  var form = elt.form ? elt.form.getAttribute("action") || "" : "";
  return [elt.tagName, form, elt.name || "", elt.getAttribute("type") || "", (elt.textContent || "").trim()].join("|");
}

document.addEventListener("htmx:beforeSwap", function (event) {
  var active = document.activeElement;
  swapFocus = event.detail.shouldSwap ? {xhr: event.detail.xhr, key: active && active !== document.body ? controlKey(active) : null} : null;
});

// The live region sits in a closed shadow root: screen readers read it, while the page's text (and a test's search
// for a message by its text) finds each message once, where it is shown; data-announced holds what was read out.
function announcer() {
  var host = document.getElementById("announcer");
  if (!host) {
    host = document.createElement("div");
    host.id = "announcer";
    host.className = "visually-hidden";
    var region = document.createElement("div");
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-atomic", "true");
    host.attachShadow({mode: "closed"}).append(region);
    host.canalRegion = region;
    (document.getElementById("main") || document.body).append(host);
  }
  return host;
}

function announce(text) {
  var host = announcer();
  host.canalRegion.textContent = "";
  host.setAttribute("data-announced", "");
  if (text) {
    setTimeout(function () {  // a change, even to the same text
      host.canalRegion.textContent = text;
      host.setAttribute("data-announced", text);
    }, 50);
  }
}

function messagesOf(region) {  // its status and alert messages and its fields' errors, each once
  var messages = [];
  region.querySelectorAll("[role=status], [role=alert], .field-error").forEach(function (el) {
    var text = el.textContent.replace(/\s+/g, " ").trim();
    if (text && messages.indexOf(text) === -1) messages.push(text);
  });
  return messages;
}

function sentences(texts) {
  return texts.map(function (text) { return /[.!?:]$/.test(text) ? text : text + "."; }).join(" ");
}

function sameControl(region, key) {
  var controls = region.querySelectorAll("button, input, select, textarea, a[href]");
  for (var i = 0; i < controls.length; i++) if (controlKey(controls[i]) === key) return controls[i];
  return null;
}

function focusRegion(region) {
  if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
  region.focus({preventScroll: true});
}

document.addEventListener("htmx:afterSettle", function (event) {
  var detail = event.detail;
  if (!swapFocus || swapFocus.xhr !== detail.xhr) return;
  var key = swapFocus.key;
  swapFocus = null;
  var target = detail.target;
  var region = target && target.isConnected ? target : (target && target.id ? document.getElementById(target.id) : null);
  if (!region) return;
  var newPage = detail.boosted || region === document.body;
  var polled = detail.elt && detail.elt.hasAttribute && detail.elt.hasAttribute("data-poll");
  var title = newPage && detail.xhr.status < 400 ? [document.title] : [];  // a refused form's page: its errors
  if (!polled) announce(sentences(title.concat(messagesOf(region))));
  var active = document.activeElement;
  var lost = !active || active === document.body || !active.isConnected;
  var invalid = region.querySelector("[aria-invalid=true]");
  var retype = active && active.hasAttribute("autofocus") && !active.value;  // the server's choice: a password again
  if (invalid && (lost || region.contains(active) && !retype)) {
    invalid.focus();
  } else if (lost) {
    var same = !newPage && key && sameControl(region, key);
    if (same) same.focus();
    else focusRegion(newPage ? document.getElementById("main") || region : region);
  }
});

// A table that scrolls inside its own box (on a phone, canal.css) can be reached with the keyboard and scrolled
// with the arrow keys: it takes the focus while it is wider than its box.
function focusableScrollingTables() {
  document.querySelectorAll("table").forEach(function (table) {
    var scrolls = table.scrollWidth > table.clientWidth + 1;
    if (scrolls && !table.hasAttribute("tabindex")) {
      table.setAttribute("tabindex", "0");
      table.setAttribute("data-scroll-focus", "");
    } else if (!scrolls && table.hasAttribute("data-scroll-focus")) {
      table.removeAttribute("tabindex");
      table.removeAttribute("data-scroll-focus");
    }
  });
}
document.addEventListener("DOMContentLoaded", focusableScrollingTables);
document.addEventListener("htmx:afterSettle", focusableScrollingTables);
window.addEventListener("resize", focusableScrollingTables);

// Back to a search page restores htmx's snapshot of it: copy what was typed into the value attribute first, so
// the search box shows the query of the results it stands above.
document.addEventListener("htmx:beforeHistorySave", function () {
  document.querySelectorAll("input[type=search]").forEach(function (input) { input.setAttribute("value", input.value); });
});
