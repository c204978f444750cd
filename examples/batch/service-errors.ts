/**
 * A batch job: each service's error rate over a few days of request logs (JSON Lines), with the team that
 * owns it from a small owners table. Run it with `npm run batch -- examples/batch/service-errors.ts`.
 */
import { join } from 'node:path';
import { defineBatchJob, type Pair } from '../../src/engine';

export interface Request {
  service: string;
  status: number;
  ms: number;
}

export interface ServiceErrors {
  service: string;
  owner: string;
  requests: number;
  errors: number;
  errorRate: number;
}

export default defineBatchJob<ServiceErrors>({
  name: 'service-errors',
  partitions: 2,
  build(ctx) {
    const requests = ctx.dataset<Request>(join(__dirname, 'data/requests'), {
      format: 'jsonl',
      name: 'requests',
    });
    const owners = ctx.dataset<Pair<string, string>>(join(__dirname, 'data/owners'), {
      format: 'jsonl',
      name: 'owners',
    });
    return requests
      .rdd()
      .map((r): Pair<string, [number, number]> => [r.service, [1, r.status >= 500 ? 1 : 0]])
      .reduceByKey((a, b): [number, number] => [a[0] + b[0], a[1] + b[1]])
      .join(owners.keyedRdd(2))
      .map(([service, [[requests, errors], owner]]) => ({
        service,
        owner,
        requests,
        errors,
        errorRate: Math.round((errors / requests) * 10_000) / 10_000,
      }))
      .repartition(1)
      .mapPartitions((rows) =>
        rows.sort((a, b) => b.errorRate - a.errorRate || (a.service < b.service ? -1 : 1)),
      );
  },
});
