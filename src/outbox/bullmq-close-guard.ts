import { EventEmitter } from 'node:events'

/**
 * Keeps BullMQ's connection wrappers of a Queue or Worker listening for 'error' after BullMQ has closed them, so that
 * a late failure of their initialisation cannot become an unhandled rejection.
 *
 * Why (BullMQ 5.81, upstream taskforcesh/bullmq#3546): each wrapper initialises its connection in the background and
 * reports a failure by emitting 'error' on itself (`initializing.catch(err => this.emit('error', err))`), while its
 * close() removes every listener. An initialisation still running at the close (BullMQ's INFO refused on a connection
 * that is ending, "Stream isn't writeable …" or "Connection is closed.") then emits 'error' with no listener: the
 * throw is an unhandled rejection, which ends a process run with --unhandled-rejections=strict (Node's default).
 * Seen when a replica is stopped right after its start. A listener added after close() would come too late for a
 * Worker, which closes its blocking connection and then waits on Redis to close the other; so the guard re-adds
 * its listener whenever BullMQ removes them all.
 *
 * The wrappers are private fields ('connection'; a Worker's 'blockingConnection'), read by name: the versions are
 * pinned, and test/outbox/bullmq-close-guard.test.ts fails if an upgrade renames them.
 */
export function guardLateInitFailures (owner: object): number {
  let guarded = 0
  for (const field of ['connection', 'blockingConnection']) {
    const wrapper: unknown = Reflect.get(owner, field)
    if (!(wrapper instanceof EventEmitter)) continue
    const removeAllListeners = wrapper.removeAllListeners.bind(wrapper)
    wrapper.removeAllListeners = (eventName?: string | symbol) => {
      removeAllListeners(eventName)
      // Nothing to do with the failure: the queue or worker is closed, and its connection with it.
      if (wrapper.listenerCount('error') === 0) wrapper.on('error', () => {})
      return wrapper
    }
    guarded++
  }
  return guarded
}
