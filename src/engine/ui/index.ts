export { type BatchSummary, type ShardLag, summarize } from '../schedule/batch-summary';
export { DashboardListenError, NoBatchesError, StoreUnreadableError, UiError } from './errors';
export { ManifestFeed } from './manifest-feed';
export { dashboardForRunningJob, dashboardFromStore, type ListenOptions } from './open-dashboard';
export { type Dashboard, type DashboardOptions, startDashboard } from './server';
