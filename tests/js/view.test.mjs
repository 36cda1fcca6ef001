// The play page's pure view helpers (run by `node --test tests/js`, under pytest by
// tests/game/test_play_page_modules.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { guessSummary, shownPercent } from "../../game/static/game/play/view.js";

test("only the answer itself is shown as 100% similar", () => {
  assert.equal(shownPercent(100), 100);
  assert.equal(shownPercent(99.9), 99);
  assert.equal(shownPercent(99.4), 99);
  assert.equal(shownPercent(61.5), 62);
  assert.equal(shownPercent(0), 0);
});

test("a guess's summary reads its percent and its marks", () => {
  const guess = { similarity: 99.9, words: [["three", "exact"], ["tiny", "near"], ["under", "absent"]] };
  assert.equal(guessSummary(guess), "99% similar; found: three; near: tiny");
});
