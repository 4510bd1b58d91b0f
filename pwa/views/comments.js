// Under a post: its comments (each shown as text, never as HTML), a box to write one, and for
// leaders the controls to hide a post or comment from members (with a reason) or show it again.
import { html } from './html.js';
import { formatTime } from './layout.js';
import { COMMENT_MAX, REASON_MAX } from '../comments.js';

/** Hide (asking for the reason first) or show again; online only, said so when offline. */
export function Moderation({ t, target, vm, act }) {
  const m = vm.moderation;
  const asking = m.id === target.id;
  const label = target.title;
  if (target.hidden) {
    return html`<div class="moderation">
      <button type="button" class="secondary" disabled=${!vm.online || m.busy} onClick=${() => act.unhide(target)}
        aria-label=${`${t('board.unhide')}: ${label}`}>${t('board.unhide')}</button>
      ${asking && m.error ? html`<p class="error" role="alert">${m.error}</p>` : null}
    </div>`;
  }
  if (!asking) {
    return html`<div class="moderation">
      <button type="button" class="secondary" disabled=${!vm.online} onClick=${() => act.askHide(target)}
        aria-label=${`${t('board.hide')}: ${label}`}>${t('board.hide')}</button>
      ${vm.online ? null : html`<p class="hint">${t('board.moderateOffline')}</p>`}
    </div>`;
  }
  const id = `reason-${target.id}`;
  const submit = (event) => {
    event.preventDefault();
    act.hide(target, event.currentTarget.elements.reason.value);
  };
  return html`
    <form class="moderation" onSubmit=${submit} novalidate aria-label=${`${t('board.hide')}: ${label}`}>
      <div class="field">
        <label for=${id}>${t('board.reasonLabel')}</label>
        <input id=${id} name="reason" type="text" autocomplete="off" maxlength=${REASON_MAX} required />
      </div>
      <p class="hint">${t('board.hideHint')}</p>
      ${m.error ? html`<p class="error" role="alert">${m.error}</p>` : null}
      <div class="row">
        <button type="submit" class="secondary" disabled=${!vm.online || m.busy}>${t('board.hideConfirm')}</button>
        <button type="button" class="secondary" onClick=${() => act.askHide(null)}>${t('market.keep')}</button>
      </div>
    </form>`;
}

function Comment({ t, comment, vm, act }) {
  return html`
    <li class="comment">
      <p class="hint">${comment.authorName ? `${comment.authorName} · ` : ''}${formatTime(t, comment.createdAt)}
        ${comment.pending ? html` <span class="badge"><span aria-hidden="true">↑ </span>${t('board.pending')}</span>` : null}
        ${comment.hidden ? html` <span class="badge">${t('board.hidden')}</span>` : null}</p>
      ${comment.hidden && comment.hiddenReason ? html`<p class="note">${t('board.hiddenReason', { reason: comment.hiddenReason })}</p>` : null}
      <p class="post-body">${comment.body}</p>
      ${comment.mine && !comment.pending ? html`<button type="button" class="secondary" onClick=${() => act.deleteComment(comment)}
        aria-label=${`${t('board.deleteComment')}: ${comment.body.slice(0, 40)}`}>${t('board.deleteComment')}</button>` : null}
      ${vm.leader && !comment.pending ? html`<${Moderation} t=${t} vm=${vm} act=${act}
        target=${{ type: 'COMMENT', id: comment.id, hidden: comment.hidden, title: comment.body.slice(0, 40) }} />` : null}
    </li>`;
}

export function Comments({ t, post, vm, act }) {
  const listId = `comments-${post.id}`;
  const fieldId = `comment-${post.id}`;
  const error = vm.commentError?.postId === post.id ? vm.commentError.message : '';
  const submit = (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (act.comment(post, form.elements.body.value) !== false) form.reset();
  };
  return html`
    <div class="comments">
      <button type="button" class="secondary" aria-expanded=${post.commentsOpen ? 'true' : 'false'}
        aria-controls=${post.commentsOpen ? listId : null} onClick=${() => act.toggleComments(post)}
        aria-label=${`${t('board.comments', { n: post.comments.length })}: ${post.title}`}>
        ${t('board.comments', { n: post.comments.length })}</button>
      ${post.commentsOpen ? html`<div id=${listId}>
        ${post.comments.length ? html`<ul class="plain comment-list">${post.comments.map((c) => html`
          <${Comment} key=${c.id} t=${t} comment=${c} vm=${vm} act=${act} />`)}</ul>`
          : html`<p class="hint">${t('board.noComments')}</p>`}
        ${post.hidden || post.pending ? null : html`<form onSubmit=${submit} novalidate>
          <div class="field">
            <label for=${fieldId}>${t('board.commentLabel')}</label>
            <textarea id=${fieldId} name="body" rows="2" maxlength=${COMMENT_MAX}></textarea>
          </div>
          ${error ? html`<p class="error" role="alert">${error}</p>` : null}
          <button type="submit" class="secondary">${t('board.commentSend')}</button>
        </form>`}
      </div>` : null}
    </div>`;
}
