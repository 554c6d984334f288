import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Service } from 'kubernetes-models/v1/Service'
import { parseAllDocuments } from 'yaml'
import { CONFIG_KEYS, loadConfig } from '../../src/config.ts'
import { REPO_ROOT } from '../helpers/server-process.ts'

// The Kubernetes manifests of docs/operations.md: valid against Kubernetes' own schemas (kubernetes-models bundles
// them, so this runs offline), and consistent with the server: probe paths, ports, grace period, config keys.
const DIR = `${REPO_ROOT}docs/examples/k8s/`

interface Validatable { validate: () => void }
const MODELS: Record<string, new (data: never) => Validatable> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy
}

interface Manifest { apiVersion: string, kind: string, metadata: { name: string }, [key: string]: unknown }

function manifests (): Array<{ file: string, manifest: Manifest }> {
  return readdirSync(DIR).filter((file) => file.endsWith('.yaml')).sort().flatMap((file) =>
    parseAllDocuments(readFileSync(`${DIR}${file}`, 'utf8')).map((document) => {
      assert.deepEqual(document.errors, [], file)
      return { file, manifest: document.toJS() as Manifest }
    }))
}

function only<T> (kind: string): T {
  const found = manifests().filter(({ manifest }) => manifest.kind === kind)
  assert.equal(found.length, 1, `one ${kind}`)
  return found[0]?.manifest as T
}

interface Probe { httpGet: { path: string, port: string | number } }
interface Container {
  ports: Array<{ name: string, containerPort: number }>
  livenessProbe: Probe
  readinessProbe: Probe
  startupProbe?: Probe
  lifecycle: { preStop: { exec: { command: string[] } } }
}
interface DeploymentShape { spec: { replicas: number, template: { spec: { terminationGracePeriodSeconds: number, containers: Container[] } } } }

/** The server's config as the pod gets it: the ConfigMap and the example Secret, through the real schema. */
function podConfig (): ReturnType<typeof loadConfig> {
  const configMap = only<{ data: Record<string, string> }>('ConfigMap')
  const secret = only<{ stringData: Record<string, string> }>('Secret')
  return loadConfig({ ...configMap.data, ...secret.stringData })
}

describe('docs/examples/k8s', () => {
  test('every manifest passes Kubernetes\' schema for its kind', () => {
    const all = manifests()
    assert.ok(all.length >= 5)
    for (const { file, manifest } of all) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`]
      assert.ok(Model !== undefined, `${file}: no schema for ${manifest.apiVersion} ${manifest.kind}`)
      assert.doesNotThrow(() => { new Model(manifest as never).validate() }, `${file} (${manifest.kind})`)
    }
  })

  test('the schema check does catch a broken manifest', () => {
    const deployment = structuredClone(only<DeploymentShape>('Deployment'))
    const container = deployment.spec.template.spec.containers[0]
    assert.ok(container !== undefined)
    container.ports = [{ name: 'http', containerPort: 'three thousand' as unknown as number }]
    assert.throws(() => { new Deployment(deployment as never).validate() }, /containerPort/)
  })

  test('the ConfigMap and the Secret hold only variables the server reads, and values it accepts', () => {
    const configMap = only<{ data: Record<string, string> }>('ConfigMap')
    const secret = only<{ stringData: Record<string, string> }>('Secret')
    const unknown = [...Object.keys(configMap.data), ...Object.keys(secret.stringData)].filter((key) => !CONFIG_KEYS.includes(key))
    assert.deepEqual(unknown, [])
    assert.doesNotThrow(podConfig)
  })

  test('probes: liveness and startup on /healthz, readiness on /readyz, on the server\'s port', () => {
    const container = only<DeploymentShape>('Deployment').spec.template.spec.containers[0]
    assert.ok(container !== undefined)
    const config = podConfig()
    const http = container.ports.find((port) => port.name === 'http')
    assert.equal(http?.containerPort, config.port)
    assert.equal(container.livenessProbe.httpGet.path, '/healthz')
    assert.equal(container.startupProbe?.httpGet.path, '/healthz')
    assert.equal(container.readinessProbe.httpGet.path, '/readyz')
    for (const probe of [container.livenessProbe, container.readinessProbe]) assert.equal(probe.httpGet.port, 'http')
  })

  test('the grace period covers the preStop sleep, the drain delay and the shutdown timeout', () => {
    const spec = only<DeploymentShape>('Deployment').spec.template.spec
    const container = spec.containers[0]
    assert.ok(container !== undefined)
    const [command, seconds] = container.lifecycle.preStop.exec.command
    assert.equal(command, 'sleep')
    const config = podConfig()
    const neededSeconds = Number(seconds) + (config.shutdownDrainDelayMs + config.shutdownTimeoutMs) / 1000
    assert.ok(spec.terminationGracePeriodSeconds > neededSeconds,
      `terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} must exceed ${neededSeconds}`)
  })

  test('/metrics: on its own container port, kept out of the Service and the Ingress; production is protected', () => {
    const config = podConfig()
    assert.equal(config.nodeEnv, 'production')
    const container = only<DeploymentShape>('Deployment').spec.template.spec.containers[0]
    const metricsPort = container?.ports.find((port) => port.name === 'metrics')?.containerPort
    assert.equal(metricsPort, config.metricsPort)
    const service = only<{ spec: { ports: Array<{ targetPort: string | number }> } }>('Service')
    assert.deepEqual(service.spec.ports.map((port) => port.targetPort), ['http'])
    const ingress = only<{ spec: { rules: Array<{ http: { paths: Array<{ path: string }> } }> } }>('Ingress')
    const paths = ingress.spec.rules.flatMap((rule) => rule.http.paths.map((entry) => entry.path))
    assert.deepEqual(paths, [config.callbackPath])
  })

  test('one replica unless REDIS_URL is set (no shared dedup otherwise)', () => {
    const deployment = only<DeploymentShape>('Deployment')
    if (podConfig().redisUrl === undefined) assert.equal(deployment.spec.replicas, 1)
  })
})
