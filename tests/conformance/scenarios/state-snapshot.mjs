// ctx.state during a step is the state as it was when the step started: setState() takes effect
// when the step ends, so a read after setState() still shows the old value; the next step (and
// the run's final state) see the update. Also inside a parallel block: a sibling that finished
// first does not change what a running step reads.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const S = z.object({ count: z.number() });
  const R = z.object({ before: z.number(), after: z.number() });
  const bump = createStep({ id: 'bump', inputSchema: N, outputSchema: R, stateSchema: S,
    execute: async ({ state, setState }) => {
      const before = state.count;
      await setState({ count: state.count + 10 });
      return { before, after: state.count };
    } });
  const read = createStep({ id: 'read', inputSchema: R, outputSchema: N, stateSchema: S,
    execute: async ({ state }) => ({ n: state.count }) });
  const fast = createStep({ id: 'fast', inputSchema: N, outputSchema: N, stateSchema: S,
    execute: async ({ state, setState }) => { await setState({ count: state.count + 1 }); return { n: state.count }; } });
  const slow = createStep({ id: 'slow', inputSchema: N, outputSchema: N, stateSchema: S,
    execute: async ({ state }) => { await new Promise((r) => setTimeout(r, 30)); return { n: state.count }; } });
  const wf = createWorkflow({ id: 'state-snapshot', inputSchema: N, outputSchema: z.any(), stateSchema: S })
    .then(bump).then(read).parallel([fast, slow]).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const result = await run.start({ inputData: { n: 1 }, initialState: { count: 0 }, outputOptions: { includeState: true } });
  log.result(result);
  log.note({ state: result.state });
}
