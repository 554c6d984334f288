import leven from 'leven'

/**
 * The choice closest to a mistyped word (`macth` → `match`, `txt` → `text`), or undefined when none is close:
 * within a third of the word's length, rounded up, so a suggestion is a likely typo, not a guess.
 */
export function didYouMean (word: string, choices: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.ceil(word.length / 3))
  let best: { choice: string, distance: number } | undefined
  for (const choice of choices) {
    const distance = leven(word.toLowerCase(), choice.toLowerCase(), { maxDistance: limit + 1 })
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { choice, distance }
  }
  return best?.choice
}
