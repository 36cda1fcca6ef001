// How a guess reaches the server: one WebSocket, reopened with capped back-off and jitter;
// HTTP when sockets keep failing or a reply does not come; and the pending guess (the one on
// its way) sent again until the server has it. The server counts a guess once, by its id, so
// sending it twice is safe; losing it is not.
//
// A small state machine with everything it touches passed in (the socket factory, the HTTP
// post, the pending store, the timers, the random source), so that tests can drive it.
//
//   connecting ──open──▶ open ──close──▶ waiting ──timer──▶ connecting
//        │                                  ▲
//        └──────────── fails to open ───────┘
//   any ──close with a "for good" code──▶ closed   (no session, no such puzzle)

export const RETRYABLE = Object.freeze(["unavailable", "not_ready"]);
export const REPLY_TIMEOUT_MS = 12000;
export const HTTP_AFTER_FAILURES = 3; // failed connections in a row before the player is told
export const POST_AFTER_FAILURES = 2; // ... before a pending guess also goes over HTTP

// Capped exponential back-off with jitter, so that a thousand pages do not all come back in
// the same second after an outage.
export function backoff(tries, random) {
  return Math.min(30000, 500 * Math.pow(2, tries)) * (0.5 + random());
}

export function createTransport(options) {
  const { openSocket, postGuess, pending, timers, random, closeCodes, onFrame, onNotice } = options;
  const replyTimeout = options.replyTimeout || REPLY_TIMEOUT_MS;
  let phase = "idle";
  let socket = null;
  let attempts = 0; // failed connections in a row; reset only once the server answers
  let overHttp = false; // sockets keep failing: guesses go over HTTP, and the player knows
  let reconnectTimer = null;
  let replyTimer = null;
  let retryTimer = null;

  function connect() {
    if (phase === "closed" || phase === "connecting" || phase === "open") return;
    phase = "connecting";
    try {
      socket = openSocket();
    } catch (error) {
      socket = null;
      phase = "waiting";
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", () => {
      phase = "open";
      const guess = pending.get();
      if (guess) transmit(guess);
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; /* a broken frame */ }
      if (frame.type === "state") {
        // A socket that opens and then fails (the server's services are down) is no
        // connection: only an answer resets the back-off.
        attempts = 0;
        if (overHttp) { overHttp = false; onNotice("The live connection is back."); }
      }
      receive(frame);
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      // No session or no such puzzle: reconnecting cannot help.
      if (event.code === closeCodes.noSession || event.code === closeCodes.noPuzzle) {
        phase = "closed";
        return;
      }
      phase = "waiting";
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer !== null) return;
    attempts += 1;
    reconnectTimer = timers.setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, backoff(attempts, random));
    if (attempts >= HTTP_AFTER_FAILURES && !overHttp) {
      overHttp = true;
      onNotice("The live connection keeps failing; your guesses go over the web instead.");
    }
    const guess = pending.get();
    if (attempts >= POST_AFTER_FAILURES && guess) post(guess);
  }

  // The server cannot take guesses for a moment (a retryable error frame): the guess stays on
  // its way. Other frames are the page's.
  function receive(frame) {
    if (frame.type === "error" && RETRYABLE.includes(frame.code)) {
      onNotice(frame.message);
      const waiting = pending.get();
      if (waiting) retryLater(waiting, 1000 * (frame.retryAfter || 5));
      return;
    }
    onFrame(frame);
  }

  function retryLater(guess, delay) {
    timers.clearTimeout(retryTimer);
    retryTimer = timers.setTimeout(() => {
      const still = pending.get();
      if (still && still.id === guess.id) transmit(still);
    }, delay);
  }

  function post(guess) {
    return postGuess(guess).then(receive, () => {
      onNotice("No connection right now. Your guess is kept and will be sent when you are back online.");
      retryLater(guess, backoff(attempts + 1, random));
    });
  }

  function transmit(guess) {
    timers.clearTimeout(replyTimer);
    if (phase === "open") {
      socket.send(JSON.stringify({ type: "guess", id: guess.id, text: guess.text }));
      // No answer in time (a half-dead connection): the same guess goes over HTTP as well.
      replyTimer = timers.setTimeout(() => {
        const still = pending.get();
        if (still && still.id === guess.id) post(guess);
      }, replyTimeout);
    } else {
      post(guess);
    }
  }

  // The page is visible again or the browser is back online: try now, not at the next timer.
  function wake() {
    if (phase !== "waiting" && phase !== "idle") return;
    timers.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    connect();
  }

  return {
    start: connect,
    send: transmit,
    resend: post, // a guess left pending by an earlier page: over HTTP at once
    wake,
    get phase() { return phase; },
    get overHttp() { return overHttp; },
    get attempts() { return attempts; },
  };
}
