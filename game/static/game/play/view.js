// Drawing the game from the state the server sends: the pictures, the prompt's tiles, the
// guesses, the form and the result. Nothing here talks to the server.

const MARK_WORDS = { exact: "found", present: "elsewhere", near: "near", absent: "not in it" };
const CHEERS = ["", "Unbelievable!", "Brilliant!", "Excellent!", "Well played!", "Nice one!", "Phew!"];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function isOver(state) { return state.status !== "playing"; }

// The similarity as shown: whole percent, and 100 only for the answer itself (the server keeps
// every other guess at 99.9 or less, which rounding would show as a solve).
export function shownPercent(similarity) {
  return similarity >= 100 ? 100 : Math.min(Math.round(similarity), 99);
}

export function guessSummary(guess) {
  const parts = [shownPercent(guess.similarity) + "% similar"];
  ["exact", "present", "near"].forEach((kind) => {
    const words = guess.words.filter((w) => w[1] === kind).map((w) => w[0]);
    if (words.length) parts.push(MARK_WORDS[kind] + ": " + words.join(", "));
  });
  return parts.join("; ");
}

// A percentage only when there are enough others for it to mean something.
function betterThanText(community) {
  if (community.others >= 10) {
    return "You did better than " + community.betterThan + "% of the other players.";
  }
  return "You did better than " + community.worse + " of the " + community.others +
    " other " + (community.others === 1 ? "player" : "players") + " who finished.";
}

export function createView(say) {
  const root = document.documentElement;
  const $ = (id) => document.getElementById(id);
  const els = {
    viewerImg: $("viewer-img"), viewerCaption: $("viewer-caption"), thumbs: $("thumbs"),
    prompt: $("prompt"), form: $("guess-form"), input: $("guess-input"),
    button: $("guess-button"), help: $("guess-help"), announce: $("announce"),
    guesses: $("guesses"), emptyHistory: $("empty-history"), result: $("result"),
    resultTitle: $("result-title"), resultAnswer: $("result-answer"), shareText: $("share-text"),
    shareButton: $("share-button"), copyButton: $("copy-button"), betterThan: $("better-than"),
    bars: $("community-bars"),
  };
  let state = null;
  let selected = null; // the picture chosen by the player; null follows the newest

  function calm() {
    return root.dataset.motion === "reduce" ||
      window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function renderPictures(previous) {
    const shown = state.images.length;
    const before = previous ? previous.images.length : shown;
    if (shown > before && (selected === null || selected >= shown)) selected = null;
    const current = selected === null ? shown - 1 : selected;
    els.thumbs.textContent = "";
    for (let k = 0; k < state.imageCount; k++) {
      const item = el("li", "thumb");
      if (k < shown) {
        const button = el("button", "thumb-button");
        button.type = "button";
        button.dataset.index = String(k);
        button.setAttribute("aria-label", "Show picture " + (k + 1) + " of " + state.imageCount);
        button.setAttribute("aria-pressed", k === current ? "true" : "false");
        const img = el("img");
        img.src = state.images[k];
        img.alt = "";
        img.width = 64;
        img.height = 64;
        button.appendChild(img);
        if (k >= before) button.classList.add("new");
        item.appendChild(button);
      } else {
        item.classList.add("locked");
        item.appendChild(el("span", "thumb-number", String(k + 1)));
        item.appendChild(el("span", "visually-hidden",
          "Picture " + (k + 1) + " is revealed after guess " + k));
      }
      els.thumbs.appendChild(item);
    }
    els.viewerImg.src = state.images[current];
    els.viewerImg.alt = "Picture " + (current + 1) + " of " + state.imageCount;
    els.viewerCaption.textContent = "Picture " + (current + 1) + " of " + state.imageCount +
      (shown < state.imageCount ? " · " + (state.imageCount - shown) + " still hidden" : "");
    if (previous && shown > before && !isOver(state)) say("Picture " + shown + " revealed.");
  }

  function show(index) {
    selected = index === state.images.length - 1 ? null : index;
    renderPictures(null);
    els.thumbs.querySelector('button[data-index="' + index + '"]').focus();
  }

  els.thumbs.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-index]");
    if (button) show(Number(button.dataset.index));
  });

  els.thumbs.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const current = selected === null ? state.images.length - 1 : selected;
    const next = current + (event.key === "ArrowRight" ? 1 : -1);
    if (next < 0 || next >= state.images.length) return;
    event.preventDefault();
    show(next);
  });

  function renderTiles(previous) {
    els.prompt.textContent = "";
    let order = 0;
    state.tiles.forEach((tile, i) => {
      const li = el("li", "tile " + tile.state);
      const wasHidden = previous && previous.tiles[i] && previous.tiles[i].state === "hidden";
      if (tile.word) {
        li.appendChild(el("span", "tile-word", tile.word));
      } else {
        li.appendChild(el("span", "visually-hidden", "hidden word"));
      }
      if (wasHidden && tile.state !== "hidden" && !calm()) {
        li.classList.add("flip");
        li.style.animationDelay = (order++ * 140) + "ms";
      }
      els.prompt.appendChild(li);
    });
    const hidden = state.tiles.filter((t) => t.state === "hidden").length;
    els.prompt.setAttribute("aria-label", "The prompt: " + state.tiles.length + " words, " +
      (isOver(state) ? "all shown" : hidden + " still hidden"));
  }

  function squares(marks) {
    const row = el("span", "squares");
    row.setAttribute("aria-hidden", "true");
    marks.forEach((mark) => { if (mark !== "given") row.appendChild(el("i", "sq " + mark)); });
    return row;
  }

  function renderGuesses(previous) {
    const known = previous ? previous.guesses.length : state.guesses.length;
    els.guesses.textContent = "";
    state.guesses.forEach((guess, i) => {
      const li = el("li", "guess");
      if (i >= known && !calm()) li.classList.add("arrive");
      const head = el("div", "guess-head");
      head.appendChild(el("span", "guess-number", String(i + 1)));
      const text = el("span", "guess-text");
      guess.words.forEach((pair, j) => {
        if (j) text.appendChild(document.createTextNode(" "));
        text.appendChild(el("span", "w " + pair[1], pair[0]));
      });
      text.setAttribute("aria-hidden", "true");
      head.appendChild(text);
      const score = el("span", "guess-score", String(shownPercent(guess.similarity)));
      score.setAttribute("aria-hidden", "true");
      head.appendChild(score);
      li.appendChild(head);
      const meter = el("div", "meter");
      meter.setAttribute("aria-hidden", "true");
      const fill = el("span", "meter-fill");
      fill.style.setProperty("--p", Math.max(2, guess.similarity) + "%");
      meter.appendChild(fill);
      li.appendChild(meter);
      li.appendChild(squares(guess.marks));
      li.appendChild(el("span", "visually-hidden",
        "Guess " + (i + 1) + ": " + guess.text + ". " + guessSummary(guess) + "."));
      els.guesses.appendChild(li);
    });
    els.emptyHistory.hidden = state.guesses.length > 0;
  }

  function renderForm(busy) {
    const used = state.guesses.length;
    const left = state.maxGuesses - used;
    els.form.hidden = isOver(state);
    els.input.disabled = busy;
    els.button.disabled = busy;
    els.button.textContent = busy ? "Scoring…" : "Guess";
    els.button.setAttribute("aria-busy", busy ? "true" : "false");
    if (!isOver(state)) {
      els.help.textContent = "Guess " + (used + 1) + " of " + state.maxGuesses +
        (left === 1 ? " · last chance, all six pictures are showing" : "") +
        (state.best ? " · closest so far " + shownPercent(state.best) + "%" : "");
    }
  }

  function shareText() {
    if (!state.share) return "";
    return root.dataset.contrast === "high" ? state.share["high-contrast"] : state.share.standard;
  }

  function renderCommunity(won) {
    const community = state.community;
    els.bars.textContent = "";
    if (community && community.finished > 1) {
      els.betterThan.textContent = won ? betterThanText(community)
        : community.finished + " players have finished this puzzle.";
    } else {
      els.betterThan.textContent = "You are the first to finish this one.";
    }
    if (!community) return;
    // One bar per number of guesses a solve took, then the games lost.
    const lostAt = state.maxGuesses;
    const labels = Array.from({ length: lostAt }, (_, i) => String(i + 1)).concat(["✗"]);
    community.distribution.concat([community.lost]).forEach((count, i) => {
      const li = el("li");
      const bar = el("span", "bar" + (i === lostAt ? " lost" : ""));
      const yours = won ? community.yours === i + 1 : i === lostAt;
      if (yours) bar.classList.add("yours");
      bar.style.setProperty("--w", community.bars[i] + "%");
      bar.appendChild(el("span", "bar-count", String(count)));
      li.appendChild(el("span", "bar-label", labels[i]));
      li.appendChild(bar);
      li.appendChild(el("span", "visually-hidden",
        (i === lostAt ? " not solved: " : " guesses: ") + count + " players" + (yours ? " (you)" : "")));
      els.bars.appendChild(li);
    });
  }

  function renderResult(previous) {
    if (!isOver(state)) { els.result.hidden = true; return; }
    const won = state.status === "won";
    const count = state.guesses.length;
    els.resultTitle.textContent = won
      ? CHEERS[count] + " Solved in " + count + (count === 1 ? " guess" : " guesses")
      : "Not this time";
    els.resultAnswer.textContent = state.answer;
    els.shareText.textContent = shareText();
    els.shareButton.hidden = !navigator.share;
    renderCommunity(won);
    const justFinished = previous && previous.status === "playing";
    els.result.hidden = false;
    els.announce.classList.add("finished"); // the result panel says it on screen
    if (justFinished) {
      say((won ? "Solved! " : "Out of guesses. ") + "The prompt was: " + state.answer + ".");
      // Moves focus to the result once the reveal is over, unless the player has moved it
      // meanwhile (to the copy button, the settings...): never pull focus from under them.
      const focusAtFinish = document.activeElement;
      window.setTimeout(() => {
        const now = document.activeElement;
        if (now === focusAtFinish || now === document.body || now === null) els.result.focus();
      }, calm() ? 0 : 900);
    }
  }

  return {
    els,
    shareText,
    renderForm,
    render(next, previous, busy) {
      state = next;
      renderPictures(previous);
      renderTiles(previous);
      renderGuesses(previous);
      renderForm(busy);
      renderResult(previous);
    },
  };
}
