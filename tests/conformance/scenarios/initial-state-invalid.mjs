// An initialState that breaks the workflow's stateSchema makes start reject before any step runs;
// the same run then starts fine with a valid state.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const S = z.object({ count: z.number() });
  let ran = 0;
  const bump = createStep({ id: 'bump', inputSchema: N, outputSchema: N, stateSchema: S,
    execute: async ({ inputData, state, setState }) => { ran++; await setState({ count: state.count + inputData.n }); return inputData; } });
  const wf = createWorkflow({ id: 'bad-state', inputSchema: N, outputSchema: N, stateSchema: S }).then(bump).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  try { await run.start({ inputData: { n: 1 }, initialState: { count: 'many' } }); log.note('accepted bad state'); } catch (e) { log.error(e); }
  log.note({ ran });
  const ok = log.result(await run.start({ inputData: { n: 2 }, initialState: { count: 40 }, outputOptions: { includeState: true } }));
  log.note({ ran, state: ok.state });
}
