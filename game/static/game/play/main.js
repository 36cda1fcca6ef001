// The play page: the state the server sends is drawn by view.js; guesses go out through
// transport.js, the one on its way kept by pending.js so that a dropped connection or a reload
// sends it again (the server counts it once, by the id made here).

import { createPendingStore, newId } from "./pending.js";
import { createTransport } from "./transport.js";
import { createView, guessSummary, isOver } from "./view.js";

const config = JSON.parse(document.getElementById("game-config").textContent);
let state = JSON.parse(document.getElementById("game-state").textContent);
let busy = false;

const announce = document.getElementById("announce");
function say(message) {
  // Cleared first so that the same sentence twice is still read out.
  announce.textContent = "";
  window.setTimeout(() => { announce.textContent = message; }, 30);
}

const view = createView(say);
const els = view.els;
const pending = createPendingStore(window.sessionStorage, "sixfold.pending." + config.number);

function announceGuess(previous) {
  const guess = state.guesses[state.guesses.length - 1];
  if (!guess || (previous && previous.guesses.length === state.guesses.length)) return;
  if (isOver(state)) return; // the result panel speaks
  const left = state.maxGuesses - state.guesses.length;
  say("Guess " + state.guesses.length + ": " + guessSummary(guess) + ". " +
    left + (left === 1 ? " guess" : " guesses") + " left.");
}

function showState(frame) {
  const previous = state;
  state = frame.state;
  const mine = pending.get();
  if (mine && (frame.id === mine.id || state.guesses.some((g) => g.id === mine.id))) {
    pending.clear();
    busy = false;
    if (els.input.value === mine.text) els.input.value = "";
  }
  if (isOver(state)) { pending.clear(); busy = false; }
  view.render(state, previous, busy);
  announceGuess(previous);
  if (frame.id && !isOver(state)) els.input.focus();
}

function showRefusal(frame) {
  const waiting = pending.get();
  if (frame.id && waiting && frame.id === waiting.id) {
    pending.clear();
    busy = false;
    if (!els.input.value) els.input.value = waiting.text;
    view.renderForm(busy);
    els.input.focus();
    els.input.setAttribute("aria-invalid", "true");
  }
  say(frame.message);
}

function showCounts(frame) {
  document.querySelectorAll("[data-count]").forEach((node) => {
    const value = frame[node.dataset.count];
    if (value !== undefined) node.textContent = String(value);
  });
}

function handle(frame) {
  if (frame.type === "state") showState(frame);
  else if (frame.type === "error") showRefusal(frame);
  else if (frame.type === "counts") showCounts(frame);
}

function postGuess(guess) {
  return fetch(config.guessPath, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
    body: JSON.stringify({ id: guess.id, text: guess.text }),
  }).then((response) => response.json().then((frame) => {
    if (response.status === 503) frame.retryAfter = Number(response.headers.get("Retry-After"));
    return frame;
  }));
}

const transport = createTransport({
  openSocket() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return new WebSocket(scheme + location.host + config.socketPath);
  },
  postGuess,
  pending,
  timers: window,
  random: Math.random,
  closeCodes: config.closeCodes,
  onFrame: handle,
  onNotice: say,
});

els.form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (busy || isOver(state)) return;
  const text = els.input.value.replace(/\s+/g, " ").trim();
  els.input.removeAttribute("aria-invalid");
  if (!text) {
    say("Type a guess first: a few words that describe the pictures.");
    els.input.focus();
    return;
  }
  const guess = { id: newId(window.crypto), text };
  pending.set(guess);
  busy = true;
  view.renderForm(busy);
  transport.send(guess);
});

// ------------------------------------------------------------------ share

function copy(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  return new Promise((resolve, reject) => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    document.body.removeChild(area);
    if (ok) resolve(); else reject(new Error("copy refused"));
  });
}

els.copyButton.addEventListener("click", () => {
  copy(view.shareText()).then(() => {
    els.copyButton.classList.add("done");
    say("Result copied. Paste it anywhere to share.");
    window.setTimeout(() => { els.copyButton.classList.remove("done"); }, 2000);
  }, () => {
    say("Your browser would not copy. Select the result above and copy it yourself.");
  });
});

els.shareButton.addEventListener("click", () => {
  navigator.share({ text: view.shareText() }).catch(() => { /* the player closed it */ });
});

document.addEventListener("sixfold:settings", () => {
  if (state.share) els.shareText.textContent = view.shareText();
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") transport.wake();
});
window.addEventListener("online", () => transport.wake());

// ------------------------------------------------------------------ start

view.render(state, null, busy);
const waiting = pending.get();
if (waiting && !isOver(state)) {
  // A guess was on its way when the page went away: send it again (counted once).
  if (state.guesses.some((g) => g.id === waiting.id)) {
    pending.clear();
  } else {
    busy = true;
    els.input.value = waiting.text;
    view.renderForm(busy);
    transport.resend(waiting);
  }
}
transport.start();
