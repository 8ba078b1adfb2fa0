// Control-flow entry options: id, description and metadata on parallel, branch, dowhile,
// dountil, foreach, map, sleep and sleepUntil. They identify the entry (its span, the step
// graph: see step-graph-declarative) and never change execution: the results and step records
// are those of the plain flow; only map and sleep take the id as their step id.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const { cloneStep } = await import(process.cwd() + '/node_modules/@mastra/core/dist/workflows/index.js');
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const dbl = createStep({ id: 'dbl', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });
  const item = createStep({ id: 'item', inputSchema: z.number(), outputSchema: z.number(), execute: async ({ inputData }) => inputData * 10 });
  const o = (id) => ({ id, description: 'the ' + id + ' entry', metadata: { title: id.toUpperCase(), order: 1 } });
  const wf = createWorkflow({ id: 'opts', inputSchema: N, outputSchema: z.any() })
    .parallel([inc, dbl], o('both'))
    .map({ n: { step: inc, path: 'n' } }, o('pick'))
    .branch([[async ({ inputData }) => inputData.n > 0, cloneStep(inc, { id: 'inc2' })]], o('maybe'))
    .map(async ({ inputData }) => inputData.inc2, o('unwrap'))
    .dowhile(cloneStep(inc, { id: 'inc3' }), async ({ inputData }) => inputData.n < 4, o('grow'))
    .dountil(cloneStep(dbl, { id: 'dbl2' }), async ({ inputData }) => inputData.n > 10, o('double'))
    .sleep(1, o('nap'))
    .sleepUntil(new Date(Date.now() - 1000), o('past'))
    .map(async ({ inputData }) => [inputData.n, inputData.n + 1], o('pair'))
    .foreach(item, { concurrency: 2, ...o('each') })
    .commit();
  const m = mastraWith({ wf });
  log.result(await (await m.getWorkflow('wf').createRun()).start({ inputData: { n: 1 } }));
}
