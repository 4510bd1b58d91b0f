// The controller of notifications on this device (the settings screen): what the browser
// allows, whether the signed-in resident turned them on here, and their choices, which the
// server keeps (push/push.js). The subscription's language follows the UI language.

import * as push from './push/push.js';

export { CATEGORIES } from './push/push.js';
const QUIET_DEFAULT = { start: '22:00', end: '07:00' };

export function createNotifications({ state, setState, announce, t }) {
  const put = (patch) => setState({ push: { ...state.push, ...patch } });

  function deviceState(record) {
    const support = push.support();
    if (support !== 'ok') return support;
    if (push.permission() === 'denied') return 'denied';
    return record ? 'on' : 'off';
  }

  async function load() {
    if (!state.session) return;
    const record = await push.known(await push.current().catch(() => null));
    put({ device: deviceState(record), record: record?.data ?? null });
  }

  function failed(result) {
    const error = result.outcome === 'refused' ? `${t('push.error.refused')} (${result.code})` : t(`push.error.${result.outcome}`);
    put({ busy: false, error, device: result.outcome === 'denied' ? 'denied' : state.push.device });
  }

  /** After a start, a sign-in, coming back online or a change of language. */
  async function refresh() {
    if (!state.session || state.session.needsSignIn) return;
    const result = await push.refresh({ locale: state.locale }).catch(() => null);
    if (result?.outcome === 'ok') put({ record: result.record?.data ?? null, device: deviceState(result.record) });
    else await load();
  }

  /** A sign-in: another resident's subscription goes, this one's is checked. */
  async function signedIn() {
    await push.dropForeign().catch(() => null);
    await refresh();
  }

  /** Turn them off, before the sign-out takes the token away. */
  async function forget() {
    await push.unsubscribe().catch(() => null);
    put({ record: null, device: deviceState(null), error: '' });
  }

  function vm() {
    return {
      ...state.push, online: state.online, locale: state.locale,
      languageName: state.languages.find((l) => l.code === state.locale)?.name ?? state.locale,
      quietDefault: QUIET_DEFAULT,
    };
  }

  const actions = {
    turnOn: async () => {
      put({ busy: true, error: '' });
      const result = await push.subscribe({ locale: state.locale });
      if (result.outcome !== 'ok') return failed(result);
      put({ busy: false, record: result.record.data, device: 'on' });
      return announce(t('push.turnedOn'));
    },
    turnOff: async () => {
      put({ busy: true, error: '' });
      await forget();
      put({ busy: false });
      announce(t('push.turnedOff'));
    },
    /** Save the choices: {categories, associationIds, quietHours} as PushPreferencesInput. */
    save: async (preferences) => {
      const quiet = preferences.quietHours;
      if (quiet && (!quiet.start || !quiet.end)) return put({ error: t('push.error.quiet') });
      put({ busy: true, error: '' });
      const subscription = await push.current();
      if (!subscription) return failed({ outcome: 'failed' });
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Tokyo';
      const result = await push.send(subscription, {
        locale: state.locale, preferences: { ...preferences, quietHours: quiet ? { ...quiet, timeZone: zone } : null },
      });
      if (result.outcome !== 'ok') return failed(result);
      put({ busy: false, record: result.record.data });
      return announce(t('push.saved'));
    },
  };

  return { load, refresh, signedIn, forget, vm, actions };
}
