/**
 * The parent's side of the workers' store RPC: runs each call a worker sent against the pool's store and
 * queues the reply (values packed so their bytes travel as transfers, not copies).
 */
import { serializeError } from '../util/errors';
import type { Store } from './ports';
import {
  type MessageBatcher,
  packValue,
  type StoreCall,
  type StoreMethod,
  type StoreReply,
  type StoreResult,
} from './worker-protocol';

export async function answerStoreCall(
  store: Store,
  call: StoreCall,
  replies: MessageBatcher<StoreReply>,
): Promise<void> {
  try {
    const packed = packValue(await callStore(store, call));
    replies.push({ id: call.id, ok: true, value: packed.value }, packed.transfer);
  } catch (error) {
    replies.push({ id: call.id, ok: false, error: serializeError(error) });
  }
}

function callStore(store: Store, call: StoreCall): Promise<StoreResult<StoreMethod>> {
  switch (call.method) {
    case 'put':
      return store.put(...call.args);
    case 'putIf':
      return store.putIf(...call.args);
    case 'get':
      return store.get(...call.args);
    case 'getVersioned':
      return store.getVersioned(...call.args);
    case 'getRange':
      return store.getRange(...call.args);
    case 'has':
      return store.has(...call.args);
    case 'delete':
      return store.delete(...call.args);
    case 'list':
      return store.list(...call.args);
  }
}
