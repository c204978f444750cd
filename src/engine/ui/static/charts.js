// The timelines of Spark's Streaming tab, drawn with uPlot (a global from its IIFE build). Each chart
// records how many batches it drew in data-batches, so a reader (or a test) can tell it is current.
const WIDTH = 460;
const HEIGHT = 180;
const COLORS = ['#d2691e', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

function timeline(element, series) {
  return new uPlot(
    {
      width: WIDTH,
      height: HEIGHT,
      scales: { x: { time: true } },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? COLORS[i % COLORS.length],
          width: 1.5,
          dash: s.dash,
          points: { show: true, size: 4 },
        })),
      ],
      axes: [{}, { size: 60 }],
    },
    [[], ...series.map(() => [])],
    element,
  );
}

function draw(chart, element, columns, count) {
  chart.setData(columns);
  element.dataset.batches = String(count);
}

const seconds = (summaries) => summaries.map((s) => s.batchTime / 1000);
const valuesOf = (summaries, field) => summaries.map((s) => s[field] ?? null);

export function createCharts(document) {
  const element = (id) => document.getElementById(id);
  const inputRate = timeline(element('chart-input-rate'), [{ label: 'records/s' }]);
  const processing = timeline(element('chart-processing'), [
    { label: 'processing' },
    { label: 'batch interval', color: '#888', dash: [6, 4] },
  ]);
  const scheduling = timeline(element('chart-scheduling-delay'), [{ label: 'scheduling delay' }]);
  const total = timeline(element('chart-total-delay'), [{ label: 'total delay' }]);
  let lag;
  let lagShards = '';

  function drawLag(summaries) {
    const lagElement = element('chart-shard-lag');
    const shards = [
      ...new Set(summaries.flatMap((s) => s.shardLags.map((l) => `${l.input}/${l.shard}`))),
    ].sort();
    element('no-lag').hidden = shards.length > 0;
    if (shards.length === 0) return;
    // A new shard (a resharded stream) changes the series: rebuild the chart rather than patch it.
    if (shards.join('\n') !== lagShards) {
      lag?.destroy();
      lag = timeline(
        lagElement,
        shards.map((label) => ({ label })),
      );
      lagShards = shards.join('\n');
    }
    const columns = shards.map((key) =>
      summaries.map(
        (s) => s.shardLags.find((l) => `${l.input}/${l.shard}` === key)?.millisBehindLatest ?? null,
      ),
    );
    draw(lag, lagElement, [seconds(summaries), ...columns], summaries.length);
  }

  return {
    /** Redraws every chart from the batches, oldest first. */
    update(summaries) {
      const x = seconds(summaries);
      draw(inputRate, element('chart-input-rate'), [x, valuesOf(summaries, 'inputRate')], summaries.length);
      draw(
        processing,
        element('chart-processing'),
        [x, valuesOf(summaries, 'processingMs'), valuesOf(summaries, 'batchMs')],
        summaries.length,
      );
      draw(
        scheduling,
        element('chart-scheduling-delay'),
        [x, valuesOf(summaries, 'schedulingDelayMs')],
        summaries.length,
      );
      draw(total, element('chart-total-delay'), [x, valuesOf(summaries, 'totalDelayMs')], summaries.length);
      drawLag(summaries);
    },
  };
}
