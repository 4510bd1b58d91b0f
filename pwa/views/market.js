// 助け合い掲示板: requests (お願い) and offers (おすそわけ) near me, with distances as the server
// rounds them (never an exact address); ask or offer, and claim, offline if need be. A claim
// that someone else won first comes back in "needs attention" with the server's message.
import { html } from './html.js';
import { formatTime, formatter } from './layout.js';
import { revealOnce } from './parts.js';
import { BODY_MAX, CATEGORIES, KINDS, QUANTITY_MAX, TITLE_MAX } from '../market.js';

const KIND_MARKS = { REQUEST: '？', OFFER: '＋' };

function distance(t, meters) {
  if (meters === null || meters === undefined) return null;
  const n = formatter('NumberFormat', t.lang).format(meters);
  return t('market.distance', { n });
}

function KindBadge({ t, kind }) {
  if (!kind) return null;
  return html`<span class=${`badge kind-${kind.toLowerCase()}`}><span aria-hidden="true">${KIND_MARKS[kind]} </span>${t(`market.kind.${kind}`)}</span>`;
}

function Where({ t, vm, act }) {
  return html`
    <section class="card" aria-labelledby="market-where">
      <h2 id="market-where">${t('market.whereTitle')}</h2>
      <p>${vm.source === 'here' ? t('market.whereHere') : t('market.whereWard')}</p>
      <p class="hint">${t('market.privacy')}</p>
      <div class="row">
        ${vm.hasPosition ? null : html`<button type="button" class="secondary" onClick=${act.locate} disabled=${vm.locating}>
          ${vm.locating ? t('shelter.locating') : t('market.useLocation')}</button>`}
        <button type="button" class="secondary" onClick=${act.reload} disabled=${vm.loading || !vm.online}>
          ${vm.loading ? t('market.reloading') : t('market.reload')}</button>
      </div>
      ${vm.positionError ? html`<p class="error">${t('shelter.locationFailed')}</p>` : null}
      ${vm.record ? html`<p class="hint">${t('market.fetchedAt', { time: formatTime(t, vm.record.fetchedAt) })}</p>` : null}
    </section>`;
}

function Listing({ t, listing, act }) {
  const left = listing.quantityLeft ?? listing.quantity;
  let action = null;
  if (listing.mine) action = html`<p class="hint">${t('market.yours')}</p>`;
  else if (listing.claimPending) action = html`<p class="answer answered"><span class="mark" aria-hidden="true">↑</span>${t('market.claimPending')}</p>`;
  else if (listing.claimed) action = html`<p class="answer answered"><span class="mark" aria-hidden="true">✓</span>${t('market.claimedByMe')}</p>`;
  else if (left > 0) {
    action = html`<button type="button" class="secondary" onClick=${() => act.claim(listing)}
      aria-label=${`${t(`market.claim.${listing.kind}`)}: ${listing.title}`}>${t(`market.claim.${listing.kind}`)}</button>`;
  } else action = html`<p class="hint">${t('market.noneLeft')}</p>`;
  return html`
    <li class="listing">
      <p class="post-badges"><${KindBadge} t=${t} kind=${listing.kind} /> <span class="badge">${t(`category.${listing.category}`)}</span></p>
      <h3>${listing.title}</h3>
      <p>${t('market.left', { left, total: listing.quantity })}${listing.distanceMeters !== null && listing.distanceMeters !== undefined
        ? html` · <span data-testid="distance">${distance(t, listing.distanceMeters)}</span>` : null}</p>
      ${listing.ownerName ? html`<p class="hint">${t('market.by', { name: listing.ownerName })}</p>` : null}
      ${action}
    </li>`;
}

function Near({ t, vm, act }) {
  return html`
    <section aria-labelledby="market-near">
      <h2 id="market-near">${t('market.nearTitle')}</h2>
      ${!vm.record ? html`<p class="note">${vm.online ? t('market.loading') : t('market.notFetched')}</p>`
        : vm.near.length ? html`<ul class="posts">${vm.near.map((l) => html`<${Listing} key=${l.id} t=${t} listing=${l} act=${act} />`)}</ul>`
          : html`<p class="note">${t('market.nothingNear')}</p>`}
    </section>`;
}

function Create({ t, vm, act }) {
  const submit = (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const f = form.elements;
    const accepted = act.create({ title: f.title.value, body: f.body.value, quantity: f.quantity.value });
    if (accepted !== false) form.reset();
    f.title.focus();
  };
  return html`
    <form class="card" onSubmit=${submit} novalidate aria-labelledby="market-create">
      <h2 id="market-create">${t('market.createTitle')}</h2>
      <fieldset class="choices">
        <legend>${t('market.kindLegend')}</legend>
        ${KINDS.map((kind) => html`
          <label class="choice" key=${kind}>
            <input type="radio" name="listing-kind" value=${kind} checked=${vm.draft.kind === kind}
              onChange=${() => act.setDraft({ kind })} />
            ${t(`market.kindLong.${kind}`)}
          </label>`)}
      </fieldset>
      <div class="field">
        <label for="listing-category">${t('market.category')}</label>
        <select id="listing-category" value=${vm.draft.category} onChange=${(e) => act.setDraft({ category: e.currentTarget.value })}>
          ${CATEGORIES.map((c) => html`<option key=${c} value=${c}>${t(`category.${c}`)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="listing-title">${t('market.titleLabel')}</label>
        <input id="listing-title" name="title" type="text" autocomplete="off" maxlength=${TITLE_MAX} required />
      </div>
      <div class="field">
        <label for="listing-body">${t('market.bodyLabel')}</label>
        <textarea id="listing-body" name="body" rows="3" maxlength=${BODY_MAX}></textarea>
      </div>
      <div class="field">
        <label for="listing-quantity">${t('market.quantity', { n: QUANTITY_MAX })}</label>
        <input id="listing-quantity" name="quantity" type="text" inputmode="numeric" autocomplete="off" maxlength="3" placeholder="1" />
      </div>
      <p class="hint">${vm.source === 'here' ? t('market.placedHere') : t('market.placedWard')}</p>
      ${vm.error ? html`<p class="error" role="alert">${vm.error}</p>` : null}
      <button type="submit" class="primary">${t(`market.send.${vm.draft.kind}`)}</button>
    </form>`;
}

/** The two sides of a hand-over, in words: who has confirmed, and the buttons left to tap. */
function HandOver({ t, claim, side, label, act }) {
  let said = null;
  if (claim.status === 'HANDED_OVER') said = t('market.handedOver');
  else if (claim.iConfirmed) said = t('market.youConfirmed');
  else if (claim.theyConfirmed) said = t('market.theyConfirmed');
  return html`
    ${said ? html`<p class="hint">${said}${claim.pending ? ` ${t('board.pending')}` : ''}</p>` : null}
    ${claim.active ? html`<div class="row">
      ${claim.iConfirmed ? null : html`<button type="button" class="secondary" onClick=${() => act.confirmHandover(claim)}
        aria-label=${`${t(`market.confirm.${side}`)}: ${label}`}>${t(`market.confirm.${side}`)}</button>`}
      <button type="button" class="secondary" onClick=${() => act.callOff(claim)}
        aria-label=${`${t('market.callOff')}: ${label}`}>${t('market.callOff')}</button>
    </div>` : null}`;
}

function EditListing({ t, listing, vm, act }) {
  const submit = (event) => {
    event.preventDefault();
    const f = event.currentTarget.elements;
    act.saveEdit(listing, { title: f.title.value, body: f.body.value, quantity: f.quantity.value });
  };
  const id = (name) => `edit-${name}-${listing.id}`;
  return html`
    <form class="edit" onSubmit=${submit} novalidate aria-label=${`${t('market.edit')}: ${listing.title}`}>
      <div class="field">
        <label for=${id('title')}>${t('market.titleLabel')}</label>
        <input id=${id('title')} name="title" type="text" autocomplete="off" maxlength=${TITLE_MAX} required defaultValue=${listing.title} />
      </div>
      <div class="field">
        <label for=${id('body')}>${t('market.bodyLabel')}</label>
        <textarea id=${id('body')} name="body" rows="3" maxlength=${BODY_MAX} defaultValue=${listing.body ?? ''}></textarea>
      </div>
      <div class="field">
        <label for=${id('quantity')}>${t('market.quantity', { n: QUANTITY_MAX })}</label>
        <input id=${id('quantity')} name="quantity" type="text" inputmode="numeric" autocomplete="off" maxlength="3"
          defaultValue=${String(listing.quantity)} />
      </div>
      ${vm.editError ? html`<p class="error" role="alert">${vm.editError}</p>` : null}
      <div class="row">
        <button type="submit" class="secondary">${t('market.saveEdit')}</button>
        <button type="button" class="secondary" onClick=${() => act.startEdit(null)}>${t('market.keep')}</button>
      </div>
    </form>`;
}

function MineActions({ t, listing, vm, act }) {
  if (!listing.editable) return null;
  if (vm.editing === listing.id) return html`<${EditListing} t=${t} listing=${listing} vm=${vm} act=${act} />`;
  if (vm.withdrawing === listing.id) {
    return html`
      <div class="confirm" role="group" aria-label=${`${t('market.withdraw')}: ${listing.title}`}>
        <p>${t('market.withdrawAsk', { title: listing.title })}</p>
        <div class="row">
          <button type="button" class="secondary" onClick=${() => act.withdraw(listing)}>${t('market.withdrawYes')}</button>
          <button type="button" class="secondary" onClick=${() => act.askWithdraw(null)}>${t('market.keep')}</button>
        </div>
      </div>`;
  }
  return html`
    <div class="row">
      <button type="button" class="secondary" onClick=${() => act.startEdit(listing)}
        aria-label=${`${t('market.edit')}: ${listing.title}`}>${t('market.edit')}</button>
      <button type="button" class="secondary" onClick=${() => act.askWithdraw(listing)}
        aria-label=${`${t('market.withdraw')}: ${listing.title}`}>${t('market.withdraw')}</button>
    </div>`;
}

function Mine({ t, vm, act }) {
  return html`
    <section aria-labelledby="market-mine">
      <h2 id="market-mine">${t('market.mineTitle')}</h2>
      ${vm.mine.length ? html`<ul class="posts">${vm.mine.map((l) => html`
        <li class=${l.linked ? 'listing linked' : 'listing'} key=${l.id} id=${`listing-${l.id}`} ref=${l.linked ? revealOnce : null}>
          <p class="post-badges"><${KindBadge} t=${t} kind=${l.kind} /> <span class="badge">${t(`category.${l.category}`)}</span>
            ${l.pending ? html` <span class="badge"><span aria-hidden="true">↑ </span>${t('board.pending')}</span>` : null}</p>
          <h3 tabindex=${l.linked ? '-1' : null}>${l.title}</h3>
          ${l.body ? html`<p class="post-body">${l.body}</p>` : null}
          <p>${t('market.left', { left: l.quantityLeft, total: l.quantity })} · ${t(`market.status.${l.status}`)}</p>
          ${l.claims.length ? html`<ul class="plain claims">${l.claims.map((c) => html`<li key=${c.id}>
            <p>${t('market.claimedBy', { name: c.claimerName || t('household.someone'), n: c.quantity })}</p>
            <${HandOver} t=${t} claim=${c} side="owner" label=${`${l.title} (${c.claimerName || t('household.someone')})`} act=${act} />
          </li>`)}</ul>` : null}
          <${MineActions} t=${t} listing=${l} vm=${vm} act=${act} />
        </li>`)}</ul>` : html`<p class="note">${t('market.mineEmpty')}</p>`}
    </section>`;
}

function Claims({ t, vm, act }) {
  return html`
    <section aria-labelledby="market-claims">
      <h2 id="market-claims">${t('market.claimsTitle')}</h2>
      ${vm.claims.length ? html`<ul class="posts">${vm.claims.map((c) => html`
        <li class="listing" key=${c.id}>
          <p class="post-badges"><${KindBadge} t=${t} kind=${c.kind} /></p>
          <h3>${c.listingTitle ?? t('market.unknownListing')}</h3>
          <p class="answer answered"><span class="mark" aria-hidden="true">${c.pending ? '↑' : '●'}</span>${t(`market.claimStatus.${c.status}`)}
            ${c.createdAt ? html` <span class="when">(${formatTime(t, c.createdAt)})</span>` : null}</p>
          ${c.ownerName ? html`<p class="hint">${t('market.by', { name: c.ownerName })}</p>` : null}
          ${c.contact ? html`<p>${t('market.contact')} <span>${c.contact}</span></p>` : null}
          ${c.status === 'PENDING' ? null : html`<${HandOver} t=${t} claim=${c} side="claimer"
            label=${c.listingTitle ?? t('market.unknownListing')} act=${act} />`}
        </li>`)}</ul>` : html`<p class="note">${t('market.claimsEmpty')}</p>`}
    </section>`;
}

export function Market({ t, vm, act }) {
  return html`
    <${Where} t=${t} vm=${vm} act=${act} />
    <${Near} t=${t} vm=${vm} act=${act} />
    <${Create} t=${t} vm=${vm} act=${act} />
    <${Claims} t=${t} vm=${vm} act=${act} />
    <${Mine} t=${t} vm=${vm} act=${act} />`;
}
