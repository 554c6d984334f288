import type { FastifyInstance } from 'fastify'
import { MenuSchema, type Menu } from '../weibo-api/menu.ts'
import { WeiboRefusal } from './fake-api-errors.ts'
import type { FakeApiContext } from './fake-api-context.ts'
import { checkToken, readParams, requireForm } from './fake-api-params.ts'

export const MENU_PATHS = { create: '/2/messages/menu/create.json', show: '/2/messages/menu/show.json', delete: '/2/messages/menu/delete.json' } as const

/**
 * `messages/menu/create|show|delete` (protocol §9.2): `menus` is a URL-encoded JSON form field checked against the
 * documented rules (1–3 buttons, 1–5 sub_button, click+key, view+url). The fake keeps one menu in memory.
 */
export function fakeMenuRoute (app: FastifyInstance, context: FakeApiContext): void {
  let menu: Menu | undefined
  app.post(MENU_PATHS.create, async (request) => {
    requireForm(request)
    const params = readParams(request)
    checkToken(params, context.accounts)
    const raw = params.menus
    if (raw === undefined) throw new WeiboRefusal('PARAM_MISSING', 'menus')
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      throw new WeiboRefusal('DATA_INVALID', 'menus is not JSON')
    }
    const result = MenuSchema.safeParse(parsed)
    if (!result.success) throw new WeiboRefusal('DATA_INVALID', `menus breaks the menu rules: ${result.error.issues[0]?.message ?? 'invalid'}`)
    menu = result.data
    return { result: true }
  })
  app.get(MENU_PATHS.show, async (request) => {
    checkToken(readParams(request), context.accounts)
    if (menu === undefined) throw new WeiboRefusal('MENU_NOT_FOUND')
    return { menu }
  })
  app.post(MENU_PATHS.delete, async (request) => {
    requireForm(request)
    checkToken(readParams(request), context.accounts)
    menu = undefined
    return { result: true }
  })
}
