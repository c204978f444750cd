// The dashboard's main page: loads the recent batches, then adds each batch the server pushes.
import { showBatch } from './batch-page.js';
import { createCharts } from './charts.js';
import { clockTime, el, number, usd } from './dom.js';

const MAX_BATCHES = 120;
const batches = new Map();
let charts;

function ordered() {
  return [...batches.values()].sort((a, b) => a.batchTime - b.batchTime).slice(-MAX_BATCHES);
}

function row(s) {
  const cells = [
    [clockTime(s.batchTime), 'text'],
    [s.status, 'text'],
    [s.records],
    [number(s.inputRate, 1)],
    [s.schedulingDelayMs],
    [s.processingMs ?? ''],
    [s.totalDelayMs ?? ''],
    [s.lagMs ?? ''],
    [s.tasks],
    [s.retries],
    [s.speculated],
    [s.recoveredPartitions],
    [s.deadLetters],
    [s.requests ?? ''],
    [usd(s.costUsd)],
    [s.error ?? '', 'long'],
  ];
  const tr = el(
    'tr',
    { className: s.status === 'failed' ? 'failed' : '', data: { batchTime: s.batchTime } },
    cells.map(([text, className]) => el('td', { text, className })),
  );
  tr.addEventListener('click', () => {
    location.hash = `batch=${s.batchTime}`;
  });
  return tr;
}

function render() {
  const shown = ordered();
  charts.update(shown);
  const body = document.querySelector('#batches tbody');
  body.replaceChildren(...shown.reverse().map(row));
}

function add(summary) {
  // A load that raced a pushed batch may hold the batch as still running: never go back to that.
  const known = batches.get(summary.batchTime);
  if (known && known.status !== 'running' && summary.status === 'running') return;
  batches.set(summary.batchTime, summary);
  for (const time of [...batches.keys()].sort((a, b) => a - b).slice(0, -MAX_BATCHES)) batches.delete(time);
}

function showOverview(status) {
  document.getElementById('job').textContent = status.job;
  const parts = [
    status.batchMs ? `batches every ${status.batchMs} ms` : 'no batch yet',
    status.lease
      ? status.lease.held
        ? `coordinator ${status.lease.owner} (epoch ${status.lease.epoch})`
        : 'no coordinator holds the lease'
      : 'no coordinator has run',
    status.updates === 'live' ? 'live from the running job' : 'polling the store every batch interval',
  ];
  document.getElementById('overview').textContent = parts.join(' · ');
}

function problem(text) {
  const node = document.getElementById('problem');
  node.hidden = !text;
  node.textContent = text ?? '';
}

async function getJson(path) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${path}: HTTP ${response.status}`);
  return body;
}

function route() {
  const match = /^#batch=(\d+)$/.exec(location.hash);
  document.getElementById('streaming').hidden = Boolean(match);
  document.getElementById('batch').hidden = !match;
  if (match) {
    showBatch(document.getElementById('batch'), Number(match[1]), getJson).catch((error) =>
      problem(error.message),
    );
  }
}

async function loadBatches() {
  for (const summary of await getJson(`/api/batches?last=${MAX_BATCHES}`)) add(summary);
  render();
}

async function start() {
  charts = createCharts(document);
  showOverview(await getJson('/api/status'));
  window.addEventListener('hashchange', route);
  route();
  // Subscribe first, then load (again after each reconnection): no batch ends unseen in between.
  const events = new EventSource('/api/events');
  events.addEventListener('batch', (event) => {
    add(JSON.parse(event.data));
    render();
    // The lease may have changed hands (or been released) since the last batch.
    getJson('/api/status')
      .then(showOverview)
      .catch(() => undefined);
  });
  events.addEventListener('error', () => problem('lost the connection to the dashboard server; retrying'));
  events.addEventListener('open', () => {
    problem(undefined);
    loadBatches()
      .then(() => {
        document.body.dataset.ready = 'true';
      })
      .catch((error) => problem(`could not load the batches: ${error.message}`));
  });
}

start().catch((error) => problem(`the dashboard could not load: ${error.message}`));
