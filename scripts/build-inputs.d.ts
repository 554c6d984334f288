// The types of build-inputs.js, for the test helpers that import it (the scripts are plain JavaScript, run by node).
export const DIST: string
export function inputsDigest (): string
export function distIsCurrent (): boolean
export function recordInputs (digest: string): void
