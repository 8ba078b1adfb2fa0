// foreach(step, { concurrency: fn }): the concurrency is a function of the context (the foreach's
// input and getInitData()), called when the foreach starts; a result that is not a finite number
// >= 1 means 1, a fraction is rounded down. Each item takes 30 ms; the most items seen in flight
// at once is noted for each workflow, with the results.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const In = z.object({ c: z.number(), items: z.array(N) });
  const makeWf = (id, concurrency) => {
    let inFlight = 0;
    const seen = { max: 0 };
    const each = createStep({ id: 'each', inputSchema: N, outputSchema: N,
      execute: async ({ inputData }) => {
        inFlight += 1; seen.max = Math.max(seen.max, inFlight);
        await new Promise((r) => setTimeout(r, 30));
        inFlight -= 1;
        return { n: inputData.n * 2 };
      } });
    const items = createStep({ id: 'items', inputSchema: In, outputSchema: z.array(N), execute: async ({ inputData }) => inputData.items });
    const wf = createWorkflow({ id, inputSchema: In, outputSchema: z.array(N) }).then(items).foreach(each, { concurrency }).commit();
    return { wf, seen };
  };
  const cases = [
    ['half-of-input', ({ inputData }) => inputData.length / 2],
    ['from-init-data', ({ getInitData }) => getInitData().c],
    ['fraction', () => 2.7],
    ['zero', () => 0],
    ['not-a-number', () => 'many'],
  ];
  for (const [id, fn] of cases) {
    const { wf, seen } = makeWf(id, fn);
    const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
    const result = await run.start({ inputData: { c: 4, items: [1, 2, 3, 4, 5, 6].map((n) => ({ n })) } });
    log.note({ id, status: result.status, result: result.result, maxInFlight: seen.max });
  }
}
