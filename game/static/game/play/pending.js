// The guess on its way, kept in sessionStorage so that a reload or a dropped connection sends
// it again; and the id that lets the server count it once.

export function createPendingStore(storage, key) {
  return {
    get() {
      try { return JSON.parse(storage.getItem(key) || "null"); } catch (error) { return null; }
    },
    set(guess) {
      try { storage.setItem(key, JSON.stringify(guess)); } catch (error) { /* storage blocked */ }
    },
    clear() {
      try { storage.removeItem(key); } catch (error) { /* storage blocked */ }
    },
  };
}

export function newId(cryptoSource) {
  if (cryptoSource.randomUUID) return cryptoSource.randomUUID();
  const b = new Uint8Array(16);
  cryptoSource.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => (x + 256).toString(16).slice(1));
  return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
    "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
}
