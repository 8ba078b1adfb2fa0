// A step that changes the workflow state and then bails: the run ends successfully with the bail
// value, the state change is kept, and later steps never run.
// (Bail inside a parallel branch is not covered: Mastra ignores it there and runs the next step
// with the bail value, leaving the branch record 'bailed', which contradicts its documented contract.)
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const S = z.object({ log: z.array(z.string()) });
  const stamp = createStep({ id: 'stamp', inputSchema: N, outputSchema: N, stateSchema: S,
    execute: async ({ inputData, state, setState, bail }) => {
      await setState({ log: [...state.log, 'stamped ' + inputData.n] });
      if (inputData.n > 5) return bail({ n: 0 });
      return { n: inputData.n * 2 };
    } });
  const next = createStep({ id: 'next', inputSchema: N, outputSchema: N, stateSchema: S,
    execute: async ({ inputData, state, setState }) => { await setState({ log: [...state.log, 'next'] }); return inputData; } });
  const wf = createWorkflow({ id: 'bail-state', inputSchema: N, outputSchema: N, stateSchema: S }).then(stamp).then(next).commit();
  const m = mastraWith({ wf });
  for (const n of [9, 2]) {
    const result = await log.stream((await m.getWorkflow('wf').createRun()).stream({ inputData: { n }, initialState: { log: [] }, outputOptions: { includeState: true } }));
    log.note({ state: result.state });
  }
}
