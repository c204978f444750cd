import type { Command } from 'commander';
import { storeFrom } from '../../io/store-location';
import { runBatchModule } from '../../runtime/batch-run';
import { UsageError } from '../errors';
import { formatJson, formatTable } from '../rows-table';

interface BatchFlags {
  store?: string;
  runtime: string;
  workers: string;
  json?: boolean;
}

export function batchCommand(program: Command, print: (text: string) => void): void {
  program
    .command('batch')
    .description('run a batch job (export default defineBatchJob(...)) to completion and print its result')
    .argument('<job>', 'path of the batch job module')
    .option(
      '--store <location>',
      'root store for its manifests (s3://bucket/prefix/ or a directory; default: memory)',
    )
    .option(
      '--runtime <name>',
      'memory (tasks in this thread) or threads (a worker pool that loads the module)',
      'memory',
    )
    .option('--workers <n>', 'task workers', '2')
    .option('--json', 'print the rows as JSON')
    .action(async (module: string, flags: BatchFlags) => {
      if (flags.runtime !== 'memory' && flags.runtime !== 'threads') {
        throw new UsageError(`--runtime must be memory or threads, got '${flags.runtime}'`);
      }
      const workers = Number(flags.workers);
      if (!Number.isInteger(workers) || workers <= 0) {
        throw new UsageError(`--workers must be a positive whole number, got '${flags.workers}'`);
      }
      const store = flags.store
        ? storeFrom(flags.store, process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL, '--store')
        : undefined;
      const rows = await runBatchModule({ module, store, runtime: flags.runtime, workers });
      print(flags.json ? formatJson(rows) : `${formatTable(rows)}\n(${rows.length} rows)`);
    });
}
