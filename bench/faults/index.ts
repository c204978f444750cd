/**
 * Fault injection for the chaos suite and recovery benchmarks: off unless wired in explicitly. Every
 * decision comes from a seeded generator, so a failing seed can be replayed. The wrappers live in
 * faults/: invokers (failures, stragglers, Lambda throttling, late and duplicate deliveries, kills),
 * stores (lost cache, lifecycle expiry, S3 SlowDown, paused writers).
 */
export {
  type EchoFaults,
  EchoInvoker,
  type FaultCounts,
  FaultyInvoker,
  type InvokerFaults,
  KillableInvoker,
  lambdaThrottle,
  ThrottlingInvoker,
} from './invokers';
export { Bursts, type FailureSchedule, Gate, seededRandom } from './random';
export {
  committedManifestTime,
  ExpiringStore,
  expireTransient,
  GatedStore,
  type LossPlan,
  LossyStore,
  randomLoss,
  SlowDownStore,
  StoreWrapper,
  s3SlowDown,
} from './stores';
