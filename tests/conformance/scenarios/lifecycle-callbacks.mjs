// Lifecycle callbacks. onStart runs after input validation and before any step, with the run's
// workflowId, resourceId, getInitData(), requestContext and initial state; when it throws, start()
// rejects with its error and no step runs. onFinish gets {status, result, error, steps, workflowId,
// resourceId, getInitData, requestContext, state, stepExecutionPath} after success, failure and
// suspension; onError the same without result, only after a failure. (The state is copied when
// noted: Mastra hands onStart the live state object, which later steps change.)
export default async function ({ createWorkflow, createStep, z, mastraWith, log, RequestContext }) {
  const N = z.object({ n: z.number() });
  const S = z.object({ seen: z.array(z.string()) });
  const calls = [];
  const ctxOf = (rc) => Object.fromEntries(rc.entries());
  const brief = (kind, p) => ({
    kind, keys: Object.keys(p).filter((k) => !['runId', 'mastra', 'logger', 'tripwire'].includes(k)).sort(),
    status: p.status, result: p.result, error: p.error?.message, workflowId: p.workflowId, resourceId: p.resourceId,
    init: p.getInitData(), requestContext: ctxOf(p.requestContext), state: JSON.parse(JSON.stringify(p.state)), stepExecutionPath: p.stepExecutionPath,
    steps: p.steps && Object.fromEntries(Object.entries(p.steps).map(([k, v]) => [k, v.status ?? v])),
  });
  const work = createStep({ id: 'work', inputSchema: N, outputSchema: N, stateSchema: S,
    execute: async ({ inputData, setState, state, suspend, resumeData }) => {
      calls.push('work ' + inputData.n);
      await setState({ seen: [...state.seen, 'work'] });
      if (inputData.n < 0) throw new Error('negative');
      if (inputData.n === 0 && !resumeData) return suspend({ why: 'zero' });
      return { n: inputData.n * 2 };
    } });
  const wf = createWorkflow({ id: 'lifecycle', inputSchema: N, outputSchema: N, stateSchema: S,
    options: {
      onStart: async (info) => {
        calls.push(brief('start', info));
        if (info.getInitData().n === 13) throw new Error('quota exceeded for ' + info.requestContext.get('tenant'));
      },
      onFinish: async (p) => { calls.push(brief('finish', p)); },
      onError: async (p) => { calls.push(brief('error', p)); },
    } }).then(work).commit();
  const m = mastraWith({ wf });
  for (const n of [2, -1, 0, 13]) {
    const run = await m.getWorkflow('wf').createRun({ resourceId: 'user-' + n });
    const requestContext = new RequestContext([['tenant', 'acme']]);
    try {
      log.result(await run.start({ inputData: { n }, initialState: { seen: [] }, requestContext }));
    } catch (err) {
      log.error(err);
    }
    log.note(calls.splice(0));
  }
}
