// The clerk's review page of kaigiroku (`kaigiroku review DIR`), in plain
// ES2020 with no libraries, split in classic scripts that share one global
// scope and load in order (index.html); the server embeds them. The API is
// documented in src/review/mod.rs. Every change goes through a serial queue
// of POSTs, each naming the latest revision the server acknowledged.
//
// Constants, the page's state, DOM helpers and the draft's indexes.
'use strict';

// ---------------------------------------------------------------- constants
const ROLES = ['本部長', '副本部長', '部員', '事務局'];
const LOW_SEGMENT = 0.6; // segment confidence below this: listen
const LOW_SPEAKER = 0.7; // speaker role confidence below this: confirm
const SAVE_DELAY = 700; // ms after the last keystroke
const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2];
const OTHER_ROLE = '__other__';
const RULES = { era: '元号', glossary: '用語集', confusion: '誤認識リスト' };
const DECISIONS = [
  ['approved', '承認'],
  ['other', 'その他の決定'],
  ['unclear', '不明（要記入）'],
];
const DEFAULT_APPROVED = '議題について案のとおり承認';
const FOUND = {
  order: '順序から推定した区切り',
  speech: '発言から検出した議題',
  missing: '録音中に見つからない',
};
const SEGMENT_FLAGS = {
  repetition_cut: '同じ語句の繰り返しを削除した箇所',
  silence_phrase: '無音時に出やすい定型句（発話と判定して残した）',
  redecoded: '認識が飛ばした発話を単独で再認識した箇所',
};

// -------------------------------------------------------------------- state
const S = {
  revision: null,
  canUndo: false,
  canRedo: false,
  draft: null,
  segments: [],
  dropped: [],
  duration: 0,
  correctionsFile: '',
  current: null, // turn id the keys J/K move from
  idx: null, // indexes over the draft, rebuilt on every change
};
// Text typed but not yet acknowledged by the server, by editable key.
const localText = new Map();
const timers = new Map(); // key -> save timer
const queuedKeys = new Set(); // keys with a save in the queue
const queue = [];
let busy = false;
let lastFailed = false;
let pendingRender = false;
let rendering = false;
let composing = false;
let sideSignature = '';
let reviewEntries = [];
let reviewPos = -1;
const lastCaret = new Map(); // turn id -> caret offset in its text

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const player = $('#player');
const minutes = $('#minutes');

// ------------------------------------------------------------------ helpers
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'data') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const chars = (s) => Array.from(s || '');
const cpLen = (s) => chars(s).length;

function fmtTime(sec) {
  if (!Number.isFinite(sec)) return '–';
  const s = Math.max(0, Math.floor(sec));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

// Time of day at `sec` into the recording, when the recording start is known.
function clockAt(sec) {
  const rs = S.draft && S.draft.meeting.recording_start;
  if (!rs || !Number.isFinite(sec)) return null;
  const [hh, mm] = rs.split(':').map(Number);
  const total = hh * 60 + mm + Math.floor(sec / 60);
  return `${Math.floor(total / 60) % 24}:${String(total % 60).padStart(2, '0')}`;
}

function span(start, end) {
  const c = clockAt(start);
  return `${fmtTime(start)}–${fmtTime(end)}` + (c ? `（${c}頃）` : '');
}

// 「令和4年1月26日(水)」, as the renderer writes it.
function eraDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  if (!m) return iso || '';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const wd = '日月火水木金土'[new Date(Date.UTC(y, mo - 1, d)).getUTCDay()];
  const eras = [[[2019, 5, 1], '令和'], [[1989, 1, 8], '平成'], [[1926, 12, 25], '昭和']];
  const key = y * 10000 + mo * 100 + d;
  for (const [[ey, em, ed], name] of eras) {
    if (key >= ey * 10000 + em * 100 + ed) {
      const n = y - ey + 1;
      return `${name}${n === 1 ? '元' : n}年${mo}月${d}日(${wd})`;
    }
  }
  return `${y}年${mo}月${d}日(${wd})`;
}

function pct(x) {
  return `${Math.round((Number(x) || 0) * 100)}%`;
}

function isEditableTarget(t) {
  if (!t || t === document.body) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

// ------------------------------------------------------------------ indexes
function buildIndex() {
  const d = S.draft;
  const idx = {
    turn: new Map(),
    pos: new Map(), // turn id -> index in d.turns
    speaker: new Map(),
    section: new Map(), // turn id -> {key, list}
    statement: new Map(), // turn id -> statement
    presentation: new Map(), // turn id -> item index
    low: new Map(), // turn id -> [segment index]
    segFlags: new Map(), // turn id -> [[segment index, flag]]
    speakerTurns: new Map(), // speaker id -> [turn id]
  };
  d.turns.forEach((t, i) => {
    idx.turn.set(t.id, t);
    idx.pos.set(t.id, i);
    if (!idx.speakerTurns.has(t.speaker)) idx.speakerTurns.set(t.speaker, []);
    idx.speakerTurns.get(t.speaker).push(t.id);
    const low = [];
    const flagged = [];
    for (const si of t.segments || []) {
      const seg = S.segments[si];
      if (!seg) continue;
      const fl = seg.flags || [];
      if (seg.confidence < LOW_SEGMENT || fl.includes('low_confidence')) low.push(si);
      for (const f of fl) if (SEGMENT_FLAGS[f]) flagged.push([si, f]);
    }
    if (low.length) idx.low.set(t.id, low);
    if (flagged.length) idx.segFlags.set(t.id, flagged);
  });
  for (const s of d.speakers || []) idx.speaker.set(s.id, s);
  const sections = [['opening', d.opening.turns, d.opening.statements]];
  d.items.forEach((it, k) => sections.push([`item:${k}`, it.turns, it.questions]));
  sections.push(['closing', d.closing.turns, d.closing.statements]);
  for (const [key, turns, statements] of sections) {
    for (const id of turns) idx.section.set(id, { key, list: turns });
    for (const st of statements || []) idx.statement.set(st.turn, st);
  }
  d.items.forEach((it, k) => {
    for (const id of it.presentation || []) idx.presentation.set(id, k);
  });
  S.idx = idx;
}

const roleOf = (turnId) => {
  const t = S.idx.turn.get(turnId);
  const sp = t && S.idx.speaker.get(t.speaker);
  return sp ? sp.role : '（話者不明）';
};

// Whether `id` can be merged into the turn before it (same section,
// directly after it there and in the draft).
function mergeTarget(id) {
  const i = S.idx.pos.get(id);
  if (!i) return null;
  const prev = S.draft.turns[i - 1].id;
  const a = S.idx.section.get(prev);
  const b = S.idx.section.get(id);
  if (!a && !b) return prev;
  if (!a || !b || a.key !== b.key) return null;
  return b.list.indexOf(id) === b.list.indexOf(prev) + 1 ? prev : null;
}
