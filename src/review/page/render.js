// The minutes as they will read: header, items, turns, Whisper's words.
'use strict';

// ------------------------------------------------------------------ render
function render(keepFocus) {
  if (!S.draft) return;
  pendingRender = false;
  const focus = keepFocus ? captureFocus() : null;
  const anchor = captureAnchor();
  rendering = true;
  try {
    const frag = document.createDocumentFragment();
    frag.append(renderHeader(), renderBody(), renderFooter());
    minutes.replaceChildren(frag);
  } finally {
    rendering = false;
  }
  restoreAnchor(anchor);
  if (focus) restoreFocus(focus);
  if (S.current) markCurrent(S.current, false);
  renderSide();
  buildPlayables();
  updatePlaying();
  updateFindCount();
  setStatus();
}

function captureFocus() {
  const a = document.activeElement;
  if (!a || !a.dataset || !a.dataset.key || !minutes.contains(a)) return null;
  return { key: a.dataset.key, caret: caretOffset(a) };
}

function restoreFocus(f) {
  const el = findEditable(f.key);
  if (!el) return;
  el.focus({ preventScroll: true });
  setCaret(el, f.caret);
}

function captureAnchor() {
  const top = minutes.getBoundingClientRect().top;
  for (const el of $$('[data-anchor]', minutes)) {
    const r = el.getBoundingClientRect();
    if (r.bottom > top) return { key: el.dataset.anchor, offset: r.top - top };
  }
  return null;
}

function restoreAnchor(a) {
  if (!a) return;
  const el = $$('[data-anchor]', minutes).find((e) => e.dataset.anchor === a.key);
  if (!el) return;
  const top = minutes.getBoundingClientRect().top;
  minutes.scrollTop += el.getBoundingClientRect().top - top - a.offset;
}

function renderHeader() {
  const m = S.draft.meeting;
  const rows = [];
  const row = (label, sub, lines) => {
    rows.push(h('tr', null,
      h('th', { scope: 'row', text: label, colspan: sub ? null : '2' }),
      sub ? h('th', { class: 'sub', text: sub }) : null,
      h('td', null, lines.map((l) => h('div', { text: l })))));
  };
  row('附属機関又は会議体の名称', null, [m.name]);
  row('事務局（担当課）', null, [m.secretariat]);
  let when = eraDate(m.date);
  if (m.start || m.end) when += ` ${m.start || ''}～${m.end || ''}`;
  row('開催日時', null, [when]);
  row('開催場所', null, [m.place || '']);
  const agenda = [];
  let kind = null;
  for (const it of S.draft.items) {
    if (it.kind !== kind) agenda.push(it.kind);
    kind = it.kind;
    agenda.push(`(${it.number}) ${it.title}`);
  }
  row('議題', null, agenda);
  const disc = m.disclosure || {};
  for (const [sub, o] of [['会議', disc.meeting || '非公開'], ['会議録', disc.minutes || '非公開']]) {
    const boxes = ['公開', '非公開', '一部非公開'].map((x) => (x === o ? '■' : '□') + x).join(' ');
    const lines = [boxes];
    if (o !== '公開') lines.push(`非公開・一部非公開の場合は、その理由　${disc.reason || ''}`);
    row('公開の可否', sub, lines);
  }
  const att = m.attendees || [];
  const member = (a) => ['本部長', '副本部長', '部員'].includes(a.role);
  const name = (a) => a.title + (a.role === '本部長' || a.role === '副本部長' ? `（${a.role}）` : '') + (a.note ? `（${a.note}）` : '');
  row('出席者', '部員', [att.filter(member).map(name).join('、')]);
  row('出席者', '事務局', [att.filter((a) => !member(a)).map(name).join('、')]);
  return h('section', { class: 'cover', data: { anchor: 'cover' } },
    h('h1', { class: 'doc-title', text: '会議録' }),
    h('table', { class: 'cover-table' }, h('tbody', null, rows)),
    h('p', { class: 'ui-note', text: '表紙は会議ファイルの内容です（この画面では変更できません）。' }));
}

function renderBody() {
  const d = S.draft;
  const body = h('div', { class: 'body' });
  const placed = new Set();
  // Opening.
  const opening = h('section', { class: 'part opening', data: { anchor: 'opening' } },
    h('p', { class: 'ui-label', text: '開会' }));
  for (const id of d.opening.turns) {
    placed.add(id);
    opening.append(renderTurn(id, 'opening'));
  }
  body.append(opening);
  // Items.
  d.items.forEach((it, k) => {
    for (const id of it.turns) placed.add(id);
    body.append(renderItem(it, k));
  });
  // Closing.
  const closing = h('section', { class: 'part closing', data: { anchor: 'closing' } },
    h('p', { class: 'ui-label', text: '閉会' }));
  for (const id of d.closing.turns) {
    placed.add(id);
    closing.append(renderTurn(id, 'closing'));
  }
  closing.append(h('p', { class: 'end-line', text: d.closing.end_time ? `〔${d.closing.end_time} 終了〕` : '〔　：　 終了〕' }));
  body.append(closing);
  const orphans = d.turns.filter((t) => !placed.has(t.id));
  if (orphans.length) {
    const o = h('section', { class: 'part orphans', data: { anchor: 'orphans' } },
      h('p', { class: 'ui-label', text: 'どの部分にも属さない発言（会議録に記載されません）' }));
    for (const t of orphans) o.append(renderTurn(t.id, 'none'));
    body.append(o);
  }
  return body;
}

function renderFooter() {
  const mats = S.draft.meeting.materials || [];
  return h('section', { class: 'materials', data: { anchor: 'materials' } },
    h('h3', { text: '提出された資料等' }),
    mats.length
      ? h('ul', null, mats.map((m) => h('li', { text: `${m.label}　${m.title}` })))
      : h('p', { class: 'ui-note', text: '（なし）' }));
}

function heading(it) {
  return `${it.kind}（${it.number}）${it.title}`;
}

function renderItem(it, k) {
  const sec = h('section', {
    class: 'item' + (it.checked ? ' checked' : ''),
    id: `item-${k}`,
    data: { item: k, anchor: `item:${k}`, start: it.start, end: it.end },
  });
  const head = h('div', { class: 'item-head' },
    h('h2', { class: 'item-heading', text: heading(it) }),
    h('span', { class: 'item-tools' },
      h('button', {
        type: 'button', class: 'play-item', title: 'この議題の最初から再生',
        onclick: () => playSpan(it.start, it.end, null),
      }, '▶ ' + span(it.start, it.end)),
      h('label', { class: 'check' },
        h('input', {
          type: 'checkbox', class: 'check-item', checked: !!it.checked,
          onchange: (e) => edit([{ edit: 'check_item', item: k, checked: e.target.checked }]),
        }), ' 確認済み')));
  sec.append(head);
  if (it.found && it.found !== 'announcement') {
    sec.append(h('p', { class: 'flag-line', text: `区切り：${FOUND[it.found] || it.found}` }));
  }
  for (const f of it.flags || []) sec.append(renderFlag(f));
  if (it.found === 'missing') {
    sec.append(h('p', { class: 'print-line', text: '（要確認：この議題の発言が録音中に見つかりません）' }));
  }
  if (it.presenter) {
    sec.append(h('p', { class: 'print-line presenter', text: `〔${it.presenter}：「${heading(it)}」を説明〕` }));
  }
  if (it.summary && it.summary.length) {
    const sum = h('div', { class: 'summary' }, h('p', { class: 'print-line', text: '【要旨】' }));
    it.summary.forEach((s, n) => {
      const key = `s:${k}:${n}`;
      sum.append(h('div', {
        class: 'summary-sentence',
        data: { start: s.start, end: s.end, turn: s.turn, item: k, sentence: n, anchor: key },
      },
      h('button', { type: 'button', class: 'play', title: `この文を再生（${span(s.start, s.end)}）` }, '▶'),
      editable(key, 'summary-text', `要旨 ${n + 1} 文目`)));
    });
    sec.append(sum);
  }
  if (it.found !== 'missing') {
    sec.append(h('p', { class: 'print-line qa-label', text: it.questions.length ? '（質疑）' : '（質疑なし）' }));
  }
  for (const id of it.turns) sec.append(renderTurn(id, `item:${k}`));
  if (it.outcome) sec.append(renderDecision(it, k));
  return sec;
}

function renderFlag(f) {
  const p = h('p', { class: 'flag-line' }, '⚑ ', f.message);
  if (Number.isFinite(f.start)) {
    p.append(' ', h('button', {
      type: 'button', class: 'link', onclick: () => playSpan(f.start, f.start + 10, null),
    }, `▶ ${fmtTime(f.start)}`));
  }
  return p;
}

function renderDecision(it, k) {
  const o = it.outcome;
  const t = o.turn ? S.idx.turn.get(o.turn) : null;
  const div = h('div', {
    class: 'decision' + (o.decision === 'unclear' ? ' uncertain' : ''),
    data: { item: k, anchor: `d:${k}`, start: t ? t.start : '', end: t ? t.end : '' },
  });
  if (t) div.append(h('button', { type: 'button', class: 'play', title: `決定の発言を再生（${span(t.start, t.end)}）` }, '▶'));
  div.append(h('span', { class: 'dash', text: '—' }), editable(`d:${k}`, 'decision-text', '決定の行'), h('span', { class: 'dash', text: '—' }));
  const sel = h('select', {
    class: 'decision-kind', title: '決定の種類',
    onchange: (e) => {
      const decision = e.target.value;
      const key = `d:${k}`;
      let text = shownText(key);
      if (decision === 'approved' && !text.trim()) text = DEFAULT_APPROVED;
      localText.delete(key);
      if (timers.has(key)) { clearTimeout(timers.get(key)); timers.delete(key); }
      edit([{ edit: 'set_decision', item: k, decision, text }]);
    },
  }, DECISIONS.map(([v, label]) => h('option', { value: v, selected: v === o.decision, text: label })));
  div.append(sel);
  return div;
}

function editable(key, cls, label) {
  return h('span', {
    class: `editable ${cls}`,
    contenteditable: 'true',
    spellcheck: 'false',
    role: 'textbox',
    'aria-label': label,
    data: { key },
    text: shownText(key),
  });
}

function renderTurn(id, sectionKey) {
  const t = S.idx.turn.get(id);
  if (!t) return h('p', { class: 'flag-line', text: `（発言 ${id} がありません）` });
  const st = S.idx.statement.get(id);
  const pres = S.idx.presentation.has(id);
  const kind = st ? 'statement' : pres ? 'presentation' : 'unprinted';
  const low = S.idx.low.get(id) || [];
  const segFlags = S.idx.segFlags.get(id) || [];
  const corr = t.corrections || [];
  const uncertain = low.length || segFlags.length;
  const cls = ['turn', `kind-${kind}`];
  if (t.checked) cls.push('checked');
  if (uncertain) cls.push('uncertain');
  if (corr.length) cls.push('corrected');
  const sp = S.idx.speaker.get(t.speaker);
  if (sp && !sp.confirmed && sp.confidence < LOW_SPEAKER) cls.push('speaker-unsure');
  const div = h('div', {
    class: cls.join(' '),
    id: `turn-${id}`,
    data: { turn: id, start: t.start, end: t.end, anchor: `t:${id}`, speaker: t.speaker },
  });

  // Meta line: play, id and time, speaker, tags, tools.
  const tags = h('span', { class: 'tags' });
  if (kind === 'presentation') tags.append(h('span', { class: 'tag', text: '説明（要旨に要約）' }));
  if (kind === 'unprinted') tags.append(h('span', { class: 'tag', text: sectionKey === 'none' ? '記載なし' : '記載なし（進行）' }));
  if (low.length) {
    const minConf = Math.min(...low.map((si) => S.segments[si].confidence));
    tags.append(h('span', { class: 'tag warn', text: `認識の信頼度低 ${pct(minConf)}` }));
  }
  for (const [, f] of segFlags) tags.append(h('span', { class: 'tag warn', text: SEGMENT_FLAGS[f] }));
  if (corr.length) tags.append(h('span', { class: 'tag corr', text: `自動訂正 ${corr.length}` }));
  if (sp && !sp.confirmed && sp.confidence < LOW_SPEAKER) tags.append(h('span', { class: 'tag warn', text: `話者 要確認 ${pct(sp.confidence)}` }));

  const speakerSel = h('select', { class: 'turn-speaker', title: 'この発言の話者を変える', 'aria-label': `${id} の話者` },
    (S.draft.speakers || []).map((s) => h('option', { value: s.id, selected: s.id === t.speaker, text: `${s.id}（${s.role}）` })));
  const prev = mergeTarget(id);
  const tools = h('span', { class: 'turn-tools' },
    speakerSel,
    h('button', {
      type: 'button', class: 'merge', disabled: !prev,
      title: prev ? `前の発言 ${prev} と結合` : '前の発言が同じ部分にないため結合できません',
    }, '↥ 前と結合'),
    h('button', { type: 'button', class: 'split', title: '本文のカーソル位置で二つに分割（Ctrl+Enter）' }, '✂ 分割'),
    h('label', { class: 'check' },
      h('input', { type: 'checkbox', class: 'check-turn', checked: !!t.checked }), ' 確認済み'));
  div.append(h('div', { class: 'turn-meta' },
    h('button', { type: 'button', class: 'play', title: `この発言を再生（${span(t.start, t.end)}）` }, '▶'),
    h('span', { class: 'turn-id', text: id }),
    h('span', { class: 'time', text: span(t.start, t.end) }),
    tags, tools));

  // The line as printed: role label, then the cleaned text.
  const sep = sectionKey === 'opening' ? '　' : '：';
  div.append(h('div', { class: 'turn-line' },
    h('span', { class: 'role', title: `${t.speaker}${sp && sp.title ? '・' + sp.title : ''}（クリックで再生）`, text: roleOf(id) }),
    h('span', { class: 'sep', text: sep }),
    editable(`t:${id}`, 'turn-text', `${id} の本文`)));

  if (st && st.text !== t.text) {
    div.append(h('div', { class: 'statement-line' },
      h('span', { class: 'label', text: '会議録の記載：', title: '進行の文などを除いて記載される部分。ここを直すと記載だけが変わります。' }),
      editable(`st:${id}`, 'statement-text', `${id} の会議録の記載`)));
  }
  div.append(renderVerbatim(t, low));
  return div;
}

// Whisper's words for the turn: `verbatim` with each correction shown
// as what Whisper wrote (struck) and what replaced it, and the text of
// low-confidence segments underlined.
function renderVerbatim(t, low) {
  const line = h('div', { class: 'verbatim' }, h('span', { class: 'label', text: '認識原文：' }));
  const cs = chars(t.verbatim);
  const corr = new Array(cs.length).fill(null);
  for (const c of t.corrections || []) {
    const n = cpLen(c.to);
    for (let i = c.at; i < c.at + n && i < cs.length; i++) corr[i] = c;
  }
  const lowAt = new Array(cs.length).fill(null);
  for (const si of low) {
    const seg = S.segments[si];
    const u = t.verbatim.indexOf(seg.text);
    if (u < 0) continue;
    const from = cpLen(t.verbatim.slice(0, u));
    const n = cpLen(seg.text);
    for (let i = from; i < from + n && i < cs.length; i++) lowAt[i] = seg;
  }
  if (t.verbatim === t.text && !(t.corrections || []).length && !low.length) {
    line.classList.add('same');
    line.append(h('span', { class: 'same-note', text: '（整文と同じ）' }));
    return line;
  }
  let i = 0;
  while (i < cs.length) {
    const c = corr[i];
    const l = lowAt[i];
    let j = i + 1;
    while (j < cs.length && corr[j] === c && lowAt[j] === l) j++;
    const text = cs.slice(i, j).join('');
    let node;
    if (c) {
      const first = i === c.at;
      node = h('span', { class: 'corr', title: `認識：${c.from} → 訂正：${c.to}（${RULES[c.rule] || c.rule}）` },
        first ? h('del', { text: c.from }) : null, h('ins', { text }));
    } else {
      node = document.createTextNode(text);
    }
    if (l) {
      node = h('span', { class: 'low', title: `認識の信頼度 ${pct(l.confidence)}：聞いて確かめてください` }, node);
    }
    line.append(node);
    i = j;
  }
  return line;
}
