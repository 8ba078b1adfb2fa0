// Declarative conditions: branch/dowhile/dountil take {predicate} objects (JSON) instead of functions.
// One branch checks every op against the previous output, the init data, the state and a step
// result: strict equality, ordering of numbers and strings only, JavaScript truthiness (an empty
// list or object is truthy), missing paths (false, but true for notIn/notExists), ${...} paths.
// The labels Mastra derives for the step graph are noted too.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const prep = createStep({ id: 'prep', inputSchema: z.any(), outputSchema: z.any(), stateSchema: z.any(),
    execute: async ({ inputData, setState }) => {
      await setState({ mode: inputData.mode });
      return { n: inputData.n, tag: inputData.tag, list: [], obj: {}, zero: 0, empty: '', flag: true, nothing: null, items: [5, 6] };
    } });
  const hit = (id) => createStep({ id, inputSchema: z.any(), outputSchema: z.any(), execute: async () => ({ hit: id }) });
  const P = (path) => ({ path });
  const L = (literal) => ({ literal });
  const cases = [
    ['eq', { op: 'eq', left: P('inputData.n'), right: L(3) }],
    ['eq_bool_num', { op: 'eq', left: P('inputData.flag'), right: L(1) }],
    ['ne', { op: 'ne', left: P('inputData.tag'), right: L('a') }],
    ['lt', { op: 'lt', left: P('inputData.n'), right: L(10) }],
    ['gte_str', { op: 'gte', left: P('inputData.tag'), right: L('b') }],
    ['gt_mixed', { op: 'gt', left: P('inputData.n'), right: L('1') }],
    ['in', { op: 'in', value: P('inputData.tag'), set: ['a', 'b'] }],
    ['not_in_missing', { op: 'notIn', value: P('inputData.nope'), set: [1] }],
    ['in_missing', { op: 'in', value: P('inputData.nope'), set: [null] }],
    ['exists_null', { op: 'exists', path: 'inputData.nothing' }],
    ['not_exists', { op: 'notExists', path: 'inputData.nope.deeper' }],
    ['truthy_list', { op: 'truthy', value: P('inputData.list') }],
    ['truthy_obj', { op: 'truthy', value: P('inputData.obj') }],
    ['falsy_zero', { op: 'falsy', value: P('inputData.zero') }],
    ['falsy_empty', { op: 'falsy', value: P('inputData.empty') }],
    ['falsy_missing', { op: 'falsy', value: P('inputData.nope') }],
    ['index', { op: 'eq', left: P('inputData.items.1'), right: L(6) }],
    ['template_path', { op: 'eq', left: P('${inputData.n}'), right: L(3) }],
    ['init', { op: 'eq', left: P('initData.mode'), right: L('fast') }],
    ['state', { op: 'eq', left: P('state.mode'), right: L('fast') }],
    ['step_result', { op: 'gt', left: P('stepResults.prep.n'), right: L(2) }],
    ['missing_step', { op: 'exists', path: 'stepResults.ghost.n' }],
    ['and', { op: 'and', args: [{ op: 'eq', left: P('inputData.n'), right: L(3) }, { op: 'truthy', value: P('inputData.flag') }] }],
    ['or', { op: 'or', args: [{ op: 'eq', left: P('inputData.n'), right: L(99) }, { op: 'in', value: P('inputData.tag'), set: ['b'] }] }],
    ['not', { op: 'not', arg: { op: 'exists', path: 'inputData.nope' } }],
    ['path_eq_path', { op: 'eq', left: P('inputData.n'), right: P('stepResults.prep.n') }],
  ];
  const wf = createWorkflow({ id: 'preds', inputSchema: z.any(), outputSchema: z.any(), stateSchema: z.any() })
    .then(prep)
    .branch(cases.map(([id, predicate]) => [{ predicate }, hit(id)]))
    .commit();
  const m = mastraWith({ wf });
  for (const input of [{ n: 3, tag: 'b', mode: 'fast' }, { n: 12, tag: 'a', mode: 'slow' }]) {
    const result = await (await m.getWorkflow('wf').createRun()).start({ inputData: input });
    log.note({ ran: Object.keys(result.result).sort() });
  }
  log.note({ labels: wf.serializedStepGraph[1].serializedConditions.map((c) => c.fn) });

  // Loops: dountil / dowhile with predicates over the body's output.
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const until = createWorkflow({ id: 'until', inputSchema: N, outputSchema: N })
    .dountil(inc, { predicate: { op: 'gte', left: P('inputData.n'), right: L(3) } }).commit();
  const whileWf = createWorkflow({ id: 'while', inputSchema: N, outputSchema: N })
    .dowhile(inc, { predicate: { op: 'lt', left: P('inputData.n'), right: P('initData.n') } }).commit();
  const m2 = mastraWith({ until, whileWf });
  await log.stream((await m2.getWorkflow('until').createRun()).stream({ inputData: { n: 0 } }));
  log.result(await (await m2.getWorkflow('whileWf').createRun()).start({ inputData: { n: 0 } }));
  log.note({ loopLabels: [until.serializedStepGraph[0].serializedCondition.fn, whileWf.serializedStepGraph[0].serializedCondition.fn] });
}
