// Listening: spans, the highlighted line, speed; moving between turns, split and merge.
'use strict';

// ------------------------------------------------------------------ audio
let stopAt = null;
let ownSeek = 0;
let playingKey = null; // the element last asked to play (turn id or sentence anchor)
let playables = [];
let loopOn = false;

function playSpan(start, end, key) {
  if (!Number.isFinite(start)) return;
  stopAt = Number.isFinite(end) && end > start ? end : null;
  playingKey = key;
  seek(start);
  const p = player.play();
  if (p && p.catch) {
    p.catch((e) => {
      if (e && e.name === 'NotAllowedError') showError('ブラウザーが再生を止めました。もう一度クリックしてください。');
    });
  }
  startLoop();
}

function seek(t) {
  ownSeek++;
  try {
    player.currentTime = Math.max(0, t);
  } catch (e) {
    ownSeek--;
  }
}

function togglePlay() {
  if (player.paused) {
    if (stopAt !== null && player.currentTime >= stopAt - 0.05) stopAt = null;
    player.play().catch(() => {});
    startLoop();
  } else {
    player.pause();
  }
}

function replay3() {
  seek(Math.max(0, player.currentTime - 3));
  if (player.paused) player.play().catch(() => {});
  startLoop();
}

function startLoop() {
  if (loopOn) return;
  loopOn = true;
  const tick = () => {
    checkStop();
    updatePlaying();
    if (!player.paused) requestAnimationFrame(tick);
    else loopOn = false;
  };
  requestAnimationFrame(tick);
}

function checkStop() {
  if (stopAt !== null && !player.paused && player.currentTime >= stopAt) {
    player.pause();
    stopAt = null;
  }
}

function buildPlayables() {
  playables = $$('.turn, .summary-sentence', minutes).map((el) => ({
    el,
    start: Number(el.dataset.start),
    end: Number(el.dataset.end),
    key: el.classList.contains('turn') ? el.dataset.turn : el.dataset.anchor,
    turn: el.classList.contains('turn'),
  })).filter((p) => Number.isFinite(p.start) && Number.isFinite(p.end));
}

let lastPlayingSig = '';
function updatePlaying() {
  const t = player.currentTime || 0;
  const pick = (list) => {
    // The element asked to play stays marked at its very end (playback
    // pauses a few ms after it).
    const preferred = list.find((p) => p.key === playingKey && p.start - 0.05 <= t && t <= p.end + 0.35);
    if (preferred) return preferred;
    let best = null;
    for (const p of list) if (p.start <= t && t < p.end && (!best || p.start >= best.start)) best = p;
    return best;
  };
  const turn = pick(playables.filter((p) => p.turn));
  const sentence = pick(playables.filter((p) => !p.turn));
  const sig = `${turn ? turn.key : ''}|${sentence ? sentence.key : ''}`;
  const clock = clockAt(t);
  $('#clock').textContent = `${fmtTime(t)} / ${fmtTime(player.duration || S.duration)}` + (clock ? `（${clock}頃）` : '');
  if (sig === lastPlayingSig && (!turn || turn.el.classList.contains('playing'))
    && (!sentence || sentence.el.classList.contains('playing'))) return;
  lastPlayingSig = sig;
  $$('.playing', minutes).forEach((el) => el.classList.remove('playing'));
  if (turn) turn.el.classList.add('playing');
  if (sentence) sentence.el.classList.add('playing');
  if (turn && !player.paused && $('#follow').checked && !editingNow()) {
    const r = turn.el.getBoundingClientRect();
    const box = minutes.getBoundingClientRect();
    if (r.top < box.top || r.top > box.bottom - 60) turn.el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }
}

function setSpeed(rate) {
  player.playbackRate = rate;
  player.defaultPlaybackRate = rate;
  $('#speed').textContent = `${rate.toFixed(2)}×`;
  try {
    localStorage.setItem('kaigiroku.speed', String(rate));
  } catch (e) { /* storage off */ }
}

function stepSpeed(dir) {
  const cur = player.playbackRate || 1;
  let i = SPEEDS.findIndex((s) => Math.abs(s - cur) < 0.01);
  if (i < 0) i = SPEEDS.indexOf(1);
  setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + dir))]);
}

// ----------------------------------------------------------- current turn
function visibleTurns() {
  return $$('.turn', minutes).filter((el) => el.offsetParent !== null);
}

function markCurrent(id, scroll) {
  S.current = id;
  $$('.turn.current', minutes).forEach((el) => el.classList.remove('current'));
  const el = $(`#turn-${CSS.escape(id)}`);
  if (!el) return;
  el.classList.add('current');
  if (scroll) el.scrollIntoView({ block: 'center', behavior: 'smooth' });
}

function stepTurn(dir) {
  const list = visibleTurns();
  if (!list.length) return;
  let i = list.findIndex((el) => el.dataset.turn === S.current);
  if (i < 0) {
    // Start from the turn being heard.
    i = list.findIndex((el) => el.classList.contains('playing'));
    if (i < 0) i = dir > 0 ? -1 : list.length;
  }
  const next = list[Math.max(0, Math.min(list.length - 1, i + dir))];
  markCurrent(next.dataset.turn, true);
  playTurn(next.dataset.turn);
}

function playTurn(id) {
  const t = S.idx.turn.get(id);
  if (t) playSpan(t.start, t.end, id);
}

// ------------------------------------------------------------ turn actions
function splitTurn(id) {
  const key = `t:${id}`;
  const el = findEditable(key);
  let at = el && document.activeElement === el ? caretOffset(el) : lastCaret.get(id);
  const text = shownText(key);
  const len = cpLen(text);
  if (at == null || at <= 0 || at >= len) {
    showError('分割する位置（本文の途中）にカーソルを置いてから「分割」を押してください。');
    return;
  }
  if (timers.has(key) || localText.has(key)) saveKey(key);
  const before = new Set(S.draft.turns.map((t) => t.id));
  edit([{ edit: 'split_turn', turn: id, at }], {
    after: () => {
      const fresh = S.draft.turns.find((t) => !before.has(t.id));
      if (fresh) {
        markCurrent(fresh.id, false);
        const e2 = findEditable(`t:${fresh.id}`);
        if (e2) {
          e2.focus({ preventScroll: true });
          setCaret(e2, 0);
        }
      }
    },
  });
}

function mergeTurn(id) {
  const prev = mergeTarget(id);
  if (!prev) return;
  const joinAt = cpLen(shownText(`t:${prev}`));
  edit([{ edit: 'merge_turns', first: prev, second: id }], {
    after: () => {
      markCurrent(prev, false);
      const e2 = findEditable(`t:${prev}`);
      if (e2) {
        e2.focus({ preventScroll: true });
        setCaret(e2, joinAt);
      }
    },
  });
}

function undoRedo(which) {
  if (which === 'undo' ? !S.canUndo && idle() : !S.canRedo && idle()) return;
  flushAll();
  enqueue({ what: which, force: true, build: () => ({ url: `/api/${which}`, body: {} }) });
}
