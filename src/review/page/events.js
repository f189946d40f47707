// Find and replace, and every event handler and key.
'use strict';

// ------------------------------------------------------------ find/replace
function findTargets() {
  const out = [];
  for (const t of S.draft.turns) {
    out.push({ key: `t:${t.id}`, text: shownText(`t:${t.id}`) });
    if (S.idx.statement.has(t.id) && S.idx.statement.get(t.id).text !== t.text) out.push({ key: `st:${t.id}`, text: shownText(`st:${t.id}`) });
  }
  S.draft.items.forEach((it, k) => {
    it.summary.forEach((s, n) => out.push({ key: `s:${k}:${n}`, text: shownText(`s:${k}:${n}`) }));
    if (it.outcome) out.push({ key: `d:${k}`, text: shownText(`d:${k}`) });
  });
  return out;
}

function countIn(text, f) {
  if (!f) return 0;
  let n = 0;
  let i = text.indexOf(f);
  while (i >= 0) {
    n++;
    i = text.indexOf(f, i + f.length);
  }
  return n;
}

let findPos = -1;
function updateFindCount() {
  const f = $('#find').value;
  const out = $('#find-count');
  if (!S.draft) return;
  if (!f) {
    out.textContent = '';
    highlightMatches('');
    return;
  }
  let n = 0;
  let places = 0;
  for (const t of findTargets()) {
    const c = countIn(t.text, f);
    n += c;
    if (c) places++;
  }
  out.textContent = n ? `本文中に ${n} か所（${places} 段落）` : '本文中に見つかりません';
  highlightMatches(f);
}

// Marks the matches with the CSS Custom Highlight API where the browser has it.
function highlightMatches(f) {
  if (!(window.CSS && CSS.highlights && window.Highlight)) return;
  CSS.highlights.delete('find-match');
  if (!f) return;
  const ranges = [];
  for (const el of $$('.editable', minutes)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      let i = node.data.indexOf(f);
      while (i >= 0) {
        const r = new Range();
        r.setStart(node, i);
        r.setEnd(node, i + f.length);
        ranges.push(r);
        i = node.data.indexOf(f, i + f.length);
      }
    }
  }
  if (ranges.length) CSS.highlights.set('find-match', new Highlight(...ranges));
}

function stepFind(dir) {
  const f = $('#find').value;
  if (!f) return;
  const els = $$('.editable', minutes).filter((el) => el.textContent.includes(f) && el.offsetParent !== null);
  if (!els.length) return;
  findPos = ((findPos + dir) % els.length + els.length) % els.length;
  const el = els[findPos];
  el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  const turn = el.closest('.turn');
  if (turn) markCurrent(turn.dataset.turn, false);
  flash(el);
}

async function replaceAll() {
  const find = $('#find').value;
  const replace = $('#replace').value;
  const addCorrection = $('#add-correction').checked;
  const result = $('#replace-result');
  if (!find) {
    result.textContent = '検索する文字を入れてください。';
    return;
  }
  result.textContent = '置換中…';
  flushAll();
  const ok = await enqueue({
    what: 'replace',
    force: true,
    build: () => ({ url: '/api/replace', body: { find, replace, add_correction: addCorrection } }),
    after: (saved) => {
      const n = Number(saved.replaced) || 0;
      let msg = n ? `${n} か所を「${replace}」に置き換えました。` : `「${find}」は見つかりませんでした。`;
      if (saved.correction) msg += ` 訂正リストに追加：${saved.correction}`;
      else if (addCorrection && n) msg += ' （訂正リストには追加されませんでした）';
      result.textContent = msg;
    },
  });
  if (!ok) result.textContent = '置換できませんでした。';
  updateFindCount();
}

// ------------------------------------------------------------------ events
function wire() {
  // Editing.
  minutes.addEventListener('input', (e) => {
    const el = e.target.closest('[data-key]');
    if (!el) return;
    const key = el.dataset.key;
    localText.set(key, readEditable(el));
    if (timers.has(key)) clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      // During IME composition, compositionend schedules the save.
      if (!composing) saveKey(key);
      setStatus();
    }, SAVE_DELAY));
    setStatus();
    if ($('#find').value) updateFindCount();
  });
  minutes.addEventListener('compositionstart', () => { composing = true; });
  minutes.addEventListener('compositionend', (e) => {
    composing = false;
    const el = e.target.closest && e.target.closest('[data-key]');
    if (el) {
      const key = el.dataset.key;
      localText.set(key, readEditable(el));
      if (timers.has(key)) clearTimeout(timers.get(key));
      timers.set(key, setTimeout(() => { timers.delete(key); saveKey(key); }, SAVE_DELAY));
      setStatus();
    }
  });
  minutes.addEventListener('focusout', (e) => {
    if (rendering) return;
    const el = e.target.closest && e.target.closest('[data-key]');
    if (!el) return;
    const key = el.dataset.key;
    if (key.startsWith('t:')) {
      const off = caretOffset(el);
      if (off !== null) lastCaret.set(key.slice(2), off);
    }
    composing = false;
    if (localText.has(key)) {
      localText.set(key, readEditable(el));
      saveKey(key);
    }
    if (pendingRender) {
      // Let the focus land first, then redraw around it.
      setTimeout(() => { if (pendingRender && !editingNow()) render(true); }, 0);
    }
  });
  document.addEventListener('selectionchange', () => {
    const a = document.activeElement;
    if (a && a.dataset && a.dataset.key && a.dataset.key.startsWith('t:') && minutes.contains(a)) {
      const off = caretOffset(a);
      if (off !== null) lastCaret.set(a.dataset.key.slice(2), off);
    }
  });
  minutes.addEventListener('paste', (e) => {
    const el = e.target.closest && e.target.closest('[data-key]');
    if (!el) return;
    e.preventDefault();
    const text = (e.clipboardData || window.clipboardData).getData('text/plain').replace(/[\r\n]+/g, '');
    document.execCommand('insertText', false, text);
  });
  minutes.addEventListener('drop', (e) => {
    if (e.target.closest && e.target.closest('[data-key]')) e.preventDefault();
  });
  minutes.addEventListener('keydown', (e) => {
    const el = e.target.closest && e.target.closest('[data-key]');
    if (!el || e.isComposing || e.keyCode === 229) return;
    if (e.key === 'Enter') {
      e.preventDefault();
      const turn = el.closest('.turn');
      if ((e.ctrlKey || e.metaKey) && turn && el.classList.contains('turn-text')) splitTurn(turn.dataset.turn);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      el.blur();
    }
  });

  // Clicks in the minutes: play, tools.
  let focusedBefore = null;
  minutes.addEventListener('mousedown', (e) => {
    focusedBefore = document.activeElement;
    // Buttons take no focus: the caret stays where it is (split needs
    // it) and Space keeps meaning play/pause.
    if (e.target.closest('button')) e.preventDefault();
  });
  minutes.addEventListener('click', (e) => {
    const t = e.target;
    const turnEl = t.closest('.turn');
    const sentEl = t.closest('.summary-sentence');
    const decEl = t.closest('.decision');
    if (t.closest('.split')) return splitTurn(turnEl.dataset.turn);
    if (t.closest('.merge')) return mergeTurn(turnEl.dataset.turn);
    if (t.closest('select, input, label, a')) return;
    const host = sentEl || turnEl || decEl;
    if (!host) return;
    if (turnEl) markCurrent(turnEl.dataset.turn, false);
    const ed = t.closest('[data-key]');
    if (ed) {
      // Clicking into text plays its span, unless the audio is already there.
      if (!$('#click-plays').checked || focusedBefore === ed) return;
      const s = Number(host.dataset.start);
      const en = Number(host.dataset.end);
      const now = player.currentTime;
      if (now >= s && now < en) return;
    }
    if (t.closest('button') && !t.closest('.play')) return;
    const start = Number(host.dataset.start);
    const end = Number(host.dataset.end);
    if (host.dataset.start === '' || !Number.isFinite(start)) return;
    playSpan(start, end, turnEl && !sentEl ? turnEl.dataset.turn : host.dataset.anchor);
  });
  minutes.addEventListener('change', (e) => {
    const t = e.target;
    const turnEl = t.closest('.turn');
    if (!turnEl) return;
    const id = turnEl.dataset.turn;
    if (t.classList.contains('turn-speaker')) {
      edit([{ edit: 'move_turn', turn: id, to: t.value }]);
    } else if (t.classList.contains('check-turn')) {
      edit([{ edit: 'check_turn', turn: id, checked: t.checked }]);
    }
  });

  // Speakers panel.
  const speakers = $('#speakers');
  speakers.addEventListener('change', (e) => {
    const t = e.target;
    const box = t.closest('.speaker');
    if (!box) return;
    const id = box.dataset.speaker;
    if (t.classList.contains('speaker-role')) {
      if (t.value === OTHER_ROLE) {
        const sp = S.idx.speaker.get(id);
        t.value = sp.role;
        const c = $('.custom-role', box);
        c.hidden = false;
        $('input', c).focus();
        return;
      }
      edit([{ edit: 'set_role', speaker: id, role: t.value, confirmed: true }]);
    } else if (t.classList.contains('speaker-title')) {
      const v = t.value.trim();
      const sp = S.idx.speaker.get(id);
      if ((sp.title || '') === v) return;
      edit([{ edit: 'set_title', speaker: id, title: v || null }]);
    }
  });
  speakers.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.isComposing || e.keyCode === 229) return;
    if (e.target.classList.contains('custom-role-input')) {
      e.preventDefault();
      applyCustomRole(e.target.closest('.speaker'));
    } else if (e.target.classList.contains('speaker-title')) {
      e.preventDefault();
      e.target.blur();
    }
  });
  speakers.addEventListener('click', (e) => {
    const t = e.target;
    const box = t.closest('.speaker');
    if (!box) return;
    const id = box.dataset.speaker;
    const sp = S.idx.speaker.get(id);
    if (t.closest('.confirm-role')) {
      edit([{ edit: 'set_role', speaker: id, role: sp.role, confirmed: true }]);
    } else if (t.closest('.custom-role-apply')) {
      applyCustomRole(box);
    } else if (t.closest('.evidence-at')) {
      const at = Number(t.closest('.evidence-at').dataset.at);
      const turn = S.draft.turns.find((x) => x.start <= at + 0.05 && at < x.end);
      if (turn) {
        markCurrent(turn.id, true);
        playSpan(turn.start, turn.end, turn.id);
      } else {
        playSpan(at, at + 8, null);
      }
    } else if (t.closest('.next-of-speaker')) {
      const ids = S.idx.speakerTurns.get(id) || [];
      if (!ids.length) return;
      const cur = S.current ? S.idx.pos.get(S.current) : -1;
      const next = ids.find((x) => S.idx.pos.get(x) > cur) || ids[0];
      markCurrent(next, true);
      playTurn(next);
    }
  });

  // Review list.
  $('#review-list').addEventListener('click', (e) => {
    const li = e.target.closest('.review-entry');
    if (li) goReview(Number(li.dataset.index));
  });
  $('#review-prev').addEventListener('click', () => stepReview(-1));
  $('#review-next').addEventListener('click', () => stepReview(1));
  $('#review-hide-done').addEventListener('change', renderReview);

  // Toolbar.
  $('#undo').addEventListener('click', () => undoRedo('undo'));
  $('#redo').addEventListener('click', () => undoRedo('redo'));
  $('#error-close').addEventListener('click', () => showError(''));
  $('#warning-close').addEventListener('click', () => showWarning(''));
  $('#speed-down').addEventListener('click', () => stepSpeed(-1));
  $('#speed-up').addEventListener('click', () => stepSpeed(1));
  for (const [id, cls] of [['show-verbatim', 'hide-verbatim'], ['show-unprinted', 'hide-unprinted']]) {
    const box = $(`#${id}`);
    const apply = () => document.body.classList.toggle(cls, !box.checked);
    box.addEventListener('change', () => { apply(); remember(id, box.checked); });
    box.checked = recall(id, box.checked);
    apply();
  }
  for (const id of ['click-plays', 'follow']) {
    const box = $(`#${id}`);
    box.checked = recall(id, box.checked);
    box.addEventListener('change', () => remember(id, box.checked));
  }
  for (const a of $$('.exports a')) {
    a.addEventListener('click', (e) => {
      if (idle() && !localText.size) return;
      e.preventDefault();
      whenIdle().then(() => {
        if (!localText.size) window.location.href = a.href;
        else showError('保存されていない変更があるため書き出せません。');
      });
    });
  }

  // Find / replace.
  $('#find').addEventListener('input', () => { findPos = -1; updateFindCount(); });
  $('#find').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); stepFind(e.shiftKey ? -1 : 1); }
  });
  $('#find-next').addEventListener('click', () => stepFind(1));
  $('#find-prev').addEventListener('click', () => stepFind(-1));
  $('#replace-all').addEventListener('click', replaceAll);

  // Audio.
  player.addEventListener('seeking', () => {
    if (ownSeek > 0) ownSeek--;
    else {
      stopAt = null;
      playingKey = null;
    }
  });
  player.addEventListener('timeupdate', () => { checkStop(); updatePlaying(); });
  player.addEventListener('play', () => { document.body.classList.add('is-playing'); startLoop(); });
  player.addEventListener('pause', () => document.body.classList.remove('is-playing'));
  player.addEventListener('ratechange', () => { $('#speed').textContent = `${(player.playbackRate || 1).toFixed(2)}×`; });
  player.addEventListener('error', () => showError('録音を読み込めませんでした（/audio）。'));
  let rate = 1;
  try {
    rate = Number(localStorage.getItem('kaigiroku.speed')) || 1;
  } catch (e) { /* storage off */ }
  setSpeed(SPEEDS.includes(rate) ? rate : 1);

  // Keys.
  document.addEventListener('keydown', onKey);

  // Another tab may have changed the draft while this one was hidden.
  document.addEventListener('visibilitychange', async () => {
    if (document.visibilityState !== 'visible' || !S.draft || !idle() || localText.size) return;
    try {
      const s = await api('/api/state');
      if (s.revision !== S.revision && idle() && !localText.size) {
        S.revision = s.revision;
        S.canUndo = !!s.can_undo;
        S.canRedo = !!s.can_redo;
        S.draft = s.draft;
        S.segments = s.segments || S.segments;
        S.dropped = s.dropped || S.dropped;
        buildIndex();
        render(true);
        showWarning('別のタブでの変更を読み込みました。');
      }
    } catch (e) { /* shown on the next write */ }
  });
  window.addEventListener('beforeunload', (e) => {
    if (!idle() || localText.size) {
      flushAll();
      e.preventDefault();
      e.returnValue = '';
    }
  });
}

function applyCustomRole(box) {
  const id = box.dataset.speaker;
  const v = $('.custom-role-input', box).value.trim();
  if (!v) return;
  edit([{ edit: 'set_role', speaker: id, role: v, confirmed: true }]);
}

function onKey(e) {
  if (e.defaultPrevented || e.isComposing || e.keyCode === 229) return;
  const t = e.target;
  if (isEditableTarget(t)) return;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey && (e.key === 'z' || e.key === 'Z')) {
    e.preventDefault();
    undoRedo(e.shiftKey ? 'redo' : 'undo');
    return;
  }
  if (mod && !e.altKey && (e.key === 'y' || e.key === 'Y')) {
    e.preventDefault();
    undoRedo('redo');
    return;
  }
  if (mod || e.altKey) return;
  switch (e.key) {
    case ' ':
    case 'Spacebar':
      e.preventDefault();
      togglePlay();
      break;
    case 'r':
    case 'R':
      e.preventDefault();
      replay3();
      break;
    case 'j':
    case 'J':
    case 'ArrowDown':
      e.preventDefault();
      stepTurn(1);
      break;
    case 'k':
    case 'K':
    case 'ArrowUp':
      e.preventDefault();
      stepTurn(-1);
      break;
    case '[':
      e.preventDefault();
      stepSpeed(-1);
      break;
    case ']':
      e.preventDefault();
      stepSpeed(1);
      break;
    default:
  }
}

function remember(name, value) {
  try {
    localStorage.setItem(`kaigiroku.${name}`, JSON.stringify(value));
  } catch (e) { /* storage off */ }
}

function recall(name, fallback) {
  try {
    const v = localStorage.getItem(`kaigiroku.${name}`);
    return v === null ? fallback : JSON.parse(v);
  } catch (e) {
    return fallback;
  }
}

// ------------------------------------------------------------------- start
// A fault of the page itself is shown like any other error, never silent.
window.addEventListener('error', (e) => showError(`ページの不具合: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => showError(`ページの不具合: ${e.reason}`));
wire();
setStatus();
loadState();
