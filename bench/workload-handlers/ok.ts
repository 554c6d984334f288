// The one handler of the issue-13 workload (bench/workload.ts): every message answered at once with a short text.
export default { on: '*', handle: (message: { type: string }) => ({ type: 'text', text: 'ok ' + message.type }) }
