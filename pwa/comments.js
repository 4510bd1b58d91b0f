// Comments on board posts (written and deleted through the outbox, offline too) and the leaders'
// moderation of posts and comments: hiding from members with a reason, and showing again. Hiding
// is online only (`moderate` is not an offline action): a leader sees at once whether it held.

import { queuer } from './queue.js';
import * as reads from './reads.js';
import { Moderate } from './api/operations.js';

export const COMMENT_MAX = 2000;
export const REASON_MAX = 500;

export function authorName(types, associationId, authorId) {
  return types.AssociationMember?.get(`${associationId}:${authorId}`)?.data?.displayName
    ?? types.Person?.get(authorId)?.data?.displayName ?? null;
}

/** A post's comments, pulled and queued, oldest first, less those whose delete is queued (pure). */
export function postComments(types, postId, queue, userId) {
  const deleting = new Set(queue.filter((q) => q.action === 'deleteComment').map((q) => q.args.id));
  const pulled = [...(types.Comment?.values() ?? [])].map((e) => ({ ...e.data, pending: false }))
    .filter((c) => c.postId === postId);
  const known = new Set(pulled.map((c) => c.id));
  const queued = queue.filter((q) => q.action === 'createComment' && q.args.postId === postId && !known.has(q.args.id))
    .map((q) => ({ ...q.args, authorId: userId, createdAt: q.clientTime, pending: true }));
  return [...pulled, ...queued].filter((c) => !deleting.has(c.id))
    .map((c) => ({ ...c, mine: c.authorId === userId, authorName: authorName(types, c.associationId, c.authorId) }))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
}

export function createComments({ state, setState, refresh, announce, sync, t }) {
  const queue = queuer({ state, refresh, announce, sync, t });

  async function moderate(target, hidden, reason = null) {
    setState({ moderation: { ...state.moderation, busy: true, error: '' } });
    const result = await reads.ask(Moderate, { targetType: target.type, targetId: target.id, hidden, reason }, 'moderate');
    const done = result.outcome === 'ok' && result.data?.__typename === 'ModerationResult';
    if (!done) {
      const code = result.data?.code;
      const known = code && t(`code.${code}`) !== `code.${code}`;
      let why = t(`board.moderate.${result.outcome}`);
      if (result.outcome === 'ok') why = known ? t(`code.${code}`) : t('code.OTHER'); // the server said no
      const error = `${t('board.moderateFailed')} ${why}`;
      setState({ moderation: { ...state.moderation, busy: false, error } });
      return;
    }
    setState({ moderation: { id: null, busy: false, error: '' } });
    announce(t(hidden ? 'board.hiddenDone' : 'board.shownDone'));
    sync.now('moderate'); // the post or comment comes back hidden (or shown) with the next pull
  }

  return {
    toggleComments: (post) => setState({
      openComments: state.openComments.includes(post.id)
        ? state.openComments.filter((id) => id !== post.id) : [...state.openComments, post.id],
    }),
    /** Returns false when the comment was refused (the view keeps what was typed). */
    comment: (post, text) => {
      const body = text.trim();
      if (!body || [...body].length > COMMENT_MAX) {
        setState({ commentError: { postId: post.id, message: t('board.errorComment', { n: COMMENT_MAX }) } });
        return false;
      }
      setState({ commentError: null });
      return queue('createComment', { id: crypto.randomUUID(), postId: post.id, body }, t('board.commented'));
    },
    deleteComment: (comment) => queue('deleteComment', { id: comment.id }, t('board.commentDeleted')),
    askHide: (target) => setState({ moderation: { id: target?.id ?? null, busy: false, error: '' } }),
    hide: (target, reason) => {
      const text = reason.trim();
      if (!text || [...text].length > REASON_MAX) {
        return setState({ moderation: { ...state.moderation, error: t('board.errorReason', { n: REASON_MAX }) } });
      }
      return moderate(target, true, text);
    },
    unhide: (target) => {
      setState({ moderation: { id: target.id, busy: true, error: '' } });
      return moderate(target, false);
    },
  };
}
