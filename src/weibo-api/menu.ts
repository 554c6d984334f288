import { z } from 'zod'
import type { WeiboHttp } from './http.ts'
import { invalidRequest, parseResponse } from './parse-response.ts'
import { describeZodError } from '../describe-zod-error.ts'

export const MENU_CREATE_PATH = '/2/messages/menu/create.json'
export const MENU_SHOW_PATH = '/2/messages/menu/show.json'
export const MENU_DELETE_PATH = '/2/messages/menu/delete.json'

const name = z.string().trim().min(1, 'a button needs a non-empty name')
const ClickButtonSchema = z.object({ type: z.literal('click'), name, key: z.string().min(1, 'a click button needs a key') })
const ViewButtonSchema = z.object({ type: z.literal('view'), name, url: z.url({ protocol: /^https?$/, error: 'a view button needs an http(s) url' }) })
/** A leaf button: `click` sends its `key` to the callback, `view` opens its `url`. */
export const MenuLeafSchema = z.discriminatedUnion('type', [ClickButtonSchema, ViewButtonSchema])
const ParentButtonSchema = z.object({ name, sub_button: z.array(MenuLeafSchema).min(1, 'a sub-menu needs 1 to 5 sub_button').max(5, 'a sub-menu needs 1 to 5 sub_button') })
/** A top-level button: a leaf, or a name with 1 to 5 `sub_button`. */
export const MenuButtonSchema = z.union([ParentButtonSchema, MenuLeafSchema])
/** The custom menu of protocol §9.2: 1 to 3 buttons. */
export const MenuSchema = z.object({ button: z.array(MenuButtonSchema).min(1, 'a menu needs 1 to 3 buttons').max(3, 'a menu needs 1 to 3 buttons') })
export type Menu = z.infer<typeof MenuSchema>

const ResultSchema = z.looseObject({ result: z.boolean() })
const ShowSchema = z.looseObject({ menu: z.looseObject({ button: z.array(z.looseObject({ name: z.string() })) }) })
export type ShownMenu = z.infer<typeof ShowSchema>['menu']

export interface MenuApi {
  /** Validates the menu (refused with WEIBO_ERR_API_INVALID_REQUEST before any call), then sets it. */
  create: (menu: Menu) => Promise<{ result: boolean }>
  show: () => Promise<ShownMenu>
  delete: () => Promise<{ result: boolean }>
}

/** The menu as Weibo needs it, or every problem at once. */
export function validateMenu (menu: unknown): Menu {
  const result = MenuSchema.safeParse(menu)
  if (!result.success) throw invalidRequest(`the menu breaks Weibo's rules: ${describeZodError(result.error)}`)
  return result.data
}

export function createMenuApi (options: { http: WeiboHttp }): MenuApi {
  const { http } = options
  return {
    async create (menu) {
      const valid = validateMenu(menu)
      // A form value is URL-encoded by URLSearchParams: the JSON is encoded exactly once.
      const body = await http.request({ method: 'POST', path: MENU_CREATE_PATH, form: { menus: JSON.stringify(valid) } })
      return { result: parseResponse(ResultSchema, body, MENU_CREATE_PATH).result }
    },
    async show () {
      const body = await http.request({ method: 'GET', path: MENU_SHOW_PATH })
      return parseResponse(ShowSchema, body, MENU_SHOW_PATH).menu
    },
    async delete () {
      const body = await http.request({ method: 'POST', path: MENU_DELETE_PATH, form: {} })
      return { result: parseResponse(ResultSchema, body, MENU_DELETE_PATH).result }
    }
  }
}
