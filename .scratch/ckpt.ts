import { runBatches } from '../src/engine/testing';
(async () => {
  const inputs = Array.from({ length: 12 }, () => ['a']);
  try {
    const out = await runBatches(inputs, (s) => {
      const st = s.map((w): [string, number] => [w, 1]).updateStateByKey<string, number, number>((v, x) => (x ?? 0) + v.length);
      return st.transform((rdd) => rdd).checkpoint('2s');
    });
    console.log('ok', JSON.stringify(out.map((b) => b)));
  } catch (e) { console.log('FAILED:', (e as Error).message); }
})();
