// A step waiting on its abort signal is woken, not killed, when the run is canceled: the code
// after the wait runs (cleanup) and the step's result is recorded; the run ends 'canceled' and
// the next step never runs.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const cleaned = [];
  const wait = createStep({ id: 'wait', inputSchema: N, outputSchema: N,
    execute: async ({ inputData, abortSignal }) => {
      await new Promise((resolve) => abortSignal.addEventListener('abort', resolve));
      cleaned.push('cleanup ran');
      return { n: inputData.n + 1 };
    } });
  const after = createStep({ id: 'after', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => inputData });
  const wf = createWorkflow({ id: 'abort-wake', inputSchema: N, outputSchema: N }).then(wait).then(after).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: { n: 1 } });
  setTimeout(() => run.cancel(), 50);
  await log.stream(out);
  await new Promise((r) => setTimeout(r, 20));
  log.note({ cleaned });
}
