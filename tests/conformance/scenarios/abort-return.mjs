// A step that calls abort() and then returns: its own record stays 'success' with its output;
// only the run ends 'canceled', and the next step never runs.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const stop = createStep({ id: 'stop', inputSchema: N, outputSchema: N,
    execute: async ({ inputData, abort }) => { abort(); return { n: inputData.n + 1 }; } });
  const after = createStep({ id: 'after', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => inputData });
  const wf = createWorkflow({ id: 'abort-return', inputSchema: N, outputSchema: N }).then(stop).then(after).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  await log.stream(run.stream({ inputData: { n: 1 } }));
}
