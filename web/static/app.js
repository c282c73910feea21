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

// -- Drafts kept server-side (暂存, web/drafts.py) ---------------------------------------------------
// A form marked data-draft="<form>:<case>" saves what is typed a moment after typing stops, and the
// page restores it on the next visit (after an expired session and a new login too), with a note
// and a way to discard it. Submitting the form names its draft (_draft) so a taken submission
// deletes it. Hidden inputs (versions, tokens) and files are never drafted.
var DRAFT_DELAY = 800;

function csrfHeaders() {
  var headers = {"Content-Type": "application/json", "Accept": "application/json"};
  try {
    var fromBody = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    if (fromBody["x-csrftoken"]) headers["x-csrftoken"] = fromBody["x-csrftoken"];
  } catch (e) { /* no token: the server refuses, the text stays in the page */ }
  return headers;
}

function draftFields(form) {
  var fields = {};
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || el.name.charAt(0) === "_" || el.disabled) return;
    var type = (el.type || "").toLowerCase();
    if (type === "hidden" || type === "file" || type === "submit" || type === "button" || type === "password") return;
    if (type === "checkbox") {
      if (!Array.isArray(fields[el.name])) fields[el.name] = [];
      if (el.checked) fields[el.name].push(el.value);
    } else if (type === "radio") {
      if (el.checked) fields[el.name] = el.value;
    } else {
      fields[el.name] = el.value;
    }
  });
  return fields;
}

function fillDraft(form, fields) {
  var changed = false;
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || !(el.name in fields)) return;
    var type = (el.type || "").toLowerCase();
    var want = fields[el.name];
    if (type === "hidden" || type === "file") return;
    if (type === "checkbox") {
      var on = Array.isArray(want) && want.indexOf(el.value) >= 0;
      if (el.checked !== on) { el.checked = on; changed = true; }
    } else if (type === "radio") {
      var pick = el.value === want;
      if (el.checked !== pick) { el.checked = pick; changed = true; }
    } else if (typeof want === "string" && el.value !== want) {
      el.value = want;
      changed = true;
    }
  });
  return changed;
}

// A save the server refused (the session ended while typing) is held in this tab only
// (sessionStorage, gone with the tab) until the person is signed in again and it reaches the server.
var PENDING = "gongkai-draft:";

function holdPending(key, fields) {
  try { window.sessionStorage.setItem(PENDING + key, JSON.stringify(fields)); } catch (e) { /* storage off */ }
}

function takePending(key) {
  try {
    var held = window.sessionStorage.getItem(PENDING + key);
    return held ? JSON.parse(held) : null;
  } catch (e) { return null; }
}

function dropPending(key) {
  try { window.sessionStorage.removeItem(PENDING + key); } catch (e) { /* storage off */ }
}

function saveDraft(form, fields) {
  var key = form.dataset.draft;
  fields = fields || draftFields(form);
  var saving = fetch("/drafts", {method: "POST", credentials: "same-origin", headers: csrfHeaders(),
                                 body: JSON.stringify({key: key, fields: fields})})
    .then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!response.ok || response.redirected || !json) throw new Error("not saved");
      return response.json();
    })
    .then(function (body) {
      dropPending(key);
      form.dataset.draftSaved = body.saved_at;
      var status = draftStatus(form);
      status.textContent = "已暂存（" + body.saved_at + "）";
      status.dataset.state = "saved";
    })
    .catch(function () {
      holdPending(key, fields);
      var status = draftStatus(form);
      status.textContent = "暂存失败（可能已退出登录）：内容暂留在本窗口，重新登录后回到本页即可恢复";
      status.dataset.state = "failed";
    })
    .then(function () { if (form._saving === saving) form._saving = null; });
  form._saving = saving;
  return saving;
}

function draftStatus(form) {
  var status = form.querySelector(".draft-status");
  if (!status) {
    status = document.createElement("span");
    status.className = "draft-status muted";
    status.setAttribute("aria-live", "polite");
    form.appendChild(status);
  }
  return status;
}

function restoreDraft(form) {
  if (form.dataset.draftChecked) return;
  form.dataset.draftChecked = "1";
  // A refused submission shows what was typed already; the draft would only repeat it.
  if (form.querySelector(".field-error") || document.getElementById("form-error")) return;
  var pending = takePending(form.dataset.draft);
  if (pending) {  // typed after the session ended: back in the form, and now on the server
    fillDraft(form, pending);
    saveDraft(form, pending).then(function () {
      if (form.dataset.draftSaved) showRestored(form, form.dataset.draftSaved);
    });
    return;
  }
  fetch("/drafts?key=" + encodeURIComponent(form.dataset.draft),
        {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (response) { return response.ok && !response.redirected ? response.json() : {draft: null}; })
    .then(function (body) {
      if (!body || !body.draft || form.dataset.dirty) return;
      if (fillDraft(form, body.draft.fields)) showRestored(form, body.draft.saved_at);
    })
    .catch(function () { /* no draft shown; the form keeps what the page holds */ });
}

function showRestored(form, savedAt) {
  var note = document.createElement("div");
  note.className = "warning draft-note";
  note.setAttribute("role", "status");
  note.textContent = "已恢复未提交的草稿（保存于 " + savedAt + "）";
  var discard = document.createElement("button");
  discard.type = "button";
  discard.className = "secondary";
  discard.dataset.draftDiscard = "";
  discard.textContent = "放弃草稿";
  note.appendChild(document.createTextNode(" "));
  note.appendChild(discard);
  form.insertBefore(note, form.firstChild);
}

function restoreDrafts(root) {
  var forms = Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll("form[data-draft]") : []);
  if (root.matches && root.matches("form[data-draft]")) forms.push(root);
  forms = forms.filter(function (form) { return !form.dataset.draftChecked; });
  if (!forms.length) return;
  // One question for the page (the board holds a form per row), then only the forms with a draft.
  fetch("/drafts/keys", {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (response) { return response.ok && !response.redirected ? response.json() : {keys: []}; })
    .then(function (body) {
      forms.forEach(function (form) {
        var key = form.dataset.draft;
        if ((body.keys || []).indexOf(key) >= 0 || takePending(key)) restoreDraft(form);
      });
    })
    .catch(function () { /* no drafts shown */ });
}

document.addEventListener("DOMContentLoaded", function () { restoreDrafts(document); });
document.addEventListener("htmx:load", function (event) { restoreDrafts(event.target); });

function typedIn(event) {
  var form = event.target instanceof Element ? event.target.closest("form") : null;
  if (!form || (form.method || "").toLowerCase() !== "post") return;
  form.dataset.dirty = "1";  // a refresh of the region holding it waits (below)
  if (!form.dataset.draft) return;
  clearTimeout(form._draftTimer);
  form._draftTimer = setTimeout(function () { form._draftTimer = null; saveDraft(form); }, DRAFT_DELAY);
}
document.addEventListener("input", typedIn);
document.addEventListener("change", typedIn);

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.draft) return;
  if ((form._draftTimer || form._saving) && !form.dataset.flushed) {
    // Typed since the last save: saved first, then submitted (so a submission the server cannot
    // take, its session ended, still finds the text after login, and a taken one deletes it after).
    event.preventDefault();
    var submitter = event.submitter;
    var saved = form._draftTimer ? saveDraft(form) : form._saving;
    clearTimeout(form._draftTimer);
    form._draftTimer = null;
    saved.then(function () {
      form.dataset.flushed = "1";
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    });
    return;
  }
  clearTimeout(form._draftTimer);
  var named = form.querySelector('input[name="_draft"]');
  if (!named) {
    named = document.createElement("input");
    named.type = "hidden";
    named.name = "_draft";
    form.appendChild(named);
  }
  named.value = form.dataset.draft;
});

document.addEventListener("click", function (event) {
  var button = event.target instanceof Element ? event.target.closest("[data-draft-discard]") : null;
  var form = button ? button.closest("form[data-draft]") : null;
  if (!form) return;
  fetch("/drafts/discard", {method: "POST", credentials: "same-origin", headers: csrfHeaders(),
                            body: JSON.stringify({key: form.dataset.draft})})
    .then(function () { window.location.reload(); });
});

// -- Refreshing fragments never replace a form being edited -------------------------------------------
// A region that refreshes itself (hx-trigger "every …": the board, the inbox, the incident board)
// waits while it holds a form the person has typed in or is typing in; the next tick tries again.
// A field marked hx-preserve (with its id) survives the swap as it is, so it does not hold the
// refresh: the incident board's countdowns keep running while a 督办 note is being written.
function kept(field) {
  return field.type === "hidden" || field.type === "submit" || field.tagName === "BUTTON" ||
    (field.id && field.hasAttribute("hx-preserve"));
}
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail.elt;
  var trigger = elt && elt.getAttribute ? elt.getAttribute("hx-trigger") || "" : "";
  if (trigger.indexOf("every ") < 0) return;
  var target = event.detail.target || elt;
  var active = document.activeElement;
  var editing = active && active.form && target.contains(active) && !kept(active);
  var dirty = Array.prototype.some.call(target.querySelectorAll("form[data-dirty]"), function (form) {
    return !Array.prototype.every.call(form.elements, kept);
  });
  if (editing || dirty) {
    event.preventDefault();
    target.dataset.refreshHeld = String(Date.now());  // shown to tests and curious readers
  }
});

// A background refresh (hx-trigger "every …", such as the header's 待阅 count) that finds the session
// ended takes the whole window to the login (HX-Redirect), unless a form on the page has been typed
// in: what was typed would go with it. Then the next thing the person does leads there, and what
// they typed is kept (drafts, above).
document.addEventListener("htmx:beforeOnLoad", function (event) {
  var elt = event.detail.elt;
  var trigger = elt && elt.getAttribute ? elt.getAttribute("hx-trigger") || "" : "";
  var xhr = event.detail.xhr;
  if (trigger.indexOf("every ") < 0 || !xhr || !xhr.getResponseHeader("HX-Redirect")) return;
  if (document.querySelector("form[data-dirty]")) event.preventDefault();
});

// -- A publication item's channels follow its kind (or catalogue entry) -------------------------------
// Choosing a kind or a catalogue entry ticks the channels it must reach by default (data-channels on
// the option); the person may change them afterwards. Without scripts the form still works.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select || !select.hasAttribute || !select.hasAttribute("data-channel-defaults")) return;
  var option = select.options[select.selectedIndex];
  var wanted = option ? (option.getAttribute("data-channels") || "").split(" ").filter(Boolean) : [];
  if (!wanted.length || !select.form) return;
  Array.prototype.forEach.call(select.form.querySelectorAll('input[name="channels"]'), function (box) {
    box.checked = wanted.indexOf(box.value) >= 0;
  });
});
