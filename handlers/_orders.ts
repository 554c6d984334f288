// A fake order store for the order-lookup example (files starting with `_` are not loaded as handlers).
// Replace it with a call to your own order system.

export interface Order {
  status: string
  detail: string
}

const ORDERS: Record<string, Order> = {
  100001: { status: '已发货', detail: '顺丰 SF1234567890，预计明天送达' },
  100002: { status: '制作中', detail: '门店正在制作，约 10 分钟后可取' },
  // Orders starting with 9 are archived: the archive answers slowly (seconds in a real system, 300 ms here), so
  // their lookup misses the 5-second window in production and the test kit's 50 ms one in tests.
  900001: { status: '已完成', detail: '2025 年 3 月 8 日已签收' }
}

/** How long the slow archive takes here. */
export const ARCHIVE_DELAY_MS = 300

/** Looks an order up; undefined when there is none with this number. Stops early when `signal` aborts. */
export async function findOrder (number: string, signal: AbortSignal): Promise<Order | undefined> {
  if (number.startsWith('9')) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ARCHIVE_DELAY_MS)
      signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
    })
  }
  return ORDERS[number]
}
