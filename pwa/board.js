// The controller of the association board (町会の掲示板): posts, broadcasts and circulars (回覧板)
// from the replica with what is queued laid over them; every write goes through the outbox.
// A leader's view of who has not read a circular is an online read kept for offline (reads.js);
// comments and the leaders' moderation are in comments.js.

import { queuer } from './queue.js';
import { authorName, createComments, postComments } from './comments.js';
import * as reads from './reads.js';
import * as model from './model.js';

export const TITLE_MAX = 200;
export const BODY_MAX = 10000;
export const RSVP_ANSWERS = ['ATTEND', 'ABSENT', 'UNDECIDED'];
const REFETCH_MS = 60000;

const isEmergency = (p) => p.pinned || (p.kind === 'BROADCAST' && p.urgency === 'EMERGENCY');

/** The association's posts: emergencies first, then the newest first (pure). */
export function boardPosts(types, associationId, queue) {
  const pulled = [...(types.Post?.values() ?? [])].map((e) => ({ ...e.data, pending: false }))
    .filter((p) => p.associationId === associationId);
  const known = new Set(pulled.map((p) => p.id));
  const queued = queue.filter((q) => q.action === 'createPost' && q.args.associationId === associationId
    && !known.has(q.args.id))
    .map((q) => ({
      ...q.args, urgency: q.args.urgency ?? 'NORMAL', rsvp: Boolean(q.args.rsvp), createdAt: q.clientTime,
      pinned: q.args.kind === 'BROADCAST' && q.args.urgency === 'EMERGENCY', pending: true,
    }));
  const posts = [...pulled, ...queued].map((p) => ({ ...p, emergency: isEmergency(p) }));
  posts.sort((a, b) => (b.emergency - a.emergency) || (a.createdAt < b.createdAt ? 1 : -1));
  return posts;
}

/** My households in an association (a circular is read by a household). */
function myHouseholdIds(types, userId, associationId) {
  return [...(types.Household?.values() ?? [])].map((e) => e.data)
    .filter((h) => h.associationId === associationId && (h.memberIds ?? []).includes(userId))
    .map((h) => h.id);
}

/** Whether my household has read a circular, and its answer, from the replica and the queue. */
function receipt(types, queue, postId, householdIds) {
  const pulled = householdIds.map((h) => types.CircularRead?.get(`${postId}:${h}`)?.data).filter(Boolean);
  const reads = queue.filter((q) => (q.action === 'markCircularRead' || q.action === 'rsvpCircular')
    && q.args.postId === postId);
  const answers = queue.filter((q) => q.action === 'rsvpCircular' && q.args.postId === postId);
  const pulledAnswer = pulled.map((r) => r.rsvp).find(Boolean) ?? null;
  return {
    read: pulled.some((r) => r.read) || reads.length > 0,
    readPending: !pulled.some((r) => r.read) && reads.length > 0,
    answer: answers.length ? answers[answers.length - 1].args.answer : pulledAnswer,
    answerPending: answers.length > 0,
  };
}

export function createBoard({ state, setState, refresh, announce, sync, t }) {
  const queue = queuer({ state, refresh, announce, sync, t });

  function associationId() {
    const ids = model.myAssociations(state.types).map((a) => a.id);
    return ids.includes(state.boardAssociationId) ? state.boardAssociationId : ids[0] ?? null;
  }

  function leads(id) {
    const roles = state.roles?.data?.roles ?? [];
    return roles.some((r) => (r.role === 'LEADER' && r.scopeId === id) || r.role === 'WARD_ADMIN');
  }

  async function loadRoles() {
    if (!state.roles) setState({ roles: await reads.cached('me') });
    const result = await reads.fetchRoles();
    if (result.outcome === 'ok') setState({ roles: result.record });
    setState({ rolesLoaded: true });
  }

  async function loadReceipts(postId, { fetch = true } = {}) {
    const current = state.receipts[postId];
    if (!current) {
      const record = await reads.cached(reads.receiptsKey(postId));
      setState({ receipts: { ...state.receipts, [postId]: { record, outcome: null, loading: false } } });
    }
    if (!fetch) return;
    const put = (patch) => setState({ receipts: { ...state.receipts, [postId]: { ...state.receipts[postId], ...patch } } });
    put({ loading: true });
    const result = await reads.fetchReceipts(postId);
    put({ loading: false, outcome: result.outcome, ...(result.record ? { record: result.record } : {}) });
  }

  function stale(postId) {
    const at = state.receipts[postId]?.record?.fetchedAt;
    return !at || Date.now() - Date.parse(at) > REFETCH_MS;
  }

  let linkOpened = null;
  /** A link to a post (a tapped notification): its association, and the post opened, once. */
  function openLinked() {
    const id = state.link?.post ?? null;
    if (!id || linkOpened === id) {
      if (!id) linkOpened = null;
      return;
    }
    const associationOf = state.types.Post?.get(id)?.data?.associationId;
    if (!associationOf) return; // not pulled yet: the sync after the tap brings it
    linkOpened = id;
    if (associationOf !== associationId()) setState({ boardAssociationId: associationOf });
    const post = vm().posts.find((p) => p.id === id);
    if (post && !state.openPosts.includes(id)) actions.toggle(post);
  }

  async function load(route, { afterSync = false, sent = false } = {}) {
    if (route !== 'board' || !state.session || state.session.needsSignIn) return;
    openLinked();
    if (!afterSync || !state.roles) await loadRoles();
    // The receipts a leader has open follow what was sent and read since (and appear when the
    // roles arrive after the circular was opened).
    for (const postId of state.openPosts) {
      const post = state.types.Post?.get(postId)?.data;
      if (!post || post.kind !== 'CIRCULAR' || !leads(post.associationId)) continue;
      if (!state.receipts[postId]) loadReceipts(postId, { fetch: state.online });
      else if (sent || stale(postId)) loadReceipts(postId);
    }
  }

  function vm() {
    const userId = state.session.userId;
    const associations = model.myAssociations(state.types);
    const id = associationId();
    const households = id ? myHouseholdIds(state.types, userId, id) : [];
    const office = state.types.AssociationMember?.get(`${id}:${userId}`)?.data?.office;
    const leader = id ? leads(id) : false;
    const posts = id ? boardPosts(state.types, id, state.queue).map((p) => ({
      ...p, authorName: authorName(state.types, p.associationId, p.authorId),
      comments: postComments(state.types, p.id, state.queue, userId), commentsOpen: state.openComments.includes(p.id),
      ...(p.kind === 'CIRCULAR' ? receipt(state.types, state.queue, p.id, households) : {}),
      open: state.openPosts.includes(p.id), receipts: state.receipts[p.id] ?? null, linked: state.link?.post === p.id,
    })) : [];
    return {
      associations, associationId: id, posts, leader, canSend: leader || Boolean(office),
      canRead: households.length > 0, draft: state.postDraft, error: state.boardError,
      commentError: state.commentError, moderation: state.moderation, online: state.online,
    };
  }

  const actions = {
    ...createComments({ state, setState, refresh, announce, sync, t }),
    chooseAssociation: (id) => setState({ boardAssociationId: id }),
    setDraft: (patch) => {
      const draft = { ...state.postDraft, ...patch };
      if (draft.kind === 'POST') draft.urgency = 'NORMAL';
      if (draft.kind === 'CIRCULAR' && draft.urgency === 'EMERGENCY') draft.urgency = 'IMPORTANT';
      if (draft.kind !== 'CIRCULAR') draft.rsvp = false;
      setState({ postDraft: draft, boardError: '' });
    },
    /** Open or close a post; a circular opened counts as read for my household. */
    toggle: (post) => {
      const open = state.openPosts.includes(post.id);
      setState({ openPosts: open ? state.openPosts.filter((id) => id !== post.id) : [...state.openPosts, post.id] });
      if (open || post.kind !== 'CIRCULAR') return null;
      const view = vm();
      if (view.leader && !post.pending) loadReceipts(post.id, { fetch: state.online });
      if (view.canRead && !post.read && !post.pending) {
        return queue('markCircularRead', { postId: post.id }, t('board.readMarked'));
      }
      return null;
    },
    answer: (post, answer) => queue('rsvpCircular', { postId: post.id, answer },
      t('board.rsvpSaved', { answer: t(`rsvp.${answer}`) })),
    reloadReceipts: (postId) => loadReceipts(postId),
    /** Returns false when the form was refused (the view keeps what was typed). */
    submit: (values) => {
      const title = values.title.trim();
      const body = values.body.trim();
      if (!title || [...title].length > TITLE_MAX) return (setState({ boardError: t('board.errorTitle', { n: TITLE_MAX }) }), false);
      if (!body || [...body].length > BODY_MAX) return (setState({ boardError: t('board.errorBody', { n: BODY_MAX }) }), false);
      const view = vm();
      const draft = view.canSend ? state.postDraft : { kind: 'POST', urgency: 'NORMAL', rsvp: false };
      const args = {
        id: crypto.randomUUID(), associationId: view.associationId, kind: draft.kind, title, body,
        urgency: draft.urgency, rsvp: Boolean(draft.rsvp), language: state.locale,
      };
      setState({ boardError: '', postDraft: { kind: 'POST', urgency: 'NORMAL', rsvp: false } });
      return queue('createPost', args, t(`board.queued.${draft.kind}`));
    },
  };

  return { load, vm, actions };
}
