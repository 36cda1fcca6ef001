// The play page: draws the game from the state the server sends, sends guesses over the
// WebSocket (or over HTTP where sockets fail), and keeps a guess that is on its way in
// sessionStorage so that a dropped connection or a reload sends it again. The server counts a
// guess once, by the id made here.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("game-config").textContent);
  var state = JSON.parse(document.getElementById("game-state").textContent);
  var root = document.documentElement;

  function $(id) { return document.getElementById(id); }
  var els = {
    viewerImg: $("viewer-img"), viewerLocked: $("viewer-locked"),
    viewerLockedText: $("viewer-locked-text"), viewerCaption: $("viewer-caption"),
    thumbs: $("thumbs"), prompt: $("prompt"), form: $("guess-form"), input: $("guess-input"),
    button: $("guess-button"), help: $("guess-help"), announce: $("announce"),
    guesses: $("guesses"), emptyHistory: $("empty-history"), result: $("result"),
    resultTitle: $("result-title"), resultAnswer: $("result-answer"), shareText: $("share-text"),
    shareButton: $("share-button"), copyButton: $("copy-button"), betterThan: $("better-than"),
    bars: $("community-bars"), community: $("community")
  };

  var MARK_WORDS = { exact: "found", present: "elsewhere", near: "near", absent: "not in it" };
  var CHEERS = ["", "Unbelievable!", "Brilliant!", "Excellent!", "Well played!", "Nice one!", "Phew!"];
  var PENDING_KEY = "sixfold.pending." + config.number;
  var selected = null; // the picture chosen by the player; null follows the newest
  var busy = false;

  // ------------------------------------------------------------------ small helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  function calm() { return root.dataset.motion === "reduce" ||
    window.matchMedia("(prefers-reduced-motion: reduce)").matches; }

  function say(message) {
    // Cleared first so that the same sentence twice is still read out.
    els.announce.textContent = "";
    window.setTimeout(function () { els.announce.textContent = message; }, 30);
  }

  function over() { return state.status !== "playing"; }

  // ------------------------------------------------------------------ pictures

  function renderPictures(previous) {
    var shown = state.images.length;
    var before = previous ? previous.images.length : shown;
    if (shown > before && (selected === null || selected >= shown)) selected = null;
    var current = selected === null ? shown - 1 : selected;
    els.thumbs.textContent = "";
    for (var k = 0; k < state.imageCount; k++) {
      var item = el("li", "thumb");
      if (k < shown) {
        var button = el("button", "thumb-button");
        button.type = "button";
        button.dataset.index = String(k);
        button.setAttribute("aria-label", "Show picture " + (k + 1) + " of " + state.imageCount);
        button.setAttribute("aria-pressed", k === current ? "true" : "false");
        var img = el("img");
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
    els.viewerLocked.hidden = true;
    if (previous && shown > before && !over()) say("Picture " + shown + " revealed.");
  }

  els.thumbs.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-index]");
    if (!button) return;
    selected = Number(button.dataset.index);
    if (selected === state.images.length - 1) selected = null;
    renderPictures(null);
    els.thumbs.querySelector('button[data-index="' + button.dataset.index + '"]').focus();
  });

  els.thumbs.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    var current = selected === null ? state.images.length - 1 : selected;
    var next = current + (event.key === "ArrowRight" ? 1 : -1);
    if (next < 0 || next >= state.images.length) return;
    event.preventDefault();
    selected = next === state.images.length - 1 ? null : next;
    renderPictures(null);
    els.thumbs.querySelector('button[data-index="' + next + '"]').focus();
  });

  // ------------------------------------------------------------------ the prompt tiles

  function renderTiles(previous) {
    els.prompt.textContent = "";
    var order = 0;
    state.tiles.forEach(function (tile, i) {
      var li = el("li", "tile " + tile.state);
      var wasHidden = previous && previous.tiles[i] && previous.tiles[i].state === "hidden";
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
    var hidden = state.tiles.filter(function (t) { return t.state === "hidden"; }).length;
    els.prompt.setAttribute("aria-label", "The prompt: " + state.tiles.length + " words, " +
      (over() ? "all shown" : hidden + " still hidden"));
  }

  // ------------------------------------------------------------------ guesses

  function squares(marks) {
    var row = el("span", "squares");
    row.setAttribute("aria-hidden", "true");
    marks.forEach(function (mark) {
      if (mark !== "given") row.appendChild(el("i", "sq " + mark));
    });
    return row;
  }

  function guessSummary(guess) {
    var parts = [Math.round(guess.similarity) + "% similar"];
    ["exact", "present", "near"].forEach(function (kind) {
      var words = guess.words.filter(function (w) { return w[1] === kind; })
        .map(function (w) { return w[0]; });
      if (words.length) parts.push(MARK_WORDS[kind] + ": " + words.join(", "));
    });
    return parts.join("; ");
  }

  function renderGuesses(previous) {
    var known = previous ? previous.guesses.length : state.guesses.length;
    els.guesses.textContent = "";
    state.guesses.forEach(function (guess, i) {
      var li = el("li", "guess");
      if (i >= known && !calm()) li.classList.add("arrive");
      var head = el("div", "guess-head");
      head.appendChild(el("span", "guess-number", String(i + 1)));
      var text = el("span", "guess-text");
      guess.words.forEach(function (pair, j) {
        if (j) text.appendChild(document.createTextNode(" "));
        text.appendChild(el("span", "w " + pair[1], pair[0]));
      });
      text.setAttribute("aria-hidden", "true");
      head.appendChild(text);
      var score = el("span", "guess-score", String(Math.round(guess.similarity)));
      score.setAttribute("aria-hidden", "true");
      head.appendChild(score);
      li.appendChild(head);
      var meter = el("div", "meter");
      meter.setAttribute("aria-hidden", "true");
      var fill = el("span", "meter-fill");
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

  function renderForm() {
    var used = state.guesses.length;
    var left = state.maxGuesses - used;
    els.form.hidden = over();
    els.input.disabled = busy;
    els.button.disabled = busy;
    els.button.textContent = busy ? "Scoring…" : "Guess";
    els.button.setAttribute("aria-busy", busy ? "true" : "false");
    if (!over()) {
      els.help.textContent = "Guess " + (used + 1) + " of " + state.maxGuesses +
        (left === 1 ? " · last chance, all six pictures are showing" : "") +
        (state.best ? " · closest so far " + Math.round(state.best) + "%" : "");
    }
  }

  // ------------------------------------------------------------------ the end

  function shareText() {
    if (!state.share) return "";
    return root.dataset.contrast === "high" ? state.share["high-contrast"] : state.share.standard;
  }

  // A percentage only when there are enough others for it to mean something.
  function betterThanText(community) {
    if (community.others >= 10) {
      return "You did better than " + community.betterThan + "% of the other players.";
    }
    return "You did better than " + community.worse + " of the " + community.others +
      " other " + (community.others === 1 ? "player" : "players") + " who finished.";
  }

  function renderResult(previous) {
    if (!over()) { els.result.hidden = true; return; }
    var won = state.status === "won";
    els.resultTitle.textContent = won
      ? CHEERS[state.guesses.length] + " Solved in " + state.guesses.length +
        (state.guesses.length === 1 ? " guess" : " guesses")
      : "Not this time";
    els.resultAnswer.textContent = state.answer;
    els.shareText.textContent = shareText();
    els.shareButton.hidden = !navigator.share;
    var community = state.community;
    els.bars.textContent = "";
    if (community && community.finished > 1) {
      els.betterThan.textContent = won ? betterThanText(community)
        : community.finished + " players have finished this puzzle.";
    } else {
      els.betterThan.textContent = "You are the first to finish this one.";
    }
    if (community) {
      var labels = ["1", "2", "3", "4", "5", "6", "✗"];
      var counts = community.distribution.concat([community.lost]);
      counts.forEach(function (count, i) {
        var li = el("li");
        var label = el("span", "bar-label", labels[i]);
        var bar = el("span", "bar" + (i === 6 ? " lost" : ""));
        var yours = won ? community.yours === i + 1 : i === 6;
        if (yours) bar.classList.add("yours");
        bar.style.setProperty("--w", community.bars[i] + "%");
        bar.appendChild(el("span", "bar-count", String(count)));
        li.appendChild(label);
        li.appendChild(bar);
        li.appendChild(el("span", "visually-hidden",
          (i === 6 ? " not solved: " : " guesses: ") + count + " players" + (yours ? " (you)" : "")));
        els.bars.appendChild(li);
      });
    }
    var justFinished = previous && previous.status === "playing";
    els.result.hidden = false;
    els.announce.classList.add("finished"); // the result panel says it on screen
    if (justFinished) {
      say((won ? "Solved! " : "Out of guesses. ") + "The prompt was: " + state.answer + ".");
      // Moves focus to the result once the reveal is over, unless the player has moved it
      // meanwhile (to the copy button, the settings...): never pull focus from under them.
      var focusAtFinish = document.activeElement;
      window.setTimeout(function () {
        var now = document.activeElement;
        if (now === focusAtFinish || now === document.body || now === null) els.result.focus();
      }, calm() ? 0 : 900);
    }
  }

  function render(previous) {
    renderPictures(previous);
    renderTiles(previous);
    renderGuesses(previous);
    renderForm();
    renderResult(previous);
  }

  document.addEventListener("sixfold:settings", function () {
    if (state.share) els.shareText.textContent = shareText();
  });

  // ------------------------------------------------------------------ share

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = el("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  els.copyButton.addEventListener("click", function () {
    copy(shareText()).then(function () {
      els.copyButton.classList.add("done");
      say("Result copied. Paste it anywhere to share.");
      window.setTimeout(function () { els.copyButton.classList.remove("done"); }, 2000);
    }, function () {
      say("Your browser would not copy. Select the result above and copy it yourself.");
    });
  });

  els.shareButton.addEventListener("click", function () {
    navigator.share({ text: shareText() }).catch(function () { /* the player closed it */ });
  });

  // ------------------------------------------------------------------ messages from the server

  function pending() {
    try { return JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null"); } catch (e) { return null; }
  }
  function setPending(guess) {
    try {
      if (guess) sessionStorage.setItem(PENDING_KEY, JSON.stringify(guess));
      else sessionStorage.removeItem(PENDING_KEY);
    } catch (e) { /* storage blocked: the guess is simply not resent after a reload */ }
  }

  function announceGuess(previous) {
    var guess = state.guesses[state.guesses.length - 1];
    if (!guess || (previous && previous.guesses.length === state.guesses.length)) return;
    if (over()) return; // renderResult speaks
    var left = state.maxGuesses - state.guesses.length;
    say("Guess " + state.guesses.length + ": " + guessSummary(guess) + ". " +
      left + (left === 1 ? " guess" : " guesses") + " left.");
  }

  function handle(frame) {
    if (frame.type === "state") {
      var previous = state;
      state = frame.state;
      var mine = pending();
      if (mine && (frame.id === mine.id ||
          state.guesses.some(function (g) { return g.id === mine.id; }))) {
        setPending(null);
        busy = false;
        if (els.input.value === mine.text) els.input.value = "";
      }
      if (over()) { setPending(null); busy = false; }
      render(previous);
      announceGuess(previous);
      if (frame.id && !over()) els.input.focus();
    } else if (frame.type === "error") {
      var waiting = pending();
      if (RETRYABLE[frame.code]) {
        // The server cannot take guesses for a moment: the guess stays on its way.
        say(frame.message);
        if (waiting) retryLater(waiting, 1000 * (frame.retryAfter || 5));
        return;
      }
      if (frame.id && waiting && frame.id === waiting.id) {
        setPending(null);
        busy = false;
        if (!els.input.value) els.input.value = waiting.text;
        renderForm();
        els.input.focus();
        els.input.setAttribute("aria-invalid", "true");
      }
      say(frame.message);
    } else if (frame.type === "counts") {
      document.querySelectorAll("[data-count]").forEach(function (node) {
        var value = frame[node.dataset.count];
        if (value !== undefined) node.textContent = String(value);
      });
    }
  }

  // ------------------------------------------------------------------ transport

  var socket = null;
  var socketOpen = false;
  var attempts = 0; // failed connections in a row; reset only once the server answers
  var reconnectTimer = null;
  var replyTimer = null;
  var retryTimer = null;
  var gaveUp = false; // the server closed the socket for good (no session, no puzzle)
  var overHttp = false; // sockets keep failing: guesses go over HTTP, and the player knows
  var RETRYABLE = { unavailable: true, not_ready: true };

  // Capped exponential back-off with jitter, so that a thousand pages do not all come back
  // in the same second after an outage.
  function backoff(tries) {
    return Math.min(30000, 500 * Math.pow(2, tries)) * (0.5 + Math.random());
  }

  function retryLater(guess, delay) {
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(function () {
      var still = pending();
      if (still && still.id === guess.id) transmit(still);
    }, delay);
  }

  function connect() {
    if (gaveUp || (socket && socket.readyState <= 1)) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + config.socketPath);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      socketOpen = true;
      var guess = pending();
      if (guess) transmit(guess);
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; /* ignore a broken frame */ }
      if (frame.type === "state") {
        // A socket that opens and then fails (the server's services are down) is no
        // connection: only an answer resets the back-off.
        attempts = 0;
        if (overHttp) { overHttp = false; say("The live connection is back."); }
      }
      handle(frame);
    });
    socket.addEventListener("close", function (event) {
      socketOpen = false;
      socket = null;
      // No session or no such puzzle: reconnecting cannot help (the codes come from the server).
      if (event.code === config.closeCodes.noSession || event.code === config.closeCodes.noPuzzle) {
        gaveUp = true;
        return;
      }
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    attempts += 1;
    reconnectTimer = window.setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, backoff(attempts));
    // Sockets keep failing (an outage, or a proxy that blocks them): guesses go over HTTP.
    if (attempts >= 3 && !overHttp) {
      overHttp = true;
      say("The live connection keeps failing; your guesses go over the web instead.");
    }
    var guess = pending();
    if (attempts >= 2 && guess) post(guess);
  }

  function post(guess) {
    fetch(config.guessPath, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
      body: JSON.stringify({ id: guess.id, text: guess.text })
    }).then(function (response) {
      return response.json().then(function (frame) {
        if (response.status === 503) frame.retryAfter = Number(response.headers.get("Retry-After"));
        return frame;
      });
    }).then(handle, function () {
      say("No connection right now. Your guess is kept and will be sent when you are back online.");
      retryLater(guess, backoff(attempts + 1));
    });
  }

  function transmit(guess) {
    window.clearTimeout(replyTimer);
    if (socketOpen) {
      socket.send(JSON.stringify({ type: "guess", id: guess.id, text: guess.text }));
      // No answer in time (a half-dead connection): the same guess goes over HTTP as well;
      // the server counts it once.
      replyTimer = window.setTimeout(function () {
        var still = pending();
        if (still && still.id === guess.id) post(guess);
      }, 12000);
    } else {
      post(guess);
    }
  }

  els.form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy || over()) return;
    var text = els.input.value.replace(/\s+/g, " ").trim();
    els.input.removeAttribute("aria-invalid");
    if (!text) {
      say("Type a guess first: a few words that describe the pictures.");
      els.input.focus();
      return;
    }
    var guess = { id: newId(), text: text };
    setPending(guess);
    busy = true;
    renderForm();
    transmit(guess);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !socketOpen) {
      window.clearTimeout(reconnectTimer);
      reconnectTimer = null;
      connect();
    }
  });
  window.addEventListener("online", function () { if (!socketOpen) connect(); });

  // ------------------------------------------------------------------ start

  render(null);
  var waiting = pending();
  if (waiting && !over()) {
    // A guess was on its way when the page went away: send it again (counted once).
    if (state.guesses.some(function (g) { return g.id === waiting.id; })) {
      setPending(null);
    } else {
      busy = true;
      els.input.value = waiting.text;
      renderForm();
      post(waiting);
    }
  }
  connect();
})();
