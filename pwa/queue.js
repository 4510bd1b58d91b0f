// Queue a resident's action: into the outbox (IndexedDB), on screen at once, announced
// ("will be sent later" when offline), storage persistence asked for, and a drain nudged.
import * as outbox from './outbox/outbox.js';

export function queuer({ state, refresh, announce, sync, t }) {
  return async function queue(action, args, message) {
    await outbox.enqueue(action, args);
    await refresh();
    if (message) announce(state.online ? message : `${message} ${t('sync.willSendLater')}`);
    outbox.requestPersistence().then(() => refresh());
    sync.afterWrite();
  };
}
