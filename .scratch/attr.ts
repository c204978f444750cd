import { runBatches } from '../src/engine/testing';
(async () => {
  try {
    await runBatches([[1, 2]], (s) => s.map((x) => x + 1).transform((rdd, t) => { if (t === 1000) throw new Error('bad transform'); return rdd; }));
  } catch (e) { console.log('1:', (e as Error).message); }
  try {
    await runBatches([[1, 2]], (s) => s.map((x): [number, number] => [x, 1]).mapValues((v) => { throw new Error('mv'); }).map(x=>x));
  } catch (e) { console.log('2:', (e as Error).message); }
})();
