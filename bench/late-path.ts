import { createFakeWeiboApi } from '../src/simulator/fake-weibo-api.ts'
import { runLoad, startBenchServer } from './load.ts'
import { fixed, int, verdict, type BenchSettings, type ScenarioReport } from './report.ts'
import { BENCH_SECRET, CALLBACK_PATH, createTraffic, quantile } from './traffic.ts'

const API_TOKEN = 'bench-api-token-91e0'
const SLOW_SHARE = 0.2
const MAX_OVERSHOOT_MS = 50

export interface LatePathOptions {
  /** REPLY_DEADLINE_MS of the real server. */
  deadlineMs: number
  /** How long the slow handlers take. */
  slowMs: number
  durationS: number
}

/**
 * Scenario 3: one push in five has a handler slower than the deadline. The blank answer must leave at the deadline
 * (measured per request at the client), and each late reply must reach the fake Weibo API exactly once. Every push
 * comes from a fresh fan, recorded with the fake first so its reply window is open; the quota is lifted.
 */
export async function latePathScenario (settings: BenchSettings, options: LatePathOptions): Promise<ScenarioReport> {
  const api = createFakeWeiboApi({ accessToken: API_TOKEN, rules: { repliesPerWindow: 1_000_000_000 } })
  const apiBaseUrl = await api.listen({ host: '127.0.0.1' })
  const spec = { scenario: 'late' as const, secret: BENCH_SECRET, path: CALLBACK_PATH, slowHandlerMs: options.slowMs }
  const real = await startBenchServer({ ...spec, kind: 'real', replyDeadlineMs: options.deadlineMs, apiBaseUrl, accessToken: API_TOKEN }, settings.profileDir)
  const bare = await startBenchServer({ ...spec, kind: 'bare' }, settings.profileDir)
  try {
    const load = { connections: settings.connections, durationS: options.durationS }
    const bareTraffic = createTraffic({ url: bare.url, slowShare: SLOW_SHARE })
    const bareRun = await runLoad({ ...load, url: bare.url, traffic: bareTraffic })

    const traffic = createTraffic({ url: real.url, slowShare: SLOW_SHARE, checkReplies: true, onFresh: (push) => { api.recordFanActivity(push) } })
    if (settings.warmupS > 0) {
      await runLoad({ ...load, url: real.url, durationS: settings.warmupS, traffic })
      await real.drain() // the warm-up's late replies land before the count starts
    }
    traffic.reset()
    await real.reset()
    const firstCall = api.calls.length
    const run = await runLoad({ ...load, url: real.url, traffic })
    const stats = await real.drain()

    const log = traffic.log
    const replies = new Map<string, number>()
    let refused = 0
    for (const call of api.calls.slice(firstCall)) {
      if (!call.path.startsWith('/2/messages/reply')) continue
      if (call.status !== 200) refused++
      const fan = call.params.receiver_id ?? ''
      replies.set(fan, (replies.get(fan) ?? 0) + 1)
    }
    const slowSenders = [...log.slowSenders]
    const once = slowSenders.filter((fan) => replies.get(fan) === 1).length
    const missing = slowSenders.filter((fan) => !replies.has(fan)).length
    const twice = [...replies.values()].filter((count) => count > 1).length
    const strays = [...replies.keys()].filter((fan) => !log.slowSenders.has(fan)).length
    const p99 = quantile(log.slowLatencies, 0.99)
    const limit = options.deadlineMs + MAX_OVERSHOOT_MS
    const handoffs = stats.deadlineHandoffs ?? Number.NaN
    const failures = run.result.non2xx + run.result.errors + run.result.timeouts
    return {
      title: `3. Late path: 20 % of handlers take ${options.slowMs} ms, REPLY_DEADLINE_MS=${options.deadlineMs}`,
      rows: [
        { figure: 'slow pushes answered (client-side samples)', value: int(log.slowLatencies.length), target: '', verdict: '' },
        { figure: 'blank answer latency of slow pushes p50 / p99 / max (ms)', value: `${fixed(quantile(log.slowLatencies, 0.5), 1)} / ${fixed(p99, 1)} / ${fixed(Math.max(...log.slowLatencies), 1)}`, target: `p99 ≤ ${limit}`, verdict: verdict(p99 <= limit) },
        { figure: 'p99 overshoot past the deadline (ms)', value: fixed(p99 - options.deadlineMs, 1), target: `≤ ${MAX_OVERSHOOT_MS}`, verdict: verdict(p99 - options.deadlineMs <= MAX_OVERSHOOT_MS) },
        { figure: 'fast pushes p50 / p99 (ms): fanbot; bare', value: `${fixed(quantile(log.fastLatencies, 0.5), 1)} / ${fixed(quantile(log.fastLatencies, 0.99), 1)}; ${fixed(quantile(bareTraffic.log.fastLatencies, 0.5), 1)} / ${fixed(quantile(bareTraffic.log.fastLatencies, 0.99), 1)}`, target: '', verdict: '' },
        { figure: 'req/s: fanbot; bare (closed loop, so set by the slow share)', value: `${int(run.rps)}; ${int(bareRun.rps)}`, target: '', verdict: '' },
        { figure: 'slow pushes sent / deadline hand-offs (server metrics)', value: `${int(log.slowSenders.size)} / ${int(handoffs)}`, target: 'equal', verdict: verdict(handoffs === log.slowSenders.size) },
        { figure: 'late replies received by the fake API', value: int([...replies.values()].reduce((a, b) => a + b, 0)), target: '', verdict: '' },
        { figure: 'slow pushes whose fan got exactly one late reply', value: `${int(once)} of ${int(slowSenders.length)}`, target: 'all', verdict: verdict(once === slowSenders.length) },
        { figure: 'fans with no late reply / with more than one', value: `${int(missing)} / ${int(twice)}`, target: '0 / 0', verdict: verdict(missing === 0 && twice === 0) },
        { figure: 'late replies to fast pushes, or refused by the fake', value: `${int(strays)}, ${int(refused)}`, target: '0, 0', verdict: verdict(strays === 0 && refused === 0) },
        { figure: 'fanbot non-2xx + errors + timeouts; wrong passive replies', value: `${int(failures)}; ${int(log.wrongAnswers)}`, target: '0; 0', verdict: verdict(failures === 0 && log.wrongAnswers === 0) }
      ],
      notes: [
        `${settings.connections} connections for ${options.durationS} s (after a ${settings.warmupS} s warm-up whose late replies were drained first); ` +
        'latency measured per request at the client, from the write of the request to its last byte; each connection\'s first request is left out (it includes the connect).',
        'The fake Weibo API (`createFakeWeiboApi`) listens on 127.0.0.1 in the load generator\'s process; every push is from a fresh fan recorded with `recordFanActivity`, `repliesPerWindow` lifted.'
      ]
    }
  } finally {
    await real.close()
    await bare.close()
    await api.close()
  }
}
