import type { Simulator } from '../simulator/simulator.ts'

/**
 * The variables that point a bot at this simulator: every Weibo host (replies, direct messages, media downloads,
 * eps) is its fake API, which serves them all, and the push stream is its fake subscription. The since-id file
 * is left to the caller. The in-process bot gets these; a server elsewhere is told them.
 */
export function simulatorEnv (sim: Simulator, accessToken: string): { api: Record<string, string>, stream: Record<string, string> } {
  return {
    api: {
      WEIBO_ACCESS_TOKEN: accessToken,
      WEIBO_API_BASE_URL: sim.apiBaseUrl,
      WEIBO_C_API_BASE_URL: sim.apiBaseUrl,
      WEIBO_UPLOAD_API_BASE_URL: sim.apiBaseUrl,
      WEIBO_OPEN_API_BASE_URL: sim.apiBaseUrl
    },
    stream: {
      WEIBO_PUSH_SUBID: sim.pushStream.subid,
      WEIBO_PUSH_URL: sim.pushStreamUrl
    }
  }
}
