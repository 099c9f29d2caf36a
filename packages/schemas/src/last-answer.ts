/**
 * `decide`, remembering its last text and answer: a batch's events often repeat one value (a
 * timestamp stamped at flush, one metric), and a string comparison is cheaper than deciding again.
 */
export const rememberingLastAnswer = <T>(decide: (text: string) => T) => {
  let lastText: string | undefined
  let lastAnswer: T
  return (text: string): T => {
    if (text !== lastText) {
      lastAnswer = decide(text)
      lastText = text
    }
    return lastAnswer
  }
}
