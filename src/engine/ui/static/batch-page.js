// One batch: its inputs per shard, its stages and their tasks (retries, speculative copies, recovered
// partitions, dead-lettered records), the AWS requests it made and what they cost.
import { clockTime, el, mark, usd } from './dom.js';

function table(id, headers, rows) {
  return el('table', { data: { table: id } }, [
    el('thead', {}, [
      el(
        'tr',
        {},
        headers.map((h) => el('th', { text: h })),
      ),
    ]),
    el(
      'tbody',
      {},
      rows.map((cells) =>
        el(
          'tr',
          {},
          cells.map((cell) =>
            cell instanceof Node ? el('td', { className: 'text' }, [cell]) : el('td', { text: cell }),
          ),
        ),
      ),
    ),
  ]);
}

function summaryList(summary, manifest) {
  const items = [
    ['status', summary.status],
    ['records', summary.records],
    ['scheduling delay', `${summary.schedulingDelayMs} ms`],
    ['processing', summary.processingMs === undefined ? '' : `${summary.processingMs} ms`],
    ['total delay', summary.totalDelayMs === undefined ? '' : `${summary.totalDelayMs} ms`],
    ['batch interval', `${summary.batchMs} ms`],
    ['tasks', summary.tasks],
    ['recovered partitions', summary.recoveredPartitions],
    ['dead letters', summary.deadLetters],
    [
      'written by',
      manifest.writtenBy ? `${manifest.writtenBy.owner} (epoch ${manifest.writtenBy.epoch})` : '',
    ],
  ];
  if (manifest.error)
    items.push(['error', `${manifest.error.operator ?? ''} ${manifest.error.message}`.trim()]);
  return el(
    'dl',
    { className: 'summary' },
    items.flatMap(([name, value]) => [
      el('dt', { text: name }),
      el('dd', { text: value, data: { field: name } }),
    ]),
  );
}

function stageMarks(stage) {
  const retries = Math.max(0, stage.attempts - stage.partitions - (stage.speculated ?? 0));
  const marks = [];
  if (retries > 0) marks.push(mark('retry', `${retries} retried`));
  if (stage.speculated)
    marks.push(mark('speculative', `${stage.speculated} speculative (${stage.speculativeWins ?? 0} won)`));
  if (stage.recovery) marks.push(mark('recovery', 'recovery'));
  if (stage.deadLettered) marks.push(mark('dead', `${stage.deadLettered} dead-lettered`));
  return el('span', {}, marks);
}

function stagesTable(manifest) {
  return table(
    'stages',
    ['stage', 'kind', 'operator', 'runs on', 'tasks', 'attempts', 'rows', 'bytes', 'duration (ms)', 'marks'],
    manifest.stages.map((s) => [
      s.id,
      s.kind,
      s.operator,
      s.location,
      s.partitions,
      s.attempts,
      s.rows,
      s.bytes,
      s.durationMs,
      stageMarks(s),
    ]),
  );
}

/** The batch's RDDs from its input to its outputs, marking where data is shuffled between tasks. */
function graphTable(manifest) {
  const shuffled = new Set(manifest.stages.filter((s) => s.kind === 'shuffleMap').map((s) => s.node));
  const outputsOf = (id) => manifest.outputs.filter((o) => o.node === id).map((o) => o.operator);
  return table(
    'graph',
    ['rdd', 'operator', 'partitions', 'reads a shuffle', 'outputs'],
    [...manifest.rdds]
      .reverse()
      .map((rdd) => [
        rdd.id,
        rdd.operator,
        rdd.partitions,
        shuffled.has(rdd.id) ? el('span', {}, [mark('shuffle', 'shuffle')]) : '',
        outputsOf(rdd.id).join(', '),
      ]),
  );
}

function inputsTable(manifest) {
  return table(
    'inputs',
    ['input', 'shard', 'first', 'last', 'records', 'lag (ms)', 'read by'],
    manifest.inputs.flatMap((input) =>
      input.ranges.map((r) => [
        input.name,
        r.shard,
        r.first,
        r.last,
        r.count,
        r.millisBehindLatest ?? '',
        input.direct ? 'tasks' : 'coordinator',
      ]),
    ),
  );
}

function requestsTable(summary, manifest) {
  const counts = Object.entries(manifest.requests ?? {}).filter(([, count]) => count > 0);
  return table('requests', ['request', 'count'], [...counts, ['estimated cost (USD)', usd(summary.costUsd)]]);
}

export async function showBatch(container, batchTime, getJson) {
  const { summary, manifest } = await getJson(`/api/batches/${batchTime}`);
  const back = el('a', { text: '← all batches' });
  back.href = '#';
  const sections = [
    back,
    el('h2', { text: `Batch ${clockTime(batchTime)}`, data: { batchTime } }),
    summaryList(summary, manifest),
    el('h3', { text: 'Stages' }),
    stagesTable(manifest),
    el('h3', { text: 'Job graph' }),
    graphTable(manifest),
    el('h3', { text: 'Inputs' }),
    inputsTable(manifest),
  ];
  if (manifest.recovery) {
    sections.push(
      el('h3', { text: 'Recovered from lineage' }),
      table(
        'recovery',
        ['lost data'],
        manifest.recovery.lost.map((key) => [key]),
      ),
    );
  }
  sections.push(el('h3', { text: 'AWS requests' }), requestsTable(summary, manifest));
  container.replaceChildren(...sections);
}
