// What the resident can do. Every write goes through the outbox, online or not.

import * as db from './outbox/db.js';
import * as outbox from './outbox/outbox.js';
import { queuer } from './queue.js';
import * as session from './outbox/session.js';
import { COMMENT_MAX } from './model.js';

const AUTH_CODES = new Set(['INVALID_CREDENTIALS', 'EMAIL_TAKEN', 'VALIDATION', 'OFFLINE', 'SERVER', 'RATE_LIMITED']);

export function createActions({ state, setState, refresh, announce, sync, t, emptyDraft, setLocale, beforeSignOut, afterSignIn }) {
  const queue = queuer({ state, refresh, announce, sync, t });

  function authError(result) {
    const code = AUTH_CODES.has(result.code) ? result.code : 'SERVER';
    const detail = code === 'VALIDATION' && result.message ? ` (${result.message})` : '';
    return `${t(`auth.${code}`)}${detail}`;
  }

  async function afterAuth(result) {
    if (!result.ok) {
      setState({ busy: false, authError: authError(result) });
      return;
    }
    setState({ busy: false, authError: '', draft: null, signinMode: 'signin' });
    await refresh();
    announce(t('signin.welcome'));
    outbox.requestPersistence().then(() => refresh());
    if (state.route === 'signin') window.location.hash = '#/checkin';
    sync.now('signin');
    afterSignIn?.();
  }

  function missing(values, names) {
    return names.some((name) => !String(values[name] ?? '').trim());
  }

  return {
    setLocale: async (code) => {
      await setLocale(code);
      const signedIn = state.session && !state.session.needsSignIn;
      const current = state.types.Profile?.get(state.session?.userId)?.data?.locale;
      if (signedIn && current && current !== code) {
        await outbox.enqueue('updateProfile', { locale: code });
        await refresh();
        sync.afterWrite();
      }
    },
    setSigninMode: (mode) => setState({ signinMode: mode, authError: '' }),
    signIn: async (values) => {
      if (missing(values, ['email', 'password'])) return setState({ authError: t('auth.missing') });
      setState({ busy: true, authError: '' });
      return afterAuth(await session.signIn({ email: values.email.trim(), password: values.password }));
    },
    register: async (values) => {
      if (missing(values, ['displayName', 'email', 'password'])) return setState({ authError: t('auth.missing') });
      if (values.password.length < 8) return setState({ authError: t('auth.passwordShort') });
      setState({ busy: true, authError: '' });
      return afterAuth(await session.register({
        email: values.email.trim(), password: values.password,
        displayName: values.displayName.trim(), locale: state.locale,
      }));
    },
    signOut: async () => {
      await beforeSignOut?.(); // notifications of this resident stop on this device
      await session.signOut();
      setState({ draft: null, position: null });
      await refresh();
      announce(t('settings.signedOut'));
      window.location.hash = '#/signin';
    },
    updateDraft: (patch) => {
      const draft = { ...state.draft, ...patch };
      // One condition and one place at most (無事です or 被害があります; 自宅 or 避難所).
      if (draft.place !== 'SHELTER') draft.shelterId = null;
      setState({ draft, checkinError: '' });
    },
    submitCheckIn: async () => {
      const d = state.draft;
      if (!d.condition && !d.place) return setState({ checkinError: t('checkin.errorChoose') });
      if (d.place === 'SHELTER' && !d.shelterId) return setState({ checkinError: t('checkin.errorShelter') });
      const comment = d.comment.trim();
      if ([...comment].length > COMMENT_MAX) return setState({ checkinError: t('checkin.errorComment', { n: COMMENT_MAX }) });
      const args = {
        id: crypto.randomUUID(), incidentId: d.incidentId, condition: d.condition ?? 'SAFE',
        needs: d.needs,
      };
      if (d.place) args.place = d.place;
      if (d.shelterId) args.shelterId = d.shelterId;
      if (comment) args.comment = comment;
      if (d.subjectId) args.subjectId = d.subjectId;
      setState({ draft: emptyDraft(d.incidentId), checkinError: '' });
      return queue('checkIn', args, t('checkin.queued'));
    },
    locate: () => {
      if (!navigator.geolocation) return setState({ positionError: true });
      setState({ locating: true, positionError: false });
      return navigator.geolocation.getCurrentPosition(
        (p) => setState({ locating: false, position: { lat: p.coords.latitude, lon: p.coords.longitude } }),
        () => setState({ locating: false, positionError: true }),
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 },
      );
    },
    setShelterQuery: (shelterQuery) => setState({ shelterQuery }),
    setShowAllShelters: (showAllShelters) => setState({ showAllShelters }),
    saveVisibility: (values) => queue('setSafetyVisibility', values, t('settings.savedPrivacy')),
    saveProfile: ({ displayName, languages }) => {
      const name = displayName.trim();
      if (!name || name.length > 200) return setState({ profileError: t('settings.nameInvalid') });
      setState({ profileError: '' });
      return queue('updateProfile', { displayName: name, languages }, t('settings.savedProfile'));
    },
    dismissAttention: async (mutationId) => {
      await db.dismissAttention(mutationId);
      await refresh();
      announce(t('attention.dismissed'));
    },
    applyUpdate: () => state.updateReady?.(),
  };
}
