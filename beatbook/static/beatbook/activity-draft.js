// The quick activity form, for a phone in the street with a poor signal.
//
// Progressive enhancement: without this script the form is an ordinary POST. With it:
// - every change is kept in localStorage (one draft per person), and a draft that was not
//   sent is put back when the form is opened again, with a banner offering to discard it;
// - the form is sent with fetch(), so losing the signal does not lose the page: the draft
//   stays and a message says so, and pressing the button again retries. The hidden
//   client_id travels with the draft, so a retry of a form that did arrive makes no copy;
// - a form the server refused (errors) replaces the page's main content, errors and all;
// - a draft not sent within DRAFT_MAX_AGE_MS is thrown away unseen (anyone's, on any page
//   that loads this script): a shared phone must not keep what residents said for ever.
//   Signing out clears the site's storage too (the Clear-Site-Data header).
//
// All the words shown come from the page (<template> elements), so they are translated;
// nothing here needs inline script or style, so it runs under the strict CSP.

import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

const SEND_TIMEOUT_MS = 60000;
const DRAFT_MAX_AGE_MS = 72 * 60 * 60 * 1000;

function storageGet(key) {
  try {
    const text = window.localStorage.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null; // Storage refused (private browsing) or a damaged draft: start afresh.
  }
}

function storageSet(key, value) {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Full or refused: the form still works, only without a draft.
  }
}

function storageRemove(key) {
  try {
    window.localStorage.removeItem(key);
  } catch {
    // Nothing to do.
  }
}

// A draft saved more than DRAFT_MAX_AGE_MS ago (or with no time: not one this script
// wrote) is stale. Either way round, so a phone clock set far ahead does not keep one.
function isStale(draft) {
  const age = Date.now() - Number(draft && draft.savedAt);
  return !Number.isFinite(age) || Math.abs(age) > DRAFT_MAX_AGE_MS;
}

// Delete every stale draft whose key starts like `key` (every person's, not only this one's).
function forgetStaleDrafts(key) {
  const prefix = key.slice(0, key.lastIndexOf(".") + 1);
  try {
    const keys = Array.from({ length: window.localStorage.length }, (_, i) => window.localStorage.key(i));
    for (const stored of keys) {
      if (stored && stored.startsWith(prefix) && isStale(storageGet(stored))) storageRemove(stored);
    }
  } catch {
    // Storage refused: there is nothing kept to forget.
  }
}

function draftable(element) {
  return (
    element.name &&
    element.name !== "csrfmiddlewaretoken" &&
    !["submit", "button", "reset", "file"].includes(element.type)
  );
}

function readForm(form) {
  const fields = {};
  for (const element of form.elements) {
    if (!draftable(element)) continue;
    if (element.type === "checkbox" || element.type === "radio") {
      fields[element.name] = fields[element.name] || [];
      if (element.checked) fields[element.name].push(element.value);
    } else if (element.tagName === "SELECT" && element.multiple) {
      fields[element.name] = Array.from(element.selectedOptions, (option) => option.value);
    } else {
      fields[element.name] = [element.value];
    }
  }
  return fields;
}

function fillForm(form, fields) {
  for (const element of form.elements) {
    if (!draftable(element) || !(element.name in fields)) continue;
    const values = fields[element.name];
    if (element.type === "checkbox" || element.type === "radio") {
      element.checked = values.includes(element.value);
    } else if (element.tagName === "SELECT" && element.multiple) {
      for (const option of element.options) option.selected = values.includes(option.value);
    } else {
      element.value = values[0] ?? "";
    }
  }
}

function showMessage(status, templateId) {
  const template = document.getElementById(templateId);
  status.replaceChildren(template ? template.content.cloneNode(true) : "");
}

// The page a saved activity redirects to: <list>/<id>/ (anything else, such as the sign-in
// page after the session ended, means the activity was not saved).
function isSavedActivity(url, prefix) {
  const path = new URL(url).pathname;
  return path.startsWith(prefix) && /^\d+\/$/.test(path.slice(prefix.length));
}

function enhanceForm(form, { restore }) {
  const key = form.dataset.bbDraftKey;
  const prefix = form.dataset.bbSavedPrefix;
  const status = document.getElementById("activity-send-status");
  const banner = document.getElementById("activity-draft-restored");
  const discard = document.getElementById("activity-draft-discard");
  const button = form.querySelector("button[type=submit]");
  const clientId = form.elements.namedItem("client_id");
  const freshClientId = clientId ? clientId.value : "";
  let sending = false;

  const save = () => storageSet(key, { savedAt: Date.now(), fields: readForm(form) });

  const draft = restore ? storageGet(key) : null;
  if (draft && draft.fields) {
    fillForm(form, draft.fields);
    if (banner) banner.hidden = false;
  }

  form.addEventListener("input", save);
  form.addEventListener("change", save);

  if (discard) {
    discard.addEventListener("click", () => {
      storageRemove(key);
      form.reset();
      // reset() leaves a hidden input's value as last set, so put the fresh id back.
      if (clientId) clientId.value = freshClientId;
      if (banner) banner.hidden = true;
      if (status) showMessage(status, "activity-message-discarded");
      const first = form.querySelector("select, input:not([type=hidden]), textarea");
      if (first) first.focus();
    });
  }

  const offline = () => {
    save();
    if (status) showMessage(status, "activity-message-offline");
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    save();
    if (navigator.onLine === false) {
      offline();
      return;
    }
    sending = true;
    if (button) button.setAttribute("aria-disabled", "true");
    if (status) showMessage(status, "activity-message-sending");
    const body = new FormData(form);
    const token = body.get("csrfmiddlewaretoken");
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), SEND_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: token ? { "X-CSRFToken": token } : {},
        redirect: "follow",
        signal: controller.signal,
      });
    } catch {
      // No signal, or too slow: the draft is kept; sending again is safe (same client_id).
      response = null;
    } finally {
      window.clearTimeout(timer);
      sending = false;
      if (button) button.removeAttribute("aria-disabled");
    }
    if (response === null) {
      offline();
      return;
    }
    if (response.ok && response.redirected && isSavedActivity(response.url, prefix)) {
      storageRemove(key);
      window.location.assign(response.url);
      return;
    }
    if (response.ok && response.redirected) {
      // Signed out meanwhile: the draft stays and comes back after signing in.
      window.location.assign(response.url);
      return;
    }
    if (response.ok && showReturnedPage(await response.text())) return;
    // Anything else (refused, a server error): send it the ordinary way so the server's page shows.
    form.submit();
  });
}

// Put the server's answer (the form with its errors) in place of this page's main content.
function showReturnedPage(html) {
  const returned = new DOMParser().parseFromString(html, "text/html");
  const newMain = returned.querySelector("main");
  const main = document.querySelector("main");
  const newForm = newMain && newMain.querySelector("form[data-bb-draft-key]");
  if (!main || !newForm) return false;
  main.replaceChildren(...Array.from(newMain.childNodes, (node) => document.importNode(node, true)));
  document.title = returned.title;
  // The error summary takes focus when it starts, so it is read out first.
  initAll({ scope: main });
  // What was typed is in the returned form already; keep saving it, without the banner.
  enhanceForm(main.querySelector("form[data-bb-draft-key]"), { restore: false });
  return true;
}

// After a successful save (also one sent without this script), forget the draft that arrived.
function forgetSentDraft() {
  const marker = document.querySelector("[data-bb-draft-sent]");
  if (!marker) return;
  const key = marker.dataset.bbDraftSent;
  const draft = storageGet(key);
  const sentId = draft && draft.fields && draft.fields.client_id ? draft.fields.client_id[0] : null;
  if (sentId === marker.dataset.bbClientId) storageRemove(key);
}

const draftKeyHolder = document.querySelector("[data-bb-draft-key], [data-bb-draft-sent]");
if (draftKeyHolder) forgetStaleDrafts(draftKeyHolder.dataset.bbDraftKey || draftKeyHolder.dataset.bbDraftSent);
forgetSentDraft();
const quickForm = document.querySelector("form[data-bb-draft-key]");
if (quickForm) enhanceForm(quickForm, { restore: true });
