/**
 * Synthetic API gateway logs of a small web shop: one event per request (service, endpoint, status,
 * latency, user). Traffic has a steady shape, a promotion that makes one endpoint trend for a while, and a
 * payments outage at known times. Every event is a pure function of its index (see seeded-random.ts).
 */
import { normal, uniform, weightedPick } from '../shared/seeded-random';

export interface ApiEvent {
  service: string;
  endpoint: string;
  status: number;
  latencyMs: number;
  userId: string;
}

interface Endpoint {
  service: string;
  endpoint: string;
  /** Share of requests, before promotions. */
  weight: number;
  medianMs: number;
}

export const ENDPOINTS: readonly Endpoint[] = [
  { service: 'search', endpoint: 'GET /search', weight: 30, medianMs: 45 },
  { service: 'search', endpoint: 'GET /suggest', weight: 22, medianMs: 12 },
  { service: 'catalog', endpoint: 'GET /products/{id}', weight: 28, medianMs: 20 },
  { service: 'catalog', endpoint: 'GET /categories/{id}', weight: 10, medianMs: 35 },
  { service: 'recommendations', endpoint: 'GET /recommendations', weight: 12, medianMs: 70 },
  { service: 'checkout', endpoint: 'GET /cart', weight: 9, medianMs: 25 },
  { service: 'checkout', endpoint: 'POST /cart/items', weight: 6, medianMs: 40 },
  { service: 'checkout', endpoint: 'POST /checkout', weight: 3, medianMs: 180 },
  { service: 'payments', endpoint: 'POST /payments/authorize', weight: 2.5, medianMs: 220 },
  { service: 'payments', endpoint: 'POST /payments/capture', weight: 2, medianMs: 150 },
  { service: 'accounts', endpoint: 'POST /login', weight: 4, medianMs: 90 },
  { service: 'accounts', endpoint: 'GET /profile', weight: 5, medianMs: 30 },
];

/**
 * Promotions: every PROMOTION_EVENTS events the next endpoint of this list gets PROMOTION_BOOST times its
 * traffic (none in the first period). At 1,000 events/s a promotion lasts 15 s.
 */
export const PROMOTION_EVENTS = 15_000;
export const PROMOTION_BOOST = 4;
export const PROMOTED: readonly (string | undefined)[] = [
  undefined,
  'GET /categories/{id}',
  'POST /cart/items',
  'GET /recommendations',
  'POST /login',
];

/**
 * The payments outage: within every OUTAGE_CYCLE events, those from OUTAGE_START to OUTAGE_END fail with a
 * 503 at OUTAGE_FAILURE_RATE on the payments service. At 1,000 events/s: seconds 20 to 26 of every 45.
 */
export const OUTAGE_SERVICE = 'payments';
export const OUTAGE_CYCLE = 45_000;
export const OUTAGE_START = 20_000;
export const OUTAGE_END = 26_000;
export const OUTAGE_FAILURE_RATE = 0.6;
/** Everywhere else: a few server errors, more client errors (which are not the service's fault). */
const BASE_SERVER_ERRORS = 0.004;
const CLIENT_ERRORS = 0.03;
const USERS = 50_000;

export function inOutage(index: number): boolean {
  const phase = index % OUTAGE_CYCLE;
  return phase >= OUTAGE_START && phase < OUTAGE_END;
}

export function promotedAt(index: number): string | undefined {
  return PROMOTED[Math.floor(index / PROMOTION_EVENTS) % PROMOTED.length];
}

const WEIGHTS_BY_PROMOTION = new Map(
  PROMOTED.map((promoted) => [
    promoted,
    ENDPOINTS.map((e) => (e.endpoint === promoted ? e.weight * PROMOTION_BOOST : e.weight)),
  ]),
);

export function apiEventAt(index: number): ApiEvent {
  const chosen = ENDPOINTS[weightedPick(WEIGHTS_BY_PROMOTION.get(promotedAt(index))!, uniform(index, 0))];
  const failing = chosen.service === OUTAGE_SERVICE && inOutage(index);
  const roll = uniform(index, 1);
  let status = 200;
  if (failing ? roll < OUTAGE_FAILURE_RATE : roll < BASE_SERVER_ERRORS) status = failing ? 503 : 500;
  else if (roll > 1 - CLIENT_ERRORS) status = uniform(index, 2) < 0.7 ? 404 : 401;
  // Log-normal latency; a failing dependency makes callers wait for their timeouts.
  const latency = chosen.medianMs * Math.exp(0.5 * normal(index, 3)) * (failing ? 8 : 1);
  return {
    service: chosen.service,
    endpoint: chosen.endpoint,
    status,
    latencyMs: Math.min(10_000, Math.round(latency)),
    userId: `u${Math.floor(uniform(index, 5) ** 2 * USERS)}`,
  };
}

/** The event as it travels (Kinesis carries bytes): JSON text. The producer and the job both use this. */
export function apiEvent(index: number): string {
  return JSON.stringify(apiEventAt(index));
}
