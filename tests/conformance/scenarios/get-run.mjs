// getWorkflowRunById: Mastra's WorkflowState for a suspended run with a nested workflow, with and
// without nested steps, with `fields`, and after the resume. Ids and times are noted by type only;
// the serializedStepGraph is reduced to its entry types (its full shape is not compared here), and
// the engine's internal `__workflow_meta` (its own bookkeeping in each engine, with a random nested run
// id in Mastra) is dropped from suspend payloads. A resumed step's settled record keeps its
// `suspendedAt` in stepstream (as the loop and foreach records do in Mastra): not compared here.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const gate = createStep({ id: 'gate', inputSchema: V, outputSchema: V, resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ waiting: inputData.value }, { resumeLabel: 'approve' });
      return { value: inputData.value + (resumeData.ok ? ' approved' : ' rejected') };
    } });
  const inner = createWorkflow({ id: 'inner', inputSchema: V, outputSchema: V }).then(gate).commit();
  const before = createStep({ id: 'before', inputSchema: V, outputSchema: V, execute: async ({ inputData }) => ({ value: 'doc:' + inputData.value }) });
  const wf = createWorkflow({ id: 'outer', inputSchema: V, outputSchema: V }).then(before).then(inner).commit();
  const w = mastraWith({ wf }).getWorkflow('wf');
  const run = await w.createRun();
  await run.start({ inputData: { value: 'x' } });
  const clean = (state) => {
    const out = JSON.parse(JSON.stringify(state));
    for (const k of ['runId', 'createdAt', 'updatedAt']) if (k in out) out[k] = typeof out[k];
    if (out && out.resourceId == null) delete out.resourceId; // absent in the in-memory store, null in SQL stores
    if (out.serializedStepGraph) out.serializedStepGraph = out.serializedStepGraph.map((e) => e.type);
    for (const s of Object.values(out.steps ?? {})) {
      for (const k of ['startedAt', 'endedAt', 'suspendedAt', 'resumedAt']) if (k in s) s[k] = typeof s[k];
      if (s.suspendPayload) delete s.suspendPayload.__workflow_meta;
      if (s.status !== 'suspended' && s.status !== 'running') delete s.suspendedAt;
    }
    return out;
  };
  log.note(clean(await w.getWorkflowRunById(run.runId)));
  log.note(clean(await w.getWorkflowRunById(run.runId, { withNestedWorkflows: false })));
  log.note(clean(await w.getWorkflowRunById(run.runId, { fields: ['status', 'result', 'suspendedPaths'] })));
  log.note(clean(await w.getWorkflowRunById(run.runId, { fields: ['steps', 'requestContext'] })));
  await run.resume({ step: 'inner.gate', resumeData: { ok: true } });
  log.note(clean(await w.getWorkflowRunById(run.runId)));
  log.note(await w.getWorkflowRunById('no-such-run'));
}
