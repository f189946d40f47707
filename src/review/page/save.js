// Editable fields and the serial queue of saves to the server.
'use strict';

// ------------------------------------------------------------ editable keys
// t:T12 turn text · st:T12 its statement · s:2:0 要旨 sentence · d:2 decision
function serverText(key) {
  const [kind, a, b] = key.split(':');
  const d = S.draft;
  if (kind === 't') return (S.idx.turn.get(a) || {}).text;
  if (kind === 'st') return (S.idx.statement.get(a) || {}).text;
  if (kind === 's') {
    const it = d.items[Number(a)];
    const s = it && it.summary[Number(b)];
    return s && s.text;
  }
  if (kind === 'd') {
    const it = d.items[Number(a)];
    return it && it.outcome ? it.outcome.text : undefined;
  }
  return undefined;
}

function shownText(key) {
  return localText.has(key) ? localText.get(key) : serverText(key) || '';
}

function findEditable(key) {
  return $$('[data-key]', minutes).find((e) => e.dataset.key === key) || null;
}

function readEditable(el) {
  return el.textContent.replace(/[\r\n]+/g, '');
}

// The statement to send with a turn's new text: the printed line follows
// the edit when the edit lies inside it, stays when the edit lies outside
// it (procedural sentences left out of the minutes), and becomes the
// whole text otherwise.
function statementFor(turnId, oldText, newText) {
  const st = S.idx.statement.get(turnId);
  if (!st || st.text === oldText) return null;
  const p = oldText.indexOf(st.text);
  if (p < 0) return st.text;
  let a = 0;
  while (a < oldText.length && a < newText.length && oldText[a] === newText[a]) a++;
  let b = 0;
  while (
    b < oldText.length - a &&
    b < newText.length - a &&
    oldText[oldText.length - 1 - b] === newText[newText.length - 1 - b]
  ) b++;
  const oldEnd = oldText.length - b;
  const inserted = newText.slice(a, newText.length - b);
  const stEnd = p + st.text.length;
  if (a >= p && oldEnd <= stEnd) {
    return st.text.slice(0, a - p) + inserted + st.text.slice(oldEnd - p);
  }
  if (oldEnd <= p || a >= stEnd) return st.text;
  return null;
}

function editFor(key, text) {
  const [kind, a, b] = key.split(':');
  if (kind === 't') {
    const old = serverText(key);
    return { edit: 'set_text', turn: a, text, statement: statementFor(a, old, text) };
  }
  if (kind === 'st') {
    const t = S.idx.turn.get(a);
    return { edit: 'set_text', turn: a, text: t.text, statement: text };
  }
  if (kind === 's') return { edit: 'set_summary', item: Number(a), sentence: Number(b), text };
  if (kind === 'd') {
    const o = S.draft.items[Number(a)].outcome;
    return { edit: 'set_decision', item: Number(a), decision: o.decision, text };
  }
  return null;
}

// ------------------------------------------------------------ server calls
class HttpError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(url, body) {
  const init = body === undefined
    ? { credentials: 'same-origin', cache: 'no-store' }
    : {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      };
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new HttpError(0, { error: 'network' });
  }
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (!res.ok) throw new HttpError(res.status, data);
  return data;
}

async function loadState(message) {
  try {
    const s = await api('/api/state');
    S.revision = s.revision;
    S.canUndo = !!s.can_undo;
    S.canRedo = !!s.can_redo;
    S.draft = s.draft;
    S.segments = s.segments || [];
    S.dropped = s.dropped || [];
    S.duration = s.duration || 0;
    S.correctionsFile = s.corrections_file || '';
    buildIndex();
    sideSignature = '';
    render(true);
    if (message) showError(message);
    setStatus();
    return true;
  } catch (e) {
    handleError(e, 'load');
    return false;
  }
}

function applySaved(saved, force) {
  S.revision = saved.revision;
  S.canUndo = !!saved.can_undo;
  S.canRedo = !!saved.can_redo;
  S.draft = saved.draft;
  buildIndex();
  // Texts the server now holds are no longer unsaved.
  for (const [key, text] of Array.from(localText)) {
    if (!timers.has(key) && !queuedKeys.has(key) && serverText(key) === text) localText.delete(key);
  }
  showWarning(saved.warning || '');
  if (force || !editingNow()) render(true);
  else {
    // The clerk is typing: leave the field alone, refresh the others'
    // text now and redraw the rest when the field loses focus.
    pendingRender = true;
    softUpdate();
  }
}

function softUpdate() {
  const a = document.activeElement;
  for (const el of $$('[data-key]', minutes)) {
    if (el === a || localText.has(el.dataset.key)) continue;
    const text = serverText(el.dataset.key);
    if (text !== undefined && el.textContent !== text) el.textContent = text;
  }
  renderSide();
  setStatus();
}

function editingNow() {
  const a = document.activeElement;
  return !!(a && a.isContentEditable && minutes.contains(a));
}

// Runs `op` after everything queued before it. An op builds its request
// when its turn comes, from the latest draft and revision.
function enqueue(op) {
  return new Promise((resolve) => {
    queue.push({ ...op, resolve });
    setStatus();
    pump();
  });
}

async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const op = queue.shift();
    let ok = false;
    try {
      const req = op.build();
      if (req) {
        setStatus();
        const saved = await api(req.url, { revision: S.revision, ...req.body });
        lastFailed = false;
        showError('');
        applySaved(saved, op.force);
        if (op.after) op.after(saved);
      }
      ok = true;
    } catch (e) {
      lastFailed = true;
      if (op.failed) op.failed(e);
      const stop = handleError(e, op.what || 'edit');
      if (stop) {
        for (const rest of queue.splice(0)) rest.resolve(false);
        queuedKeys.clear();
      }
    }
    op.resolve(ok);
  }
  busy = false;
  setStatus();
}

// Shows what went wrong; returns true when the rest of the queue must be dropped.
function handleError(e, what) {
  const st = e instanceof HttpError ? e.status : -1;
  if (st === 409) {
    const lost = Array.from(localText).filter(([k, v]) => serverText(k) !== v);
    localText.clear();
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    let msg = '別のタブ（または別の画面）で会議録が変更されたため、この変更は保存されませんでした。最新の状態を読み込みました。';
    if (lost.length) {
      msg += ' 保存されなかった入力：' + lost.map(([, v]) => `「${v}」`).join('、');
    }
    loadState(msg);
    return true;
  }
  if (st === 403) {
    showError('セッションが切れました。端末に `kaigiroku review` が表示したURLをもう一度開いてください。（' + e.message + '）');
    return true;
  }
  if (st === 400) {
    // The server kept its draft: show it as it is.
    for (const [k] of Array.from(localText)) if (!timers.has(k)) localText.delete(k);
    showError('この変更はできません：' + e.message);
    render(true);
    return false;
  }
  if (st === 0) {
    showError('サーバーに接続できません。`kaigiroku review` が動いているか確かめてください。入力は保存されていません。');
    return true;
  }
  if (what === 'load') {
    showError('会議録を読み込めませんでした：' + e.message);
    return true;
  }
  showError('保存できませんでした：' + e.message);
  return true;
}

function edit(edits, opts = {}) {
  flushAll();
  return enqueue({
    build: () => ({ url: '/api/edit', body: { edits: typeof edits === 'function' ? edits() : edits } }),
    force: opts.force !== false,
    after: opts.after,
    failed: opts.failed,
  });
}

// Saves the editable `key` (now or when its turn comes in the queue).
function saveKey(key) {
  if (timers.has(key)) {
    clearTimeout(timers.get(key));
    timers.delete(key);
  }
  if (queuedKeys.has(key)) return;
  if (!localText.has(key)) return;
  queuedKeys.add(key);
  enqueue({
    force: false,
    build: () => {
      queuedKeys.delete(key);
      if (!localText.has(key)) return null;
      const text = localText.get(key);
      if (serverText(key) === undefined) {
        localText.delete(key);
        return null;
      }
      if (serverText(key) === text) {
        if (!timers.has(key)) localText.delete(key);
        return null;
      }
      return { url: '/api/edit', body: { edits: [editFor(key, text)] } };
    },
  });
}

function flushAll() {
  for (const key of Array.from(timers.keys())) saveKey(key);
}

function idle() {
  return !busy && queue.length === 0 && timers.size === 0;
}

function whenIdle() {
  flushAll();
  return enqueue({ build: () => null });
}

// ------------------------------------------------------------ status bars
function setStatus() {
  const el = $('#save-status');
  if (S.revision !== null) el.dataset.revision = String(S.revision);
  let text;
  let cls;
  if (busy || queue.length || timers.size) {
    text = '保存中…';
    cls = 'saving';
  } else if (lastFailed) {
    text = 'エラー';
    cls = 'error';
  } else if (S.revision === null) {
    text = '読み込み中…';
    cls = 'saving';
  } else {
    text = '保存済み';
    cls = 'saved';
  }
  el.textContent = text;
  el.className = `status ${cls}`;
  el.title = S.revision !== null ? `版 ${S.revision}` : '';
  $('#undo').disabled = !S.canUndo;
  $('#redo').disabled = !S.canRedo;
}

function showError(msg) {
  $('#error').textContent = msg || '';
  $('#error-bar').hidden = !msg;
}

function showWarning(msg) {
  $('#warning').textContent = msg || '';
  $('#warning-bar').hidden = !msg;
}

// ---------------------------------------------------------------- caret
function caretOffset(el) {
  const sel = window.getSelection();
  if (!sel || !sel.rangeCount || !el.contains(sel.focusNode)) return null;
  const r = document.createRange();
  r.selectNodeContents(el);
  r.setEnd(sel.focusNode, sel.focusOffset);
  return cpLen(r.toString().replace(/[\r\n]+/g, ''));
}

function setCaret(el, offset) {
  const sel = window.getSelection();
  const r = document.createRange();
  let left = offset == null ? Infinity : offset;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let node = walker.nextNode();
  let placed = false;
  while (node) {
    const cs = chars(node.data);
    if (left <= cs.length) {
      r.setStart(node, cs.slice(0, left).join('').length);
      placed = true;
      break;
    }
    left -= cs.length;
    const next = walker.nextNode();
    if (!next) {
      r.setStart(node, node.data.length);
      placed = true;
    }
    node = next;
  }
  if (!placed) r.selectNodeContents(el);
  r.collapse(true);
  sel.removeAllRanges();
  sel.addRange(r);
}
