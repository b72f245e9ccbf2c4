// Files and memory of a run: save/load as one file, autosave in IndexedDB with an offer to
// resume after a reload, and PNG export of any plot. The bytes come from the Rust core
// (Session.save / Session.load); this file only moves them.

const DB_NAME = 'seq2seq-playground';
const STORE = 'autosave';
const KEY = 'current';

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request && request.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The autosaved run `{bytes, step, task, savedAt}`, or null. */
export async function readAutosave() {
  try {
    return (await withStore('readonly', (s) => s.get(KEY))) || null;
  } catch {
    return null;
  }
}

/** Keeps `record` as the autosaved run. */
export function writeAutosave(record) {
  return withStore('readwrite', (s) => s.put(record, KEY));
}

/** Forgets the autosaved run. */
export function discardAutosave() {
  return withStore('readwrite', (s) => s.delete(KEY));
}

/** Offers `blob` as a download named `name`. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads the canvas `id` as a PNG named after it and `step`. */
export function exportPng(id, step) {
  document.getElementById(id).toBlob((blob) => download(blob, `seq2seq-${id}-step${step}.png`), 'image/png');
}

/** A short "3 minutes ago". */
export function ago(time) {
  const s = Math.max(0, Math.round((Date.now() - time) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} minutes ago`;
  return new Date(time).toLocaleString();
}
