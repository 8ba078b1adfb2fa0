// A suspend payload that does not match the step's suspendSchema fails the step (and the run)
// instead of suspending it; a setState value that does not match the step's stateSchema fails the
// step too. Error messages are compared up to their first colon.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const S = z.object({ count: z.number() });
  const asks = createStep({ id: 'asks', inputSchema: N, outputSchema: N,
    suspendSchema: z.object({ reason: z.string() }), resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ reason: 42 });
      return inputData;
    } });
  const counts = createStep({ id: 'counts', inputSchema: N, outputSchema: N, stateSchema: S,
    execute: async ({ inputData, state, setState }) => {
      await setState({ count: 'many' });
      return { n: inputData.n + state.count };
    } });
  const w1 = createWorkflow({ id: 'bad-suspend', inputSchema: N, outputSchema: N }).then(asks).commit();
  const w2 = createWorkflow({ id: 'bad-state', inputSchema: N, outputSchema: N, stateSchema: S }).then(counts).commit();
  const m = mastraWith({ w1, w2 });
  await log.stream((await m.getWorkflow('w1').createRun()).stream({ inputData: { n: 1 } }));
  await log.stream((await m.getWorkflow('w2').createRun()).stream({ inputData: { n: 1 }, initialState: { count: 0 } }));
}
