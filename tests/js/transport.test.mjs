// The play page's transport, driven with a fake socket, fake timers and a fake HTTP post
// (run by `node --test tests/js`; tests/game/test_play_page_modules.py runs it under pytest).
import assert from "node:assert/strict";
import { test } from "node:test";

import { createPendingStore } from "../../game/static/game/play/pending.js";
import { createTransport, REPLY_TIMEOUT_MS } from "../../game/static/game/play/transport.js";

const CLOSE_CODES = { noSession: 4401, noPuzzle: 4404 };

class FakeSocket {
  constructor() { this.listeners = {}; this.sent = []; }
  addEventListener(name, listener) { (this.listeners[name] ||= []).push(listener); }
  fire(name, event = {}) { (this.listeners[name] || []).forEach((listener) => listener(event)); }
  send(data) { this.sent.push(JSON.parse(data)); }
  open() { this.fire("open"); }
  receive(frame) { this.fire("message", { data: JSON.stringify(frame) }); }
  close(code = 1006) { this.fire("close", { code }); }
}

class FakeClock {
  constructor() { this.now = 0; this.timers = new Map(); this.next = 1; }
  setTimeout(callback, delay) {
    const id = this.next++;
    this.timers.set(id, { at: this.now + delay, callback });
    return id;
  }
  clearTimeout(id) { this.timers.delete(id); }
  advance(ms) {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = until;
  }
}

class MemoryStorage {
  constructor() { this.items = {}; }
  getItem(key) { return key in this.items ? this.items[key] : null; }
  setItem(key, value) { this.items[key] = String(value); }
  removeItem(key) { delete this.items[key]; }
}

function harness({ postAnswers = [], openFails = false } = {}) {
  const sockets = [];
  const posted = [];
  const frames = [];
  const notices = [];
  const clock = new FakeClock();
  const pending = createPendingStore(new MemoryStorage(), "pending");
  const answers = [...postAnswers];
  const transport = createTransport({
    openSocket() {
      if (openFails) throw new Error("blocked");
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    postGuess(guess) {
      posted.push(guess);
      const answer = answers.length ? answers.shift() : { type: "state", id: guess.id };
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    pending,
    timers: clock,
    random: () => 0.5, // no jitter: back-off is exactly 500 ms × 2^tries
    closeCodes: CLOSE_CODES,
    onFrame: (frame) => frames.push(frame),
    onNotice: (message) => notices.push(message),
  });
  return { transport, sockets, posted, frames, notices, clock, pending };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const GUESS = { id: "g-1", text: "a tent in the snow" };

test("a guess goes over the open socket, once", () => {
  const h = harness();
  h.transport.start();
  h.sockets[0].open();
  assert.equal(h.transport.phase, "open");
  h.pending.set(GUESS);
  h.transport.send(GUESS);
  assert.deepEqual(h.sockets[0].sent, [{ type: "guess", id: "g-1", text: "a tent in the snow" }]);
  assert.deepEqual(h.posted, []);
});

test("a guess made before the socket opens is sent when it opens", () => {
  const h = harness();
  h.transport.start();
  h.pending.set(GUESS);
  h.sockets[0].open();
  assert.equal(h.sockets[0].sent.length, 1);
});

test("no reply in time: the same guess also goes over HTTP", async () => {
  const h = harness();
  h.transport.start();
  h.sockets[0].open();
  h.pending.set(GUESS);
  h.transport.send(GUESS);
  h.clock.advance(REPLY_TIMEOUT_MS - 1);
  assert.deepEqual(h.posted, []);
  h.clock.advance(1);
  assert.deepEqual(h.posted, [GUESS]);
  await settle();
  assert.deepEqual(h.frames, [{ type: "state", id: "g-1" }]);
});

test("a reply in time (the guess no longer pending) sends nothing more", () => {
  const h = harness();
  h.transport.start();
  h.sockets[0].open();
  h.pending.set(GUESS);
  h.transport.send(GUESS);
  h.sockets[0].receive({ type: "state", id: "g-1" });
  h.pending.clear(); // what the page does with a state frame that carries its guess
  h.clock.advance(REPLY_TIMEOUT_MS * 2);
  assert.deepEqual(h.posted, []);
  assert.deepEqual(h.frames, [{ type: "state", id: "g-1" }]);
});

test("a dropped socket reconnects with growing back-off, and only an answer resets it", () => {
  const h = harness();
  h.transport.start();
  h.sockets[0].open();
  h.sockets[0].close();
  assert.equal(h.transport.phase, "waiting");
  h.clock.advance(999); // back-off after one failure: 500 × 2 = 1000 ms
  assert.equal(h.sockets.length, 1);
  h.clock.advance(1);
  assert.equal(h.sockets.length, 2);
  h.sockets[1].open();
  h.sockets[1].close(); // opened, but never answered: still a failure
  assert.equal(h.transport.attempts, 2);
  h.clock.advance(2000);
  h.sockets[2].open();
  h.sockets[2].receive({ type: "state", state: {} });
  assert.equal(h.transport.attempts, 0);
});

test("after three failures the player is told guesses go over the web, and told when it is back", async () => {
  const h = harness();
  h.transport.start();
  h.pending.set(GUESS);
  h.sockets[0].close();
  h.clock.advance(1000);
  h.sockets[1].close(); // second failure: the pending guess goes over HTTP as well
  assert.deepEqual(h.posted, [GUESS]);
  h.clock.advance(2000);
  h.sockets[2].close();
  assert.equal(h.transport.overHttp, true);
  assert.match(h.notices.at(-1), /keeps failing/);
  h.clock.advance(4000);
  h.sockets[3].open();
  h.sockets[3].receive({ type: "state", state: {} });
  assert.equal(h.transport.overHttp, false);
  assert.equal(h.notices.at(-1), "The live connection is back.");
});

test("a close that says no session or no puzzle is final", () => {
  const h = harness();
  h.transport.start();
  h.sockets[0].close(CLOSE_CODES.noPuzzle);
  assert.equal(h.transport.phase, "closed");
  h.clock.advance(60000);
  h.transport.wake();
  assert.equal(h.sockets.length, 1);
});

test("a socket that cannot even be made (blocked) waits and the guess goes over HTTP", async () => {
  const h = harness({ openFails: true });
  h.pending.set(GUESS);
  h.transport.start();
  assert.equal(h.transport.phase, "waiting");
  h.transport.send(GUESS);
  assert.deepEqual(h.posted, [GUESS]);
});

test("a retryable refusal keeps the guess and sends it again after Retry-After", async () => {
  const h = harness({
    postAnswers: [{ type: "error", code: "unavailable", message: "Busy", retryAfter: 7 }],
  });
  h.pending.set(GUESS);
  h.transport.resend(GUESS);
  await settle();
  assert.deepEqual(h.frames, []); // not the page's business: the guess is still on its way
  assert.deepEqual(h.notices, ["Busy"]);
  h.clock.advance(6999);
  assert.equal(h.posted.length, 1);
  h.clock.advance(1);
  assert.equal(h.posted.length, 2);
  await settle();
  assert.deepEqual(h.frames, [{ type: "state", id: "g-1" }]);
});

test("a refusal that is final goes to the page", async () => {
  const refusal = { type: "error", code: "invalid", id: "g-1", message: "Too long" };
  const h = harness({ postAnswers: [refusal] });
  h.pending.set(GUESS);
  h.transport.resend(GUESS);
  await settle();
  assert.deepEqual(h.frames, [refusal]);
});

test("offline: the guess is kept and tried again later", async () => {
  const h = harness({ postAnswers: [new Error("offline")] });
  h.pending.set(GUESS);
  h.transport.resend(GUESS);
  await settle();
  assert.match(h.notices[0], /kept and will be sent/);
  h.clock.advance(1000); // back-off of one failure
  assert.equal(h.posted.length, 2);
});

test("waking (page visible, back online) reconnects at once instead of at the timer", () => {
  const h = harness();
  h.transport.start();
  h.sockets[0].close();
  h.transport.wake();
  assert.equal(h.sockets.length, 2);
  h.clock.advance(60000); // the cancelled timer opens nothing more
  assert.equal(h.sockets.length, 2);
});

test("a broken frame is ignored", () => {
  const h = harness();
  h.transport.start();
  h.sockets[0].open();
  h.sockets[0].fire("message", { data: "{not json" });
  h.sockets[0].receive({ type: "counts", playing: 3 });
  assert.deepEqual(h.frames, [{ type: "counts", playing: 3 }]);
});
