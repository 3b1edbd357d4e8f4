/**
 * The recipe's class weights for binary cross-entropy (DESIGN.md §1, "weighted loss"):
 * w_i = ( log(n_i)/log(T) + log(T)/log(n_i) ) / 2, with n_i the occurrences of label i and T
 * all label occurrences. Both very rare and very common classes get weight ≥ 1; middling ones
 * less. n_i is floored at 2 so that a class seen once (log 1 = 0) gets a large finite weight.
 */
export function recipeClassWeights(counts: ArrayLike<number>): number[] {
  const total = Array.from(counts).reduce((a, b) => a + b, 0);
  const logT = Math.log(Math.max(total, 3));
  return Array.from(counts, (n) => {
    const logN = Math.log(Math.max(n, 2));
    return (logN / logT + logT / logN) / 2;
  });
}
