// serializedStepGraph (in getWorkflowRunById) for every kind of entry: step, nested workflow,
// parallel, mapping, conditional, loop, foreach, sleep. Function sources (conditions, map
// functions) are JavaScript in Mastra and Python in stepstream, so `fn` and `mapConfig` are
// noted as their type only; the sleep's random id is dropped.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const s = (id, extra = {}) => createStep({ id, description: 'd-' + id, inputSchema: V, outputSchema: V, ...extra, execute: async ({ inputData }) => inputData });
  const inner = createWorkflow({ id: 'inner', inputSchema: V, outputSchema: V }).then(s('g')).commit();
  const wf = createWorkflow({ id: 'outer', inputSchema: V, outputSchema: V })
    .then(s('a', { resumeSchema: V }))
    .then(inner)
    .parallel([s('p1'), s('p2')])
    .map(async ({ inputData }) => ({ value: 'm' }))
    .branch([[async () => true, s('b1')], [async () => false, s('b2')]])
    .dountil(s('l'), async () => true)
    .map(async ({ inputData }) => [inputData])
    .foreach(s('f'), { concurrency: 2 })
    .map(async () => ({ value: 'z' }))
    .sleep(1)
    .commit();
  const w = mastraWith({ wf }).getWorkflow('wf');
  const run = await w.createRun();
  await run.start({ inputData: { value: 'x' } });
  const hide = (value) => {
    if (Array.isArray(value)) return value.map(hide);
    if (value && typeof value === 'object') {
      const out = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === 'fn' || k === 'mapConfig') out[k] = typeof v;
        else if (!(k === 'id' && String(v).startsWith('sleep_'))) out[k] = hide(v);
      }
      return out;
    }
    return value;
  };
  log.note(hide((await w.getWorkflowRunById(run.runId, { fields: ['serializedStepGraph'] })).serializedStepGraph));
}
