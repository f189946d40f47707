// The side panels: speakers and their roles, what to check.
'use strict';

// ------------------------------------------------------------ side panels
function renderSide() {
  $('#corrections-file').textContent = S.correctionsFile || '（未設定）';
  const sig = JSON.stringify([S.draft.speakers, Array.from(S.idx.speakerTurns)]);
  if (sig !== sideSignature && !sideHasFocus()) {
    sideSignature = sig;
    renderSpeakers();
  }
  renderReview();
}

function sideHasFocus() {
  const a = document.activeElement;
  return !!(a && $('#speakers').contains(a) && a.tagName === 'INPUT' && a.type === 'text');
}

function attendeeTitles() {
  const out = [];
  for (const a of S.draft.meeting.attendees || []) {
    if (a.title && !out.includes(a.title) && !ROLES.includes(a.title)) out.push(a.title);
  }
  return out;
}

function renderSpeakers() {
  const titles = attendeeTitles();
  $('#attendee-titles').replaceChildren(...titles.map((t) => h('option', { value: t })));
  const box = $('#speakers');
  const list = (S.draft.speakers || []).map((sp) => {
    const turns = S.idx.speakerTurns.get(sp.id) || [];
    const secs = turns.reduce((a, id) => {
      const t = S.idx.turn.get(id);
      return a + Math.max(0, t.end - t.start);
    }, 0);
    const low = !sp.confirmed && sp.confidence < LOW_SPEAKER;
    const options = [...ROLES];
    for (const t of titles) if (!options.includes(t)) options.push(t);
    if (!options.includes(sp.role)) options.push(sp.role);
    const roleSel = h('select', {
      class: 'speaker-role', data: { speaker: sp.id }, 'aria-label': `${sp.id} の役割`,
    },
    h('optgroup', { label: '役割' }, ROLES.map((r) => h('option', { value: r, selected: r === sp.role, text: r }))),
    options.length > ROLES.length
      ? h('optgroup', { label: '職名で記載' }, options.slice(ROLES.length).map((r) => h('option', { value: r, selected: r === sp.role, text: r })))
      : null,
    h('option', { value: OTHER_ROLE, text: 'その他（入力）…' }));
    const custom = h('div', { class: 'custom-role', hidden: true },
      h('input', { type: 'text', class: 'custom-role-input', list: 'attendee-titles', placeholder: '記載する役割・職名', 'aria-label': `${sp.id} の役割（自由入力）` }),
      h('button', { type: 'button', class: 'custom-role-apply', text: '適用' }));
    const titleInput = h('input', {
      type: 'text', class: 'speaker-title', list: 'attendee-titles', value: sp.title || '',
      placeholder: '（なし）', data: { speaker: sp.id }, 'aria-label': `${sp.id} の職名`,
    });
    const ev = (sp.evidence || []).map((e) => h('li', null,
      e.weight > 0
        ? h('button', { type: 'button', class: 'link evidence-at', data: { at: e.at }, title: 'この箇所を聞く' }, `▶ ${fmtTime(e.at)}`)
        : h('span', { class: 'ev-none', text: '・' }),
      ' ', e.reason,
      e.role !== sp.role ? h('span', { class: 'ev-role', text: `（${e.role}）` }) : null));
    return h('div', { class: 'speaker' + (low ? ' unsure' : '') + (sp.confirmed ? ' confirmed' : ''), id: `speaker-${sp.id}`, data: { speaker: sp.id } },
      h('div', { class: 'speaker-head' },
        h('b', { class: 'speaker-id', text: sp.id }),
        roleSel,
        h('span', { class: 'conf' + (low ? ' warn' : ''), title: '役割の確からしさ', text: pct(sp.confidence) }),
        sp.confirmed
          ? h('span', { class: 'badge ok', text: '✓ 確認済み' })
          : h('button', { type: 'button', class: 'confirm-role', title: 'この役割で正しいと確認する' }, '確認')),
      custom,
      h('div', { class: 'speaker-row' }, h('label', null, '職名 ', titleInput)),
      h('div', { class: 'speaker-row stats' },
        `発言 ${turns.length} 件・${fmtTime(secs)}`,
        turns.length ? h('button', { type: 'button', class: 'link next-of-speaker', title: 'この話者の次の発言へ' }, '次の発言へ ↓') : null),
      ev.length ? h('ul', { class: 'evidence' }, ev) : null);
  });
  box.replaceChildren(...list);
}

// Everything the clerk should look at, in meeting order.
function reviewItems() {
  const d = S.draft;
  const out = [];
  for (const f of d.flags || []) {
    out.push({ kind: 'flag', where: '会議全体', text: f.message, start: f.start, done: false });
  }
  for (const sp of d.speakers || []) {
    if (sp.confidence < LOW_SPEAKER) {
      out.push({
        kind: 'speaker', where: `話者 ${sp.id}`, text: `役割「${sp.role}」の確からしさ ${pct(sp.confidence)}`,
        speaker: sp.id, done: !!sp.confirmed,
      });
    }
  }
  const timed = [];
  d.items.forEach((it, k) => {
    for (const f of it.flags || []) {
      timed.push({ kind: 'flag', where: heading(it), text: f.message, start: Number.isFinite(f.start) ? f.start : it.start, item: k, done: !!it.checked });
    }
    if (it.outcome && it.outcome.decision === 'unclear' && !(it.flags || []).some((f) => f.kind === 'decision_unclear')) {
      timed.push({ kind: 'flag', where: heading(it), text: '決定が聞き取れません（決定の行を記入してください）', start: it.end, item: k, decision: true, done: !!it.checked });
    }
  });
  for (const t of d.turns) {
    const where = `${t.id} ${roleOf(t.id)}`;
    for (const si of S.idx.low.get(t.id) || []) {
      const seg = S.segments[si];
      timed.push({ kind: 'low', where, text: `認識の信頼度 ${pct(seg.confidence)}：「${seg.text}」`, start: seg.start, end: seg.end, turn: t.id, done: !!t.checked });
    }
    for (const [si, f] of S.idx.segFlags.get(t.id) || []) {
      const seg = S.segments[si];
      timed.push({ kind: 'low', where, text: `${SEGMENT_FLAGS[f]}：「${seg.text}」`, start: seg.start, end: seg.end, turn: t.id, done: !!t.checked });
    }
    if ((t.corrections || []).length) {
      timed.push({
        kind: 'corr', where, turn: t.id, start: t.start, end: t.end, done: !!t.checked,
        text: '自動訂正：' + t.corrections.map((c) => `${c.from}→${c.to}`).join('、'),
      });
    }
  }
  for (const x of S.dropped || []) {
    timed.push({ kind: 'dropped', where: '記載しなかった認識結果', text: `「${x.text}」（${x.reason}）`, start: x.start, end: x.end, done: false, info: true });
  }
  timed.sort((a, b) => (a.start || 0) - (b.start || 0));
  return out.concat(timed);
}

function renderReview() {
  reviewEntries = reviewItems();
  const hideDone = $('#review-hide-done').checked;
  const open = reviewEntries.filter((e) => !e.done && !e.info).length;
  $('#review-count').textContent = `残り ${open} / ${reviewEntries.filter((e) => !e.info).length}`;
  const list = $('#review-list');
  list.replaceChildren(...reviewEntries.map((e, i) => {
    if (hideDone && e.done) return null;
    return h('li', {
      class: `review-entry kind-${e.kind}` + (e.done ? ' done' : '') + (e.info ? ' info' : '') + (i === reviewPos ? ' active' : ''),
      data: { index: i },
    },
    h('button', { type: 'button', class: 'review-go' },
      h('span', { class: 'where', text: e.where + (Number.isFinite(e.start) ? `　${fmtTime(e.start)}` : '') }),
      h('span', { class: 'what', text: e.text })));
  }).filter(Boolean));
  if (!reviewEntries.length) list.append(h('li', { class: 'empty', text: '要確認の箇所はありません。' }));
}

function goReview(i) {
  const e = reviewEntries[i];
  if (!e) return;
  reviewPos = i;
  $$('#review-list .review-entry').forEach((li) => li.classList.toggle('active', Number(li.dataset.index) === i));
  const li = $(`#review-list .review-entry[data-index="${i}"]`);
  if (li) li.scrollIntoView({ block: 'nearest' });
  if (e.speaker) {
    const el = $(`#speaker-${e.speaker}`);
    if (el) {
      el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      flash(el);
    }
    const first = (S.idx.speakerTurns.get(e.speaker) || [])[0];
    if (first) markCurrent(first, true);
    return;
  }
  if (e.turn) {
    markCurrent(e.turn, true);
    const t = S.idx.turn.get(e.turn);
    playSpan(Number.isFinite(e.start) ? e.start : t.start, Number.isFinite(e.end) ? e.end : t.end, e.turn);
    return;
  }
  if (e.item !== undefined) {
    const el = e.decision ? $(`#item-${e.item} .decision`) : $(`#item-${e.item}`);
    if (el) {
      el.scrollIntoView({ block: 'center', behavior: 'smooth' });
      flash(el);
    }
  }
  if (Number.isFinite(e.start)) playSpan(e.start, Number.isFinite(e.end) ? e.end : e.start + 10, null);
}

function stepReview(dir) {
  const n = reviewEntries.length;
  if (!n) return;
  for (let k = 1; k <= n; k++) {
    const i = (((reviewPos < 0 ? (dir > 0 ? -1 : 0) : reviewPos) + dir * k) % n + n) % n;
    const e = reviewEntries[i];
    if (!e.done && !e.info) return goReview(i);
  }
}

function flash(el) {
  el.classList.remove('flash');
  void el.offsetWidth;
  el.classList.add('flash');
}
