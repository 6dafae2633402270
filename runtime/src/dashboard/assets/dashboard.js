// The task dashboard's script: live counts from the server's events, and
// the action buttons sent without leaving the page. The pages read the
// same without it.
"use strict";

// Each element with `data-count="durable.states.queued"` shows that path
// of the overview the events carry. A table of rows (`data-rows`) whose
// list grew or shrank is read again whole: its rows are by position.
function show(overview) {
  for (const table of document.querySelectorAll("[data-rows]")) {
    let rows = overview;
    for (const key of table.dataset.rows.split(".")) {
      rows = rows == null ? undefined : rows[key];
    }
    if (Array.isArray(rows) && String(rows.length) !== table.dataset.length) {
      location.reload();
      return;
    }
  }
  for (const element of document.querySelectorAll("[data-count]")) {
    let value = overview;
    for (const key of element.dataset.count.split(".")) {
      value = value == null ? undefined : value[key];
    }
    if (value !== undefined && value !== null) {
      element.textContent = typeof value === "number" && !Number.isInteger(value)
        ? value.toFixed(2)
        : String(value);
    }
  }
}

const live = document.getElementById("live");
const events = document.body.dataset.events;
if (events && window.EventSource) {
  const source = new EventSource(events);
  source.addEventListener("overview", (event) => {
    show(JSON.parse(event.data));
    if (live) live.textContent = "live";
  });
  source.addEventListener("error", () => {
    if (live) live.textContent = "reconnecting";
  });
}

// An action's form, sent as JSON: the answer is shown, then the page is
// read again with the call's new state.
for (const form of document.querySelectorAll("form[data-action]")) {
  form.addEventListener("submit", async (submit) => {
    submit.preventDefault();
    const notice = document.getElementById("notice");
    const response = await fetch(form.action, {
      method: "POST",
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    const state = answer.status ? answer.status.state : "";
    notice.hidden = false;
    notice.className = response.ok ? "notice" : "notice refused";
    notice.textContent = response.ok
      ? `${form.dataset.action}: done, the call is ${state}`
      : `${form.dataset.action}: refused (${response.status}) ${answer.detail || ""}`;
    const stateCell = document.getElementById("state");
    if (stateCell && state) stateCell.textContent = state;
  });
}
