// 町会の掲示板: posts, broadcasts (emergencies pinned on top, marked in words and signs, not by
// colour alone) and circulars (回覧板) that count as read for the household when opened, with
// attendance when asked. Leaders see which households have not read a circular yet.
// Every text a resident wrote is rendered as text (htm escapes it), never as HTML.
import { html } from './html.js';
import { formatTime } from './layout.js';
import { revealOnce } from './parts.js';
import { Comments, Moderation } from './comments.js';
import { BODY_MAX, RSVP_ANSWERS, TITLE_MAX } from '../board.js';

const URGENCY_MARKS = { EMERGENCY: '‼', IMPORTANT: '!' };

function AssociationPicker({ t, vm, act }) {
  if (vm.associations.length === 1) return html`<p class="scope">${vm.associations[0].name}</p>`;
  return html`
    <fieldset class="choices">
      <legend>${t('board.association')}</legend>
      ${vm.associations.map((a) => html`
        <label class="choice" key=${a.id}>
          <input type="radio" name="board-association" value=${a.id} checked=${vm.associationId === a.id}
            onChange=${() => act.chooseAssociation(a.id)} />
          ${a.name}
        </label>`)}
    </fieldset>`;
}

function Badges({ t, post }) {
  return html`<p class="post-badges">
    <span class="badge">${t(`board.kind.${post.kind}`)}</span>
    ${post.urgency && post.urgency !== 'NORMAL' ? html` <span class=${`badge urgency-${post.urgency.toLowerCase()}`}>
      <span aria-hidden="true">${URGENCY_MARKS[post.urgency]} </span>${t(`board.urgency.${post.urgency}`)}</span>` : null}
    ${post.pending ? html` <span class="badge"><span aria-hidden="true">↑ </span>${t('board.pending')}</span>` : null}
    ${post.hidden ? html` <span class="badge">${t('board.hidden')}</span>` : null}
  </p>`;
}

function Receipts({ t, post, online, act }) {
  const r = post.receipts;
  const record = r?.record;
  const headingId = `receipts-${post.id}`;
  return html`
    <section class="receipts" aria-labelledby=${headingId}>
      <h4 id=${headingId}>${t('board.receiptsTitle')}</h4>
      ${record ? html`
        <p class="big-number">${t('board.readCount', { read: record.data.readCount, unread: record.data.unreadCount })}</p>
        ${post.rsvp ? html`<p>${t('board.rsvpTally', {
          attend: record.data.rsvp.attend, absent: record.data.rsvp.absent, undecided: record.data.rsvp.undecided })}</p>` : null}
        ${record.data.households.length ? html`
          <p>${t('board.unreadHouseholds')}</p>
          <ul class="unread-list">${record.data.households.map((h) => html`<li key=${h.id}>
            <span class="mark" aria-hidden="true">○</span>${h.label}${h.address ? html` <span class="hint">${h.address}</span>` : null}</li>`)}</ul>`
          : html`<p class="note">${t('board.everyoneRead')}</p>`}
        <p class="hint">${t('board.receiptsFetchedAt', { time: formatTime(t, record.fetchedAt) })}</p>`
        : html`<p class="note">${r?.loading || online ? t('board.receiptsLoading') : t('board.receiptsOffline')}</p>`}
      ${r?.outcome === 'forbidden' ? html`<p class="note">${t('board.receiptsForbidden')}</p>` : null}
      <button type="button" class="secondary" disabled=${!online || r?.loading} onClick=${() => act.reloadReceipts(post.id)}>
        ${t('board.receiptsReload')}</button>
    </section>`;
}

function Rsvp({ t, post, act }) {
  const labelId = `rsvp-${post.id}`;
  return html`
    <div class="rsvp">
      <p class="visit-label" id=${labelId}>${t('board.rsvpQuestion')}</p>
      <div class="rsvp-buttons" role="group" aria-labelledby=${labelId}>
        ${RSVP_ANSWERS.map((answer) => html`
          <button type="button" key=${answer} class="report" aria-pressed=${post.answer === answer ? 'true' : 'false'}
            onClick=${() => act.answer(post, answer)}>
            <span class="mark" aria-hidden="true">${post.answer === answer ? '✓' : ''}</span>${t(`rsvp.${answer}`)}</button>`)}
      </div>
      ${post.answerPending ? html`<p class="hint">${t('board.rsvpPending')}</p>` : null}
    </div>`;
}

function Circular({ t, post, vm, online, act }) {
  const bodyId = `circular-body-${post.id}`;
  return html`
    <p class=${post.read ? 'answer answered' : 'answer unanswered'}>
      <span class="mark" aria-hidden="true">${post.read ? '●' : '○'}</span>
      ${post.read ? (post.readPending ? t('board.readPending') : t('board.read')) : t('board.unread')}</p>
    <button type="button" class="secondary circular-toggle" aria-expanded=${post.open ? 'true' : 'false'} aria-controls=${post.open ? bodyId : null}
      onClick=${() => act.toggle(post)}>
      ${post.open ? t('board.close') : t('board.open')}</button>
    ${post.open ? html`<div id=${bodyId} class="circular-body">
      <p class="post-body">${post.body}</p>
      ${!vm.canRead ? html`<p class="hint">${t('board.noHousehold')}</p>` : null}
      ${post.rsvp && vm.canRead ? html`<${Rsvp} t=${t} post=${post} act=${act} />` : null}
      ${vm.leader && !post.pending ? html`<${Receipts} t=${t} post=${post} online=${online} act=${act} />` : null}
    </div>` : null}`;
}

function Post({ t, post, vm, online, act }) {
  return html`
    <li class=${`post${post.emergency ? ' emergency' : ''}${post.linked ? ' linked' : ''}`} id=${`post-${post.id}`}
      ref=${post.linked ? revealOnce : null}>
      <${Badges} t=${t} post=${post} />
      <h3 tabindex=${post.linked ? '-1' : null}>${post.title}</h3>
      <p class="hint">${post.authorName ? `${post.authorName} · ` : ''}${formatTime(t, post.createdAt)}</p>
      ${post.hidden && post.hiddenReason ? html`<p class="note">${t('board.hiddenReason', { reason: post.hiddenReason })}</p>` : null}
      ${post.kind === 'CIRCULAR' ? html`<${Circular} t=${t} post=${post} vm=${vm} online=${online} act=${act} />`
        : html`<p class="post-body">${post.body}</p>`}
      <${Comments} t=${t} post=${post} vm=${vm} act=${act} />
      ${vm.leader && !post.pending ? html`<${Moderation} t=${t} vm=${vm} act=${act}
        target=${{ type: 'POST', id: post.id, hidden: post.hidden, title: post.title }} />` : null}
    </li>`;
}

function Radios({ t, name, legend, values, value, label, onPick }) {
  return html`
    <fieldset class="choices">
      <legend>${legend}</legend>
      ${values.map((v) => html`
        <label class="choice" key=${v}>
          <input type="radio" name=${name} value=${v} checked=${value === v} onChange=${() => onPick(v)} />
          ${label(v)}
        </label>`)}
    </fieldset>`;
}

function Write({ t, vm, act }) {
  const { draft } = vm;
  const submit = (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const accepted = act.submit({ title: form.elements.title.value, body: form.elements.body.value });
    if (accepted !== false) form.reset();
    form.elements.title.focus();
  };
  const kind = vm.canSend ? draft.kind : 'POST';
  const urgencies = kind === 'BROADCAST' ? ['NORMAL', 'IMPORTANT', 'EMERGENCY'] : ['NORMAL', 'IMPORTANT'];
  return html`
    <form class="card" onSubmit=${submit} novalidate aria-labelledby="board-write">
      <h2 id="board-write">${t('board.writeTitle')}</h2>
      <p class="hint">${t('board.writeHint')}</p>
      ${vm.canSend ? html`<${Radios} t=${t} name="post-kind" legend=${t('board.kindLegend')} values=${['POST', 'BROADCAST', 'CIRCULAR']}
        value=${kind} label=${(v) => t(`board.kind.${v}`)} onPick=${(v) => act.setDraft({ kind: v })} />` : null}
      ${kind !== 'POST' ? html`<${Radios} t=${t} name="post-urgency" legend=${t('board.urgencyLegend')} values=${urgencies}
        value=${draft.urgency} label=${(v) => t(`board.urgency.${v}`)} onPick=${(v) => act.setDraft({ urgency: v })} />` : null}
      ${kind === 'CIRCULAR' ? html`<label class="choice">
        <input type="checkbox" name="rsvp" checked=${draft.rsvp} onChange=${(e) => act.setDraft({ rsvp: e.currentTarget.checked })} />
        ${t('board.askRsvp')}</label>` : null}
      <div class="field">
        <label for="post-title">${t('board.titleLabel')}</label>
        <input id="post-title" name="title" type="text" autocomplete="off" maxlength=${TITLE_MAX} required />
      </div>
      <div class="field">
        <label for="post-body">${t('board.bodyLabel')}</label>
        <textarea id="post-body" name="body" rows="5" maxlength=${BODY_MAX} required></textarea>
      </div>
      ${vm.error ? html`<p class="error" role="alert">${vm.error}</p>` : null}
      <button type="submit" class="primary">${t(`board.send.${kind}`)}</button>
    </form>`;
}

export function Board({ t, vm, online, act }) {
  if (!vm.associations.length) {
    return html`<section class="card" aria-labelledby="board-none">
      <h2 id="board-none">${t('board.noneTitle')}</h2>
      <p>${t('board.noneText')}</p></section>`;
  }
  const emergencies = vm.posts.filter((p) => p.emergency);
  const others = vm.posts.filter((p) => !p.emergency);
  const list = (posts) => html`<ul class="posts">${posts.map((p) => html`
    <${Post} key=${p.id} t=${t} post=${p} vm=${vm} online=${online} act=${act} />`)}</ul>`;
  return html`
    <${AssociationPicker} t=${t} vm=${vm} act=${act} />
    ${emergencies.length ? html`<section class="emergencies" aria-labelledby="board-emergency">
      <h2 id="board-emergency"><span class="mark" aria-hidden="true">‼</span>${t('board.emergencyTitle')}</h2>
      ${list(emergencies)}</section>` : null}
    <section aria-labelledby="board-posts">
      <h2 id="board-posts">${t('board.postsTitle')}</h2>
      ${others.length ? list(others) : html`<p class="note">${t('board.empty')}</p>`}
    </section>
    <${Write} t=${t} vm=${vm} act=${act} />`;
}
