export { countRequests, currentMeter, meteredTask, RequestMeter, withMeter } from './meter';
export {
  DEFAULT_TASK_MEMORY_MB,
  MeteredInvoker,
  type MeteredResult,
  meteredInvoker,
} from './metered-invoker';
export { MeteredStore, meteredStore } from './metered-store';
export {
  addRequests,
  isRequestCounts,
  lambdaGbSeconds,
  noRequests,
  REQUEST_KINDS,
  type RequestCounts,
  type RequestKind,
  s3Requests,
  subtractRequests,
} from './request-counts';
