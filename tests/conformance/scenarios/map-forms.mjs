// Every .map form: {step, path}, path '.', {value, schema}, {initData, path},
// {requestContextPath, schema}, {fn, schema}, and a bare function (which can call getStepResult).
// The maps are unnamed: their ids are mapping_<workflowId>_<n>.
export default async function ({ createWorkflow, createStep, z, mastraWith, log, RequestContext }) {
  const In = z.object({ name: z.string(), meta: z.object({ tag: z.string() }) });
  const first = createStep({ id: 'first', inputSchema: In, outputSchema: z.object({ greeting: z.string(), nested: z.object({ len: z.number() }) }),
    execute: async ({ inputData }) => ({ greeting: 'hi ' + inputData.name, nested: { len: inputData.name.length } }) });
  const echo = createStep({ id: 'echo', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData });
  const wf = createWorkflow({ id: 'maps', inputSchema: In, outputSchema: z.any() });
  wf.then(first)
    .map({
      len: { step: first, path: 'nested.len' },
      whole: { step: first, path: '.' },
      constant: { value: 42, schema: z.number() },
      tag: { initData: wf, path: 'meta.tag' },
      user: { requestContextPath: 'user', schema: z.string() },
      shout: { fn: async ({ inputData }) => inputData.greeting.toUpperCase(), schema: z.string() },
    })
    .then(echo)
    .map(async ({ inputData, getStepResult }) => ({ keys: Object.keys(inputData).sort(), first: getStepResult(first).greeting }))
    .commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const requestContext = new RequestContext();
  requestContext.set('user', 'ann');
  await log.stream(run.stream({ inputData: { name: 'bob', meta: { tag: 't1' } }, requestContext }));
}
