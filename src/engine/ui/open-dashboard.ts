/**
 * The two ways a dashboard watches a job: beside the running job in the same process (its listener
 * bus pushes each batch), or from the store alone (polled once a batch interval).
 */
import type { StreamingContext } from '../api/streaming-context';
import type { Store } from '../io/ports';
import { NoBatchesError, StoreUnreadableError } from './errors';
import { ManifestFeed } from './manifest-feed';
import { type Dashboard, startDashboard } from './server';

export interface ListenOptions {
  host?: string;
  port?: number;
}

/** Fails, before listening, when the store cannot be read or holds no batch of the job. */
export async function dashboardFromStore(
  jobStore: Store,
  job: string,
  listen: ListenOptions & { onPollError?: (error: unknown) => void } = {},
): Promise<Dashboard> {
  const feed = new ManifestFeed(jobStore, job);
  const { state, times } = await readOrExplain(feed, job);
  if (!state) {
    throw new NoBatchesError(`job '${job}' has no record in this store: it never ran here`, { job });
  }
  if (times.length === 0) {
    throw new NoBatchesError(`job '${job}' has no batches in this store yet: nothing to show`, { job });
  }
  return withFeed(feed, listen, async () => {
    await feed.startPolling(state.batchMs, listen.onPollError ?? (() => undefined));
  });
}

/** Pushes every batch of a job running in this process the moment it commits or fails. */
export async function dashboardForRunningJob(
  running: { context: StreamingContext; store: Store },
  listen: ListenOptions = {},
): Promise<Dashboard> {
  const feed = new ManifestFeed(running.store, running.context.name);
  running.context.addStreamingListener(feed.liveListener());
  return withFeed(feed, listen, async () => undefined);
}

async function readOrExplain(feed: ManifestFeed, job: string) {
  try {
    const [state, times] = await Promise.all([feed.readJob(), feed.manifestTimes()]);
    return { state, times };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnreadableError(
      `cannot read job '${job}' from the store: ${reason}`,
      { job },
      { cause: error },
    );
  }
}

async function withFeed(
  feed: ManifestFeed,
  listen: ListenOptions,
  begin: () => Promise<void>,
): Promise<Dashboard> {
  let dashboard: Dashboard | undefined;
  const close = async () => {
    feed.close();
    await dashboard?.close();
  };
  try {
    dashboard = await startDashboard({ feed, host: listen.host, port: listen.port });
    await begin();
    return { url: dashboard.url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
