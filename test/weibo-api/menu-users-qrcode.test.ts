import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Menu } from '../../src/weibo-api/menu.ts'
import type { WeiboApiError } from '../../src/weibo-api/api-error.ts'
import { follower, refused, setup } from '../helpers/weibo-api.ts'

const MENU: Menu = {
  button: [
    { type: 'click', name: 'News', key: 'NEWS' },
    { name: 'More', sub_button: [{ type: 'view', name: 'Site', url: 'https://example.com' }] }
  ]
}

describe('menu', () => {
  test('create, show, delete', async (t) => {
    const { fake, api } = await setup(t)
    assert.deepEqual(await api.menu.create(MENU), { result: true })
    const shown = await api.menu.show()
    assert.deepEqual(shown, MENU)
    assert.deepEqual(await api.menu.delete(), { result: true })
    const error = await refused<WeiboApiError>(api.menu.show(), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 26401)
    assert.deepEqual(JSON.parse(fake.calls[0]?.params.menus ?? ''), MENU)
  })

  const invalid: Array<[string, unknown]> = [
    ['no buttons', { button: [] }],
    ['4 buttons', { button: Array.from({ length: 4 }, (_, i) => ({ type: 'click', name: `b${i}`, key: `k${i}` })) }],
    ['6 sub-buttons', { button: [{ name: 'm', sub_button: Array.from({ length: 6 }, (_, i) => ({ type: 'click', name: `s${i}`, key: `k${i}` })) }] }],
    ['click without key', { button: [{ type: 'click', name: 'a' }] }],
    ['view without url', { button: [{ type: 'view', name: 'a' }] }],
    ['empty name', { button: [{ type: 'click', name: ' ', key: 'k' }] }]
  ]
  for (const [name, menu] of invalid) {
    test(`${name} is refused before any call`, async (t) => {
      const { fake, api } = await setup(t)
      await refused(api.menu.create(menu as Menu), 'WEIBO_ERR_API_INVALID_REQUEST')
      assert.equal(fake.calls.length, 0)
    })
  }
})

describe('users.info', () => {
  test('a follower\'s profile', async (t) => {
    const { fake, api } = await setup(t)
    follower(fake, '3001')
    const info = await api.users.info('3001')
    assert.equal(String(info.id), '3001')
    assert.equal(info.follow, 1)
    assert.equal(fake.calls[0]?.path, '/2/eps/user/info.json')
  })

  test('an unknown user is 20003', async (t) => {
    const { api } = await setup(t)
    const error = await refused<WeiboApiError>(api.users.info('000'), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 20003)
  })
})

describe('qrcode.create', () => {
  test('temporary and permanent codes', async (t) => {
    const { api } = await setup(t)
    const temporary = await api.qrcode.create({ kind: 'temporary', sceneId: 123123, expireSeconds: 600 })
    assert.equal(temporary.expire_seconds, 600)
    const permanent = await api.qrcode.create({ kind: 'permanent', sceneId: 100_000 })
    assert.ok(permanent.ticket.length > 0)
  })

  test('a permanent scene id over 100000 or a temporary code over 1800 s is refused before any call', async (t) => {
    const { fake, api } = await setup(t)
    await refused(api.qrcode.create({ kind: 'permanent', sceneId: 100_001 }), 'WEIBO_ERR_API_INVALID_REQUEST')
    await refused(api.qrcode.create({ kind: 'temporary', sceneId: 1, expireSeconds: 1801 }), 'WEIBO_ERR_API_INVALID_REQUEST')
    assert.equal(fake.calls.length, 0)
  })

  test('a bad token is 21332', async (t) => {
    const { api } = await setup(t, { accessToken: 'nope-token' })
    const error = await refused<WeiboApiError>(api.qrcode.create({ kind: 'permanent', sceneId: 1 }), 'WEIBO_ERR_API_REJECTED')
    assert.equal(error.errorCode, 21332)
  })
})
