// The serializedStepGraph of a flow built only from declarative parts, compared whole: predicates
// on branch and loops (with Mastra's labels as the condition `fn`), a template map, and the
// entry options (id, description, metadata) of parallel, branch, loops, foreach, map and sleep.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const s = (id) => createStep({ id, inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData });
  const o = (id) => ({ id, description: 'the ' + id, metadata: { title: id.toUpperCase() } });
  const wf = createWorkflow({ id: 'declared', inputSchema: N, outputSchema: z.any() })
    .parallel([s('p1'), s('p2')], o('fan'))
    .map({ n: { template: '${stepResults.p1.n}' }, label: { value: 'x' } }, o('pick'))
    .branch([
      [{ predicate: { op: 'lt', left: { path: 'inputData.n' }, right: { literal: 10 } } }, s('small')],
      [{ predicate: { op: 'not', arg: { op: 'in', value: { path: 'inputData.label' }, set: ['a', 'b'] } } }, s('other')],
    ], o('route'))
    .dowhile(s('w'), { predicate: { op: 'and', args: [{ op: 'exists', path: 'state.go' }, { op: 'falsy', value: { path: 'inputData.done' } }] } }, o('while'))
    .dountil(s('u'), { predicate: { op: 'truthy', value: { literal: true } } }, o('until'))
    .foreach(s('f'), { concurrency: 3, ...o('each') })
    .sleep(5, o('nap'))
    .commit();
  const w = mastraWith({ wf }).getWorkflow('wf');
  const run = await w.createRun();
  log.note((await w.getWorkflowRunById(run.runId, { fields: ['serializedStepGraph'] }))?.serializedStepGraph ?? wf.serializedStepGraph);
}
