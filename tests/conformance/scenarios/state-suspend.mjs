// Workflow state set by a step before it suspends survives the suspension: after resume a later
// step sees it (and the resumed step sees it too).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const S = z.object({ count: z.number(), items: z.array(z.string()) });
  const collect = createStep({ id: 'collect', inputSchema: V, outputSchema: V, stateSchema: S, resumeSchema: z.object({ proceed: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend, state, setState }) => {
      if (!resumeData) {
        const before = state.count;
        await setState({ count: before + 1, items: [...state.items, inputData.value] });
        return await suspend({ seen: before });
      }
      return { value: inputData.value + ' after ' + state.count };
    } });
  const report = createStep({ id: 'report', inputSchema: V, outputSchema: z.object({ value: z.string(), state: S }), stateSchema: S,
    execute: async ({ inputData, state }) => ({ value: inputData.value, state }) });
  const wf = createWorkflow({ id: 'state-suspend', inputSchema: V, outputSchema: z.any(), stateSchema: S }).then(collect).then(report).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  log.result(await run.start({ inputData: { value: 'item-1' }, initialState: { count: 0, items: [] } }));
  const done = log.result(await run.resume({ resumeData: { proceed: true }, outputOptions: { includeState: true } }));
  log.note({ state: done.state });
}
