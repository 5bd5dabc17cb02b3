"use strict";
// The review page. Served as a file: the Content-Security-Policy allows no inline script.
// Unsaved text lives in localStorage until the server confirms the save, so a refresh or a
// stopped server loses nothing. All article text goes through textContent/value, never innerHTML.
const body = document.getElementById("segments"), statusLine = document.getElementById("status");
const csrf = document.querySelector("meta[name=csrf-token]").content;
const rows = [...document.querySelectorAll("tr.segment")];
const key = row => `vi2en:${body.dataset.doc}:${row.id}`;

function say(text) { statusLine.textContent = text; }
function area(row) { return row.querySelector("textarea.edit"); }
function setState(row, text) { row.querySelector(".state").textContent = text; }
function grow(box) { box.style.height = "auto"; box.style.height = `${box.scrollHeight + 2}px`; }
function markUnsaved(row, unsaved) {
  row.classList.toggle("unsaved", unsaved);
  if (unsaved) { setState(row, "unsaved"); localStorage.setItem(key(row), JSON.stringify({en: area(row).value, version: +row.dataset.version})); }
  else localStorage.removeItem(key(row));
}

async function post(path, data) {
  // The CSRF token travels in a header; a page of another site can neither read it nor set it.
  let response, reply;
  try {
    response = await fetch(body.dataset.base + path, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify(data)});
  } catch (e) { return {response: null, reply: null}; }
  try { reply = await response.json(); } catch (e) { reply = {error: `${response.status} ${response.statusText}`}; }
  return {response, reply};
}

function showEntry(entry) {
  // Redraw a row from the server's answer: text, version, status and the re-checked flags.
  const row = document.getElementById(entry.id);
  if (!row) return;
  row.dataset.version = entry.version; area(row).dataset.saved = entry.en; area(row).value = entry.en; grow(area(row));
  markUnsaved(row, false);
  row.dataset.status = entry.status; row.dataset.flagged = entry.flagged ? "yes" : "no";
  row.classList.toggle("approved", entry.approved); row.classList.toggle("flagged", entry.flagged);
  row.querySelector(".status-label").textContent = entry.status;
  row.querySelector(".conflict")?.remove();
  setState(row, entry.status === "new" ? "machine draft" : `${entry.approved ? "approved" : "edited"} by ${entry.editor} · ${entry.updated}`);
  row.querySelector(".score-value").textContent = entry.score === null ? "–" : entry.score;
  const flags = row.querySelector(".flags");
  flags.replaceChildren(...entry.flags.flatMap((f, i) => {
    const flag = document.createElement("span"); flag.className = "flag"; flag.textContent = f;
    const why = document.createElement("span"); why.className = "why"; why.textContent = entry.explanations[i];
    return [flag, why];
  }));
  row.querySelectorAll(".term-hit").forEach((hit, i) => {
    const t = entry.terms[i]; if (!t) return;
    hit.dataset.found = t.found ? "yes" : "no";
    hit.querySelector(".term-note").textContent = t.found ? "" : " (missing)";
  });
}

function showProgress(reply) {
  document.getElementById("approved-count").textContent = reply.approved;
  document.getElementById("word-progress").textContent = `${reply.progress.approved_words} of ${reply.progress.words} words`;
}

function answered(response, reply, count) {
  if (!response) { say("Not saved: the server cannot be reached. Your text is kept in this browser; save again when it is back."); return false; }
  if (response.status === 409 && reply.conflicts) { reply.conflicts.forEach(showConflict); say(`Not saved: ${reply.conflicts.length} sentence(s) changed by someone else meanwhile; choose a version.`); return false; }
  if (!response.ok) { say(`Not saved: ${reply.error}`); return false; }
  Object.values(reply.entries).forEach(showEntry);
  showProgress(reply);
  say(`Saved ${count} sentence(s).`);
  return true;
}

async function save(targets, approve) {
  const changes = targets.map(row => ({id: row.id, en: area(row).value, version: +row.dataset.version,
    approved: approve === null ? row.classList.contains("approved") && !row.classList.contains("unsaved") && body.dataset.canApprove === "yes" : approve}));
  say("Saving…");
  const {response, reply} = await post("/save", {changes});
  return answered(response, reply, targets.length);
}

function showConflict(c) {
  const row = document.getElementById(c.id), box = document.createElement("div");
  row.querySelector(".conflict")?.remove();
  box.className = "conflict";
  const theirs = c.theirs || {en: "", editor: "?", updated: "", version: 0, approved: false};
  const quote = (label, text) => { const p = document.createElement("div"), q = document.createElement("blockquote"); p.textContent = label; q.textContent = text; box.append(p, q); };
  quote(`Saved meanwhile by ${theirs.editor} (${theirs.updated}${theirs.approved ? ", approved" : ""}):`, theirs.en);
  quote("Yours (not saved):", c.yours.en);
  const keepTheirs = document.createElement("button"), keepMine = document.createElement("button");
  keepTheirs.type = keepMine.type = "button";
  keepTheirs.textContent = "Take theirs"; keepMine.textContent = "Keep mine";
  keepTheirs.className = "take-theirs"; keepMine.className = "keep-mine";
  keepTheirs.onclick = () => { row.dataset.version = theirs.version; area(row).value = area(row).dataset.saved = theirs.en; row.classList.toggle("approved", theirs.approved); markUnsaved(row, false); setState(row, `${theirs.approved ? "approved" : "edited"} by ${theirs.editor} · ${theirs.updated}`); box.remove(); };
  keepMine.onclick = () => { row.dataset.version = theirs.version; area(row).value = c.yours.en; markUnsaved(row, true); box.remove(); save([row], c.yours.approved); };
  box.append(keepTheirs, " ", keepMine);
  row.querySelector("td.en").append(box);
  markUnsaved(row, true);
}

async function showHistory(row) {
  const list = row.querySelector(".history-list");
  const response = await fetch(`${body.dataset.base}/history/${encodeURIComponent(row.id)}`);
  const reply = await response.json();
  list.replaceChildren(...(reply.history.length ? reply.history : [null]).map(h => {
    const item = document.createElement("li");
    item.textContent = h ? `v${h.version} ${h.approved ? "approved" : "edited"} by ${h.editor} · ${h.at} (${h.via}): ${h.en}` : "no saves yet: the machine draft";
    return item;
  }));
}

for (const row of rows) {
  const box = area(row);
  const kept = JSON.parse(localStorage.getItem(key(row)) || "null");
  if (kept && kept.en !== box.dataset.saved) { box.value = kept.en; row.dataset.version = kept.version; markUnsaved(row, true); }
  else if (box.value !== box.dataset.saved) markUnsaved(row, true);  // typed before this script ran
  else localStorage.removeItem(key(row));
  grow(box);
  box.addEventListener("input", () => { markUnsaved(row, true); grow(box); });
  box.addEventListener("focus", () => setCurrent(row, false));
  row.querySelector(".save").addEventListener("click", () => save([row], null));
  row.querySelector(".approve")?.addEventListener("click", () => save([row], true));
  row.querySelector(".unapprove")?.addEventListener("click", () => save([row], false));
  row.querySelector(".undo").addEventListener("click", async () => {
    say("Undoing…");
    const {response, reply} = await post("/undo", {id: row.id, version: +row.dataset.version});
    if (answered(response, reply, 1)) { say(`Undone: ${row.id} is back to its previous version.`); if (row.querySelector(".history").open) showHistory(row); }
  });
  row.querySelector(".history").addEventListener("toggle", e => { if (e.target.open) showHistory(row); });
  row.querySelector(".save-comment").addEventListener("click", async () => {
    const {response, reply} = await post("/comment", {id: row.id, text: row.querySelector(".comment-text").value});
    say(!response ? "Comment not saved: the server cannot be reached." : response.ok ? `Comment on ${row.id} saved.` : `Comment not saved: ${reply.error}`);
  });
  row.querySelector(".add-term-button")?.addEventListener("click", async () => {
    const field = name => row.querySelector(`.term-${name}`).value;
    const response = await fetch("/glossary", {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({vi: field("vi"), en: field("en"), kind: field("kind"), domain: field("domain")})}).catch(() => null);
    const reply = response ? await response.json() : null;
    say(!response ? "Not added: the server cannot be reached." : response.ok ? `Added to ${reply.added.file}: ${reply.added.vi} → ${reply.added.en} (used from the next translation).` : `Not added: ${reply.error}`);
  });
  for (const use of row.querySelectorAll(".use")) use.addEventListener("click", () => {
    box.value = use.parentElement.querySelector(".tm-en").textContent; markUnsaved(row, true); grow(box); box.focus();
  });
}

// The filters apply as soon as they change (no inline onchange: the CSP forbids it).
for (const control of document.querySelectorAll("#filters select, #filters input[type=checkbox]")) control.addEventListener("change", () => control.form.submit());

const dialog = document.getElementById("approve-dialog");
document.getElementById("approve-all")?.addEventListener("click", async () => {
  // Unsaved edits are saved first, so what is approved is what the reviewer sees.
  const unsaved = rows.filter(r => r.classList.contains("unsaved"));
  if (unsaved.length && !(await save(unsaved, null))) return;
  const counts = await (await fetch(`${body.dataset.base}/approve-all`)).json();
  const flagged = document.getElementById("approve-flagged");
  flagged.checked = false; flagged.disabled = counts.flagged === 0;
  document.getElementById("approve-flagged-label").textContent = `also approve the ${counts.flagged} sentence(s) with open flags`;
  const question = () => document.getElementById("approve-question").textContent =
    `Approve ${counts.clean + (flagged.checked ? counts.flagged : 0)} sentence(s) of the whole article, whatever the filter shows?` +
    (counts.flagged && !flagged.checked ? ` ${counts.flagged} with open flags stay unapproved.` : "");
  flagged.onchange = question; question();
  dialog.returnValue = ""; dialog.showModal();
});
dialog?.addEventListener("close", async () => {
  if (dialog.returnValue !== "ok") { say("Nothing approved."); return; }
  const include = document.getElementById("approve-flagged").checked;
  const counts = await (await fetch(`${body.dataset.base}/approve-all`)).json();
  const count = counts.clean + (include ? counts.flagged : 0);
  const {response, reply} = await post("/approve-all", {include_flagged: include, count});
  answered(response, reply, count);
});

let current = null;
function setCurrent(row, focus = true) {
  current?.classList.remove("current");
  current = row; row.classList.add("current");
  if (focus) { row.focus(); row.scrollIntoView({block: "center"}); }
}
function step(direction, wanted) {
  // Finished (approved) rows are passed over: the keys go to what is left to do.
  const pool = rows.filter(r => wanted(r) || r === current);
  const i = pool.indexOf(current);
  const next = pool[i === -1 ? (direction > 0 ? 0 : pool.length - 1) : i + direction];
  if (next && next !== current) setCurrent(next);
}
const open = r => r.dataset.status !== "approved";
const flaggedOpen = r => open(r) && r.dataset.flagged === "yes";
document.addEventListener("keydown", e => {
  const typing = e.target.matches("textarea, input, select");
  if (typing && e.key === "Enter" && (e.ctrlKey || e.metaKey) && current) { e.preventDefault(); save([current], null); return; }
  if (typing && e.key === "Escape") { e.target.blur(); current?.focus(); return; }
  if (typing || e.ctrlKey || e.metaKey || e.altKey || dialog?.open) return;
  if (e.key === "j") step(1, flaggedOpen);
  else if (e.key === "k") step(-1, flaggedOpen);
  else if (e.key === "n") step(1, open);
  else if (e.key === "a" && current && body.dataset.canApprove === "yes") save([current], true);
  else if (e.key === "e" && current) { e.preventDefault(); area(current).focus(); }
});
// Tells a test (or a user script) that every handler is in place: typing before this is kept too, by the check above.
body.dataset.ready = "yes";
